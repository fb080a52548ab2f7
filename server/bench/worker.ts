// One process of the load test's clients: it holds hundreds or thousands of real Socket.IO
// connections (family pages, teachers, kiosks, …) and does what the orchestrator (load.ts) asks over
// IPC: connect, play kiosks and teachers, listen, and report what it measured.
// Times are epoch milliseconds with sub-millisecond precision, comparable between processes.
import { io, type Socket } from 'socket.io-client';
import type { TeacherView } from '../../shared/domain/projections';
import type { Ack } from '../../shared/protocol';
import { applySync, emptyReplica, type Replica } from '../../shared/sync';

export interface Conn { url: string; auth: Record<string, string>; role: string; id: string }
export type WorkerRequest =
  | { cmd: 'connect'; conns: Conn[]; raw: boolean }
  | { cmd: 'rawPing'; count: number; spacingMs?: number }
  | { cmd: 'rawBroadcast'; count: number; spacingMs: number; bytes: number }
  | { cmd: 'checkIns'; schedule: { atMs: number; familyId: string }[] }
  | { cmd: 'checkInsFlat'; familyIds: string[]; concurrency: number }
  | { cmd: 'teachers'; speed: number; conferenceMinutes: number }
  | { cmd: 'stopTeachers' }
  | { cmd: 'collect' }
  | { cmd: 'verify' }
  | { cmd: 'quiet'; ms: number; timeoutMs: number }
  | { cmd: 'close' };

export interface Collected {
  acks: number[];
  /** Acknowledgement latencies of check-ins only (the kiosk's command). */
  checkInAcks: number[];
  refused: Record<string, number>;
  sent: [string, number][];
  seen: [string, number][];
  raw: number[];
  syncs: number;
  /** Pushed deltas that did not follow on from the replica (a missed update): should stay 0. */
  gaps: number;
}

const now = () => performance.timeOrigin + performance.now();

interface Client { socket: Socket; conn: Conn; replica: Replica<any>; seenVisits: Set<string> }

let clients: Client[] = [];
let collected: Collected = fresh();
let teachersOn = false;
let lastSyncAt = 0;
function fresh(): Collected { return { acks: [], checkInAcks: [], refused: {}, sent: [], seen: [], raw: [], syncs: 0, gaps: 0 }; }

const reply = (message: unknown) => process.send!(message);

process.on('message', (request: WorkerRequest) => {
  void handle(request).then(reply, (e: Error) => reply({ error: e.stack ?? e.message }));
});

async function handle(r: WorkerRequest): Promise<unknown> {
  switch (r.cmd) {
    case 'connect': return connectAll(r.conns, r.raw);
    case 'rawPing': {
      const socket = clients[0].socket;
      const out: number[] = [];
      for (let i = 0; i < r.count; i++) {
        const t0 = performance.now();
        await socket.emitWithAck('ping');
        out.push(performance.now() - t0);
        if (r.spacingMs) await new Promise((resolve) => setTimeout(resolve, r.spacingMs));
      }
      return out;
    }
    case 'rawBroadcast': {
      const pad = 'x'.repeat(r.bytes);
      for (let i = 0; i < r.count; i++) {
        clients[0].socket.emit('broadcast', { t: now(), pad });
        await new Promise((resolve) => setTimeout(resolve, r.spacingMs));
      }
      return true;
    }
    case 'checkIns': {
      const kiosks = clients.filter((c) => c.conn.role === 'kiosk');
      const start = performance.now();
      await Promise.all(r.schedule.map(async ({ atMs, familyId }, i) => {
        const wait = start + atMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await send(kiosks[i % kiosks.length], { type: 'checkIn', familyId }, familyId);
      }));
      return true;
    }
    case 'checkInsFlat': {
      const kiosks = clients.filter((c) => c.conn.role === 'kiosk');
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: r.concurrency }, async (_, lane) => {
        while (next < r.familyIds.length) {
          const familyId = r.familyIds[next++];
          await send(kiosks[lane % kiosks.length], { type: 'checkIn', familyId }, familyId);
        }
      }));
      return performance.now() - t0;
    }
    case 'teachers':
      teachersOn = true;
      for (const c of clients.filter((x) => x.conn.role === 'teacher')) teacherStep(c, r.speed, r.conferenceMinutes);
      return true;
    case 'stopTeachers':
      teachersOn = false;
      return true;
    case 'collect': {
      const out = collected;
      collected = fresh();
      return out;
    }
    case 'verify': return verify();
    case 'quiet': {
      // Resolves once no update has arrived for `ms` (the server has sent everything it had).
      const deadline = performance.now() + r.timeoutMs;
      while (performance.now() - lastSyncAt < r.ms && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return performance.now() < deadline;
    }
    case 'close':
      for (const c of clients) c.socket.close();
      clients = [];
      setTimeout(() => process.exit(0), 50);
      return true;
  }
}

async function send(client: Client, command: Record<string, unknown>, familyId?: string): Promise<Ack | null> {
  const commandId = `bench-${process.pid}-${Math.random().toString(36).slice(2, 12)}`;
  const t0 = now();
  if (familyId) collected.sent.push([familyId, t0]);
  try {
    const ack = (await client.socket.timeout(30_000).emitWithAck('command', { ...command, commandId })) as Ack;
    collected.acks.push(now() - t0);
    if (command.type === 'checkIn') collected.checkInAcks.push(now() - t0);
    if (!ack.ok) collected.refused[ack.code] = (collected.refused[ack.code] ?? 0) + 1;
    return ack;
  } catch {
    collected.refused.noAnswer = (collected.refused.noAnswer ?? 0) + 1;
    return null;
  }
}

async function connectAll(conns: Conn[], raw: boolean): Promise<number> {
  const batch = 100;
  for (let i = 0; i < conns.length; i += batch) {
    await Promise.all(conns.slice(i, i + batch).map((conn) => open(conn, raw)));
  }
  return clients.length;
}

function open(conn: Conn, raw: boolean): Promise<void> {
  const socket = io(conn.url, { transports: ['websocket'], auth: conn.auth, forceNew: true, reconnection: false });
  const client: Client = { socket, conn, replica: emptyReplica, seenVisits: new Set() };
  clients.push(client);
  if (raw) {
    socket.on('b', (m: { t: number }) => { collected.raw.push(now() - m.t); });
  } else {
    socket.on('sync', (m: unknown) => {
      collected.syncs++;
      lastSyncAt = performance.now();
      apply(client, m);
    });
  }
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () => {
      if (raw) return resolve();
      socket.timeout(60_000).emitWithAck('hello', { nightId: null, lastSeq: null }).then((m: unknown) => { apply(client, m); resolve(); }, reject);
    });
  });
}

function apply(client: Client, message: unknown): void {
  const outcome = applySync(client.replica, message);
  if (!outcome.ok) {
    if (outcome.reason === 'gap') {
      collected.gaps++;
      void client.socket.timeout(60_000).emitWithAck('hello', { nightId: client.replica.nightId, lastSeq: client.replica.seq }).then((m: unknown) => apply(client, m), () => undefined);
    }
    return;
  }
  client.replica = outcome.replica;
  if (client.conn.role === 'teacher') {
    const view = client.replica.view as TeacherView;
    const t = now();
    for (const entry of [...view.line, view.called, view.conference]) {
      if (!entry || client.seenVisits.has(entry.visitId)) continue;
      client.seenVisits.add(entry.visitId);
      collected.seen.push([entry.visitId.split(':')[0], t]);
    }
    if (teachersOn) teacherStep(client, 0, 0);
  }
}

/** A teacher at work: call the next family, start when they are there, end after the conference. */
const teacherBusy = new Map<Client, boolean>();
let teacherSpeed = 10;
let teacherMinutes = 8;
function teacherStep(client: Client, speed: number, minutes: number): void {
  if (speed) { teacherSpeed = speed; teacherMinutes = minutes; }
  if (teacherBusy.get(client)) return;
  const view = client.replica.view as TeacherView | null;
  if (!view) return;
  const teacherId = client.conn.id;
  let action: Promise<Ack | null> | null = null;
  if (view.conference) {
    const visitId = view.conference.visitId;
    const ms = (teacherMinutes * 60_000 * (0.6 + Math.random() * 0.8)) / teacherSpeed;
    action = new Promise((resolve) => setTimeout(resolve, ms)).then(() => send(client, { type: 'endConference', visitId }));
  } else if (view.called) {
    action = send(client, { type: 'startConference', visitId: view.called.visitId });
  } else if (view.line.some((e) => e.status === 'waiting')) {
    action = send(client, { type: 'callFamily', teacherId });
  }
  if (!action) return;
  teacherBusy.set(client, true);
  void action.then((ack) => {
    teacherBusy.set(client, false);
    // Refused (nobody can come now): wait for the screen to change, as a teacher would.
    if (teachersOn && ack?.ok) setTimeout(() => teacherStep(client, 0, 0), 10);
  });
}

/** How many replicas hold the server's view now: each says hello and compares the answer's seq. */
async function verify(): Promise<{ upToDate: number; total: number }> {
  let upToDate = 0;
  await Promise.all(clients.map(async (c) => {
    try {
      const answer = (await c.socket.timeout(60_000).emitWithAck('hello', { nightId: c.replica.nightId, lastSeq: c.replica.seq })) as { kind: string; patch?: unknown[]; seq: number };
      // The server sends every pending push before this answer: up to date means they brought us to its seq.
      if (answer.kind === 'delta' && answer.seq === c.replica.seq) upToDate++;
    } catch { /* counted as not up to date */ }
  }));
  return { upToDate, total: clients.length };
}
