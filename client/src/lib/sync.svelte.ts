// The one sync client every page uses. It holds the replica of this role's view, the connection
// state and the last seq; pages only read it and send commands through it.
// On every (re)connect it says `hello` with the seq it has; the server answers with the changes
// since then or with the whole view. A delta that does not follow on from our seq triggers a new hello.
// Given several server addresses, it moves to the next one when its server is gone or cannot save.
import { io, type Socket } from 'socket.io-client';
import type { z } from 'zod';
import { ackSchema, queryAnswerSchema, type Ack, type Command, type Query, type QueryAnswer, type Role } from '../../../shared/protocol';
import { applySync } from '../../../shared/sync';
import { t } from './i18n.svelte';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'signed-out';
type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'commandId'> : never) : never;

const offline = () => ({ ok: false as const, code: 'unavailable' as const, message: t('connection.noAnswer'), key: 'connection.noAnswer' });
const unreadable = () => ({ ok: false as const, code: 'invalid' as const, message: t('connection.unreadable'), key: 'connection.unreadable' });

export function newCommandId(): string {
  // crypto.randomUUID needs a secure context; a school network may serve plain http.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface SyncOptions {
  /** Browsers sign in with the HttpOnly cookie of their role; a family page with its status token. */
  auth: { role: Role } | { statusToken: string } | { token: string };
  /** The servers of this night, tried in turn (this page's own server when not given). */
  urls?: string[];
}

/** How long a client waits before it tries the next address (each process of a night is as good). */
const moveAfterMs = 250;

export class SyncClient<V> {
  #view = $state.raw<V | null>(null);
  #connection = $state<ConnectionState>('connecting');
  #seq: number | null = null;
  #nightId: string | null = null;
  #closed = false;
  #urls: string[];
  #address = 0;
  #socket!: Socket;
  /** Other server pushes a page listens to; attached again to each new socket (another address). */
  readonly #listeners = new Map<string, (payload: unknown) => void>();

  readonly #options: SyncOptions;

  constructor(options: SyncOptions) {
    this.#options = options;
    this.#urls = options.urls?.length ? options.urls : [''];
    this.#open();
  }

  #open(): void {
    // A connection attempt that hangs (a dead network, a socket closed before the handshake) is given
    // up after 5 s rather than Socket.IO's 20 s, so a kiosk is back within seconds of the network.
    const socket = io(this.#urls[this.#address], { transports: ['websocket'], auth: this.#options.auth, forceNew: this.#urls.length > 1, timeout: 5_000 });
    this.#socket = socket;
    for (const [event, listener] of this.#listeners) socket.on(event, listener);
    socket.on('connect', () => this.#hello());
    socket.on('disconnect', (reason) => {
      this.#connection = 'offline';
      if (reason === 'io client disconnect') return;
      // With several addresses, the next process takes over at once (this one may be gone for good).
      if (this.#urls.length > 1) return this.#moveOn();
      // Socket.IO does not retry a disconnect the server made (a revoked sign-in, a flood). Try once
      // more after a moment: a revoked sign-in is then refused ('unauthorized') and shows as signed out.
      if (reason === 'io server disconnect') setTimeout(() => { if (!this.#closed) socket.connect(); }, 1_000);
    });
    socket.on('connect_error', (err) => {
      this.#connection = err.message === 'unauthorized' ? 'signed-out' : 'offline';
      // An unauthorised socket is not retried by Socket.IO; nothing will change until a new sign-in.
      if (err.message !== 'unauthorized' && this.#urls.length > 1) this.#moveOn();
    });
    socket.on('sync', (message: unknown) => this.#apply(message));
  }

  #moveOn(): void {
    const from = this.#socket;
    from.removeAllListeners();
    from.close();
    setTimeout(() => {
      if (this.#closed || this.#socket !== from) return;
      this.#address = (this.#address + 1) % this.#urls.length;
      this.#open();
    }, moveAfterMs);
  }

  get view(): V | null { return this.#view; }
  get connection(): ConnectionState { return this.#connection; }
  get seq(): number | null { return this.#seq; }

  async #hello(): Promise<void> {
    try {
      const message: unknown = await this.#socket.timeout(10_000).emitWithAck('hello', { nightId: this.#nightId, lastSeq: this.#seq });
      if (this.#apply(message)) this.#connection = 'online';
    } catch {
      if (this.#socket.connected) void this.#hello();
    }
  }

  /** Applies a sync message; false (and, after a gap, a fresh hello) when it cannot be used. */
  #apply(raw: unknown): boolean {
    const outcome = applySync<V>({ view: this.#view, seq: this.#seq, nightId: this.#nightId }, raw);
    if (!outcome.ok) {
      if (outcome.reason === 'gap') void this.#hello(); // ask again rather than guess
      else console.error('Conference Night: a malformed sync message was ignored');
      return false;
    }
    ({ view: this.#view, seq: this.#seq, nightId: this.#nightId } = outcome.replica);
    return true;
  }

  /** Sends a command; resolves with the server's acknowledgement (or a clear offline error). */
  async send(command: CommandInput, commandId = newCommandId()): Promise<Ack> {
    try {
      const parsed = ackSchema.safeParse(await this.#socket.timeout(10_000).emitWithAck('command', { ...command, commandId }));
      return parsed.success ? parsed.data : unreadable();
    } catch {
      return offline();
    }
  }

  async query<T>(query: Query): Promise<QueryAnswer<T>> {
    try {
      const parsed = queryAnswerSchema.safeParse(await this.#socket.timeout(10_000).emitWithAck('query', query));
      return parsed.success ? (parsed.data as QueryAnswer<T>) : unreadable();
    } catch {
      return offline();
    }
  }

  /**
   * Listens to a server push other than the view's sync (validated like everything the server
   * sends: a malformed payload is ignored), on whichever server this client is connected to.
   * Returns the function that stops listening.
   */
  on<S extends z.ZodType>(event: string, schema: S, handler: (payload: z.infer<S>) => void): () => void {
    const listener = (payload: unknown) => {
      const parsed = schema.safeParse(payload);
      if (parsed.success) handler(parsed.data);
      else console.error(`Conference Night: a malformed '${event}' message was ignored`);
    };
    this.#listeners.set(event, listener);
    this.#socket.on(event, listener);
    return () => {
      this.#listeners.delete(event);
      this.#socket.off(event, listener);
    };
  }

  close(): void {
    this.#closed = true;
    this.#socket.close();
  }
}
