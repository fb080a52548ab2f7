// One night, served by one process: the command pipeline's core after authentication and validation.
// De-duplicate by commandId → decide → append to the journal (durable) → evolve → acknowledge.
//
// Two states are kept. `working` includes commands decided but not yet on disk, so the next command
// is decided against everything before it (one order, no double calls). `committed` is what is on
// disk; only it is ever shown to a client, so nobody sees what a crash could still take back.
import { EventEmitter } from 'node:events';
import { decide } from '../shared/domain/decide';
import { evolve, evolveAll } from '../shared/domain/evolve';
import { eventWithoutPersonalData } from '../shared/domain/privacy';
import { emptyNight, type NightEvent, type NightState } from '../shared/domain/state';
import type { Ack, Actor, Command, SystemCommand } from '../shared/protocol';
import type { FileJournal, JournalRecord, LoadedJournal } from './store/journal';

const snapshotEvery = 500;
/** The audit log keeps the night's last privileged actions (a night has a few hundred at most). */
const auditLength = 2000;

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

export class NightHost extends EventEmitter<{ commit: [] }> {
  committed: NightState;
  committedSeq: number;
  private working: NightState;
  private workingSeq: number;
  private readonly commandSeqs = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<Ack>>();
  private lastSnapshotSeq: number;
  private commitScheduled = false;
  private durableWaiters: { seq: number; resolve: () => void }[] = [];
  private snapshotting = false;
  /** Privileged actions, oldest first (the coordinator reads them newest first). */
  private readonly auditEntries: AuditEntry[];

  constructor(private readonly journal: FileJournal, loaded: LoadedJournal, readonly epoch = loaded.epoch) {
    super();
    // A snapshot written before a field existed gets that field's empty value.
    let state: NightState = { ...emptyNight, ...loaded.snapshot?.state };
    let seq = loaded.snapshot?.seq ?? 0;
    for (const [id, s] of loaded.snapshot?.commandIds ?? []) this.commandSeqs.set(id, s);
    this.auditEntries = [...(loaded.snapshot?.audit ?? [])];
    for (const r of loaded.records) {
      state = evolve(state, r.event);
      seq = r.seq;
      if (r.commandId) this.commandSeqs.set(r.commandId, r.seq);
      this.audit(r);
    }
    this.committed = this.working = state;
    this.committedSeq = this.workingSeq = seq;
    this.lastSnapshotSeq = loaded.snapshot?.seq ?? 0;
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

    const decision = decide(this.working, command, { now, actor });
    if (!decision.ok) {
      // A refusal may rest on commands not yet on disk ("already checked in" a moment ago): answer
      // only once those are durable, so a crash cannot make the refusal a lie.
      const refusal: Ack = { ok: false, code: decision.code, message: decision.message };
      return this.workingSeq === this.committedSeq ? Promise.resolve(refusal) : this.durableUpTo(this.workingSeq).then(() => refusal);
    }
    const ack = this.append(decision.events, command.commandId, actor);
    this.inFlight.set(command.commandId, ack);
    void ack.finally(() => this.inFlight.delete(command.commandId));
    return ack;
  }

  /** Appends the server's own events (setting up the demo night, for instance). */
  appendSystemEvents(events: NightEvent[]): Promise<Ack> {
    return this.append(events, null, null);
  }

  private async append(events: NightEvent[], commandId: string | null, actor: Actor | null): Promise<Ack> {
    const records: JournalRecord[] = events.map((event) => ({ seq: ++this.workingSeq, commandId, actor, event }));
    this.working = evolveAll(this.working, events);
    const stateAfter = this.working;
    const seqAfter = this.workingSeq;
    try {
      await this.journal.append(records);
    } catch (e) {
      // The journal refuses every later append too: the night stops rather than forks.
      console.error(`The journal cannot be written (${(e as Error).message}); refusing further commands.`);
      return { ok: false, code: 'unavailable', message: 'The server cannot save right now; please try again in a moment.' };
    }
    // Journal appends complete in order, so the last one to resolve carries the newest state.
    this.committed = stateAfter;
    this.committedSeq = seqAfter;
    if (commandId) this.commandSeqs.set(commandId, seqAfter);
    for (const r of records) this.audit(r);
    this.durableWaiters = this.durableWaiters.filter((w) => (w.seq <= seqAfter ? (w.resolve(), false) : true));
    this.scheduleCommitSignal();
    if (events.some((e) => e.type === 'personalDataPurged')) {
      // The purge is acknowledged only once no file of the night holds the names any more.
      // No older snapshot (with the names) may land after the clean one.
      while (this.snapshotting) await new Promise((r) => setTimeout(r, 5));
      this.snapshotting = true;
      try {
        await this.journal.purgePersonalData(eventWithoutPersonalData, { seq: seqAfter, state: stateAfter, commandIds: [...this.commandSeqs], audit: [...this.auditEntries] });
        this.lastSnapshotSeq = seqAfter;
      } catch (e) {
        console.error(`Personal data could not be removed from the files (${(e as Error).message}).`);
        return { ok: false, code: 'unavailable', message: 'The names are gone from the screens but could not be removed from the saved files; please try again.' };
      } finally {
        this.snapshotting = false;
      }
    }
    return { ok: true, seq: seqAfter };
  }

  /** Resolves once every event up to seq is on disk. */
  private durableUpTo(seq: number): Promise<void> {
    if (this.committedSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.durableWaiters.push({ seq, resolve }));
  }

  /** One fan-out per group commit, not one per command. */
  private scheduleCommitSignal(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    queueMicrotask(() => {
      this.commitScheduled = false;
      this.emit('commit');
      if (this.committedSeq - this.lastSnapshotSeq >= snapshotEvery) {
        // A snapshot only speeds up the next start; the journal has everything. Never stop the night for it.
        this.snapshot().catch((e: Error) => {
          console.error(`Could not write a snapshot (${e.message}); the journal is intact, will try again later.`);
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
      await this.journal.writeSnapshot({ seq, state: this.committed, commandIds: [...this.commandSeqs], audit: [...this.auditEntries] });
      this.lastSnapshotSeq = seq;
    } finally {
      this.snapshotting = false;
    }
  }
}
