// Listing and copying the state's big records (visits, check-ins, tasks: thousands of keys). V8 keeps
// such objects in dictionary mode, where Object.keys, Object.values and a spread sort every key into
// insertion order each time: many times slower than reading a list of the keys kept with the record.
// States never change, so a record's key list is worked out once; evolve's copies share it.
const keyLists = new WeakMap<object, readonly string[]>();

/** The record's keys, as Object.keys gives them. */
export function keysOf(record: object): readonly string[] {
  let keys = keyLists.get(record);
  if (!keys) {
    keys = Object.keys(record);
    keyLists.set(record, keys);
  }
  return keys;
}

/** The record's values, as Object.values gives them (a fresh array). */
export function valuesOf<T>(record: Readonly<Record<string, T>>): T[] {
  const keys = keysOf(record);
  const values = new Array<T>(keys.length);
  for (let i = 0; i < keys.length; i++) values[i] = record[keys[i]];
  return values;
}

/** A copy to change with setKey before anyone else sees it (or a record evolve's owner owns: evolve.ts). */
export function copyRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const keys = keysOf(record);
  const copy: Record<string, T> = {};
  for (const key of keys) copy[key] = record[key];
  keyLists.set(copy, keys);
  return copy;
}

const selections = new WeakMap<object, Map<unknown, readonly unknown[]>>();

/** Sets a key of a copy from copyRecord, keeping its key list (and forgetting valuesWhere's answers for it). */
export function setKey<T>(record: Record<string, T>, key: string, value: T): void {
  if (!Object.hasOwn(record, key)) keyLists.set(record, [...keysOf(record), key]);
  record[key] = value;
  selections.delete(record);
}

/**
 * The record's values that pass `test`, in order: worked out once per record and test, so a record
 * that several states share is read once (a module-level `test`; not for a record evolve is building).
 */
export function valuesWhere<T>(record: Readonly<Record<string, T>>, test: (value: T) => boolean): readonly T[] {
  let byTest = selections.get(record);
  if (!byTest) selections.set(record, (byTest = new Map()));
  let values = byTest.get(test) as readonly T[] | undefined;
  if (!values) byTest.set(test, (values = valuesOf(record).filter(test)));
  return values;
}

/**
 * The right to change a state's big records in place, for one holder of a chain of states that
 * gives up each state as soon as it has evolved it (the simulator's night). Why: an evolve that
 * changes one visit copies the whole visits record (thousands of keys), and a night has thousands
 * of evolves, so copying is most of a simulated night. With an owner, evolve copies a record once,
 * the first time it changes it, and afterwards changes its own copy in place (likewise the maps and
 * lists of the engine's index: live-index.ts).
 * The holder must not read a state again once it has passed it to evolveAll with the owner, nor
 * let anyone else keep it: before it shows a state to others (who may keep it), it calls share().
 */
export class Ownership {
  /** The records this owner's evolves made that nobody else has seen. */
  private mine = new WeakSet<object>();
  owns(record: object): boolean { return this.mine.has(record); }
  take(record: object): void { this.mine.add(record); }
  /** The current state is shown to others: from now on its records are copied before they change. */
  share(): void { this.mine = new WeakSet(); }
}
