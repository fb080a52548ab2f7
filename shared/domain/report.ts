// The report the coordinator reads the day after: attendance, waits, teacher load, interpreter use,
// activities and commitments, and the CSV of every visit. Pure functions of the night's state, so
// the report after "delete personal data" is the same figures without the names.
import type { Commitment, NightState, Visit, VisitStatus } from './state';

export interface NightReport {
  night: { id: string; name: string; date: string; timezone: string; phase: string; purged: boolean };
  families: { invited: number; attended: number; walkIns: number; leftEarly: number };
  visits: { total: number; done: number; cancelled: number; noShows: number };
  waits: {
    count: number; medianMinutes: number | null; p90Minutes: number | null; maxMinutes: number | null; histogram: { label: string; count: number }[];
    /** How far the estimated start each family was given at check-in was from the real start, on average. */
    estimateErrorMinutes: number | null;
  };
  teachers: { id: string; name: string; conferences: number; conferenceMinutes: number; medianWaitMinutes: number | null; maxWaitMinutes: number | null; stillWaiting: number }[];
  interpreters: { id: string; name: string; conferences: number; minutes: number }[];
  languages: { language: string; families: number; withInterpreter: number }[];
  activities: { id: string; title: string; joins: number }[];
  commitments: { teacherName: string; ticket: string; commitments: Commitment[] }[];
}

const minutesOf = (ms: number) => Math.round(ms / 60_000);
const waitMs = (v: Visit) => (v.calledAt === null ? null : Math.max(0, v.calledAt - v.queuedAt));
const buckets = [[0, 5], [5, 10], [10, 15], [15, 20], [20, 30], [30, 45], [45, Infinity]] as const;

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function nightReport(state: NightState): NightReport | null {
  const setup = state.setup;
  if (!setup) return null;
  const visits = Object.values(state.visits).sort((a, b) => a.id.localeCompare(b.id));
  const waits = visits.map(waitMs).filter((w): w is number => w !== null).map((w) => w / 60_000).sort((a, b) => a - b);
  const round = (x: number | null) => (x === null ? null : Math.round(x));
  const teachers = Object.values(setup.teachers).map((t) => {
    const mine = visits.filter((v) => v.teacherId === t.id);
    const held = mine.filter((v) => v.status === 'done');
    const w = mine.map(waitMs).filter((x): x is number => x !== null).sort((a, b) => a - b);
    return {
      id: t.id, name: t.name, conferences: held.length,
      conferenceMinutes: minutesOf(held.reduce((sum, v) => sum + ((v.endedAt ?? 0) - (v.startedAt ?? 0)), 0)),
      medianWaitMinutes: w.length ? minutesOf(quantile(w, 0.5)!) : null, maxWaitMinutes: w.length ? minutesOf(w[w.length - 1]) : null,
      stillWaiting: mine.filter((v) => v.status === 'waiting').length,
    };
  });
  const interpreters = Object.values(setup.staff).map((s) => {
    const sat = visits.filter((v) => v.interpreterId === s.id && v.status === 'done');
    return { id: s.id, name: s.name, conferences: sat.length, minutes: minutesOf(sat.reduce((sum, v) => sum + ((v.endedAt ?? 0) - (v.startedAt ?? 0)), 0)) };
  }).filter((i) => i.conferences > 0);
  const languages = new Map<string, { families: number; withInterpreter: Set<string> }>();
  for (const c of Object.values(state.checkIns)) {
    const entry = languages.get(c.language) ?? { families: 0, withInterpreter: new Set<string>() };
    entry.families++;
    for (const id of c.visitIds) if (state.visits[id].interpreterId) entry.withInterpreter.add(c.familyId);
    languages.set(c.language, entry);
  }
  const checkIns = Object.values(state.checkIns);
  const estimateErrors = visits.filter((v) => v.promisedAt !== undefined && v.startedAt !== null).map((v) => Math.abs(v.startedAt! - v.promisedAt!));
  return {
    night: { id: setup.event.id, name: setup.event.name, date: setup.event.date, timezone: setup.event.timezone, phase: state.phase, purged: state.purgedAt !== undefined },
    families: {
      invited: Object.keys(setup.families).length, attended: checkIns.length,
      walkIns: checkIns.filter((c) => c.visitIds.every((id) => state.visits[id].bookedAt === null)).length,
      leftEarly: checkIns.filter((c) => c.leftAt !== null && c.visitIds.some((id) => state.visits[id].status === 'cancelled')).length,
    },
    visits: {
      total: visits.length, done: visits.filter((v) => v.status === 'done').length,
      cancelled: visits.filter((v) => v.status === 'cancelled').length, noShows: visits.reduce((n, v) => n + v.noShows, 0),
    },
    waits: {
      count: waits.length, medianMinutes: round(quantile(waits, 0.5)), p90Minutes: round(quantile(waits, 0.9)), maxMinutes: round(waits.at(-1) ?? null),
      histogram: buckets.map(([from, to]) => ({
        label: to === Infinity ? `${from}+` : `${from}–${to}`, count: waits.filter((w) => w >= from && w < to).length,
      })),
      estimateErrorMinutes: estimateErrors.length ? minutesOf(estimateErrors.reduce((a, b) => a + b, 0) / estimateErrors.length) : null,
    },
    teachers, interpreters,
    languages: [...languages].map(([language, e]) => ({ language, families: e.families, withInterpreter: e.withInterpreter.size })).sort((a, b) => b.families - a.families || a.language.localeCompare(b.language)),
    activities: setup.activities.map((a) => ({ id: a.id, title: a.title, joins: state.activityJoins?.[a.id] ?? 0 })),
    commitments: visits.filter((v) => v.commitments?.length).map((v) => ({
      teacherName: setup.teachers[v.teacherId]?.name ?? v.teacherId, ticket: state.checkIns[v.familyId]?.ticket ?? '', commitments: v.commitments!,
    })),
  };
}

// ---------- the CSV of every visit ----------

export const visitColumns = [
  'visit_id', 'family_id', 'ticket', 'teacher_id', 'status', 'booked_at', 'queued_at', 'called_at', 'started_at', 'ended_at',
  'wait_minutes', 'conference_minutes', 'interpreter_id', 'no_shows', 'moved_to_front_at',
] as const;

/** One row per visit, times in ISO 8601 (UTC, to the millisecond): no names, so it survives the purge unchanged. */
export interface VisitRow {
  visitId: string; familyId: string; ticket: string; teacherId: string; status: VisitStatus;
  bookedAt: number | null; queuedAt: number; calledAt: number | null; startedAt: number | null; endedAt: number | null;
  interpreterId: string | null; noShows: number; frontAt: number | null;
}

const iso = (t: number | null) => (t === null ? '' : new Date(t).toISOString());
const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function visitsCsv(state: NightState): string {
  const lines = [visitColumns.join(',')];
  for (const v of Object.values(state.visits).sort((a, b) => a.queuedAt - b.queuedAt || a.id.localeCompare(b.id))) {
    const wait = waitMs(v);
    const held = v.startedAt !== null && v.endedAt !== null ? v.endedAt - v.startedAt : null;
    lines.push([
      v.id, v.familyId, state.checkIns[v.familyId]?.ticket ?? '', v.teacherId, v.status, iso(v.bookedAt), iso(v.queuedAt),
      iso(v.calledAt), iso(v.startedAt), iso(v.endedAt), wait === null ? '' : (wait / 60_000).toFixed(1),
      held === null ? '' : (held / 60_000).toFixed(1), v.interpreterId ?? '', String(v.noShows), iso(v.frontAt ?? null),
    ].map(cell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Reads the CSV back (for tests and for anyone checking an export): the inverse of visitsCsv. */
export function visitRowsFromCsv(records: Record<(typeof visitColumns)[number], string>[]): VisitRow[] {
  const time = (s: string) => (s === '' ? null : Date.parse(s));
  return records.map((r) => ({
    visitId: r.visit_id, familyId: r.family_id, ticket: r.ticket, teacherId: r.teacher_id, status: r.status as VisitStatus,
    bookedAt: time(r.booked_at), queuedAt: time(r.queued_at)!, calledAt: time(r.called_at), startedAt: time(r.started_at),
    endedAt: time(r.ended_at), interpreterId: r.interpreter_id || null, noShows: Number(r.no_shows), frontAt: time(r.moved_to_front_at),
  }));
}
