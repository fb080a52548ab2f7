// Each teacher's virtual line as screens show it: in the order the routing engine expects to see
// the families, with estimated starts. Computed once per state (states are immutable).
import { dispatch, forecast } from './routing';
import type { NightState, Visit } from './state';
import { valuesOf } from './records';

const lines = new WeakMap<NightState, Map<string, Visit[]>>();

/** Waiting visits of one teacher, in expected order (then by arrival). */
export function teacherLine(state: NightState, teacherId: string): readonly Visit[] {
  let byTeacher = lines.get(state);
  if (!byTeacher) {
    byTeacher = new Map();
    const starts = forecast(state, state.clock);
    for (const v of valuesOf(state.visits)) {
      if (v.status !== 'waiting') continue;
      const line = byTeacher.get(v.teacherId);
      if (line) line.push(v);
      else byTeacher.set(v.teacherId, [v]);
    }
    const key = (v: Visit) => starts.get(v.id) ?? Number.MAX_SAFE_INTEGER;
    for (const line of byTeacher.values()) line.sort((a, b) => key(a) - key(b) || a.queuedAt - b.queuedAt || a.id.localeCompare(b.id));
    lines.set(state, byTeacher);
  }
  return byTeacher.get(teacherId) ?? [];
}

/** Estimated start (epoch ms) of a waiting or called visit, as of the last event. */
export function estimatedStart(state: NightState, visitId: string): number | null {
  return forecast(state, state.clock).get(visitId) ?? null;
}

/** What the engine proposes this teacher calls next, as of the last event. */
export function proposalFor(state: NightState, teacherId: string) {
  return dispatch(state, state.clock).get(teacherId) ?? null;
}
