// How a client's replica of its role's view follows the server: one pure step per sync message,
// shared by the browser's sync client and the rehearsal's bots so both read the protocol alike.
import jsonPatch, { type Operation } from 'fast-json-patch';
import { syncMessageSchema } from './protocol';

export interface Replica<V> { view: V | null; seq: number | null; nightId: string | null }
export const emptyReplica = { view: null, seq: null, nightId: null } as const;

/**
 * The replica after one message from the server, or why it cannot be applied: `malformed` (ignore
 * it) or `gap` (a delta that does not follow on from our seq: say hello again rather than guess).
 */
export function applySync<V>(replica: Replica<V>, raw: unknown): { ok: true; replica: Replica<V> } | { ok: false; reason: 'malformed' | 'gap' } {
  const parsed = syncMessageSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const message = parsed.data;
  if (message.kind === 'snapshot') return { ok: true, replica: { view: message.view as V, seq: message.seq, nightId: message.nightId } };
  if (message.nightId !== replica.nightId || message.fromSeq !== replica.seq || replica.view === null) return { ok: false, reason: 'gap' };
  const view = message.patch.length ? jsonPatch.applyPatch(replica.view, message.patch as Operation[], false, false).newDocument : replica.view;
  return { ok: true, replica: { view, seq: message.seq, nightId: message.nightId } };
}
