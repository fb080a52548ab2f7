// The routing engine's hard cases, given → when → then, over the pure core (decide + evolve) on
// small hand-made nights. What is asserted is what people see: who is called next, with which
// interpreter, what a family's estimated start says, what an ambassador is offered.
//
// Geography of every night here: LOBBY (zone 'lobby'); rooms A1, A2 in zone A, B1 in zone B.
// Walking: 1 minute within a zone, 3 minutes between zones (so LOBBY → any room is 3 minutes).
// Slots are 15 minutes.
import { describe, expect, it } from 'vitest';
import type { Bundle } from '../../shared/bundle';
import { localToEpoch, minute } from '../../shared/clock';
import { decide, noShowAfterMs, offerTimeoutMs, type Decision } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { dispatch, expectedConferenceMs, forecast, turnoverMs, type Proposal } from '../../shared/domain/routing';
import { emptyNight, type NightEvent, type NightState } from '../../shared/domain/state';
import { viewFor, type TeacherView } from '../../shared/domain/projections';
import type { Actor, Command, SystemCommand } from '../../shared/protocol';
import { buildBundle, type BundleSpec } from '../helpers/bundle-generator';

// ---- the world -------------------------------------------------------------------------------

const zones = { A: ['A1', 'A2'], B: ['B1'] };
const kiosk: Actor = { role: 'kiosk', id: 'K1' };
const coordinator: Actor = { role: 'coordinator', id: 'C1' };
const system: Actor = { role: 'system', id: 'x' };
const teacher = (id: string): Actor => ({ role: 'teacher', id });
const staff = (id: string): Actor => ({ role: 'staff', id });
const family = (id: string): Actor => ({ role: 'family', id });

type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'commandId'> : never) : never;
type SystemInput = SystemCommand extends infer C ? (C extends SystemCommand ? Omit<C, 'commandId'> : never) : never;
let commandNo = 0;

/** A night in progress with its own wall clock, set explicitly with at('17:05') or at('17:05:59'). */
class Night {
  now: number;
  constructor(public state: NightState, readonly setup: Bundle) {
    this.now = this.time(setup.event.opensAt);
  }

  time(hhmm: string): number {
    return localToEpoch(this.setup.event.date, hhmm, this.setup.event.timezone);
  }

  at(hhmm: string): this {
    const t = this.time(hhmm);
    if (t < this.now) throw new Error(`time goes forward only (${hhmm})`);
    this.now = t;
    return this;
  }

  when(command: CommandInput | SystemInput, actor: Actor): Decision {
    return decide(this.state, { ...command, commandId: `routing-${++commandNo}` } as Command, { now: this.now, actor });
  }

  /** A command that must be accepted; its events are applied and returned. */
  do(command: CommandInput | SystemInput, actor: Actor): NightEvent[] {
    const decision = this.when(command, actor);
    if (!decision.ok) throw new Error(`${command.type} was refused: ${decision.code} ${decision.message}`);
    this.state = evolveAll(this.state, decision.events);
    return decision.events;
  }

  /** Families check in, and (as the server does once the kiosk has its answer) their estimates are kept. */
  checkIn(...familyIds: string[]) {
    for (const familyId of familyIds) {
      this.do({ type: 'checkIn', familyId }, kiosk);
      this.do({ type: 'promiseEstimates', familyId }, system);
    }
  }

  /** The teacher presses "call next": the visit called (or the refusal). */
  callNext(teacherId: string): string {
    this.do({ type: 'callFamily', teacherId }, teacher(teacherId));
    return this.state.teachers[teacherId].calledVisitId!;
  }

  start(visitId: string) { this.do({ type: 'startConference', visitId }, teacher(this.state.visits[visitId].teacherId)); }
  end(visitId: string) { this.do({ type: 'endConference', visitId }, teacher(this.state.visits[visitId].teacherId)); }

  proposals(): Map<string, Proposal> { return dispatch(this.state, this.now); }
  proposalFor(teacherId: string): Proposal | undefined { return this.proposals().get(teacherId); }
  forecast(): Map<string, number> { return forecast(this.state, this.now); }
}

/** Given a night created from a hand-made bundle and opened at 17:00. */
function given(spec: Omit<BundleSpec, 'zones'>): Night {
  const setup = buildBundle({ ...spec, zones });
  const opensAt = localToEpoch(setup.event.date, setup.event.opensAt, setup.event.timezone);
  const state = evolveAll(emptyNight, [
    { type: 'nightCreated', at: opensAt - 30 * minute, setup },
    { type: 'nightOpened', at: opensAt },
  ]);
  return new Night(state, setup);
}

const refusal = (d: Decision) => (d.ok ? null : { code: d.code, message: d.message });
const minutes = (ms: number) => ms / minute;

// ---- (a) booked slots ------------------------------------------------------------------------

describe('booked families', () => {
  it('a booked family arriving after its slot is still served first, and the walk-in who was waiting is not held back for it', () => {
    // Given T1 (A1) in conference with W0; W1 walks in at 17:02; B is booked with T1 at 17:10 but is not here.
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }],
      families: [{ id: 'W0', teacherIds: ['T1'] }, { id: 'W1', teacherIds: ['T1'] }, { id: 'W2', teacherIds: ['T1'] }, { id: 'W3', teacherIds: ['T1'] }, { id: 'B', teacherIds: ['T1'] }],
      appointments: [{ familyId: 'B', teacherId: 'T1', startsAt: '17:10' }],
    });
    night.checkIn('W0');
    night.do({ type: 'callFamily', teacherId: 'T1', visitId: 'W0:T1' }, teacher('T1')); // by hand: B's slot is kept
    night.at('17:02').checkIn('W1');
    night.at('17:03').start('W0:T1');

    // When T1 is free at 17:14 and B has still not come
    night.at('17:14').end('W0:T1');
    // Then the teacher does not sit idle waiting for the absent booking: W1 is called.
    expect(night.callNext('T1')).toBe('W1:T1');
    night.at('17:17').start('W1:T1');

    // Given B checks in at 17:20, ten minutes after the slot, and W2 walks in at 17:21
    night.at('17:20').checkIn('B');
    night.at('17:21').checkIn('W2');
    expect(night.state.visits['B:T1'].bookedAt).toBe(night.time('17:10'));

    // When W1's conference ends
    night.at('17:32').end('W1:T1');
    // Then B (late, but booked) is proposed and called first
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'B:T1', reason: 'booked' });
    expect(night.callNext('T1')).toBe('B:T1');
    night.at('17:35').start('B:T1');

    // And when a later walk-in W3 arrives while B is in conference, W2 (waiting since 17:21) still goes before W3
    night.at('17:40').checkIn('W3');
    night.at('17:50').end('B:T1');
    expect(night.callNext('T1')).toBe('W2:T1');
    night.at('17:53').start('W2:T1');
    night.at('18:05').end('W2:T1');
    expect(night.callNext('T1')).toBe('W3:T1');
  });

  it('the slot of a booked family not here yet is kept from a walk-in who would run into it, until its time', () => {
    // Given T1 free at 17:00, walk-in W waiting, and B booked with T1 at 17:10 but not here yet
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }],
      families: [{ id: 'W', teacherIds: ['T1'] }, { id: 'B', teacherIds: ['T1'] }],
      appointments: [{ familyId: 'B', teacherId: 'T1', startsAt: '17:10' }],
    });
    night.checkIn('W');
    // When T1 looks for the next family, Then W (who would run from 17:03 past 17:10) is not proposed
    expect(night.proposalFor('T1')).toBeUndefined();
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T1' }, teacher('T1')))).toMatchObject({ code: 'nobody_available' });
    // And when B has not come by the slot, the teacher holds no longer: W is called
    night.at('17:10');
    expect(night.callNext('T1')).toBe('W:T1');
  });

  it('a booked family present early is not seen before an earlier booked family whose slot it would run into', () => {
    // Given T1 busy until about 17:10; B2 (booked 17:45) here since 17:01, B1 (booked 17:20) since 17:05
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }],
      families: [{ id: 'W0', teacherIds: ['T1'] }, { id: 'B1', teacherIds: ['T1'] }, { id: 'B2', teacherIds: ['T1'] }],
      appointments: [{ familyId: 'B1', teacherId: 'T1', startsAt: '17:20' }, { familyId: 'B2', teacherId: 'T1', startsAt: '17:45' }],
    });
    night.checkIn('W0');
    night.do({ type: 'callFamily', teacherId: 'T1', visitId: 'W0:T1' }, teacher('T1'));
    night.at('17:01').checkIn('B2');
    night.at('17:03').start('W0:T1');
    night.at('17:05').checkIn('B1');
    // When W0's conference ends at 17:10
    night.at('17:10').end('W0:T1');
    // Then B1 is called (early, and in time for 17:20); B2, though here longer, would make B1 late
    expect(night.callNext('T1')).toBe('B1:T1');
  });

  /** T1 busy with W0 from 17:03; walk-in W arrives 17:04, booked B (slot `slot`) arrives 17:06. */
  function bookedAndWalkInWaiting(slot: string): Night {
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }],
      families: [{ id: 'W0', teacherIds: ['T1'] }, { id: 'W', teacherIds: ['T1'] }, { id: 'B', teacherIds: ['T1'] }],
      appointments: [{ familyId: 'B', teacherId: 'T1', startsAt: slot }],
    });
    night.checkIn('W0');
    night.callNext('T1');
    night.at('17:03').start('W0:T1');
    night.at('17:04').checkIn('W');
    night.at('17:06').checkIn('B');
    return night;
  }

  it('a booked family present before its slot goes ahead of an earlier walk-in who would make it late, and is seen by its slot', () => {
    // Given B booked at 17:21, present since 17:06, and W waiting since 17:04
    const night = bookedAndWalkInWaiting('17:21');
    // When T1 is free at 17:15 (W's conference, 17:18–17:33, would run well past B's slot)
    night.at('17:15').end('W0:T1');
    // Then B is called ahead of W, and is expected to start by its slot
    const p = night.proposalFor('T1');
    expect(p?.visitId).toBe('B:T1');
    expect(p!.expectedStart).toBeLessThanOrEqual(night.time('17:21'));
    expect(night.callNext('T1')).toBe('B:T1');
    expect(night.state.visits['W:T1'].status).toBe('waiting');
    // And W, the walk-in, is next
    night.at('17:18').start('B:T1');
    night.at('17:33').end('B:T1');
    expect(night.callNext('T1')).toBe('W:T1');
  });

  it('a walk-in who fits before a present booked family\'s slot is seen first (the teacher does not idle)', () => {
    // Given B booked at 17:40, present since 17:06, and W waiting since 17:04
    const night = bookedAndWalkInWaiting('17:40');
    // When T1 is free at 17:10 (W's conference, 17:13 to about 17:27, ends before B's slot)
    night.at('17:10').end('W0:T1');
    // Then W is called first
    expect(night.callNext('T1')).toBe('W:T1');
    // And B is seen after W, no later than its slot
    night.at('17:13').start('W:T1');
    night.at('17:27').end('W:T1');
    const p = night.proposalFor('T1');
    expect(p?.visitId).toBe('B:T1');
    expect(p!.expectedStart).toBeLessThanOrEqual(night.time('17:40'));
  });

  /**
   * T1 (A1) sees W0 until 17:20; the only Spanish interpreter X1 sits in with P at T2 (A2) from
   * `pStarts`; walk-in W and S, Spanish-speaking and booked with T1 at 17:30, wait for T1.
   */
  function bookedFamilyNeedingTheBusyInterpreter(pStarts: string): Night {
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'A2' }],
      families: [{ id: 'W0', teacherIds: ['T1'] }, { id: 'W', teacherIds: ['T1'] }, { id: 'S', teacherIds: ['T1'], language: 'es' }, { id: 'P', teacherIds: ['T2'], language: 'es' }],
      staff: [{ id: 'X1', languages: ['en', 'es'] }],
      appointments: [{ familyId: 'S', teacherId: 'T1', startsAt: '17:30' }],
    });
    night.checkIn('W0');
    night.callNext('T1');
    night.at('17:03').start('W0:T1');
    night.at('17:05').checkIn('P');
    expect(night.callNext('T2')).toBe('P:T2');
    night.at(pStarts).start('P:T2');
    night.checkIn('W');
    night.checkIn('S');
    night.at('17:20').end('W0:T1');
    return night;
  }

  it('a booked family\'s slot that its interpreter cannot be free for does not keep the teacher idle: the walk-in is seen', () => {
    // Given X1 expected with P until 17:33, so S (booked 17:30) cannot start before 17:34 whatever T1 does
    const night = bookedFamilyNeedingTheBusyInterpreter('17:18');
    // When T1 is free at 17:20, Then W is called rather than T1 sitting idle until S's interpreter comes
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'W:T1', interpreterId: null });
    expect(night.callNext('T1')).toBe('W:T1');
  });

  it('a booked family\'s slot that its interpreter can be free for is kept: the walk-in who would run past it waits', () => {
    // Given X1 expected with P until 17:23 and at T1's door by 17:24, in time for S's 17:30 slot
    const night = bookedFamilyNeedingTheBusyInterpreter('17:08');
    // When T1 is free at 17:20 (W's conference, from 17:23, would run past 17:30), Then W is not called
    expect(night.proposalFor('T1')?.visitId).not.toBe('W:T1');
    // And S is seen with X1 once P's conference ends
    night.at('17:23').end('P:T2');
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'S:T1', interpreterId: 'X1' });
  });
});

// ---- (a2) who goes first among walk-ins ---------------------------------------------------------

describe('among walk-ins', () => {
  /**
   * T1 (A1) sees W0 from 17:03; T2 (B1) sees X from `xStarts` (so T2 is not about to be free when
   * T1 is). M came at 17:00 for T1 and T2; S comes at `sComes` for T1 only. W0 ends at `t1Free`.
   */
  function homeOrStay(sComes: string, xStarts: string, t1Free: string): Night {
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'B1' }],
      families: [{ id: 'W0', teacherIds: ['T1'] }, { id: 'X', teacherIds: ['T2'] }, { id: 'M', teacherIds: ['T1', 'T2'] }, { id: 'S', teacherIds: ['T1'] }],
    });
    night.checkIn('W0', 'X', 'M');
    night.callNext('T1');
    night.callNext('T2');
    night.at('17:03').start('W0:T1');
    night.at(sComes).checkIn('S');
    night.at(xStarts).start('X:T2');
    night.at(t1Free).end('W0:T1');
    return night;
  }

  it('the family this conference sends home goes before one who stays for another conference anyway', () => {
    // Given M has waited 20 minutes and has T2 still to see; S has waited 5 and has only T1
    const night = homeOrStay('17:15', '17:19', '17:20');
    // Then T1 sees S first: S goes home 15 minutes sooner, M stays as long either way
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'S:T1', reason: 'fewestLeft' });
  });

  it('but waiting still counts: a family with more to do who has waited far longer goes first', () => {
    // Given M has waited 80 minutes and S 5 (tonight's only conference so far ran 77 minutes, so a
    // conference is now expected to last about 25)
    const night = homeOrStay('18:15', '18:19', '18:20');
    // Then T1 sees M first
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'M:T1', reason: 'waitedLongest' });
  });
});

// ---- (a3) the order a family was told ------------------------------------------------------------

describe('the order a family was told at check-in', () => {
  /**
   * T1 (A1) sees X1 from 17:00 and T2 (A2) sees X2 from 17:02 (both expected to take 15 minutes); T3
   * (B1) sees X3 from 17:06. F comes at 17:05 for T1 and T2, and is told T1 first (T1 is free first).
   * If `withG`, G comes at 17:06 for T2 and T3. X2's conference ends early, at 17:10.
   */
  function toldT1First(withG: boolean): Night {
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'A2' }, { id: 'T3', roomId: 'B1' }],
      families: [
        { id: 'X1', teacherIds: ['T1'] }, { id: 'X2', teacherIds: ['T2'] }, { id: 'X3', teacherIds: ['T3'] },
        { id: 'F', teacherIds: ['T1', 'T2'] }, { id: 'G', teacherIds: ['T2', 'T3'] },
      ],
    });
    night.checkIn('X1', 'X2', 'X3');
    for (const t of ['T1', 'T2', 'T3']) night.callNext(t);
    night.start('X1:T1');
    night.at('17:02').start('X2:T2');
    night.at('17:05').checkIn('F');
    night.at('17:06').start('X3:T3');
    if (withG) night.checkIn('G');
    night.at('17:10').end('X2:T2');
    return night;
  }

  it('is kept: the teacher free early sees another family, and the family goes where they were told first', () => {
    const night = toldT1First(true);
    // Given F was told T1 first
    expect(night.state.visits['F:T1'].promisedAt).toBe(night.time('17:15'));
    expect(night.state.visits['F:T2'].promisedAt!).toBeGreaterThan(night.time('17:15'));
    // When T2 is free at 17:10, with F (here since 17:05) and G (since 17:06) both waiting for T2
    // Then T2 sees G, and F is called for T1, as their page said
    expect(night.proposalFor('T2')?.visitId).toBe('G:T2');
    expect(night.proposalFor('T1')?.visitId).toBe('F:T1');
  });

  it('is kept even when the teacher free early has nobody else, if the first teacher is nearly free', () => {
    // Given only F waits for T2 when T2 is free at 17:10, T1 being expected free at 17:15
    const night = toldT1First(false);
    // Then F is still called for T1, as told
    expect(night.proposalFor('T1')?.visitId).toBe('F:T1');
    expect(night.proposalFor('T2')).toBeUndefined();
  });

  it('gives way when the first teacher is far off: T2 sees F rather than sit idle', () => {
    // Given T1 says at 17:10 they are running 30 minutes late
    const night = toldT1First(false);
    night.do({ type: 'runningLate', teacherId: 'T1', minutes: 30 }, teacher('T1'));
    // Then T2 sees F now
    expect(night.proposalFor('T2')?.visitId).toBe('F:T2');
  });

  it('is what the family was shown: the estimates kept just after the check-in are the forecast then, kept once', () => {
    const night = toldT1First(false);
    // Given G checks in and their page shows the forecast
    night.do({ type: 'checkIn', familyId: 'G' }, kiosk);
    expect(night.state.visits['G:T2'].promisedAt).toBeUndefined();
    const shown = forecast(night.state, night.now);
    // When the server keeps G's estimates (after the kiosk's answer)
    night.do({ type: 'promiseEstimates', familyId: 'G' }, system);
    // Then they are what G was shown
    expect(night.state.visits['G:T2'].promisedAt).toBe(shown.get('G:T2'));
    expect(night.state.visits['G:T3'].promisedAt).toBe(shown.get('G:T3'));
    // And asked again later, nothing changes
    night.at('17:30');
    expect(night.do({ type: 'promiseEstimates', familyId: 'G' }, system)).toEqual([]);
    // Only the server may keep them
    expect(refusal(night.when({ type: 'promiseEstimates', familyId: 'G' }, kiosk))).toMatchObject({ code: 'forbidden' });
  });
});

// ---- (b) one interpreter, two teachers ---------------------------------------------------------

describe('a scarce interpreter', () => {
  const twoTeachersOneInterpreter = (withEnglishFamily: boolean) => given({
    teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'A2' }],
    families: [
      { id: 'S1', teacherIds: ['T1'], language: 'es' },
      { id: 'S2', teacherIds: ['T2'], language: 'es' },
      ...(withEnglishFamily ? [{ id: 'E2', teacherIds: ['T2'] }] : []),
    ],
    staff: [{ id: 'X1', languages: ['en', 'es'] }],
  });

  it('goes to one teacher only; the other teacher gets a family who needs no interpreter', () => {
    // Given two Spanish-speaking families, one for each (English-only) teacher, one Spanish interpreter,
    // and an English-speaking family also waiting for T2
    const night = twoTeachersOneInterpreter(true);
    night.checkIn('S1');
    night.at('17:01').checkIn('S2');
    night.at('17:02').checkIn('E2');

    // When the engine proposes the next calls
    night.at('17:03');
    const proposals = [...night.proposals().values()];
    // Then the interpreter is proposed to one teacher only, and both teachers get someone
    const withInterpreter = proposals.filter((p) => p.interpreterId !== null);
    expect(withInterpreter.map((p) => p.interpreterId)).toEqual(['X1']);
    expect(new Set(proposals.map((p) => p.teacherId))).toEqual(new Set(['T1', 'T2']));
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'S1:T1', interpreterId: 'X1' }); // S1 has waited longest
    expect(night.proposalFor('T2')).toMatchObject({ visitId: 'E2:T2', interpreterId: null });

    // And when both teachers press "call next", that is what happens
    expect(night.callNext('T1')).toBe('S1:T1');
    expect(night.state.visits['S1:T1'].interpreterId).toBe('X1');
    expect(night.callNext('T2')).toBe('E2:T2');
    expect(night.state.visits['E2:T2'].interpreterId).toBeNull();
    expect(night.state.visits['S2:T2'].status).toBe('waiting');

    // And S2 gets the interpreter once S1's conference is about to end (X1 walks A1 → A2)
    night.at('17:06').start('S1:T1');
    night.start('E2:T2');
    night.at('17:19').end('E2:T2');
    const next = night.proposalFor('T2');
    expect(next).toMatchObject({ visitId: 'S2:T2', interpreterId: 'X1' });
    // not before S1's conference (from 17:06) is expected to end and X1 has walked over
    expect(next!.expectedStart).toBeGreaterThanOrEqual(night.time('17:06') + expectedConferenceMs(night.state) + 1 * minute);
  });

  it('is never proposed to two teachers; the teacher without it is offered nobody rather than a family without an interpreter', () => {
    const night = twoTeachersOneInterpreter(false);
    night.checkIn('S1');
    night.at('17:01').checkIn('S2');
    night.at('17:03');
    const proposals = [...night.proposals().values()];
    expect(proposals.map((p) => [p.teacherId, p.visitId, p.interpreterId])).toEqual([['T1', 'S1:T1', 'X1']]);

    night.callNext('T1');
    expect(night.proposalFor('T2')).toBeUndefined();
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T2' }, teacher('T2')))).toMatchObject({ code: 'nobody_available' });
  });

  it('stays on for the same teacher\'s next family who needs them, and the teacher\'s screen says so', () => {
    // Given two Spanish-speaking families for T1 and one Spanish interpreter
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }],
      families: [{ id: 'S1', teacherIds: ['T1'], language: 'es' }, { id: 'S3', teacherIds: ['T1'], language: 'es' }],
      staff: [{ id: 'X1', languages: ['en', 'es'] }],
    });
    const called = () => (viewFor(night.state, teacher('T1')) as TeacherView).called;
    night.checkIn('S1', 'S3');
    // When T1 calls S1, X1 comes from the lobby
    expect(night.callNext('T1')).toBe('S1:T1');
    expect(called()).toMatchObject({ visitId: 'S1:T1', interpreterName: expect.any(String), interpreterHere: false });
    // And when T1 calls S3 near the end of S1's conference, X1 is already in the room and stays on
    night.at('17:04').start('S1:T1');
    night.at('17:14');
    expect(night.callNext('T1')).toBe('S3:T1');
    expect(night.state.visits['S3:T1'].interpreterId).toBe('X1');
    expect(called()).toMatchObject({ visitId: 'S3:T1', interpreterHere: true });
  });
});

describe('estimated starts', () => {
  it('begin with what the engine proposes: a family wanted by a free teacher and one about to be free is expected where it will be called', () => {
    // Given T1 in a conference expected to end in 2 minutes, T2 free, and a family who came for both
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'B1' }],
      families: [{ id: 'F0', teacherIds: ['T1'] }, { id: 'F2', teacherIds: ['T1', 'T2'] }],
    });
    night.checkIn('F0');
    night.start(night.callNext('T1'));
    night.now = night.state.visits['F0:T1'].startedAt! + expectedConferenceMs(night.state) - 2 * minute;
    night.checkIn('F2');
    // When the engine proposes the next call for F2 (both teachers could see them as they arrive)
    const proposals = [...night.proposals().values()];
    expect(proposals.map((p) => p.familyId)).toEqual(['F2']);
    // Then the estimate of that call is the proposal's own expected start (the forecast does not
    // send F2 to the other teacher first because that teacher is free a moment sooner)...
    const starts = night.forecast();
    const [call] = proposals;
    expect(starts.get(call.visitId)).toBe(call.expectedStart);
    // ...and F2's other conference is expected after it, never at the same time
    const other = call.visitId === 'F2:T1' ? 'F2:T2' : 'F2:T1';
    expect(starts.get(other)!).toBeGreaterThanOrEqual(call.expectedStart + expectedConferenceMs(night.state));
  });

  it('learn tonight\'s changeover between conferences, counting only families who were already waiting', () => {
    // Given T1 sees F1 from 17:03 to 17:15 while F2 waits (since 17:05), and F2's conference starts at 17:20
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }],
      families: [{ id: 'F1', teacherIds: ['T1'] }, { id: 'F2', teacherIds: ['T1'] }, { id: 'F3', teacherIds: ['T1'] }],
    });
    const prior = turnoverMs(night.state);
    night.checkIn('F1');
    night.callNext('T1');
    night.at('17:03').start('F1:T1');
    night.at('17:05').checkIn('F2');
    night.at('17:15').end('F1:T1');
    night.callNext('T1');
    night.at('17:20').start('F2:T1');
    // Then the 5-minute changeover counts, alongside the prior's five of a minute each
    expect(minutes(turnoverMs(night.state))).toBeCloseTo((5 * minutes(prior) + 5) / 6, 6);
    // When F3 only comes after F2's conference has ended, the teacher's wait for F3 is no changeover
    const learned = turnoverMs(night.state);
    night.at('17:30').end('F2:T1');
    night.at('17:40').checkIn('F3');
    night.callNext('T1');
    night.at('17:43').start('F3:T1');
    expect(turnoverMs(night.state)).toBe(learned);
  });

  /**
   * T1 (A1) in conference with W0 from 17:03, expected free at 17:18; T3 (A2) with X0 from 17:04. A is
   * booked with T1 at 17:20 and not here. E1–E5 are booked with T2 (B1) from 17:40 on and, if
   * `bookedComeEarly`, checked in at 17:00. W walks in for T1 and T3 at 17:04, too early for anyone to
   * be called for either yet.
   */
  function walkInBehindAbsentBooking(bookedComeEarly: boolean): { night: Night; expected: number } {
    const others = ['E1', 'E2', 'E3', 'E4', 'E5'];
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'B1' }, { id: 'T3', roomId: 'A2' }],
      families: [
        { id: 'W0', teacherIds: ['T1'] }, { id: 'X0', teacherIds: ['T3'] }, { id: 'W', teacherIds: ['T1', 'T3'] }, { id: 'A', teacherIds: ['T1'] },
        ...others.map((id) => ({ id, teacherIds: ['T2'] })),
      ],
      appointments: [
        { familyId: 'A', teacherId: 'T1', startsAt: '17:20' },
        ...others.map((familyId, i) => ({ familyId, teacherId: 'T2', startsAt: ['17:40', '17:55', '18:10', '18:25', '18:40'][i] })),
      ],
    });
    night.checkIn('W0', 'X0');
    night.callNext('T1');
    night.callNext('T3');
    if (bookedComeEarly) night.checkIn(...others);
    night.at('17:03').start('W0:T1');
    night.at('17:04').start('X0:T3');
    night.checkIn('W');
    expect([...night.proposals().values()].filter((p) => p.familyId === 'W')).toEqual([]);
    return { night, expected: expectedConferenceMs(night.state) };
  }

  it('keep a teacher\'s time for a booked family not here yet, as the engine does', () => {
    // Given tonight's booked families have not been coming early (none has come yet)
    const { night, expected } = walkInBehindAbsentBooking(false);
    // Then W is expected at T1 after A's slot, not when T1 is free at 17:18...
    expect(night.forecast().get('W:T1')!).toBeGreaterThanOrEqual(night.time('17:20') + expected);
    // ...as the engine keeps T1's time for A: W is not proposed to T1 as T1 is about to be free
    night.at('17:13');
    expect(night.proposalFor('T1')?.visitId).not.toBe('W:T1');
  });

  it('expect a booked family not here yet as early as tonight\'s booked families have been coming', () => {
    // Given the five families booked with T2 all came half an hour or more before their slots
    const { night, expected } = walkInBehindAbsentBooking(true);
    // Then A is expected early enough to be seen at T1's next turn, at its slot, and W after A
    const estimate = night.forecast().get('W:T1')!;
    expect(estimate).toBeGreaterThanOrEqual(night.time('17:18') + expected);
  });
});

// ---- (c) running late --------------------------------------------------------------------------

describe('a teacher running late', () => {
  it('moves the estimated starts of their waiting families by about the delay, and nobody else\'s', () => {
    // Given T1 (A1) free with L1, L2, L3 waiting, and T2 (B1) with M1 waiting
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'B1' }],
      families: [
        { id: 'L1', teacherIds: ['T1'] }, { id: 'L2', teacherIds: ['T1'] }, { id: 'L3', teacherIds: ['T1'] },
        { id: 'M1', teacherIds: ['T2'] },
      ],
    });
    night.checkIn('L1');
    night.at('17:01').checkIn('L2');
    night.at('17:02').checkIn('L3', 'M1');
    night.at('17:05');
    const before = night.forecast();
    expect(before.get('L1:T1')).toBe(night.time('17:08')); // a 3-minute walk from the lobby

    // When T1 says "running late, 20 minutes" at 17:05
    night.do({ type: 'runningLate', teacherId: 'T1', minutes: 20 }, teacher('T1'));
    const after = night.forecast();

    // Then the first family is expected when T1 is back, 17:25
    expect(after.get('L1:T1')).toBe(night.time('17:25'));
    // And every family waiting for T1 moves by about 20 minutes (20 less the 3-minute walk they no longer wait for)
    for (const id of ['L1:T1', 'L2:T1', 'L3:T1']) {
      const moved = minutes(after.get(id)! - before.get(id)!);
      expect(moved, id).toBeGreaterThanOrEqual(17);
      expect(moved, id).toBeLessThanOrEqual(20);
    }
    // And in the same order as before
    const order = (m: Map<string, number>) => ['L1:T1', 'L2:T1', 'L3:T1'].sort((a, b) => m.get(a)! - m.get(b)!);
    expect(order(after)).toEqual(order(before));
    // And T2's family is not affected
    expect(after.get('M1:T2')).toBe(before.get('M1:T2'));
  });
});

// ---- (d) stepping out -------------------------------------------------------------------------

describe('a family stepping out for dinner', () => {
  const night1 = () => given({
    teachers: [{ id: 'T1', roomId: 'A1' }],
    families: [{ id: 'D', teacherIds: ['T1'] }, { id: 'E', teacherIds: ['T1'] }],
  });

  it('is not proposed while out, and is proposed again after the tick at the time they return', () => {
    // Given D alone in T1's line steps out at 17:01 for 15 minutes
    const night = night1();
    night.checkIn('D');
    night.at('17:01').do({ type: 'stepOut', familyId: 'D', minutes: 15 }, family('D'));
    expect(night.state.checkIns.D.steppedOutUntil).toBe(night.time('17:16'));

    // When T1 looks for someone to call while D is out
    for (const t of ['17:02', '17:10', '17:15:59']) {
      night.at(t);
      // Then D is not proposed, cannot be called by hand, and "call next" finds nobody
      expect(night.proposalFor('T1'), t).toBeUndefined();
      expect(refusal(night.when({ type: 'callFamily', teacherId: 'T1' }, teacher('T1'))), t).toMatchObject({ code: 'nobody_available' });
      expect(refusal(night.when({ type: 'callFamily', teacherId: 'T1', visitId: 'D:T1' }, teacher('T1'))), t).toMatchObject({ code: 'conflict' });
    }
    // And a tick before they are due back does nothing
    expect(refusal(night.when({ type: 'tick' }, system))).toMatchObject({ code: 'conflict' });

    // When the clock ticks at 17:16
    night.at('17:16');
    const events = night.do({ type: 'tick' }, system);
    // Then D is back in line and proposed to T1
    expect(events).toEqual([expect.objectContaining({ type: 'familyReturned', familyId: 'D' })]);
    expect(night.state.checkIns.D.steppedOutUntil).toBeNull();
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'D:T1' });
    expect(night.callNext('T1')).toBe('D:T1');
  });

  it('lets the teacher see the next family meanwhile', () => {
    const night = night1();
    night.checkIn('D');
    night.at('17:01').checkIn('E');
    night.at('17:02').do({ type: 'stepOut', familyId: 'D', minutes: 15 }, family('D'));
    expect(night.proposalFor('T1')).toMatchObject({ visitId: 'E:T1' });
    expect(night.callNext('T1')).toBe('E:T1');
  });
});

// ---- (e) no-shows ----------------------------------------------------------------------------

describe('a family who does not come when called', () => {
  it('can be marked after five minutes: the first time back of the line, the second time out of it', () => {
    // Given D (since 17:00) and E (since 17:01) in T1's line, and D called at 17:02
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }],
      families: [{ id: 'D', teacherIds: ['T1'] }, { id: 'E', teacherIds: ['T1'] }],
    });
    night.checkIn('D');
    night.at('17:01').checkIn('E');
    night.at('17:02');
    expect(night.callNext('T1')).toBe('D:T1');
    expect(noShowAfterMs).toBe(5 * minute);

    // When the teacher marks a no-show after 4 minutes 59 seconds: refused
    night.at('17:06:59');
    expect(refusal(night.when({ type: 'markNoShow', visitId: 'D:T1' }, teacher('T1')))).toMatchObject({ code: 'conflict' });
    expect(night.state.visits['D:T1'].status).toBe('called');

    // When they mark it at 5 minutes
    night.at('17:07');
    const first = night.do({ type: 'markNoShow', visitId: 'D:T1' }, teacher('T1'));
    // Then D is back in line (waiting, at the back), and T1 is free to call
    expect(first).toEqual([expect.objectContaining({ type: 'familyNoShow', visitId: 'D:T1', removed: false })]);
    expect(night.state.visits['D:T1']).toMatchObject({ status: 'waiting', noShows: 1, calledAt: null, queuedAt: night.time('17:07') });
    expect(night.state.teachers.T1.calledVisitId).toBeNull();
    // And E, who has now waited longer, is called next
    expect(night.callNext('T1')).toBe('E:T1');
    night.at('17:10').start('E:T1');
    night.at('17:25').end('E:T1');

    // When D is called again and again does not come
    expect(night.callNext('T1')).toBe('D:T1');
    night.at('17:30');
    const second = night.do({ type: 'markNoShow', visitId: 'D:T1' }, teacher('T1'));
    // Then D is removed from the line
    expect(second).toEqual([expect.objectContaining({ type: 'familyNoShow', visitId: 'D:T1', removed: true })]);
    expect(night.state.visits['D:T1']).toMatchObject({ status: 'cancelled', noShows: 2 });
    expect(night.proposalFor('T1')).toBeUndefined();
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T1' }, teacher('T1')))).toMatchObject({ code: 'nobody_available' });
  });

  it('the coordinator may mark it without waiting five minutes', () => {
    const night = given({ teachers: [{ id: 'T1', roomId: 'A1' }], families: [{ id: 'D', teacherIds: ['T1'] }] });
    night.checkIn('D');
    night.callNext('T1');
    night.at('17:01');
    expect(night.when({ type: 'markNoShow', visitId: 'D:T1' }, coordinator)).toMatchObject({ ok: true });
  });
});

// ---- (f) one family, one place -----------------------------------------------------------------

describe('a family with two teachers', () => {
  const spec = {
    teachers: [{ id: 'T1', roomId: 'A1', name: 'Ms. First' }, { id: 'T2', roomId: 'B1', name: 'Mr. Second' }],
    families: [{ id: 'F', teacherIds: ['T1', 'T2'] }, { id: 'G', teacherIds: ['T2'] }],
  };

  it('is proposed to one free teacher only', () => {
    const night = given(spec);
    night.checkIn('F');
    const proposals = [...night.proposals().values()];
    expect(proposals.filter((p) => p.familyId === 'F')).toHaveLength(1);
    const [first] = proposals;
    night.callNext(first.teacherId);
    const other = first.teacherId === 'T1' ? 'T2' : 'T1';
    expect(night.proposalFor(other)).toBeUndefined();
    expect(refusal(night.when({ type: 'callFamily', teacherId: other }, teacher(other)))).toMatchObject({ code: 'nobody_available' });
  });

  it('is never called by another teacher while called or in conference', () => {
    // Given F (T1 and T2) and G (T2), and T1 calls F
    const night = given(spec);
    night.checkIn('F');
    night.at('17:01').checkIn('G');
    night.at('17:02').do({ type: 'callFamily', teacherId: 'T1', visitId: 'F:T1' }, teacher('T1'));

    for (const phase of ['called', 'inConference'] as const) {
      if (phase === 'inConference') night.at('17:05').start('F:T1');
      expect(night.state.visits['F:T1'].status).toBe(phase);
      // Then T2 cannot call F by hand (told who F is with), and the engine offers T2 only G
      expect(refusal(night.when({ type: 'callFamily', teacherId: 'T2', visitId: 'F:T2' }, teacher('T2'))), phase)
        .toMatchObject({ code: 'conflict', message: expect.stringContaining('Ms. First') });
      expect(night.proposalFor('T2')?.familyId, phase).toBe('G');
      expect(night.state.visits['F:T2'].status).toBe('waiting');
    }
    expect(night.callNext('T2')).toBe('G:T2');
    expect(night.state.visits['F:T2'].status).toBe('waiting');

    // And once F's conference with T1 has ended, T2 can have F
    night.at('17:08').start('G:T2');
    night.at('17:20').end('F:T1');
    night.at('17:23').end('G:T2');
    expect(night.callNext('T2')).toBe('F:T2');
  });
});

// ---- (g) ambassadors ---------------------------------------------------------------------------

describe('escorts', () => {
  it('go to the nearest available ambassador; an offer not accepted in 60 s goes to the next; with nobody left, the escort is unassigned', () => {
    // Given ambassadors M1 and M2 at the front desk; P (T2, room B1) and Q (T1, room A1) both asked for a guide
    const night = given({
      teachers: [{ id: 'T1', roomId: 'A1' }, { id: 'T2', roomId: 'B1' }],
      families: [{ id: 'P', teacherIds: ['T2'], needsEscort: true }, { id: 'Q', teacherIds: ['T1'], needsEscort: true }],
      staff: [{ id: 'M1', role: 'ambassador' }, { id: 'M2', role: 'ambassador' }],
    });
    expect(offerTimeoutMs).toBe(60_000);
    night.checkIn('P');
    expect(night.state.checkIns.P.wantsEscort).toBe(true);

    // When T2 calls P: the escort is offered (both ambassadors are at the desk; M1 first)
    const called = night.do({ type: 'callFamily', teacherId: 'T2' }, teacher('T2'));
    expect(called).toEqual([
      expect.objectContaining({ type: 'familyCalled', visitId: 'P:T2' }),
      expect.objectContaining({ type: 'escortOffered', familyId: 'P', visitId: 'P:T2', fromRoomId: 'LOBBY', toRoomId: 'B1', staffId: 'M1' }),
    ]);
    // M1 takes P to B1 and stays there
    const taskP = Object.values(night.state.tasks)[0].id;
    night.at('17:00:30').do({ type: 'acceptTask', taskId: taskP }, staff('M1'));
    night.at('17:03').do({ type: 'finishTask', taskId: taskP }, staff('M1'));
    night.start('P:T2');
    expect(night.state.staff.M1.roomId).toBe('B1');

    // When T1 calls Q, who is at the front desk
    night.at('17:05').checkIn('Q');
    const events = night.do({ type: 'callFamily', teacherId: 'T1' }, teacher('T1'));
    // Then the escort is offered to M2, the nearest (at the desk, M1 is 3 minutes away)
    const offer = events.find((e) => e.type === 'escortOffered');
    expect(offer).toMatchObject({ familyId: 'Q', visitId: 'Q:T1', fromRoomId: 'LOBBY', toRoomId: 'A1', staffId: 'M2' });
    const taskQ = (offer as { taskId: string }).taskId;

    // When 59 seconds pass without an answer, nothing changes
    night.at('17:05:59');
    expect(refusal(night.when({ type: 'tick' }, system))).toMatchObject({ code: 'conflict' });
    // When 60 seconds have passed, the tick passes the offer on to M1
    night.at('17:06');
    expect(night.do({ type: 'tick' }, system)).toEqual([
      expect.objectContaining({ type: 'escortOfferLapsed', taskId: taskQ, staffId: 'M2', declined: false }),
      expect.objectContaining({ type: 'escortOffered', taskId: taskQ, staffId: 'M1' }),
    ]);
    expect(night.state.tasks[taskQ]).toMatchObject({ status: 'offered', staffId: 'M1', passedBy: ['M2'] });

    // When M1 does not answer either, nobody is left: the escort is unassigned (for the coordinator to see)
    night.at('17:07');
    expect(night.do({ type: 'tick' }, system)).toEqual([
      expect.objectContaining({ type: 'escortOfferLapsed', taskId: taskQ, staffId: 'M1', declined: false }),
      expect.objectContaining({ type: 'escortUnassigned', taskId: taskQ, familyId: 'Q', visitId: 'Q:T1' }),
    ]);
    expect(night.state.tasks[taskQ]).toMatchObject({ status: 'unassigned', staffId: null, passedBy: ['M2', 'M1'] });
    // And the family's call stands: they can still be seen
    expect(night.state.visits['Q:T1'].status).toBe('called');
  });
});
