// Who may send which command. The server checks this before anything else, and decide checks it
// again, so that no transport can skip it. Scope rules (a teacher acts on their own line only) are here too.
import type { Actor, Command } from '../protocol';
import type { NightState } from './state';

export type Refusal = { ok: false; code: 'forbidden'; message: string };

const allowedRoles: Record<Command['type'], Actor['role'][]> = {
  checkIn: ['kiosk', 'coordinator'],
  callFamily: ['teacher', 'coordinator'],
  startConference: ['teacher', 'coordinator'],
  endConference: ['teacher', 'coordinator'],
  openNight: ['coordinator'],
  closeNight: ['coordinator'],
};

export function authorize(state: NightState, command: Command, actor: Actor): Refusal | null {
  if (!allowedRoles[command.type].includes(actor.role)) {
    return { ok: false, code: 'forbidden', message: `A ${actor.role} may not ${describe(command.type)}.` };
  }
  if (actor.role === 'teacher') {
    const teacherId = command.type === 'callFamily' ? command.teacherId
      : 'visitId' in command && command.visitId ? state.visits[command.visitId]?.teacherId : undefined;
    if (teacherId !== undefined && teacherId !== actor.id) {
      return { ok: false, code: 'forbidden', message: 'Teachers can only act on their own line.' };
    }
  }
  return null;
}

function describe(type: Command['type']): string {
  return ({
    checkIn: 'check families in', callFamily: 'call families', startConference: 'start conferences',
    endConference: 'end conferences', openNight: 'open the night', closeNight: 'close the night',
  } as const)[type];
}
