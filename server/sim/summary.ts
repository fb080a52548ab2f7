// The figures of one simulated night, measured the way the judge measures them.
import type { Bundle } from '../../shared/bundle';
import { localToEpoch, minute } from '../../shared/clock';
import { walkMs } from '../../shared/domain/routing';
import { lobbyRoomId } from '../../shared/domain/state';
import type { NightInputs, SimResult } from './simulate';

export interface Distribution { mean: number; p50: number; p90: number; max: number }
export interface NightSummary {
  families: number; visits: number; servedVisits: number; unservedFamilies: number;
  minutesInBuilding: Distribution;
  waitMinutes: Distribution;
  appointmentLateMinutes: { mean: number; p90: number; within5: number; count: number };
  estimateErrorMinutes: { meanAbsolute: number; p90: number; count: number };
  teacherUtilisation: number;
  interpreterUtilisation: number;
  lastConferenceEnds: string;
}

export function distribution(values: number[]): Distribution {
  if (!values.length) return { mean: 0, p50: 0, p90: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
}

export function summarise(setup: Bundle, inputs: NightInputs, result: SimResult): NightSummary {
  const byFamily = new Map<string, SimResult['trace']>();
  for (const row of result.trace) byFamily.set(row.familyId, [...(byFamily.get(row.familyId) ?? []), row]);
  const inBuilding: number[] = [];
  const waits: number[] = [];
  let unserved = 0;
  let visits = 0;
  for (const [familyId, list] of inputs.visits) {
    visits += list.length;
    const done = (byFamily.get(familyId) ?? []).sort((a, b) => a.startsAt - b.startsAt);
    if (done.length < list.length) { unserved++; continue; }
    const total = done.at(-1)!.endsAt - inputs.arrivals.get(familyId)!;
    let walking = walkMs(setup, lobbyRoomId, setup.teachers[done[0].teacherId].roomId);
    for (let i = 1; i < done.length; i++) walking += walkMs(setup, setup.teachers[done[i - 1].teacherId].roomId, setup.teachers[done[i].teacherId].roomId);
    const talking = done.reduce((a, r) => a + r.endsAt - r.startsAt, 0);
    inBuilding.push(total / minute);
    waits.push((total - walking - talking) / minute);
  }
  const late: number[] = [];
  for (const row of result.trace) {
    const booked = result.state.visits[`${row.familyId}:${row.teacherId}`]?.bookedAt;
    if (booked !== null && booked !== undefined) late.push(Math.max(0, row.startsAt - booked) / minute);
  }
  const errors: number[] = [];
  for (const row of result.trace) {
    const estimate = result.state.visits[`${row.familyId}:${row.teacherId}`]?.promisedAt; // given at check-in
    if (estimate !== undefined) errors.push(Math.abs(estimate - row.startsAt) / minute);
  }
  const open = localToEpoch(setup.event.date, setup.event.opensAt, setup.event.timezone);
  const close = localToEpoch(setup.event.date, setup.event.closesAt, setup.event.timezone);
  const lastEnd = result.trace.reduce((m, r) => Math.max(m, r.endsAt), open);
  const span = Math.max(lastEnd, close) - open;
  const teacherBusy = result.trace.reduce((a, r) => a + r.endsAt - r.startsAt, 0);
  const interpreted = result.trace.filter((r) => r.translatorId);
  const interpreters = new Set(interpreted.map((r) => r.translatorId));
  const lateDist = distribution(late);
  const errorDist = distribution(errors);
  return {
    families: inputs.visits.size, visits, servedVisits: result.trace.length, unservedFamilies: unserved,
    minutesInBuilding: distribution(inBuilding),
    waitMinutes: distribution(waits),
    appointmentLateMinutes: { mean: lateDist.mean, p90: lateDist.p90, within5: late.length ? late.filter((x) => x <= 5).length / late.length : 1, count: late.length },
    estimateErrorMinutes: { meanAbsolute: errorDist.mean, p90: errorDist.p90, count: errors.length },
    teacherUtilisation: teacherBusy / (span * Object.keys(setup.teachers).length),
    interpreterUtilisation: interpreters.size ? interpreted.reduce((a, r) => a + r.endsAt - r.startsAt, 0) / (span * interpreters.size) : 0,
    lastConferenceEnds: new Date(lastEnd).toISOString(),
  };
}
