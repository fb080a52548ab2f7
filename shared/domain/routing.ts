// The routing engine: who goes where next, so families spend the evening in conferences, not in lines.
//
// Every checked-in family holds a place in the virtual line of each teacher they came to see, and is
// physically in one place at a time. Two pure functions read the night's state:
//   - dispatch(state, now): for every teacher who is free or about to be, the family to call next,
//     the interpreter who goes with them, and why. The same rule picks the family when a teacher
//     presses "call next".
//   - forecast(state, now): plays the rest of the night forward with the same rule and expected
//     conference lengths, to give every waiting visit an estimated start.
// The engine is online: it knows only families who have checked in, and a conference's length only
// once it has ended (it expects the slot length, corrected by what it has seen tonight).
//
// The rule, in order: a booked family whose slot has come goes first; a booked slot is protected
// (no walk-in conference, judged by a long one, that would make a booked family late, whether here
// yet or not, unless no interpreter they need can be free by their slot; no booked family seen early
// that would make an earlier one late); a teacher never sits idle waiting for a family or an interpreter
// when someone else can be seen at once; among the rest,
// the family with the least left to do goes first (they leave soonest: shortest remaining work
// minimises the time families spend in the building; a conference that sends a family home weighs
// most), and waiting time counts against that, so everyone's wait stays bounded.
import type { Bundle } from '../bundle';
import { localToEpoch, minute } from '../clock';
import { MinHeap } from '../heap';
import { activityHoldUntil, heldAtActivity } from './activities';
import { pinPlace } from './pins';
import { frontOfLineKey, isFrontOfLineKey } from './overrides';
import { liveIndex, waitingCounts } from './live-index';
import { lobbyRoomId, type NightState, type Visit } from './state';
import { keysOf } from './records';

export const routingRules = {
  /** A minute waited weighs as much as a minute less of remaining conferences. */
  agingWeight: 1.5,
  /**
   * Each conference a family has beyond the one at hand weighs as this many: a conference that sends
   * a family home goes before one after which the family stays anyway, since minutes in the building
   * fall fastest that way. Waiting still counts, so a family with more to do is not kept waiting for
   * ever (one more conference to go is worth 40 minutes of waiting at 15-minute slots).
   */
  furtherConferenceWeight: 4,
  /** How much a minute until a pair's conference could start weighs against calling that pair. */
  delayWeight: 1,
  /**
   * Calling a family out of the order of the estimates they were given at check-in weighs as this
   * much more waiting: their page keeps pointing to the same next room and their estimates hold,
   * while a teacher with nobody else to see still calls them.
   */
  promisedOrderMs: 10 * minute,
  /** A teacher waits at most this long for a better-suited family before seeing another. */
  idleToleranceMs: 1 * minute,
  /** A booked slot counts as due this long before it starts. */
  bookedLeadMs: 2 * minute,
  /** A booked family may be this late before walk-ins stop being squeezed in ahead of it. */
  bookedSlackMs: 2 * minute,
  /**
   * A walk-in is squeezed in before a booked slot only if a conference this long (this quantile of
   * tonight's lengths) would end in time: judged by the mean length, half of them run into the slot.
   */
  squeezeQuantile: 0.75,
  /**
   * The slot of a booked family not checked in yet is kept too, but a walk-in may be expected to run
   * this far into it: the family may not come, and the teacher then sat idle for nobody.
   */
  absentSlotGraceMs: 2 * minute,
  /** A teacher in conference becomes "about to be free" this long before the expected end. */
  callLeadMs: 6 * minute,
  /**
   * A called family should be at the door this long before the teacher is expected to be free:
   * conferences often end a few minutes early, and a teacher waiting at the door holds up everyone
   * in their line, while a family waiting at the door loses only minutes they would wait anyway.
   */
  arriveEarlyMs: 4 * minute,
  /** A booked family not yet here is still expected this long after their slot. */
  lateBookingMs: 10 * minute,
  /** The changeover between two conferences expected before any has been seen. */
  priorTurnoverMs: 1 * minute,
  /** Prior weight (in conferences) of the slot length when learning tonight's conference length. */
  priorWeight: 5,
};

export type ProposalReason = 'frontOfLine' | 'booked' | 'waitedLongest' | 'fewestLeft' | 'interpreterFree' | 'onlyOne';

export interface Proposal {
  teacherId: string;
  visitId: string;
  familyId: string;
  interpreterId: string | null;
  /** When the conference can start: teacher free, family and interpreter there. */
  expectedStart: number;
  /** When to call the family so they arrive as the teacher becomes free. */
  callAt: number;
  reason: ProposalReason;
}

// ---------- the physical picture, derived from the state ----------

export function walkMs(setup: Bundle, fromRoomId: string, toRoomId: string): number {
  if (fromRoomId === toRoomId) return 0;
  const a = setup.rooms[fromRoomId]?.zone ?? 'lobby';
  const b = setup.rooms[toRoomId]?.zone ?? 'lobby';
  return (a === b ? setup.event.walkMinutes.sameZone : setup.event.walkMinutes.otherZone) * minute;
}

/** How long a conference is expected to last: the slot length, learning from tonight's conferences. */
export function expectedConferenceMs(state: NightState): number {
  const slot = (state.setup?.event.slotMinutes ?? 15) * minute;
  const k = routingRules.priorWeight;
  return (slot * k + state.finished.totalMs) / (k + state.finished.count);
}

export function roomOfTeacher(setup: Bundle, teacherId: string): string {
  return setup.teachers[teacherId].roomId;
}

export function needsInterpreter(state: NightState, visit: Visit): boolean {
  const checkIn = state.checkIns[visit.familyId];
  return interpreterNeededIn(checkIn.wantsInterpreter ? checkIn.language : null, state.setup!.teachers[visit.teacherId].languages) !== null;
}

/**
 * The language a conference needs an interpreter in (null: none): the family asked for one
 * (`askedIn`) in a language the teacher does not speak.
 */
function interpreterNeededIn(askedIn: string | null, teacherLanguages: readonly string[]): string | null {
  return askedIn !== null && !teacherLanguages.includes(askedIn) ? askedIn : null;
}

/** The one visit that holds the family right now (called or in conference), if any. */
export function familyBusyWith(state: NightState, familyId: string): Visit | null {
  return liveIndex(state).busy.get(familyId)?.at(-1) ?? null;
}

/** Can the family be called now: checked in, not gone, not out, not with anyone. */
export function familyFree(state: NightState, familyId: string, now: number): boolean {
  const c = state.checkIns[familyId];
  if (!c || c.leftAt !== null) return false;
  if (c.steppedOutUntil !== null && c.steppedOutUntil > now) return false;
  return !familyBusyWith(state, familyId);
}

/** When the teacher is expected to be free for the next family, ignoring any family already called. */
export function teacherFreeAt(state: NightState, teacherId: string, now: number): number {
  const t = state.teachers[teacherId];
  let free = now;
  if (t.breakUntil !== null) free = Math.max(free, t.breakUntil);
  if (t.lateUntil !== null) free = Math.max(free, t.lateUntil);
  if (t.conferenceVisitId) {
    const v = state.visits[t.conferenceVisitId];
    free = Math.max(free, (v.startedAt ?? now) + expectedConferenceMs(state));
  }
  return free;
}

/** An interpreter who can come: when they can set off (called by then at the latest) and arrive. */
interface InterpreterSlot { staffId: string; leaves: number; arrives: number }

/**
 * When each interpreter could be in a room: free staff now; staff in a conference after its
 * expected end; staff already called to a next conference are taken.
 */
function interpreterAvailability(state: NightState, now: number): Map<string, { freeAt: number; roomId: string }> {
  const setup = state.setup!;
  const out = new Map<string, { freeAt: number; roomId: string }>();
  for (const [id, s] of Object.entries(state.staff)) {
    if (s.status !== 'available') continue;
    out.set(id, { freeAt: now, roomId: s.roomId });
  }
  for (const [staffId, visits] of liveIndex(state).interpreting) {
    if (!out.has(staffId)) continue;
    for (const v of visits) {
      if (v.status === 'called') { out.delete(staffId); break; }
      out.set(staffId, { freeAt: Math.max(now, (v.startedAt ?? now) + expectedConferenceMs(state)), roomId: roomOfTeacher(setup, v.teacherId) });
    }
  }
  return out;
}

/** Who is pinned where, for one teacher's room: see pins.ts. */
type PinCheck = (staffId: string, at: number) => 'here' | 'elsewhere' | null;
const pinsFor = (state: NightState, teacherId: string): PinCheck => (staffId, at) => pinPlace(state, staffId, teacherId, at);

/** Who speaks each language tonight (staff ids), once per setup: the engine asks this very often. */
const speakersBySetup = new WeakMap<Bundle, Map<string, string[]>>();
function speakersOf(setup: Bundle, language: string): readonly string[] {
  let byLanguage = speakersBySetup.get(setup);
  if (!byLanguage) {
    byLanguage = new Map();
    for (const s of Object.values(setup.staff)) for (const l of s.languages) push(byLanguage, l, s.id);
    speakersBySetup.set(setup, byLanguage);
  }
  return byLanguage.get(language) ?? [];
}

function bestInterpreter(
  setup: Bundle, language: string, roomId: string,
  available: Map<string, { freeAt: number; roomId: string }>, taken: Set<string>, pins?: PinCheck,
): InterpreterSlot | null {
  let best: InterpreterSlot | null = null;
  let bestPinned = false;
  for (const staffId of speakersOf(setup, language)) {
    const a = available.get(staffId);
    if (!a || taken.has(staffId)) continue;
    // An interpreter pinned to a room goes nowhere else, and is that room's first choice.
    const pin = pins?.(staffId, a.freeAt) ?? null;
    if (pin === 'elsewhere') continue;
    const pinned = pin === 'here';
    const arrives = a.freeAt + walkMs(setup, a.roomId, roomId);
    if (!best || (pinned && !bestPinned) || (pinned === bestPinned && arrives < best.arrives)) { best = { staffId, leaves: a.freeAt, arrives }; bestPinned = pinned; }
  }
  return best;
}

// ---------- the rule: which of several candidates a teacher takes ----------

/**
 * What the rule reads of a visit, copied from it once: visits come in many shapes (fields are added
 * as the night goes on), and reading their fields is slow where the engine does it most. A visit
 * never changes (evolve makes a new one), so its copy holds for as long as the visit.
 */
interface VisitFacts {
  id: string;
  familyId: string;
  teacherId: string;
  bookedAt: number | null;
  queuedAt: number;
  promisedAt: number | undefined;
  /** frontOfLineKey(visit). */
  frontKey: number | null;
  /** promisedBefore(visit). */
  promisedBefore: readonly string[];
}

const factsByVisit = new WeakMap<Visit, VisitFacts>();

function factsOf(state: NightState, v: Visit): VisitFacts {
  let facts = factsByVisit.get(v);
  if (!facts) {
    facts = {
      id: v.id, familyId: v.familyId, teacherId: v.teacherId, bookedAt: v.bookedAt, queuedAt: v.queuedAt, promisedAt: v.promisedAt,
      frontKey: frontOfLineKey(v), promisedBefore: promisedBefore(state, v),
    };
    factsByVisit.set(v, facts);
  }
  return facts;
}

interface Candidate {
  visit: VisitFacts;
  start: number;
  /** Expected minutes of conferences the family still has, this one included. */
  remainingMs: number;
  waitingSince: number;
  interpreter: InterpreterSlot | null;
  /** The family was told another of their conferences, still to come, would be before this one. */
  outOfOrder: boolean;
}

function priorityKey(c: Candidate, at: number): number {
  if (c.visit.frontKey !== null) return c.visit.frontKey;
  const b = c.visit.bookedAt;
  if (b !== null && b <= c.start + routingRules.bookedLeadMs) return -1e15 + b; // due: by slot time
  return c.remainingMs - routingRules.agingWeight * (at - c.waitingSince) + (c.outOfOrder ? routingRules.promisedOrderMs : 0);
}

/**
 * A booked family whose slot this conference would make them miss. `absentSlots`: slots of booked
 * families not checked in yet, who keep them too, with a little grace (routingRules).
 */
function hurtsBooking(
  state: NightState, c: Candidate, expectedMs: number, protectedSlots: Map<string, number[]>, familySlots: Map<string, number[]>,
  absentSlots: Map<string, number[]>,
): boolean {
  const end = c.start + expectedMs + routingRules.bookedSlackMs;
  // Only slots before the candidate's own: a booked family seen early must not make an earlier one late.
  const own = c.visit.bookedAt ?? Infinity;
  const mine = protectedSlots.get(c.visit.teacherId);
  const absent = absentSlots.get(c.visit.teacherId);
  if (mine || absent) {
    // Judged by a long conference, not the mean one: by the mean, half of them run into the slot.
    const squeezeEnd = c.start + squeezeMs(state);
    for (const slot of mine ?? []) if (slot < own && slot > c.start && slot < squeezeEnd + routingRules.bookedSlackMs) return true;
    for (const slot of absent ?? []) if (slot < own && slot > c.start && slot < squeezeEnd - routingRules.absentSlotGraceMs) return true;
  }
  const setup = state.setup!;
  for (const slot of familySlots.get(c.visit.familyId) ?? []) {
    if (slot !== c.visit.bookedAt && slot > c.start && slot < end + walkMs(setup, lobbyRoomId, roomOfTeacher(setup, c.visit.teacherId))) return true;
  }
  return false;
}

/**
 * The booked slots worth keeping a teacher free for, by teacher: those of families here, except a
 * slot nobody who speaks the family's language can be free for. Holding the teacher idle for that
 * slot would make other families wait and the booked family would be late all the same.
 */
function honourableSlots(state: NightState, interpreters: Map<string, { freeAt: number; roomId: string }>): Map<string, number[]> {
  const index = liveIndex(state);
  const setup = state.setup!;
  let out = index.bookedByTeacher;
  for (const teacherId of index.bookedByTeacher.keys()) { // only teachers with a booked slot to keep
    const roomId = roomOfTeacher(setup, teacherId);
    for (const v of index.waitingByTeacher.get(teacherId) ?? []) {
      if (v.bookedAt === null || state.checkIns[v.familyId].leftAt !== null || !needsInterpreter(state, v)) continue;
      const canCome = speakersOf(setup, state.checkIns[v.familyId].language).some((staffId) => {
        const a = interpreters.get(staffId);
        return a !== undefined && a.freeAt + walkMs(setup, a.roomId, roomId) <= v.bookedAt! + routingRules.bookedSlackMs;
      });
      if (canCome) continue;
      if (out === index.bookedByTeacher) out = new Map(out);
      const slot = v.bookedAt;
      out.set(teacherId, (out.get(teacherId) ?? []).filter((at) => at !== slot));
    }
  }
  return out;
}

/** Worked out once per set of lengths seen: states share it until the next conference ends. */
const squeezes = new WeakMap<NightState['finished'], number>();

/**
 * How long a conference squeezed in before a slot is taken to last: the `squeezeQuantile` of
 * tonight's conference lengths, with the slot length counted `priorWeight` times before any is seen.
 */
function squeezeMs(state: NightState): number {
  let ms = squeezes.get(state.finished);
  if (ms === undefined) {
    const slotMinutes = state.setup?.event.slotMinutes ?? 15;
    const byMinute = state.finished.byMinute ?? [];
    const wanted = Math.floor(routingRules.squeezeQuantile * (routingRules.priorWeight + state.finished.count));
    let seen = 0;
    ms = slotMinutes * minute;
    for (let minutes = 0; minutes < Math.max(byMinute.length, slotMinutes + 1); minutes++) {
      seen += (byMinute[minutes] ?? 0) + (minutes === slotMinutes ? routingRules.priorWeight : 0);
      if (seen > wanted) { ms = minutes * minute; break; }
    }
    squeezes.set(state.finished, ms);
  }
  return ms;
}

/**
 * The slots still to come of booked families not checked in yet, by teacher. They keep them: most
 * come only minutes before, often after a walk-in who would run into the slot has been called.
 */
function absentSlots(state: NightState, now: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const a of appointmentsOf(state.setup!)) if (!state.checkIns[a.familyId] && a.at > now) push(out, a.teacherId, a.at);
  return out;
}

/**
 * The candidates a teacher should consider: nobody worth sitting idle for is kept waiting for.
 * `skipped[i]`: candidate i is left out (each asked once: the booking check is not free).
 */
function worthCalling(candidates: Candidate[], teacherFree: number, skipped: boolean[]): Candidate[] {
  const horizon = horizonOf(candidates, teacherFree, skipped);
  return candidates.filter((c, i) => c.start <= horizon && !skipped[i]);
}

/** The forecast's pick among a teacher's candidates (none skipped if `skipped` is null). */
function choose(candidates: Candidate[], teacherFree: number, at: number, skipped: boolean[] | null): Candidate | null {
  // Nobody worth waiting for: only candidates who can start soon after the earliest one compete.
  const horizon = horizonOf(candidates, teacherFree, skipped);
  let pick: Candidate | null = null;
  let pickKey = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.start > horizon || skipped?.[i]) continue;
    const key = priorityKey(c, at) + routingRules.delayWeight * (c.start - at); // weighed as dispatch weighs pairs
    if (key < pickKey) { pickKey = key; pick = c; }
  }
  return pick;
}

/** Until when a candidate may start and still compete: soon after the earliest (-Infinity: nobody). */
function horizonOf(candidates: Candidate[], teacherFree: number, skipped: boolean[] | null): number {
  let earliest = Infinity;
  for (let i = 0; i < candidates.length; i++) if (!skipped?.[i]) earliest = Math.min(earliest, candidates[i].start);
  return earliest === Infinity ? -Infinity : Math.max(teacherFree, earliest) + routingRules.idleToleranceMs;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * What a family still has to do, as the rule weighs it: the conference at hand, and each further
 * conference they wait for counted `furtherConferenceWeight` times (see routingRules).
 */
function remainingMs(conferencesLeft: number, expectedMs: number): number {
  return (1 + Math.max(0, conferencesLeft - 1) * routingRules.furtherConferenceWeight) * expectedMs;
}

// ---------- dispatch: who is called now ----------

const dispatchCache = new WeakMap<NightState, { now: number; proposals: Map<string, Proposal> }>();

/**
 * For each teacher free or about to be (and not already expecting a called family), the family to
 * call. Teachers with the fewest families to choose from choose first, so that one family wanted by
 * two free teachers goes where nobody else could have come.
 */
export function dispatch(state: NightState, now: number, forceTeacherId?: string): Map<string, Proposal> {
  const cached = forceTeacherId ? undefined : dispatchCache.get(state);
  if (cached && cached.now === now) return cached.proposals;
  const proposals = new Map<string, Proposal>();
  const setup = state.setup;
  if (!setup || state.phase !== 'open') return proposals;
  // "Call next" with nobody in this teacher's line who could come: answered without weighing the night.
  if (forceTeacherId && !(liveIndex(state).waitingByTeacher.get(forceTeacherId) ?? []).some((v) => familyFree(state, v.familyId, now) && !heldAtActivity(state, v.familyId, now))) {
    return proposals;
  }
  const { pairs, interpreters } = rankedPairs(state, now);
  const takenFamilies = new Set<string>();
  const takenInterpreters = new Set<string>();
  for (const { teacherId, freeAt, candidate, key, pool } of pairs) {
    if (proposals.has(teacherId) || takenFamilies.has(candidate.visit.familyId)) continue;
    const roomId = roomOfTeacher(setup, teacherId);
    const familyRoom = state.checkIns[candidate.visit.familyId].roomId;
    const walk = walkMs(setup, familyRoom, roomId);
    let start = Math.max(freeAt, now + walk);
    let interpreter: InterpreterSlot | null = null;
    if (candidate.interpreter) {
      interpreter = bestInterpreter(setup, state.checkIns[candidate.visit.familyId].language, roomId, interpreters, takenInterpreters, pinsFor(state, teacherId));
      if (!interpreter) continue;
      start = Math.max(start, interpreter.arrives);
    }
    // A family with nothing else left to do loses nothing by waiting at the door: call them at once,
    // so the teacher is never left waiting for them. Others (and interpreters) are called just in time.
    const lastVisit = (waitingCounts(state).get(candidate.visit.familyId) ?? 0) <= 1 && !interpreter;
    let callAt = teacherId === forceTeacherId || lastVisit ? now : start - walk - routingRules.arriveEarlyMs;
    if (interpreter) callAt = Math.min(callAt, interpreter.leaves); // the interpreter must know before setting off
    callAt = Math.max(now, callAt);
    if (callAt - now > routingRules.callLeadMs) continue;
    takenFamilies.add(candidate.visit.familyId);
    if (interpreter) takenInterpreters.add(interpreter.staffId);
    const oldest = pool.reduce((o, c) => (c.waitingSince < o.waitingSince ? c : o), pool[0]);
    const reason: ProposalReason = isFrontOfLineKey(key) ? 'frontOfLine' : key < -1e14 ? 'booked' : pool.length === 1 ? 'onlyOne'
      : interpreter ? 'interpreterFree' : candidate === oldest ? 'waitedLongest' : 'fewestLeft';
    proposals.set(teacherId, {
      teacherId, visitId: candidate.visit.id, familyId: candidate.visit.familyId,
      interpreterId: interpreter?.staffId ?? null, expectedStart: start, callAt, reason,
    });
  }
  if (!forceTeacherId) dispatchCache.set(state, { now, proposals });
  return proposals;
}

interface Pair { teacherId: string; freeAt: number; candidate: Candidate; key: number; pool: Candidate[] }
const pairsCache = new WeakMap<NightState, { now: number; pairs: Pair[]; interpreters: Map<string, { freeAt: number; roomId: string }> }>();

/**
 * Every (teacher, family) pair worth calling, best first. The same for a teacher's "call next" as
 * for the engine's own round at that instant, so it is worked out once per state and time.
 */
function rankedPairs(state: NightState, now: number) {
  const cached = pairsCache.get(state);
  if (cached && cached.now === now) return cached;
  const setup = state.setup!;
  const expected = expectedConferenceMs(state);
  const index = liveIndex(state);
  const counts = waitingCounts(state);
  const interpreters = interpreterAvailability(state, now);
  const slots = { byTeacher: honourableSlots(state, interpreters), byFamily: index.bookedByFamily, absent: absentSlots(state, now) };
  // Whether a family can come now, asked once per family (most wait in several lines).
  const comes = new Map<string, boolean>();
  const canCome = (familyId: string) => {
    let ok = comes.get(familyId);
    if (ok === undefined) comes.set(familyId, (ok = familyFree(state, familyId, now) && !heldAtActivity(state, familyId, now)));
    return ok;
  };

  const hungry: { teacherId: string; freeAt: number; visits: VisitFacts[] }[] = [];
  for (const [teacherId, waiting] of index.waitingByTeacher) {
    const t = state.teachers[teacherId];
    if (t.calledVisitId) continue;
    if (t.breakUntil !== null && t.breakUntil > now) continue;
    const visits: VisitFacts[] = [];
    for (const v of waiting) {
      const facts = factsOf(state, v);
      if (canCome(facts.familyId)) visits.push(facts);
    }
    if (!visits.length) continue;
    const freeAt = teacherFreeAt(state, teacherId, now);
    hungry.push({ teacherId, freeAt, visits });
  }
  // Every free-enough teacher lists the families worth calling; then all (teacher, family) pairs are
  // served in one order of priority, so the family waiting longest anywhere gets the next
  // interpreter of their language, whichever teacher frees up first.
  const pairs: Pair[] = [];
  const noneTaken = new Set<string>();
  for (const h of hungry) {
    const roomId = roomOfTeacher(setup, h.teacherId);
    const speaks = setup.teachers[h.teacherId].languages;
    const candidates: Candidate[] = [];
    const interpreterByLanguage = new Map<string, InterpreterSlot | null>(); // one answer per language here
    for (const v of h.visits) {
      const c = state.checkIns[v.familyId];
      let start = Math.max(h.freeAt, now + walkMs(setup, c.roomId, roomId));
      let interpreter: InterpreterSlot | null = null;
      const language = interpreterNeededIn(c.wantsInterpreter ? c.language : null, speaks);
      if (language !== null) {
        if (!interpreterByLanguage.has(language)) interpreterByLanguage.set(language, bestInterpreter(setup, language, roomId, interpreters, noneTaken, pinsFor(state, h.teacherId)));
        interpreter = interpreterByLanguage.get(language)!;
        if (!interpreter) continue; // called only when an interpreter can be there
        start = Math.max(start, interpreter.arrives);
      }
      candidates.push({
        visit: v, start, remainingMs: remainingMs(counts.get(v.familyId) ?? 1, expected), waitingSince: Math.max(c.freeSince, v.queuedAt), interpreter,
        outOfOrder: v.promisedBefore.some((id) => state.visits[id].status === 'waiting'),
      });
    }
    const pool = worthCalling(candidates, h.freeAt, candidates.map((c) => hurtsBooking(state, c, expected, slots.byTeacher, slots.byFamily, slots.absent)));
    // A minute until the conference can start counts against the pair: a family goes where it is seen soonest.
    for (const candidate of pool) pairs.push({ teacherId: h.teacherId, freeAt: h.freeAt, candidate, key: priorityKey(candidate, now) + routingRules.delayWeight * (candidate.start - now), pool });
  }
  pairs.sort((a, b) => a.key - b.key || a.candidate.start - b.candidate.start || a.teacherId.localeCompare(b.teacherId));
  const ranked = { now, pairs, interpreters };
  pairsCache.set(state, ranked);
  return ranked;
}

const none: readonly string[] = [];

/**
 * The family's other conferences (ids) they were told at check-in would start before this one.
 * Promises never change, so this is worked out once per visit (with its facts, factsOf).
 */
function promisedBefore(state: NightState, visit: Visit): readonly string[] {
  const promised = visit.promisedAt;
  if (promised === undefined) return none;
  const ids = state.checkIns[visit.familyId]?.visitIds ?? [];
  return ids.length < 2 ? none : ids.filter((id) => { const o = state.visits[id]; return o !== visit && o.promisedAt !== undefined && o.promisedAt < promised; });
}

/**
 * The best interpreter for a visit the teacher chose by hand, or the next best after the ones in
 * `exclude` (who let the offer lapse): null if none can come.
 */
export function interpreterFor(state: NightState, visit: Visit, now: number, exclude: readonly string[] = []): string | null {
  if (!needsInterpreter(state, visit)) return null;
  const setup = state.setup!;
  return bestInterpreter(setup, state.checkIns[visit.familyId].language, roomOfTeacher(setup, visit.teacherId), interpreterAvailability(state, now), new Set(exclude), pinsFor(state, visit.teacherId))?.staffId ?? null;
}

// ---------- forecast: every waiting visit's estimated start ----------

/** Stands for a booked family not here yet, in the forecast only. */
const expectedPrefix = 'expected:';

const appointmentTimes = new WeakMap<Bundle, { familyId: string; teacherId: string; at: number }[]>();
function appointmentsOf(setup: Bundle) {
  let list = appointmentTimes.get(setup);
  if (!list) {
    list = setup.appointments.map((a) => ({ familyId: a.familyId, teacherId: a.teacherId, at: localToEpoch(setup.event.date, a.startsAt, setup.event.timezone) }));
    appointmentTimes.set(setup, list);
  }
  return list;
}

/**
 * Tonight's typical changeover: the time between one conference ending and the next starting when
 * the next family was already waiting (calling, walking, settling in). Learned like conference length.
 */
export function turnoverMs(state: NightState): number {
  const seen = state.changeovers ?? { count: 0, totalMs: 0 };
  const k = routingRules.priorWeight;
  return (routingRules.priorTurnoverMs * k + seen.totalMs) / (k + seen.count);
}

const firstSlots = new WeakMap<Bundle, Map<string, number>>();
const earliness = new WeakMap<NightState, number>();

/**
 * How long before their first slot tonight's booked families have been checking in (after it counts
 * as zero; at most half an hour, so one family who came very early does not move everyone's
 * estimate). Learned like conference length, from nothing before anyone has come.
 */
export function bookedEarlyMs(state: NightState): number {
  let cached = earliness.get(state);
  if (cached !== undefined) return cached;
  const setup = state.setup!;
  let slots = firstSlots.get(setup);
  if (!slots) {
    slots = new Map();
    for (const a of appointmentsOf(setup)) slots.set(a.familyId, Math.min(slots.get(a.familyId) ?? Infinity, a.at));
    firstSlots.set(setup, slots);
  }
  let total = 0;
  let count = 0;
  for (const [familyId, slot] of slots) {
    const c = state.checkIns[familyId];
    if (!c) continue;
    total += Math.min(30 * minute, Math.max(0, slot - c.at));
    count++;
  }
  cached = total / (routingRules.priorWeight + count);
  earliness.set(state, cached);
  return cached;
}

const forecastCache = new WeakMap<NightState, { now: number; starts: Map<string, number>; interpreters: Map<string, string> }>();

/** visit id → the interpreter the forecast expects to sit in, for every waiting visit that needs one. */
export function forecastInterpreters(state: NightState, now: number): Map<string, string> {
  forecast(state, now);
  return forecastCache.get(state)!.interpreters;
}

/**
 * Plays the rest of the night forward with the same rule and expected lengths: first the calls the
 * engine proposes right now (so the nearest estimates are the decisions teachers are about to see),
 * then teachers in order of when they become free, each taking the best family that can come.
 * Returns visit id → estimated start (epoch ms) for every waiting and called visit.
 */
export function forecast(state: NightState, now: number): Map<string, number> {
  const cached = forecastCache.get(state);
  if (cached && cached.now === now) return cached.starts;
  const { starts, interpreters } = playForward(state, now);
  forecastCache.set(state, { now, starts, interpreters });
  return starts;
}

/**
 * The estimated starts of some visits only (a family just checked in, in the simulator): the night
 * is played forward as by forecast(), and no further than these visits. Not kept with the state.
 */
export function forecastOf(state: NightState, now: number, visitIds: readonly string[]): Map<string, number> {
  const cached = forecastCache.get(state);
  if (cached && cached.now === now) return cached.starts;
  return playForward(state, now, new Set(visitIds)).starts;
}

/**
 * A family as the forecast sees it: here, or booked and expected. One record per family, changed as
 * the forecast places the family's visits.
 */
interface FamilyPlace {
  /** When and where they are free next, and since when they have been waiting. */
  freeAt: number;
  roomId: string;
  waitingSince: number;
  /** Visits they still have (waiting or called), counted down as the forecast places them. */
  left: number;
  /** The language they asked for an interpreter in (null: none). */
  interpreterLanguage: string | null;
  /**
   * The estimated starts they were given (promisedAt) of their visits not placed yet. Every waiting
   * visit of a family here is pending in the forecast, so these are the promises promisedBefore()
   * would find still waiting and unplaced.
   */
  promised: number[];
}

/**
 * A visit the forecast has still to place: its family, the language it needs an interpreter for
 * (null: none), and its candidate, made once and worked out anew at each step of its teacher.
 */
interface PendingVisit { candidate: Candidate; family: FamilyPlace; language: string | null }

function playForward(state: NightState, now: number, until?: ReadonlySet<string>): { starts: Map<string, number>; interpreters: Map<string, string> } {
  const starts = new Map<string, number>();
  const assigned = new Map<string, string>();
  const setup = state.setup;
  if (!setup) return { starts, interpreters: assigned };
  let untilLeft = until ? until.size : Infinity;
  const expected = expectedConferenceMs(state);
  const changeover = turnoverMs(state);
  const counts = waitingCounts(state);
  const interpreters = interpreterAvailability(state, now);
  const slots = { byTeacher: honourableSlots(state, interpreters), byFamily: liveIndex(state).bookedByFamily, absent: absentSlots(state, now) };

  // Families (still here): when and where they are free next. Worked out for those the forecast
  // meets, not for every family of the night.
  const family = new Map<string, FamilyPlace | null>();
  const familyAt = (familyId: string) => {
    let f = family.get(familyId);
    if (f === undefined) {
      const c = state.checkIns[familyId];
      f = c && c.leftAt === null ? {
        freeAt: Math.max(now, c.steppedOutUntil ?? 0, activityHoldUntil(state, c, now)), roomId: c.roomId, waitingSince: c.freeSince,
        left: counts.get(familyId) ?? 0, interpreterLanguage: c.wantsInterpreter ? c.language : null, promised: [],
      } : null;
      family.set(familyId, f);
    }
    return f;
  };
  // Teachers: when they are free, after the conference in progress and the family already called.
  const teacherFree = new Map<string, number>();
  const pending = new Map<string, PendingVisit[]>();
  const pendingVisit = (visit: VisitFacts, f: FamilyPlace, language: string | null): PendingVisit => ({
    candidate: { visit, start: 0, remainingMs: 0, waitingSince: 0, interpreter: null, outOfOrder: false },
    family: f, language,
  });
  for (const teacherId of keysOf(state.teachers)) {
    const t = state.teachers[teacherId];
    let free = teacherFreeAt(state, teacherId, now);
    const roomId = roomOfTeacher(setup, teacherId);
    if (t.conferenceVisitId) {
      const v = state.visits[t.conferenceVisitId];
      const f = familyAt(v.familyId);
      if (f) { f.freeAt = Math.max(f.freeAt, free); f.roomId = roomId; f.waitingSince = free; }
    }
    if (t.calledVisitId) {
      const v = state.visits[t.calledVisitId];
      const f = familyAt(v.familyId);
      const arrives = (v.calledAt ?? now) + (f ? walkMs(setup, f.roomId, roomId) : 0);
      let start = Math.max(free, arrives);
      if (v.interpreterId) {
        const a = interpreters.get(v.interpreterId);
        if (a) start = Math.max(start, a.freeAt + walkMs(setup, a.roomId, roomId));
        interpreters.set(v.interpreterId, { freeAt: start + expected, roomId });
      }
      starts.set(v.id, start);
      free = start + expected;
      if (f) { f.left++; f.freeAt = free; f.roomId = roomId; f.waitingSince = free; }
    }
    teacherFree.set(teacherId, free);
  }
  for (const [teacherId, waiting] of liveIndex(state).waitingByTeacher) {
    const speaks = setup.teachers[teacherId].languages;
    const visits: PendingVisit[] = [];
    for (const v of waiting) {
      const facts = factsOf(state, v);
      const f = familyAt(facts.familyId);
      if (!f) continue;
      // From the family's record: the check-in is read once per family.
      visits.push(pendingVisit(facts, f, interpreterNeededIn(f.interpreterLanguage, speaks)));
      if (facts.promisedAt !== undefined) f.promised.push(facts.promisedAt);
    }
    if (visits.length) pending.set(teacherId, visits);
  }
  // Booked slots are the school's plan, not knowledge of the future: a family with a slot who has
  // not checked in yet is expected, as early as tonight's booked families have been coming. Their
  // slot is kept from walk-ins who would run into it, as dispatch keeps it (absentSlots).
  const early = bookedEarlyMs(state);
  for (const a of appointmentsOf(setup)) {
    if (state.checkIns[a.familyId] || a.at < now - routingRules.lateBookingMs) continue;
    const phantomFamily = `${expectedPrefix}${a.familyId}`;
    const roomId = roomOfTeacher(setup, a.teacherId);
    let f = familyAt(phantomFamily);
    if (!f) {
      f = { freeAt: Math.max(now, a.at - early - walkMs(setup, lobbyRoomId, roomId)), roomId: lobbyRoomId, waitingSince: a.at, left: 0, interpreterLanguage: null, promised: [] };
      family.set(phantomFamily, f);
    }
    const visit: VisitFacts = {
      id: `${phantomFamily}:${a.teacherId}`, familyId: phantomFamily, teacherId: a.teacherId,
      bookedAt: a.at, queuedAt: a.at, promisedAt: undefined, frontKey: null, promisedBefore: none,
    };
    push(pending, a.teacherId, pendingVisit(visit, f, null));
    f.left++;
  }

  /** Places visits[i] at `start` in the teacher's room; returns when it is expected to end. */
  const place = (visits: PendingVisit[], i: number, start: number, roomId: string, interpreterId: string | null) => {
    const { candidate: { visit }, family: f } = visits[i];
    visits.splice(i, 1);
    starts.set(visit.id, start);
    const end = start + expected;
    f.freeAt = end; f.roomId = roomId; f.waitingSince = end;
    f.left--;
    if (visit.promisedAt !== undefined) f.promised.splice(f.promised.indexOf(visit.promisedAt), 1);
    if (interpreterId) { interpreters.set(interpreterId, { freeAt: end, roomId }); assigned.set(visit.id, interpreterId); }
    if (until?.has(visit.id)) untilLeft--;
    return end;
  };

  // The next step is already decided: the engine's own proposals, which teachers are about to see.
  for (const p of dispatch(state, now).values()) {
    const visits = pending.get(p.teacherId);
    const at = visits?.findIndex((w) => w.candidate.visit.id === p.visitId) ?? -1;
    if (at < 0) continue;
    const end = place(visits!, at, Math.max(p.expectedStart, teacherFree.get(p.teacherId)!), roomOfTeacher(setup, p.teacherId), p.interpreterId);
    teacherFree.set(p.teacherId, end + changeover);
  }

  // Teachers in order of when they become free.
  const heap = new MinHeap<string>();
  for (const teacherId of pending.keys()) heap.push(teacherFree.get(teacherId)!, teacherId);
  let guard = 0;
  const anyPins = Object.keys(state.pins ?? {}).length > 0;
  const noneTaken = new Set<string>();
  while (heap.size && untilLeft > 0 && guard++ < 100_000) {
    const [freeAt, teacherId] = heap.pop()!;
    const visits = pending.get(teacherId)!;
    if (!visits.length) continue;
    const roomId = roomOfTeacher(setup, teacherId);
    const candidates: Candidate[] = [];
    // At one step every family of a language would get the same interpreter: ask once per language
    // (most steps need none: the map is made on the first).
    let interpreterByLanguage: Map<string, InterpreterSlot | null> | undefined;
    const pins = anyPins ? pinsFor(state, teacherId) : undefined;
    for (const { candidate, family: f, language } of visits) {
      let start = Math.max(freeAt, f.freeAt + walkMs(setup, f.roomId, roomId));
      let interpreter: InterpreterSlot | null = null;
      if (language !== null) {
        interpreterByLanguage ??= new Map();
        if (!interpreterByLanguage.has(language)) interpreterByLanguage.set(language, bestInterpreter(setup, language, roomId, interpreters, noneTaken, pins));
        interpreter = interpreterByLanguage.get(language)!;
        if (!interpreter) continue;
        start = Math.max(start, interpreter.arrives);
      }
      candidate.start = start;
      candidate.remainingMs = remainingMs(f.left, expected);
      candidate.waitingSince = Math.max(f.waitingSince, candidate.visit.queuedAt);
      candidate.interpreter = interpreter;
      const promisedAt = candidate.visit.promisedAt;
      candidate.outOfOrder = promisedAt !== undefined && f.promised.some((at) => at < promisedAt);
      candidates.push(candidate);
    }
    const pick = choose(candidates, freeAt, freeAt, candidates.map((c) => hurtsBooking(state, c, expected, slots.byTeacher, slots.byFamily, slots.absent)))
      ?? choose(candidates, freeAt, freeAt, null);
    if (!pick) continue; // nobody can ever be seen here (no interpreter for the language)
    const end = place(visits, visits.findIndex((w) => w.candidate === pick), pick.start, roomId, pick.interpreter?.staffId ?? null);
    if (visits.length) heap.push(end + changeover, teacherId);
  }
  return { starts, interpreters: assigned };
}
