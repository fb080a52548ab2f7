// A real Socket.IO client that keeps a replica of its role's view the way the browser's SyncClient
// does (hello → snapshot or delta; pushed deltas applied with fast-json-patch; a gap asks again),
// plus `waitFor`, which resolves when the view satisfies a predicate and fails the test on timeout.
import jsonPatch, { type Operation } from 'fast-json-patch';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { Ack, Command, Query, QueryAnswer, SyncMessage } from '../../shared/protocol';

export type ClientAuth = { token: string } | { statusToken: string } | Record<string, unknown>;

const ackTimeoutMs = 5_000;
const defaultWaitMs = 5_000;

let counter = 0;
/** A fresh, valid commandId (the protocol wants 8–64 characters of [A-Za-z0-9_-]). */
export function newCommandId(prefix = 'cmd'): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'commandId'> & { commandId?: string } : never) : never;

export class TestClient<V = any> {
  readonly socket: Socket;
  view: V | null = null;
  seq: number | null = null;
  nightId: string | null = null;
  /** Every `sync` the server pushed, in arrival order. */
  readonly pushed: SyncMessage[] = [];
  /** Every message applied to the replica (hello answers and pushes). */
  readonly applied: SyncMessage[] = [];
  /** Pushed deltas that did not follow on from our seq (each triggers a new hello, as in the browser). */
  gaps = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly url: string, auth: ClientAuth, options: Partial<ManagerOptions & SocketOptions> = {}) {
    this.socket = io(url, {
      transports: ['websocket'], auth, forceNew: true, reconnection: false, autoConnect: false, ...options,
    });
    this.socket.on('sync', (message: SyncMessage) => {
      this.pushed.push(message);
      this.apply(message, true);
    });
  }

  /** Connects and says hello with nothing remembered; resolves with the first sync message. */
  static async open<V = any>(url: string, auth: ClientAuth): Promise<TestClient<V>> {
    const client = new TestClient<V>(url, auth);
    await client.connect();
    await client.hello();
    return client;
  }

  /** Resolves on `connect`; rejects with the server's reason on `connect_error`. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onConnect = () => { cleanup(); resolve(); };
      const onError = (err: Error) => { cleanup(); reject(err); };
      const cleanup = () => {
        this.socket.off('connect', onConnect);
        this.socket.off('connect_error', onError);
      };
      this.socket.once('connect', onConnect);
      this.socket.once('connect_error', onError);
      this.socket.connect();
    });
  }

  /** Drops the connection and resolves once the client knows it is gone. */
  disconnect(): Promise<void> {
    if (!this.socket.connected) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('disconnect', () => resolve());
      this.socket.disconnect();
    });
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }

  /** Says hello with what the replica holds (or what the test passes) and applies the answer. */
  async hello(hello: { nightId: string | null; lastSeq: number | null } = { nightId: this.nightId, lastSeq: this.seq }): Promise<SyncMessage> {
    const message = (await this.socket.timeout(ackTimeoutMs).emitWithAck('hello', hello)) as SyncMessage;
    // A push crossed this hello (the night moved on while it was in flight, so the answer starts from
    // the seq we said, not the one we now hold): say hello again, as the app's sync client does.
    if (message.kind === 'delta' && message.nightId === this.nightId && message.fromSeq === hello.lastSeq && this.seq !== hello.lastSeq && message.seq !== this.seq) {
      return this.hello();
    }
    this.apply(message, false);
    return message;
  }

  /**
   * Resolves once the replica shows everything committed so far. (A client's seq is when its own
   * view last changed, not the night's seq, so "seq === server seq" is no test of being up to date.)
   * The server answers a hello after every push it sent this socket before, with what is committed now.
   */
  async caughtUp(): Promise<V> {
    await this.hello();
    return this.view!;
  }

  async command(command: CommandInput): Promise<Ack> {
    const payload = { commandId: newCommandId(), ...command };
    return (await this.socket.timeout(ackTimeoutMs).emitWithAck('command', payload)) as Ack;
  }

  /** Sends anything as a command, to test what the server does with malformed payloads. */
  async rawCommand(payload: unknown): Promise<Ack> {
    return (await this.socket.timeout(ackTimeoutMs).emitWithAck('command', payload)) as Ack;
  }

  async query<T = any>(query: Query): Promise<QueryAnswer<T>> {
    return (await this.socket.timeout(ackTimeoutMs).emitWithAck('query', query)) as QueryAnswer<T>;
  }

  /** Resolves with the view as soon as `predicate(view)` holds; rejects (failing the test) after the timeout. */
  waitFor(predicate: (view: V) => boolean, what: string, timeoutMs = defaultWaitMs): Promise<V> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.view === null) return false;
        let ok = false;
        try { ok = predicate(this.view); } catch { ok = false; }
        if (ok) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(this.view);
        }
        return ok;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for: ${what} (seq ${this.seq}, view ${JSON.stringify(this.view)?.slice(0, 600)})`));
      }, timeoutMs);
      if (!check()) this.listeners.add(check);
    });
  }

  private apply(message: SyncMessage, pushed: boolean): void {
    this.applied.push(message);
    if (message.kind === 'snapshot') {
      this.view = message.view as V;
    } else {
      // A hello answer that a push just ahead of it already brought.
      if (!pushed && message.nightId === this.nightId && message.seq === this.seq && this.view !== null) return;
      if (message.nightId !== this.nightId || message.fromSeq !== this.seq || this.view === null) {
        if (pushed) {
          this.gaps++;
          if (this.socket.connected) void this.hello().catch(() => undefined);
          return;
        }
        throw new Error(`A hello answer did not follow on from seq ${this.seq}: ${JSON.stringify(message)}`);
      }
      if (message.patch.length) {
        this.view = jsonPatch.applyPatch(this.view, message.patch as Operation[], false, false).newDocument as V;
      }
    }
    this.nightId = message.nightId;
    this.seq = message.seq;
    for (const listener of [...this.listeners]) listener();
  }
}
