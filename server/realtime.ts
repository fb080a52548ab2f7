// The Socket.IO side: authenticate each connection once, then run every message through the one
// pipeline: validate (zod) → authorise (role, scope) → de-duplicate → decide → journal → evolve →
// acknowledge → send each role's screens the change to what they may see.
import jsonPatch from 'fast-json-patch';
import { parse as parseCookies } from 'cookie';
import type { Server, Socket } from 'socket.io';
import { authorize } from '../shared/domain/authorize';
import { createHash, randomBytes } from 'node:crypto';
import { familyDetails, findFamilies } from '../shared/domain/kiosk';
import { buildKioskDirectory } from '../shared/domain/kiosk-directory';
import type { NightState } from '../shared/domain/state';
import { viewFor, type View } from '../shared/domain/projections';
import { nightReport } from '../shared/domain/report';
import { deviceIds } from '../shared/domain/state';
import {
  commandSchema, helloSchema, querySchema,
  type Ack, type Actor, type CommandResult, type FirstStop, type KioskPresence, type PatchOperation, type QueryAnswer, type Role, type SyncMessage,
} from '../shared/protocol';
import { sessionCookieName, type Credentials } from './credentials';
import type { NightHost } from './night-host';
import type { z } from 'zod';

/** Everyone who shares one view (a teacher's two tabs, three lobby TVs) shares one audience. */
interface Audience {
  actor: Actor;
  view: View | null;
  /** The seq at which `view` last changed: what the audience's clients hold. */
  seq: number;
  /** Recent changes, so that a client back from a short drop gets a delta, not the whole view. */
  history: { fromSeq: number; seq: number; patch: PatchOperation[] }[];
  sockets: number;
}

const historyLength = 50;



/**
 * Per-connection flood limit: a token bucket (messages per second, burst), and a socket that keeps
 * going over it (more than `disconnectAfter` refusals within `windowMs`) is disconnected. Every
 * message counts — hello, command and query alike — before any parsing or validation.
 */
export interface RateLimit { perSecond: number; burst: number; disconnectAfter: number; windowMs: number }
export const defaultRateLimit: RateLimit = { perSecond: 20, burst: 40, disconnectAfter: 100, windowMs: 10_000 };

export interface RealtimeOptions {
  rateLimit?: RateLimit | false;
  /** Whether this process can save (a shared store it can reach); connections are refused while not. */
  available?: () => boolean;
}

class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private refusals = 0;
  private windowStart = 0;
  constructor(private readonly limit: RateLimit) { this.tokens = limit.burst; }

  /** 'ok', 'refuse' (answer rate_limited) or 'disconnect' (a sustained flood). */
  take(): 'ok' | 'refuse' | 'disconnect' {
    const now = performance.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens--;
      return 'ok';
    }
    if (now - this.windowStart > this.limit.windowMs) { this.windowStart = now; this.refusals = 0; }
    return ++this.refusals > this.limit.disconnectAfter ? 'disconnect' : 'refuse';
  }
}

const rateLimited = { ok: false, code: 'rate_limited', message: 'Too many requests; please slow down.' } as const;
const roles: Role[] = ['kiosk', 'teacher', 'coordinator', 'board', 'staff', 'family'];

export const audienceKey = (actor: Actor) => `${actor.role}:${actor.id}`;

/** What the rest of the server may ask of the live connections. */
export interface Realtime {
  /** Every screen has been sent every change committed so far (nothing waiting to fan out). */
  fannedOut(): boolean;
}

export function attachRealtime(io: Server, host: NightHost, credentials: Credentials, clock: () => number, options: RealtimeOptions = {}): Realtime {
  const audiences = new Map<string, Audience>();
  if (host.committed.walkIns) credentials.knowFamilies(Object.keys(host.committed.walkIns));
  const rateLimit = options.rateLimit === undefined ? defaultRateLimit : options.rateLimit;
  const floodWarned = new Map<string, number>();

  io.use((socket, next) => {
    // The client moves on to its next server address.
    if (options.available && !options.available()) return next(new Error('unavailable'));
    const actor = authenticate(socket, credentials);
    if (!actor) return next(new Error('unauthorized'));
    socket.data.actor = actor;
    next();
  });

  /** Brings the audience's view up to the committed state; returns the change, if there was one to send. */
  const refresh = (audience: Audience): Audience['history'][number] | null => {
    const view = viewFor(host.committed, audience.actor);
    if (audience.view === null) {
      // First look: its clients get the whole view in answer to their hello.
      audience.view = view;
      audience.seq = host.committedSeq;
      return null;
    }
    const patch = jsonPatch.compare(audience.view, view ?? {}) as PatchOperation[];
    if (!patch.length) return null;
    const change = { fromSeq: audience.seq, seq: host.committedSeq, patch };
    audience.history.push(change);
    if (audience.history.length > historyLength) audience.history.shift();
    audience.view = view;
    audience.seq = host.committedSeq;
    return change;
  };

  const syncFor = (socket: Socket, key: string, audience: Audience, nightId: string | null, lastSeq: number | null): SyncMessage => {
    // A change not sent yet goes to the audience's other sockets too, so that none of them misses it.
    const change = refresh(audience);
    if (change) io.local.to(key).except(socket.id).emit('sync', { kind: 'delta', nightId: host.nightId, ...change } satisfies SyncMessage);
    if (nightId === host.nightId && lastSeq !== null) {
      if (lastSeq === audience.seq) return { kind: 'delta', nightId, fromSeq: lastSeq, seq: lastSeq, patch: [] };
      const from = audience.history.findIndex((h) => h.fromSeq === lastSeq);
      if (from >= 0) {
        return { kind: 'delta', nightId, fromSeq: lastSeq, seq: audience.seq, patch: audience.history.slice(from).flatMap((h) => h.patch) };
      }
    }
    // Too far behind, ahead (a restarted server), or another night: the whole view.
    return { kind: 'snapshot', nightId: host.nightId, seq: audience.seq, view: audience.view };
  };

  // Which kiosks are connected: not part of the night (nothing to journal), pushed to the coordinator
  // as it changes. A kiosk seen tonight and gone since is an alert on the coordinator's page.
  // With several processes a kiosk may be connected to another one: fetchSockets asks them all
  // (through the Redis adapter); while Redis is away the answer is this process's own sockets.
  const kioskSeenAt = new Map<string, number>();
  const kioskOnline = async (id: string) => {
    const key = audienceKey({ role: 'kiosk', id });
    try {
      return (await io.in(key).fetchSockets()).length > 0;
    } catch {
      return (audiences.get(key)?.sockets ?? 0) > 0;
    }
  };
  const kiosks = async (): Promise<KioskPresence[]> => Promise.all(deviceIds.kiosk.map(async (id) => ({
    id, online: await kioskOnline(id), seenAt: kioskSeenAt.get(id) ?? null,
  })));
  // Told to the coordinator screens of every process (through the adapter): a kiosk on this process
  // that comes or goes is news to a coordinator connected elsewhere. Each process knows when its own
  // kiosks were last seen; the coordinator's page keeps the latest it has heard of each.
  const kioskPresenceChanged = () => void kiosks().then((list) => io.to(audienceKey({ role: 'coordinator', id: 'C1' })).emit('kiosks', list));

  // Sending every screen its change costs a projection per audience (the engine's forecast, once
  // per state, included). Under load, commits that come close together share one fan-out; it runs
  // in slices with the event loop free in between (commands keep being acknowledged), and takes at
  // most about half the process's time.
  const sliceMs = 2;
  let fanOutPending = false;
  let fanOutRunning = false;
  let nextFanOutAt = 0;
  const send = (key: string, change: Audience['history'][number]) => {
    // Local: every process computes the deltas of its own sockets from the same log.
    io.local.to(key).emit('sync', { kind: 'delta', nightId: host.nightId, ...change } satisfies SyncMessage);
  };
  const scheduleFanOut = () => {
    if (fanOutRunning || !fanOutPending) return;
    const wait = nextFanOutAt - performance.now();
    if (wait > 1) setTimeout(fanOut, wait);
    else setImmediate(fanOut);
    fanOutRunning = true;
  };
  const fanOut = () => {
    fanOutPending = false;
    // Staff screens first (a teacher waits for the family that just checked in), then the many family pages.
    const order = [...audiences].filter(([, a]) => a.actor.role !== 'family').concat([...audiences].filter(([, a]) => a.actor.role === 'family'));
    let next = 0;
    let busy = 0;
    const slice = () => {
      const started = performance.now();
      while (next < order.length && performance.now() - started < sliceMs) {
        const [key, audience] = order[next++];
        if (audience.sockets === 0) continue;
        const change = refresh(audience);
        if (change) send(key, change);
      }
      busy += performance.now() - started;
      if (next < order.length) return void setImmediate(slice);
      fanOutRunning = false;
      nextFanOutAt = performance.now() + busy;
      scheduleFanOut();
    };
    slice();
  };
  host.on('commit', () => {
    // Walk-ins registered tonight (also those replayed from the journal) get their status token.
    if (host.committed.walkIns) credentials.knowFamilies(Object.keys(host.committed.walkIns));
    // A revoked sign-in: its secret changed, so its sockets are disconnected and cannot come back.
    if (host.committed.setup) credentials.useSetup(host.committed.setup);
    for (const key of credentials.sync(host.committed.signInVersions)) io.in(key).disconnectSockets(true);
    fanOutPending = true;
    scheduleFanOut();
  });

  io.on('connection', (socket) => {
    const actor = socket.data.actor as Actor;
    const key = audienceKey(actor);
    let audience = audiences.get(key);
    if (!audience) audiences.set(key, (audience = { actor, view: null, seq: 0, history: [], sockets: 0 }));
    audience.sockets++;
    void socket.join(key);
    const isKiosk = actor.role === 'kiosk';
    if (isKiosk) { kioskSeenAt.set(actor.id, clock()); kioskPresenceChanged(); }
    socket.on('disconnect', () => {
      audience.sockets--;
      if (isKiosk) { kioskSeenAt.set(actor.id, clock()); kioskPresenceChanged(); }
    });

    if (rateLimit) {
      const bucket = new TokenBucket(rateLimit);
      // Runs before the handlers below: a message over the limit is answered and goes no further.
      socket.use((packet, next) => {
        const [event] = packet;
        const ack = packet.at(-1);
        const verdict = bucket.take();
        if (verdict === 'ok') return next();
        if (verdict === 'disconnect') {
          if (!socket.connected) return;
          // One line per sign-in and minute, whatever the flood (ids only, never a secret).
          const now = Date.now();
          if (now - (floodWarned.get(key) ?? 0) > 60_000) {
            floodWarned.set(key, now);
            console.warn(`Disconnected ${key}: it kept sending more than ${rateLimit.perSecond} messages a second (last: ${String(event).slice(0, 20)}).`);
          }
          socket.disconnect(true);
          return;
        }
        if (typeof ack === 'function') (ack as (a: unknown) => void)(rateLimited);
      });
    }

    socket.on('hello', (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const hello = helloSchema.safeParse(payload);
      if (!hello.success) return ack(invalid(hello.error));
      ack(syncFor(socket, key, audience, hello.data.nightId, hello.data.lastSeq));
    });

    socket.on('command', async (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (a: Ack) => void;
      const parsed = commandSchema.safeParse(payload);
      if (!parsed.success) return reply(invalid(parsed.error));
      const command = parsed.data;
      const refusal = authorize(host.committed, command, actor);
      if (refusal) return reply(refusal);
      const answer = await host.submit(command, actor, clock());
      if ((command.type === 'checkIn' || command.type === 'registerWalkIn') && (answer.ok || answer.code === 'already_checked_in')) {
        // The kiosk hands the family their status link; it is made here, never stored in the journal.
        credentials.knowFamilies([command.familyId]);
        answer.result = {
          statusToken: credentials.statusTokenFor(command.familyId),
          ticket: host.committed.checkIns[command.familyId]?.ticket,
        };
      }
      reply(answer);
      if ((command.type === 'checkIn' || command.type === 'registerWalkIn') && answer.ok && !answer.duplicate) {
        // The estimates the family's page shows now are kept, after the kiosk has its answer: the
        // engine's forecast is never on a check-in's path.
        void host.submit({ type: 'promiseEstimates', commandId: `promise-${host.epoch}-${command.familyId}`, familyId: command.familyId }, { role: 'system', id: 'engine' }, clock());
      }
    });

    socket.on('query', (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (a: QueryAnswer) => void;
      const parsed = querySchema.safeParse(payload);
      if (!parsed.success) return reply(invalid(parsed.error));
      const query = parsed.data;
      if (query.type === 'signInLinks') {
        if (actor.role !== 'coordinator') return reply({ ok: false, code: 'forbidden', message: 'Only the coordinator can see sign-in links.' });
        return reply({ ok: true, data: credentials.links.map((l) => ({ role: l.actor.role, id: l.actor.id, label: l.label, secret: l.secret, code: l.code })) });
      }
      if (query.type === 'auditLog') {
        if (actor.role !== 'coordinator') return reply({ ok: false, code: 'forbidden', message: 'Only the coordinator can read the audit log.' });
        return reply({ ok: true, data: host.auditLog });
      }
      if (query.type === 'nightReport') {
        if (actor.role !== 'coordinator') return reply({ ok: false, code: 'forbidden', message: 'Only the coordinator can read the report.' });
        return reply({ ok: true, data: nightReport(host.committed) });
      }
      if (query.type === 'kiosks') {
        if (actor.role !== 'coordinator') return reply({ ok: false, code: 'forbidden', message: 'Only the coordinator can see the kiosks.' });
        return void kiosks().then((data) => reply({ ok: true, data }));
      }
      if (actor.role !== 'kiosk' && actor.role !== 'coordinator') {
        return reply({ ok: false, code: 'forbidden', message: 'Only the front desk can look families up.' });
      }
      if (query.type === 'findFamilies') return reply({ ok: true, data: findFamilies(host.committed, query.text) });
      if (query.type === 'firstStop') {
        const stop = firstStopOf(host.committed, query.familyId);
        return reply(stop ? { ok: true, data: stop } : { ok: false, code: 'not_found', message: 'That family is not checked in.' });
      }
      if (query.type === 'kioskDirectory') return reply({ ok: true, data: buildKioskDirectory(host.committed, (n) => randomBytes(n).toString('hex'), (data) => createHash('sha256').update(data).digest()) });
      if (query.type !== 'familyDetails') return;
      const details = familyDetails(host.committed, query.familyId);
      reply(details ? { ok: true, data: details } : { ok: false, code: 'not_found', message: 'We could not find that family.' });
    });
  });
  return { fannedOut: () => !fanOutPending && !fanOutRunning };
}

/** Where a family just checked in goes first: the conference called or expected to start soonest. */
function firstStopOf(state: NightState, familyId: string): FirstStop | undefined {
  const view = viewFor(state, { role: 'family', id: familyId });
  if (view?.role !== 'family') return undefined;
  const open = view.visits.filter((v) => v.status === 'waiting' || v.status === 'called');
  const first = open.find((v) => v.status === 'called')
    ?? [...open].sort((a, b) => (a.estimatedStart ?? Infinity) - (b.estimatedStart ?? Infinity))[0];
  return first ? { teacherName: first.teacherName, roomName: first.roomName, estimatedStart: first.estimatedStart, called: first.status === 'called' } : undefined;
}

function authenticate(socket: Socket, credentials: Credentials): Actor | null {
  const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
  if (typeof auth.statusToken === 'string') {
    const familyId = credentials.familyForStatusToken(auth.statusToken);
    return familyId ? { role: 'family', id: familyId } : null;
  }
  // Programs (the simulator's bots, tests) present the sign-in secret itself.
  if (typeof auth.token === 'string') return credentials.actorForSecret(auth.token);
  // Browsers present the HttpOnly cookie that their sign-in link set for the role the page is for.
  if (typeof auth.role === 'string' && roles.includes(auth.role as Role)) {
    const secret = parseCookies(socket.handshake.headers.cookie ?? '')[sessionCookieName(auth.role as Role)];
    const actor = secret ? credentials.actorForSecret(secret) : null;
    return actor?.role === auth.role ? actor : null;
  }
  return null;
}

function invalid(error: z.ZodError): { ok: false; code: 'invalid'; message: string } {
  const first = error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  // Never echo much of what was sent (a 500-character key, a huge string): a short reason is enough.
  const reason = `${where}${first?.message ?? 'invalid'}`;
  return { ok: false, code: 'invalid', message: `The request was not understood (${reason.length > 120 ? `${reason.slice(0, 120)}…` : reason}).` };
}
