// The night runs on absolute time (epoch milliseconds); the school's files and screens speak local
// wall-clock time in the event's time zone. These helpers convert between the two without a library:
// Intl knows every IANA zone.

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function localParts(epochMs: number, timeZone: string) {
  const p: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(epochMs)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return p as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

function offsetMs(epochMs: number, timeZone: string): number {
  const p = localParts(epochMs, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** "2026-11-19" + "17:45" in America/Chicago → epoch ms. */
export function localToEpoch(date: string, hhmm: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const [h, min, s = 0] = hhmm.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, h, min, s);
  let t = wall - offsetMs(wall, timeZone);
  const corrected = wall - offsetMs(t, timeZone); // across a DST change the first guess is an hour off
  if (corrected !== t) t = corrected;
  return t;
}

/** Epoch ms → "17:45" (or "17:45:30" with seconds) in the event's time zone. */
export function epochToLocal(epochMs: number, timeZone: string, withSeconds = false): string {
  const p = localParts(epochMs, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return withSeconds ? `${two(p.hour)}:${two(p.minute)}:${two(p.second)}` : `${two(p.hour)}:${two(p.minute)}`;
}

/** The calendar date ("2026-11-22") at an instant in a time zone. */
export function localDate(epochMs: number, timeZone: string): string {
  const p = localParts(epochMs, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export const minute = 60_000;
