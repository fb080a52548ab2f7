// What the simulator needs beyond the bundle: when each family arrives and how long each of their
// conferences lasts. Read from arrivals.csv and durations.csv, or sampled from a realistic evening.
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import type { Bundle } from '../../shared/bundle';
import { localToEpoch, minute } from '../../shared/clock';
import { teachersOfFamily } from '../../shared/domain/decide';
import type { NightInputs } from './simulate';
import { mulberry32 } from '../../shared/random';

const time = z.string().regex(/^\d{1,2}:\d{2}(:\d{2})?$/);
const arrivalRow = z.object({ family_id: z.string().min(1), arrives_at: time });
const durationRow = z.object({ family_id: z.string().min(1), teacher_id: z.string().min(1), minutes: z.coerce.number().positive().max(120) });

export function nightInputs(bundle: Bundle, files: Record<string, string>, seed = 1): NightInputs {
  const random = mulberry32(seed * 7919 + 17);
  const { date, timezone, opensAt, closesAt, slotMinutes } = bundle.event;
  const at = (hhmm: string) => localToEpoch(date, hhmm, timezone);
  const rows = <T>(text: string, schema: z.ZodType<T>, file: string): T[] =>
    (parseCsv(text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true }) as unknown[]).map((r, i) => {
      const parsed = schema.safeParse(r);
      if (!parsed.success) throw new Error(`${file} line ${i + 2}: ${parsed.error.issues[0].message}`);
      return parsed.data;
    });

  const visits: NightInputs['visits'] = new Map();
  if (files['durations.csv']) {
    for (const r of rows(files['durations.csv'], durationRow, 'durations.csv')) {
      if (!bundle.families[r.family_id] || !bundle.teachers[r.teacher_id]) throw new Error(`durations.csv names unknown ${r.family_id}/${r.teacher_id}`);
      const list = visits.get(r.family_id) ?? [];
      list.push({ teacherId: r.teacher_id, durationMs: r.minutes * minute });
      visits.set(r.family_id, list);
    }
  } else {
    // Sampled: about four families in five come; each sees all their children's teachers; conferences
    // run around the slot length (a little shorter on average, sometimes well over).
    for (const family of Object.values(bundle.families)) {
      if (random() > 0.8) continue;
      const teachers = [...teachersOfFamily(bundle, family.id).keys()];
      visits.set(family.id, teachers.map((teacherId) => ({
        teacherId, durationMs: Math.round(Math.max(4, Math.min(slotMinutes * 1.8, slotMinutes * (0.8 + 0.35 * gaussian(random))))) * minute,
      })));
    }
  }

  const arrivals: NightInputs['arrivals'] = new Map();
  if (files['arrivals.csv']) {
    for (const r of rows(files['arrivals.csv'], arrivalRow, 'arrivals.csv')) arrivals.set(r.family_id, at(r.arrives_at));
  } else {
    // Sampled: booked families come 5 to 25 minutes before their first slot; walk-ins through the
    // first two thirds of the evening, busiest in the first hour.
    const open = at(opensAt);
    const span = (at(closesAt) - open) * (2 / 3);
    const firstSlot = new Map<string, number>();
    for (const a of bundle.appointments) firstSlot.set(a.familyId, Math.min(firstSlot.get(a.familyId) ?? Infinity, at(a.startsAt)));
    for (const familyId of visits.keys()) {
      const slot = firstSlot.get(familyId);
      const t = slot !== undefined ? slot - (5 + random() * 20) * minute : open + span * Math.pow(random(), 1.4);
      arrivals.set(familyId, Math.max(open, Math.round(t / minute) * minute));
    }
  }
  for (const familyId of [...visits.keys()]) if (!arrivals.has(familyId)) visits.delete(familyId);
  return { arrivals, visits };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
