// Bundles for tests: a builder for small hand-made nights, and a seeded generator of random but
// valid nights (bundle + simulator inputs) for property tests. Same seed, same night.
import type { Bundle, Family, Room, Staff, Student, Teacher } from '../../shared/bundle';
import { localToEpoch, minute } from '../../shared/clock';
import { teachersOfFamily } from '../../shared/domain/decide';
import type { NightInputs } from '../../server/sim/simulate';
import { mulberry32 } from '../../shared/random';

/** A seeded generator of numbers in [0, 1): the same seed, the same night. */
export const seededRandom = (seed: number) => mulberry32((seed * 2654435761) >>> 0);

class Dice {
  constructor(readonly random: () => number) {}
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.random() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.random() < p; }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.random() * items.length)]; }
  /** k distinct items. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, Math.min(k, copy.length));
  }
}

// ---------- building a bundle by hand ----------

export interface BundleSpec {
  event?: Partial<Bundle['event']>;
  /** zone → room ids; LOBBY (zone 'lobby') is always added. */
  zones?: Record<string, string[]>;
  teachers: { id: string; roomId: string; languages?: string[]; name?: string }[];
  /** One student per teacher listed, unless `students` says otherwise. */
  families: { id: string; teacherIds: string[]; language?: string; needsEscort?: boolean; guardianName?: string }[];
  staff?: { id: string; role?: Staff['role']; languages?: string[] }[];
  appointments?: { familyId: string; teacherId: string; startsAt: string }[];
}

export const defaultEvent: Bundle['event'] = {
  id: 'test-night', name: 'Test Night', date: '2026-11-19', timezone: 'America/Chicago',
  opensAt: '17:00', closesAt: '20:00', slotMinutes: 15, defaultLanguage: 'en',
  walkMinutes: { sameZone: 1, otherZone: 3 },
};

/** A bundle from a short description: each family gets one child per teacher listed. */
export function buildBundle(spec: BundleSpec): Bundle {
  const rooms: Record<string, Room> = { LOBBY: { id: 'LOBBY', name: 'Front desk', zone: 'lobby' } };
  const zones = spec.zones ?? { A: spec.teachers.map((t) => t.roomId) };
  for (const [zone, ids] of Object.entries(zones)) for (const id of ids) rooms[id] = { id, name: `Room ${id}`, zone };
  const teachers: Record<string, Teacher> = {};
  for (const t of spec.teachers) {
    if (!rooms[t.roomId]) throw new Error(`buildBundle: room ${t.roomId} of ${t.id} is in no zone`);
    teachers[t.id] = { id: t.id, name: t.name ?? `Teacher ${t.id}`, roomId: t.roomId, languages: t.languages ?? ['en'] };
  }
  const students: Record<string, Student> = {};
  const families: Record<string, Family> = {};
  let phone = 1000;
  for (const f of spec.families) {
    const lastName = f.guardianName?.split(' ').at(-1) ?? `Family${f.id}`;
    const studentIds = f.teacherIds.map((teacherId, i) => {
      const id = `${f.id}-S${i + 1}`;
      students[id] = { id, firstName: `Kid${i + 1}`, lastName, grade: '3', teacherIds: [teacherId] };
      return id;
    });
    families[f.id] = {
      id: f.id, guardianName: f.guardianName ?? `Pat ${lastName}`, phoneLast4: String(phone++),
      language: f.language ?? 'en', studentIds, needsEscort: f.needsEscort ?? false,
    };
  }
  const staff: Record<string, Staff> = {};
  for (const s of spec.staff ?? []) {
    staff[s.id] = { id: s.id, name: `Staff ${s.id}`, role: s.role ?? 'translator', languages: s.languages ?? ['en'] };
  }
  return {
    event: { ...defaultEvent, ...spec.event }, rooms, teachers, students, families, staff,
    activities: [], appointments: spec.appointments ?? [],
  };
}

// ---------- random nights ----------

export interface GeneratedNight {
  seed: number;
  bundle: Bundle;
  inputs: NightInputs;
}

const firstNames = ['Ana', 'Bao', 'Chen', 'Dara', 'Eli', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kai', 'Linh', 'Mia', 'Noah', 'Omar', 'Pia'];
const lastNames = ['Garcia', 'Nguyen', 'Smith', 'Tran', 'Lopez', 'Jones', 'Pham', 'Reyes', 'Brown', 'Vo', 'Diaz', 'Clark', 'Le', 'Ortiz'];
const two = (n: number) => String(n).padStart(2, '0');

/**
 * A random but valid night:
 *  - 2–3 zones plus LOBBY (zone 'lobby'); 3–12 teachers, one room each, about a third also speak es;
 *  - 5–40 families speaking en, es or vi, 1–3 children, each child with 1–2 of the teachers;
 *  - one or more translators for each of es and vi (often exactly one: scarcity), 1–2 ambassadors;
 *  - some booked appointments at HH:MM in the first two hours, some families asking for an escort;
 *  - inputs: most families come, within the first two hours (booked ones a little before their
 *    first slot, now and then late), every conference 5–20 whole minutes.
 */
export function generateNight(seed: number): GeneratedNight {
  const d = new Dice(seededRandom(seed));
  const slotMinutes = d.pick([10, 15]);
  const event: Bundle['event'] = {
    ...defaultEvent, id: `random-${seed}`, name: `Random night ${seed}`, slotMinutes,
    walkMinutes: { sameZone: d.pick([0, 1]), otherZone: d.int(2, 4) },
  };
  const open = localToEpoch(event.date, event.opensAt, event.timezone);

  const zoneNames = ['A', 'B', 'C'].slice(0, d.int(2, 3));
  const rooms: Record<string, Room> = {
    LOBBY: { id: 'LOBBY', name: 'Front desk', zone: 'lobby' },
    GYM: { id: 'GYM', name: 'Gym', zone: 'lobby' },
  };
  const teacherCount = d.int(3, 12);
  const teachers: Record<string, Teacher> = {};
  for (let i = 0; i < teacherCount; i++) {
    const zone = zoneNames[i % zoneNames.length];
    const roomId = `${zone}${101 + Math.floor(i / zoneNames.length)}`;
    rooms[roomId] = { id: roomId, name: `Room ${roomId}`, zone };
    const id = `T${two(i + 1)}`;
    teachers[id] = { id, name: `${d.pick(['Ms.', 'Mr.', 'Dr.', 'Mx.'])} ${d.pick(lastNames)}`, roomId, languages: d.chance(0.3) ? ['en', 'es'] : ['en'] };
  }
  const teacherIds = Object.keys(teachers);

  const familyCount = d.int(5, 40);
  const students: Record<string, Student> = {};
  const families: Record<string, Family> = {};
  let studentNo = 0;
  for (let i = 0; i < familyCount; i++) {
    const id = `F${two(i + 1)}`;
    const lastName = d.pick(lastNames);
    const roll = d.random();
    const language = roll < 0.55 ? 'en' : roll < 0.85 ? 'es' : 'vi';
    const studentIds: string[] = [];
    for (let k = d.pick([1, 1, 1, 2, 2, 3]); k > 0; k--) {
      const sid = `S${String(++studentNo).padStart(3, '0')}`;
      students[sid] = {
        id: sid, firstName: d.pick(firstNames), lastName, grade: String(d.int(1, 8)),
        teacherIds: d.sample(teacherIds, d.chance(0.7) ? 1 : 2),
      };
      studentIds.push(sid);
    }
    families[id] = {
      id, guardianName: `${d.pick(firstNames)} ${lastName}`, phoneLast4: String(d.int(1000, 9999)),
      language, studentIds, needsEscort: d.chance(0.15),
    };
  }

  const staff: Record<string, Staff> = {};
  let staffNo = 0;
  for (const language of ['es', 'vi']) {
    for (let k = d.chance(0.4) ? 1 : d.int(2, 3); k > 0; k--) {
      const id = `X${two(++staffNo)}`;
      staff[id] = { id, name: `${d.pick(firstNames)} ${d.pick(lastNames)}`, role: 'translator', languages: ['en', language] };
    }
  }
  for (let k = d.int(1, 2), n = 1; n <= k; n++) {
    const id = `A${two(n)}`;
    staff[id] = { id, name: `${d.pick(firstNames)} ${d.pick(lastNames)}`, role: 'ambassador', languages: d.chance(0.2) ? ['en', 'es'] : ['en'] };
  }

  // Booked slots: on the slot grid in the first two hours, one family per teacher and slot, a
  // family's slots at least two slots apart.
  const bundleSoFar = { event, rooms, teachers, students, families, staff, activities: [], appointments: [] } as Bundle;
  const appointments: Bundle['appointments'] = [];
  const takenSlots = new Set<string>();
  const slotsPerTwoHours = Math.floor(120 / slotMinutes);
  for (const family of Object.values(families)) {
    if (!d.chance(0.3)) continue;
    const own = [...teachersOfFamily(bundleSoFar, family.id).keys()];
    const mine: number[] = [];
    for (const teacherId of d.sample(own, d.chance(0.7) ? 1 : 2)) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const k = d.int(1, slotsPerTwoHours - 1);
        if (takenSlots.has(`${teacherId}@${k}`) || mine.some((m) => Math.abs(m - k) < 2)) continue;
        takenSlots.add(`${teacherId}@${k}`);
        mine.push(k);
        const minutes = 17 * 60 + k * slotMinutes;
        appointments.push({ familyId: family.id, teacherId, startsAt: `${two(Math.floor(minutes / 60))}:${two(minutes % 60)}` });
        break;
      }
    }
  }
  const bundle: Bundle = { ...bundleSoFar, appointments };

  // Who comes, when, and how long each conference really lasts.
  const arrivals: NightInputs['arrivals'] = new Map();
  const visits: NightInputs['visits'] = new Map();
  const firstSlot = new Map<string, number>();
  for (const a of appointments) {
    const at = localToEpoch(event.date, a.startsAt, event.timezone);
    firstSlot.set(a.familyId, Math.min(firstSlot.get(a.familyId) ?? Infinity, at));
  }
  for (const family of Object.values(families)) {
    if (d.chance(0.12)) continue; // stays home
    const own = d.sample([...teachersOfFamily(bundle, family.id).keys()], 99);
    visits.set(family.id, own.map((teacherId) => ({ teacherId, durationMs: d.int(5, 20) * minute })));
    const slot = firstSlot.get(family.id);
    const at = slot === undefined ? open + d.int(0, 119) * minute
      : d.chance(0.15) ? slot + d.int(1, 15) * minute // late for their slot
        : slot - d.int(0, 25) * minute;
    arrivals.set(family.id, Math.min(open + 119 * minute, Math.max(open, at)));
  }
  return { seed, bundle, inputs: { arrivals, visits } };
}

// ---------- to files (for parseBundle and the judge) ----------

const csv = (header: string[], rows: (string | number)[][]) =>
  [header.join(','), ...rows.map((r) => r.map((x) => (/[",\n]/.test(String(x)) ? `"${String(x).replace(/"/g, '""')}"` : String(x))).join(','))].join('\n') + '\n';

/** The bundle as the files of a bundle folder; with inputs, also arrivals.csv and durations.csv. */
export function bundleFiles(bundle: Bundle, inputs?: NightInputs): Record<string, string> {
  const files: Record<string, string> = {
    'event.json': JSON.stringify(bundle.event, null, 2),
    'rooms.csv': csv(['room_id', 'name', 'zone'], Object.values(bundle.rooms).map((r) => [r.id, r.name, r.zone])),
    'teachers.csv': csv(['teacher_id', 'name', 'room_id', 'languages'], Object.values(bundle.teachers).map((t) => [t.id, t.name, t.roomId, t.languages.join(';')])),
    'students.csv': csv(['student_id', 'first_name', 'last_name', 'grade', 'teacher_ids'], Object.values(bundle.students).map((s) => [s.id, s.firstName, s.lastName, s.grade, s.teacherIds.join(';')])),
    'families.csv': csv(['family_id', 'guardian_name', 'phone_last4', 'language', 'student_ids', 'needs_escort'], Object.values(bundle.families).map((f) => [f.id, f.guardianName, f.phoneLast4, f.language, f.studentIds.join(';'), f.needsEscort ? 'y' : 'n'])),
    'staff.csv': csv(['staff_id', 'name', 'role', 'languages'], Object.values(bundle.staff).map((s) => [s.id, s.name, s.role, s.languages.join(';')])),
    'appointments.csv': csv(['family_id', 'teacher_id', 'starts_at'], bundle.appointments.map((a) => [a.familyId, a.teacherId, a.startsAt])),
  };
  if (inputs) {
    const local = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: bundle.event.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    files['arrivals.csv'] = csv(['family_id', 'arrives_at'], [...inputs.arrivals].map(([f, at]) => [f, local(at)]));
    files['durations.csv'] = csv(['family_id', 'teacher_id', 'minutes'], [...inputs.visits].flatMap(([f, list]) => list.map((v) => [f, v.teacherId, v.durationMs / minute])));
  }
  return files;
}
