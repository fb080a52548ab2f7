// The shared store: a night's events in Redis, so that several server processes serve one night.
//
// Optimistic appends, checked in Redis: every process keeps the night in memory, decides a command
// against it and appends the resulting records with the head it decided on ("seq batchId"). A Lua
// script appends only if that is still the head, atomically, so the log has one order and no fork;
// a process that lost the race catches up and decides again. A process that cannot reach Redis cannot
// append at all: it refuses commands rather than keep a history of its own.
//
// Keys, all under one prefix per night (`conference-night:<night>:`): head, log (a stream whose
// entry ids are the seqs), snapshot, epoch, server-key; and the channel `appended`, published by
// the script, which tells the other processes to catch up.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import type { NightEvent } from '../../shared/domain/state';
import type { JournalRecord, LoadedJournal, Snapshot } from './journal';
import type { NightStore } from './store';

// On a conflict it answers with the entries the caller missed, so that it can decide again at once.
const appendScript = `
local head = redis.call('GET', KEYS[1]) or ''
if head ~= ARGV[1] then
  local from = tonumber(string.match(ARGV[1], '^%d+') or '0')
  return redis.call('XRANGE', KEYS[2], (from + 1) .. '-0', '+')
end
for i = 4, #ARGV, 2 do redis.call('XADD', KEYS[2], ARGV[i] .. '-0', 'b', ARGV[3], 'r', ARGV[i + 1]) end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', KEYS[3], ARGV[2])
return 1`;

// The purge swaps in a cleaned copy of the log, but only if nobody appended meanwhile (same head).
const swapScript = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then redis.call('DEL', KEYS[2]); return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
redis.call('SET', KEYS[4], ARGV[2])
return 1`;

/** Raised when Redis cannot be reached: the caller answers 'unavailable' and never guesses. */
export class StoreUnavailable extends Error {}

export interface RedisStoreOptions {
  url: string;
  /** Every key of this night starts with it (one prefix per night; tests use one per test). */
  prefix: string;
}

type Client = RedisClientType;

export class RedisStore extends EventEmitter<{ availability: [boolean] }> implements NightStore {
  /** "seq batchId" of the last record this process has seen: what its next append must follow. */
  private head = '';
  private headSeq = 0;
  private available = false;
  private pollTimer: NodeJS.Timeout | null = null;

  private constructor(readonly client: Client, private readonly subscriber: Client, private readonly prefix: string) {
    super();
  }

  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const client: Client = createClient({
      url: options.url,
      // A command while Redis is away fails at once instead of waiting in a queue: the process must
      // say "unavailable" to its clients (who move to another process), not hang.
      disableOfflineQueue: true,
      pingInterval: 1_000,
      socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(50 + retries * 50, 500) },
    });
    const subscriber: Client = client.duplicate();
    const store = new RedisStore(client, subscriber, options.prefix);
    client.on('error', () => store.setAvailable(false));
    subscriber.on('error', () => undefined); // its own reconnects; the main client speaks for availability
    client.on('ready', () => store.setAvailable(true));
    client.on('reconnecting', () => store.setAvailable(false));
    client.on('end', () => store.setAvailable(false));
    await client.connect();
    await subscriber.connect();
    store.setAvailable(client.isReady);
    return store;
  }

  get isAvailable(): boolean {
    return this.available;
  }

  private setAvailable(available: boolean): void {
    if (available === this.available) return;
    this.available = available;
    this.emit('availability', available);
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private async call<T>(args: string[]): Promise<T> {
    try {
      return (await this.client.sendCommand(args)) as T;
    } catch (e) {
      throw new StoreUnavailable(`Redis: ${(e as Error).message}`);
    }
  }

  /** A value made once for the whole night, whichever process comes first (epoch, server key). */
  async valueOnce(name: string, make: () => string): Promise<string> {
    await this.call(['SET', this.key(name), make(), 'NX']);
    return (await this.call<string>(['GET', this.key(name)]))!;
  }

  async load(): Promise<LoadedJournal> {
    const epoch = await this.valueOnce('epoch', () => randomBytes(6).toString('base64url'));
    const text = await this.call<string | null>(['GET', this.key('snapshot')]);
    const snapshot = text ? (JSON.parse(text) as Snapshot) : null;
    const records = await this.readAfter(snapshot?.seq ?? 0);
    return { epoch, snapshot, records, repaired: null };
  }

  async append(afterSeq: number, records: JournalRecord[]): Promise<{ ok: true } | { ok: false; missed: JournalRecord[] }> {
    if (afterSeq !== this.headSeq) throw new Error(`append after ${afterSeq} but this process is at ${this.headSeq}`);
    const last = records.at(-1)!.seq;
    const head = `${last} ${randomBytes(6).toString('base64url')}`;
    const args = ['EVAL', appendScript, '3', this.key('head'), this.key('log'), this.key('appended'), this.head, head, head.split(' ')[1]];
    for (const r of records) args.push(String(r.seq), JSON.stringify(r));
    const answer = await this.call<number | [string, string[]][]>(args);
    if (answer === 1) {
      this.head = head;
      this.headSeq = last;
      return { ok: true };
    }
    return { ok: false, missed: this.follow(afterSeq, answer as [string, string[]][]) };
  }

  /** Records from log entries that follow on from seq; remembers the head they end on. */
  private follow(seq: number, entries: [string, string[]][]): JournalRecord[] {
    const records: JournalRecord[] = [];
    for (const [id, fields] of entries) {
      const entrySeq = Number(id.split('-')[0]);
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      if (entrySeq !== seq + records.length + 1) throw new Error(`The Redis log ${this.key('log')} has a gap after ${seq + records.length}.`);
      records.push(JSON.parse(field('r')) as JournalRecord);
      this.head = `${entrySeq} ${field('b')}`;
      this.headSeq = entrySeq;
    }
    return records;
  }

  async readAfter(seq: number): Promise<JournalRecord[]> {
    // From seq itself (inclusive): the log always ends on a batch's last record, whose entry gives
    // the head ("seq batchId") that this process's next append must follow.
    const entries = await this.call<[string, string[]][]>(['XRANGE', this.key('log'), seq > 0 ? `${seq}-0` : '-', '+']);
    if (seq > 0 && !entries.length) throw new Error(`Event ${seq} is not in Redis (${this.key('log')}): the night's data is incomplete.`);
    if (seq > 0) {
      const [, fields] = entries.shift()!;
      this.head = `${seq} ${fields[fields.indexOf('b') + 1]}`;
    } else {
      this.head = '';
    }
    this.headSeq = seq;
    return this.follow(seq, entries);
  }

  async writeSnapshot(snapshot: Snapshot): Promise<void> {
    await this.call(['SET', this.key('snapshot'), JSON.stringify(snapshot)]);
  }

  /** Rewrites the log through `clean` into a new stream and swaps it in atomically, retrying if a process appended meanwhile. */
  async purgePersonalData(clean: (event: NightEvent) => NightEvent, snapshot: Snapshot): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const head = (await this.call<string | null>(['GET', this.key('head')])) ?? '';
      const entries = await this.call<[string, string[]][]>(['XRANGE', this.key('log'), '-', '+']);
      const temp = this.key(`log-clean-${randomBytes(4).toString('hex')}`);
      for (const [id, fields] of entries) {
        const field = (name: string) => fields[fields.indexOf(name) + 1];
        const record = JSON.parse(field('r')) as JournalRecord;
        await this.call(['XADD', temp, id, 'b', field('b'), 'r', JSON.stringify({ ...record, event: clean(record.event) })]);
      }
      const swapped = entries.length
        ? await this.call<number>(['EVAL', swapScript, '4', this.key('head'), temp, this.key('log'), this.key('snapshot'), head, JSON.stringify(snapshot)])
        : 1;
      if (swapped === 1) {
        if (!entries.length) await this.writeSnapshot(snapshot);
        return;
      }
    }
    throw new Error('The night kept changing while its personal data was being deleted; please try again.');
  }

  onAppended(listener: (seq: number | null) => void): void {
    void this.subscriber.subscribe(this.key('appended'), (head) => listener(Number(head.split(' ')[0]))).catch(() => undefined);
    // After a reconnect (a Redis restart, a network cut) messages published meanwhile are lost:
    // catch up then, and poll now and then as a safety net.
    this.client.on('ready', () => listener(null));
    this.pollTimer = setInterval(() => listener(null), 2_000);
    this.pollTimer.unref();
  }

  async close(): Promise<void> {
    this.removeAllListeners('availability'); // closing is not losing Redis
    if (this.pollTimer) clearInterval(this.pollTimer);
    await Promise.allSettled([this.subscriber.close(), this.client.close()]);
  }
}
