// decide(state, command, context) → events | error: the only place where the night's rules live.
// Pure: the time and the actor come in with the context, nothing is read from a global.
import type { Bundle } from '../bundle';
import { localToEpoch } from '../clock';
import type { Actor, Command, ErrorCode } from '../protocol';
import { authorize } from './authorize';
import { familyBusyWith, proposeNext } from './queue';
import { visitIdOf, type NightEvent, type NightState } from './state';

export interface DecideContext { now: number; actor: Actor }
export type Decision = { ok: true; events: NightEvent[] } | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): Decision => ({ ok: false, code, message });
const accept = (...events: NightEvent[]): Decision => ({ ok: true, events });

export function decide(state: NightState, command: Command, { now, actor }: DecideContext): Decision {
  const refusal = authorize(state, command, actor);
  if (refusal) return refusal;
  const setup = state.setup;
  if (!setup) return refuse('night_not_open', 'No night has been set up yet.');
  const at = now;

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
      const byTeacher = teachersOfFamily(setup, family.id);
      const teacherIds = command.teacherIds ?? [...byTeacher.keys()];
      const unknown = teacherIds.find((t) => !byTeacher.has(t));
      if (unknown) return refuse('invalid', `Teacher ${unknown} does not teach this family's children.`);
      if (new Set(teacherIds).size !== teacherIds.length) return refuse('invalid', 'A teacher is listed twice.');
      const lastName = family.guardianName.trim().split(/\s+/).at(-1) ?? '';
      const letter = (lastName.normalize('NFD').replace(/[^A-Za-z]/g, '')[0] ?? 'F').toUpperCase();
      return accept({
        type: 'familyCheckedIn', at, familyId: family.id,
        ticket: `${letter}-${state.ticketsIssued + 1}`,
        language: command.language ?? family.language,
        wantsInterpreter: command.wantsInterpreter ?? needsInterpreterByDefault(setup, family.language, teacherIds),
        wantsEscort: command.wantsEscort ?? family.needsEscort,
        visits: teacherIds.map((teacherId) => ({
          visitId: visitIdOf(family.id, teacherId), teacherId, studentIds: byTeacher.get(teacherId)!,
          bookedAt: bookedSlot(setup, family.id, teacherId),
        })),
      });
    }

    case 'callFamily': {
      if (state.phase !== 'open') return refuse('night_not_open', 'The night is not open.');
      if (!setup.teachers[command.teacherId]) return refuse('not_found', 'No such teacher.');
      if (state.teachers[command.teacherId].activeVisitId) {
        return refuse('conflict', 'Finish the current conference before calling the next family.');
      }
      const visit = command.visitId ? state.visits[command.visitId] : proposeNext(state, command.teacherId);
      if (!visit) return command.visitId ? refuse('not_found', 'That family is not in this line.') : refuse('nobody_available', 'Nobody in the line can come right now.');
      if (visit.teacherId !== command.teacherId) return refuse('not_found', 'That family is not in this line.');
      if (visit.status !== 'waiting') return refuse('conflict', 'That family is not waiting any more.');
      const busy = familyBusyWith(state, visit.familyId);
      if (busy) {
        const other = setup.teachers[busy.teacherId];
        return refuse('conflict', `That family is with ${other?.name ?? 'another teacher'} right now.`);
      }
      return accept({ type: 'familyCalled', at, visitId: visit.id });
    }

    case 'startConference': {
      const visit = state.visits[command.visitId];
      if (!visit) return refuse('not_found', 'No such visit.');
      if (visit.status !== 'called') return refuse('conflict', 'Only a family that was called can start a conference.');
      return accept({ type: 'conferenceStarted', at, visitId: visit.id });
    }

    case 'endConference': {
      const visit = state.visits[command.visitId];
      if (!visit) return refuse('not_found', 'No such visit.');
      if (visit.status !== 'inConference') return refuse('conflict', 'That conference has not started.');
      return accept({ type: 'conferenceEnded', at, visitId: visit.id });
    }
  }
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

function needsInterpreterByDefault(setup: Bundle, language: string, teacherIds: string[]): boolean {
  return teacherIds.some((t) => !setup.teachers[t].languages.includes(language));
}

function bookedSlot(setup: Bundle, familyId: string, teacherId: string): number | null {
  const a = setup.appointments.find((x) => x.familyId === familyId && x.teacherId === teacherId);
  return a ? localToEpoch(setup.event.date, a.startsAt, setup.event.timezone) : null;
}
