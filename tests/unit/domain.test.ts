// The night's rules, given → when → then, over the pure core: decide(state, command) and evolve(state, event).
// The setup is the real demo bundle (Lincoln Elementary), parsed from its files.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBundle, type Bundle } from '../../shared/bundle';
import { localToEpoch, minute } from '../../shared/clock';
import { decide, type Decision } from '../../shared/domain/decide';
import { evolve, evolveAll } from '../../shared/domain/evolve';
import { familyLabel, findFamilies, maxKioskMatches } from '../../shared/domain/kiosk';
import { viewFor, type BoardView, type CoordinatorView, type FamilyView, type TeacherView } from '../../shared/domain/projections';
import { proposalFor, teacherLine } from '../../shared/domain/queue';
import { emptyNight, type NightEvent, type NightState } from '../../shared/domain/state';
import { commandSchema, maxCommitmentLength, maxCommitments, maxNoteLength, type Actor, type Command } from '../../shared/protocol';
import { demoBundleDir } from '../helpers/server';

// ---- the world -------------------------------------------------------------------------------

function readBundle(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.csv') || name.endsWith('.json')) files[name] = readFileSync(path.join(dir, name), 'utf8');
  }
  return files;
}

let setup: Bundle;
let opensAt: number;
beforeAll(() => {
  const parsed = parseBundle(readBundle(demoBundleDir));
  if (!parsed.ok) throw new Error(`The demo bundle does not parse:\n${parsed.errors.join('\n')}`);
  setup = parsed.bundle;
  opensAt = localToEpoch(setup.event.date, setup.event.opensAt, setup.event.timezone);
});

const kiosk: Actor = { role: 'kiosk', id: 'K1' };
const coordinator: Actor = { role: 'coordinator', id: 'C1' };
const board: Actor = { role: 'board', id: 'B1' };
const teacher = (id: string): Actor => ({ role: 'teacher', id });

type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'commandId'> : never) : never;
let commandNo = 0;
const withId = (c: CommandInput): Command => ({ ...c, commandId: `unit-cmd-${++commandNo}` }) as Command;

/** A night in progress: its state and its own clock, one minute per command. */
class Night {
  constructor(public state: NightState, public now: number) {}

  when(command: CommandInput, actor: Actor): Decision {
    this.now += minute;
    return decide(this.state, withId(command), { now: this.now, actor });
  }

  /** Runs a command that must be accepted and applies its events. */
  do(command: CommandInput, actor: Actor): NightEvent[] {
    const decision = this.when(command, actor);
    if (!decision.ok) throw new Error(`${command.type} was refused: ${decision.code} ${decision.message}`);
    this.state = evolveAll(this.state, decision.events);
    return decision.events;
  }

  /** Applies an accepted decision's events (the "then" of a when). */
  apply(decision: Decision): NightState {
    expect(decision.ok, JSON.stringify(decision)).toBe(true);
    if (decision.ok) this.state = evolveAll(this.state, decision.events);
    return this.state;
  }
}

/**
 * Given a night created from `bundle` and, unless told otherwise, opened. By default the demo night
 * without its booked slots: these tests are about the commands, and a slot kept for a booked family
 * not here yet would keep a teacher from seeing a walk-in before it (routing.test.ts tests that).
 */
function given(options: { open?: boolean; bundle?: Bundle } = {}): Night {
  const bundle = options.bundle ?? { ...setup, appointments: [] };
  const events: NightEvent[] = [{ type: 'nightCreated', at: opensAt - 30 * minute, setup: bundle }];
  if (options.open !== false) events.push({ type: 'nightOpened', at: opensAt });
  return new Night(evolveAll(emptyNight, events), opensAt);
}

/** The visit a teacher's screen shows as called or in conference. */
const activeOf = (state: NightState, teacherId: string) => {
  const view = viewFor(state, teacher(teacherId)) as TeacherView;
  return (view.called ?? view.conference)?.visitId ?? null;
};

const refusal = (d: Decision) => (d.ok ? null : { code: d.code, message: d.message });

// ---- check-in --------------------------------------------------------------------------------

describe('check-in', () => {
  it('gives a one-child family one waiting visit with that child\'s teacher', () => {
    const night = given();
    const decision = night.when({ type: 'checkIn', familyId: 'F0001' }, kiosk);

    expect(decision.ok).toBe(true);
    if (!decision.ok) return;
    expect(decision.events).toHaveLength(1);
    expect(decision.events[0]).toMatchObject({
      type: 'familyCheckedIn', familyId: 'F0001', ticket: 'T-1',
      visits: [{ visitId: 'F0001:T001', teacherId: 'T001', studentIds: ['S0001'] }],
    });

    const state = night.apply(decision);
    expect(Object.values(state.visits)).toEqual([
      expect.objectContaining({ id: 'F0001:T001', familyId: 'F0001', teacherId: 'T001', status: 'waiting' }),
    ]);
    expect(state.checkIns.F0001).toMatchObject({ ticket: 'T-1', visitIds: ['F0001:T001'] });
    expect(teacherLine(state, 'T001').map((v) => v.id)).toEqual(['F0001:T001']);
  });

  it('creates one waiting visit per teacher of the family\'s children', () => {
    // F0007 Hamza White: Ava (S0007) is in T007's class, Amara (S0008) in T008's.
    const night = given();
    const state = night.apply(night.when({ type: 'checkIn', familyId: 'F0007' }, kiosk));

    const visits = Object.values(state.visits).filter((v) => v.familyId === 'F0007');
    expect(visits.map((v) => [v.teacherId, v.studentIds, v.status]).sort()).toEqual([
      ['T007', ['S0007'], 'waiting'],
      ['T008', ['S0008'], 'waiting'],
    ]);
    expect(teacherLine(state, 'T007').map((v) => v.familyId)).toEqual(['F0007']);
    expect(teacherLine(state, 'T008').map((v) => v.familyId)).toEqual(['F0007']);
  });

  it('gives two children in the same class one visit, not two', () => {
    // The demo bundle has no such family, so this night adds a sibling to F0001 in T001's class.
    const sibling = { id: 'S9001', firstName: 'Kai', lastName: 'Tran', grade: '2', teacherIds: ['T001'] };
    const bundle: Bundle = {
      ...setup,
      students: { ...setup.students, S9001: sibling },
      families: { ...setup.families, F0001: { ...setup.families.F0001, studentIds: ['S0001', 'S9001'] } },
    };
    const night = given({ bundle });
    const state = night.apply(night.when({ type: 'checkIn', familyId: 'F0001' }, kiosk));

    expect(Object.values(state.visits)).toEqual([
      expect.objectContaining({ id: 'F0001:T001', teacherId: 'T001', studentIds: ['S0001', 'S9001'], status: 'waiting' }),
    ]);
    const view = viewFor(state, teacher('T001')) as TeacherView;
    expect(view.line).toHaveLength(1);
    expect(view.line[0].children).toEqual(['Sofia', 'Kai']);
  });

  it('can be limited to some of the family\'s teachers, but not to a teacher who is not theirs', () => {
    const night = given();
    const state = night.apply(night.when({ type: 'checkIn', familyId: 'F0007', teacherIds: ['T008'] }, kiosk));
    expect(Object.keys(state.visits)).toEqual(['F0007:T008']);

    const other = given().when({ type: 'checkIn', familyId: 'F0001', teacherIds: ['T002'] }, kiosk);
    expect(refusal(other)).toMatchObject({ code: 'invalid', message: expect.stringContaining('T002') });
  });

  it('refuses a second check-in of the same family with already_checked_in, whoever sends it', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);

    const again = night.when({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    expect(refusal(again)).toMatchObject({ code: 'already_checked_in' });
    expect(refusal(night.when({ type: 'checkIn', familyId: 'F0001' }, coordinator))).toMatchObject({ code: 'already_checked_in' });
    expect(Object.keys(night.state.visits)).toEqual(['F0001:T001']);
    expect(night.state.ticketsIssued).toBe(1);
  });

  it('refuses an unknown family with not_found', () => {
    expect(refusal(given().when({ type: 'checkIn', familyId: 'F9999' }, kiosk))).toMatchObject({ code: 'not_found' });
  });

  it('refuses check-in before the night is opened and after it is closed', () => {
    const notYet = given({ open: false });
    expect(notYet.state.phase).toBe('setup');
    expect(refusal(notYet.when({ type: 'checkIn', familyId: 'F0001' }, kiosk))).toMatchObject({ code: 'night_not_open' });

    const closed = given();
    closed.do({ type: 'closeNight' }, coordinator);
    expect(closed.state.phase).toBe('closed');
    expect(refusal(closed.when({ type: 'checkIn', familyId: 'F0001' }, kiosk))).toMatchObject({ code: 'night_not_open' });
    expect(closed.state.checkIns).toEqual({});
  });

  it('refuses anything but opening while no night has been set up', () => {
    const d = decide(emptyNight, withId({ type: 'checkIn', familyId: 'F0001' }), { now: 0, actor: kiosk });
    expect(refusal(d)).toMatchObject({ code: 'night_not_open' });
  });
});

// ---- calling, starting, ending ---------------------------------------------------------------

describe('calling a family', () => {
  /** F0001 (walk-in) then F0027 (walk-in) in T001's line. */
  function twoInLine(): Night {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'checkIn', familyId: 'F0027' }, kiosk);
    return night;
  }

  it('without a visitId calls the first family in line', () => {
    const night = twoInLine();
    expect(teacherLine(night.state, 'T001').map((v) => v.familyId)).toEqual(['F0001', 'F0027']);

    const decision = night.when({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    expect(decision).toMatchObject({ ok: true, events: [{ type: 'familyCalled', visitId: 'F0001:T001' }] });

    const state = night.apply(decision);
    expect(state.visits['F0001:T001']).toMatchObject({ status: 'called', calledAt: night.now });
    expect(activeOf(state, 'T001')).toBe('F0001:T001');
    expect(teacherLine(state, 'T001').map((v) => v.familyId)).toEqual(['F0027']);
  });

  it('with a visitId calls that family, even if it is not first', () => {
    const night = twoInLine();
    const state = night.apply(night.when({ type: 'callFamily', teacherId: 'T001', visitId: 'F0027:T001' }, teacher('T001')));
    expect(state.visits['F0027:T001'].status).toBe('called');
    expect(state.visits['F0001:T001'].status).toBe('waiting');
  });

  it('refuses a teacher who already has a family on the way (conflict), but lets them call the next one mid-conference', () => {
    const night = twoInLine();
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));

    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T001' }, teacher('T001')))).toMatchObject({ code: 'conflict' });
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T001', visitId: 'F0027:T001' }, teacher('T001'))))
      .toMatchObject({ code: 'conflict' });

    // In conference, the teacher may call the next family so they are at the door when it ends; one at a time.
    night.do({ type: 'startConference', visitId: 'F0001:T001' }, teacher('T001'));
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    expect(night.state.visits['F0027:T001'].status).toBe('called');
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T001' }, teacher('T001')))).toMatchObject({ code: 'conflict' });
  });

  it('refuses to call a family that is with another teacher (conflict naming that teacher)', () => {
    // F0007 has a child with T007 (Mr. Torres) and one with T008.
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0007' }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T007' }, teacher('T007'));

    const byB = night.when({ type: 'callFamily', teacherId: 'T008', visitId: 'F0007:T008' }, teacher('T008'));
    expect(refusal(byB)).toMatchObject({ code: 'conflict', message: expect.stringContaining(setup.teachers.T007.name) });

    // Without a visitId the busy family is skipped: nobody else is in T008's line.
    expect(proposalFor(night.state, 'T008')).toBeNull();
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T008' }, teacher('T008')))).toMatchObject({ code: 'nobody_available' });

    // Once T007 is done with them, T008 can call them.
    night.do({ type: 'startConference', visitId: 'F0007:T007' }, teacher('T007'));
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T008' }, teacher('T008')))).toMatchObject({ code: 'nobody_available' });
    night.do({ type: 'endConference', visitId: 'F0007:T007' }, teacher('T007'));
    night.do({ type: 'callFamily', teacherId: 'T008' }, teacher('T008'));
    expect(night.state.visits['F0007:T008'].status).toBe('called');
  });

  it('skips a busy family and proposes the next free one', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0007' }, kiosk); // T007 + T008
    night.do({ type: 'checkIn', familyId: 'F0264' }, kiosk); // T008 only
    night.do({ type: 'callFamily', teacherId: 'T007' }, teacher('T007'));
    const state = night.apply(night.when({ type: 'callFamily', teacherId: 'T008' }, teacher('T008')));
    expect(activeOf(state, 'T008')).toMatch(/^F0264:/);
  });

  it('answers nobody_available when the line is empty and not_found for a visit that is not in this line', () => {
    const night = given();
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T001' }, teacher('T001')))).toMatchObject({ code: 'nobody_available' });
    night.do({ type: 'checkIn', familyId: 'F0002' }, kiosk); // T002's line
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T001', visitId: 'F0002:T002' }, teacher('T001')))).toMatchObject({ code: 'not_found' });
  });
});

describe('conferences', () => {
  function called(): Night {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'checkIn', familyId: 'F0027' }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    return night;
  }

  it('start turns a called visit into a conference', () => {
    const night = called();
    const decision = night.when({ type: 'startConference', visitId: 'F0001:T001' }, teacher('T001'));
    expect(decision).toMatchObject({ ok: true, events: [{ type: 'conferenceStarted', visitId: 'F0001:T001' }] });
    const state = night.apply(decision);
    expect(state.visits['F0001:T001']).toMatchObject({ status: 'inConference', startedAt: night.now });
    expect(activeOf(state, 'T001')).toBe('F0001:T001');
  });

  it('start refuses a visit that was not called, and a visit that does not exist', () => {
    const night = called();
    expect(refusal(night.when({ type: 'startConference', visitId: 'F0027:T001' }, teacher('T001')))).toMatchObject({ code: 'conflict' });
    expect(refusal(night.when({ type: 'startConference', visitId: 'F9999:T001' }, teacher('T001')))).toMatchObject({ code: 'not_found' });
    expect(night.state.visits['F0027:T001'].status).toBe('waiting');
  });

  it('end marks the visit done and frees the teacher for the next family', () => {
    const night = called();
    expect(refusal(night.when({ type: 'endConference', visitId: 'F0001:T001' }, teacher('T001')))).toMatchObject({ code: 'conflict' });
    night.do({ type: 'startConference', visitId: 'F0001:T001' }, teacher('T001'));

    const decision = night.when({ type: 'endConference', visitId: 'F0001:T001' }, teacher('T001'));
    expect(decision).toMatchObject({ ok: true, events: [{ type: 'conferenceEnded', visitId: 'F0001:T001' }] });
    const state = night.apply(decision);
    expect(state.visits['F0001:T001']).toMatchObject({ status: 'done', endedAt: night.now });
    expect(activeOf(state, 'T001')).toBeNull();
    expect((viewFor(state, teacher('T001')) as TeacherView).seenCount).toBe(1);

    expect(night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'))).toMatchObject([{ visitId: 'F0027:T001' }]);
    expect(refusal(night.when({ type: 'endConference', visitId: 'F0001:T001' }, teacher('T001')))).toMatchObject({ code: 'conflict' });
  });

  it('evolve never mutates the state it is given', () => {
    const night = called();
    const before = JSON.stringify(night.state);
    const frozen = night.state;
    evolve(frozen, { type: 'conferenceStarted', at: night.now + 1, visitId: 'F0001:T001' });
    expect(JSON.stringify(frozen)).toBe(before);
  });
});

// ---- the teacher's controls: put back, running late, no-shows the coordinator hears of ---------

describe('putting a called family back', () => {
  it('returns them to the line with their place kept, not counted as a no-show, and frees the teacher', () => {
    // Given F0001 then F0027 in T001's line, and F0001 called
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'checkIn', familyId: 'F0027' }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    const queuedAt = night.state.visits['F0001:T001'].queuedAt;

    // When the teacher puts them back
    const decision = night.when({ type: 'putBack', visitId: 'F0001:T001' }, teacher('T001'));

    // Then the visit waits again, first in line as before, with no no-show against it
    expect(decision).toMatchObject({ ok: true, events: [{ type: 'familyPutBack', visitId: 'F0001:T001' }] });
    const state = night.apply(decision);
    expect(state.visits['F0001:T001']).toMatchObject({ status: 'waiting', queuedAt, calledAt: null, noShows: 0, interpreterId: null });
    expect(state.teachers.T001.calledVisitId).toBeNull();
    expect(teacherLine(state, 'T001').map((v) => v.familyId)).toEqual(['F0001', 'F0027']);
    expect((viewFor(state, coordinator) as CoordinatorView).noShows).toEqual([]);
    // And the teacher can call again at once
    night.do({ type: 'callFamily', teacherId: 'T001', visitId: 'F0027:T001' }, teacher('T001'));
    expect(night.state.visits['F0027:T001'].status).toBe('called');
  });

  it('calls off the escort who was on the way to fetch them', () => {
    // Given F0001 asked for a guide and was called: an ambassador is offered the walk
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001', wantsEscort: true }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    const [task] = Object.values(night.state.tasks);
    expect(task).toMatchObject({ visitId: 'F0001:T001', status: 'offered' });

    // When the family is put back
    night.do({ type: 'putBack', visitId: 'F0001:T001' }, teacher('T001'));

    // Then the task is cancelled and the ambassador free for the next one
    expect(night.state.tasks[task.id].status).toBe('cancelled');
  });

  it('refuses a family that was not called (conflict), an unknown visit, and another teacher\'s line', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    expect(refusal(night.when({ type: 'putBack', visitId: 'F0001:T001' }, teacher('T001')))).toMatchObject({ code: 'conflict' });
    expect(refusal(night.when({ type: 'putBack', visitId: 'F9999:T001' }, teacher('T001')))).toMatchObject({ code: 'not_found' });
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    expect(refusal(night.when({ type: 'putBack', visitId: 'F0001:T001' }, teacher('T002')))).toMatchObject({ code: 'forbidden' });
    expect(night.state.visits['F0001:T001'].status).toBe('called');
  });
});

describe('running late and breaks', () => {
  it('"running late by 10 minutes" mid-conference moves every waiting family\'s estimate by 10 minutes', () => {
    // Given T001 in conference with F0001, and F0027 and F0096 waiting
    const night = given();
    for (const f of ['F0001', 'F0027', 'F0096']) night.do({ type: 'checkIn', familyId: f }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001', visitId: 'F0001:T001' }, teacher('T001'));
    night.do({ type: 'startConference', visitId: 'F0001:T001' }, teacher('T001'));
    const estimate = (state: NightState, familyId: string) => (viewFor(state, { role: 'family', id: familyId }) as FamilyView).visits[0].estimatedStart!;
    const before = { F0027: estimate(night.state, 'F0027'), F0096: estimate(night.state, 'F0096') };

    // When the teacher says they are running 10 minutes late
    const events = night.do({ type: 'runningLate', teacherId: 'T001', minutes: 10 }, teacher('T001'));

    // Then they are expected free 10 minutes after the conference's expected end, and each family's page moves by 10 minutes
    const startedAt = night.state.visits['F0001:T001'].startedAt!;
    expect(events).toEqual([expect.objectContaining({ type: 'teacherRunningLate', until: startedAt + 25 * minute })]);
    expect(estimate(night.state, 'F0027') - before.F0027).toBe(10 * minute);
    expect(estimate(night.state, 'F0096') - before.F0096).toBe(10 * minute);
    expect((viewFor(night.state, teacher('T001')) as TeacherView).teacher.lateUntil).toBe(startedAt + 25 * minute);

    // And "another 5 minutes" adds to it; resuming clears it
    night.do({ type: 'runningLate', teacherId: 'T001', minutes: 5 }, teacher('T001'));
    expect(night.state.teachers.T001.lateUntil).toBe(startedAt + 30 * minute);
    night.do({ type: 'resume', teacherId: 'T001' }, teacher('T001'));
    expect(night.state.teachers.T001.lateUntil).toBeNull();
    expect(estimate(night.state, 'F0027')).toBe(before.F0027);
  });

  it('a break stops calls until the teacher resumes', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'takeBreak', teacherId: 'T001', minutes: null }, teacher('T001'));
    expect((viewFor(night.state, teacher('T001')) as TeacherView).proposal).toBeNull();
    expect(refusal(night.when({ type: 'callFamily', teacherId: 'T001' }, teacher('T001')))).toMatchObject({ code: 'conflict' });
    night.do({ type: 'resume', teacherId: 'T001' }, teacher('T001'));
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    expect(night.state.visits['F0001:T001'].status).toBe('called');
  });
});

describe('no-shows', () => {
  it('tells the coordinator: back of the line the first time, out of it the second', () => {
    // Given F0001 called by T001
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));

    // When five minutes pass and the teacher marks them as not arrived
    night.now += 5 * minute;
    night.do({ type: 'markNoShow', visitId: 'F0001:T001' }, teacher('T001'));

    // Then the coordinator sees it, with the family still in line
    const first = viewFor(night.state, coordinator) as CoordinatorView;
    expect(first.noShows).toEqual([{
      visitId: 'F0001:T001', ticket: 'T-1', guardianName: 'Hamza Tran', teacherName: setup.teachers.T001.name, at: night.now, removed: false,
    }]);
    expect((viewFor(night.state, teacher('T001')) as TeacherView).line).toEqual([expect.objectContaining({ visitId: 'F0001:T001', noShows: 1 })]);

    // When it happens again
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    night.now += 5 * minute;
    night.do({ type: 'markNoShow', visitId: 'F0001:T001' }, teacher('T001'));

    // Then they are out of the line and the coordinator is told so
    expect((viewFor(night.state, coordinator) as CoordinatorView).noShows).toEqual([expect.objectContaining({ visitId: 'F0001:T001', removed: true, at: night.now })]);
    expect((viewFor(night.state, teacher('T001')) as TeacherView).line).toEqual([]);
  });
});

// ---- the conference's record: commitments and the teacher's private note ---------------------

describe('commitments and private notes', () => {
  /** F0007 (Hamza White) sees T007 and T008; in conference with T007. */
  function inConference(): Night {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0007' }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T007', visitId: 'F0007:T007' }, teacher('T007'));
    night.do({ type: 'startConference', visitId: 'F0007:T007' }, teacher('T007'));
    return night;
  }
  const commitments = [
    { who: 'teacher' as const, text: 'send home the reading list every Friday' },
    { who: 'family' as const, text: 'read together for 20 minutes each night' },
  ];

  it('are saved with the visit and shown to the teacher and, for commitments only, to the family', () => {
    // Given a conference in progress
    const night = inConference();

    // When the teacher saves the commitments and a note
    const saved = night.when({ type: 'saveCommitments', visitId: 'F0007:T007', commitments }, teacher('T007'));
    expect(saved).toMatchObject({ ok: true, events: [{ type: 'commitmentsSaved', visitId: 'F0007:T007', commitments }] });
    night.apply(saved);
    night.do({ type: 'saveNote', visitId: 'F0007:T007', text: 'Ask about the move in January.' }, teacher('T007'));

    // Then the teacher's conference card shows both
    const during = viewFor(night.state, teacher('T007')) as TeacherView;
    expect(during.conference).toMatchObject({ visitId: 'F0007:T007', commitments, note: 'Ask about the move in January.' });

    // And after the conference they are in the teacher's record of the night (for the export)
    night.do({ type: 'endConference', visitId: 'F0007:T007' }, teacher('T007'));
    const after = viewFor(night.state, teacher('T007')) as TeacherView;
    expect(after.finished).toEqual([expect.objectContaining({
      visitId: 'F0007:T007', guardianName: 'Hamza White', children: ['Ava'], commitments, note: 'Ask about the move in January.',
    })]);
    expect(after.seenCount).toBe(1);

    // And the family's page lists the commitments under that teacher
    const familyView = viewFor(night.state, { role: 'family', id: 'F0007' }) as FamilyView;
    expect(familyView.visits.find((v) => v.visitId === 'F0007:T007')?.commitments).toEqual(commitments);
    expect(familyView.visits.find((v) => v.visitId === 'F0007:T008')?.commitments).toEqual([]);

    // And they can still be corrected after the conference: a save replaces the list
    night.do({ type: 'saveCommitments', visitId: 'F0007:T007', commitments: commitments.slice(1) }, teacher('T007'));
    expect(night.state.visits['F0007:T007'].commitments).toEqual(commitments.slice(1));
  });

  it('never shows the private note to anyone but that teacher', () => {
    // Given a note on F0007's conference with T007; F0007 also waits in T008's line
    const night = inConference();
    const secret = 'PRIVATE-NOTE-7f3a: custody question';
    night.do({ type: 'saveNote', visitId: 'F0007:T007', text: secret }, teacher('T007'));
    night.do({ type: 'saveCommitments', visitId: 'F0007:T007', commitments }, teacher('T007'));
    night.do({ type: 'endConference', visitId: 'F0007:T007' }, teacher('T007'));
    night.do({ type: 'callFamily', teacherId: 'T008', visitId: 'F0007:T008' }, teacher('T008'));

    // Then it is in T007's view only
    expect(JSON.stringify(viewFor(night.state, teacher('T007')))).toContain(secret);
    const others: Actor[] = [
      teacher('T008'), teacher('T001'), coordinator, board, kiosk, { role: 'family', id: 'F0007' }, { role: 'staff', id: 'X005' }, { role: 'staff', id: 'A001' },
    ];
    for (const actor of others) {
      const text = JSON.stringify(viewFor(night.state, actor));
      expect(text, `${actor.role} ${actor.id}`).not.toContain('PRIVATE-NOTE-7f3a');
      expect(text, `${actor.role} ${actor.id}`).not.toContain('custody');
    }
    // And T008, who has the same family in front of them, sees neither T007's note nor commitments
    const t8 = viewFor(night.state, teacher('T008')) as TeacherView;
    expect(t8.called).toMatchObject({ visitId: 'F0007:T008', note: '', commitments: [] });
  });

  it('only the teacher of the visit may write them; the coordinator may not', () => {
    const night = inConference();
    const note = { type: 'saveNote', visitId: 'F0007:T007', text: 'x' } as const;
    expect(refusal(night.when(note, teacher('T008')))).toMatchObject({ code: 'forbidden' });
    expect(refusal(night.when(note, coordinator))).toMatchObject({ code: 'forbidden' });
    expect(refusal(night.when({ type: 'saveCommitments', visitId: 'F0007:T007', commitments }, coordinator))).toMatchObject({ code: 'forbidden' });
    expect(refusal(night.when({ type: 'saveCommitments', visitId: 'F0007:T007', commitments }, { role: 'family', id: 'F0007' }))).toMatchObject({ code: 'forbidden' });
    expect(night.state.visits['F0007:T007'].note).toBeUndefined();
  });

  it('commitments wait for the conference to start; an unchanged save is refused', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0007' }, kiosk);
    const early = night.when({ type: 'saveCommitments', visitId: 'F0007:T007', commitments }, teacher('T007'));
    expect(refusal(early)).toMatchObject({ code: 'conflict' });
    // A note can be written before the family comes (what to bring up)
    night.do({ type: 'saveNote', visitId: 'F0007:T007', text: 'Bring up the reading scores.' }, teacher('T007'));
    expect(refusal(night.when({ type: 'saveNote', visitId: 'F0007:T007', text: 'Bring up the reading scores.' }, teacher('T007')))).toMatchObject({ code: 'conflict' });
  });

  it('are limited in count and length at the boundary', () => {
    const base = { type: 'saveCommitments', commandId: 'limits-0001', visitId: 'F0007:T007' };
    const line = (text: string) => ({ who: 'family', text });
    expect(commandSchema.safeParse({ ...base, commitments: [line('read every night')] }).success).toBe(true);
    expect(commandSchema.safeParse({ ...base, commitments: Array.from({ length: maxCommitments + 1 }, () => line('x')) }).success).toBe(false);
    expect(commandSchema.safeParse({ ...base, commitments: [line('x'.repeat(maxCommitmentLength + 1))] }).success).toBe(false);
    expect(commandSchema.safeParse({ ...base, commitments: [line('   ')] }).success).toBe(false);
    expect(commandSchema.safeParse({ ...base, commitments: [{ who: 'coordinator', text: 'x' }] }).success).toBe(false);
    const note = { type: 'saveNote', commandId: 'limits-0002', visitId: 'F0007:T007' };
    expect(commandSchema.safeParse({ ...note, text: 'x'.repeat(maxNoteLength) }).success).toBe(true);
    expect(commandSchema.safeParse({ ...note, text: 'x'.repeat(maxNoteLength + 1) }).success).toBe(false);
  });
});

describe('households', () => {
  it('two households of the same child, checked in separately, are two visits in the teacher\'s line', () => {
    // Given Sofia (S0001, T001's class) has a second household
    const bundle: Bundle = {
      ...setup,
      families: { ...setup.families, F9001: { ...setup.families.F0001, id: 'F9001', guardianName: 'Lan Nguyen', phoneLast4: '9001' } },
    };
    const night = given({ bundle });

    // When both check in
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'checkIn', familyId: 'F9001' }, kiosk);

    // Then T001 sees two visits, each for Sofia
    const view = viewFor(night.state, teacher('T001')) as TeacherView;
    expect(view.line.map((e) => [e.guardianName, e.children])).toEqual([['Hamza Tran', ['Sofia']], ['Lan Nguyen', ['Sofia']]]);
    expect(new Set(view.line.map((e) => e.ticket)).size).toBe(2);
  });
});

// ---- who may do what -------------------------------------------------------------------------

describe('authorisation', () => {
  it('refuses a board that sends checkIn, saying who may not do what', () => {
    const decision = given().when({ type: 'checkIn', familyId: 'F0001' }, board);
    expect(refusal(decision)).toEqual({ code: 'forbidden', message: expect.stringMatching(/board.*check families in/) });
  });

  it.each([
    ['kiosk', { type: 'callFamily', teacherId: 'T001' }],
    ['kiosk', { type: 'openNight' }],
    ['teacher', { type: 'checkIn', familyId: 'F0001' }],
    ['teacher', { type: 'closeNight' }],
    ['board', { type: 'callFamily', teacherId: 'T001' }],
    ['staff', { type: 'checkIn', familyId: 'F0001' }],
    ['family', { type: 'checkIn', familyId: 'F0001' }],
  ] as [Actor['role'], CommandInput][])('refuses a %s sending %o with forbidden', (role, command) => {
    const actor: Actor = { role, id: role === 'teacher' ? 'T001' : role === 'family' ? 'F0001' : 'X001' };
    const decision = given().when(command, actor);
    expect(refusal(decision)).toMatchObject({ code: 'forbidden', message: expect.stringContaining(`A ${role} may not`) });
  });

  it('refuses a teacher acting on another teacher\'s line', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);

    const call = night.when({ type: 'callFamily', teacherId: 'T001' }, teacher('T002'));
    expect(refusal(call)).toEqual({ code: 'forbidden', message: expect.stringContaining('own line') });

    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    expect(refusal(night.when({ type: 'startConference', visitId: 'F0001:T001' }, teacher('T002')))).toMatchObject({ code: 'forbidden' });
    night.do({ type: 'startConference', visitId: 'F0001:T001' }, teacher('T001'));
    expect(refusal(night.when({ type: 'endConference', visitId: 'F0001:T001' }, teacher('T002')))).toMatchObject({ code: 'forbidden' });
    expect(night.state.visits['F0001:T001'].status).toBe('inConference');
  });

  it('lets the coordinator act on any line', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, coordinator);
    night.do({ type: 'callFamily', teacherId: 'T001' }, coordinator);
    night.do({ type: 'startConference', visitId: 'F0001:T001' }, coordinator);
    night.do({ type: 'endConference', visitId: 'F0001:T001' }, coordinator);
    expect(night.state.visits['F0001:T001'].status).toBe('done');
  });
});

// ---- what each screen may see ----------------------------------------------------------------

describe('projections', () => {
  it('a family\'s view never contains another family', () => {
    const night = given();
    const families = ['F0001', 'F0027', 'F0040', 'F0007', 'F0017', 'F0002', 'F0081', 'F0110'];
    for (const f of families) night.do({ type: 'checkIn', familyId: f }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    night.do({ type: 'callFamily', teacherId: 'T007' }, teacher('T007'));

    for (const f of families) {
      const view = viewFor(night.state, { role: 'family', id: f }) as FamilyView;
      const text = JSON.stringify(view);
      const own = setup.families[f];
      expect(view.family.guardianFirstName).toBe(own.guardianName.split(' ')[0]);
      expect(view.family.ticket).toBe(night.state.checkIns[f].ticket);
      for (const other of Object.values(setup.families)) {
        if (other.id === f) continue;
        expect(text).not.toContain(other.id);
        if (other.guardianName !== own.guardianName) expect(text).not.toContain(other.guardianName);
      }
      for (const studentId of Object.keys(setup.students)) expect(text).not.toContain(studentId);
    }
  });

  it('shows a family their place in each line, not who is ahead of them', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'checkIn', familyId: 'F0027' }, kiosk);
    const view = viewFor(night.state, { role: 'family', id: 'F0027' }) as FamilyView;
    expect(view.visits).toEqual([expect.objectContaining({ visitId: 'F0027:T001', status: 'waiting', position: 2 })]);
    expect(JSON.stringify(view)).not.toContain('Hamza');
    expect(JSON.stringify(view)).not.toContain('Tran');
  });

  it('the lobby board shows tickets and rooms, never names', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    const view = viewFor(night.state, board) as BoardView;
    expect(view.calls).toEqual([expect.objectContaining({ ticket: 'T-1', teacherName: setup.teachers.T001.name, status: 'called' })]);
    expect(JSON.stringify(view)).not.toContain('Hamza');
    expect(JSON.stringify(view)).not.toContain('F0001');
  });

  it('the lobby board moves a family from "now calling" to "recently called" when their conference starts', () => {
    // Given two families called, by T001 and then by T002
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    night.do({ type: 'checkIn', familyId: 'F0002' }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T001' }, teacher('T001'));
    night.do({ type: 'callFamily', teacherId: 'T002' }, teacher('T002'));
    const calling = viewFor(night.state, board) as BoardView;
    // Then the newest call is first
    expect(calling.calls.map((c) => c.ticket)).toEqual(['D-2', 'T-1']);
    expect(calling.recent).toEqual([]);
    expect(calling.announcements).toEqual([]);

    // When T001's conference starts
    night.do({ type: 'startConference', visitId: 'F0001:T001' }, teacher('T001'));

    // Then that ticket moves to "recently called", with its room and when it started
    const after = viewFor(night.state, board) as BoardView;
    expect(after.calls.map((c) => c.ticket)).toEqual(['D-2']);
    expect(after.recent).toEqual([{ ticket: 'T-1', roomName: 'Room A101', startedAt: night.now }]);
    expect(after.typicalWaitMinutes).toBeTypeOf('number');
  });
});

describe('kiosk search', () => {
  it('finds a family by phone digits or last name and labels them like "Hamza T."', () => {
    const state = given().state;
    expect(findFamilies(state, '3445')).toEqual({
      tooMany: false, matches: [{ familyId: 'F0001', label: 'Hamza T.', children: ['Sofia'], checkedIn: false }],
    });

    const perez = Object.values(setup.families).filter((f) => f.guardianName.endsWith(' Perez'));
    const byName = findFamilies(state, 'pérez'); // accents and case do not matter
    expect(byName.tooMany).toBe(false);
    expect(byName.matches.map((m) => m.familyId)).toEqual(expect.arrayContaining(perez.map((f) => f.id)));
    for (const m of byName.matches) expect(m.label).toMatch(/^\S+ P\.$/);
  });

  it('reports checked-in families as such', () => {
    const night = given();
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk);
    expect(findFamilies(night.state, '3445').matches).toEqual([expect.objectContaining({ familyId: 'F0001', checkedIn: true })]);
  });

  it('answers "too many" rather than listing a common name', () => {
    const williams = Object.values(setup.families).filter((f) => f.guardianName.endsWith(' Williams'));
    expect(williams.length).toBeGreaterThan(maxKioskMatches);
    expect(findFamilies(given().state, 'Williams')).toEqual({ matches: [], tooMany: true });
  });

  it('never returns more than 5 families, and only first name + initial, for any search', () => {
    const state = given().state;
    const queries = new Set<string>();
    for (const f of Object.values(setup.families)) {
      const last = f.guardianName.split(' ').at(-1)!;
      queries.add(last.slice(0, 2)).add(last.slice(0, 3)).add(last).add(f.phoneLast4);
    }
    for (const s of Object.values(setup.students)) queries.add(s.lastName.slice(0, 2));
    let nonEmpty = 0;
    for (const q of queries) {
      const result = findFamilies(state, q);
      expect(result.matches.length, q).toBeLessThanOrEqual(maxKioskMatches);
      if (result.tooMany) expect(result.matches).toEqual([]);
      if (result.matches.length) nonEmpty++;
      for (const m of result.matches) {
        expect(Object.keys(m).sort()).toEqual(['checkedIn', 'children', 'familyId', 'label']);
        expect(m.label).toMatch(/^\S+ \p{Lu}\.$/u);
        expect(m.label).toBe(familyLabel(setup, m.familyId));
        const guardian = setup.families[m.familyId].guardianName;
        expect(m.label).not.toBe(guardian);
        expect(JSON.stringify(m)).not.toContain(guardian);
      }
    }
    expect(nonEmpty).toBeGreaterThan(50);
  });

  it('ignores searches that are too short or mix letters and digits', () => {
    const state = given().state;
    expect(findFamilies(state, 'T').matches).toEqual([]);
    expect(findFamilies(state, 'Tr4n').matches).toEqual([]);
    expect(findFamilies(state, '344').matches).toEqual([]);
  });
});
