// The state of one conference night and the events that change it. Both are plain JSON, so the
// journal, snapshots and tests can hold them as they are.
import type { Activity, Bundle, Room, Staff, Teacher } from '../bundle';

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
  /**
   * The estimated start the family was given when they checked in (absent: none could be made). The
   * engine keeps a family's conferences in the order they were told where it can (routing.ts).
   */
  promisedAt?: number;
  /** When the visit joined (or, after a no-show, rejoined) the line. */
  queuedAt: number;
  calledAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  /** The interpreter who sits in, chosen when the family is called. */
  interpreterId: string | null;
  noShows: number;
  /** When the family was last marked as not arrived (absent before the first no-show). */
  noShowAt?: number;
  /** What the teacher and the family agreed to at the close of the conference, one line each. */
  commitments?: Commitment[];
  /** The teacher's private note on this conference: only ever shown to that teacher. */
  note?: string;
  /** The coordinator moved this family to the front of the line at this time (absent otherwise). */
  frontAt?: number;
}

/** One shared commitment: "I will …" (the teacher) or "We will …" (the family). */
export interface Commitment { who: 'teacher' | 'family'; text: string }

export interface CheckIn {
  familyId: string;
  /** Short code shown on the lobby board instead of a name, e.g. "G-14". */
  ticket: string;
  at: number;
  language: string;
  wantsInterpreter: boolean;
  wantsEscort: boolean;
  visitIds: string[];
  /** Where the family last was: the front desk, then the room of their last conference. */
  roomId: string;
  /** Since when the family has been free to be called (arrival, end of a conference, return). */
  freeSince: number;
  /** "Hold our place": the family is out (dinner, the car) until then. */
  steppedOutUntil: number | null;
  /** At one of tonight's activities (the art show, the band): present, called from there. */
  activityId: string | null;
  leftAt: number | null;
  /** Checklist items ticked, per activity (indices into the activity's checklist). */
  ticked?: Record<string, number[]>;
  /** When the family at an activity was told its turn is close (cleared when it leaves or is called). */
  headsUpAt?: number | null;
  /** Every activity the family went to tonight, once each: the coordinator's per-activity counts. */
  activitiesJoined?: string[];
}

export interface TeacherState {
  /** The family called and on their way (at most one): the next conference. */
  calledVisitId: string | null;
  /** The conference in progress (at most one). */
  conferenceVisitId: string | null;
  /** On a break until then (null: not on a break). */
  breakUntil: number | null;
  /** "Running late": not free before then, whatever the current conference says. */
  lateUntil: number | null;
  /** When this teacher's last conference ended, until the next one starts (for the changeovers). */
  lastEndedAt?: number | null;
}

export type StaffStatus = 'available' | 'break' | 'off';
export interface StaffState {
  status: StaffStatus;
  /** Where the staff member last was, for walking times. */
  roomId: string;
  /** The family whose classroom tour this ambassador is leading (they tick its checklist). */
  tourFamilyId?: string | null;
}

/** The coordinator keeps an interpreter in one teacher's room until then (bilingual students). */
export interface InterpreterPin { teacherId: string; until: number }

export type TaskStatus = 'offered' | 'accepted' | 'done' | 'unassigned' | 'cancelled';
/** An escort walks a family to their room; an interpretation sits in on their conference. */
export type TaskKind = 'escort' | 'interpret';
/**
 * An assignment on a staff member's phone. An escort: an ambassador walks a family from where they are
 * to the room they were called to. An interpretation: the interpreter walks from where they are
 * (fromRoomId) to the teacher's room and sits in.
 */
export interface EscortTask {
  id: string;
  /** Absent: an escort (tasks from before interpretations were offered). */
  kind?: TaskKind;
  /** When the staff member said they were there (with the family, or in the room). */
  arrivedAt?: number | null;
  familyId: string;
  visitId: string;
  fromRoomId: string;
  toRoomId: string;
  status: TaskStatus;
  staffId: string | null;
  offeredAt: number | null;
  /** Everyone who declined or let the offer lapse: not asked again for this task. */
  passedBy: string[];
}

export type NightPhase = 'setup' | 'open' | 'closed';

export interface NightState {
  setup: Bundle | null;
  phase: NightPhase;
  checkIns: Record<string, CheckIn>;
  visits: Record<string, Visit>;
  teachers: Record<string, TeacherState>;
  staff: Record<string, StaffState>;
  tasks: Record<string, EscortTask>;
  ticketsIssued: number;
  /**
   * Conference lengths seen tonight, so estimates learn how long conferences really take; `byMinute`
   * counts them by length in whole minutes (absent in nights saved before it was kept: none seen).
   */
  finished: { count: number; totalMs: number; byMinute?: number[] };
  /**
   * Changeovers seen tonight: from a conference's end to the next one's start at that teacher, when
   * the next family was already waiting (absent in nights saved before it was kept: none seen).
   */
  changeovers?: { count: number; totalMs: number };
  /** Time of the last event: the night's clock as far as the pure core knows it. */
  clock: number;
  /**
   * How many times each sign-in ("role:id") has been revoked. The server derives every secret from
   * (role, id, version), so a revocation is journaled without any secret in it, and the old link dies.
   */
  signInVersions: Record<string, number>;
  /** staffId → the teacher's room the coordinator pinned them to, and until when. */
  pins: Record<string, InterpreterPin>;
  /** The coordinator's announcements, oldest first (the last few are kept). */
  announcements?: Announcement[];
  /** Set once the night's personal data (names, phone digits, notes) has been deleted. */
  purgedAt?: number;
  /** How many times families joined each activity tonight, for the report. */
  activityJoins?: Record<string, number>;
  /** Walk-in families registered at the front desk tonight (family id → when): unverified for the coordinator. */
  walkIns?: Record<string, number>;
}

// ---------- the coordinator's announcements and hand edits ----------

/** Templates shipped in every catalogue language (key `announce.template.<id>`). */
export const announcementTemplates = ['dinner', 'closingSoon', 'performance', 'parking', 'lostAndFound'] as const;
export type AnnouncementTemplate = (typeof announcementTemplates)[number];
/** Who an announcement is for: everyone, one role's screens, or the families of one language. */
export type AnnouncementAudience =
  | { to: 'everyone' }
  | { to: 'role'; role: 'family' | 'teacher' | 'staff' | 'kiosk' | 'board' }
  | { to: 'language'; language: string };
/** A template (each screen shows it in its own language) or texts the coordinator typed, by language. */
export type AnnouncementMessage = { template: AnnouncementTemplate } | { texts: Record<string, string> };
export interface Announcement { id: string; at: number; audience: AnnouncementAudience; message: AnnouncementMessage }
export const announcementsKept = 20;

/** One row of the setup edited by hand on the coordinator's page (added, or replaced by id). */
export type SetupItem =
  | ({ kind: 'room' } & Room)
  | ({ kind: 'teacher' } & Teacher)
  | ({ kind: 'staff' } & Staff)
  | ({ kind: 'activity' } & Omit<Activity, 'kind'> & { activityKind: Activity['kind'] });

/** The devices that are not people in the bundle: one coordinator, two kiosks, one lobby board. */
export const deviceIds = { coordinator: ['C1'], kiosk: ['K1', 'K2'], board: ['B1'] } as const;
/** The sign-ins the coordinator can revoke (not their own: that would lock the night out). */
export const revocableRoles = ['kiosk', 'teacher', 'board', 'staff', 'family'] as const;
export type RevocableRole = (typeof revocableRoles)[number];
export const signInKey = (role: string, id: string) => `${role}:${id}`;

export const emptyNight: NightState = {
  setup: null, phase: 'setup', checkIns: {}, visits: {}, teachers: {}, staff: {}, tasks: {},
  ticketsIssued: 0, finished: { count: 0, totalMs: 0 }, clock: 0, signInVersions: {}, pins: {},
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
  /** The estimated starts a family was given on checking in, kept with their visits. */
  | E<'estimatesPromised', { familyId: string; starts: { visitId: string; at: number }[] }>
  | E<'familyCalled', { visitId: string; interpreterId: string | null }>
  | E<'conferenceStarted', { visitId: string }>
  | E<'conferenceEnded', { visitId: string }>
  /** Called and not there: back of the line once, then out of it. */
  | E<'familyNoShow', { visitId: string; removed: boolean }>
  /** A called family goes back to the line without counting as a no-show (keeping their place). */
  | E<'familyPutBack', { visitId: string }>
  | E<'commitmentsSaved', { visitId: string; commitments: Commitment[] }>
  | E<'noteSaved', { visitId: string; text: string }>
  | E<'familySteppedOut', { familyId: string; until: number }>
  | E<'familyReturned', { familyId: string }>
  | E<'familyJoinedActivity', { familyId: string; activityId: string }>
  | E<'familyLeftActivity', { familyId: string }>
  | E<'familyLeft', { familyId: string }>
  | E<'teacherBreakStarted', { teacherId: string; until: number | null }>
  | E<'teacherRunningLate', { teacherId: string; until: number }>
  | E<'teacherResumed', { teacherId: string }>
  | E<'staffStatusChanged', { staffId: string; status: StaffStatus }>
  | E<'escortOffered', { taskId: string; familyId: string; visitId: string; fromRoomId: string; toRoomId: string; staffId: string }>
  | E<'escortOfferLapsed', { taskId: string; staffId: string; declined: boolean }>
  | E<'escortUnassigned', { taskId: string; familyId: string; visitId: string; fromRoomId: string; toRoomId: string }>
  | E<'escortAccepted', { taskId: string }>
  | E<'escortDone', { taskId: string }>
  // Interpreters' offers, arrivals, pins; activity checklists, tours and heads-ups.
  | E<'interpreterOffered', { taskId: string; familyId: string; visitId: string; fromRoomId: string; toRoomId: string; staffId: string }>
  | E<'taskArrived', { taskId: string }>
  | E<'interpreterPinned', { staffId: string; teacherId: string; until: number }>
  | E<'interpreterUnpinned', { staffId: string }>
  | E<'checklistTicked', { familyId: string; activityId: string; item: number; done: boolean }>
  | E<'tourStarted', { staffId: string; familyId: string }>
  | E<'tourEnded', { staffId: string }>
  /** The family at an activity is told its turn is close: it is called no sooner than five minutes later. */
  | E<'familyHeadsUp', { familyId: string }>
  /** The coordinator revoked a device's or person's sign-in: its link and sessions stop working. */
  | E<'signInRevoked', { role: RevocableRole; id: string; version: number }>
  // The coordinator's overrides, announcements, hand edits and the purge.
  | E<'visitMovedToFront', { visitId: string }>
  | E<'interpreterReassigned', { visitId: string; staffId: string }>
  | E<'announcementMade', { announcement: Announcement }>
  | E<'setupItemSaved', { item: SetupItem }>
  /** Nothing else happened, but an alert's time came (a family has now waited 30 minutes). */
  | E<'clockAdvanced'>
  /** Names, phone digits, notes and commitments are gone from the state (and then from every file). */
  | E<'personalDataPurged'>
  /** Front-desk staff registered a family the school had no record of (checked in by the next event). */
  | E<'walkInRegistered', { family: WalkInFamily; students: WalkInStudent[] }>;

export interface WalkInFamily { id: string; guardianName: string; language: string; needsEscort: boolean; studentIds: string[] }
export interface WalkInStudent { id: string; firstName: string; lastName: string; teacherIds: string[] }

export type NightEventType = NightEvent['type'];

export const visitIdOf = (familyId: string, teacherId: string) => `${familyId}:${teacherId}`;
export const lobbyRoomId = 'LOBBY';
