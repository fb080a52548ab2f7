// Where a night's events live. One interface, two stores: the embedded journal (one process, files)
// and Redis (several processes serving one night). The night host only ever appends records that
// follow on from what it has seen; a shared store refuses an append made on a stale view ('conflict'),
// and the host catches up and decides the command again (optimistic appends, checked in the store).
import type { NightEvent } from '../../shared/domain/state';
import type { JournalRecord, LoadedJournal, Snapshot } from './journal';

export interface NightStore {
  /** The night as stored: epoch, latest snapshot and the records after it. */
  load(): Promise<LoadedJournal>;
  /**
   * Appends records that follow on from `afterSeq` (the host's committed seq). Resolves once they are
   * durable; with a conflict (and the records it missed) when another process appended first; throws
   * when the store cannot be reached (the records may or may not have landed: the host reads the
   * store before it appends again).
   */
  append(afterSeq: number, records: JournalRecord[]): Promise<{ ok: true } | { ok: false; missed: JournalRecord[] }>;
  /** Records after seq that other processes appended (none for a store only this process writes). */
  readAfter(seq: number): Promise<JournalRecord[]>;
  writeSnapshot(snapshot: Snapshot): Promise<void>;
  /**
   * Deletes personal data from every stored copy of the night: each record is rewritten through
   * `clean`, and the snapshot replaced by the given, already cleaned one.
   */
  purgePersonalData(clean: (event: NightEvent) => NightEvent, snapshot: Snapshot): Promise<void>;
  /** Called with the newest seq when a process appends, or with null when it may have been missed (shared stores only). */
  onAppended?(listener: (seq: number | null) => void): void;
  close(): Promise<void>;
}
