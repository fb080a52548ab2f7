// The event bundle (../shared/FORMATS.md): a school's conference night as CSV files plus event.json.
// parseBundle validates every file with zod and every cross-reference before anything is used,
// and names the file, line and column of each problem in plain words.
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';

export const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 17:45');
const id = z.string().trim().min(1).max(40).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - or _');
const name = z.string().trim().min(1).max(120);
const languageCode = z.string().trim().regex(/^[a-z]{2}$/, 'a two-letter language code such as es');
const list = <T extends z.ZodType<string, string>>(item: T) =>
  z.string().transform((s) => s.split(';').map((x) => x.trim()).filter((x) => x.length > 0)).pipe(z.array(item).max(50));
const yesNo = z.enum(['y', 'n']).transform((v) => v === 'y');
const optionalTime = z.union([z.literal('').transform(() => null), localTime]);

export const eventInfoSchema = z.object({
  id,
  name,
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-11-19'),
  timezone: z.string().min(1).max(64).refine((tz) => {
    try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; }
  }, 'an IANA time zone such as America/Chicago'),
  opensAt: localTime,
  closesAt: localTime,
  slotMinutes: z.number().int().min(5).max(60),
  defaultLanguage: languageCode,
  walkMinutes: z.object({ sameZone: z.number().min(0).max(30), otherZone: z.number().min(0).max(30) }),
});

const rowSchemas = {
  'rooms.csv': z.object({ room_id: id, name, zone: z.string().trim().min(1).max(40) }),
  'teachers.csv': z.object({ teacher_id: id, name, room_id: id, languages: list(languageCode) }),
  'students.csv': z.object({
    student_id: id, first_name: name, last_name: name,
    grade: z.string().trim().min(1).max(10), teacher_ids: list(id),
  }),
  'families.csv': z.object({
    family_id: id, guardian_name: name,
    phone_last4: z.string().regex(/^\d{4}$/, 'four digits'),
    language: languageCode, student_ids: list(id), needs_escort: yesNo,
  }),
  'staff.csv': z.object({
    staff_id: id, name, role: z.enum(['translator', 'ambassador']), languages: list(languageCode),
  }),
  'activities.csv': z.object({
    activity_id: id, title: name, kind: z.enum(['tour', 'exhibit', 'performance', 'meal']),
    room_id: z.union([z.literal(''), id]), starts_at: optionalTime, ends_at: optionalTime,
    checklist: list(z.string().trim().min(1).max(120)),
  }),
  'appointments.csv': z.object({ family_id: id, teacher_id: id, starts_at: localTime }),
} as const;

type RowOf<F extends keyof typeof rowSchemas> = z.output<(typeof rowSchemas)[F]>;
export type BundleFileName = keyof typeof rowSchemas | 'event.json';
export const requiredFiles = ['event.json', 'rooms.csv', 'teachers.csv', 'students.csv', 'families.csv', 'staff.csv'] as const;
export const optionalFiles = ['activities.csv', 'appointments.csv'] as const;

export type EventInfo = z.output<typeof eventInfoSchema>;
export interface Room { id: string; name: string; zone: string }
export interface Teacher { id: string; name: string; roomId: string; languages: string[] }
export interface Student { id: string; firstName: string; lastName: string; grade: string; teacherIds: string[] }
export interface Family {
  id: string; guardianName: string; phoneLast4: string; language: string; studentIds: string[]; needsEscort: boolean;
}
export interface Staff { id: string; name: string; role: 'translator' | 'ambassador'; languages: string[] }
export interface Activity {
  id: string; title: string; kind: 'tour' | 'exhibit' | 'performance' | 'meal';
  roomId: string | null; startsAt: string | null; endsAt: string | null; checklist: string[];
}
export interface Appointment { familyId: string; teacherId: string; startsAt: string }

/** Everything the school knows before the night begins: the setup every other part reads. */
export interface Bundle {
  event: EventInfo;
  rooms: Record<string, Room>;
  teachers: Record<string, Teacher>;
  students: Record<string, Student>;
  families: Record<string, Family>;
  staff: Record<string, Staff>;
  activities: Activity[];
  appointments: Appointment[];
}

export type BundleResult = { ok: true; bundle: Bundle } | { ok: false; errors: string[] };

const maxErrors = 50;

/** Parses and checks a bundle given as file name → file text. Pure: no file system. */
export function parseBundle(files: Record<string, string>): BundleResult {
  const errors: string[] = [];
  for (const f of requiredFiles) if (files[f] === undefined) errors.push(`${f} is missing from the bundle.`);
  if (errors.length) return { ok: false, errors };

  let event: EventInfo | undefined;
  try {
    const parsed = eventInfoSchema.safeParse(JSON.parse(stripBom(files['event.json'])));
    if (parsed.success) event = parsed.data;
    else for (const issue of parsed.error.issues) errors.push(`event.json: ${issue.path.join('.') || 'file'}: ${issue.message}`);
  } catch (e) {
    errors.push(`event.json is not valid JSON (${(e as Error).message}).`);
  }

  const rows = <F extends keyof typeof rowSchemas>(file: F): { line: number; row: RowOf<F> }[] => {
    const text = files[file];
    if (text === undefined) return [];
    return parseRows(file, text, rowSchemas[file], errors) as { line: number; row: RowOf<F> }[];
  };
  const rooms = rows('rooms.csv');
  const teachers = rows('teachers.csv');
  const students = rows('students.csv');
  const families = rows('families.csv');
  const staff = rows('staff.csv');
  const activities = rows('activities.csv');
  const appointments = rows('appointments.csv');
  if (errors.length || !event) return { ok: false, errors: errors.slice(0, maxErrors) };

  const bundle: Bundle = {
    event, rooms: {}, teachers: {}, students: {}, families: {}, staff: {}, activities: [], appointments: [],
  };
  const unique = <T>(file: string, col: string, target: Record<string, T>, key: string, line: number, value: T) => {
    if (key in target) errors.push(`${file} line ${line}, column ${col}: ${key} appears twice.`);
    else target[key] = value;
  };
  for (const { line, row } of rooms) unique('rooms.csv', 'room_id', bundle.rooms, row.room_id, line, { id: row.room_id, name: row.name, zone: row.zone });
  if (!bundle.rooms.LOBBY) errors.push('rooms.csv: the front desk room LOBBY is missing.');
  for (const { line, row } of teachers) {
    if (!bundle.rooms[row.room_id]) errors.push(`teachers.csv line ${line}, column room_id: room ${row.room_id} is not in rooms.csv.`);
    unique('teachers.csv', 'teacher_id', bundle.teachers, row.teacher_id, line, { id: row.teacher_id, name: row.name, roomId: row.room_id, languages: row.languages });
  }
  for (const { line, row } of students) {
    for (const t of row.teacher_ids) if (!bundle.teachers[t]) errors.push(`students.csv line ${line}, column teacher_ids: teacher ${t} is not in teachers.csv.`);
    unique('students.csv', 'student_id', bundle.students, row.student_id, line, {
      id: row.student_id, firstName: row.first_name, lastName: row.last_name, grade: row.grade, teacherIds: row.teacher_ids,
    });
  }
  for (const { line, row } of families) {
    for (const s of row.student_ids) if (!bundle.students[s]) errors.push(`families.csv line ${line}, column student_ids: student ${s} is not in students.csv.`);
    unique('families.csv', 'family_id', bundle.families, row.family_id, line, {
      id: row.family_id, guardianName: row.guardian_name, phoneLast4: row.phone_last4,
      language: row.language, studentIds: row.student_ids, needsEscort: row.needs_escort,
    });
  }
  for (const { line, row } of staff) unique('staff.csv', 'staff_id', bundle.staff, row.staff_id, line, { id: row.staff_id, name: row.name, role: row.role, languages: row.languages });
  const activityIds = new Set<string>();
  for (const { line, row } of activities) {
    if (activityIds.has(row.activity_id)) errors.push(`activities.csv line ${line}, column activity_id: ${row.activity_id} appears twice.`);
    activityIds.add(row.activity_id);
    if (row.room_id && !bundle.rooms[row.room_id]) errors.push(`activities.csv line ${line}, column room_id: room ${row.room_id} is not in rooms.csv.`);
    bundle.activities.push({
      id: row.activity_id, title: row.title, kind: row.kind, roomId: row.room_id || null,
      startsAt: row.starts_at, endsAt: row.ends_at, checklist: row.checklist,
    });
  }
  const booked = new Set<string>();
  for (const { line, row } of appointments) {
    if (!bundle.families[row.family_id]) errors.push(`appointments.csv line ${line}, column family_id: family ${row.family_id} is not in families.csv.`);
    if (!bundle.teachers[row.teacher_id]) errors.push(`appointments.csv line ${line}, column teacher_id: teacher ${row.teacher_id} is not in teachers.csv.`);
    const key = `${row.family_id}/${row.teacher_id}`;
    if (booked.has(key)) errors.push(`appointments.csv line ${line}: family ${row.family_id} is booked with ${row.teacher_id} twice.`);
    booked.add(key);
    bundle.appointments.push({ familyId: row.family_id, teacherId: row.teacher_id, startsAt: row.starts_at });
  }
  if (event.opensAt >= event.closesAt) errors.push('event.json: closesAt must be after opensAt.');
  return errors.length ? { ok: false, errors: errors.slice(0, maxErrors) } : { ok: true, bundle };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseRows(file: string, text: string, schema: z.ZodObject, errors: string[]): { line: number; row: unknown }[] {
  let records: { info: { lines: number }; record: Record<string, string> }[];
  try {
    records = parseCsv(stripBom(text), { columns: true, info: true, skip_empty_lines: true, trim: false }) as typeof records;
  } catch (e) {
    errors.push(`${file}: ${(e as Error).message}`);
    return [];
  }
  const header = parseCsv(stripBom(text), { to_line: 1 })[0] as string[] | undefined;
  const expected = Object.keys(schema.shape);
  const missing = expected.filter((c) => !header?.includes(c));
  if (missing.length) {
    errors.push(`${file} line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
    return [];
  }
  const out: { line: number; row: unknown }[] = [];
  for (const { info, record } of records) {
    const parsed = schema.safeParse(record);
    if (parsed.success) out.push({ line: info.lines, row: parsed.data });
    else for (const issue of parsed.error.issues) {
      errors.push(`${file} line ${info.lines}, column ${issue.path.join('.')}: ${issue.message} (found "${String(record[String(issue.path[0])] ?? '').slice(0, 40)}").`);
      if (errors.length > maxErrors) return out;
    }
  }
  return out;
}
