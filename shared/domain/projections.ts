// What each role may see: one pure function of the night's state per role. Privacy is enforced here,
// because these views are the only data that ever leaves the server for a client.
import type { Bundle } from '../bundle';
import type { Actor } from '../protocol';
import { estimatedStart, proposalFor, teacherLine } from './queue';
import { expectedConferenceMs, familyBusyWith, type ProposalReason } from './routing';
import { lobbyRoomId, type Commitment, type NightPhase, type NightState, type Visit, type VisitStatus } from './state';

export interface NightInfo {
  // No clock: it moves with every event, so every screen would get a delta on every commit.
  id: string; name: string; phase: NightPhase; timezone: string; slotMinutes: number;
}

export type Whereabouts =
  | { kind: 'lobby' }
  /** Free, between conferences, near the room of their last one. */
  | { kind: 'between'; roomName: string }
  | { kind: 'called'; teacherName: string; roomName: string }
  | { kind: 'withTeacher'; teacherName: string; roomName: string; until: number | null }
  | { kind: 'steppedOut'; until: number }
  | { kind: 'activity'; title: string };

export interface TeacherLineEntry {
  visitId: string; ticket: string; guardianName: string; children: string[]; language: string;
  needsInterpreter: boolean; bookedAt: number | null; queuedAt: number; status: VisitStatus;
  calledAt: number | null; startedAt: number | null; estimatedStart: number | null; whereabouts: Whereabouts;
  /** The interpreter called to sit in (coming while called, present in the conference). */
  interpreterName: string | null;
  /** Times marked as not arrived: after the first, the next one takes them out of the line. */
  noShows: number;
  commitments: Commitment[];
  /** The teacher's private note: this view is the only place it ever appears. */
  note: string;
}
/** A conference held tonight, for the teacher's own record and export. */
export interface TeacherFinishedEntry {
  visitId: string; ticket: string; guardianName: string; children: string[]; language: string;
  startedAt: number | null; endedAt: number | null; commitments: Commitment[]; note: string;
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
  /** Tonight's finished conferences, newest first. */
  finished: TeacherFinishedEntry[];
}
export interface BoardCall { ticket: string; teacherName: string; roomName: string; calledAt: number; status: VisitStatus }
/** A conference that started lately: the board lists its ticket for a while after the call. */
export interface BoardRecent { ticket: string; roomName: string; startedAt: number }
export interface BoardAnnouncement { id: string; text: string; at: number }
export interface BoardView {
  role: 'board'; night: NightInfo;
  /** Families called and on their way, newest first. */
  calls: BoardCall[];
  /** Conferences started lately, newest first (the board shows those of the last few minutes). */
  recent: BoardRecent[];
  /** The coordinator's announcements (none until the coordinator can post them). */
  announcements: BoardAnnouncement[];
  typicalWaitMinutes: number | null;
}
export interface FamilyVisitView {
  visitId: string; teacherName: string; roomName: string; status: VisitStatus; position: number | null;
  estimatedStart: number | null; calledAt: number | null; startedAt: number | null; endedAt: number | null;
  /** What the family and the teacher agreed to (never the teacher's private note). */
  commitments: Commitment[];
}
export interface FamilyView {
  role: 'family'; night: NightInfo;
  /** The family's own id, for the commands its page sends. */
  familyId: string;
  family: { ticket: string | null; guardianFirstName: string; language: string; checkedIn: boolean; activityId: string | null };
  /** Tonight's activities, to join while waiting. */
  activities: { id: string; title: string; kind: string; roomName: string | null; startsAt: string | null; endsAt: string | null }[];
  visits: FamilyVisitView[];
}
export interface KioskView { role: 'kiosk'; night: NightInfo }
export interface CoordinatorView {
  role: 'coordinator'; night: NightInfo;
  counts: { invited: number; checkedIn: number; waiting: number; inConference: number; done: number };
  teachers: { id: string; name: string; roomName: string; lineLength: number; conference: { ticket: string; since: number } | null; called: { ticket: string; since: number } | null }[];
  /** Families lately marked as not arrived, newest first: back in line once, then taken out of it. */
  noShows: CoordinatorNoShow[];
}
export interface CoordinatorNoShow { visitId: string; ticket: string; guardianName: string; teacherName: string; at: number; removed: boolean }
/** An escort offered to or accepted by this ambassador: only what they need to find the family. */
export interface StaffTask {
  taskId: string; status: 'offered' | 'accepted'; offeredAt: number | null;
  familyFirstName: string; partySize: number; language: string;
  fromRoomName: string; toRoomName: string; teacherName: string;
}
export interface StaffView { role: 'staff'; night: NightInfo; staff: { id: string; name: string; role: string }; tasks: StaffTask[] }
export type View = TeacherView | BoardView | FamilyView | KioskView | CoordinatorView | StaffView;

const boardLength = 12;
const boardRecentLength = 12;
const coordinatorNoShowLength = 10;

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
      return s ? { role: 'staff', night, staff: { id: s.id, name: s.name, role: s.role }, tasks: staffTasks(state, setup, s.id) } : null;
    }
    case 'system': return null;
  }
}

function staffTasks(state: NightState, setup: Bundle, staffId: string): StaffTask[] {
  const tasks: StaffTask[] = [];
  for (const task of Object.values(state.tasks)) {
    if (task.staffId !== staffId || (task.status !== 'offered' && task.status !== 'accepted')) continue;
    const family = setup.families[task.familyId];
    const visit = state.visits[task.visitId];
    tasks.push({
      taskId: task.id, status: task.status, offeredAt: task.offeredAt,
      familyFirstName: family.guardianName.trim().split(/\s+/)[0], partySize: 1 + family.studentIds.length,
      language: state.checkIns[task.familyId]?.language ?? family.language,
      fromRoomName: setup.rooms[task.fromRoomId]?.name ?? task.fromRoomId, toRoomName: setup.rooms[task.toRoomId]?.name ?? task.toRoomId,
      teacherName: visit ? setup.teachers[visit.teacherId].name : '',
    });
  }
  return tasks;
}

function nightInfo(state: NightState, setup: Bundle): NightInfo {
  const e = setup.event;
  return { id: e.id, name: e.name, phase: state.phase, timezone: e.timezone, slotMinutes: e.slotMinutes };
}

const roomNameOf = (setup: Bundle, teacherId: string) => setup.rooms[setup.teachers[teacherId].roomId]?.name ?? '';

function whereabouts(state: NightState, setup: Bundle, visit: Visit): Whereabouts {
  const out = state.checkIns[visit.familyId].steppedOutUntil;
  if (out !== null && out > state.clock) return { kind: 'steppedOut', until: out };
  const busy = familyBusyWith(state, visit.familyId);
  if (!busy || busy.id === visit.id) {
    const activityId = state.checkIns[visit.familyId].activityId;
    const activity = activityId ? setup.activities.find((a) => a.id === activityId) : undefined;
    if (activity) return { kind: 'activity', title: activity.title };
    const roomId = state.checkIns[visit.familyId].roomId;
    return roomId === lobbyRoomId ? { kind: 'lobby' } : { kind: 'between', roomName: setup.rooms[roomId]?.name ?? roomId };
  }
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
      interpreterName: v.interpreterId ? setup.staff[v.interpreterId]?.name ?? null : null,
      noShows: v.noShows, commitments: v.commitments ?? [], note: v.note ?? '',
    };
  };
  const t = state.teachers[teacherId];
  const finished: TeacherFinishedEntry[] = [];
  for (const v of Object.values(state.visits)) {
    if (v.teacherId !== teacherId || v.status !== 'done') continue;
    finished.push({
      visitId: v.id, ticket: state.checkIns[v.familyId].ticket, guardianName: setup.families[v.familyId].guardianName,
      children: v.studentIds.map((s) => setup.students[s]?.firstName ?? s), language: state.checkIns[v.familyId].language,
      startedAt: v.startedAt, endedAt: v.endedAt, commitments: v.commitments ?? [], note: v.note ?? '',
    });
  }
  finished.sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0) || a.visitId.localeCompare(b.visitId));
  const proposal = proposalFor(state, teacherId);
  return {
    role: 'teacher', night,
    teacher: { id: teacher.id, name: teacher.name, roomName: roomNameOf(setup, teacherId), breakUntil: t.breakUntil, lateUntil: t.lateUntil },
    called: t.calledVisitId ? entry(state.visits[t.calledVisitId]) : null,
    conference: t.conferenceVisitId ? entry(state.visits[t.conferenceVisitId]) : null,
    line: teacherLine(state, teacherId).map(entry),
    proposal: proposal ? { visitId: proposal.visitId, reason: proposal.reason, callAt: proposal.callAt } : null,
    seenCount: finished.length, finished,
  };
}

function boardView(state: NightState, setup: Bundle, night: NightInfo): BoardView {
  const calls: BoardCall[] = [];
  const recent: BoardRecent[] = [];
  const waits: number[] = [];
  for (const v of Object.values(state.visits)) {
    if (v.calledAt === null) continue;
    waits.push(v.calledAt - v.queuedAt);
    const ticket = state.checkIns[v.familyId].ticket;
    if (v.status === 'called') {
      calls.push({
        ticket, teacherName: setup.teachers[v.teacherId].name,
        roomName: roomNameOf(setup, v.teacherId), calledAt: v.calledAt, status: v.status,
      });
    } else if ((v.status === 'inConference' || v.status === 'done') && v.startedAt !== null) {
      recent.push({ ticket, roomName: roomNameOf(setup, v.teacherId), startedAt: v.startedAt });
    }
  }
  calls.sort((a, b) => b.calledAt - a.calledAt || a.ticket.localeCompare(b.ticket));
  recent.sort((a, b) => b.startedAt - a.startedAt || a.ticket.localeCompare(b.ticket));
  return {
    role: 'board', night, calls: calls.slice(0, boardLength), recent: recent.slice(0, boardRecentLength),
    announcements: [], typicalWaitMinutes: medianMinutes(waits),
  };
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
      calledAt: v.calledAt, startedAt: v.startedAt, endedAt: v.endedAt, commitments: v.commitments ?? [],
    };
  });
  return {
    role: 'family', night, familyId,
    family: {
      ticket: checkIn?.ticket ?? null, guardianFirstName: family.guardianName.trim().split(/\s+/)[0],
      language: checkIn?.language ?? family.language, checkedIn: !!checkIn, activityId: checkIn?.activityId ?? null,
    },
    visits,
    activities: setup.activities.map((a) => ({
      id: a.id, title: a.title, kind: a.kind, roomName: a.roomId ? setup.rooms[a.roomId]?.name ?? null : null, startsAt: a.startsAt, endsAt: a.endsAt,
    })),
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
  const noShows: CoordinatorNoShow[] = [];
  for (const v of Object.values(state.visits)) {
    if (v.noShowAt === undefined) continue;
    noShows.push({
      visitId: v.id, ticket: state.checkIns[v.familyId].ticket, guardianName: setup.families[v.familyId].guardianName,
      teacherName: setup.teachers[v.teacherId].name, at: v.noShowAt, removed: v.status === 'cancelled' && v.noShows >= 2,
    });
  }
  noShows.sort((a, b) => b.at - a.at || a.visitId.localeCompare(b.visitId));
  return { role: 'coordinator', night, counts, teachers, noShows: noShows.slice(0, coordinatorNoShowLength) };
}

function medianMinutes(ms: number[]): number | null {
  if (!ms.length) return null;
  const sorted = [...ms].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] / 60_000);
}
