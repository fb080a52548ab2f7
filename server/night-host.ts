// One night, served by one process (or by several sharing a store): the command pipeline's core
// after authentication and validation. Commands queue up; each batch is decided against the committed
// state, appended to the store in one write (group commit: one fsync or one Redis round trip per
// batch), and only then evolved into `committed` and acknowledged. Only `committed` is ever shown to
// a client, so nobody sees what a crash could still take back.
//
// With a shared store another process may have appended first: the store answers 'conflict', this
// process reads what it missed and decides the same commands again. So a command is applied exactly
// once and in one order whichever process it reaches, and a duplicate commandId is recognised even
// when its first copy went through another process.
import { EventEmitter } from 'node:events';
import { decide } from '../shared/domain/decide';
import { evolveAll } from '../shared/domain/evolve';
import { eventWithoutPersonalData } from '../shared/domain/privacy';
import { emptyNight, type NightEvent, type NightState } from '../shared/domain/state';
import type { Ack, Actor, Command, SystemCommand } from '../shared/protocol';
import type { JournalRecord, LoadedJournal } from './store/journal';
import type { NightStore } from './store/store';

const snapshotEvery = 500;
/** The audit log keeps the night's last privileged actions (a night has a few hundred at most). */
const auditLength = 2000;
/** A command that loses the race this often in a row is refused rather than retried forever. */
const maxConflicts = 50;

const unavailable: Ack = { ok: false, code: 'unavailable', message: 'The server cannot save right now; please try again in a moment.' };
const purgeFailed: Ack = { ok: false, code: 'unavailable', message: 'The names are gone from the screens but could not be removed from the saved night; please try again.' };

/**
 * One privileged action: who (role and id, never a secret), what (the event), on what (ids only: a
 * visit, a family, a sign-in), when. Derived from the journal, so it needs nothing more stored.
 */
export interface AuditEntry { seq: number; at: number; actor: Actor | null; action: NightEvent['type']; subject: string | null }

/** Coordinator overrides, revocations and the night's import are audited; routine work is not. */
function auditEntry(record: JournalRecord): AuditEntry | null {
  const { event, actor } = record;
  const privileged = actor?.role === 'coordinator' || event.type === 'signInRevoked' || event.type === 'nightCreated';
  if (!privileged) return null;
  let subject: string | null = null;
  if ('visitId' in event) subject = event.visitId;
  else if ('familyId' in event) subject = event.familyId;
  else if ('teacherId' in event) subject = event.teacherId;
  else if ('staffId' in event) subject = event.staffId;
  else if ('taskId' in event) subject = event.taskId;
  if (event.type === 'signInRevoked') subject = `${event.role}:${event.id}`;
  if (event.type === 'nightCreated') subject = event.setup.event.id;
  return { seq: record.seq, at: event.at, actor, action: event.type, subject };
}

type Job =
  | { kind: 'command'; command: Command | SystemCommand; actor: Actor; now: number; conflicts: number; resolve: (ack: Ack) => void }
  | { kind: 'system'; events: NightEvent[]; conflicts: number; resolve: (ack: Ack) => void };

export class NightHost extends EventEmitter<{ commit: [] }> {
  committed: NightState;
  committedSeq: number;
  private readonly commandSeqs = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<Ack>>();
  private queue: Job[] = [];
  private draining: Promise<void> | null = null;
  /** Set when the store may hold records this process has not read (another process, a lost reply). */
  private behind = false;
  private lastSnapshotSeq: number;
  private commitScheduled = false;
  private snapshotting = false;
  /** Privileged actions, oldest first (the coordinator reads them newest first). */
  private readonly auditEntries: AuditEntry[];

  constructor(private readonly store: NightStore, loaded: LoadedJournal, readonly epoch = loaded.epoch) {
    super();
    // A snapshot written before a field existed gets that field's empty value.
    this.committed = { ...emptyNight, ...loaded.snapshot?.state };
    this.committedSeq = loaded.snapshot?.seq ?? 0;
    for (const [id, s] of loaded.snapshot?.commandIds ?? []) this.commandSeqs.set(id, s);
    this.auditEntries = [...(loaded.snapshot?.audit ?? [])];
    this.absorb(loaded.records, null);
    this.lastSnapshotSeq = loaded.snapshot?.seq ?? 0;
    store.onAppended?.((seq) => {
      if (seq !== null && seq <= this.committedSeq) return; // our own, or already read
      this.behind = true;
      this.kick();
    });
  }

  /** The night's identity for clients: another epoch means their remembered seq is meaningless here. */
  get nightId(): string {
    return `${this.committed.setup?.event.id ?? 'none'}.${this.epoch}`;
  }

  /** The audit log, newest first. */
  get auditLog(): AuditEntry[] {
    return [...this.auditEntries].reverse();
  }

  private audit(record: JournalRecord): void {
    const entry = auditEntry(record);
    if (!entry) return;
    this.auditEntries.push(entry);
    if (this.auditEntries.length > auditLength) this.auditEntries.splice(0, this.auditEntries.length - auditLength);
  }

  /** Runs one validated, authenticated command through the pipeline. */
  submit(command: Command | SystemCommand, actor: Actor, now: number): Promise<Ack> {
    const knownSeq = this.commandSeqs.get(command.commandId);
    if (knownSeq !== undefined) return Promise.resolve({ ok: true, seq: knownSeq, duplicate: true });
    const inFlight = this.inFlight.get(command.commandId);
    if (inFlight) return inFlight.then((ack) => (ack.ok ? { ...ack, duplicate: true } : ack));
    const ack = new Promise<Ack>((resolve) => this.queue.push({ kind: 'command', command, actor, now, conflicts: 0, resolve }));
    this.inFlight.set(command.commandId, ack);
    void ack.finally(() => this.inFlight.delete(command.commandId));
    this.kick();
    return ack;
  }

  /**
   * Appends the server's own events (setting up the demo night, for instance). Refused with
   * 'conflict' if another process appended first: they are not re-decided, the caller looks again.
   */
  appendSystemEvents(events: NightEvent[]): Promise<Ack> {
    const ack = new Promise<Ack>((resolve) => this.queue.push({ kind: 'system', events, conflicts: 0, resolve }));
    this.kick();
    return ack;
  }

  private kick(): void {
    this.draining ??= this.drain();
  }

  /** Reads what other processes appended so far (after a conflict at start, for instance). */
  async catchUpNow(): Promise<void> {
    this.behind = true;
    this.kick();
    await this.idle();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length || this.behind) {
        if (this.behind && !(await this.catchUp())) {
          // The store cannot be read: nothing can be decided safely. Refuse what waits; a later command retries.
          for (const job of this.queue.splice(0)) job.resolve(unavailable);
          break;
        }
        const batch = this.queue.splice(0);
        if (batch.length) await this.commitBatch(batch);
      }
    } finally {
      this.draining = null;
    }
  }

  /** Reads what other processes appended; false if the store cannot be reached. */
  private async catchUp(): Promise<boolean> {
    this.behind = false;
    try {
      const records = await this.store.readAfter(this.committedSeq);
      if (records.length) {
        this.absorb(records, null);
        this.scheduleCommitSignal();
      }
      return true;
    } catch (e) {
      this.behind = true;
      console.error(`Cannot read the night's events (${(e as Error).message}); refusing commands until the store is back.`);
      return false;
    }
  }

  /** Takes committed records into the state (those read from the store, or `state` already evolved). */
  private absorb(records: JournalRecord[], state: NightState | null): void {
    if (!records.length) return;
    this.committed = state ?? evolveRecords(this.committed, records);
    this.committedSeq = records.at(-1)!.seq;
    for (const r of records) {
      if (r.commandId) this.commandSeqs.set(r.commandId, r.seq);
      this.audit(r);
    }
  }

  private async commitBatch(batch: Job[]): Promise<void> {
    let state = this.committed;
    let seq = this.committedSeq;
    const records: JournalRecord[] = [];
    /** null: already answered. */
    const answers: (Ack | null)[] = [];
    for (const job of batch) {
      if (job.kind === 'system') {
        for (const event of job.events) records.push({ seq: ++seq, commandId: null, actor: null, event });
        state = evolveAll(state, job.events);
        answers.push({ ok: true, seq });
        continue;
      }
      const { command, actor, now } = job;
      // After a conflict, the first copy may have come through another process.
      const known = this.commandSeqs.get(command.commandId);
      if (known !== undefined) { job.resolve({ ok: true, seq: known, duplicate: true }); answers.push(null); continue; }
      const decision = decide(state, command, { now, actor });
      if (!decision.ok) {
        // The code, the English message and the sentence's catalogue key with its params (see shared/domain/refusal).
        const refusal: Ack = { ...decision };
        // Decided on the committed state alone (nothing accepted before it in this batch): it rests
        // on what is already durable, so it is answered now instead of after the batch's write.
        // A refusal that may rest on this batch ("already checked in" a moment ago) waits for the
        // write, so that a crash cannot make it a lie.
        if (!records.length) { job.resolve(refusal); answers.push(null); } else answers.push(refusal);
        continue;
      }
      for (const event of decision.events) records.push({ seq: ++seq, commandId: command.commandId, actor, event });
      state = evolveAll(state, decision.events);
      answers.push({ ok: true, seq });
    }
    // Those not answered yet wait for the write (and are retried after a conflict).
    const waiting = batch.filter((_, i) => answers[i] !== null);
    if (records.length) {
      let outcome: Awaited<ReturnType<NightStore['append']>>;
      try {
        outcome = await this.store.append(this.committedSeq, records);
      } catch (e) {
        // The write may or may not have landed: read the store before deciding anything again.
        console.error(`The night's events cannot be saved (${(e as Error).message}); refusing commands until the store is back.`);
        this.behind = true;
        for (const job of waiting) job.resolve(unavailable);
        return;
      }
      if (!outcome.ok) {
        // Take what the other processes appended and decide again straight away (before anything
        // else runs), so the next attempt comes as soon as possible after the winner's.
        this.absorb(outcome.missed, null);
        this.scheduleCommitSignal();
        if (!outcome.missed.length) this.behind = true; // a head it cannot follow: read the store
        const retry = waiting.filter((job) => ++job.conflicts <= maxConflicts && job.kind === 'command');
        for (const job of waiting) {
          if (job.kind === 'system') job.resolve({ ok: false, code: 'conflict', message: 'Another server set the night up first.' });
          else if (!retry.includes(job)) job.resolve(unavailable);
        }
        this.queue.unshift(...retry);
        return;
      }
      this.absorb(records, state);
      this.scheduleCommitSignal();
      if (records.some((r) => r.event.type === 'personalDataPurged') && !(await this.purgeFiles())) {
        const purge = new Set(records.filter((r) => r.event.type === 'personalDataPurged').map((r) => r.commandId));
        batch.forEach((job, i) => {
          if (job.kind === 'command' && purge.has(job.command.commandId)) answers[i] = purgeFailed;
        });
      }
    }
    batch.forEach((job, i) => { if (answers[i]) job.resolve(answers[i]); });
  }

  /**
   * After the purge event: every stored copy of the night (log and snapshot) is rewritten without the
   * names. The purge is acknowledged only once that is done; no older snapshot may land after the clean one.
   */
  private async purgeFiles(): Promise<boolean> {
    while (this.snapshotting) await new Promise((r) => setTimeout(r, 5));
    this.snapshotting = true;
    try {
      await this.store.purgePersonalData(eventWithoutPersonalData, { seq: this.committedSeq, state: this.committed, commandIds: [...this.commandSeqs], audit: [...this.auditEntries] });
      this.lastSnapshotSeq = this.committedSeq;
      return true;
    } catch (e) {
      console.error(`Personal data could not be removed from the stored night (${(e as Error).message}).`);
      return false;
    } finally {
      this.snapshotting = false;
    }
  }

  /** One fan-out per batch, not one per command. */
  private scheduleCommitSignal(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    queueMicrotask(() => {
      this.commitScheduled = false;
      this.emit('commit');
      if (this.committedSeq - this.lastSnapshotSeq >= snapshotEvery) {
        // A snapshot only speeds up the next start; the log has everything. Never stop the night for it.
        this.snapshot().catch((e: Error) => {
          console.error(`Could not write a snapshot (${e.message}); the events are intact, will try again later.`);
          this.lastSnapshotSeq = this.committedSeq;
        });
      }
    });
  }

  async snapshot(): Promise<void> {
    if (this.snapshotting || this.committedSeq === this.lastSnapshotSeq) return;
    this.snapshotting = true;
    const seq = this.committedSeq;
    try {
      await this.store.writeSnapshot({ seq, state: this.committed, commandIds: [...this.commandSeqs], audit: [...this.auditEntries] });
      this.lastSnapshotSeq = seq;
    } finally {
      this.snapshotting = false;
    }
  }

  /** Resolves once nothing is queued or being written (before a clean stop). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }
}

function evolveRecords(state: NightState, records: JournalRecord[]): NightState {
  return evolveAll(state, records.map((r) => r.event));
}
