// decide(state, command, context) → events | error: the only place where the night's rules live.
// Pure: the time and the actor come in with the context, nothing is read from a global.
import type { Bundle } from '../bundle';
import { localToEpoch, minute } from '../clock';
import type { Actor, Command, ErrorCode, SystemCommand } from '../protocol';
import { authorize } from './authorize';
import { evolve } from './evolve';
import { dispatch, expectedConferenceMs, familyBusyWith, familyFree, interpreterFor, needsInterpreter, walkMs } from './routing';
import { deviceIds, signInKey, visitIdOf, type NightEvent, type NightState, type Visit } from './state';

export interface DecideContext { now: number; actor: Actor }
export type Decision = { ok: true; events: NightEvent[] } | { ok: false; code: ErrorCode; message: string };

/** How long a called family has to arrive before the teacher may mark a no-show. */
export const noShowAfterMs = 5 * minute;
/** How long an ambassador has to accept an escort before it is offered to the next person. */
export const offerTimeoutMs = 60_000;

const refuse = (code: ErrorCode, message: string): Decision => ({ ok: false, code, message });
const accept = (...events: NightEvent[]): Decision => ({ ok: true, events });

export function decide(state: NightState, command: Command | SystemCommand, { now, actor }: DecideContext): Decision {
  const refusal = authorize(state, command, actor);
  if (refusal) return refusal;
  const setup = state.setup;
  if (!setup) return refuse('night_not_open', 'No night has been set up yet.');
  const at = now;
  const needsOpen = () => (state.phase !== 'open' ? refuse('night_not_open', 'The night is not open.') : null);
  const visitOf = (visitId: string) => state.visits[visitId] as Visit | undefined;

  switch (command.type) {
    case 'openNight':
      return state.phase === 'open' ? refuse('conflict', 'The night is already open.') : accept({ type: 'nightOpened', at });
    case 'closeNight':
      return state.phase !== 'open' ? refuse('conflict', 'The night is not open.') : accept({ type: 'nightClosed', at });

    case 'checkIn': {
      if (state.phase !== 'open') return refuse('night_not_open', 'Check-in is not open.');
      const family = setup.families[command.familyId];
      if (!family) return refuse('not_found', 'We could not find that family.');
      if (state.checkIns[family.id]) return refuse('already_checked_in', 'This family is already checked in.');
      const checkedIn = familyCheckedIn(state, setup, family.id, command, at);
      return 'type' in checkedIn ? accept(checkedIn) : checkedIn;
    }

    case 'registerWalkIn': {
      if (state.phase !== 'open') return refuse('night_not_open', 'Check-in is not open.');
      if (setup.families[command.familyId]) return refuse('conflict', 'That family is already registered.');
      const unknown = command.children.find((c) => !setup.teachers[c.teacherId]);
      if (unknown) return refuse('not_found', `No teacher ${unknown.teacherId} tonight.`);
      const lastName = command.guardianName.split(/\s+/).at(-1)!;
      const students = command.children.map((c, i) => ({ id: `${command.familyId}-S${i + 1}`, firstName: c.firstName, lastName, teacherIds: [c.teacherId] }));
      const family = {
        id: command.familyId, guardianName: command.guardianName, language: command.language,
        needsEscort: command.wantsEscort, studentIds: students.map((s) => s.id),
      };
      const registered: NightEvent = { type: 'walkInRegistered', at, family, students };
      // Checked in against the night as it will be once the family is registered.
      const withFamily = evolve(state, registered);
      const checkedIn = familyCheckedIn(withFamily, withFamily.setup!, family.id, command, at);
      return 'type' in checkedIn ? accept(registered, checkedIn) : checkedIn;
    }

    case 'callFamily': {
      const closed = needsOpen();
      if (closed) return closed;
      const teacher = state.teachers[command.teacherId];
      if (!teacher) return refuse('not_found', 'No such teacher.');
      if (teacher.calledVisitId) return refuse('conflict', 'A family is already on their way to you.');
      if (teacher.breakUntil !== null && teacher.breakUntil > now) return refuse('conflict', 'Resume your line before calling a family.');
      let visit: Visit | undefined;
      let interpreterId: string | null;
      if (command.visitId) {
        visit = visitOf(command.visitId);
        if (!visit || visit.teacherId !== command.teacherId) return refuse('not_found', 'That family is not in this line.');
        if (visit.status !== 'waiting') return refuse('conflict', 'That family is not waiting any more.');
        const busy = familyBusyWith(state, visit.familyId);
        if (busy) return refuse('conflict', `That family is with ${setup.teachers[busy.teacherId]?.name ?? 'another teacher'} right now.`);
        if (!familyFree(state, visit.familyId, now)) return refuse('conflict', 'That family has stepped out for a moment.');
        interpreterId = interpreterFor(state, visit, now);
        if (interpreterId === null && needsInterpreter(state, visit)) {
          // A conference that needs an interpreter is called only when one can be there.
          return refuse('conflict', `No interpreter for this family's language is free yet; they will be proposed as soon as one is.`);
        }
      } else {
        const proposal = dispatch(state, now, command.teacherId).get(command.teacherId);
        if (!proposal) return refuse('nobody_available', 'Nobody in the line can come right now.');
        visit = state.visits[proposal.visitId];
        interpreterId = proposal.interpreterId;
      }
      return accept({ type: 'familyCalled', at, visitId: visit.id, interpreterId }, ...offerEscort(state, visit, at));
    }

    case 'startConference': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'No such visit.');
      if (visit.status !== 'called') return refuse('conflict', 'Only a family that was called can start a conference.');
      if (state.teachers[visit.teacherId].conferenceVisitId) return refuse('conflict', 'End the current conference first.');
      return accept({ type: 'conferenceStarted', at, visitId: visit.id });
    }

    case 'endConference': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'No such visit.');
      if (visit.status !== 'inConference') return refuse('conflict', 'That conference has not started.');
      return accept({ type: 'conferenceEnded', at, visitId: visit.id });
    }

    case 'markNoShow': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'No such visit.');
      if (visit.status !== 'called') return refuse('conflict', 'Only a family that was called can be marked as not arrived.');
      if (actor.role === 'teacher' && now - (visit.calledAt ?? now) < noShowAfterMs) {
        return refuse('conflict', 'Give the family five minutes to arrive.');
      }
      return accept({ type: 'familyNoShow', at, visitId: visit.id, removed: visit.noShows >= 1 });
    }

    case 'putBack': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'No such visit.');
      if (visit.status !== 'called') return refuse('conflict', 'Only a family that was called can be put back in line.');
      return accept({ type: 'familyPutBack', at, visitId: visit.id });
    }

    case 'saveCommitments': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'No such visit.');
      if (visit.status !== 'inConference' && visit.status !== 'done') {
        return refuse('conflict', 'Commitments are recorded during or after the conference.');
      }
      const commitments = command.commitments.map((c) => ({ who: c.who, text: c.text }));
      if (JSON.stringify(commitments) === JSON.stringify(visit.commitments ?? [])) return refuse('conflict', 'Nothing has changed.');
      return accept({ type: 'commitmentsSaved', at, visitId: visit.id, commitments });
    }

    case 'saveNote': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'No such visit.');
      if (command.text === (visit.note ?? '')) return refuse('conflict', 'Nothing has changed.');
      return accept({ type: 'noteSaved', at, visitId: visit.id, text: command.text });
    }

    case 'stepOut': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'That family is not here tonight.');
      if (familyBusyWith(state, c.familyId)) return refuse('conflict', 'You have been called: please go to the room first.');
      return accept({ type: 'familySteppedOut', at, familyId: c.familyId, until: now + command.minutes * minute });
    }
    case 'returnToLine': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'That family is not here tonight.');
      if (c.steppedOutUntil === null) return refuse('conflict', 'That family is already in line.');
      return accept({ type: 'familyReturned', at, familyId: c.familyId });
    }
    case 'joinActivity':
    case 'leaveActivity': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'That family is not here tonight.');
      if (command.type === 'leaveActivity') {
        return c.activityId === null ? refuse('conflict', 'That family is not at an activity.') : accept({ type: 'familyLeftActivity', at, familyId: c.familyId });
      }
      if (!setup.activities.some((a) => a.id === command.activityId)) return refuse('not_found', 'No such activity tonight.');
      if (familyBusyWith(state, c.familyId)) return refuse('conflict', 'You have been called: please go to the room first.');
      if (c.activityId === command.activityId) return refuse('conflict', 'Already there.');
      return accept({ type: 'familyJoinedActivity', at, familyId: c.familyId, activityId: command.activityId });
    }

    case 'leave': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'That family is not here tonight.');
      return accept({ type: 'familyLeft', at, familyId: c.familyId });
    }

    case 'takeBreak':
    case 'runningLate':
    case 'resume': {
      const teacher = state.teachers[command.teacherId];
      if (!teacher) return refuse('not_found', 'No such teacher.');
      if (command.type === 'resume') {
        if (teacher.breakUntil === null && teacher.lateUntil === null) return refuse('conflict', 'The line is not paused.');
        return accept({ type: 'teacherResumed', at, teacherId: command.teacherId });
      }
      if (command.type === 'takeBreak') {
        return accept({ type: 'teacherBreakStarted', at, teacherId: command.teacherId, until: command.minutes === null ? null : now + command.minutes * minute });
      }
      // Late by N minutes means free N minutes later than expected: after the conference in
      // progress (and any lateness already announced), so every family behind moves at once.
      let expectedFree = Math.max(now, teacher.lateUntil ?? now);
      const current = teacher.conferenceVisitId ? state.visits[teacher.conferenceVisitId] : null;
      if (current?.startedAt != null) expectedFree = Math.max(expectedFree, current.startedAt + expectedConferenceMs(state));
      return accept({ type: 'teacherRunningLate', at, teacherId: command.teacherId, until: expectedFree + command.minutes * minute });
    }

    case 'setStaffStatus': {
      const staff = state.staff[command.staffId];
      if (!staff) return refuse('not_found', 'No such staff member.');
      if (staff.status === command.status) return refuse('conflict', `Already ${command.status}.`);
      return accept({ type: 'staffStatusChanged', at, staffId: command.staffId, status: command.status });
    }

    case 'acceptTask':
    case 'declineTask':
    case 'finishTask': {
      const task = state.tasks[command.taskId];
      if (!task) return refuse('not_found', 'No such assignment.');
      if (command.type === 'acceptTask') {
        if (task.status !== 'offered') return refuse('conflict', 'This assignment is no longer offered to you.');
        return accept({ type: 'escortAccepted', at, taskId: task.id });
      }
      if (command.type === 'declineTask') {
        if (task.status !== 'offered' || !task.staffId) return refuse('conflict', 'This assignment is no longer offered to you.');
        return accept({ type: 'escortOfferLapsed', at, taskId: task.id, staffId: task.staffId, declined: true }, ...reoffer(state, task.id, [task.staffId], at));
      }
      if (task.status !== 'accepted') return refuse('conflict', 'Only an accepted assignment can be finished.');
      return accept({ type: 'escortDone', at, taskId: task.id });
    }

    case 'revokeSignIn': {
      const { role, id } = command;
      const known = role === 'teacher' ? !!setup.teachers[id]
        : role === 'staff' ? !!setup.staff[id]
          : role === 'family' ? !!setup.families[id]
            : (deviceIds[role] as readonly string[]).includes(id);
      if (!known) return refuse('not_found', `No ${role} ${id} signs in tonight.`);
      const version = (state.signInVersions?.[signInKey(role, id)] ?? 0) + 1;
      return accept({ type: 'signInRevoked', at, role, id, version });
    }

    case 'tick': {
      const events: NightEvent[] = [];
      for (const task of Object.values(state.tasks)) {
        if (task.status === 'offered' && task.staffId && task.offeredAt !== null && now - task.offeredAt >= offerTimeoutMs) {
          events.push({ type: 'escortOfferLapsed', at, taskId: task.id, staffId: task.staffId, declined: false });
          events.push(...reoffer(state, task.id, [task.staffId], at));
        }
      }
      for (const c of Object.values(state.checkIns)) {
        if (c.steppedOutUntil !== null && c.steppedOutUntil <= now && c.leftAt === null) events.push({ type: 'familyReturned', at, familyId: c.familyId });
      }
      return events.length ? accept(...events) : refuse('conflict', 'Nothing to do.');
    }
  }
}

/** The check-in of a known family: one visit per teacher they will see, a ticket, their choices for tonight. */
function familyCheckedIn(
  state: NightState, setup: Bundle, familyId: string,
  choices: { teacherIds?: string[]; language?: string; wantsInterpreter?: boolean; wantsEscort?: boolean }, at: number,
): NightEvent | Extract<Decision, { ok: false }> {
  const family = setup.families[familyId];
  const byTeacher = teachersOfFamily(setup, family.id);
  const teacherIds = choices.teacherIds ?? [...byTeacher.keys()];
  const unknown = teacherIds.find((t) => !byTeacher.has(t));
  if (unknown) return { ok: false, code: 'invalid', message: `Teacher ${unknown} does not teach this family's children.` };
  if (new Set(teacherIds).size !== teacherIds.length) return { ok: false, code: 'invalid', message: 'A teacher is listed twice.' };
  const lastName = family.guardianName.trim().split(/\s+/).at(-1) ?? '';
  const letter = (lastName.normalize('NFD').replace(/[^A-Za-z]/g, '')[0] ?? 'F').toUpperCase();
  return {
    type: 'familyCheckedIn', at, familyId: family.id,
    ticket: `${letter}-${state.ticketsIssued + 1}`,
    language: choices.language ?? family.language,
    wantsInterpreter: choices.wantsInterpreter ?? true,
    wantsEscort: choices.wantsEscort ?? family.needsEscort,
    visits: teacherIds.map((teacherId) => ({
      visitId: visitIdOf(family.id, teacherId), teacherId, studentIds: byTeacher.get(teacherId)!,
      bookedAt: bookedSlot(setup, family.id, teacherId),
    })),
  };
}

/** A family who asked for a guide gets the nearest free ambassador when called. */
function offerEscort(state: NightState, visit: Visit, at: number): NightEvent[] {
  const c = state.checkIns[visit.familyId];
  if (!c.wantsEscort) return [];
  const taskId = `E-${visit.id}-${visit.noShows}`;
  const toRoomId = state.setup!.teachers[visit.teacherId].roomId;
  const staffId = nearestAmbassador(state, c.roomId, []);
  if (!staffId) return [{ type: 'escortUnassigned', at, taskId, familyId: c.familyId, visitId: visit.id, fromRoomId: c.roomId, toRoomId }];
  return [{ type: 'escortOffered', at, taskId, familyId: c.familyId, visitId: visit.id, fromRoomId: c.roomId, toRoomId, staffId }];
}

function reoffer(state: NightState, taskId: string, alsoPassed: string[], at: number): NightEvent[] {
  const task = state.tasks[taskId];
  const staffId = nearestAmbassador(state, task.fromRoomId, [...task.passedBy, ...alsoPassed]);
  const base = { taskId, familyId: task.familyId, visitId: task.visitId, fromRoomId: task.fromRoomId, toRoomId: task.toRoomId };
  return staffId ? [{ type: 'escortOffered', at, ...base, staffId }] : [{ type: 'escortUnassigned', at, ...base }];
}

/** The available ambassador closest (in walking time) to the family, who is not on another task. */
export function nearestAmbassador(state: NightState, fromRoomId: string, exclude: string[]): string | null {
  const setup = state.setup!;
  const busy = new Set<string>();
  for (const t of Object.values(state.tasks)) if (t.staffId && (t.status === 'offered' || t.status === 'accepted')) busy.add(t.staffId);
  let best: string | null = null;
  let bestWalk = Infinity;
  for (const [id, s] of Object.entries(state.staff)) {
    if (setup.staff[id].role !== 'ambassador' || s.status !== 'available' || busy.has(id) || exclude.includes(id)) continue;
    const walk = walkMs(setup, s.roomId, fromRoomId);
    if (walk < bestWalk || (walk === bestWalk && best !== null && id < best)) { best = id; bestWalk = walk; }
  }
  return best;
}

/** Teacher → the family's children in that teacher's class. */
export function teachersOfFamily(setup: Bundle, familyId: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const studentId of setup.families[familyId]?.studentIds ?? []) {
    for (const teacherId of setup.students[studentId]?.teacherIds ?? []) {
      out.set(teacherId, [...(out.get(teacherId) ?? []), studentId]);
    }
  }
  return out;
}

function bookedSlot(setup: Bundle, familyId: string, teacherId: string): number | null {
  const a = setup.appointments.find((x) => x.familyId === familyId && x.teacherId === teacherId);
  return a ? localToEpoch(setup.event.date, a.startsAt, setup.event.timezone) : null;
}
