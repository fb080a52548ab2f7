// A whole conference night in virtual time, through the same decide/evolve the server runs.
// A discrete-event loop plays the people: families arrive and walk, teachers call the family the
// engine proposes and start when they are there, interpreters walk between rooms, ambassadors accept
// escorts after a short delay. The engine learns of a family only when it checks in, and of a
// conference's length only when it ends: no knowledge of the future.
import type { Bundle } from '../../shared/bundle';
import { epochToLocal, localToEpoch, minute } from '../../shared/clock';
import { decide, offerTimeoutMs } from '../../shared/domain/decide';
import { evolveAll, Ownership } from '../../shared/domain/evolve';
import { dispatch, expectedConferenceMs, familyBusyWith, routingRules, walkMs } from '../../shared/domain/routing';
import { emptyNight, lobbyRoomId, type EscortTask, type NightState } from '../../shared/domain/state';
import { liveIndex } from '../../shared/domain/live-index';
import type { Actor, Command, SystemCommand } from '../../shared/protocol';
import { MinHeap } from '../../shared/heap';
import { mulberry32 } from '../../shared/random';

export interface NightInputs {
  /** familyId → arrival (epoch ms). */
  arrivals: Map<string, number>;
  /** familyId → the teachers they see, in their own order, with each conference's real length (ms). */
  visits: Map<string, { teacherId: string; durationMs: number }[]>;
}

export type Policy = 'smart' | 'fifo';

export interface SimOptions {
  policy?: Policy;
  seed?: number;
  /** Called now and then with the fraction of families done, for a progress bar. */
  onProgress?: (fraction: number) => void;
  /** Sees the state after every instant of the night (for tests and debugging). */
  observe?: (state: NightState, now: number) => void;
}

export interface TraceRow { familyId: string; teacherId: string; translatorId: string; startsAt: number; endsAt: number }

export interface SimResult {
  state: NightState;
  trace: TraceRow[];
  /** Every few minutes of the night: families waiting and line length per teacher. */
  timeline: { at: number; waitingFamilies: number; lines: Record<string, number> }[];
  /** Through decide: decisionMs each teacher call, checkInMs each check-in, promiseMs each family's estimates kept after it. */
  stats: { events: number; decisions: number; decisionMs: number[]; checkInMs: number[]; promiseMs: number[] };
}

type SimEvent =
  | { kind: 'arrive'; familyId: string }
  | { kind: 'wake' }
  | { kind: 'end'; visitId: string }
  | { kind: 'accept'; taskId: string; staffId: string };

const system: Actor = { role: 'system', id: 'sim' };
const kiosk: Actor = { role: 'kiosk', id: 'K1' };

export function simulateNight(setup: Bundle, inputs: NightInputs, options: SimOptions = {}): SimResult {
  const policy = options.policy ?? 'smart';
  const random = mulberry32(options.seed ?? 1);
  const opensAt = localToEpoch(setup.event.date, setup.event.opensAt, setup.event.timezone);
  const events = new MinHeap<SimEvent>();
  let state = evolveAll(emptyNight, [{ type: 'nightCreated', at: opensAt, setup }, { type: 'nightOpened', at: opensAt }]);
  const teacherIds = Object.keys(state.teachers); // in the state's order, which the night keeps
  let now = opensAt;
  let commandCount = 0;
  const stats: SimResult['stats'] = { events: 0, decisions: 0, decisionMs: [], checkInMs: [], promiseMs: [] };

  // The physical world the engine does not see: when each called family and interpreter is in the room.
  const familyAtDoor = new Map<string, number>();
  const interpreterInRoom = new Map<string, number>();
  const interpreterNext = new Map<string, string>(); // staffId → visit they walk to after their conference
  const interpreterBusyUntil = new Map<string, number>();
  const interpreterRoom = new Map<string, string>();
  const durationOf = new Map<string, number>();
  const timeline: SimResult['timeline'] = [];
  const fifoOrder = new Map<string, string[]>(); // familyId → teacher ids left, in their order

  for (const [familyId, list] of inputs.visits) {
    for (const v of list) durationOf.set(`${familyId}:${v.teacherId}`, v.durationMs);
    fifoOrder.set(familyId, list.map((v) => v.teacherId));
  }
  for (const [familyId, at] of inputs.arrivals) {
    if (inputs.visits.has(familyId)) events.push(Math.max(at, opensAt), { kind: 'arrive', familyId });
  }
  const totalFamilies = events.size;
  let arrived = 0;

  // Each state of the night is dropped for the next as soon as the next is made, so evolve may change
  // the records it copied in place (see Ownership): copying every visit at every command would be
  // most of the night's work. States shown to `observe` are shared first, as it may keep them.
  const owner = new Ownership();

  // The simulator's own notes on tasks, from the events it applies, instead of reading every task
  // of the night after each event: each visit's tasks in the order they were created, and the tasks
  // ever offered (only escortOffered and interpreterOffered make a task 'offered').
  const tasksOfVisit = new Map<string, string[]>();
  const offered = new Set<string>();
  const taskOf = (visitId: string, is: (t: EscortTask) => boolean) =>
    (tasksOfVisit.get(visitId) ?? []).map((id) => state.tasks[id]).find(is);
  const anyOffered = () => {
    for (const id of offered) {
      if (state.tasks[id].status === 'offered') return true;
      offered.delete(id);
    }
    return false;
  };

  /** One command through decide and evolve, as a person at a screen would send it. */
  const run = (command: { type: string } & Record<string, unknown>, actor: Actor) => {
    const full = { ...command, commandId: `sim-${++commandCount}` } as Command | SystemCommand;
    const decision = decide(state, full, { now, actor });
    if (decision.ok) {
      // The tasks these events create (asked before evolving: the state before is given up).
      const fresh = new Set<string>();
      for (const e of decision.events) if ('taskId' in e && !state.tasks[e.taskId]) fresh.add(e.taskId);
      state = evolveAll(state, decision.events, owner);
      for (const e of decision.events) {
        if (!('taskId' in e)) continue;
        if (fresh.has(e.taskId)) {
          const visitId = state.tasks[e.taskId].visitId;
          const list = tasksOfVisit.get(visitId);
          if (!list) tasksOfVisit.set(visitId, [e.taskId]);
          else if (!list.includes(e.taskId)) list.push(e.taskId);
        }
        if (e.type === 'escortOffered' || e.type === 'interpreterOffered') offered.add(e.taskId);
      }
    }
    return decision;
  };
  const teacherActor = (teacherId: string): Actor => ({ role: 'teacher', id: teacherId });
  const roomOf = (teacherId: string) => setup.teachers[teacherId].roomId;

  function onCalled(visitId: string) {
    const v = state.visits[visitId];
    const c = state.checkIns[v.familyId];
    const room = roomOf(v.teacherId);
    let leaves = now;
    const task = taskOf(visitId, (t) => t.kind !== 'interpret' && t.status === 'offered');
    if (task?.staffId) {
      // The family waits for their guide: the offer is accepted after a short delay (sometimes not at all).
      const delay = 5_000 + random() * 40_000;
      if (random() < 0.9) events.push(now + delay, { kind: 'accept', taskId: task.id, staffId: task.staffId });
      wakeAt(now + offerTimeoutMs); // an offer nobody took goes to the next person
      leaves = now + delay + walkMs(setup, state.staff[task.staffId].roomId, c.roomId);
    }
    const at = leaves + walkMs(setup, c.roomId, room);
    familyAtDoor.set(visitId, at);
    wakeAt(at);
    if (v.interpreterId) {
      const x = v.interpreterId;
      // Interpreters answer their phone at once (an offer left for a minute would go to someone else).
      const offer = taskOf(visitId, (t) => t.kind === 'interpret' && t.status === 'offered');
      if (offer) run({ type: 'acceptTask', taskId: offer.id }, { role: 'staff', id: x });
      const busyUntil = interpreterBusyUntil.get(x);
      if (busyUntil === undefined) {
        const inRoom = now + walkMs(setup, interpreterRoom.get(x) ?? lobbyRoomId, room);
        interpreterInRoom.set(visitId, inRoom);
        wakeAt(inRoom);
      } else interpreterNext.set(x, visitId); // walks over when the current conference ends
    }
  }

  function tryStart(teacherId: string) {
    const t = state.teachers[teacherId];
    if (!t.calledVisitId || t.conferenceVisitId) return;
    const v = state.visits[t.calledVisitId];
    const door = familyAtDoor.get(v.id);
    if (door === undefined || door > now) return;
    if (v.interpreterId) {
      const inRoom = interpreterInRoom.get(v.id);
      if (inRoom === undefined || inRoom > now) return;
    }
    const started = run({ type: 'startConference', visitId: v.id } , teacherActor(teacherId));
    if (!started.ok) return;
    awaitingStart.delete(teacherId);
    const duration = durationOf.get(v.id)!;
    events.push(now + duration, { kind: 'end', visitId: v.id });
    if (v.interpreterId) interpreterBusyUntil.set(v.interpreterId, now + duration);
    const task = taskOf(v.id, (x) => x.kind !== 'interpret' && x.status === 'accepted');
    if (task?.staffId) run({ type: 'finishTask', taskId: task.id } , { role: 'staff', id: task.staffId });
  }

  function callFor(teacherId: string, visitId?: string) {
    const t0 = performance.now();
    const decision = run({ type: 'callFamily', teacherId, ...(visitId ? { visitId } : {}) } , teacherActor(teacherId));
    stats.decisions++;
    stats.decisionMs.push(performance.now() - t0);
    if (decision.ok) {
      awaitingStart.add(teacherId);
      onCalled(state.teachers[teacherId].calledVisitId!);
    }
    return decision.ok;
  }

  /** Teachers with a family called (only callFor calls one; only a start ends the wait). */
  const awaitingStart = new Set<string>();

  /** Everything that can happen at this instant: starts, then calls, until nothing changes. */
  function settle() {
    for (let round = 0; round < 10_000; round++) {
      for (const teacherId of teacherIds) if (awaitingStart.has(teacherId)) tryStart(teacherId);
      let called = false;
      if (policy === 'smart') {
        for (const p of dispatch(state, now).values()) {
          if (p.callAt <= now) { called = callFor(p.teacherId) || called; break; } // re-plan after each call
          wakeTeacher(p.teacherId, p.callAt);
        }
      } else called = fifoCalls();
      if (!called) break;
    }
    // Teachers in conference become "about to be free" before their expected end: wake then.
    if (policy === 'smart') {
      const expected = expectedConferenceMs(state);
      for (const teacherId of teacherIds) {
        const t = state.teachers[teacherId];
        if (!t.conferenceVisitId || t.calledVisitId) continue;
        const wake = (state.visits[t.conferenceVisitId].startedAt ?? now) + expected - routingRules.callLeadMs;
        if (wake > now) wakeTeacher(teacherId, wake);
      }
    }
  }

  /** The school's paper-list night: each family walks its list in order and waits in each line. */
  function fifoCalls(): boolean {
    let called = false;
    for (const teacherId of teacherIds) {
      const t = state.teachers[teacherId];
      if (t.calledVisitId || t.conferenceVisitId) continue;
      let first: { visitId: string; since: number } | null = null;
      for (const c of Object.values(state.checkIns)) {
        if (state.visits[`${c.familyId}:${teacherId}`]?.status !== 'waiting') continue;
        if (fifoOrder.get(c.familyId)?.[0] !== teacherId || familyBusyWith(state, c.familyId)) continue;
        // Families walk to the line as soon as they are free; the line is in order of getting there.
        const since = c.freeSince + walkMs(setup, c.roomId, roomOf(teacherId));
        if (since > now) { wakeAt(since); continue; }
        if (!first || since < first.since) first = { visitId: `${c.familyId}:${teacherId}`, since };
      }
      if (first && callFor(teacherId, first.visitId)) {
        familyAtDoor.set(first.visitId, now); // already standing in the line
        called = true;
      }
    }
    return called;
  }

  const wakes = new Set<number>();
  function wakeAt(at: number) {
    if (wakes.has(at)) return;
    wakes.add(at);
    events.push(at, { kind: 'wake' });
  }
  /** One pending wake-up per teacher is enough: when it comes, the next one is planned afresh. */
  const teacherWakes = new Map<string, number>();
  function wakeTeacher(teacherId: string, at: number) {
    const pending = teacherWakes.get(teacherId);
    if (pending !== undefined && pending > now && pending <= at) return;
    teacherWakes.set(teacherId, at);
    wakeAt(at);
  }

  let nextSample = opensAt;
  while (events.size) {
    const [at, event] = events.pop()!;
    now = Math.max(now, at);
    stats.events++;
    while (nextSample <= now) {
      timeline.push(sample(state, nextSample));
      nextSample += 5 * minute;
    }
    switch (event.kind) {
      case 'arrive': {
        const teacherIds = inputs.visits.get(event.familyId)!.map((v) => v.teacherId);
        let t0 = performance.now();
        const ok = run({ type: 'checkIn', familyId: event.familyId, teacherIds } , kiosk);
        stats.checkInMs.push(performance.now() - t0);
        if (ok.ok) {
          // The estimates the family is given, kept with their visits (promisedAt) as the server keeps
          // them just after the check-in: the summary measures them against the real starts.
          t0 = performance.now();
          run({ type: 'promiseEstimates', familyId: event.familyId }, system);
          stats.promiseMs.push(performance.now() - t0);
        }
        if (++arrived % 25 === 0) options.onProgress?.(arrived / totalFamilies);
        break;
      }
      case 'end': {
        const v = state.visits[event.visitId];
        run({ type: 'endConference', visitId: event.visitId } , teacherActor(v.teacherId));
        if (policy === 'fifo') fifoOrder.set(v.familyId, fifoOrder.get(v.familyId)!.filter((t) => t !== v.teacherId));
        if (v.interpreterId) {
          const x = v.interpreterId;
          interpreterBusyUntil.delete(x);
          interpreterRoom.set(x, roomOf(v.teacherId));
          const next = interpreterNext.get(x);
          if (next) {
            interpreterNext.delete(x);
            const inRoom = now + walkMs(setup, roomOf(v.teacherId), roomOf(state.visits[next].teacherId));
            interpreterInRoom.set(next, inRoom);
            wakeAt(inRoom);
          }
        }
        break;
      }
      case 'accept': {
        const task = state.tasks[event.taskId];
        if (task?.status === 'offered' && task.staffId === event.staffId) run({ type: 'acceptTask', taskId: task.id } , { role: 'staff', id: event.staffId });
        break;
      }
      case 'wake':
        break;
    }
    // The clock only matters to offers waiting for an answer (the simulator never steps out).
    if (anyOffered()) run({ type: 'tick' }, system);
    if (events.peekTime() !== now) {
      settle(); // once per instant, after everything that happened in it
      if (options.observe) {
        owner.share();
        options.observe(state, now);
      }
    }
  }
  options.onProgress?.(1);
  timeline.push(sample(state, now));

  const trace: TraceRow[] = [];
  for (const v of Object.values(state.visits)) {
    if (v.status !== 'done') continue;
    trace.push({ familyId: v.familyId, teacherId: v.teacherId, translatorId: v.interpreterId ?? '', startsAt: v.startedAt!, endsAt: v.endedAt! });
  }
  trace.sort((a, b) => a.startsAt - b.startsAt || a.teacherId.localeCompare(b.teacherId));
  return { state, trace, timeline, stats };
}

function sample(state: NightState, at: number): SimResult['timeline'][number] {
  // From the engine's index of waiting visits, not from every visit of the night: its lines list the
  // teachers in the order of their first waiting visit, the order in which reading state.visits adds them.
  const lines: Record<string, number> = {};
  const waiting = new Set<string>();
  for (const [teacherId, line] of liveIndex(state).waitingByTeacher) {
    lines[teacherId] = line.length;
    for (const v of line) waiting.add(v.familyId);
  }
  return { at, waitingFamilies: waiting.size, lines };
}

export function traceCsv(setup: Bundle, trace: TraceRow[]): string {
  const tz = setup.event.timezone;
  const rows = trace.map((r) => [r.familyId, r.teacherId, r.translatorId, epochToLocal(r.startsAt, tz, true), epochToLocal(r.endsAt, tz, true)].join(','));
  return ['family_id,teacher_id,translator_id,starts_at,ends_at', ...rows].join('\n') + '\n';
}
