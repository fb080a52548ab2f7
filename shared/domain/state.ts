// The state of one conference night and the events that change it. Both are plain JSON, so the
// journal, snapshots and tests can hold them as they are.
import type { Bundle } from '../bundle';

export type VisitStatus = 'waiting' | 'called' | 'inConference' | 'done' | 'cancelled';

/** One family's conference with one teacher: a place in that teacher's virtual line. */
export interface Visit {
  id: string;
  familyId: string;
  teacherId: string;
  /** The family's children in this teacher's class: two children in one class make one visit. */
  studentIds: string[];
  status: VisitStatus;
  /** The booked slot (epoch ms), or null for a walk-in. */
  bookedAt: number | null;
  queuedAt: number;
  calledAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
}

export interface CheckIn {
  familyId: string;
  /** Short code shown on the lobby board instead of a name, e.g. "G-14". */
  ticket: string;
  at: number;
  language: string;
  wantsInterpreter: boolean;
  wantsEscort: boolean;
  visitIds: string[];
}

export interface TeacherState {
  /** The visit called or in conference with this teacher; one at a time, by construction. */
  activeVisitId: string | null;
}

export type NightPhase = 'setup' | 'open' | 'closed';

export interface NightState {
  setup: Bundle | null;
  phase: NightPhase;
  checkIns: Record<string, CheckIn>;
  visits: Record<string, Visit>;
  teachers: Record<string, TeacherState>;
  ticketsIssued: number;
  /** Time of the last event: the night's clock as far as the pure core knows it. */
  clock: number;
}

export const emptyNight: NightState = {
  setup: null, phase: 'setup', checkIns: {}, visits: {}, teachers: {}, ticketsIssued: 0, clock: 0,
};

type E<T extends string, D = object> = { type: T; at: number } & D;
export type NightEvent =
  | E<'nightCreated', { setup: Bundle }>
  | E<'nightOpened'>
  | E<'nightClosed'>
  | E<'familyCheckedIn', {
      familyId: string; ticket: string; language: string; wantsInterpreter: boolean; wantsEscort: boolean;
      visits: { visitId: string; teacherId: string; studentIds: string[]; bookedAt: number | null }[];
    }>
  | E<'familyCalled', { visitId: string }>
  | E<'conferenceStarted', { visitId: string }>
  | E<'conferenceEnded', { visitId: string }>;

export type NightEventType = NightEvent['type'];

export const visitIdOf = (familyId: string, teacherId: string) => `${familyId}:${teacherId}`;
