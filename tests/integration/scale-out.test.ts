// Several server processes serving one night from a real redis-server that each test starts on its
// own port; the faults a district night must survive, each on real processes.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBundleDir } from '../../server/bundle-files';
import type { CoordinatorView, TeacherView } from '../../shared/domain/projections';
import type { Ack } from '../../shared/protocol';
import { newCommandId, TestClient } from '../helpers/client';
import { FailoverClient } from '../helpers/failover-client';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../helpers/process';
import { RedisServer, redisClient, redisLog, TcpProxy } from '../helpers/redis';
import { demoBundleDir, Harness, healthSeq, repoRoot } from '../helpers/server';

const h = new Harness();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await h.cleanup();
});

let nights = 0;
/** Keys of its own for every test, so tests never meet on a shared Redis. */
const uniquePrefix = () => `conference-night-test:${process.pid}:${Date.now().toString(36)}:${nights++}:`;

async function startRedis(): Promise<RedisServer> {
  const redis = await RedisServer.start();
  cleanups.push(() => redis.stop());
  return redis;
}

/** Server processes of one night (all started at once: they race to set the night up). */
async function startProcesses(redisUrls: string[], prefix: string): Promise<ServerProcess[]> {
  const started = await Promise.all(redisUrls.map(async (url) => startServerProcess(await h.dataDir(), { REDIS_URL: url, REDIS_PREFIX: prefix })));
  for (const p of started) cleanups.push(() => stopServerProcess(p));
  return started;
}

function device<V>(urls: string[], secret: string): Promise<FailoverClient<V>> {
  const client = new FailoverClient<V>(urls, { token: secret });
  cleanups.push(() => client.close());
  return client.start();
}

const teacherLabel = 'Teacher Mx. Pierre (Room A101)'; // T001
const systemEvents = 2;

/** The demo night's first families, and how many of them have a child in T001's class (T001's line). */
async function demoFamilies(count: number): Promise<{ families: string[]; ofT001: number }> {
  const bundle = await loadBundleDir(demoBundleDir);
  const families = Object.keys(bundle.families).slice(0, count);
  expect(families).toHaveLength(count);
  const ofT001 = families.filter((f) => bundle.families[f].studentIds.some((s) => bundle.students[s].teacherIds.includes('T001'))).length;
  return { families, ofT001 };
}

/** The log has one history: seqs 1..n without a gap, and each family checked in at most once. */
function expectOneHistory(log: Awaited<ReturnType<typeof redisLog>>): Map<string, number> {
  expect(log.map((r) => r.seq)).toEqual(log.map((_, i) => i + 1));
  const checkIns = new Map<string, number>();
  for (const r of log) if (r.event.type === 'familyCheckedIn') checkIns.set(r.event.familyId!, (checkIns.get(r.event.familyId!) ?? 0) + 1);
  for (const [family, n] of checkIns) expect(n, `check-ins of ${family}`).toBe(1);
  return checkIns;
}

describe('several processes serving one night from Redis', () => {
  it('a command reaching any process is applied once, in one order, and every client on every process sees it', async () => {
    const redis = await startRedis();
    const prefix = uniquePrefix();
    const [a, b] = await startProcesses([redis.url, redis.url], prefix);
    expect(b.links.get('Kiosk K1')).toBe(a.links.get('Kiosk K1')); // one key: a link works on either

    const kioskA = h.track(new TestClient(a.url, { token: a.links.get('Kiosk K1')! }));
    const kioskB = h.track(new TestClient(b.url, { token: a.links.get('Kiosk K2')! }));
    await Promise.all([kioskA.connect(), kioskB.connect()]);
    const teacherB = h.track(new TestClient<TeacherView>(b.url, { token: a.links.get(teacherLabel)! }));
    await teacherB.connect();
    await teacherB.hello();

    // Both kiosks check in the same families at the same moment, through different processes.
    const { families, ofT001 } = await demoFamilies(20);
    const answers = await Promise.all(families.flatMap((familyId) => [
      kioskA.command({ type: 'checkIn', familyId }), kioskB.command({ type: 'checkIn', familyId }),
    ]));
    for (let i = 0; i < families.length; i++) {
      const pair = answers.slice(2 * i, 2 * i + 2);
      expect(pair.filter((x) => x.ok), JSON.stringify(pair)).toHaveLength(1);
      expect(pair.find((x) => !x.ok)).toMatchObject({ ok: false, code: 'already_checked_in' });
    }
    await teacherB.waitFor((v) => v.line.length === ofT001, 'every family of the teacher in their line on the other process');
    // A command whose answer was lost, sent again to the other process: recognised, not applied twice.
    const retried = { type: 'checkIn' as const, familyId: 'F0100', commandId: newCommandId('retried') };
    const firstAnswer = await kioskA.rawCommand(retried);
    expect(firstAnswer).toMatchObject({ ok: true });
    expect(await kioskB.rawCommand(retried)).toEqual({ ...firstAnswer, duplicate: true });
    const log = await redisLog(redis.url, prefix);
    expect(expectOneHistory(log).size).toBe(families.length + 1);
    expect(await healthSeq(a.url)).toBe(log.length);
    expect(await healthSeq(b.url)).toBe(log.length);
  });

  it('a kiosk coming and going on one process is seen by the coordinator on the other', async () => {
    const redis = await startRedis();
    const [a, b] = await startProcesses([redis.url, redis.url], uniquePrefix());
    const coordinatorB = h.track(new TestClient<CoordinatorView>(b.url, { token: a.links.get('Coordinator')! }));
    await coordinatorB.connect();
    await coordinatorB.hello();
    const heard: { id: string; online: boolean; seenAt: number | null }[][] = [];
    coordinatorB.socket.on('kiosks', (list) => heard.push(list));
    const k1 = (list: (typeof heard)[number]) => list.find((k) => k.id === 'K1');

    const kioskA = h.track(new TestClient(a.url, { token: a.links.get('Kiosk K1')! }));
    await kioskA.connect();
    await until(() => heard.some((list) => k1(list)?.online === true), 'K1 online, told to the coordinator on the other process');
    await kioskA.disconnect();
    await until(() => heard.some((list) => k1(list)?.online === false && k1(list)?.seenAt !== null), 'K1 gone, with when it was last seen');
  });

  it('SIGKILL of the process a kiosk and a teacher use: both move to another process and catch up; check-ins sent just before are applied exactly once', async () => {
    const redis = await startRedis();
    const prefix = uniquePrefix();
    const [a, b] = await startProcesses([redis.url, redis.url], prefix);
    const urls = [a.url, b.url];
    const kiosk = await device(urls, a.links.get('Kiosk K1')!);
    const teacher = await device<TeacherView>(urls, a.links.get(teacherLabel)!);
    expect([kiosk.connectedTo, teacher.connectedTo]).toEqual([a.url, a.url]);

    // The kiosk streams 30 check-ins, five in flight; process A is killed the moment Redis has the
    // 10th, so some have been applied without their answer having left A.
    const { families, ofT001 } = await demoFamilies(30);
    const watcher = await redisClient(redis.url);
    cleanups.push(() => watcher.close());
    let killed = false;
    await watcher.subscribe(`${prefix}appended`, (head) => {
      // The message is the new head, "seq batchId".
      if (!killed && Number(head.split(' ')[0]) >= systemEvents + 10) { killed = true; process.kill(a.pid, 'SIGKILL'); }
    });
    const acks = new Map<string, Ack>();
    let next = 0;
    await Promise.all(Array.from({ length: 5 }, async () => {
      while (next < families.length) {
        const familyId = families[next++];
        acks.set(familyId, await kiosk.command({ type: 'checkIn', familyId, commandId: newCommandId(`kill-${familyId}`) }));
      }
    }));
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect([...acks.values()].every((x) => x.ok), JSON.stringify([...acks.values()].filter((x) => !x.ok))).toBe(true);
    expect(kiosk.connectedTo).toBe(b.url);

    // The teacher moved too and caught up with every check-in, through B.
    await teacher.waitFor((v) => v.line.length === ofT001, 'the teacher\'s families in the line after the move');
    expect(teacher.history).toEqual([a.url, b.url]);
    const log = await redisLog(redis.url, prefix);
    const checkIns = expectOneHistory(log);
    expect(checkIns.size).toBe(families.length);
    // Each of the kiosk's commands became exactly one event (the server's own clock ticks may add others).
    expect(log.filter((r) => r.commandId?.startsWith('kill-'))).toHaveLength(families.length);
  });

  it('Redis restarts (append-only file on): no acknowledged event is lost, and the processes reconnect by themselves', async () => {
    const redis = await startRedis();
    const prefix = uniquePrefix();
    const [a, b] = await startProcesses([redis.url, redis.url], prefix);
    const kiosk = await device([a.url, b.url], a.links.get('Kiosk K1')!);
    const coordinator = await device<CoordinatorView>([b.url, a.url], a.links.get('Coordinator')!);
    const { families } = await demoFamilies(40);

    // Redis is killed (SIGKILL, a power cut) halfway through a stream of check-ins.
    const acked: string[] = [];
    const first = families.slice(0, 20);
    await Promise.all(first.map(async (familyId) => {
      const ack = await kiosk.command({ type: 'checkIn', familyId, commandId: newCommandId(`redis-${familyId}`) });
      if (ack.ok) acked.push(familyId);
    }));
    expect(acked).toHaveLength(20);
    await redis.kill();
    // While it is away nothing is acknowledged.
    const during = h.track(new TestClient(a.url, { token: a.links.get('Kiosk K2')! }));
    await expect(during.connect()).rejects.toThrow('unavailable');
    await redis.run();

    // The rest go through once the processes are back on Redis; nothing acknowledged before is gone.
    for (const familyId of families.slice(20)) {
      expect(await kiosk.command({ type: 'checkIn', familyId, commandId: newCommandId(`redis-${familyId}`) })).toMatchObject({ ok: true });
    }
    const log = await redisLog(redis.url, prefix);
    const checkIns = expectOneHistory(log);
    for (const familyId of families) expect(checkIns.get(familyId), familyId).toBe(1);
    await coordinator.waitFor((v) => v.counts.checkedIn === families.length, 'every check-in counted on the coordinator');
    // Both processes took Redis back by themselves and are at the head of the one history.
    for (const p of [a, b]) {
      const k = h.track(new TestClient(p.url, { token: a.links.get('Kiosk K2')! }));
      await k.connect();
      expect(await k.command({ type: 'checkIn', familyId: families[0] })).toMatchObject({ ok: false, code: 'already_checked_in' });
    }
    expect(await healthSeq(a.url)).toBe(log.length);
    expect(await healthSeq(b.url)).toBe(log.length);
  });

  it('a process that loses Redis while the other keeps it stops taking commands; its clients move; no fork', async () => {
    const redis = await startRedis();
    const prefix = uniquePrefix();
    const proxy = await TcpProxy.start(redis.port);
    cleanups.push(() => proxy.close());
    const [a, b] = await startProcesses([proxy.url, redis.url], prefix);
    const kiosk = await device([a.url, b.url], a.links.get('Kiosk K1')!);
    const teacher = await device<TeacherView>([a.url, b.url], a.links.get(teacherLabel)!);
    const { families } = await demoFamilies(10);
    const coordinator = await device<CoordinatorView>([a.url, b.url], a.links.get('Coordinator')!);
    expect(await kiosk.command({ type: 'checkIn', familyId: families[0], commandId: newCommandId('cut') })).toMatchObject({ ok: true });
    await coordinator.waitFor((v) => v.counts.checkedIn === 1, 'the first family');

    proxy.cut(); // A's network to Redis fails; B's does not
    await until(async () => (await fetch(`${a.url}/healthz`)).status === 503, 'A to report itself unhealthy to the load balancer');
    // A refuses with a clear error rather than keep a history of its own.
    const direct = h.track(new TestClient(a.url, { token: a.links.get('Kiosk K2')! }));
    const refused = await direct.connect().then(() => direct.command({ type: 'checkIn', familyId: families[9] }), (e: Error) => e.message);
    expect(refused === 'unavailable' || (refused as Ack).ok === false, JSON.stringify(refused)).toBe(true);
    if (typeof refused !== 'string') expect(refused).toMatchObject({ code: 'unavailable' });

    for (const familyId of families.slice(1, 9)) {
      expect(await kiosk.command({ type: 'checkIn', familyId, commandId: newCommandId('cut') })).toMatchObject({ ok: true });
    }
    expect(kiosk.connectedTo).toBe(b.url);
    await coordinator.waitFor((v) => v.counts.checkedIn === 9, 'nine families, on the process that has Redis');
    expect(coordinator.connectedTo).toBe(b.url);
    expect(teacher.connectedTo).toBe(b.url);

    // Back on the network, A catches up with the one history and serves again.
    proxy.restore();
    const log = await redisLog(redis.url, prefix);
    expect(expectOneHistory(log).size).toBe(9);
    await until(async () => (await fetch(`${a.url}/healthz`)).status === 200, 'A to be back on Redis');
    const back = h.track(new TestClient<CoordinatorView>(a.url, { token: a.links.get('Coordinator')! }));
    await back.connect();
    await back.hello();
    await back.waitFor((v) => v.counts.checkedIn === 9, 'A to have caught up with the nine check-ins');
    expect(await healthSeq(a.url)).toBe(log.length);
  });

  it('a slow client (a phone that stops reading its socket) does not delay anyone else', async () => {
    const redis = await startRedis();
    const prefix = uniquePrefix();
    const [a] = await startProcesses([redis.url], prefix);
    // The slow phone is a process of its own, stopped (SIGSTOP): it reads nothing while the night goes on.
    const slow = spawn(process.execPath, ['tests/helpers/slow-client.mjs', a.url, a.links.get('Coordinator')!], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => { slow.kill('SIGCONT'); slow.kill('SIGKILL'); });
    let slowOut = '';
    slow.stdout!.on('data', (d: Buffer) => { slowOut += d.toString(); });
    await until(() => slowOut.includes('checkedIn=0'), 'the slow phone to see the night');
    process.kill(slow.pid!, 'SIGSTOP');

    const kiosk = h.track(new TestClient(a.url, { token: a.links.get('Kiosk K1')! }));
    await kiosk.connect();
    // Another coordinator's screen, in the same audience (the same room) as the stopped phone.
    const fast = h.track(new TestClient<CoordinatorView>(a.url, { token: a.links.get('Coordinator')! }));
    await fast.connect();
    await fast.hello();
    // Every check-in reaches it promptly although the stopped phone's updates pile up.
    const { families } = await demoFamilies(150);
    const delays: number[] = [];
    for (const [i, familyId] of families.entries()) {
      const sent = performance.now();
      expect(await kiosk.command({ type: 'checkIn', familyId })).toMatchObject({ ok: true });
      await fast.waitFor((v) => v.counts.checkedIn === i + 1, `${familyId} counted on the other coordinator's screen`, 2_000);
      delays.push(performance.now() - sent);
    }
    delays.sort((x, y) => x - y);
    expect(delays[Math.floor(delays.length * 0.99)]).toBeLessThan(500);

    // Woken up, the phone catches up with everything.
    process.kill(slow.pid!, 'SIGCONT');
    await until(() => slowOut.includes(`checkedIn=${families.length}`), 'the slow phone to catch up');
  });
});

/** Polls what only another process knows (its output, its health); fails after the timeout. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
