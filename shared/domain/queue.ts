// Each teacher's virtual line: its order, who can be called now, and estimated start times.
// Computed once per state object (states are immutable, so a WeakMap cache is invisible to callers):
// projections for hundreds of screens read the same lines after every commit.
import { minute } from '../clock';
import type { NightState, Visit } from './state';

interface Lines {
  /** Waiting visits per teacher, in line order. */
  byTeacher: Map<string, Visit[]>;
  /** Visit id → estimated start (epoch ms). */
  estimates: Map<string, number>;
  /** Family id → the visit that holds the family now (called or in conference). */
  busy: Map<string, Visit>;
}

const cache = new WeakMap<NightState, Lines>();

function lines(state: NightState): Lines {
  let cached = cache.get(state);
  if (cached) return cached;
  const byTeacher = new Map<string, Visit[]>();
  const busy = new Map<string, Visit>();
  for (const v of Object.values(state.visits)) {
    if (v.status === 'waiting') {
      let line = byTeacher.get(v.teacherId);
      if (!line) byTeacher.set(v.teacherId, (line = []));
      line.push(v);
    } else if (v.status === 'called' || v.status === 'inConference') busy.set(v.familyId, v);
  }
  const slot = (state.setup?.event.slotMinutes ?? 15) * minute;
  const estimates = new Map<string, number>();
  for (const [teacherId, line] of byTeacher) {
    // Booked families by slot time, walk-ins by arrival.
    line.sort((a, b) => (a.bookedAt ?? a.queuedAt) - (b.bookedAt ?? b.queuedAt) || a.id.localeCompare(b.id));
    const activeId = state.teachers[teacherId]?.activeVisitId;
    const active = activeId ? state.visits[activeId] : null;
    let freeAt = state.clock;
    if (active) freeAt = Math.max(state.clock, (active.startedAt ?? active.calledAt ?? state.clock) + slot);
    for (const v of line) {
      const start = Math.max(freeAt, v.bookedAt ?? 0);
      estimates.set(v.id, start);
      freeAt = start + slot;
    }
  }
  cached = { byTeacher, estimates, busy };
  cache.set(state, cached);
  return cached;
}

/** A family is busy while any of its visits is called or in conference: it is in one place at a time. */
export function familyBusyWith(state: NightState, familyId: string): Visit | null {
  return lines(state).busy.get(familyId) ?? null;
}

export function teacherLine(state: NightState, teacherId: string): readonly Visit[] {
  return lines(state).byTeacher.get(teacherId) ?? [];
}

/** The first family in the teacher's line who is free to come now, if any. */
export function proposeNext(state: NightState, teacherId: string): Visit | null {
  return teacherLine(state, teacherId).find((v) => !familyBusyWith(state, v.familyId)) ?? null;
}

/** Estimated start (epoch ms) of a waiting visit, assuming slot-length conferences. */
export function estimatedStart(state: NightState, visitId: string): number | null {
  return lines(state).estimates.get(visitId) ?? null;
}
