// A device that knows every server address of its night, as the browser's SyncClient does with
// `urls`: it follows its view with the shared sync step, moves to the next address when its server
// dies, refuses it or cannot save, and resends a command that got no answer with the same commandId
// (so the night applies it once, whichever process it reached first).
import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../shared/protocol';
import { applySync, emptyReplica, type Replica } from '../../shared/sync';
import type { ClientAuth } from './client';

const ackTimeoutMs = 3_000;
const moveAfterMs = 100;

export class FailoverClient<V = any> {
  replica: Replica<V> = emptyReplica;
  /** The address it is connected (and helloed) to, null while between servers. */
  connectedTo: string | null = null;
  /** Every address it has been connected to, in order. */
  readonly history: string[] = [];
  private socket: Socket | null = null;
  private address = 0;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly urls: string[], private readonly auth: ClientAuth) {}

  get view(): V | null {
    return this.replica.view;
  }

  /** Connects to the first address that takes it; resolves once its view is there. */
  async start(): Promise<this> {
    this.open();
    await this.until(() => this.connectedTo !== null, 'a first connection', 10_000);
    return this;
  }

  private open(): void {
    if (this.closed) return;
    const url = this.urls[this.address];
    const socket = io(url, { transports: ['websocket'], auth: this.auth, forceNew: true, reconnection: false });
    this.socket = socket;
    const moveOn = () => {
      if (this.socket !== socket) return;
      socket.removeAllListeners();
      socket.close();
      this.socket = null;
      this.connectedTo = null;
      this.notify();
      this.address = (this.address + 1) % this.urls.length;
      setTimeout(() => this.open(), moveAfterMs);
    };
    socket.on('connect_error', moveOn);
    socket.on('disconnect', moveOn);
    socket.on('sync', (message: unknown) => this.apply(message));
    socket.on('connect', async () => {
      try {
        await this.hello(socket);
        this.connectedTo = url;
        this.history.push(url);
        this.notify();
      } catch {
        moveOn();
      }
    });
  }

  private async hello(socket: Socket): Promise<void> {
    const answer: unknown = await socket.timeout(ackTimeoutMs).emitWithAck('hello', { nightId: this.replica.nightId, lastSeq: this.replica.seq });
    this.apply(answer);
  }

  private apply(raw: unknown): void {
    const outcome = applySync<V>(this.replica, raw);
    if (!outcome.ok) {
      if (outcome.reason === 'gap' && this.socket?.connected) void this.hello(this.socket).catch(() => undefined);
      return;
    }
    this.replica = outcome.replica;
    this.notify();
  }

  /**
   * Sends a command and resolves with its answer, moving between servers as needed: no answer, or
   * 'unavailable' (that server cannot save), and it is sent again, with the same commandId.
   */
  async command(payload: { commandId: string; type: string; [k: string]: unknown }, timeoutMs = 20_000): Promise<Ack> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`No server answered ${payload.commandId} within ${timeoutMs} ms`);
      await this.until(() => this.connectedTo !== null, 'a server to send to', Math.max(1, deadline - Date.now()));
      const socket = this.socket!;
      let ack: Ack;
      try {
        ack = (await socket.timeout(ackTimeoutMs).emitWithAck('command', payload)) as Ack;
      } catch {
        continue; // lost with its server
      }
      if (!ack.ok && ack.code === 'unavailable') {
        // That server cannot save: try the next one.
        if (this.socket === socket) socket.disconnect();
        continue;
      }
      return ack;
    }
  }

  /** Resolves once `predicate(view)` holds (checked on every change); fails after the timeout. */
  waitFor(predicate: (view: V) => boolean, what: string, timeoutMs = 10_000): Promise<V> {
    return this.until(() => this.view !== null && predicate(this.view), what, timeoutMs).then(() => this.view!);
  }

  private until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = () => {
        let ok = false;
        try { ok = check(); } catch { ok = false; }
        if (!ok) return;
        clearTimeout(timer);
        this.listeners.delete(test);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(test);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for: ${what} (on ${this.connectedTo}, seq ${this.replica.seq})`));
      }, timeoutMs);
      this.listeners.add(test);
      test();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  close(): void {
    this.closed = true;
    this.socket?.removeAllListeners();
    this.socket?.close();
  }
}
