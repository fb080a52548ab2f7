// The coordinator's night over the pure core, given → when → then: alerts that appear with time and
// go with the override that fixes them, announcements in each screen's language, hand edits, the
// report and the visits' CSV (which parses back to the same visits), and the purge of personal data.
import { parse as parseCsv } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../shared/bundle';
import { localToEpoch, minute } from '../../shared/clock';
import type { Alert } from '../../shared/domain/coordinator';
import { decide, type Decision } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { viewFor, type BoardView, type CoordinatorView, type FamilyView, type StaffView, type TeacherView } from '../../shared/domain/projections';
import { proposalFor } from '../../shared/domain/queue';
import { nightReport, visitRowsFromCsv, visitsCsv, visitColumns } from '../../shared/domain/report';
import { emptyNight, type NightState } from '../../shared/domain/state';
import type { Actor, Command, SystemCommand } from '../../shared/protocol';
import { loadBundleDir } from '../../server/bundle-files';
import { demoBundleDir } from '../helpers/server';

let setup: Bundle;
let opensAt: number;
beforeAll(async () => {
  // No booked slots: who is proposed next depends on the line alone.
  setup = { ...(await loadBundleDir(demoBundleDir)), appointments: [] };
  opensAt = localToEpoch(setup.event.date, setup.event.opensAt, setup.event.timezone);
});

const coordinator: Actor = { role: 'coordinator', id: 'C1' };
const kiosk: Actor = { role: 'kiosk', id: 'K1' };
const system: Actor = { role: 'system', id: 'clock' };
type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'commandId'> : never) : never;
type SystemInput = SystemCommand extends infer C ? (C extends SystemCommand ? Omit<C, 'commandId'> : never) : never;
let n = 0;

class Night {
  state: NightState;
  now = opensAt;
  constructor() {
    this.state = evolveAll(emptyNight, [{ type: 'nightCreated', at: opensAt - 30 * minute, setup }, { type: 'nightOpened', at: opensAt }]);
  }
  when(command: CommandInput | SystemInput, actor: Actor, afterMs = 0): Decision {
    this.now += afterMs;
    return decide(this.state, { ...command, commandId: `coord-${++n}-abcdef` } as Command, { now: this.now, actor });
  }
  do(command: CommandInput | SystemInput, actor: Actor, afterMs = 0): void {
    const d = this.when(command, actor, afterMs);
    if (!d.ok) throw new Error(`${command.type}: ${d.code} ${d.message}`);
    this.state = evolveAll(this.state, d.events);
  }
  get coordinator() { return viewFor(this.state, coordinator) as CoordinatorView; }
  alerts(kind: Alert['kind']) { return this.coordinator.alerts.filter((a) => a.kind === kind); }
}

describe('alerts and the overrides that fix them', () => {
  it('a family waiting 30 minutes and a conference 10 minutes over show up as time passes, and go when the coordinator steps in', () => {
    const night = new Night();
    for (const familyId of ['F0002', 'F0028', 'F0097']) night.do({ type: 'checkIn', familyId }, kiosk, minute);
    night.do({ type: 'callFamily', teacherId: 'T002' }, coordinator, minute);
    const inConference = Object.values(night.state.visits).find((v) => v.status === 'called')!;
    night.do({ type: 'startConference', visitId: inConference.id }, coordinator, minute);
    expect(night.coordinator.alerts).toEqual([]);

    // Nothing happens for half an hour: the server's tick moves the clock because alerts are due.
    expect(night.when({ type: 'tick' }, system, 10 * minute)).toMatchObject({ ok: false }); // not yet
    night.do({ type: 'tick' }, system, 21 * minute);
    const waiting = ['F0002', 'F0028', 'F0097'].filter((f) => f !== inConference.familyId);
    expect(night.alerts('longWait').map((a) => a.kind === 'longWait' && a.familyId).sort()).toEqual(waiting);
    expect(night.alerts('teacherOver')).toEqual([expect.objectContaining({ teacherId: 'T002', teacherName: 'Dr. Ramirez', minutesOver: 16 })]);
    expect(night.coordinator.overview).toMatchObject({ worstWaitMinutes: 34, families: { lobby: 2, inConference: 1 } });

    // Move the last family to the front: their alert goes, the engine proposes them next.
    const last = waiting.at(-1)!;
    night.do({ type: 'moveToFront', visitId: `${last}:T002` }, coordinator);
    expect(night.alerts('longWait').map((a) => a.kind === 'longWait' && a.familyId)).toEqual([waiting[0]]);
    expect(proposalFor(night.state, 'T002')).toMatchObject({ visitId: `${last}:T002`, reason: 'frontOfLine' });
    expect(night.when({ type: 'moveToFront', visitId: `${last}:T002` }, coordinator)).toMatchObject({ ok: false, code: 'conflict' });

    // "Running late" tells everyone behind; the over-time alert goes until that new time passes.
    night.do({ type: 'runningLate', teacherId: 'T002', minutes: 10 }, coordinator);
    expect(night.alerts('teacherOver')).toEqual([]);
    night.do({ type: 'tick' }, system, 11 * minute);
    expect(night.alerts('teacherOver')).toHaveLength(1);
  });

  it('an escort nobody accepted can be given to a free ambassador', () => {
    const night = new Night();
    for (const id of Object.keys(setup.staff)) if (setup.staff[id].role === 'ambassador') night.do({ type: 'setStaffStatus', staffId: id, status: 'break' }, coordinator);
    night.do({ type: 'checkIn', familyId: 'F0005', wantsEscort: true }, kiosk);
    night.do({ type: 'callFamily', teacherId: 'T005' }, coordinator);
    const [alert] = night.alerts('unassignedTask');
    expect(alert).toMatchObject({ kind: 'unassignedTask', interpretation: null, freeStaff: [] });
    night.do({ type: 'setStaffStatus', staffId: 'A002', status: 'available' }, coordinator);
    const again = night.alerts('unassignedTask')[0];
    expect(again).toMatchObject({ freeStaff: [{ id: 'A002', name: 'Diego Osman' }] });
    if (again.kind !== 'unassignedTask') throw new Error('expected an escort alert');
    expect(night.when({ type: 'reassignEscort', taskId: again.taskId, staffId: 'A003' }, coordinator)).toMatchObject({ ok: false, code: 'conflict' }); // on a break
    night.do({ type: 'reassignEscort', taskId: again.taskId, staffId: 'A002' }, coordinator);
    expect(night.alerts('unassignedTask')).toEqual([]);
    expect((viewFor(night.state, { role: 'staff', id: 'A002' }) as StaffView).tasks).toEqual([expect.objectContaining({ status: 'offered', familyFirstName: 'Minh' })]);
  });

  it('an interpretation nobody accepted is an alert naming who speaks the language, and sending one of them clears it', () => {
    const night = new Night();
    night.do({ type: 'checkIn', familyId: 'F0040' }, kiosk); // Somali, with Mx. Pierre (English only)
    night.do({ type: 'callFamily', teacherId: 'T001' }, coordinator);
    // Both Somali speakers (X007, then A006) say they can't.
    for (let i = 0; i < 2; i++) {
      const task = Object.values(night.state.tasks).find((x) => x.kind === 'interpret' && x.status === 'offered')!;
      night.do({ type: 'declineTask', taskId: task.id }, { role: 'staff', id: task.staffId! });
    }
    const [alert] = night.alerts('unassignedTask');
    expect(alert).toMatchObject({ interpretation: { visitId: 'F0040:T001', language: 'so' } });
    if (alert.kind !== 'unassignedTask') throw new Error('expected an unassigned task');
    expect(alert.freeStaff.map((s) => s.id).sort()).toEqual(['A006', 'X007']);
    night.do({ type: 'reassignInterpreter', visitId: 'F0040:T001', staffId: 'X007' }, coordinator);
    expect(night.alerts('unassignedTask')).toEqual([]);
    expect((viewFor(night.state, { role: 'staff', id: 'X007' }) as StaffView).tasks).toEqual([expect.objectContaining({ status: 'offered' })]);
  });

  it('another interpreter who speaks the language can be sent to a called family', () => {
    const night = new Night();
    night.do({ type: 'checkIn', familyId: 'F0040' }, kiosk); // Somali, with Mx. Pierre (English only)
    night.do({ type: 'callFamily', teacherId: 'T001' }, coordinator);
    const visit = night.state.visits['F0040:T001'];
    expect(visit.interpreterId).toBe('X007');
    expect(night.coordinator.interpreting).toEqual([expect.objectContaining({ visitId: visit.id, language: 'so', interpreterId: 'X007' })]);
    expect(night.when({ type: 'reassignInterpreter', visitId: visit.id, staffId: 'X001' }, coordinator))
      .toMatchObject({ ok: false, code: 'conflict', message: 'Lucia Jones does not speak the family\'s language (so).' });
    night.do({ type: 'reassignInterpreter', visitId: visit.id, staffId: 'A006' }, coordinator);
    expect(night.state.visits[visit.id].interpreterId).toBe('A006');
    expect(night.coordinator.staff.find((s) => s.id === 'A006')!.doing).toMatchObject({ kind: 'interpreting', teacherName: 'Mx. Pierre', status: 'called' });
    expect(night.coordinator.staff.find((s) => s.id === 'X007')!.doing).toEqual({ kind: 'free' });
  });

  it('a language with no interpreter free for 20 minutes names who is on a break', () => {
    const night = new Night();
    const speakers = Object.values(setup.staff).filter((s) => s.languages.includes('so'));
    for (const s of speakers) night.do({ type: 'setStaffStatus', staffId: s.id, status: 'break' }, coordinator);
    night.do({ type: 'checkIn', familyId: 'F0040' }, kiosk); // Somali, T001 speaks English only
    expect(night.alerts('noInterpreter')).toEqual([expect.objectContaining({ language: 'so', families: 1, onBreak: speakers.map((s) => ({ id: s.id, name: s.name })) })]);
    night.do({ type: 'setStaffStatus', staffId: speakers[0].id, status: 'available' }, coordinator);
    expect(night.alerts('noInterpreter')).toEqual([]);
  });
});

describe('announcements', () => {
  it('reach everyone, one role, or the families of one language, each in their own language', () => {
    const night = new Night();
    night.do({ type: 'checkIn', familyId: 'F0004' }, kiosk); // Spanish
    night.do({ type: 'checkIn', familyId: 'F0001' }, kiosk); // English
    night.do({ type: 'announce', audience: { to: 'everyone' }, message: { template: 'dinner' } }, coordinator);
    night.do({ type: 'announce', audience: { to: 'language', language: 'es' }, message: { texts: { es: 'La biblioteca está abierta', en: 'The library is open' } } }, coordinator);
    night.do({ type: 'announce', audience: { to: 'role', role: 'teacher' }, message: { texts: { en: 'Staff meeting at 8:30' } } }, coordinator);
    const family = (id: string) => (viewFor(night.state, { role: 'family', id }) as FamilyView).announcements.map((a) => a.template ?? a.text);
    expect(family('F0004')).toEqual(['La biblioteca está abierta', 'dinner']);
    expect(family('F0001')).toEqual(['dinner']);
    expect((viewFor(night.state, { role: 'teacher', id: 'T001' }) as TeacherView).announcements.map((a) => a.template ?? a.text)).toEqual(['Staff meeting at 8:30', 'dinner']);
    expect((viewFor(night.state, { role: 'board', id: 'B1' }) as BoardView).announcements.map((a) => a.template ?? a.text)).toEqual(['dinner']);
    expect(night.coordinator.announcements).toHaveLength(3);
    expect(night.when({ type: 'announce', audience: { to: 'everyone' }, message: { template: 'dinner' } }, kiosk)).toMatchObject({ ok: false, code: 'forbidden' });
  });
});

describe('hand edits of the setup', () => {
  it('adds a room and a teacher in it, changes an activity, and refuses a teacher in a room that does not exist', () => {
    const night = new Night();
    expect(night.when({ type: 'editSetup', item: { kind: 'teacher', id: 'T900', name: 'Ms. New', roomId: 'B900', languages: ['en'] } }, coordinator))
      .toMatchObject({ ok: false, code: 'not_found', message: 'Room B900 is not in tonight\'s rooms.' });
    night.do({ type: 'editSetup', item: { kind: 'room', id: 'B900', name: 'Library', zone: 'B' } }, coordinator);
    night.do({ type: 'editSetup', item: { kind: 'teacher', id: 'T900', name: 'Ms. New', roomId: 'B900', languages: ['en', 'es'] } }, coordinator);
    expect(night.state.teachers.T900).toMatchObject({ calledVisitId: null, breakUntil: null });
    expect(night.coordinator.teachers.find((t) => t.id === 'T900')).toMatchObject({ name: 'Ms. New', roomName: 'Library', lineLength: 0 });
    const act = setup.activities[0];
    night.do({ type: 'editSetup', item: { kind: 'activity', id: act.id, title: 'Book fair', activityKind: act.kind, roomId: 'B900', startsAt: '17:00', endsAt: '19:00', checklist: [] } }, coordinator);
    expect(night.state.setup!.activities[0]).toMatchObject({ id: act.id, title: 'Book fair', roomId: 'B900' });
    expect(night.state.setup!.activities).toHaveLength(setup.activities.length);
    expect(night.when({ type: 'editSetup', item: { kind: 'room', id: 'B900', name: 'Library', zone: 'B' } }, coordinator)).toMatchObject({ ok: false, code: 'conflict' });
  });
});

describe('after the night', () => {
  function heldNight(): Night {
    const night = new Night();
    for (const familyId of ['F0001', 'F0027', 'F0004', 'F0066']) {
      night.do({ type: 'checkIn', familyId }, kiosk, minute);
      night.do({ type: 'promiseEstimates', familyId }, system); // as the server does after the check-in
    }
    for (const t of ['T001', 'T004', 'T001']) {
      night.do({ type: 'callFamily', teacherId: t }, coordinator, 2 * minute);
      const v = Object.values(night.state.visits).find((x) => x.status === 'called' && x.teacherId === t)!;
      night.do({ type: 'startConference', visitId: v.id }, coordinator, 3 * minute);
      night.state = evolveAll(night.state, [{ type: 'commitmentsSaved', at: night.now, visitId: v.id, commitments: [{ who: 'family', text: 'Read with Sofia Tran nightly' }] }]);
      night.state = evolveAll(night.state, [{ type: 'noteSaved', at: night.now, visitId: v.id, text: 'Hamza Tran seemed worried' }]);
      night.do({ type: 'endConference', visitId: v.id }, coordinator, 14 * minute);
    }
    return night;
  }

  it('the CSV of every visit parses back to the same visits', () => {
    const night = heldNight();
    const csv = visitsCsv(night.state);
    const records = parseCsv(csv, { columns: true, skip_empty_lines: true }) as Record<(typeof visitColumns)[number], string>[];
    expect(Object.keys(records[0])).toEqual([...visitColumns]);
    const expected = Object.values(night.state.visits).map((v) => ({
      visitId: v.id, familyId: v.familyId, ticket: night.state.checkIns[v.familyId].ticket, teacherId: v.teacherId, status: v.status,
      bookedAt: v.bookedAt, queuedAt: v.queuedAt, calledAt: v.calledAt, startedAt: v.startedAt, endedAt: v.endedAt,
      interpreterId: v.interpreterId, noShows: v.noShows, frontAt: v.frontAt ?? null,
    }));
    expect(visitRowsFromCsv(records).sort((a, b) => a.visitId.localeCompare(b.visitId))).toEqual(expected.sort((a, b) => a.visitId.localeCompare(b.visitId)));
    expect(records.filter((r) => r.status === 'done').map((r) => r.conference_minutes)).toEqual(['14.0', '14.0', '14.0']);
  });

  it('the report adds up, and after the purge keeps its figures but no names, phone digits, notes or commitments', () => {
    const night = heldNight();
    const report = nightReport(night.state)!;
    expect(report.families).toMatchObject({ invited: Object.keys(setup.families).length, attended: 4 });
    expect(report.visits).toMatchObject({ total: 4, done: 3 });
    expect(report.teachers.find((t) => t.id === 'T001')).toMatchObject({ conferences: 2, conferenceMinutes: 28, stillWaiting: 1 });
    expect(report.waits.histogram.reduce((s, b) => s + b.count, 0)).toBe(3);
    expect(report.commitments).toHaveLength(3);
    // Every family was given estimates at check-in; the report says how far off they were.
    const started = Object.values(night.state.visits).filter((v) => v.startedAt !== null);
    expect(started.every((v) => v.promisedAt !== undefined)).toBe(true);
    expect(report.waits.estimateErrorMinutes).toBe(Math.round(started.reduce((sum, v) => sum + Math.abs(v.startedAt! - v.promisedAt!), 0) / started.length / minute));

    // Not while the night is open.
    expect(night.when({ type: 'purgePersonalData' }, coordinator)).toMatchObject({ ok: false, code: 'conflict' });
    night.do({ type: 'closeNight' }, coordinator);
    night.do({ type: 'purgePersonalData' }, coordinator);
    const text = JSON.stringify(night.state);
    for (const personal of ['Hamza Tran', 'Zoe Davis', '"Tran"', '3445', 'worried', 'nightly']) expect(text).not.toContain(personal);
    const after = nightReport(night.state)!;
    expect({ ...after, commitments: [], night: null }).toEqual({ ...report, commitments: [], night: null });
    expect(after.night.purged).toBe(true);
    // Asked again (the files could not be rewritten the first time): accepted, and nothing comes back.
    expect(night.when({ type: 'purgePersonalData' }, coordinator)).toMatchObject({ ok: true });
  });
});
