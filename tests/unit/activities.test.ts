// A family at one of tonight's activities is present: the engine still calls them, from there.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { decide } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { viewFor, type CoordinatorView, type FamilyView, type StaffView, type TeacherView } from '../../shared/domain/projections';
import { dispatch } from '../../shared/domain/routing';
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

describe('checklists, tours and the heads-up', () => {
  const coordinator: Actor = { role: 'coordinator', id: 'C1' };
  const guide: Actor = { role: 'staff', id: 'A003' };

  it('given the classroom tour, a family ticks its items, an ambassador leading the tour ticks for them, and the coordinator counts them', () => {
    let state = then(given(), { type: 'tickChecklist', familyId: 'F0001', activityId: 'ACT1', item: 1, done: true }, family);
    let own = viewFor(state, family) as FamilyView;
    expect(own.activities.find((a) => a.id === 'ACT1')).toMatchObject({ checklist: ['Where I sit', 'My cubby', 'Our reading corner', 'My work on the wall'], ticked: [1] });
    expect(when(state, { type: 'tickChecklist', familyId: 'F0001', activityId: 'ACT1', item: 1, done: true }, family)).toMatchObject({ ok: false, code: 'conflict' });
    expect(when(state, { type: 'tickChecklist', familyId: 'F0001', activityId: 'ACT1', item: 9, done: true }, family)).toMatchObject({ ok: false, code: 'not_found' });

    // An ambassador not leading this family's tour may not tick for it; with the family's ticket, they may.
    expect(when(state, { type: 'tickChecklist', familyId: 'F0001', activityId: 'ACT1', item: 0, done: true }, guide)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(when(state, { type: 'leadTour', staffId: 'A003', ticket: 'Z-99' }, guide)).toMatchObject({ ok: false, code: 'not_found' });
    state = then(state, { type: 'leadTour', staffId: 'A003', ticket: state.checkIns.F0001.ticket.toLowerCase().replace('-', '') }, guide);
    expect(state.checkIns.F0001.activityId).toBe('ACT1'); // on the tour: present, called from there
    state = then(state, { type: 'tickChecklist', familyId: 'F0001', activityId: 'ACT1', item: 0, done: true }, guide);
    const staff = viewFor(state, guide) as StaffView;
    expect(staff.tour).toMatchObject({ familyFirstName: 'Hamza', items: [{ text: 'Where I sit', done: true }, { text: 'My cubby', done: true }, { text: 'Our reading corner', done: false }, { text: 'My work on the wall', done: false }] });
    expect(dispatch(state, at).get('T001')).toMatchObject({ familyId: 'F0001' });
    own = viewFor(state, family) as FamilyView;
    expect(own.activities.find((a) => a.id === 'ACT1')?.ticked).toEqual([0, 1]);

    state = then(state, { type: 'endTour', staffId: 'A003' }, guide);
    expect(state.checkIns.F0001.activityId).toBeNull();
    state = then(state, { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT3' }, family);
    const counts = (viewFor(state, coordinator) as CoordinatorView).activityCounts;
    expect(counts.find((c) => c.id === 'ACT1')).toMatchObject({ families: 1, now: 0, ticked: 1 });
    expect(counts.find((c) => c.id === 'ACT3')).toMatchObject({ families: 1, now: 1, ticked: 0 });
    expect(counts.find((c) => c.id === 'ACT4')).toMatchObject({ families: 0, now: 0 });
  });

  it('given a family at the band while it plays, then it is not called away before a five-minute heads-up on its page', () => {
    // The band (ACT4) plays 18:30–18:50; at 18:35 Hamza Tran's family is there and Mx. Pierre is free.
    const band = Date.UTC(2026, 10, 20, 0, 35);
    let state = evolveAll(emptyNight, [{ type: 'nightCreated', at: band, setup }, { type: 'nightOpened', at: band }]);
    state = then(state, { type: 'checkIn', familyId: 'F0001' }, { role: 'kiosk', id: 'K1' });
    state = then(state, { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT4' }, family);
    expect(dispatch(state, band).get('T001')).toBeUndefined();

    const tick = (now: number) => decide(state, { type: 'tick', commandId: `tick-${now}` }, { now, actor: { role: 'system', id: 'clock' } });
    const told = tick(band);
    expect(told).toMatchObject({ ok: true, events: [{ type: 'familyHeadsUp', familyId: 'F0001' }] });
    if (told.ok) state = evolveAll(state, told.events);
    expect((viewFor(state, family) as FamilyView).headsUp).toMatchObject({ at: band, teacherName: 'Mx. Pierre', roomName: 'Room A101' });
    expect(tick(band + 1000)).toMatchObject({ ok: false }); // told once
    expect(dispatch(state, band + 4 * 60_000).get('T001')).toBeUndefined();
    expect(dispatch(state, band + 5 * 60_000).get('T001')).toMatchObject({ familyId: 'F0001' });

    // At an exhibit (not a performance), the family is told and called at once.
    state = then(state, { type: 'joinActivity', familyId: 'F0001', activityId: 'ACT3' }, family);
    expect(state.checkIns.F0001.headsUpAt).toBeNull();
    expect(dispatch(state, band).get('T001')).toMatchObject({ familyId: 'F0001' });
  });
});
