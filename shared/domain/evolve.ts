// evolve(state, event) → state: applies one event that already happened. Pure and total: it never
// refuses (decide did the checking) and never mutates its input, so a replayed journal, the server,
// the simulator and the tests all arrive at the same state.
import type { CheckIn, EscortTask, NightEvent, NightState, StaffState, TeacherState, Visit } from './state';
import { withoutPersonalData } from './privacy';
import { announcementsKept, emptyNight, lobbyRoomId, signInKey, type SetupItem } from './state';
import { carryLiveIndex } from './live-index';
import { copyRecord, setKey, valuesOf, type Ownership } from './records';
import { minute } from '../clock';

/** Conferences longer than this count as this long in the lengths by minute (a forgotten "end"). */
const longestCountedMinutes = 90;

export { Ownership } from './records';

export function evolve(state: NightState, event: NightEvent): NightState {
  return evolveAll(state, [event]);
}

export function evolveAll(state: NightState, events: readonly NightEvent[], owner?: Ownership): NightState {
  const b = new Batch(owner);
  let next = state;
  for (const event of events) next = apply(next, event, b);
  if (next !== state && !b.replacedAll) carryLiveIndex(state, next, b.visitsBefore, b.checkInsBefore, owner);
  return next;
}

function apply(state: NightState, event: NightEvent, b: Batch): NightState {
  const s: NightState = { ...state, clock: Math.max(state.clock, event.at) };
  const at = event.at;
  switch (event.type) {
    case 'nightCreated': {
      // A new setup (the first, or a bundle imported before anyone checked in): a night not yet
      // open, keeping only the revocations (old links stay dead) and the announcements.
      const teachers: NightState['teachers'] = {};
      for (const id of Object.keys(event.setup.teachers)) teachers[id] = freshTeacher();
      const staff: NightState['staff'] = {};
      for (const id of Object.keys(event.setup.staff)) staff[id] = freshStaff();
      b.replacedAll = true;
      return {
        ...emptyNight, clock: s.clock, signInVersions: s.signInVersions, announcements: s.announcements,
        setup: event.setup, teachers, staff,
      };
    }
    case 'nightOpened':
      return { ...s, phase: 'open' };
    case 'nightClosed':
      return { ...s, phase: 'closed' };
    case 'familyCheckedIn': {
      let next = s;
      for (const v of event.visits) {
        next = b.withVisit(next, {
          id: v.visitId, familyId: event.familyId, teacherId: v.teacherId, studentIds: v.studentIds,
          status: 'waiting', bookedAt: v.bookedAt, queuedAt: at, calledAt: null, startedAt: null, endedAt: null,
          interpreterId: null, noShows: 0,
        });
      }
      const checkIn: CheckIn = {
        familyId: event.familyId, ticket: event.ticket, at, language: event.language,
        wantsInterpreter: event.wantsInterpreter, wantsEscort: event.wantsEscort,
        visitIds: event.visits.map((v) => v.visitId), roomId: lobbyRoomId, freeSince: at, steppedOutUntil: null, activityId: null, leftAt: null,
      };
      return b.putCheckIn({ ...next, ticketsIssued: s.ticketsIssued + 1 }, checkIn);
    }
    case 'estimatesPromised': {
      let next = s;
      for (const { visitId, at: promisedAt } of event.starts) next = b.withVisit(next, { ...next.visits[visitId], promisedAt });
      return next;
    }
    case 'familyCalled': {
      const visit = s.visits[event.visitId];
      let next = b.withVisit(s, { ...visit, status: 'called', calledAt: at, interpreterId: event.interpreterId });
      if (next.checkIns[visit.familyId].activityId !== null) next = b.withCheckIn(next, visit.familyId, { activityId: null, headsUpAt: null }); // called away from it
      return b.withTeacher(next, visit.teacherId, { calledVisitId: visit.id });
    }
    case 'conferenceStarted': {
      const visit = s.visits[event.visitId];
      // Read before the batch changes the teacher (in place, within one batch).
      const previousEnd = s.teachers[visit.teacherId].lastEndedAt ?? null;
      const next = b.withVisit(s, { ...visit, status: 'inConference', startedAt: at, calledAt: visit.calledAt ?? at });
      const started = b.withTeacher(next, visit.teacherId, { calledVisitId: null, conferenceVisitId: visit.id, lateUntil: null, lastEndedAt: null });
      // A changeover: the teacher's last conference ended just before, and this family was already waiting.
      if (previousEnd === null || visit.queuedAt > previousEnd) return started;
      const seen = s.changeovers ?? { count: 0, totalMs: 0 };
      return { ...started, changeovers: { count: seen.count + 1, totalMs: seen.totalMs + Math.max(0, at - previousEnd) } };
    }
    case 'conferenceEnded': {
      const visit = s.visits[event.visitId];
      const roomId = s.setup!.teachers[visit.teacherId].roomId;
      let next = b.withVisit(s, { ...visit, status: 'done', endedAt: at });
      next = b.withTeacher(next, visit.teacherId, { conferenceVisitId: null, lastEndedAt: at });
      next = b.withCheckIn(next, visit.familyId, { roomId, freeSince: at });
      if (visit.interpreterId) next = b.withStaff(next, visit.interpreterId, { roomId });
      // The interpretation is over with the conference, whether or not the interpreter tapped "done".
      for (const task of valuesOf(next.tasks)) {
        if (task.visitId === visit.id && task.kind === 'interpret' && (task.status === 'offered' || task.status === 'accepted')) next = b.withTask(next, { ...task, status: 'done' });
      }
      const duration = at - (visit.startedAt ?? at);
      const minutes = Math.min(longestCountedMinutes, Math.round(duration / minute));
      const byMinute = next.finished.byMinute?.slice() ?? [];
      while (byMinute.length <= minutes) byMinute.push(0);
      byMinute[minutes]++;
      return { ...next, finished: { count: next.finished.count + 1, totalMs: next.finished.totalMs + duration, byMinute } };
    }
    case 'familyNoShow': {
      const visit = s.visits[event.visitId];
      const next = b.withVisit(s, event.removed
        ? { ...visit, status: 'cancelled', noShows: visit.noShows + 1, noShowAt: at }
        : { ...visit, status: 'waiting', queuedAt: at, calledAt: null, interpreterId: null, noShows: visit.noShows + 1, noShowAt: at });
      return cancelEscorts(b.withTeacher(next, visit.teacherId, { calledVisitId: null }), [visit.id], b);
    }
    case 'familyPutBack': {
      // Back in line with their place kept (queuedAt unchanged); the escort on the way is called off.
      const visit = s.visits[event.visitId];
      const next = b.withVisit(s, { ...visit, status: 'waiting', calledAt: null, interpreterId: null });
      return cancelEscorts(b.withTeacher(next, visit.teacherId, { calledVisitId: null }), [visit.id], b);
    }
    case 'commitmentsSaved':
      return b.withVisit(s, { ...s.visits[event.visitId], commitments: event.commitments });
    case 'noteSaved':
      return b.withVisit(s, { ...s.visits[event.visitId], note: event.text });
    case 'familyJoinedActivity': {
      // Walking times to the next conference count from the activity's room.
      const roomId = s.setup!.activities.find((a) => a.id === event.activityId)?.roomId ?? s.checkIns[event.familyId].roomId;
      const joined = s.checkIns[event.familyId].activitiesJoined ?? [];
      const activitiesJoined = joined.includes(event.activityId) ? joined : [...joined, event.activityId];
      const next = b.withCheckIn(s, event.familyId, { activityId: event.activityId, roomId, headsUpAt: null, activitiesJoined });
      return { ...next, activityJoins: { ...s.activityJoins, [event.activityId]: (s.activityJoins?.[event.activityId] ?? 0) + 1 } };
    }
    case 'familyLeftActivity':
      return b.withCheckIn(s, event.familyId, { activityId: null, headsUpAt: null });
    case 'familySteppedOut':
      return b.withCheckIn(s, event.familyId, { steppedOutUntil: event.until });
    case 'familyReturned':
      return b.withCheckIn(s, event.familyId, { steppedOutUntil: null, freeSince: at });
    case 'familyLeft': {
      let next = b.withCheckIn(s, event.familyId, { leftAt: at, steppedOutUntil: null });
      for (const id of s.checkIns[event.familyId].visitIds) {
        const v = next.visits[id];
        if (v.status === 'waiting' || v.status === 'called') {
          next = b.withVisit(next, { ...v, status: 'cancelled' });
          if (v.status === 'called') next = b.withTeacher(next, v.teacherId, { calledVisitId: null });
        }
      }
      return cancelEscorts(next, s.checkIns[event.familyId].visitIds, b);
    }
    case 'teacherBreakStarted':
      return b.withTeacher(s, event.teacherId, { breakUntil: event.until ?? Number.MAX_SAFE_INTEGER });
    case 'teacherRunningLate':
      return b.withTeacher(s, event.teacherId, { lateUntil: event.until });
    case 'teacherResumed':
      return b.withTeacher(s, event.teacherId, { breakUntil: null, lateUntil: null });
    case 'staffStatusChanged':
      return b.withStaff(s, event.staffId, { status: event.status });
    case 'escortOffered': {
      const existing = s.tasks[event.taskId];
      const task: EscortTask = existing
        ? { ...existing, status: 'offered', staffId: event.staffId, offeredAt: at }
        : {
            id: event.taskId, familyId: event.familyId, visitId: event.visitId, fromRoomId: event.fromRoomId,
            toRoomId: event.toRoomId, status: 'offered', staffId: event.staffId, offeredAt: at, passedBy: [],
          };
      return b.withTask(s, task);
    }
    case 'escortOfferLapsed': {
      const task = s.tasks[event.taskId];
      return b.withTask(s, { ...task, status: 'unassigned', staffId: null, passedBy: [...task.passedBy, event.staffId] });
    }
    case 'escortUnassigned': {
      const existing = s.tasks[event.taskId];
      if (existing?.kind === 'interpret') {
        // Nobody can interpret: the coordinator sees the alert; the visit waits for an interpreter.
        const visit = s.visits[existing.visitId];
        const next = visit.status === 'called' ? b.withVisit(s, { ...visit, interpreterId: null }) : s;
        return b.withTask(next, { ...existing, status: 'unassigned', staffId: null });
      }
      return b.withTask(s, existing ? { ...existing, status: 'unassigned', staffId: null } : {
        id: event.taskId, familyId: event.familyId, visitId: event.visitId, fromRoomId: event.fromRoomId,
        toRoomId: event.toRoomId, status: 'unassigned', staffId: null, offeredAt: null, passedBy: [],
      });
    }
    case 'escortAccepted':
      return b.withTask(s, { ...s.tasks[event.taskId], status: 'accepted' });
    case 'interpreterOffered': {
      const existing = s.tasks[event.taskId];
      const task: EscortTask = existing
        ? { ...existing, status: 'offered', staffId: event.staffId, offeredAt: at, fromRoomId: event.fromRoomId }
        : {
            id: event.taskId, kind: 'interpret', familyId: event.familyId, visitId: event.visitId, fromRoomId: event.fromRoomId,
            toRoomId: event.toRoomId, status: 'offered', staffId: event.staffId, offeredAt: at, passedBy: [], arrivedAt: null,
          };
      const visit = s.visits[event.visitId];
      return b.withTask(b.withVisit(s, { ...visit, interpreterId: event.staffId }), task);
    }
    case 'taskArrived': {
      // With the family (an escort) or in the teacher's room (an interpretation): walking times count from there.
      const task = s.tasks[event.taskId];
      const next = b.withTask(s, { ...task, arrivedAt: at });
      return task.staffId ? b.withStaff(next, task.staffId, { roomId: task.kind === 'interpret' ? task.toRoomId : task.fromRoomId }) : next;
    }
    case 'interpreterPinned':
      return b.withStaff({ ...s, pins: { ...s.pins, [event.staffId]: { teacherId: event.teacherId, until: event.until } } },
        event.staffId, { roomId: s.setup!.teachers[event.teacherId].roomId });
    case 'interpreterUnpinned': {
      const pins = { ...s.pins };
      delete pins[event.staffId];
      return { ...s, pins };
    }
    case 'checklistTicked': {
      const ticked = s.checkIns[event.familyId].ticked ?? {};
      const items = (ticked[event.activityId] ?? []).filter((i) => i !== event.item);
      if (event.done) items.push(event.item);
      return b.withCheckIn(s, event.familyId, { ticked: { ...ticked, [event.activityId]: items.sort((a, b) => a - b) } });
    }
    case 'tourStarted':
      return b.withStaff(s, event.staffId, { tourFamilyId: event.familyId });
    case 'tourEnded':
      return b.withStaff(s, event.staffId, { tourFamilyId: null });
    case 'familyHeadsUp':
      return b.withCheckIn(s, event.familyId, { headsUpAt: at });
    case 'walkInRegistered': {
      // The family joins tonight's setup like any other, and stays marked as a walk-in for the coordinator.
      const setup = s.setup!;
      const students = { ...setup.students };
      for (const st of event.students) students[st.id] = { ...st, grade: '' };
      const family = { ...event.family, phoneLast4: '' };
      return {
        ...s, setup: { ...setup, students, families: { ...setup.families, [family.id]: family } },
        walkIns: { ...s.walkIns, [family.id]: at },
      };
    }
    case 'signInRevoked':
      return { ...s, signInVersions: { ...s.signInVersions, [signInKey(event.role, event.id)]: event.version } };
    case 'visitMovedToFront':
      return b.withVisit(s, { ...s.visits[event.visitId], frontAt: at });
    case 'interpreterReassigned':
      return b.withVisit(s, { ...s.visits[event.visitId], interpreterId: event.staffId });
    case 'announcementMade':
      return { ...s, announcements: [...(s.announcements ?? []), event.announcement].slice(-announcementsKept) };
    case 'setupItemSaved':
      return withSetupItem(s, event.item);
    case 'clockAdvanced':
      return s;
    case 'personalDataPurged':
      b.replacedAll = true;
      return { ...withoutPersonalData(s), purgedAt: at };
    case 'escortDone': {
      const task = s.tasks[event.taskId];
      const next = b.withTask(s, { ...task, status: 'done' });
      return task.staffId ? b.withStaff(next, task.staffId, { roomId: task.toRoomId }) : next;
    }
  }
}

/** The call behind these visits is off: so is any escort still offered or on its way for it. */
function cancelEscorts(state: NightState, visitIds: string[], b: Batch): NightState {
  let next = state;
  for (const task of valuesOf(state.tasks)) {
    if (visitIds.includes(task.visitId) && (task.status === 'offered' || task.status === 'accepted' || task.status === 'unassigned')) {
      next = b.withTask(next, { ...task, status: 'cancelled' });
    }
  }
  return next;
}

const freshTeacher = (): TeacherState => ({ calledVisitId: null, conferenceVisitId: null, breakUntil: null, lateUntil: null });
const freshStaff = (): StaffState => ({ status: 'available', roomId: lobbyRoomId });

/** A room, teacher, staff member or activity added or changed by hand; a new person gets their line or status. */
function withSetupItem(state: NightState, item: SetupItem): NightState {
  const setup = state.setup!;
  switch (item.kind) {
    case 'room': {
      const { kind: _, ...room } = item;
      return { ...state, setup: { ...setup, rooms: { ...setup.rooms, [room.id]: room } } };
    }
    case 'teacher': {
      const { kind: _, ...teacher } = item;
      const next = { ...state, setup: { ...setup, teachers: { ...setup.teachers, [teacher.id]: teacher } } };
      return state.teachers[teacher.id] ? next : { ...next, teachers: { ...state.teachers, [teacher.id]: freshTeacher() } };
    }
    case 'staff': {
      const { kind: _, ...staff } = item;
      const next = { ...state, setup: { ...setup, staff: { ...setup.staff, [staff.id]: staff } } };
      return state.staff[staff.id] ? next : { ...next, staff: { ...state.staff, [staff.id]: freshStaff() } };
    }
    case 'activity': {
      const activity = {
        id: item.id, title: item.title, kind: item.activityKind, roomId: item.roomId, startsAt: item.startsAt, endsAt: item.endsAt, checklist: item.checklist,
      };
      const i = setup.activities.findIndex((a) => a.id === item.id);
      const activities = i < 0 ? [...setup.activities, activity] : setup.activities.map((a, j) => (j === i ? activity : a));
      return { ...state, setup: { ...setup, activities } };
    }
  }
}

/**
 * The events of one evolveAll: each record of the state (visits, check-ins, …) is copied once, on its
 * first change, then changed in place (the states in between are never seen outside); a record the
 * owner already owns is not copied at all. It notes the visits and check-ins it changed, as they were
 * before, for the engine's index (live-index.ts): with an owner, the state before may no longer show them.
 */
class Batch {
  /** id → the visit before this batch (undefined: new), for every visit the batch changed. */
  readonly visitsBefore = new Map<string, Visit | undefined>();
  /** familyId → the check-in before this batch (undefined: new), for every check-in the batch changed. */
  readonly checkInsBefore = new Map<string, CheckIn | undefined>();
  /** An event replaced the visits or check-ins wholesale: the index is built afresh. */
  replacedAll = false;
  private owned = new Set<object>();

  constructor(private readonly owner?: Ownership) {}

  private own<T extends object>(record: Record<string, T>): Record<string, T> {
    if (this.owned.has(record)) return record;
    const mine = this.owner?.owns(record) ? record : copyRecord(record);
    this.owned.add(mine);
    this.owner?.take(mine);
    return mine;
  }

  withVisit(state: NightState, visit: Visit): NightState {
    if (!this.visitsBefore.has(visit.id)) this.visitsBefore.set(visit.id, state.visits[visit.id]);
    const visits = this.own(state.visits);
    setKey(visits, visit.id, visit);
    return { ...state, visits };
  }
  withTeacher(state: NightState, id: string, patch: Partial<TeacherState>): NightState {
    const teachers = this.own(state.teachers);
    setKey(teachers, id, { ...teachers[id], ...patch });
    return { ...state, teachers };
  }
  putCheckIn(state: NightState, checkIn: CheckIn): NightState {
    if (!this.checkInsBefore.has(checkIn.familyId)) this.checkInsBefore.set(checkIn.familyId, state.checkIns[checkIn.familyId]);
    const checkIns = this.own(state.checkIns);
    setKey(checkIns, checkIn.familyId, checkIn);
    return { ...state, checkIns };
  }
  withCheckIn(state: NightState, id: string, patch: Partial<CheckIn>): NightState {
    return this.putCheckIn(state, { ...state.checkIns[id], ...patch });
  }
  withStaff(state: NightState, id: string, patch: Partial<StaffState>): NightState {
    const staff = this.own(state.staff);
    setKey(staff, id, { ...staff[id], ...patch });
    return { ...state, staff };
  }
  withTask(state: NightState, task: EscortTask): NightState {
    const tasks = this.own(state.tasks);
    setKey(tasks, task.id, task);
    return { ...state, tasks };
  }
}
