// decide(state, command, context) → events | error: the only place where the night's rules live.
// Pure: the time and the actor come in with the context, nothing is read from a global.
import type { Bundle } from '../bundle';
import { localToEpoch, minute } from '../clock';
import type { Actor, Command, SystemCommand } from '../protocol';
import { authorize } from './authorize';
import { headsUpDue } from './activities';
import { dispatch, expectedConferenceMs, familyBusyWith, familyFree, forecast, forecastOf, interpreterFor, needsInterpreter, walkMs } from './routing';
import { alertDueAt } from './coordinator';
import { deviceIds, signInKey, visitIdOf, type CheckIn, type EscortTask, type NightEvent, type NightState, type SetupItem, type Visit } from './state';
import { evolve } from './evolve';
import { keysOf, valuesOf, valuesWhere } from './records';
import { refuse, type Refusal, type RefusalKey, type RefusalParams } from './refusal';

export interface DecideContext { now: number; actor: Actor }
/** Refused: an error code, the sentence's catalogue key (refusal.*) and its English text, see ./refusal. */
export type Decision = { ok: true; events: NightEvent[] } | Refusal;

/** How long a called family has to arrive before the teacher may mark a no-show. */
export const noShowAfterMs = 5 * minute;
/** How long an ambassador has to accept an escort before it is offered to the next person. */
export const offerTimeoutMs = 60_000;

// Refusals whose sentence depends on a value get one key per value, so that each can be translated whole.
const alreadyStatus = { available: 'refusal.alreadyAvailable', break: 'refusal.alreadyOnBreak', off: 'refusal.alreadyOff' } as const satisfies Record<string, RefusalKey>;
const noSignIn = {
  kiosk: 'refusal.noKioskSignIn', teacher: 'refusal.noTeacherSignIn', board: 'refusal.noBoardSignIn',
  staff: 'refusal.noStaffSignIn', family: 'refusal.noFamilySignIn',
} as const satisfies Record<string, RefusalKey>;
/** A sentence naming a teacher, or its "another teacher" form when the teacher is not in tonight's setup. */
const withTeacher = (named: RefusalKey, unnamed: RefusalKey, teacher: string | undefined, params: RefusalParams = {}) =>
  teacher === undefined ? [unnamed, params] as const : [named, { ...params, teacher }] as const;
const accept = (...events: NightEvent[]): Decision => ({ ok: true, events });

export function decide(state: NightState, command: Command | SystemCommand, { now, actor }: DecideContext): Decision {
  const refusal = authorize(state, command, actor);
  if (refusal) return refusal;
  const setup = state.setup;
  if (!setup) return refuse('night_not_open', 'refusal.noNight');
  const at = now;
  const needsOpen = () => (state.phase !== 'open' ? refuse('night_not_open', 'refusal.nightNotOpen') : null);
  const visitOf = (visitId: string) => state.visits[visitId] as Visit | undefined;

  switch (command.type) {
    case 'openNight':
      return state.phase === 'open' ? refuse('conflict', 'refusal.nightAlreadyOpen') : accept({ type: 'nightOpened', at });
    case 'closeNight':
      return state.phase !== 'open' ? refuse('conflict', 'refusal.nightNotOpen') : accept({ type: 'nightClosed', at });

    case 'checkIn': {
      if (state.phase !== 'open') return refuse('night_not_open', 'refusal.checkInNotOpen');
      const family = setup.families[command.familyId];
      if (!family) return refuse('not_found', 'refusal.familyNotFound');
      if (state.checkIns[family.id]) return refuse('already_checked_in', 'refusal.alreadyCheckedIn');
      const checkedIn = familyCheckedIn(state, setup, family.id, command, at);
      return 'type' in checkedIn ? accept(checkedIn) : checkedIn;
    }

    case 'registerWalkIn': {
      if (state.phase !== 'open') return refuse('night_not_open', 'refusal.checkInNotOpen');
      if (setup.families[command.familyId]) return refuse('conflict', 'refusal.familyAlreadyRegistered');
      const unknown = command.children.find((c) => !setup.teachers[c.teacherId]);
      if (unknown) return refuse('not_found', 'refusal.noTeacherTonight', { teacher: unknown.teacherId });
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
      if (!teacher) return refuse('not_found', 'refusal.noSuchTeacher');
      if (teacher.calledVisitId) return refuse('conflict', 'refusal.alreadyCalled');
      if (teacher.breakUntil !== null && teacher.breakUntil > now) return refuse('conflict', 'refusal.resumeBeforeCalling');
      let visit: Visit | undefined;
      let interpreterId: string | null;
      if (command.visitId) {
        visit = visitOf(command.visitId);
        if (!visit || visit.teacherId !== command.teacherId) return refuse('not_found', 'refusal.notInThisLine');
        if (visit.status !== 'waiting') return refuse('conflict', 'refusal.notWaiting');
        const busy = familyBusyWith(state, visit.familyId);
        if (busy) return refuse('conflict', ...withTeacher('refusal.familyWithTeacher', 'refusal.familyWithAnotherTeacher', setup.teachers[busy.teacherId]?.name));
        if (!familyFree(state, visit.familyId, now)) return refuse('conflict', 'refusal.familySteppedOut');
        interpreterId = interpreterFor(state, visit, now);
        if (interpreterId === null && needsInterpreter(state, visit)) {
          // A conference that needs an interpreter is called only when one can be there.
          return refuse('conflict', 'refusal.noInterpreterYet');
        }
      } else {
        const proposal = dispatch(state, now, command.teacherId).get(command.teacherId);
        if (!proposal) return refuse('nobody_available', 'refusal.nobodyInLine');
        visit = state.visits[proposal.visitId];
        interpreterId = proposal.interpreterId;
      }
      return accept({ type: 'familyCalled', at, visitId: visit.id, interpreterId }, ...offerEscort(state, visit, at), ...offerInterpretation(state, visit, interpreterId, at));
    }

    case 'startConference': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (visit.status !== 'called') return refuse('conflict', 'refusal.startNeedsCalled');
      if (state.teachers[visit.teacherId].conferenceVisitId) return refuse('conflict', 'refusal.endCurrentFirst');
      return accept({ type: 'conferenceStarted', at, visitId: visit.id });
    }

    case 'endConference': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (visit.status !== 'inConference') return refuse('conflict', 'refusal.conferenceNotStarted');
      return accept({ type: 'conferenceEnded', at, visitId: visit.id });
    }

    case 'markNoShow': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (visit.status !== 'called') return refuse('conflict', 'refusal.noShowNeedsCalled');
      if (actor.role === 'teacher' && now - (visit.calledAt ?? now) < noShowAfterMs) {
        return refuse('conflict', 'refusal.noShowTooSoon');
      }
      return accept({ type: 'familyNoShow', at, visitId: visit.id, removed: visit.noShows >= 1 });
    }

    case 'putBack': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (visit.status !== 'called') return refuse('conflict', 'refusal.requeueNeedsCalled');
      return accept({ type: 'familyPutBack', at, visitId: visit.id });
    }

    case 'saveCommitments': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (visit.status !== 'inConference' && visit.status !== 'done') {
        return refuse('conflict', 'refusal.commitmentsTooEarly');
      }
      const commitments = command.commitments.map((c) => ({ who: c.who, text: c.text }));
      if (JSON.stringify(commitments) === JSON.stringify(visit.commitments ?? [])) return refuse('conflict', 'refusal.nothingChanged');
      return accept({ type: 'commitmentsSaved', at, visitId: visit.id, commitments });
    }

    case 'saveNote': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (command.text === (visit.note ?? '')) return refuse('conflict', 'refusal.nothingChanged');
      return accept({ type: 'noteSaved', at, visitId: visit.id, text: command.text });
    }

    case 'stepOut': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'refusal.familyNotHere');
      if (familyBusyWith(state, c.familyId)) return refuse('conflict', 'refusal.goToRoomFirst');
      return accept({ type: 'familySteppedOut', at, familyId: c.familyId, until: now + command.minutes * minute });
    }
    case 'returnToLine': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'refusal.familyNotHere');
      if (c.steppedOutUntil === null) return refuse('conflict', 'refusal.alreadyInLine');
      return accept({ type: 'familyReturned', at, familyId: c.familyId });
    }
    case 'joinActivity':
    case 'leaveActivity': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'refusal.familyNotHere');
      if (command.type === 'leaveActivity') {
        return c.activityId === null ? refuse('conflict', 'refusal.notAtActivity') : accept({ type: 'familyLeftActivity', at, familyId: c.familyId });
      }
      if (!setup.activities.some((a) => a.id === command.activityId)) return refuse('not_found', 'refusal.noSuchActivity');
      if (familyBusyWith(state, c.familyId)) return refuse('conflict', 'refusal.goToRoomFirst');
      if (c.activityId === command.activityId) return refuse('conflict', 'refusal.alreadyThere');
      return accept({ type: 'familyJoinedActivity', at, familyId: c.familyId, activityId: command.activityId });
    }

    case 'leave': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'refusal.familyNotHere');
      return accept({ type: 'familyLeft', at, familyId: c.familyId });
    }

    case 'takeBreak':
    case 'runningLate':
    case 'resume': {
      const teacher = state.teachers[command.teacherId];
      if (!teacher) return refuse('not_found', 'refusal.noSuchTeacher');
      if (command.type === 'resume') {
        if (teacher.breakUntil === null && teacher.lateUntil === null) return refuse('conflict', 'refusal.lineNotPaused');
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
      if (!staff) return refuse('not_found', 'refusal.noSuchStaff');
      if (staff.status === command.status) return refuse('conflict', alreadyStatus[command.status]);
      return accept({ type: 'staffStatusChanged', at, staffId: command.staffId, status: command.status });
    }

    case 'acceptTask':
    case 'declineTask':
    case 'finishTask': {
      const task = state.tasks[command.taskId];
      if (!task) return refuse('not_found', 'refusal.noSuchAssignment');
      if (command.type === 'acceptTask') {
        if (task.status !== 'offered') return refuse('conflict', 'refusal.noLongerOffered');
        return accept({ type: 'escortAccepted', at, taskId: task.id });
      }
      if (command.type === 'declineTask') {
        if (task.status !== 'offered' || !task.staffId) return refuse('conflict', 'refusal.noLongerOffered');
        return accept({ type: 'escortOfferLapsed', at, taskId: task.id, staffId: task.staffId, declined: true }, ...reoffer(state, task.id, [task.staffId], at));
      }
      if (task.status !== 'accepted') return refuse('conflict', 'refusal.finishNeedsAccepted');
      return accept({ type: 'escortDone', at, taskId: task.id });
    }

    case 'arriveTask': {
      const task = state.tasks[command.taskId];
      if (!task) return refuse('not_found', 'refusal.noSuchAssignment');
      if (task.status !== 'accepted') return refuse('conflict', 'refusal.acceptFirst');
      if ((task.arrivedAt ?? null) !== null) return refuse('conflict', 'refusal.alreadyArrived');
      return accept({ type: 'taskArrived', at, taskId: task.id });
    }

    case 'pinInterpreter':
    case 'unpinInterpreter': {
      if (!setup.staff[command.staffId]) return refuse('not_found', 'refusal.noSuchStaff');
      const pin = state.pins?.[command.staffId];
      if (command.type === 'unpinInterpreter') {
        if (!pin || pin.until <= now) return refuse('conflict', 'refusal.notPinned');
        return accept({ type: 'interpreterUnpinned', at, staffId: command.staffId });
      }
      if (!setup.teachers[command.teacherId]) return refuse('not_found', 'refusal.noSuchTeacher');
      return accept({ type: 'interpreterPinned', at, staffId: command.staffId, teacherId: command.teacherId, until: now + command.minutes * minute });
    }

    case 'tickChecklist': {
      const c = state.checkIns[command.familyId];
      if (!c || c.leftAt !== null) return refuse('not_found', 'refusal.familyNotHere');
      // An ambassador ticks only for the family whose tour they are leading.
      if (actor.role === 'staff' && state.staff[actor.id]?.tourFamilyId !== command.familyId) {
        return refuse('forbidden', 'refusal.startTourFirst');
      }
      const activity = setup.activities.find((a) => a.id === command.activityId);
      if (!activity) return refuse('not_found', 'refusal.noSuchActivity');
      if (command.item >= activity.checklist.length) return refuse('not_found', 'refusal.noSuchChecklistItem');
      if ((c.ticked?.[activity.id] ?? []).includes(command.item) === command.done) return refuse('conflict', 'refusal.nothingChanged');
      return accept({ type: 'checklistTicked', at, familyId: c.familyId, activityId: activity.id, item: command.item, done: command.done });
    }

    case 'leadTour': {
      const staff = state.staff[command.staffId];
      if (!staff) return refuse('not_found', 'refusal.noSuchStaff');
      const tour = setup.activities.find((a) => a.kind === 'tour');
      if (!tour) return refuse('not_found', 'refusal.noTour');
      const wanted = normalTicket(command.ticket);
      const c = valuesOf(state.checkIns).find((x) => normalTicket(x.ticket) === wanted && x.leftAt === null);
      if (!c) return refuse('not_found', 'refusal.noTicket', { ticket: command.ticket.toUpperCase() });
      if (staff.tourFamilyId === c.familyId) return refuse('conflict', 'refusal.alreadyLeadingTour');
      const joins = c.activityId !== tour.id && !familyBusyWith(state, c.familyId);
      return accept({ type: 'tourStarted', at, staffId: command.staffId, familyId: c.familyId },
        ...(joins ? [{ type: 'familyJoinedActivity', at, familyId: c.familyId, activityId: tour.id } as const] : []));
    }

    case 'endTour': {
      const staff = state.staff[command.staffId];
      if (!staff) return refuse('not_found', 'refusal.noSuchStaff');
      const familyId = staff.tourFamilyId ?? null;
      if (familyId === null) return refuse('conflict', 'refusal.noTourInProgress');
      const tour = setup.activities.find((a) => a.kind === 'tour');
      const leaves = !!tour && state.checkIns[familyId]?.activityId === tour.id;
      return accept({ type: 'tourEnded', at, staffId: command.staffId }, ...(leaves ? [{ type: 'familyLeftActivity', at, familyId } as const] : []));
    }

    case 'revokeSignIn': {
      const { role, id } = command;
      const known = role === 'teacher' ? !!setup.teachers[id]
        : role === 'staff' ? !!setup.staff[id]
          : role === 'family' ? !!setup.families[id]
            : (deviceIds[role] as readonly string[]).includes(id);
      if (!known) return refuse('not_found', noSignIn[role], { id });
      const version = (state.signInVersions?.[signInKey(role, id)] ?? 0) + 1;
      return accept({ type: 'signInRevoked', at, role, id, version });
    }

    // ---------- the coordinator: overrides, announcements, hand edits, import, purge ----------

    case 'moveToFront': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (visit.status !== 'waiting') return refuse('conflict', 'refusal.frontNeedsWaiting');
      if (visit.frontAt !== undefined) return refuse('conflict', 'refusal.alreadyAtFront');
      return accept({ type: 'visitMovedToFront', at, visitId: visit.id });
    }

    case 'reassignInterpreter': {
      const visit = visitOf(command.visitId);
      if (!visit) return refuse('not_found', 'refusal.noSuchVisit');
      if (visit.status !== 'called' && visit.status !== 'inConference') return refuse('conflict', 'refusal.interpreterNeedsCalled');
      const staff = setup.staff[command.staffId];
      if (!staff) return refuse('not_found', 'refusal.noSuchStaff');
      if (visit.interpreterId === staff.id) return refuse('conflict', 'refusal.alreadyWithFamily', { name: staff.name });
      const language = state.checkIns[visit.familyId].language;
      if (!staff.languages.includes(language)) return refuse('conflict', 'refusal.doesNotSpeak', { name: staff.name, language });
      if (state.staff[staff.id].status !== 'available') return refuse('conflict', 'refusal.notAvailable', { name: staff.name });
      const elsewhere = valuesOf(state.visits).find((v) => v.interpreterId === staff.id && v.id !== visit.id && (v.status === 'called' || v.status === 'inConference'));
      if (elsewhere) return refuse('conflict', ...withTeacher('refusal.interpretingFor', 'refusal.interpretingElsewhere', setup.teachers[elsewhere.teacherId]?.name, { name: staff.name }));
      // The interpretation task moves with the visit: the new interpreter is asked on their phone.
      const task = valuesOf(state.tasks).find((t) => t.kind === 'interpret' && t.visitId === visit.id && (t.status === 'offered' || t.status === 'accepted' || t.status === 'unassigned'));
      return accept({ type: 'interpreterReassigned', at, visitId: visit.id, staffId: staff.id }, {
        type: 'interpreterOffered', at, taskId: task?.id ?? `I-${visit.id}-${visit.noShows}`, familyId: visit.familyId, visitId: visit.id,
        fromRoomId: state.staff[staff.id].roomId, toRoomId: setup.teachers[visit.teacherId].roomId, staffId: staff.id,
      });
    }

    case 'reassignEscort': {
      const task = state.tasks[command.taskId];
      if (!task) return refuse('not_found', 'refusal.noSuchAssignment');
      if (task.status !== 'offered' && task.status !== 'unassigned') return refuse('conflict', 'refusal.escortTaken');
      const staff = setup.staff[command.staffId];
      if (!staff || staff.role !== 'ambassador') return refuse('not_found', 'refusal.noSuchAmbassador');
      if (task.staffId === staff.id) return refuse('conflict', 'refusal.escortAlreadyOffered', { name: staff.name });
      if (state.staff[staff.id].status !== 'available') return refuse('conflict', 'refusal.notAvailable', { name: staff.name });
      const busy = valuesOf(state.tasks).some((t) => t.staffId === staff.id && (t.status === 'offered' || t.status === 'accepted'));
      if (busy) return refuse('conflict', 'refusal.onAnotherEscort', { name: staff.name });
      return accept({
        type: 'escortOffered', at, taskId: task.id, familyId: task.familyId, visitId: task.visitId,
        fromRoomId: task.fromRoomId, toRoomId: task.toRoomId, staffId: staff.id,
      });
    }

    case 'announce':
      return accept({ type: 'announcementMade', at, announcement: { id: command.commandId, at, audience: command.audience, message: command.message } });

    case 'editSetup': {
      const item = command.item;
      const roomOk = (roomId: string | null) => roomId === null || !!setup.rooms[roomId];
      if ((item.kind === 'teacher' || item.kind === 'activity') && !roomOk(item.roomId)) return refuse('not_found', 'refusal.noSuchRoom', { room: String(item.roomId) });
      if (item.kind === 'room' && setup.rooms[item.id] && item.id === 'LOBBY' && item.zone !== setup.rooms.LOBBY.zone) {
        return refuse('conflict', 'refusal.lobbyZone');
      }
      if (item.kind === 'activity' && item.startsAt && item.endsAt && item.startsAt >= item.endsAt) return refuse('invalid', 'refusal.activityEndsAfterStart');
      if (item.kind === 'staff' && setup.staff[item.id] && setup.staff[item.id].role !== item.role && valuesOf(state.tasks).some((t) => t.staffId === item.id && (t.status === 'offered' || t.status === 'accepted'))) {
        return refuse('conflict', 'refusal.finishEscortFirst');
      }
      if (JSON.stringify(setupItemOf(setup, item.kind, item.id)) === JSON.stringify(item)) return refuse('conflict', 'refusal.nothingChanged');
      return accept({ type: 'setupItemSaved', at, item });
    }

    case 'importBundle':
      if (keysOf(state.checkIns).length) {
        return refuse('conflict', 'refusal.importTooLate');
      }
      return accept({ type: 'nightCreated', at, setup: command.setup });

    case 'purgePersonalData':
      if (state.phase !== 'closed') return refuse('conflict', 'refusal.closeBeforePurge');
      // Asking again is allowed: if the files could not be rewritten the first time, this finishes the job.
      return accept({ type: 'personalDataPurged', at });

    case 'promiseEstimates': {
      // The estimated starts the family's page shows now, just after their check-in: kept with the
      // visits, so the engine can keep the order the family was told and the report can say how
      // good the estimates were. Once per family (asked again, nothing changes).
      const c = state.checkIns[command.familyId];
      if (!c) return refuse('not_found', 'refusal.familyNotFound');
      const visits = c.visitIds.map((id) => state.visits[id]);
      if (visits.some((v) => v.promisedAt !== undefined)) return accept();
      const waiting = visits.filter((v) => v.status === 'waiting').map((v) => v.id);
      const starts = forecastOf(state, now, waiting);
      const promised = waiting.flatMap((visitId) => { const s = starts.get(visitId); return s === undefined ? [] : [{ visitId, at: s }]; });
      return promised.length ? accept({ type: 'estimatesPromised', at, familyId: c.familyId, starts: promised }) : accept();
    }

    case 'tick': {
      const events: NightEvent[] = [];
      for (const task of valuesWhere(state.tasks, isOffered)) {
        if (task.staffId && task.offeredAt !== null && now - task.offeredAt >= offerTimeoutMs) {
          events.push({ type: 'escortOfferLapsed', at, taskId: task.id, staffId: task.staffId, declined: false });
          events.push(...reoffer(state, task.id, [task.staffId], at));
        }
      }
      for (const c of valuesWhere(state.checkIns, isSteppedOut)) {
        if (c.steppedOutUntil! <= now && c.leftAt === null) events.push({ type: 'familyReturned', at, familyId: c.familyId });
      }
      // Families at an activity whose turn is close get their five-minute heads-up.
      if (valuesWhere(state.checkIns, awaitsHeadsUp).length) {
        const walk = (familyId: string, visitId: string) => walkMs(setup, state.checkIns[familyId].roomId, setup.teachers[state.visits[visitId].teacherId].roomId);
        for (const familyId of headsUpDue(state, now, forecast(state, now), walk)) events.push({ type: 'familyHeadsUp', at, familyId });
      }
      // Nothing else to do, but an alert's time has come (a family has now waited 30 minutes): the
      // clock moves so that the coordinator sees it, even on a quiet night.
      const due = events.length ? null : alertDueAt(state);
      if (due !== null && due <= now) events.push({ type: 'clockAdvanced', at });
      return events.length ? accept(...events) : refuse('conflict', 'refusal.nothingToDo');
    }
  }
}

// What the tick looks for, each found once per record (see valuesWhere).
const isOffered = (t: EscortTask) => t.status === 'offered';
const isSteppedOut = (c: CheckIn) => c.steppedOutUntil !== null;
const awaitsHeadsUp = (c: CheckIn) => c.activityId !== null && (c.headsUpAt ?? null) === null && c.leftAt === null;

/** The check-in of a known family: one visit per teacher they will see, a ticket, their choices for tonight. */
function familyCheckedIn(
  state: NightState, setup: Bundle, familyId: string,
  choices: { teacherIds?: string[]; language?: string; wantsInterpreter?: boolean; wantsEscort?: boolean }, at: number,
): NightEvent | Refusal {
  const family = setup.families[familyId];
  const byTeacher = teachersOfFamily(setup, family.id);
  const teacherIds = choices.teacherIds ?? [...byTeacher.keys()];
  const unknown = teacherIds.find((t) => !byTeacher.has(t));
  if (unknown) return refuse('invalid', 'refusal.notTheirTeacher', { teacher: unknown });
  if (new Set(teacherIds).size !== teacherIds.length) return refuse('invalid', 'refusal.teacherTwice');
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
  const base = { taskId, familyId: task.familyId, visitId: task.visitId, fromRoomId: task.fromRoomId, toRoomId: task.toRoomId };
  if (task.kind === 'interpret') {
    // The next best interpreter of the family's language walks from wherever they are.
    const next = interpreterFor(state, state.visits[task.visitId], at, [...task.passedBy, ...alsoPassed]);
    return next ? [{ type: 'interpreterOffered', at, ...base, fromRoomId: state.staff[next].roomId, staffId: next }] : [{ type: 'escortUnassigned', at, ...base }];
  }
  const staffId = nearestAmbassador(state, task.fromRoomId, [...task.passedBy, ...alsoPassed]);
  return staffId ? [{ type: 'escortOffered', at, ...base, staffId }] : [{ type: 'escortUnassigned', at, ...base }];
}

/** The interpreter chosen for a call is asked on their phone; a minute without an answer asks the next. */
function offerInterpretation(state: NightState, visit: Visit, interpreterId: string | null, at: number): NightEvent[] {
  if (interpreterId === null) return [];
  return [{
    type: 'interpreterOffered', at, taskId: `I-${visit.id}-${visit.noShows}`, familyId: visit.familyId, visitId: visit.id,
    fromRoomId: state.staff[interpreterId].roomId, toRoomId: state.setup!.teachers[visit.teacherId].roomId, staffId: interpreterId,
  }];
}

/** "h12", "H-12" and " h-12 " are the same ticket. */
const normalTicket = (ticket: string) => ticket.trim().toUpperCase().replace('-', '');

/** The available ambassador closest (in walking time) to the family, who is not on another task. */
export function nearestAmbassador(state: NightState, fromRoomId: string, exclude: string[]): string | null {
  const setup = state.setup!;
  const busy = new Set<string>();
  for (const t of valuesOf(state.tasks)) if (t.staffId && (t.status === 'offered' || t.status === 'accepted')) busy.add(t.staffId);
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

/** The setup row an edit would replace, in the edit's own shape (to refuse an edit that changes nothing). */
function setupItemOf(setup: Bundle, kind: SetupItem['kind'], id: string): SetupItem | null {
  switch (kind) {
    case 'room': return setup.rooms[id] ? { kind, ...setup.rooms[id] } : null;
    case 'teacher': return setup.teachers[id] ? { kind, ...setup.teachers[id] } : null;
    case 'staff': return setup.staff[id] ? { kind, ...setup.staff[id] } : null;
    case 'activity': {
      const a = setup.activities.find((x) => x.id === id);
      return a ? { kind, id: a.id, title: a.title, activityKind: a.kind, roomId: a.roomId, startsAt: a.startsAt, endsAt: a.endsAt, checklist: a.checklist } : null;
    }
  }
}

function bookedSlot(setup: Bundle, familyId: string, teacherId: string): number | null {
  const a = setup.appointments.find((x) => x.familyId === familyId && x.teacherId === teacherId);
  return a ? localToEpoch(setup.event.date, a.startsAt, setup.event.timezone) : null;
}
