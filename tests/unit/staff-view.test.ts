// An ambassador's phone shows the escorts offered to them, with only what they need to find the family.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { decide } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { viewFor, type CoordinatorView, type StaffView } from '../../shared/domain/projections';
import { emptyNight, type NightState } from '../../shared/domain/state';
import type { Actor, Command } from '../../shared/protocol';
import { demoBundleDir } from '../helpers/server';

const files = Object.fromEntries(readdirSync(demoBundleDir).map((f) => [f, readFileSync(path.join(demoBundleDir, f), 'utf8')]));
const parsed = parseBundle(files);
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
// The demo night without its booked slots: these tests call walk-ins at 17:00, and a slot kept for a
// booked family not here yet would keep their teacher from it (routing.test.ts tests that).
const setup = { ...parsed.bundle, appointments: [] };
const at = Date.UTC(2026, 10, 19, 23, 0);
let n = 0;

function run(state: NightState, command: Record<string, unknown>, actor: Actor, now = at): NightState {
  const decision = decide(state, { ...command, commandId: `staff-view-${++n}` } as Command, { now, actor });
  if (!decision.ok) throw new Error(decision.message);
  return evolveAll(state, decision.events);
}

describe('the ambassador view', () => {
  it('given an escort family called, when the nearest ambassador looks, then they see first name, party size, language and rooms only', () => {
    // Minh Nguyen (F0017) asked for a guide and has two children with T018 and T020.
    let state = evolveAll(emptyNight, [{ type: 'nightCreated', at, setup }, { type: 'nightOpened', at }]);
    state = run(state, { type: 'checkIn', familyId: 'F0017', teacherIds: ['T018'] }, { role: 'kiosk', id: 'K1' });
    state = run(state, { type: 'callFamily', teacherId: 'T018' }, { role: 'teacher', id: 'T018' });
    const task = Object.values(state.tasks)[0];
    expect(task).toMatchObject({ status: 'offered', familyId: 'F0017' });

    const view = viewFor(state, { role: 'staff', id: task.staffId! }) as StaffView;
    expect(view.tasks).toEqual([expect.objectContaining({
      taskId: task.id, status: 'offered', familyFirstName: 'Minh', partySize: 3, language: 'es',
      fromRoomName: 'Front desk', toRoomName: setup.rooms[setup.teachers.T018.roomId].name, teacherName: setup.teachers.T018.name,
    })]);
    expect(JSON.stringify(view)).not.toContain('Nguyen');
    expect(JSON.stringify(view)).not.toContain(setup.families.F0017.phoneLast4);

    // Another ambassador sees nothing of it; once accepted it stays on the first one's phone.
    const other = Object.keys(setup.staff).find((id) => setup.staff[id].role === 'ambassador' && id !== task.staffId)!;
    expect((viewFor(state, { role: 'staff', id: other }) as StaffView).tasks).toEqual([]);
    state = run(state, { type: 'acceptTask', taskId: task.id }, { role: 'staff', id: task.staffId! });
    expect((viewFor(state, { role: 'staff', id: task.staffId! }) as StaffView).tasks[0].status).toBe('accepted');
  });
});

describe('escorts follow the call', () => {
  it('given an escort offered for a call, when the family does not arrive, then the offer is called off and the ambassador sees nothing', () => {
    let state = evolveAll(emptyNight, [{ type: 'nightCreated', at, setup }, { type: 'nightOpened', at }]);
    state = run(state, { type: 'checkIn', familyId: 'F0017', teacherIds: ['T018'] }, { role: 'kiosk', id: 'K1' });
    state = run(state, { type: 'callFamily', teacherId: 'T018' }, { role: 'teacher', id: 'T018' });
    const task = Object.values(state.tasks)[0];
    state = run(state, { type: 'markNoShow', visitId: task.visitId }, { role: 'teacher', id: 'T018' }, at + 5 * 60_000);
    expect(state.tasks[task.id].status).toBe('cancelled');
    expect((viewFor(state, { role: 'staff', id: task.staffId! }) as StaffView).tasks).toEqual([]);
  });

  it('given an accepted escort, when the family has to leave, then the escort is called off', () => {
    let state = evolveAll(emptyNight, [{ type: 'nightCreated', at, setup }, { type: 'nightOpened', at }]);
    state = run(state, { type: 'checkIn', familyId: 'F0017', teacherIds: ['T018'] }, { role: 'kiosk', id: 'K1' });
    state = run(state, { type: 'callFamily', teacherId: 'T018' }, { role: 'teacher', id: 'T018' });
    const task = Object.values(state.tasks)[0];
    state = run(state, { type: 'acceptTask', taskId: task.id }, { role: 'staff', id: task.staffId! });
    state = run(state, { type: 'leave', familyId: 'F0017' }, { role: 'family', id: 'F0017' });
    expect(state.tasks[task.id].status).toBe('cancelled');
  });
});

describe('interpreters on their phones', () => {
  // Sofia Williams (F0004) speaks Spanish; Mr. Jean-Baptiste (T004, Room A104) does not. Spanish: X001–X004.
  const kiosk: Actor = { role: 'kiosk', id: 'K1' };
  const t004: Actor = { role: 'teacher', id: 'T004' };
  const staffView = (state: NightState, id: string) => viewFor(state, { role: 'staff', id }) as StaffView;
  function opened(): NightState {
    return evolveAll(emptyNight, [{ type: 'nightCreated', at, setup }, { type: 'nightOpened', at }]);
  }

  it('given a Spanish family called, then the chosen interpreter is offered it with the room, the time and the way there', () => {
    let state = run(opened(), { type: 'checkIn', familyId: 'F0004' }, kiosk);
    state = run(state, { type: 'callFamily', teacherId: 'T004' }, t004);
    const visit = state.visits['F0004:T004'];
    expect(visit.interpreterId).toBe('X001');
    const [task] = staffView(state, 'X001').tasks;
    expect(task).toMatchObject({ kind: 'interpret', status: 'offered', familyFirstName: 'Sofia', language: 'es', toRoomName: 'Room A104', teacherName: 'Mr. Jean-Baptiste', arrived: false });
    expect(task.expectedStart).toBeGreaterThanOrEqual(at);
    expect(task.way).toEqual({ wing: 'A', floor: 1, sameWing: false });
    expect(staffView(state, 'X001').upcoming).toEqual([expect.objectContaining({ visitId: 'F0004:T004', status: 'called', roomName: 'Room A104' })]);

    state = run(state, { type: 'acceptTask', taskId: task.taskId }, { role: 'staff', id: 'X001' });
    state = run(state, { type: 'arriveTask', taskId: task.taskId }, { role: 'staff', id: 'X001' });
    expect(staffView(state, 'X001').tasks[0]).toMatchObject({ status: 'accepted', arrived: true });
    expect(state.staff.X001.roomId).toBe('A104');
    state = run(state, { type: 'startConference', visitId: visit.id }, t004);
    state = run(state, { type: 'endConference', visitId: visit.id }, t004, at + 15 * 60_000);
    expect(staffView(state, 'X001').tasks).toEqual([]); // the interpretation ends with the conference
  });

  it('given an offer nobody answers for 60 s, then it goes to the next Spanish interpreter; with nobody left, the visit waits without one', () => {
    let state = run(opened(), { type: 'checkIn', familyId: 'F0004' }, kiosk);
    state = run(state, { type: 'callFamily', teacherId: 'T004' }, t004);
    const taskId = 'I-F0004:T004-0';
    // 59 s: nothing to do yet.
    expect(decide(state, { type: 'tick', commandId: 'tick-early' }, { now: at + 59_000, actor: { role: 'system', id: 'clock' } })).toMatchObject({ ok: false });
    state = run(state, { type: 'tick' }, { role: 'system', id: 'clock' }, at + 60_000);
    expect(state.tasks[taskId]).toMatchObject({ status: 'offered', staffId: 'X002', passedBy: ['X001'] });
    expect(state.visits['F0004:T004'].interpreterId).toBe('X002');
    expect(staffView(state, 'X001').tasks).toEqual([]);
    expect(staffView(state, 'X002').tasks[0]).toMatchObject({ kind: 'interpret', familyFirstName: 'Sofia' });
    // X002 can't; X003 and X004 go off duty: nobody is left.
    state = run(state, { type: 'setStaffStatus', staffId: 'X003', status: 'off' }, { role: 'staff', id: 'X003' });
    state = run(state, { type: 'setStaffStatus', staffId: 'X004', status: 'off' }, { role: 'staff', id: 'X004' });
    state = run(state, { type: 'declineTask', taskId }, { role: 'staff', id: 'X002' }, at + 70_000);
    expect(state.tasks[taskId]).toMatchObject({ status: 'unassigned', staffId: null });
    expect(state.visits['F0004:T004'].interpreterId).toBeNull();
  });

  it('given an interpreter pinned to a room, then the engine sends them nowhere else and to that room first', () => {
    let state = run(opened(), { type: 'pinInterpreter', staffId: 'X001', teacherId: 'T015', minutes: 60 }, { role: 'coordinator', id: 'C1' });
    state = run(state, { type: 'pinInterpreter', staffId: 'X004', teacherId: 'T004', minutes: 60 }, { role: 'coordinator', id: 'C1' });
    expect(state.staff.X004.roomId).toBe('A104');
    state = run(state, { type: 'checkIn', familyId: 'F0004' }, kiosk);
    state = run(state, { type: 'callFamily', teacherId: 'T004' }, t004);
    expect(state.visits['F0004:T004'].interpreterId).toBe('X004'); // pinned here, though X001 comes first otherwise
    // Jonah Torres (F0014, Spanish) sees Dr. Davis (T015, C101), where X001 is pinned.
    state = run(state, { type: 'checkIn', familyId: 'F0014' }, kiosk);
    state = run(state, { type: 'callFamily', teacherId: 'T015' }, { role: 'teacher', id: 'T015' });
    expect(state.visits['F0014:T015'].interpreterId).toBe('X001');
    // After the pin ends, X001 is anyone's again.
    state = run(state, { type: 'unpinInterpreter', staffId: 'X001' }, { role: 'coordinator', id: 'C1' });
    expect(state.pins.X001).toBeUndefined();
    expect(decide(state, { type: 'unpinInterpreter', staffId: 'X001', commandId: 'unpin-again' }, { now: at, actor: { role: 'coordinator', id: 'C1' } })).toMatchObject({ ok: false, code: 'conflict' });
    const coordinator = viewFor(state, { role: 'coordinator', id: 'C1' }) as CoordinatorView;
    expect(coordinator.interpreters.find((i) => i.id === 'X004')?.pin).toMatchObject({ teacherName: 'Mr. Jean-Baptiste', roomName: 'Room A104' });
    expect(coordinator.interpreters.map((i) => i.id)).toContain('A001'); // a bilingual ambassador (Haitian Creole)
  });

  it('given an interpreter expected at a conference, when the teacher runs late, then their upcoming time moves with it', () => {
    // Mr. Jean-Baptiste is in conference with Maya Kim (F0019, Spanish); Sofia Williams (F0004, Spanish) waits for him.
    let state = run(opened(), { type: 'checkIn', familyId: 'F0019', teacherIds: ['T004'] }, kiosk);
    state = run(state, { type: 'callFamily', teacherId: 'T004' }, t004);
    state = run(state, { type: 'startConference', visitId: 'F0019:T004' }, t004);
    state = run(state, { type: 'checkIn', familyId: 'F0004' }, kiosk);
    const interpreter = Object.keys(setup.staff).find((id) => staffView(state, id).upcoming.some((u) => u.visitId === 'F0004:T004'))!;
    expect(setup.staff[interpreter].languages).toContain('es');
    const before = staffView(state, interpreter).upcoming.find((u) => u.visitId === 'F0004:T004');
    expect(before).toMatchObject({ status: 'waiting', roomName: 'Room A104', familyFirstName: 'Sofia' });
    state = run(state, { type: 'runningLate', teacherId: 'T004', minutes: 10 }, t004);
    const after = staffView(state, interpreter).upcoming.find((u) => u.visitId === 'F0004:T004');
    expect(after!.estimatedStart! - before!.estimatedStart!).toBe(10 * 60_000);
  });
});
