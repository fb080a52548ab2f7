// evolve with an Ownership (the simulator's night) changes the records it copied in place: the night
// must come out exactly as with plain evolves, and a state shown to others (share()) must never change,
// nor its index.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../shared/bundle';
import { loadNight } from '../helpers/night';
import { simulateNight, type NightInputs } from '../../server/sim/simulate';
import { liveIndex, waitingCounts } from '../../shared/domain/live-index';
import { keysOf } from '../../shared/domain/records';
import type { NightState, Visit } from '../../shared/domain/state';

/** What the engine's index says, in the order it promises (booked slots and most maps: in no particular order). */
function indexContent(state: NightState) {
  const index = liveIndex(state);
  const sorted = <V>(map: Map<string, V>, f: (v: V) => unknown) => [...map].map(([k, v]) => [k, f(v)]).sort(([a], [b]) => String(a).localeCompare(String(b)));
  const ids = (visits: Visit[]) => visits.map((v) => v.id);
  const slots = (xs: number[]) => [...xs].sort((a, b) => a - b);
  return {
    waitingByTeacher: [...index.waitingByTeacher].map(([t, visits]) => [t, ids(visits)]),
    busy: sorted(index.busy, ids), interpreting: sorted(index.interpreting, ids),
    bookedByTeacher: sorted(index.bookedByTeacher, slots), bookedByFamily: sorted(index.bookedByFamily, slots),
    order: sorted(index.order, (n) => n), waitingCount: sorted(waitingCounts(state), (n) => n),
  };
}

const demoBundleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/demo/lincoln-elementary');

describe('evolve with an owner (in place)', () => {
  let setup: Bundle;
  let inputs: NightInputs;

  beforeAll(async () => {
    ({ bundle: setup, inputs } = await loadNight(demoBundleDir));
  }, 60_000);

  it('leaves every state it showed to observe as it was, and plays the same night as without observe', () => {
    const seen: { state: NightState; json: string }[] = [];
    let instant = 0;
    const observed = simulateNight(setup, inputs, {
      policy: 'smart', seed: 1,
      observe: (state) => { if (instant++ % 7 === 0) seen.push({ state, json: JSON.stringify(state) }); },
    });
    expect(seen.length).toBeGreaterThan(10);
    for (const { state, json } of seen) {
      expect(JSON.stringify(state)).toBe(json);
      // The key lists kept with the records still match the records.
      expect(keysOf(state.visits)).toEqual(Object.keys(state.visits));
      expect(keysOf(state.checkIns)).toEqual(Object.keys(state.checkIns));
      // The engine's index carried along the night (changed in place too) is the one built afresh.
      const fresh = { ...state };
      expect(indexContent(state)).toEqual(indexContent(fresh));
    }
    const alone = simulateNight(setup, inputs, { policy: 'smart', seed: 1 });
    expect(alone.trace).toEqual(observed.trace);
    expect(alone.state).toEqual(observed.state);
    expect(keysOf(alone.state.visits)).toEqual(Object.keys(alone.state.visits));
  });
});
