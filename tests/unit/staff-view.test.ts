// An ambassador's phone shows the escorts offered to them, with only what they need to find the family.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { decide } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { viewFor, type StaffView } from '../../shared/domain/projections';
import { emptyNight, type NightState } from '../../shared/domain/state';
import type { Actor, Command } from '../../shared/protocol';
import { demoBundleDir } from '../helpers/server';

const files = Object.fromEntries(readdirSync(demoBundleDir).map((f) => [f, readFileSync(path.join(demoBundleDir, f), 'utf8')]));
const parsed = parseBundle(files);
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const setup = parsed.bundle;
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
