// What the coordinator watches during the night: alerts, each with the override that fixes it, and
// the overview figures. Pure functions of the state at the night's clock, like every projection;
// `alertDueAt` tells the server's tick when the clock must move for a new alert to show.
import type { Bundle } from '../bundle';
import { minute } from '../clock';
import { estimatedStart } from './queue';
import { liveIndex } from './live-index';
import { expectedConferenceMs, familyBusyWith, needsInterpreter } from './routing';
import type { NightState, Visit } from './state';
import { keysOf, valuesOf } from './records';

export const longWaitMs = 30 * minute;
export const overTimeMs = 10 * minute;
export const interpreterHorizonMs = 20 * minute;

export type Alert =
  /** A family free and waiting for half an hour: move them to the front of their shortest line. */
  | { kind: 'longWait'; id: string; familyId: string; ticket: string; guardianName: string; minutes: number; visitId: string; teacherName: string }
  /** A conference ten minutes over its slot: tell the families behind that the teacher runs late. */
  | { kind: 'teacherOver'; id: string; teacherId: string; teacherName: string; roomName: string; minutesOver: number }
  /**
   * An escort or an interpretation nobody accepted: give it to someone free (an ambassador; for an
   * interpretation, anyone free who speaks the family's language).
   */
  | {
      kind: 'unassignedTask'; id: string; taskId: string; ticket: string; fromRoomName: string; toRoomName: string;
      interpretation: { visitId: string; language: string } | null; freeStaff: { id: string; name: string }[];
    }
  /** Families waiting for an interpreter of a language nobody can cover for 20 minutes: bring someone back from a break. */
  | { kind: 'noInterpreter'; id: string; language: string; families: number; onBreak: { id: string; name: string }[] };

/** Waiting families who are free (not called, not out, not gone), with since when, in no particular order. */
function freeWaitingFamilies(state: NightState): { familyId: string; since: number; visits: Visit[] }[] {
  // From the engine's index of waiting visits (built once per state), not from every visit of the night.
  const byFamily = new Map<string, Visit[]>();
  for (const waiting of liveIndex(state).waitingByTeacher.values()) {
    for (const v of waiting) {
      const list = byFamily.get(v.familyId);
      if (list) list.push(v);
      else byFamily.set(v.familyId, [v]);
    }
  }
  const out: { familyId: string; since: number; visits: Visit[] }[] = [];
  for (const [familyId, visits] of byFamily) {
    const c = state.checkIns[familyId];
    if (!c || c.leftAt !== null || c.steppedOutUntil !== null || familyBusyWith(state, familyId)) continue;
    out.push({ familyId, since: c.freeSince, visits });
  }
  return out;
}

const overBy = (state: NightState, visit: Visit, now: number) =>
  now - (visit.startedAt ?? now) - state.setup!.event.slotMinutes * minute;

export function alerts(state: NightState): Alert[] {
  const setup = state.setup;
  if (!setup || state.phase !== 'open') return [];
  const now = state.clock;
  const out: Alert[] = [];
  // In the order the families checked in.
  const waiting = freeWaitingFamilies(state).sort((a, b) => state.checkIns[a.familyId].at - state.checkIns[b.familyId].at || a.familyId.localeCompare(b.familyId));
  for (const f of waiting) {
    if (now - f.since < longWaitMs || f.visits.some((v) => v.frontAt !== undefined)) continue;
    // The line the family is expected to reach first is the one whose front they go to.
    const soonest = [...f.visits].sort((a, b) => (estimatedStart(state, a.id) ?? Infinity) - (estimatedStart(state, b.id) ?? Infinity) || a.id.localeCompare(b.id))[0];
    out.push({
      kind: 'longWait', id: `wait:${f.familyId}`, familyId: f.familyId, ticket: state.checkIns[f.familyId].ticket,
      guardianName: setup.families[f.familyId].guardianName, minutes: Math.floor((now - f.since) / minute),
      visitId: soonest.id, teacherName: setup.teachers[soonest.teacherId].name,
    });
  }
  for (const teacherId of keysOf(state.teachers)) {
    const t = state.teachers[teacherId];
    const visit = t.conferenceVisitId ? state.visits[t.conferenceVisitId] : null;
    if (!visit || overBy(state, visit, now) < overTimeMs || (t.lateUntil !== null && t.lateUntil > now)) continue;
    out.push({
      kind: 'teacherOver', id: `over:${teacherId}`, teacherId, teacherName: setup.teachers[teacherId].name,
      roomName: setup.rooms[setup.teachers[teacherId].roomId]?.name ?? '', minutesOver: Math.floor(overBy(state, visit, now) / minute),
    });
  }
  const freeAmbassadors = availableStaff(state, setup).filter((s) => s.role === 'ambassador');
  for (const task of valuesOf(state.tasks)) {
    if (task.status !== 'unassigned') continue;
    const language = task.kind === 'interpret' ? state.checkIns[task.familyId]?.language ?? null : null;
    out.push({
      kind: 'unassignedTask', id: `task:${task.id}`, taskId: task.id, ticket: state.checkIns[task.familyId]?.ticket ?? '',
      fromRoomName: setup.rooms[task.fromRoomId]?.name ?? task.fromRoomId, toRoomName: setup.rooms[task.toRoomId]?.name ?? task.toRoomId,
      interpretation: language ? { visitId: task.visitId, language } : null,
      freeStaff: (language ? availableStaff(state, setup).filter((s) => s.languages.includes(language)) : freeAmbassadors).map(({ id, name }) => ({ id, name })),
    });
  }
  out.push(...interpreterGaps(state, setup, now));
  return out;
}

/** Staff who are available and neither on an assignment nor sitting in a conference. */
function availableStaff(state: NightState, setup: Bundle): Bundle['staff'][string][] {
  const busy = new Set<string>();
  for (const t of valuesOf(state.tasks)) if (t.staffId && (t.status === 'offered' || t.status === 'accepted')) busy.add(t.staffId);
  for (const v of valuesOf(state.visits)) if (v.interpreterId && (v.status === 'called' || v.status === 'inConference')) busy.add(v.interpreterId);
  return Object.values(setup.staff).filter((s) => state.staff[s.id]?.status === 'available' && !busy.has(s.id));
}

/** Languages that waiting families need an interpreter for and nobody can cover within 20 minutes. */
function interpreterGaps(state: NightState, setup: Bundle, now: number): Alert[] {
  const needing = new Map<string, Set<string>>();
  for (const f of freeWaitingFamilies(state)) {
    for (const v of f.visits) {
      if (!needsInterpreter(state, v)) continue;
      const language = state.checkIns[v.familyId].language;
      if (!needing.has(language)) needing.set(language, new Set());
      needing.get(language)!.add(v.familyId);
    }
  }
  const freeAt = new Map<string, number>();
  for (const [id, s] of Object.entries(state.staff)) if (s.status === 'available') freeAt.set(id, now);
  for (const v of valuesOf(state.visits)) {
    if (!v.interpreterId || !freeAt.has(v.interpreterId)) continue;
    if (v.status === 'called') freeAt.set(v.interpreterId, Math.max(freeAt.get(v.interpreterId)!, now + expectedConferenceMs(state)));
    if (v.status === 'inConference') freeAt.set(v.interpreterId, Math.max(freeAt.get(v.interpreterId)!, (v.startedAt ?? now) + expectedConferenceMs(state)));
  }
  const out: Alert[] = [];
  for (const [language, families] of [...needing].sort(([a], [b]) => a.localeCompare(b))) {
    const speakers = Object.values(setup.staff).filter((s) => s.languages.includes(language));
    if (speakers.some((s) => (freeAt.get(s.id) ?? Infinity) <= now + interpreterHorizonMs)) continue;
    out.push({
      kind: 'noInterpreter', id: `lang:${language}`, language, families: families.size,
      onBreak: speakers.filter((s) => state.staff[s.id]?.status !== 'available').map((s) => ({ id: s.id, name: s.name })),
    });
  }
  return out;
}

/**
 * The next moment after the night's clock at which a time-based alert starts (a family reaching 30
 * minutes, a conference 10 minutes over, a late teacher's grace ending), or null.
 */
export function alertDueAt(state: NightState): number | null {
  let due = dueAt.get(state);
  if (due === undefined) dueAt.set(state, (due = nextAlertAt(state)));
  return due;
}
/** The server's and the simulator's ticks ask this of the same state again and again. */
const dueAt = new WeakMap<NightState, number | null>();

function nextAlertAt(state: NightState): number | null {
  if (!state.setup || state.phase !== 'open') return null;
  let due = Infinity;
  const consider = (t: number) => { if (t > state.clock && t < due) due = t; };
  for (const f of freeWaitingFamilies(state)) if (!f.visits.some((v) => v.frontAt !== undefined)) consider(f.since + longWaitMs);
  const slotMs = state.setup.event.slotMinutes * minute;
  for (const t of valuesOf(state.teachers)) {
    const visit = t.conferenceVisitId ? state.visits[t.conferenceVisitId] : null;
    if (visit?.startedAt == null) continue;
    const over = visit.startedAt + slotMs + overTimeMs;
    consider(t.lateUntil !== null && t.lateUntil > over ? t.lateUntil : over);
  }
  return due === Infinity ? null : due;
}
