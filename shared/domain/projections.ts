// What each role may see: one pure function of the night's state per role. Privacy is enforced here,
// because these views are the only data that ever leaves the server for a client.
import type { Bundle } from '../bundle';
import type { Actor } from '../protocol';
import { estimatedStart, proposalFor, teacherLine } from './queue';
import { wayfinding, type Wayfinding } from './wayfinding';
import { minute } from '../clock';
import { alerts, type Alert } from './coordinator';
import { expectedConferenceMs, familyBusyWith, forecastInterpreters, needsInterpreter, type ProposalReason } from './routing';
import {
  lobbyRoomId, type Announcement, type AnnouncementTemplate, type Commitment, type EscortTask, type NightPhase, type NightState, type Visit, type VisitStatus,
} from './state';

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
  /** That interpreter is in this room already, sitting in the teacher's conference now: they stay on. */
  interpreterHere: boolean;
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
  announcements: ShownAnnouncement[];
}
export interface BoardCall { ticket: string; teacherName: string; roomName: string; calledAt: number; status: VisitStatus }
/** A conference that started lately: the board lists its ticket for a while after the call. */
export interface BoardRecent { ticket: string; roomName: string; startedAt: number }
/**
 * An announcement as one screen shows it: a template (shown in the screen's own language from the
 * catalogue) or the coordinator's text in the viewer's language (else the night's default, else any).
 */
export interface ShownAnnouncement { id: string; at: number; template: AnnouncementTemplate | null; text: string | null }
export type BoardAnnouncement = ShownAnnouncement;
export interface BoardView {
  role: 'board'; night: NightInfo;
  /** Families called and on their way, newest first. */
  calls: BoardCall[];
  /** Conferences started lately, newest first (the board shows those of the last few minutes). */
  recent: BoardRecent[];
  /** The coordinator's announcements to everyone or to the board, newest first. */
  announcements: BoardAnnouncement[];
  typicalWaitMinutes: number | null;
}
export interface FamilyVisitView {
  visitId: string; teacherName: string; roomName: string; status: VisitStatus; position: number | null;
  estimatedStart: number | null; calledAt: number | null; startedAt: number | null; endedAt: number | null;
  /** What the family and the teacher agreed to (never the teacher's private note). */
  commitments: Commitment[];
  /** An interpreter will sit in (the family asked and the teacher does not speak their language); their first name once called. */
  interpreter: { expected: boolean; firstName: string | null };
}
export interface FamilyView {
  role: 'family'; night: NightInfo;
  /** The family's own id, for the commands its page sends. */
  familyId: string;
  family: {
    ticket: string | null; guardianFirstName: string; language: string; checkedIn: boolean; activityId: string | null;
    /** "Hold our place" until then; null when not stepped out. */
    steppedOutUntil: number | null;
    /** The family said they had to leave: what was left is cancelled. */
    left: boolean;
  };
  /** Tonight's activities, to join while waiting, with their checklists (the tour's) and what is ticked. */
  activities: { id: string; title: string; kind: string; roomName: string | null; startsAt: string | null; endsAt: string | null; checklist: string[]; ticked: number[] }[];
  visits: FamilyVisitView[];
  /** The family's guide for the call in progress: first name once someone has accepted, arrived once with them. */
  escort: { guideFirstName: string | null; toRoomName: string; arrived: boolean } | null;
  /** At an activity and the turn is close: leave within five minutes for this teacher. */
  headsUp: { at: number; teacherName: string; roomName: string } | null;
  /** Announcements for everyone, for families, or for this family's language, in that language. */
  announcements: ShownAnnouncement[];
}
export interface KioskView { role: 'kiosk'; night: NightInfo; announcements: ShownAnnouncement[] }
export interface KioskView {
  role: 'kiosk'; night: NightInfo;
  /** Tonight's teachers, for the walk-in form's picker (no family data). */
  teachers: { id: string; name: string; roomName: string; languages: string[] }[];
}
export interface CoordinatorView {
  role: 'coordinator'; night: NightInfo;
  counts: { invited: number; checkedIn: number; waiting: number; inConference: number; done: number };
  teachers: ({ id: string; name: string; roomName: string; lineLength: number; conference: { ticket: string; since: number } | null; called: { ticket: string; since: number } | null } & CoordinatorTeacherExtra)[];
  /** Families lately marked as not arrived, newest first: back in line once, then taken out of it. */
  noShows: CoordinatorNoShow[];
  /** How many families went to each activity tonight, how many are there now, and how many ticked its checklist. */
  activityCounts: { id: string; title: string; kind: string; checklistItems: number; families: number; now: number; ticked: number }[];
  /** Everyone who can interpret (interpreters, bilingual ambassadors), with where they are pinned. */
  interpreters: { id: string; name: string; role: string; languages: string[]; status: string; pin: { teacherId: string; teacherName: string; roomName: string; until: number } | null }[];
  alerts: Alert[];
  overview: CoordinatorOverview;
  staff: CoordinatorStaff[];
  /** Families waiting in each line, for "move to the front". */
  waiting: { visitId: string; teacherId: string; ticket: string; guardianName: string; queuedAt: number; atFront: boolean }[];
  /** Called or in conference with an interpreter needed: who is (or should be) with them. */
  interpreting: { visitId: string; ticket: string; teacherName: string; language: string; interpreterId: string | null; status: VisitStatus }[];
  /** Escorts offered or unassigned. */
  openTasks: { taskId: string; ticket: string; toRoomName: string; status: 'offered' | 'unassigned'; staffId: string | null }[];
  /** Each called family's wait in minutes, at the time they were called: the chart of waits over the evening. */
  waitHistory: [at: number, minutes: number][];
  announcements: Announcement[];
  /** Tonight's rooms, teachers, staff and activities, to edit by hand (never the families). */
  setup: { rooms: Bundle['rooms'][string][]; teachers: Bundle['teachers'][string][]; staff: Bundle['staff'][string][]; activities: Bundle['activities'] };
  purged: boolean;
  /** Walk-ins registered at the front desk tonight, newest first: unverified, for the coordinator to check. */
  walkIns: { familyId: string; ticket: string | null; guardianName: string; at: number }[];
}
export interface CoordinatorTeacherExtra {
  /** Minutes the conference in progress runs over its slot (null: none, or not over). */
  overMinutes: number | null;
  /** When the last family in the line is expected to be done. */
  lastEndsAt: number | null;
  paused: boolean;
  lateUntil: number | null;
}
export interface CoordinatorOverview {
  families: { lobby: number; called: number; inConference: number; activity: number; steppedOut: number; finished: number; left: number };
  typicalWaitMinutes: number | null;
  worstWaitMinutes: number | null;
}
export type StaffDoing =
  | { kind: 'interpreting'; teacherName: string; roomName: string; status: VisitStatus }
  | { kind: 'escorting'; ticket: string; toRoomName: string; accepted: boolean }
  | { kind: 'free' };
export interface CoordinatorStaff { id: string; name: string; role: 'translator' | 'ambassador'; languages: string[]; status: string; doing: StaffDoing }
export interface CoordinatorNoShow { visitId: string; ticket: string; guardianName: string; teacherName: string; at: number; removed: boolean }
/** An escort or an interpretation offered to or accepted by this person: only what they need to find the family. */
export interface StaffTask {
  taskId: string; kind: 'escort' | 'interpret'; status: 'offered' | 'accepted'; offeredAt: number | null; arrived: boolean;
  familyFirstName: string; partySize: number; language: string;
  fromRoomName: string; toRoomName: string; teacherName: string;
  /** When the conference is expected to start (what an interpreter needs). */
  expectedStart: number | null;
  /** Which wing and floor the room is on. */
  way: Wayfinding;
}
/** A conference an interpreter is expected to sit in, from the engine's forecast (or already called). */
export interface StaffUpcoming {
  visitId: string; familyFirstName: string; language: string; teacherName: string; roomName: string;
  estimatedStart: number | null; status: VisitStatus;
}
/** The classroom tour an ambassador is leading: the family's first name and ticket, and its checklist. */
export interface StaffTour { familyId: string; familyFirstName: string; ticket: string; activityId: string; title: string; items: { text: string; done: boolean }[] }
export interface StaffView {
  role: 'staff'; night: NightInfo;
  staff: { id: string; name: string; role: string; status: string; languages: string[] };
  tasks: StaffTask[];
  upcoming: StaffUpcoming[];
  pin: { teacherName: string; roomName: string; until: number } | null;
  tour: StaffTour | null;
  announcements: ShownAnnouncement[];
}
export type View = TeacherView | BoardView | FamilyView | KioskView | CoordinatorView | StaffView;

const boardLength = 12;
const boardRecentLength = 12;
const coordinatorNoShowLength = 10;

export function viewFor(state: NightState, audience: Actor): View | null {
  const setup = state.setup;
  if (!setup) return null;
  const night = nightInfo(state, setup);
  switch (audience.role) {
    case 'kiosk': return {
      role: 'kiosk', night, announcements: announcementsFor(state, 'kiosk', setup.event.defaultLanguage),
      teachers: Object.values(setup.teachers).map((t) => ({ id: t.id, name: t.name, roomName: roomNameOf(setup, t.id), languages: t.languages })).sort((a, b) => a.name.localeCompare(b.name)),
    };
    case 'board': return boardView(state, setup, night);
    case 'teacher': return setup.teachers[audience.id] ? teacherView(state, setup, night, audience.id) : null;
    case 'family': return setup.families[audience.id] ? familyView(state, setup, night, audience.id) : null;
    case 'coordinator': return coordinatorView(state, setup, night);
    case 'staff': {
      const s = setup.staff[audience.id];
      return s ? staffView(state, setup, night, s.id) : null;
    }
    case 'system': return null;
  }
}

const firstName = (setup: Bundle, familyId: string) => setup.families[familyId].guardianName.trim().split(/\s+/)[0];

function staffView(state: NightState, setup: Bundle, night: NightInfo, staffId: string): StaffView {
  const s = setup.staff[staffId];
  const live = state.staff[staffId];
  const pin = state.pins?.[staffId];
  const tourFamilyId = live?.tourFamilyId ?? null;
  const tourActivity = setup.activities.find((a) => a.kind === 'tour');
  const tourCheckIn = tourFamilyId ? state.checkIns[tourFamilyId] : undefined;
  return {
    role: 'staff', night,
    staff: { id: s.id, name: s.name, role: s.role, status: live?.status ?? 'available', languages: s.languages },
    tasks: staffTasks(state, setup, staffId),
    upcoming: staffUpcoming(state, setup, staffId),
    announcements: announcementsFor(state, 'staff', setup.event.defaultLanguage),
    pin: pin && pin.until > state.clock ? { teacherName: setup.teachers[pin.teacherId].name, roomName: roomNameOf(setup, pin.teacherId), until: pin.until } : null,
    tour: tourFamilyId && tourActivity && tourCheckIn ? {
      familyId: tourFamilyId, familyFirstName: firstName(setup, tourFamilyId), ticket: tourCheckIn.ticket, activityId: tourActivity.id, title: tourActivity.title,
      items: tourActivity.checklist.map((text, i) => ({ text, done: (tourCheckIn.ticked?.[tourActivity.id] ?? []).includes(i) })),
    } : null,
  };
}

function staffTasks(state: NightState, setup: Bundle, staffId: string): StaffTask[] {
  const tasks: StaffTask[] = [];
  for (const task of Object.values(state.tasks)) {
    if (task.staffId !== staffId || (task.status !== 'offered' && task.status !== 'accepted')) continue;
    const family = setup.families[task.familyId];
    const visit = state.visits[task.visitId];
    tasks.push({
      taskId: task.id, kind: task.kind ?? 'escort', status: task.status, offeredAt: task.offeredAt, arrived: (task.arrivedAt ?? null) !== null,
      familyFirstName: firstName(setup, task.familyId), partySize: 1 + family.studentIds.length,
      language: state.checkIns[task.familyId]?.language ?? family.language,
      fromRoomName: setup.rooms[task.fromRoomId]?.name ?? task.fromRoomId, toRoomName: setup.rooms[task.toRoomId]?.name ?? task.toRoomId,
      teacherName: visit ? setup.teachers[visit.teacherId].name : '',
      expectedStart: visit ? (visit.startedAt ?? estimatedStart(state, visit.id)) : null,
      way: wayfinding(setup, task.fromRoomId, task.toRoomId),
    });
  }
  return tasks;
}

/** The conferences this person is (or is expected to be) interpreting tonight, soonest first. */
function staffUpcoming(state: NightState, setup: Bundle, staffId: string): StaffUpcoming[] {
  const entry = (v: Visit): StaffUpcoming => ({
    visitId: v.id, familyFirstName: firstName(setup, v.familyId), language: state.checkIns[v.familyId].language,
    teacherName: setup.teachers[v.teacherId].name, roomName: roomNameOf(setup, v.teacherId),
    estimatedStart: v.startedAt ?? estimatedStart(state, v.id), status: v.status,
  });
  const out: StaffUpcoming[] = [];
  for (const v of Object.values(state.visits)) {
    if (v.interpreterId === staffId && (v.status === 'called' || v.status === 'inConference')) out.push(entry(v));
  }
  for (const [visitId, interpreterId] of forecastInterpreters(state, state.clock)) {
    if (interpreterId === staffId && state.visits[visitId]?.status === 'waiting') out.push(entry(state.visits[visitId]));
  }
  return out.sort((a, b) => (a.estimatedStart ?? Infinity) - (b.estimatedStart ?? Infinity) || a.visitId.localeCompare(b.visitId));
}

function nightInfo(state: NightState, setup: Bundle): NightInfo {
  const e = setup.event;
  return { id: e.id, name: e.name, phase: state.phase, timezone: e.timezone, slotMinutes: e.slotMinutes };
}

const firstNameOf = (name: string) => name.trim().split(/\s+/)[0] ?? '';
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

const doneVisits = new WeakMap<NightState, Map<string, Visit[]>>();
/** Each teacher's finished conferences, gathered once per state for all the teachers' views. */
function doneByTeacher(state: NightState): Map<string, Visit[]> {
  let byTeacher = doneVisits.get(state);
  if (!byTeacher) {
    byTeacher = new Map();
    for (const v of Object.values(state.visits)) {
      if (v.status !== 'done') continue;
      const list = byTeacher.get(v.teacherId);
      if (list) list.push(v);
      else byTeacher.set(v.teacherId, [v]);
    }
    doneVisits.set(state, byTeacher);
  }
  return byTeacher;
}

function teacherView(state: NightState, setup: Bundle, night: NightInfo, teacherId: string): TeacherView {
  const teacher = setup.teachers[teacherId];
  const conferenceVisitId = state.teachers[teacherId].conferenceVisitId;
  const inConference = conferenceVisitId ? state.visits[conferenceVisitId] : null;
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
      interpreterHere: v.interpreterId !== null && v.status === 'called' && inConference?.interpreterId === v.interpreterId,
      noShows: v.noShows, commitments: v.commitments ?? [], note: v.note ?? '',
    };
  };
  const t = state.teachers[teacherId];
  const finished: TeacherFinishedEntry[] = [];
  for (const v of doneByTeacher(state).get(teacherId) ?? []) {
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
    announcements: announcementsFor(state, 'teacher', setup.event.defaultLanguage),
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
    announcements: announcementsFor(state, 'board', setup.event.defaultLanguage), typicalWaitMinutes: medianMinutes(waits),
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
      interpreter: {
        expected: checkIn.wantsInterpreter && !setup.teachers[v.teacherId].languages.includes(checkIn.language),
        firstName: v.interpreterId ? firstNameOf(setup.staff[v.interpreterId]?.name ?? '') : null,
      },
    };
  });
  return {
    role: 'family', night, familyId,
    family: {
      ticket: checkIn?.ticket ?? null, guardianFirstName: family.guardianName.trim().split(/\s+/)[0],
      language: checkIn?.language ?? family.language, checkedIn: !!checkIn, activityId: checkIn?.activityId ?? null,
      steppedOutUntil: checkIn?.steppedOutUntil ?? null, left: !!checkIn && checkIn.leftAt !== null,
    },
    visits,
    announcements: announcementsFor(state, 'family', checkIn?.language ?? family.language),
    activities: setup.activities.map((a) => ({
      id: a.id, title: a.title, kind: a.kind, roomName: a.roomId ? setup.rooms[a.roomId]?.name ?? null : null, startsAt: a.startsAt, endsAt: a.endsAt,
      checklist: a.checklist, ticked: checkIn?.ticked?.[a.id] ?? [],
    })),
    escort: familyEscort(state, setup, familyId),
    headsUp: familyHeadsUp(state, setup, familyId),
  };
}

function familyEscort(state: NightState, setup: Bundle, familyId: string): FamilyView['escort'] {
  for (const task of Object.values(state.tasks)) {
    if (task.familyId !== familyId || task.kind === 'interpret' || !['offered', 'accepted', 'unassigned'].includes(task.status)) continue;
    const guide = task.status === 'accepted' && task.staffId ? setup.staff[task.staffId].name.trim().split(/\s+/)[0] : null;
    return { guideFirstName: guide, toRoomName: setup.rooms[task.toRoomId]?.name ?? task.toRoomId, arrived: (task.arrivedAt ?? null) !== null };
  }
  return null;
}

function familyHeadsUp(state: NightState, setup: Bundle, familyId: string): FamilyView['headsUp'] {
  const c = state.checkIns[familyId];
  if (!c || c.activityId === null || (c.headsUpAt ?? null) === null) return null;
  let next: Visit | null = null;
  for (const id of c.visitIds) {
    const v = state.visits[id];
    if (v.status !== 'waiting') continue;
    if (!next || (estimatedStart(state, v.id) ?? Infinity) < (estimatedStart(state, next.id) ?? Infinity)) next = v;
  }
  return next ? { at: c.headsUpAt!, teacherName: setup.teachers[next.teacherId].name, roomName: roomNameOf(setup, next.teacherId) } : null;
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
  const walkIns = Object.entries(state.walkIns ?? {}).map(([familyId, at]) => ({
    familyId, ticket: state.checkIns[familyId]?.ticket ?? null, guardianName: setup.families[familyId]?.guardianName ?? '', at,
  })).sort((a, b) => b.at - a.at || a.familyId.localeCompare(b.familyId));
  return {
    role: 'coordinator', night, counts, teachers: teachers.map((t) => ({ ...t, ...coordinatorTeacherExtra(state, setup, t.id) })),
    noShows: noShows.slice(0, coordinatorNoShowLength), ...coordinatorExtra(state, setup), walkIns,
    activityCounts: activityCounts(state, setup), interpreters: interpreterList(state, setup),
  };
}

function activityCounts(state: NightState, setup: Bundle): CoordinatorView['activityCounts'] {
  return setup.activities.map((a) => {
    let families = 0, now = 0, ticked = 0;
    for (const c of Object.values(state.checkIns)) {
      const tickedHere = (c.ticked?.[a.id]?.length ?? 0) > 0;
      if (c.activitiesJoined?.includes(a.id) || tickedHere) families++;
      if (c.activityId === a.id && c.leftAt === null) now++;
      if (tickedHere) ticked++;
    }
    return { id: a.id, title: a.title, kind: a.kind, checklistItems: a.checklist.length, families, now, ticked };
  });
}

function interpreterList(state: NightState, setup: Bundle): CoordinatorView['interpreters'] {
  const home = setup.event.defaultLanguage;
  return Object.values(setup.staff)
    .filter((s) => s.role === 'translator' || s.languages.some((l) => l !== home))
    .map((s) => {
      const pin = state.pins?.[s.id];
      return {
        id: s.id, name: s.name, role: s.role, languages: s.languages.filter((l) => l !== home), status: state.staff[s.id]?.status ?? 'available',
        pin: pin && pin.until > state.clock ? { teacherId: pin.teacherId, teacherName: setup.teachers[pin.teacherId].name, roomName: roomNameOf(setup, pin.teacherId), until: pin.until } : null,
      };
    });
}

// ---------- the coordinator's overview, overrides and setup ----------

const waitHistoryLength = 600;

function coordinatorTeacherExtra(state: NightState, setup: Bundle, teacherId: string): CoordinatorTeacherExtra {
  const t = state.teachers[teacherId];
  const now = state.clock;
  const expected = expectedConferenceMs(state);
  const current = t.conferenceVisitId ? state.visits[t.conferenceVisitId] : null;
  const over = current?.startedAt != null ? now - current.startedAt - setup.event.slotMinutes * minute : null;
  let lastEndsAt: number | null = current?.startedAt != null ? Math.max(now, current.startedAt + expected) : null;
  for (const v of teacherLine(state, teacherId)) {
    const start = estimatedStart(state, v.id);
    if (start !== null) lastEndsAt = Math.max(lastEndsAt ?? 0, start + expected);
  }
  return {
    overMinutes: over !== null && over > 0 ? Math.floor(over / minute) : null, lastEndsAt,
    paused: t.breakUntil !== null && t.breakUntil > now, lateUntil: t.lateUntil !== null && t.lateUntil > now ? t.lateUntil : null,
  };
}

function coordinatorExtra(state: NightState, setup: Bundle) {
  const now = state.clock;
  const families = { lobby: 0, called: 0, inConference: 0, activity: 0, steppedOut: 0, finished: 0, left: 0 };
  const currentWaits: number[] = [];
  for (const c of Object.values(state.checkIns)) {
    const busy = familyBusyWith(state, c.familyId);
    const waiting = c.visitIds.some((id) => state.visits[id].status === 'waiting');
    if (c.leftAt !== null) families.left++;
    else if (busy) families[busy.status === 'called' ? 'called' : 'inConference']++;
    else if (c.steppedOutUntil !== null) families.steppedOut++;
    else if (!waiting) families.finished++;
    else {
      if (c.activityId !== null) families.activity++;
      else families.lobby++;
      currentWaits.push(now - c.freeSince);
    }
  }
  const tasksByStaff = new Map<string, EscortTask>();
  for (const task of Object.values(state.tasks)) if (task.staffId && (task.status === 'offered' || task.status === 'accepted')) tasksByStaff.set(task.staffId, task);
  const interpretingBy = new Map<string, Visit>();
  for (const v of Object.values(state.visits)) if (v.interpreterId && (v.status === 'called' || v.status === 'inConference')) interpretingBy.set(v.interpreterId, v);
  const staff: CoordinatorStaff[] = Object.values(setup.staff).map((s) => {
    const task = tasksByStaff.get(s.id);
    const visit = interpretingBy.get(s.id);
    const doing: StaffDoing = visit
      ? { kind: 'interpreting', teacherName: setup.teachers[visit.teacherId].name, roomName: roomNameOf(setup, visit.teacherId), status: visit.status }
      : task
        ? { kind: 'escorting', ticket: state.checkIns[task.familyId]?.ticket ?? '', toRoomName: setup.rooms[task.toRoomId]?.name ?? task.toRoomId, accepted: task.status === 'accepted' }
        : { kind: 'free' };
    return { id: s.id, name: s.name, role: s.role, languages: s.languages, status: state.staff[s.id]?.status ?? 'off', doing };
  });
  const waiting: CoordinatorView['waiting'] = [];
  const interpreting: CoordinatorView['interpreting'] = [];
  const waitHistory: [number, number][] = [];
  for (const v of Object.values(state.visits)) {
    const c = state.checkIns[v.familyId];
    if (v.status === 'waiting' && c.leftAt === null) {
      waiting.push({ visitId: v.id, teacherId: v.teacherId, ticket: c.ticket, guardianName: setup.families[v.familyId].guardianName, queuedAt: v.queuedAt, atFront: v.frontAt !== undefined });
    }
    if ((v.status === 'called' || v.status === 'inConference') && (v.interpreterId || needsInterpreter(state, v))) {
      interpreting.push({ visitId: v.id, ticket: c.ticket, teacherName: setup.teachers[v.teacherId].name, language: c.language, interpreterId: v.interpreterId, status: v.status });
    }
    if (v.calledAt !== null) waitHistory.push([v.calledAt, Math.round((v.calledAt - v.queuedAt) / 6_000) / 10]);
  }
  waiting.sort((a, b) => a.queuedAt - b.queuedAt || a.visitId.localeCompare(b.visitId));
  waitHistory.sort((a, b) => a[0] - b[0]);
  const openTasks: CoordinatorView['openTasks'] = Object.values(state.tasks)
    .filter((t): t is EscortTask & { status: 'offered' | 'unassigned' } => t.status === 'offered' || t.status === 'unassigned')
    .map((t) => ({ taskId: t.id, ticket: state.checkIns[t.familyId]?.ticket ?? '', toRoomName: setup.rooms[t.toRoomId]?.name ?? t.toRoomId, status: t.status, staffId: t.staffId }));
  currentWaits.sort((a, b) => a - b);
  return {
    alerts: alerts(state),
    overview: {
      families,
      typicalWaitMinutes: currentWaits.length ? Math.floor(currentWaits[Math.floor(currentWaits.length / 2)] / minute) : null,
      worstWaitMinutes: currentWaits.length ? Math.floor(currentWaits[currentWaits.length - 1] / minute) : null,
    },
    staff, waiting, interpreting, openTasks,
    waitHistory: waitHistory.slice(-waitHistoryLength),
    announcements: [...(state.announcements ?? [])].reverse(),
    setup: { rooms: Object.values(setup.rooms), teachers: Object.values(setup.teachers), staff: Object.values(setup.staff), activities: setup.activities },
    purged: state.purgedAt !== undefined,
  };
}

const announcementsShown = 5;

function announcementsFor(state: NightState, role: 'family' | 'teacher' | 'staff' | 'kiosk' | 'board', language: string): ShownAnnouncement[] {
  const defaultLanguage = state.setup?.event.defaultLanguage ?? 'en';
  const out: ShownAnnouncement[] = [];
  for (const a of [...(state.announcements ?? [])].reverse()) {
    const forMe = a.audience.to === 'everyone' || (a.audience.to === 'role' && a.audience.role === role)
      || (a.audience.to === 'language' && role === 'family' && a.audience.language === language);
    if (!forMe) continue;
    if ('template' in a.message) out.push({ id: a.id, at: a.at, template: a.message.template, text: null });
    else {
      const texts = a.message.texts;
      out.push({ id: a.id, at: a.at, template: null, text: texts[language] ?? texts[defaultLanguage] ?? texts.en ?? Object.values(texts)[0] ?? '' });
    }
    if (out.length >= announcementsShown) break;
  }
  return out;
}

function medianMinutes(ms: number[]): number | null {
  if (!ms.length) return null;
  const sorted = [...ms].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] / 60_000);
}
