// Every message that crosses the socket, as zod schemas with the TypeScript types inferred from them.
// Client → server: `hello` (catch-up), `command` (changes the night), `query` (reads, changes nothing).
// Server → client: `sync` (a snapshot or a delta of the role's own view).
import { z } from 'zod';
import type { Bundle } from './bundle';
import { announcementTemplates } from './domain/state';

const id = z.string().min(1).max(40).regex(/^[A-Za-z0-9_:-]+$/);
/** Made by the client, so that a retried command is recognised and applied once. */
export const commandIdSchema = z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/);
const languageCode = z.string().regex(/^[a-z]{2}$/);

const command = <K extends string, T extends z.ZodRawShape>(type: K, shape: T) =>
  z.strictObject({ type: z.literal(type), commandId: commandIdSchema, ...shape });

export const checkInSchema = command('checkIn', {
  familyId: id,
  /** The teachers the family will see tonight; all of their children's teachers when absent. */
  teacherIds: z.array(id).min(1).max(20).optional(),
  language: languageCode.optional(),
  wantsInterpreter: z.boolean().optional(),
  wantsEscort: z.boolean().optional(),
});
export const callFamilySchema = command('callFamily', {
  teacherId: id,
  /** A specific visit; when absent the teacher calls the family the routing engine proposes. */
  visitId: id.optional(),
});
export const startConferenceSchema = command('startConference', { visitId: id });
export const endConferenceSchema = command('endConference', { visitId: id });
/** Called and not arrived within five minutes: back of the line once, then out of it. */
export const markNoShowSchema = command('markNoShow', { visitId: id });
/** A called family goes back to the line, keeping their place, without counting as a no-show. */
export const putBackSchema = command('putBack', { visitId: id });
export const maxCommitments = 8;
export const maxCommitmentLength = 280;
export const maxNoteLength = 2000;
/** The shared commitments that close a conference, one line each ("I will …" / "We will …"). Replaces the saved ones. */
export const saveCommitmentsSchema = command('saveCommitments', {
  visitId: id,
  commitments: z.array(z.strictObject({
    who: z.enum(['teacher', 'family']),
    text: z.string().trim().min(1).max(maxCommitmentLength),
  })).max(maxCommitments),
});
/** The teacher's private note on a visit (empty clears it); nobody else ever sees it. */
export const saveNoteSchema = command('saveNote', { visitId: id, text: z.string().trim().max(maxNoteLength) });
/** "We're stepping out — hold our place": no calls for up to 15 minutes. */
export const stepOutSchema = command('stepOut', { familyId: id, minutes: z.number().int().min(1).max(15) });
export const returnSchema = command('returnToLine', { familyId: id });
/** "We're at the art show": still present for the engine, called from there. */
export const joinActivitySchema = command('joinActivity', { familyId: id, activityId: id });
export const leaveActivitySchema = command('leaveActivity', { familyId: id });
/** "We have to leave": cancels every visit not yet held. */
export const leaveSchema = command('leave', { familyId: id });
export const takeBreakSchema = command('takeBreak', { teacherId: id, minutes: z.number().int().min(1).max(120).nullable() });
export const runningLateSchema = command('runningLate', { teacherId: id, minutes: z.number().int().min(1).max(90) });
export const resumeSchema = command('resume', { teacherId: id });
export const setStaffStatusSchema = command('setStaffStatus', { staffId: id, status: z.enum(['available', 'break', 'off']) });
export const acceptTaskSchema = command('acceptTask', { taskId: id });
export const declineTaskSchema = command('declineTask', { taskId: id });
export const finishTaskSchema = command('finishTask', { taskId: id });
export const openNightSchema = command('openNight', {});
export const closeNightSchema = command('closeNight', {});
/** The coordinator revokes a device's or person's sign-in at once; a new link can then be handed out. */
export const revokeSignInSchema = command('revokeSignIn', { role: z.enum(['kiosk', 'teacher', 'board', 'staff', 'family']), id });

// Staff phones, interpreter pins and activities.
/** "I'm there": with the family (an escort) or in the teacher's room (an interpretation). */
export const arriveTaskSchema = command('arriveTask', { taskId: id });
/** The coordinator keeps an interpreter in one teacher's room for a while (bilingual students' practice). */
export const pinInterpreterSchema = command('pinInterpreter', { staffId: id, teacherId: id, minutes: z.number().int().min(5).max(240) });
export const unpinInterpreterSchema = command('unpinInterpreter', { staffId: id });
/** A family (or the ambassador leading its tour) ticks one item of an activity's checklist, or unticks it. */
export const tickChecklistSchema = command('tickChecklist', { familyId: id, activityId: id, item: z.number().int().min(0).max(49), done: z.boolean() });
/** An ambassador starts leading a family's classroom tour: the ticket on the family's phone or slip says which. */
export const leadTourSchema = command('leadTour', { staffId: id, ticket: z.string().trim().min(2).max(12).regex(/^[A-Za-z]-?\d{1,5}$/) });
export const endTourSchema = command('endTour', { staffId: id });
// ---------- the coordinator: overrides, announcements, hand edits, the purge ----------

/** Moves a waiting family to the front of one teacher's line: the engine proposes them next. */
export const moveToFrontSchema = command('moveToFront', { visitId: id });
/** Sends another interpreter to a called family's conference (the one proposed could not go). */
export const reassignInterpreterSchema = command('reassignInterpreter', { visitId: id, staffId: id });
/** Offers an escort nobody accepted (or one offered to someone busy) to a chosen ambassador. */
export const reassignEscortSchema = command('reassignEscort', { taskId: id, staffId: id });
export const maxAnnouncementLength = 280;
const announcementText = z.string().trim().min(1).max(maxAnnouncementLength);
export const announceSchema = command('announce', {
  audience: z.discriminatedUnion('to', [
    z.strictObject({ to: z.literal('everyone') }),
    z.strictObject({ to: z.literal('role'), role: z.enum(['family', 'teacher', 'staff', 'kiosk', 'board']) }),
    z.strictObject({ to: z.literal('language'), language: languageCode }),
  ]),
  message: z.union([
    z.strictObject({ template: z.enum(announcementTemplates) }),
    // Texts by language: a screen shows its own language's, else English, else the first given.
    z.strictObject({ texts: z.record(languageCode, announcementText).refine((t) => Object.keys(t).length >= 1 && Object.keys(t).length <= 12, 'one text per language, 1 to 12') }),
  ]),
});
const setupName = z.string().trim().min(1).max(120);
const setupLanguages = z.array(languageCode).max(12);
const setupTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/).nullable();
/** Adds or replaces one room, teacher, staff member or activity of tonight's setup. */
export const editSetupSchema = command('editSetup', {
  item: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('room'), id, name: setupName, zone: z.string().trim().min(1).max(40) }),
    z.strictObject({ kind: z.literal('teacher'), id, name: setupName, roomId: id, languages: setupLanguages }),
    z.strictObject({ kind: z.literal('staff'), id, name: setupName, role: z.enum(['translator', 'ambassador']), languages: setupLanguages }),
    z.strictObject({
      kind: z.literal('activity'), id, title: setupName, activityKind: z.enum(['tour', 'exhibit', 'performance', 'meal']),
      roomId: id.nullable(), startsAt: setupTime, endsAt: setupTime, checklist: z.array(z.string().trim().min(1).max(120)).max(50),
    }),
  ]),
});
/** After the night is closed: deletes names, phone digits, notes and commitments everywhere, keeping figures. */
export const purgePersonalDataSchema = command('purgePersonalData', {});
/**
 * Front-desk staff register a family the school has no record of and check them in at once (marked
 * unverified for the coordinator). The kiosk makes the family's id, so a retried registration is one.
 */
export const walkInIdSchema = z.string().regex(/^W-[A-Za-z0-9]{10,24}$/);
export const registerWalkInSchema = command('registerWalkIn', {
  familyId: walkInIdSchema,
  guardianName: z.string().trim().min(2).max(80),
  language: languageCode,
  children: z.array(z.strictObject({ firstName: z.string().trim().min(1).max(40), teacherId: id })).min(1).max(8),
  wantsInterpreter: z.boolean(),
  wantsEscort: z.boolean(),
});

export const commandSchema = z.discriminatedUnion('type', [
  checkInSchema, callFamilySchema, startConferenceSchema, endConferenceSchema, markNoShowSchema,
  putBackSchema, saveCommitmentsSchema, saveNoteSchema,
  stepOutSchema, returnSchema, joinActivitySchema, leaveActivitySchema, leaveSchema, takeBreakSchema, runningLateSchema, resumeSchema,
  setStaffStatusSchema, acceptTaskSchema, declineTaskSchema, finishTaskSchema, openNightSchema, closeNightSchema,
  revokeSignInSchema,
  arriveTaskSchema, pinInterpreterSchema, unpinInterpreterSchema, tickChecklistSchema, leadTourSchema, endTourSchema,
  moveToFrontSchema, reassignInterpreterSchema, reassignEscortSchema, announceSchema, editSetupSchema, purgePersonalDataSchema,
  registerWalkInSchema,
]);
export type Command = z.infer<typeof commandSchema>;
/**
 * The server's own clock tick (lapsed offers, families back from stepping out), the estimates a
 * family was given, kept once their check-in is acknowledged (off the check-in's path), and a bundle
 * uploaded over HTTP by the coordinator (too large for a socket message); never from a socket.
 */
export type SystemCommand =
  | { type: 'tick'; commandId: string }
  | { type: 'promiseEstimates'; commandId: string; familyId: string }
  | { type: 'importBundle'; commandId: string; setup: Bundle };
export type CommandType = Command['type'];
export const commandTypes = commandSchema.options.map((o) => o.shape.type.value) as CommandType[];

export const querySchema = z.discriminatedUnion('type', [
  /** Kiosk search: two or more letters of a last name, or exactly the last four phone digits. */
  z.strictObject({ type: z.literal('findFamilies'), text: z.string().trim().min(2).max(40) }),
  /** What the kiosk's confirm step shows for one family picked from the search. */
  z.strictObject({ type: z.literal('familyDetails'), familyId: id }),
  /** The coordinator's sheet of sign-in links for every device and person (and the rehearsal's bots). */
  z.strictObject({ type: z.literal('signInLinks') }),
  /** The coordinator's audit log of privileged actions (overrides, revocations, imports), newest first. */
  z.strictObject({ type: z.literal('auditLog') }),
  /** The coordinator's report of the night (figures, waits, teacher load, commitments). */
  z.strictObject({ type: z.literal('nightReport') }),
  /** Which kiosks are connected now (a kiosk that was and is no longer is an alert). */
  z.strictObject({ type: z.literal('kiosks') }),
  /** The kiosk's sealed directory for searching while offline (see shared/domain/kiosk-directory.ts). */
  z.strictObject({ type: z.literal('kioskDirectory') }),
  /**
   * After a check-in: the family's first conference and its estimated start, for the kiosk's last
   * screen. Asked after the acknowledgement, so the estimate (the engine's whole forecast) never
   * slows the check-in itself.
   */
  z.strictObject({ type: z.literal('firstStop'), familyId: id }),
]);
export type Query = z.infer<typeof querySchema>;
/** The kiosks' connections, as the coordinator sees them (`seenAt`: when each last connected or dropped). */
export const kioskPresenceSchema = z.array(z.object({ id: z.string(), online: z.boolean(), seenAt: z.number().nullable() }));
export type KioskPresence = z.infer<typeof kioskPresenceSchema>[number];

export const helloSchema = z.strictObject({
  nightId: z.string().max(80).nullable(),
  lastSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
});
export type Hello = z.infer<typeof helloSchema>;

// ---------- server → client ----------

export const errorCodeSchema = z.enum([
  'invalid', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'already_checked_in',
  'night_not_open', 'nobody_available', 'unavailable', 'rate_limited',
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const commandResultSchema = z.object({ statusToken: z.string().optional(), ticket: z.string().optional() });
export type CommandResult = z.infer<typeof commandResultSchema>;
/** The answer to the kiosk's `firstStop` query. */
export interface FirstStop { teacherName: string; roomName: string; estimatedStart: number | null; called: boolean }

// A refusal's sentence as a catalogue key (refusal.*) with its names and numbers; `message` is its English text.
const refusalKey = z.string().max(100).optional();
const refusalParams = z.record(z.string(), z.union([z.string(), z.number()])).optional();

/** The answer to every command: applied (with the night's seq after it) or refused with a reason. */
export const ackSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), seq: z.number().int(), duplicate: z.boolean().optional(), result: commandResultSchema.optional() }),
  z.object({ ok: z.literal(false), code: errorCodeSchema, message: z.string(), key: refusalKey, params: refusalParams, result: commandResultSchema.optional() }),
]);
export type Ack = z.infer<typeof ackSchema>;

export const queryAnswerSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), code: errorCodeSchema, message: z.string() }),
]);
export type QueryAnswer<T = unknown> = { ok: true; data: T } | { ok: false; code: ErrorCode; message: string };

/** JSON Patch operations (RFC 6902), as fast-json-patch makes and applies them. */
export const patchOperationSchema = z.object({
  op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']), path: z.string(),
  value: z.unknown().optional(), from: z.string().optional(),
});
export type PatchOperation = z.infer<typeof patchOperationSchema>;

/** A role's view: whole (on hello, when too far behind) or as the change since the client's seq. */
export const syncMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('snapshot'), nightId: z.string(), seq: z.number().int(), view: z.unknown() }),
  z.object({ kind: z.literal('delta'), nightId: z.string(), fromSeq: z.number().int(), seq: z.number().int(), patch: z.array(patchOperationSchema) }),
]);
export type SyncMessage = z.infer<typeof syncMessageSchema>;

export type Role = 'kiosk' | 'teacher' | 'coordinator' | 'board' | 'staff' | 'family' | 'system';
export interface Actor { role: Role; id: string }
