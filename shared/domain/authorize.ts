// Who may send which command, and on whose behalf. The server checks this before anything else and
// decide checks it again, so no transport can skip it.
import type { Actor, Command, SystemCommand } from '../protocol';
import { refuse, type Refusal } from './refusal';
import type { NightState } from './state';

type Rule = { roles: Actor['role'][]; what: string };
const rules: Record<Command['type'] | SystemCommand['type'], Rule> = {
  checkIn: { roles: ['kiosk', 'coordinator'], what: 'check families in' },
  callFamily: { roles: ['teacher', 'coordinator'], what: 'call families' },
  startConference: { roles: ['teacher', 'coordinator'], what: 'start conferences' },
  endConference: { roles: ['teacher', 'coordinator'], what: 'end conferences' },
  markNoShow: { roles: ['teacher', 'coordinator'], what: 'mark a no-show' },
  putBack: { roles: ['teacher', 'coordinator'], what: 'put a family back in line' },
  // The record of a conference is the teacher's own: the coordinator neither writes nor reads the note.
  saveCommitments: { roles: ['teacher'], what: 'record a conference\'s commitments' },
  saveNote: { roles: ['teacher'], what: 'write a teacher\'s private note' },
  stepOut: { roles: ['family', 'kiosk', 'coordinator'], what: 'hold a family\'s place' },
  returnToLine: { roles: ['family', 'kiosk', 'coordinator'], what: 'bring a family back' },
  joinActivity: { roles: ['family', 'kiosk', 'coordinator'], what: 'say where a family is' },
  leaveActivity: { roles: ['family', 'kiosk', 'coordinator'], what: 'say where a family is' },
  leave: { roles: ['family', 'coordinator'], what: 'cancel a family\'s evening' },
  takeBreak: { roles: ['teacher', 'coordinator'], what: 'start a break' },
  runningLate: { roles: ['teacher', 'coordinator'], what: 'mark a teacher late' },
  resume: { roles: ['teacher', 'coordinator'], what: 'resume a line' },
  setStaffStatus: { roles: ['staff', 'coordinator'], what: 'change a staff member\'s status' },
  acceptTask: { roles: ['staff'], what: 'accept assignments' },
  declineTask: { roles: ['staff'], what: 'decline assignments' },
  finishTask: { roles: ['staff', 'coordinator'], what: 'finish assignments' },
  openNight: { roles: ['coordinator'], what: 'open the night' },
  closeNight: { roles: ['coordinator'], what: 'close the night' },
  revokeSignIn: { roles: ['coordinator'], what: 'revoke a sign-in' },
  registerWalkIn: { roles: ['kiosk', 'coordinator'], what: 'register a walk-in family' },
  tick: { roles: ['system'], what: 'advance the clock' },
  promiseEstimates: { roles: ['system'], what: 'keep a family\'s estimates' },
  arriveTask: { roles: ['staff'], what: 'mark an assignment as arrived' },
  pinInterpreter: { roles: ['coordinator'], what: 'pin an interpreter to a room' },
  unpinInterpreter: { roles: ['coordinator'], what: 'unpin an interpreter' },
  // Staff may tick only for the family whose tour they lead: decide checks that.
  tickChecklist: { roles: ['family', 'staff', 'coordinator'], what: 'tick a family\'s checklist' },
  leadTour: { roles: ['staff'], what: 'lead a classroom tour' },
  endTour: { roles: ['staff', 'coordinator'], what: 'end a classroom tour' },
  moveToFront: { roles: ['coordinator'], what: 'move a family to the front of a line' },
  reassignInterpreter: { roles: ['coordinator'], what: 'reassign an interpreter' },
  reassignEscort: { roles: ['coordinator'], what: 'reassign an escort' },
  announce: { roles: ['coordinator'], what: 'make announcements' },
  editSetup: { roles: ['coordinator'], what: 'edit the night\'s setup' },
  purgePersonalData: { roles: ['coordinator'], what: 'delete the night\'s personal data' },
  importBundle: { roles: ['coordinator'], what: 'import a bundle' },
};

export function authorize(state: NightState, command: Command | SystemCommand, actor: Actor): Refusal<'forbidden'> | null {
  const rule = rules[command.type];
  // Keyless (the rule's wording is English): screens show error.forbidden in other languages.
  if (!rule.roles.includes(actor.role)) return { ok: false, code: 'forbidden', message: `A ${actor.role} may not ${rule.what}.` };
  const own = ownerOf(state, command);
  if (actor.role === 'teacher' && own.teacherId !== undefined && own.teacherId !== actor.id) {
    return refuse('forbidden', 'refusal.ownLine');
  }
  if (actor.role === 'family' && own.familyId !== actor.id) return refuse('forbidden', 'refusal.ownFamily');
  if (actor.role === 'staff' && own.staffId !== undefined && own.staffId !== actor.id) {
    return refuse('forbidden', 'refusal.someoneElsesAssignment');
  }
  return null;
}

/** The teacher, family or staff member a command acts on, for scope checks. */
function ownerOf(state: NightState, command: Command | SystemCommand): { teacherId?: string; familyId?: string; staffId?: string } {
  if ('teacherId' in command) return { teacherId: command.teacherId };
  if ('familyId' in command) return { familyId: command.familyId };
  if ('staffId' in command) return { staffId: command.staffId };
  // An unknown visit or task has no owner to protect: decide answers not_found.
  if ('visitId' in command && command.visitId) return { teacherId: state.visits[command.visitId]?.teacherId };
  if ('taskId' in command) return state.tasks[command.taskId] ? { staffId: state.tasks[command.taskId].staffId ?? '' } : {};
  return {};
}

