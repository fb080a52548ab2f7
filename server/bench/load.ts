// npm run bench:load [-- --minutes 12 --district 5000 --workers 4 --only school|district]
//
// Plays conference nights at speed against the real server with real Socket.IO clients in separate
// processes, and measures a bare Socket.IO server on the same machine in the same run (an emit with
// acknowledgement; a broadcast to the same number of sockets), so the product's figures come out as
// ratios that hold on a noisy machine:
//   1. Roosevelt High at 10× speed on one process with the embedded journal (on disk before every
//      acknowledgement): a socket per family page, kiosks, teachers calling and holding conferences,
//      ambassadors, coordinators, boards; arrivals from the bundle's arrivals.csv.
//   2. A district-sized night, 5,000 sockets, on one process and on two sharing a redis-server
//      (append-only file synced on every write): a steady stream of check-ins, then as many as the
//      processes take (capacity).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundleDir } from '../bundle-files';
import type { Conn, Collected, WorkerRequest } from './worker';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const rooseveltDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'roosevelt-high');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '12' },
    district: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '4' },
    bundle: { type: 'string', default: rooseveltDir },
    only: { type: 'string' },
  },
});
const speed = 10;
const nightMinutes = Number(args.minutes);
const districtSockets = Number(args.district);
const workerCount = Number(args.workers);

// ---------- processes ----------

type Child = ChildProcess & { request<T>(message: unknown): Promise<T> };

/** A TypeScript child with IPC; `request` sends a message and resolves with its next answer. */
function child(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ proc: Child; hello: any }> {
  // BENCH_CPU_PROF=dir: each server process writes a CPU profile there when it stops (node --cpu-prof).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc = withRequests(fork(path.join(here, file), [], {
    execArgv: ['--expose-gc', ...profile, '--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  }));
  return new Promise((resolve, reject) => {
    proc.once('message', (hello) => resolve({ proc, hello }));
    proc.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready`)));
  });
}

const children: ChildProcess[] = [];
async function spawnChild(file: string, env: NodeJS.ProcessEnv = {}) {
  const c = await child(file, env);
  children.push(c.proc);
  return c;
}

/** One request at a time per child, each answered by its next message. */
function withRequests(proc: ChildProcess): Child {
  const c = proc as Child;
  let queue = Promise.resolve();
  c.request = <T>(message: unknown) => {
    const answer = queue.then(() => new Promise<T>((resolve, reject) => {
      c.once('message', (m: any) => (m?.error ? reject(new Error(m.error)) : resolve(m as T)));
      c.send(message as object);
    }));
    queue = answer.then(() => undefined, () => undefined);
    return answer;
  };
  return c;
}

/** The client processes (they answer requests only; no hello). */
function plainWorkers(n: number): Child[] {
  return Array.from({ length: n }, () => {
    const proc = withRequests(fork(path.join(here, 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    children.push(proc);
    return proc;
  });
}

const ask = <T>(w: Child, r: WorkerRequest) => w.request<T>(r);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'conference-night-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('Ready to accept')) resolve(); });
    proc.once('exit', () => reject(new Error(`redis-server did not start: ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() { proc.kill('SIGKILL'); await rm(dir, { recursive: true, force: true }); },
  };
}

// ---------- figures ----------

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1)) + ' ms';
const ratio = (a: number, b: number) => (a / b).toFixed(2) + '×';
const kb = (bytes: number) => (bytes / 1024).toFixed(1) + ' KB';

interface Stats { cpu: { user: number; system: number }; memory: NodeJS.MemoryUsage; bytesOut: number; seq: number; fannedOut: boolean; at: number }
const stats = (server: Child) => server.request<Stats>({ cmd: 'stats' });
const cpuShare = (a: Stats, b: Stats) => ((b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000 / (b.at - a.at)) * 100;

function spread(conns: Conn[], ws: Child[]): Conn[][] {
  const parts: Conn[][] = ws.map(() => []);
  conns.forEach((c, i) => parts[i % ws.length].push(c));
  return parts;
}

async function collectAll(ws: Child[]): Promise<Collected> {
  const all = await Promise.all(ws.map((w) => ask<Collected>(w, { cmd: 'collect' })));
  const out: Collected = { acks: [], checkInAcks: [], refused: {}, sent: [], seen: [], raw: [], syncs: 0, gaps: 0 };
  for (const c of all) {
    out.gaps += c.gaps;
    out.acks.push(...c.acks); out.checkInAcks.push(...c.checkInAcks); out.sent.push(...c.sent); out.seen.push(...c.seen); out.raw.push(...c.raw); out.syncs += c.syncs;
    for (const [k, v] of Object.entries(c.refused)) out.refused[k] = (out.refused[k] ?? 0) + v;
  }
  return out;
}

/** check-in sent → the family on a teacher's screen, for every teacher screen that got it. */
function propagation(c: Collected): number[] {
  const sentAt = new Map<string, number>();
  for (const [f, t] of c.sent) if (!sentAt.has(f)) sentAt.set(f, t);
  return c.seen.filter(([f]) => sentAt.has(f)).map(([f, t]) => t - sentAt.get(f)!);
}

/**
 * Once every update has been sent (each server process says it has nothing left to fan out) and has
 * arrived (no client got one for 3 s), how many replicas hold the server's view. Without the first
 * wait, a fan-out still running for 5,000 family pages after the rush looked like missed updates.
 */
async function verifyAll(ws: Child[], servers: Child[]): Promise<{ upToDate: number; total: number }> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !(await Promise.all(servers.map(stats))).every((s) => s.fannedOut)) await new Promise((r) => setTimeout(r, 200));
  await Promise.all(ws.map((w) => ask(w, { cmd: 'quiet', ms: 3_000, timeoutMs: 60_000 })));
  const parts = await Promise.all(ws.map((w) => ask<{ upToDate: number; total: number }>(w, { cmd: 'verify' })));
  return parts.reduce((a, b) => ({ upToDate: a.upToDate + b.upToDate, total: a.total + b.total }));
}

const closeWorkers = (ws: Child[]) => Promise.all(ws.map((w) => ask(w, { cmd: 'close' }).catch(() => undefined)));
/** Stops a server child cleanly (it writes a snapshot and exits) and waits for it to be gone. */
const stopServer = (server: Child) => new Promise<void>((resolve) => {
  if (server.exitCode !== null || server.signalCode !== null) return resolve();
  server.once('exit', () => resolve());
  server.send({ cmd: 'close' });
});
const settle = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));

// ---------- the physical limits ----------

/** The disk's floor for a durable acknowledgement: one small synchronous write (O_DSYNC, as the journal does), commands 20 ms apart. */
async function fsyncFloor(): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'conference-night-bench-fsync-'));
  const handle = await open(path.join(dir, 'journal.ndjson'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC);
  const xs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await handle.write('{"seq":1,"commandId":"bench","actor":null,"event":{"type":"familyCheckedIn"}}\n');
    xs.push(performance.now() - t0);
    await settle(20);
  }
  await handle.close();
  await rm(dir, { recursive: true, force: true });
  return pct(xs, 50);
}


interface Raw { rttP50: number; rttP99: number; spacedP50: number; spacedP99: number; bcastP50: number; bcastP99: number; fanOut: number }
async function rawBaseline(fanOut: number): Promise<Raw> {
  const { proc: raw, hello } = await spawnChild('raw-server.ts');
  const ws = plainWorkers(workerCount);
  const conns: Conn[] = Array.from({ length: fanOut }, (_, i) => ({ url: hello.url, auth: {}, role: 'raw', id: String(i) }));
  // Laid out like the product's clients: the timing socket in a process of its own, the rest spread.
  await ask(ws[0], { cmd: 'connect', conns: conns.slice(0, 1), raw: true });
  await Promise.all(spread(conns.slice(1), ws.slice(1)).map((part, i) => ask(ws[i + 1], { cmd: 'connect', conns: part, raw: true })));
  await ask(ws[0], { cmd: 'rawPing', count: 200 }); // warm-up
  const rtt = await ask<number[]>(ws[0], { cmd: 'rawPing', count: 1000 });
  // Commands come one at a time with the processes idle in between (a check-in every second or so
  // at 10×): waking up costs this machine (a VM) more than a back-to-back round trip, so the bare
  // round trip is also timed that way, 20 ms apart, as the disk's floor is.
  const spaced = await ask<number[]>(ws[0], { cmd: 'rawPing', count: 300, spacingMs: 20 });
  await collectAll(ws);
  await ask(ws[0], { cmd: 'rawBroadcast', count: 40, spacingMs: Math.max(100, fanOut / 20), bytes: 200 });
  await settle(500);
  const bcast = (await collectAll(ws)).raw;
  await closeWorkers(ws);
  raw.kill('SIGKILL');
  if (bcast.length < 40 * fanOut) console.log(`  (raw broadcast: ${bcast.length} of ${40 * fanOut} deliveries)`);
  return { rttP50: pct(rtt, 50), rttP99: pct(rtt, 99), spacedP50: pct(spaced, 50), spacedP99: pct(spaced, 99), bcastP50: pct(bcast, 50), bcastP99: pct(bcast, 99), fanOut };
}

// ---------- the product ----------

interface Night { url: string; links: { role: string; id: string; secret: string }[]; statusTokens: [string, string][] }

function nightConns(nights: Night[], familyTabs: number, total: number | null): Conn[] {
  const n = nights[0];
  const url = (i: number) => nights[i % nights.length].url;
  const conns: Conn[] = [];
  let i = 0;
  for (const l of n.links) {
    if (l.role === 'kiosk') continue; // the kiosks are placed by the caller
    conns.push({ url: url(i++), auth: { token: l.secret }, role: l.role, id: l.id });
  }
  for (let tab = 0; tab < familyTabs; tab++) {
    for (const [familyId, token] of n.statusTokens) {
      if (total !== null && conns.length >= total) break;
      conns.push({ url: url(i++), auth: { statusToken: token }, role: 'family', id: familyId });
    }
  }
  return conns;
}

function kioskConns(nights: Night[]): Conn[] {
  return nights[0].links.filter((l) => l.role === 'kiosk').flatMap((l) => nights.map((n) => ({ url: n.url, auth: { token: l.secret }, role: 'kiosk', id: l.id })));
}

async function startNight(count: number, env: NodeJS.ProcessEnv): Promise<{ servers: Child[]; nights: Night[] }> {
  const started = [];
  // One after the other: the first sets the night up, the others read it.
  for (let i = 0; i < count; i++) started.push(await spawnChild('serve.ts', env));
  return { servers: started.map((s) => s.proc), nights: started.map((s) => s.hello as Night) };
}

/** The kiosks get a client process of their own, so that what they time is the server, not a busy client. */
async function connect(ws: Child[], kiosks: Conn[], others: Conn[]): Promise<void> {
  await ask(ws[0], { cmd: 'connect', conns: kiosks, raw: false });
  const rest = ws.slice(1);
  await Promise.all(spread(others, rest).map((part, i) => ask(rest[i], { cmd: 'connect', conns: part, raw: false })));
}

async function rooseveltNight() {
  const bundle = await loadBundleDir(args.bundle!);
  const arrivalsCsv = await readFile(path.join(args.bundle!, 'arrivals.csv'), 'utf8');
  const [oh, om] = bundle.event.opensAt.split(':').map(Number);
  const schedule = arrivalsCsv.trim().split('\n').slice(1).map((line) => {
    const [familyId, at] = line.split(',');
    const [h, m] = at.split(':').map(Number);
    return { familyId, minute: h * 60 + m - (oh * 60 + om) };
  }).filter((a) => a.minute >= 0 && a.minute < nightMinutes).map((a) => ({ familyId: a.familyId, atMs: (a.minute * 60_000 + Math.random() * 60_000) / speed }));

  const { servers: [server], nights } = await startNight(1, { BENCH_BUNDLE: args.bundle, BENCH_SPEED: String(speed) });
  const ws = plainWorkers(workerCount);
  const before = await stats(server);
  const others = nightConns(nights, 1, null);
  const kiosks = kioskConns(nights);
  await connect(ws, kiosks, others);
  const sockets = others.length + kiosks.length;
  const idle = await stats(server);
  await collectAll(ws);

  await Promise.all(ws.map((w) => ask(w, { cmd: 'teachers', speed, conferenceMinutes: bundle.event.slotMinutes })));
  await ask(ws[0], { cmd: 'checkIns', schedule });
  await settle(1_000);
  await Promise.all(ws.map((w) => ask(w, { cmd: 'stopTeachers' })));
  const after = await stats(server);
  await settle(2_000);
  const delivered = await verifyAll(ws, [server]);
  const c = await collectAll(ws);
  await closeWorkers(ws);
  await stopServer(server);
  return {
    sockets, checkIns: schedule.length, commands: c.acks.length, refused: c.refused, events: after.seq - idle.seq,
    ack: c.acks, checkInAck: c.checkInAcks, prop: propagation(c), cpu: cpuShare(idle, after),
    perSocket: (idle.memory.rss - before.memory.rss) / sockets, heapPerSocket: (idle.memory.heapUsed - before.memory.heapUsed) / sockets,
    bytesPerEvent: (after.bytesOut - idle.bytesOut) / Math.max(1, after.seq - idle.seq), bytesPerSync: (after.bytesOut - idle.bytesOut) / Math.max(1, c.syncs),
    delivered, gaps: c.gaps,
  };
}

async function districtNight(processes: number, redisUrl: string) {
  const prefix = `conference-night-bench:${process.pid}:${processes}:${Date.now().toString(36)}:`;
  const { servers, nights } = await startNight(processes, { BENCH_BUNDLE: args.bundle, BENCH_SPEED: '1', REDIS_URL: redisUrl, REDIS_PREFIX: prefix });
  const ws = plainWorkers(workerCount);
  const before = await Promise.all(servers.map(stats));
  const kiosks = kioskConns(nights);
  const others = nightConns(nights, Math.ceil(districtSockets / nights[0].statusTokens.length) + 1, districtSockets - kiosks.length);
  await connect(ws, kiosks, others);
  const sockets = others.length + kiosks.length;
  const idle = await Promise.all(servers.map(stats));
  const families = nights[0].statusTokens.map(([f]) => f);
  await collectAll(ws);

  // A steady evening: 20 check-ins a second for 10 seconds.
  const steady = families.slice(0, 200).map((familyId, i) => ({ familyId, atMs: i * 50 }));
  await ask(ws[0], { cmd: 'checkIns', schedule: steady });
  await settle(1_000);
  const afterSteady = await Promise.all(servers.map(stats));
  const c = await collectAll(ws);

  // Capacity: as many check-ins as the processes take, 64 in flight.
  const rush = families.slice(200);
  const rushMs = await ask<number>(ws[0], { cmd: 'checkInsFlat', familyIds: rush, concurrency: 64 });
  await settle(2_000);
  const rushC = await collectAll(ws);
  const delivered = await verifyAll(ws, servers);
  const end = await Promise.all(servers.map(stats));
  await closeWorkers(ws);
  await Promise.all(servers.map(stopServer));
  const sum = (xs: Stats[], f: (s: Stats) => number) => xs.reduce((n, s) => n + f(s), 0);
  const steadyEvents = afterSteady[0].seq - idle[0].seq;
  return {
    processes, sockets, ack: c.acks, prop: propagation(c), refused: { ...c.refused, ...rushC.refused },
    perSocket: (sum(idle, (s) => s.memory.rss) - sum(before, (s) => s.memory.rss)) / sockets,
    cpu: servers.map((_, i) => cpuShare(idle[i], afterSteady[i])),
    bytesPerEvent: (sum(afterSteady, (s) => s.bytesOut) - sum(idle, (s) => s.bytesOut)) / Math.max(1, steadyEvents),
    capacity: (rush.length / rushMs) * 1000, rushAckP50: pct(rushC.acks, 50), rushAckP99: pct(rushC.acks, 99), rushProp99: pct(propagation(rushC), 99),
    delivered, gaps: c.gaps + rushC.gaps, seq: end[0].seq,
  };
}

// ---------- the run ----------

function line(label: string, value: string) { console.log(`  ${label.padEnd(48)} ${value}`); }

async function main() {
  console.log(`Load test on ${cpus().length} cores; ${workerCount} client processes; Node ${process.version}\n`);

  if (args.only !== 'district') await schoolNight();
  if (args.only !== 'school') await districtNights();
}

async function schoolNight() {
  console.log(`1. ${path.basename(args.bundle!)} at ${speed}× speed, the first ${nightMinutes} minutes of the night, embedded journal (fsync per batch)`);
  const r = await rooseveltNight();
  const rawR = await rawBaseline(r.sockets);
  const floor = await fsyncFloor();
  line('sockets', `${r.sockets} (one per family page, kiosks, teachers, ambassadors, coordinators, boards)`);
  line('check-ins / commands / events', `${r.checkIns} / ${r.commands} / ${r.events}   refused: ${JSON.stringify(r.refused)}`);
  line('ack p50 / p99, every command', `${ms(pct(r.ack, 50))} / ${ms(pct(r.ack, 99))}   ratio to raw: ${ratio(pct(r.ack, 50), rawR.rttP50)} / ${ratio(pct(r.ack, 99), rawR.rttP99)}`);
  line('ack p50 / p99, check-ins', `${ms(pct(r.checkInAck, 50))} / ${ms(pct(r.checkInAck, 99))}   ratio to raw 20 ms apart: ${ratio(pct(r.checkInAck, 50), rawR.spacedP50)} / ${ratio(pct(r.checkInAck, 99), rawR.spacedP99)}   target p50 < 1 ms`);
  line('raw emit-with-ack round trip p50 / p99', `${ms(rawR.rttP50)} / ${ms(rawR.rttP99)} back to back; ${ms(rawR.spacedP50)} / ${ms(rawR.spacedP99)} 20 ms apart`);
  line('the disk: one synchronous write (O_DSYNC) p50', `${ms(floor)}   (check-in ack p50 is ${ratio(pct(r.checkInAck, 50), rawR.spacedP50 + floor)} raw round trip 20 ms apart + disk write)`);
  line('check-in → teacher screen p50 / p99', `${ms(pct(r.prop, 50))} / ${ms(pct(r.prop, 99))}  (${r.prop.length} screens)`);
  line(`raw broadcast to ${rawR.fanOut} sockets p50 / p99`, `${ms(rawR.bcastP50)} / ${ms(rawR.bcastP99)}`);
  line('propagation ratio to raw broadcast (p50 / p99)', `${ratio(pct(r.prop, 50), rawR.bcastP50)} / ${ratio(pct(r.prop, 99), rawR.bcastP99)}   target p99 ≤ 3×`);
  line('server CPU while playing', `${r.cpu.toFixed(1)} % of one core`);
  line('server memory per connected socket', `${kb(r.perSocket)} RSS (${kb(r.heapPerSocket)} heap)   target ≤ 30 KB`);
  line('bytes sent per event / per sync message', `${r.bytesPerEvent.toFixed(0)} B / ${r.bytesPerSync.toFixed(0)} B`);
  line('every socket up to date at the end', `${r.delivered.upToDate} of ${r.delivered.total}; missed updates (gaps) ${r.gaps}`);
  console.log('');
}

async function districtNights() {
  const redis = await startRedis();
  const rawD = await rawBaseline(districtSockets);
  const results = [];
  for (const processes of [1, 2]) {
    console.log(`2${processes === 1 ? 'a' : 'b'}. District-sized night: ${districtSockets} sockets on ${processes} process${processes > 1 ? 'es' : ''}, Redis (appendfsync always)`);
    const d = await districtNight(processes, redis.url);
    results.push(d);
    line('sockets', String(d.sockets));
    line('steady 20 check-ins/s: ack p50 / p99', `${ms(pct(d.ack, 50))} / ${ms(pct(d.ack, 99))}   ratio to raw 20 ms apart (p50): ${ratio(pct(d.ack, 50), rawD.spacedP50)}`);
    line('check-in → teacher screen p50 / p99', `${ms(pct(d.prop, 50))} / ${ms(pct(d.prop, 99))}  (${d.prop.length} screens)`);
    line(`raw broadcast to ${rawD.fanOut} sockets p50 / p99`, `${ms(rawD.bcastP50)} / ${ms(rawD.bcastP99)}`);
    line('propagation ratio to raw broadcast (p50 / p99)', `${ratio(pct(d.prop, 50), rawD.bcastP50)} / ${ratio(pct(d.prop, 99), rawD.bcastP99)}   target p99 ≤ 3×`);
    line('server CPU at 20 check-ins/s', d.cpu.map((x) => `${x.toFixed(1)} %`).join(' + ') + ' of one core');
    line('server memory per idle socket', `${kb(d.perSocket)} RSS   target ≤ 30 KB`);
    line('bytes sent per event', `${d.bytesPerEvent.toFixed(0)} B`);
    line('capacity (check-ins/s, 64 in flight)', `${d.capacity.toFixed(0)}   ack p50 / p99 ${ms(d.rushAckP50)} / ${ms(d.rushAckP99)}, propagation p99 ${ms(d.rushProp99)}`);
    line('every socket up to date at the end', `${d.delivered.upToDate} of ${d.delivered.total}; missed updates (gaps) ${d.gaps}; refused: ${JSON.stringify(d.refused)}`);
    console.log('');
  }
  line('raw emit-with-ack round trip p50 / p99', `${ms(rawD.rttP50)} / ${ms(rawD.rttP99)} back to back; ${ms(rawD.spacedP50)} / ${ms(rawD.spacedP99)} 20 ms apart`);
  line('two processes carry, relative to one', `${ratio(results[1].capacity, results[0].capacity)}   target ≥ 1.6×`);
  await redis.stop();
}

try {
  await main();
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.exit(0);
