// evolve(state, event) → state: applies one event that already happened. Pure and total: it never
// refuses (decide did the checking) and never mutates its input, so a replayed journal, the server,
// the simulator and the tests all arrive at the same state.
import type { NightEvent, NightState, Visit } from './state';

export function evolve(state: NightState, event: NightEvent): NightState {
  const clock = Math.max(state.clock, event.at);
  switch (event.type) {
    case 'nightCreated': {
      const teachers: NightState['teachers'] = {};
      for (const id of Object.keys(event.setup.teachers)) teachers[id] = { activeVisitId: null };
      return { ...state, setup: event.setup, teachers, clock };
    }
    case 'nightOpened':
      return { ...state, phase: 'open', clock };
    case 'nightClosed':
      return { ...state, phase: 'closed', clock };
    case 'familyCheckedIn': {
      const visits = { ...state.visits };
      for (const v of event.visits) {
        visits[v.visitId] = {
          id: v.visitId, familyId: event.familyId, teacherId: v.teacherId, studentIds: v.studentIds,
          status: 'waiting', bookedAt: v.bookedAt, queuedAt: event.at, calledAt: null, startedAt: null, endedAt: null,
        };
      }
      return {
        ...state, visits, clock, ticketsIssued: state.ticketsIssued + 1,
        checkIns: {
          ...state.checkIns,
          [event.familyId]: {
            familyId: event.familyId, ticket: event.ticket, at: event.at, language: event.language,
            wantsInterpreter: event.wantsInterpreter, wantsEscort: event.wantsEscort,
            visitIds: event.visits.map((v) => v.visitId),
          },
        },
      };
    }
    case 'familyCalled': {
      const visit = state.visits[event.visitId];
      return withTeacher(
        withVisit(state, { ...visit, status: 'called', calledAt: event.at }, clock),
        visit.teacherId, event.visitId,
      );
    }
    case 'conferenceStarted': {
      const visit = state.visits[event.visitId];
      return withTeacher(
        withVisit(state, { ...visit, status: 'inConference', startedAt: event.at, calledAt: visit.calledAt ?? event.at }, clock),
        visit.teacherId, event.visitId,
      );
    }
    case 'conferenceEnded': {
      const visit = state.visits[event.visitId];
      return withTeacher(withVisit(state, { ...visit, status: 'done', endedAt: event.at }, clock), visit.teacherId, null);
    }
  }
}

function withVisit(state: NightState, visit: Visit, clock: number): NightState {
  return { ...state, clock, visits: { ...state.visits, [visit.id]: visit } };
}

function withTeacher(state: NightState, teacherId: string, activeVisitId: string | null): NightState {
  return { ...state, teachers: { ...state.teachers, [teacherId]: { ...state.teachers[teacherId], activeVisitId } } };
}

export function evolveAll(state: NightState, events: readonly NightEvent[]): NightState {
  return events.reduce(evolve, state);
}
