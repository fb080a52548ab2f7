// Properties of a whole simulated night, over many random (seeded) bundles: whatever the engine
// decides, the night it produces must be physically possible and complete. The rules are the
// judge's (../shared/tools/conference-check.mjs, check()): nobody in two places at once, walking
// time respected (families from LOBBY after arriving, interpreters from LOBBY at opening), an
// interpreter who speaks the family's language whenever the teacher does not, every conference
// exactly as long as it really lasts — plus: every visit is served, and the estimate of every call
// the engine proposes is the proposal's own expected start.
import { describe, expect, it } from 'vitest';
import { parseBundle, type Bundle } from '../../shared/bundle';
import { epochToLocal, localToEpoch } from '../../shared/clock';
import { dispatch, forecast, walkMs } from '../../shared/domain/routing';
import { lobbyRoomId, type NightState } from '../../shared/domain/state';
import { simulateNight, type NightInputs, type Policy, type SimResult } from '../../server/sim/simulate';
import { bundleFiles, generateNight } from '../helpers/bundle-generator';

const smartSeeds = Array.from({ length: 100 }, (_, i) => i + 1);
const fifoSeeds = [1, 2, 3, 4, 5, 6, 7, 8];

/** Everything wrong with a simulated night, in words (empty when the night is sound). */
function violations(bundle: Bundle, inputs: NightInputs, result: SimResult): string[] {
  const errors: string[] = [];
  const err = (m: string) => { if (errors.length < 30) errors.push(m); };
  const tz = bundle.event.timezone;
  const t = (ms: number) => epochToLocal(ms, tz, true);
  const open = localToEpoch(bundle.event.date, bundle.event.opensAt, tz);
  const room = (teacherId: string) => bundle.teachers[teacherId].roomId;
  const { trace, state } = result;
  const label = (r: SimResult['trace'][number]) => `${r.familyId}|${r.teacherId} ${t(r.startsAt)}–${t(r.endsAt)}`;

  // (f) each conference lasts exactly its duration; (e) every visit held exactly once, no others.
  const wanted = new Map<string, number>();
  for (const [familyId, list] of inputs.visits) for (const v of list) wanted.set(`${familyId}|${v.teacherId}`, v.durationMs);
  const held = new Map<string, number>();
  for (const r of trace) {
    const key = `${r.familyId}|${r.teacherId}`;
    held.set(key, (held.get(key) ?? 0) + 1);
    const want = wanted.get(key);
    if (want === undefined) err(`${key}: held but not in the inputs`);
    else if (r.endsAt - r.startsAt !== want) err(`(f) ${label(r)}: lasts ${(r.endsAt - r.startsAt) / 60_000} min, really ${want / 60_000} min`);
    if (r.startsAt < open) err(`${label(r)}: starts before the night opens`);
  }
  for (const [key, n] of held) if (n > 1) err(`${key}: held ${n} times`);
  for (const key of wanted.keys()) if (!held.has(key)) err(`(e) ${key}: never served (status ${state.visits[key.replace('|', ':')]?.status ?? 'not checked in'})`);
  for (const v of Object.values(state.visits)) if (v.status !== 'done') err(`(e) visit ${v.id} ends the night ${v.status}`);
  for (const [id, teacher] of Object.entries(state.teachers)) {
    if (teacher.calledVisitId || teacher.conferenceVisitId) err(`teacher ${id} ends the night with ${teacher.calledVisitId ?? teacher.conferenceVisitId} open`);
  }

  // (d) an interpreter who speaks the language whenever the teacher does not.
  for (const r of trace) {
    const language = bundle.families[r.familyId].language;
    if (bundle.teachers[r.teacherId].languages.includes(language)) continue;
    const x = bundle.staff[r.translatorId];
    if (!r.translatorId) err(`(d) ${label(r)}: family speaks ${language}, teacher does not, no interpreter`);
    else if (!x) err(`(d) ${label(r)}: unknown interpreter ${r.translatorId}`);
    else if (!x.languages.includes(language)) err(`(d) ${label(r)}: interpreter ${r.translatorId} does not speak ${language}`);
  }

  // (a)(b)(c) one place at a time, with the walk between places.
  const chain = (what: string, rows: SimResult['trace'], from: number, walks: boolean) => {
    const sorted = [...rows].sort((a, b) => a.startsAt - b.startsAt);
    let free = from;
    let where = lobbyRoomId;
    for (const r of sorted) {
      const ready = free + (walks ? walkMs(bundle, where, room(r.teacherId)) : 0);
      if (r.startsAt < ready) err(`${what}: ${label(r)} starts before ${t(ready)} (free ${t(free)} in ${where})`);
      free = r.endsAt;
      where = room(r.teacherId);
    }
  };
  const groups = (key: (r: SimResult['trace'][number]) => string) => {
    const out = new Map<string, SimResult['trace']>();
    for (const r of trace) { const k = key(r); if (k) out.set(k, [...(out.get(k) ?? []), r]); }
    return out;
  };
  for (const [id, rows] of groups((r) => r.teacherId)) chain(`(a) teacher ${id}`, rows, open, false);
  for (const [id, rows] of groups((r) => r.familyId)) chain(`(b) family ${id} (arrived ${t(inputs.arrivals.get(id)!)})`, rows, Math.max(open, inputs.arrivals.get(id)!), true);
  for (const [id, rows] of groups((r) => r.translatorId)) chain(`(c) interpreter ${id}`, rows, open, true);
  return errors;
}

/** Invariants of every intermediate state (what screens would show at that instant). */
function watch(policy: Policy) {
  const errors: string[] = [];
  const observe = (state: NightState, now: number) => {
    if (errors.length >= 10) return;
    const at = epochToLocal(now, state.setup!.event.timezone, true);
    const busyFamilies = new Map<string, string>();
    const sittingIn = new Map<string, string>();
    for (const v of Object.values(state.visits)) {
      if (v.status !== 'called' && v.status !== 'inConference') continue;
      const other = busyFamilies.get(v.familyId);
      if (other) errors.push(`${at}: family ${v.familyId} is held by ${other} and ${v.id} at once`);
      busyFamilies.set(v.familyId, v.id);
      if (v.status === 'inConference' && v.interpreterId) {
        const o = sittingIn.get(v.interpreterId);
        if (o) errors.push(`${at}: interpreter ${v.interpreterId} sits in ${o} and ${v.id} at once`);
        sittingIn.set(v.interpreterId, v.id);
      }
      const teacher = state.teachers[v.teacherId];
      const slot = v.status === 'called' ? teacher.calledVisitId : teacher.conferenceVisitId;
      if (slot !== v.id) errors.push(`${at}: visit ${v.id} is ${v.status} but its teacher shows ${slot}`);
    }
    if (policy === 'smart') {
      const families = new Set<string>();
      const interpreters = new Set<string>();
      const estimates = forecast(state, now);
      for (const p of dispatch(state, now).values()) {
        // What a family's page says next is what their teacher is about to be told.
        if (estimates.get(p.visitId) !== p.expectedStart) errors.push(`${at}: ${p.visitId} is proposed for ${epochToLocal(p.expectedStart, state.setup!.event.timezone, true)} but estimated at ${estimates.has(p.visitId) ? epochToLocal(estimates.get(p.visitId)!, state.setup!.event.timezone, true) : 'nothing'}`);
        if (families.has(p.familyId)) errors.push(`${at}: family ${p.familyId} proposed to two teachers`);
        if (p.interpreterId && interpreters.has(p.interpreterId)) errors.push(`${at}: interpreter ${p.interpreterId} proposed to two teachers`);
        if (busyFamilies.has(p.familyId)) errors.push(`${at}: ${p.visitId} proposed while the family is held by ${busyFamilies.get(p.familyId)}`);
        families.add(p.familyId);
        if (p.interpreterId) interpreters.add(p.interpreterId);
      }
    }
  };
  return { errors, observe };
}

function runSeed(seed: number, policy: Policy) {
  const { bundle, inputs } = generateNight(seed);
  const seen = watch(policy);
  const result = simulateNight(bundle, inputs, { policy, seed, observe: seen.observe });
  return { bundle, inputs, result, stateErrors: seen.errors };
}

const describeNight = (bundle: Bundle, inputs: NightInputs) => {
  const visits = [...inputs.visits.values()].reduce((a, l) => a + l.length, 0);
  const staff = Object.values(bundle.staff).map((s) => `${s.id}:${s.role === 'ambassador' ? 'amb' : ''}${s.languages.join('/')}`).join(' ');
  return `${Object.keys(bundle.teachers).length} teachers, ${inputs.visits.size} families, ${visits} visits, ${bundle.appointments.length} booked; staff ${staff}`;
};

describe('the generator', () => {
  it('makes valid bundles (they survive a round trip through the files and parseBundle)', () => {
    for (const seed of smartSeeds) {
      const { bundle, inputs } = generateNight(seed);
      const parsed = parseBundle(bundleFiles(bundle));
      expect(parsed.ok ? [] : parsed.errors, `seed ${seed}`).toEqual([]);
      if (parsed.ok) expect(parsed.bundle, `seed ${seed}`).toEqual(bundle);
      // Every language a family speaks has someone to interpret it, so every visit can be served.
      for (const f of Object.values(bundle.families)) {
        if (f.language === 'en') continue;
        expect(Object.values(bundle.staff).some((s) => s.role === 'translator' && s.languages.includes(f.language)), `seed ${seed} ${f.language}`).toBe(true);
      }
      expect(inputs.visits.size, `seed ${seed}`).toBeGreaterThan(0);
    }
  });

  it('is deterministic: the same seed gives the same night', () => {
    expect(generateNight(7)).toEqual(generateNight(7));
    expect(generateNight(7)).not.toEqual(generateNight(8));
  });
});

describe.each([
  { policy: 'smart' as Policy, seeds: smartSeeds },
  { policy: 'fifo' as Policy, seeds: fifoSeeds },
])('a simulated night ($policy policy) on random bundles', ({ policy, seeds }) => {
  it.each(seeds)(`seed %i: feasible, complete, exact durations`, (seed) => {
    const { bundle, inputs, result, stateErrors } = runSeed(seed, policy);
    const problems = [...violations(bundle, inputs, result), ...stateErrors];
    expect(problems, `${policy} seed ${seed} (${describeNight(bundle, inputs)})`).toEqual([]);
  });
});
