// The teacher's export: tonight's finished conferences with their commitments (and the teacher's own
// private notes), as a CSV file built in the browser from the teacher's view. Nothing leaves the page.
import { epochToLocal, localDate } from '../../../shared/clock';
import type { TeacherView } from '../../../shared/domain/projections';
import type { MessageKey } from '../../../shared/i18n';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** One CSV field (RFC 4180), defused so a spreadsheet never runs a cell as a formula. */
function field(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function teacherExportCsv(view: TeacherView, t: Translate): string {
  const tz = view.night.timezone;
  const time = (ms: number | null) => (ms === null ? '' : epochToLocal(ms, tz));
  const header: MessageKey[] = [
    'export.ticket', 'export.family', 'export.children', 'export.language', 'export.started', 'export.ended',
    'export.minutes', 'export.teacherWill', 'export.familyWill', 'export.note',
  ];
  const rows = [header.map((k) => t(k))];
  // Oldest first, as the evening went.
  for (const c of [...view.finished].reverse()) {
    const lines = (who: 'teacher' | 'family') => c.commitments.filter((x) => x.who === who).map((x) => x.text).join('\n');
    rows.push([
      c.ticket, c.guardianName, c.children.join(', '), c.language, time(c.startedAt), time(c.endedAt),
      c.startedAt !== null && c.endedAt !== null ? String(Math.round((c.endedAt - c.startedAt) / 60_000)) : '',
      lines('teacher'), lines('family'), c.note,
    ]);
  }
  // A byte-order mark so spreadsheet programs read the file as UTF-8.
  return '\uFEFF' + rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/** Named after the day it is exported (the night's date where the school is). */
export function teacherExportFileName(view: TeacherView, now = Date.now()): string {
  const slug = view.teacher.name.normalize('NFD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
  return `conferences-${slug || view.teacher.id}-${localDate(now, view.night.timezone)}.csv`;
}

/** Hands the file to the browser as a download. */
export function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
