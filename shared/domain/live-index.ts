// The engine's index of the visits not yet held (waiting, called, in conference), one per state.
// Building it reads every visit of the night; evolve hands each new state the index of the state it
// came from, updated for the few visits its events changed, so a night of n events costs O(n), not
// O(n × visits). States are immutable: an index is never changed once built, it is copied where it
// differs (only the touched maps and lists).
import type { CheckIn, NightState, Visit } from './state';
import { valuesOf, type Ownership } from './records';

export interface LiveIndex {
  /** teacherId → waiting visits, in the order of state.visits; teachers in the order of their first one. */
  waitingByTeacher: Map<string, Visit[]>;
  /** familyId → the visits that hold them now (called or in conference): one, unless the state is odd. */
  busy: Map<string, Visit[]>;
  /** staffId → the visits they are called to or sitting in, in the order of state.visits. */
  interpreting: Map<string, Visit[]>;
  /** Booked slots of visits waiting or called, of families still here (in no particular order). */
  bookedByTeacher: Map<string, number[]>;
  bookedByFamily: Map<string, number[]>;
  /** visitId → its place in state.visits (insertion order), which orders the lists above. */
  order: Map<string, number>;
  /** familyId → number of visits still waiting: counted from the lines when first asked, then carried. */
  waitingCount?: Map<string, number>;
}

const indexes = new WeakMap<NightState, LiveIndex>();

export function liveIndex(state: NightState): LiveIndex {
  let index = indexes.get(state);
  if (!index) {
    index = buildIndex(state);
    indexes.set(state, index);
  }
  return index;
}

/** familyId → number of visits still waiting (families with none are absent). */
export function waitingCounts(state: NightState): Map<string, number> {
  const index = liveIndex(state);
  if (!index.waitingCount) {
    index.waitingCount = new Map();
    for (const line of index.waitingByTeacher.values()) {
      for (const v of line) index.waitingCount.set(v.familyId, (index.waitingCount.get(v.familyId) ?? 0) + 1);
    }
  }
  return index.waitingCount;
}

function buildIndex(state: NightState): LiveIndex {
  const index: LiveIndex = {
    waitingByTeacher: new Map(), busy: new Map(), interpreting: new Map(), bookedByTeacher: new Map(), bookedByFamily: new Map(), order: new Map(),
  };
  for (const v of valuesOf(state.visits)) {
    index.order.set(v.id, index.order.size);
    if (v.status === 'waiting') push(index.waitingByTeacher, v.teacherId, v);
    else if (v.status === 'called' || v.status === 'inConference') {
      push(index.busy, v.familyId, v);
      if (v.interpreterId) push(index.interpreting, v.interpreterId, v);
    } else continue;
    if (holdsSlot(state, v)) {
      push(index.bookedByTeacher, v.teacherId, v.bookedAt!);
      push(index.bookedByFamily, v.familyId, v.bookedAt!);
    }
  }
  return index;
}

const holdsSlot = (state: NightState, v: Visit) =>
  v.bookedAt !== null && v.status !== 'inConference' && state.checkIns[v.familyId].leftAt === null;

/**
 * Gives `next` (evolved from `base`) its index, from base's if base has one. `visitsBefore` and
 * `checkInsBefore`: every visit and check-in the events may have changed or added, as it was in base
 * (undefined: not there); nothing else may differ in next.visits and next.checkIns. They are passed
 * in, not read from base, because an evolve with an owner changes base's records in place.
 * With an owner, the maps and lists this function made for the owner's earlier states are changed
 * in place too (base is given up), instead of copying, say, every family's count at every call.
 * A family leaving (rare) rebuilds the index.
 */
export function carryLiveIndex(
  base: NightState, next: NightState, visitsBefore: ReadonlyMap<string, Visit | undefined>, checkInsBefore: ReadonlyMap<string, CheckIn | undefined>,
  owner?: Ownership,
): void {
  const from = indexes.get(base);
  if (!from || indexes.has(next)) return;
  for (const [f, before] of checkInsBefore) {
    if (before && before.leftAt !== next.checkIns[f]?.leftAt) return; // built afresh when asked
  }
  const index: LiveIndex = { ...from };
  const copied = new Set<unknown>(); // the maps and lists this index may change (not shared with a kept state)
  const mine = <X extends object>(x: X): X => {
    copied.add(x);
    owner?.take(x);
    return x;
  };
  const own = <M extends Map<string, unknown>>(map: M): M => {
    if (copied.has(map)) return map;
    return mine(owner?.owns(map) ? map : (new Map(map) as M));
  };
  const list = <T>(map: Map<string, T[]>, key: string): T[] => {
    let l = map.get(key);
    if (l && (copied.has(l) || owner?.owns(l))) return mine(l);
    l = mine(l ? [...l] : []);
    map.set(key, l);
    return l;
  };
  const remove = <T>(map: Map<string, T[]>, key: string, found: (x: T) => boolean) => {
    const l = list(map, key);
    const i = l.findIndex(found);
    if (i >= 0) l.splice(i, 1);
    if (!l.length) map.delete(key);
  };
  const seq = (v: Visit) => index.order.get(v.id)!;
  /** Inserts v in state.visits order (at the end, nearly always). */
  const insert = (l: Visit[], v: Visit) => {
    let i = l.length;
    while (i > 0 && seq(l[i - 1]) > seq(v)) i--;
    l.splice(i, 0, v);
  };
  let reorder = false; // a teacher's first waiting visit changed

  for (const [id, old] of visitsBefore) {
    const now = next.visits[id];
    if (old === now) continue;
    if (!old && !index.order.has(id)) {
      index.order = own(index.order);
      index.order.set(id, index.order.size);
    }
    if (old) {
      const sameId = (v: Visit) => v.id === id;
      if (old.status === 'waiting') {
        if (index.waitingByTeacher.get(old.teacherId)?.[0]?.id === id) reorder = true;
        remove(index.waitingByTeacher = own(index.waitingByTeacher), old.teacherId, sameId);
        if (index.waitingCount) {
          const counts = (index.waitingCount = own(index.waitingCount));
          const n = counts.get(old.familyId)! - 1;
          if (n) counts.set(old.familyId, n);
          else counts.delete(old.familyId);
        }
      } else if (old.status === 'called' || old.status === 'inConference') {
        remove(index.busy = own(index.busy), old.familyId, sameId);
        if (old.interpreterId) remove(index.interpreting = own(index.interpreting), old.interpreterId, sameId);
      }
      // Whether old held a slot in base: the family's leftAt is the same in next (checked above).
      if ((old.status === 'waiting' || old.status === 'called') && holdsSlot(next, old)) {
        remove(index.bookedByTeacher = own(index.bookedByTeacher), old.teacherId, (slot) => slot === old.bookedAt);
        remove(index.bookedByFamily = own(index.bookedByFamily), old.familyId, (slot) => slot === old.bookedAt);
      }
    }
    if (now) {
      if (now.status === 'waiting') {
        const line = list(index.waitingByTeacher = own(index.waitingByTeacher), now.teacherId);
        insert(line, now);
        if (line[0] === now) reorder = true;
        if (index.waitingCount) {
          const counts = (index.waitingCount = own(index.waitingCount));
          counts.set(now.familyId, (counts.get(now.familyId) ?? 0) + 1);
        }
      } else if (now.status === 'called' || now.status === 'inConference') {
        insert(list(index.busy = own(index.busy), now.familyId), now);
        if (now.interpreterId) insert(list(index.interpreting = own(index.interpreting), now.interpreterId), now);
      }
      if ((now.status === 'waiting' || now.status === 'called') && holdsSlot(next, now)) {
        list(index.bookedByTeacher = own(index.bookedByTeacher), now.teacherId).push(now.bookedAt!);
        list(index.bookedByFamily = own(index.bookedByFamily), now.familyId).push(now.bookedAt!);
      }
    }
  }
  // Teachers stay in the order of their first waiting visit, as a fresh build lists them.
  if (reorder) index.waitingByTeacher = mine(new Map([...index.waitingByTeacher].sort(([, a], [, b]) => seq(a[0]) - seq(b[0]))));
  indexes.set(next, index);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
