// A family at one of tonight's activities is present: the engine still calls them, from there.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { decide } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { viewFor, type FamilyView, type TeacherView } from '../../shared/domain/projections';
import { dispatch } from '../../shared/domain/routing';
import { emptyNight, type NightState } from '../../shared/domain/state';
import type { Actor, Command } from '../../shared/protocol';
import { demoBundleDir } from '../helpers/server';

const files = Object.fromEntries(readdirSync(demoBundleDir).map((f) => [f, readFileSync(path.join(demoBundleDir, f), 'utf8')]));
const parsed = parseBundle(files);
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const setup = parsed.bundle;
const at = Date.UTC(2026, 10, 19, 23, 0);
const family: Actor = { role: 'family', id: 'F0001' };
let n = 0;

function when(state: NightState, command: Record<string, unknown>, actor: Actor) {
  return decide(state, { ...command, commandId: `activity-${++n}` } as Command, { now: at, actor });
}
function then(state: NightState, command: Record<string, unknown>, actor: Actor): NightState {
  const d = when(state, command, actor);
  if (!d.ok) throw new Error(d.message);
  return evolveAll(state, d.events);
}
function given(): NightState {
  // Hamza Tran (F0001) is checked in for Mx. Pierre (T001, Room A101); the art show (ACT3) is in the gym.
  let state = evolveAll(emptyNight, [{ type: 'nightCreated', at, setup }, { type: 'nightOpened', at }]);
  return then(state, { type: 'checkIn', familyId: 'F0001' }, { role: 'kiosk', id: 'K1' });
}

describe('families at an activity', () => {
  it('given a family at the art show, then their teacher sees where they are and the engine still proposes them, from the gym', () => {
    const state = then(given(), { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT3' }, family);
    const view = viewFor(state, { role: 'teacher', id: 'T001' }) as TeacherView;
    expect(view.line[0].whereabouts).toEqual({ kind: 'activity', title: 'Student art show' });
    expect(state.checkIns.F0001.roomId).toBe('GYM');
    expect(dispatch(state, at).get('T001')).toMatchObject({ familyId: 'F0001' });
    const own = viewFor(state, family) as FamilyView;
    expect(own.family.activityId).toBe('ACT3');
    expect(own.activities.map((a) => a.title)).toContain('4th and 5th grade band');
  });

  it('when the family is called, they leave the activity; they can also leave it themselves', () => {
    let state = then(given(), { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT3' }, family);
    state = then(state, { type: 'leaveActivity', familyId: 'F0001' }, family);
    expect(state.checkIns.F0001.activityId).toBeNull();
    state = then(state, { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT2' }, family);
    state = then(state, { type: 'callFamily', teacherId: 'T001' }, { role: 'teacher', id: 'T001' });
    expect(state.checkIns.F0001.activityId).toBeNull();
    expect(when(state, { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT3' }, family)).toMatchObject({ ok: false, code: 'conflict' });
  });

  it('refuses an unknown activity, and another family acting for this one', () => {
    const state = given();
    expect(when(state, { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT99' }, family)).toMatchObject({ ok: false, code: 'not_found' });
    expect(when(state, { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT3' }, { role: 'family', id: 'F0002' })).toMatchObject({ ok: false, code: 'forbidden' });
  });
});
