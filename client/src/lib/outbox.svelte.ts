// Check-ins the kiosk took while offline, kept with their commandIds in the browser's storage so that
// a reload loses none, and sent in order when the connection returns. The server applies a commandId
// once, so a check-in sent twice (its answer lost on the way) is still one check-in. Only ids and
// choices are stored, never a name.
import type { Ack, Command } from '../../../shared/protocol';
import type { ConnectionState } from './sync.svelte';

export type QueuedCheckIn = Extract<Command, { type: 'checkIn' }>;
type Sender = { readonly connection: ConnectionState; send(command: Omit<QueuedCheckIn, 'commandId'>, commandId: string): Promise<Ack> };

const storageKey = 'conference-night:kiosk-outbox';

function load(): QueuedCheckIn[] {
  try {
    const items: unknown = JSON.parse(localStorage.getItem(storageKey) ?? '[]');
    return Array.isArray(items) ? (items as QueuedCheckIn[]) : [];
  } catch {
    return [];
  }
}

export class Outbox {
  #items = $state<QueuedCheckIn[]>(load());
  #flushing = false;
  constructor(private readonly sync: Sender) {}

  get size(): number { return this.#items.length; }

  add(command: QueuedCheckIn): void {
    if (this.#items.some((c) => c.commandId === command.commandId)) return;
    this.#set([...this.#items, command]);
  }

  /** Sends what is queued, oldest first; stops (keeping the rest) as soon as the server cannot be reached. */
  async flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#items.length && this.sync.connection === 'online') {
        const { commandId, ...command } = this.#items[0];
        const ack = await this.sync.send(command, commandId);
        if (!ack.ok && (ack.code === 'unavailable' || ack.code === 'rate_limited')) break;
        // Applied, or refused for good (checked in meanwhile at the other kiosk): either way, done.
        this.#set(this.#items.filter((c) => c.commandId !== commandId));
      }
    } finally {
      this.#flushing = false;
    }
  }

  #set(items: QueuedCheckIn[]): void {
    this.#items = items;
    localStorage.setItem(storageKey, JSON.stringify(items));
  }
}
