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
