// What each role may see: one pure function of the night's state per role. Privacy is enforced here,
// because these views are the only data that ever leaves the server for a client.
import type { Bundle } from '../bundle';
import type { Actor } from '../protocol';
import { estimatedStart, proposalFor, teacherLine } from './queue';
import { expectedConferenceMs, familyBusyWith, type ProposalReason } from './routing';
import type { NightPhase, NightState, Visit, VisitStatus } from './state';

export interface NightInfo {
  id: string; name: string; phase: NightPhase; timezone: string; slotMinutes: number; clock: number;
}

export type Whereabouts =
  | { kind: 'lobby' }
  | { kind: 'called'; teacherName: string; roomName: string }
  | { kind: 'withTeacher'; teacherName: string; roomName: string; until: number | null }
  | { kind: 'steppedOut'; until: number };

export interface TeacherLineEntry {
  visitId: string; ticket: string; guardianName: string; children: string[]; language: string;
  needsInterpreter: boolean; bookedAt: number | null; queuedAt: number; status: VisitStatus;
  calledAt: number | null; startedAt: number | null; estimatedStart: number | null; whereabouts: Whereabouts;
}
export interface TeacherView {
  role: 'teacher'; night: NightInfo;
  teacher: { id: string; name: string; roomName: string; breakUntil: number | null; lateUntil: number | null };
  /** The family called and on their way. */
  called: TeacherLineEntry | null;
  /** The conference in progress. */
  conference: TeacherLineEntry | null;
  line: TeacherLineEntry[];
  proposal: { visitId: string; reason: ProposalReason; callAt: number } | null;
  seenCount: number;
}
export interface BoardCall { ticket: string; teacherName: string; roomName: string; calledAt: number; status: VisitStatus }
export interface BoardView { role: 'board'; night: NightInfo; calls: BoardCall[]; typicalWaitMinutes: number | null }
export interface FamilyVisitView {
  visitId: string; teacherName: string; roomName: string; status: VisitStatus; position: number | null;
  estimatedStart: number | null; calledAt: number | null; startedAt: number | null; endedAt: number | null;
}
export interface FamilyView {
  role: 'family'; night: NightInfo;
  family: { ticket: string | null; guardianFirstName: string; language: string; checkedIn: boolean };
  visits: FamilyVisitView[];
}
export interface KioskView { role: 'kiosk'; night: NightInfo }
export interface CoordinatorView {
  role: 'coordinator'; night: NightInfo;
  counts: { invited: number; checkedIn: number; waiting: number; inConference: number; done: number };
  teachers: { id: string; name: string; roomName: string; lineLength: number; conference: { ticket: string; since: number } | null; called: { ticket: string; since: number } | null }[];
}
export interface StaffView { role: 'staff'; night: NightInfo; staff: { id: string; name: string; role: string } }
export type View = TeacherView | BoardView | FamilyView | KioskView | CoordinatorView | StaffView;

const boardLength = 12;

export function viewFor(state: NightState, audience: Actor): View | null {
  const setup = state.setup;
  if (!setup) return null;
  const night = nightInfo(state, setup);
  switch (audience.role) {
    case 'kiosk': return { role: 'kiosk', night };
    case 'board': return boardView(state, setup, night);
    case 'teacher': return setup.teachers[audience.id] ? teacherView(state, setup, night, audience.id) : null;
    case 'family': return setup.families[audience.id] ? familyView(state, setup, night, audience.id) : null;
    case 'coordinator': return coordinatorView(state, setup, night);
    case 'staff': {
      const s = setup.staff[audience.id];
      return s ? { role: 'staff', night, staff: { id: s.id, name: s.name, role: s.role } } : null;
    }
    case 'system': return null;
  }
}

function nightInfo(state: NightState, setup: Bundle): NightInfo {
  const e = setup.event;
  return { id: e.id, name: e.name, phase: state.phase, timezone: e.timezone, slotMinutes: e.slotMinutes, clock: state.clock };
}

const roomNameOf = (setup: Bundle, teacherId: string) => setup.rooms[setup.teachers[teacherId].roomId]?.name ?? '';

function whereabouts(state: NightState, setup: Bundle, visit: Visit): Whereabouts {
  const out = state.checkIns[visit.familyId].steppedOutUntil;
  if (out !== null && out > state.clock) return { kind: 'steppedOut', until: out };
  const busy = familyBusyWith(state, visit.familyId);
  if (!busy || busy.id === visit.id) return { kind: 'lobby' };
  const teacherName = setup.teachers[busy.teacherId].name;
  const roomName = roomNameOf(setup, busy.teacherId);
  if (busy.status === 'called') return { kind: 'called', teacherName, roomName };
  const until = busy.startedAt !== null ? busy.startedAt + expectedConferenceMs(state) : null;
  return { kind: 'withTeacher', teacherName, roomName, until };
}

function teacherView(state: NightState, setup: Bundle, night: NightInfo, teacherId: string): TeacherView {
  const teacher = setup.teachers[teacherId];
  const entry = (v: Visit): TeacherLineEntry => {
    const family = setup.families[v.familyId];
    const checkIn = state.checkIns[v.familyId];
    return {
      visitId: v.id, ticket: checkIn.ticket, guardianName: family.guardianName,
      children: v.studentIds.map((s) => setup.students[s]?.firstName ?? s),
      language: checkIn.language,
      needsInterpreter: checkIn.wantsInterpreter && !teacher.languages.includes(checkIn.language),
      bookedAt: v.bookedAt, queuedAt: v.queuedAt, status: v.status, calledAt: v.calledAt, startedAt: v.startedAt,
      estimatedStart: estimatedStart(state, v.id), whereabouts: whereabouts(state, setup, v),
    };
  };
  const t = state.teachers[teacherId];
  let seenCount = 0;
  for (const v of Object.values(state.visits)) if (v.teacherId === teacherId && v.status === 'done') seenCount++;
  const proposal = proposalFor(state, teacherId);
  return {
    role: 'teacher', night,
    teacher: { id: teacher.id, name: teacher.name, roomName: roomNameOf(setup, teacherId), breakUntil: t.breakUntil, lateUntil: t.lateUntil },
    called: t.calledVisitId ? entry(state.visits[t.calledVisitId]) : null,
    conference: t.conferenceVisitId ? entry(state.visits[t.conferenceVisitId]) : null,
    line: teacherLine(state, teacherId).map(entry),
    proposal: proposal ? { visitId: proposal.visitId, reason: proposal.reason, callAt: proposal.callAt } : null,
    seenCount,
  };
}

function boardView(state: NightState, setup: Bundle, night: NightInfo): BoardView {
  const calls: BoardCall[] = [];
  const waits: number[] = [];
  for (const v of Object.values(state.visits)) {
    if (v.calledAt === null) continue;
    waits.push(v.calledAt - v.queuedAt);
    if (v.status === 'called' || v.status === 'inConference') {
      calls.push({
        ticket: state.checkIns[v.familyId].ticket, teacherName: setup.teachers[v.teacherId].name,
        roomName: roomNameOf(setup, v.teacherId), calledAt: v.calledAt, status: v.status,
      });
    }
  }
  calls.sort((a, b) => b.calledAt - a.calledAt);
  return { role: 'board', night, calls: calls.slice(0, boardLength), typicalWaitMinutes: medianMinutes(waits) };
}

function familyView(state: NightState, setup: Bundle, night: NightInfo, familyId: string): FamilyView {
  const family = setup.families[familyId];
  const checkIn = state.checkIns[familyId];
  const visits: FamilyVisitView[] = (checkIn?.visitIds ?? []).map((id) => {
    const v = state.visits[id];
    const line = v.status === 'waiting' ? teacherLine(state, v.teacherId) : [];
    const position = v.status === 'waiting' ? line.findIndex((x) => x.id === v.id) + 1 : null;
    return {
      visitId: v.id, teacherName: setup.teachers[v.teacherId].name, roomName: roomNameOf(setup, v.teacherId),
      status: v.status, position, estimatedStart: estimatedStart(state, v.id),
      calledAt: v.calledAt, startedAt: v.startedAt, endedAt: v.endedAt,
    };
  });
  return {
    role: 'family', night,
    family: {
      ticket: checkIn?.ticket ?? null, guardianFirstName: family.guardianName.trim().split(/\s+/)[0],
      language: checkIn?.language ?? family.language, checkedIn: !!checkIn,
    },
    visits,
  };
}

function coordinatorView(state: NightState, setup: Bundle, night: NightInfo): CoordinatorView {
  const counts = { invited: Object.keys(setup.families).length, checkedIn: Object.keys(state.checkIns).length, waiting: 0, inConference: 0, done: 0 };
  const lineLength: Record<string, number> = {};
  for (const v of Object.values(state.visits)) {
    if (v.status === 'waiting') { counts.waiting++; lineLength[v.teacherId] = (lineLength[v.teacherId] ?? 0) + 1; }
    else if (v.status === 'inConference') counts.inConference++;
    else if (v.status === 'done') counts.done++;
  }
  const brief = (visitId: string | null, since: (v: Visit) => number | null) => {
    const v = visitId ? state.visits[visitId] : null;
    return v ? { ticket: state.checkIns[v.familyId].ticket, since: since(v) ?? 0 } : null;
  };
  const teachers = Object.values(setup.teachers).map((t) => ({
    id: t.id, name: t.name, roomName: roomNameOf(setup, t.id), lineLength: lineLength[t.id] ?? 0,
    conference: brief(state.teachers[t.id].conferenceVisitId, (v) => v.startedAt),
    called: brief(state.teachers[t.id].calledVisitId, (v) => v.calledAt),
  }));
  return { role: 'coordinator', night, counts, teachers };
}

function medianMinutes(ms: number[]): number | null {
  if (!ms.length) return null;
  const sorted = [...ms].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] / 60_000);
}
