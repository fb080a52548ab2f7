// What survives a crash or a restart: every acknowledged command, exactly once.
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { loadBundleDir } from '../../server/bundle-files';
import type { Bundle } from '../../shared/bundle';
import type { CoordinatorView, FamilyView, TeacherView } from '../../shared/domain/projections';
import type { Ack } from '../../shared/protocol';
import { newCommandId, TestClient } from '../helpers/client';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../helpers/process';
import { demoBundleDir, Harness, healthSeq } from '../helpers/server';

const h = new Harness();
const processes: ServerProcess[] = [];
afterEach(async () => {
  for (const p of processes.splice(0)) await stopServerProcess(p);
  await h.cleanup();
});

const systemEvents = 2; // nightCreated + nightOpened

async function journalLines(dataDir: string): Promise<string[]> {
  const text = await readFile(path.join(dataDir, 'journal.ndjson'), 'utf8');
  return text.split('\n').filter((l) => l.length > 0);
}

/** The check-ins in the journal (each is followed, once acknowledged, by the family's estimates). */
async function checkInsJournaled(dataDir: string): Promise<number> {
  return (await journalLines(dataDir)).filter((l) => (JSON.parse(l) as { event: { type: string } }).event.type === 'familyCheckedIn').length;
}

/** Resolves once `check()` is true, polling the file system; fails after the timeout. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Each family's visits, as the night makes them: one per teacher of their children. */
function visitsByTeacher(bundle: Bundle, familyIds: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const familyId of familyIds) {
    const teachers = new Set(bundle.families[familyId].studentIds.flatMap((s) => bundle.students[s].teacherIds));
    for (const t of teachers) out.set(t, [...(out.get(t) ?? []), `${familyId}:${t}`]);
  }
  return out;
}

/**
 * The coordinator runs whole conferences (call, start, end: three events each), every teacher's line
 * in parallel, until at least `count` are done. A family busy with another teacher is skipped.
 */
async function runConferences(coordinator: TestClient, visits: Map<string, string[]>, count: number): Promise<void> {
  let done = 0;
  await Promise.all([...visits].map(async ([teacherId, queue]) => {
    while (done < count && queue.length) {
      const visitId = queue.shift()!;
      const call = await coordinator.command({ type: 'callFamily', teacherId, visitId });
      if (!call.ok) { expect(call.code, JSON.stringify(call)).toBe('conflict'); queue.push(visitId); continue; }
      expect(await coordinator.command({ type: 'startConference', visitId })).toMatchObject({ ok: true });
      expect(await coordinator.command({ type: 'endConference', visitId })).toMatchObject({ ok: true });
      done++;
    }
  }));
  expect(done).toBeGreaterThanOrEqual(count);
}

describe('a crash (SIGKILL) of the real server process', () => {
  it('loses no acknowledged command, and retried commands are applied exactly once', async () => {
    const dataDir = await h.dataDir();
    const first = await startServerProcess(dataDir);
    processes.push(first);
    const kioskSecret = first.links.get('Kiosk K1');
    const coordinatorSecret = first.links.get('Coordinator');
    expect(kioskSecret, first.stdout()).toBeDefined();
    expect(coordinatorSecret, first.stdout()).toBeDefined();

    const kiosk = h.track(new TestClient(first.url, { token: kioskSecret! }));
    await kiosk.connect();
    await kiosk.hello();

    const familyIds = Object.keys((await loadBundleDir(demoBundleDir)).families).slice(0, 200);
    expect(familyIds).toHaveLength(200);
    const commands = familyIds.map((familyId) => ({ type: 'checkIn' as const, familyId, commandId: newCommandId(`crash-${familyId}`) }));

    // A kiosk sends the 200 check-ins as a steady stream, ten in flight at a time; the plug is pulled
    // the moment the 150th acknowledgement arrives, with the next ones still on their way.
    const acked = new Map<string, number>(); // familyId → seq
    let killed = false;
    let next = 0;
    const worker = async () => {
      while (!killed && next < commands.length) {
        const c = commands[next++];
        const ack = await kiosk.rawCommand(c).catch(() => null); // no answer: lost with the server
        if (ack?.ok) acked.set(c.familyId, ack.seq);
        if (!killed && acked.size >= 150) {
          killed = true;
          process.kill(first.pid, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    kiosk.close();
    expect(acked.size).toBeGreaterThanOrEqual(150);

    // Start again on the same data directory.
    const second = await startServerProcess(dataDir);
    processes.push(second);
    expect(second.links.get('Kiosk K1')).toBe(kioskSecret); // the same links keep working
    const seq = await healthSeq(second.url);
    expect(seq).toBeGreaterThanOrEqual(systemEvents + acked.size);
    expect(seq).toBeGreaterThanOrEqual(Math.max(...acked.values()));
    // Each check-in, and at most once each, the family's estimates kept after it.
    expect(seq).toBeLessThanOrEqual(systemEvents + 2 * commands.length);

    const coordinator = h.track(new TestClient<CoordinatorView>(second.url, { token: coordinatorSecret! }));
    await coordinator.connect();
    await coordinator.hello();
    expect(coordinator.view!.counts.checkedIn).toBeGreaterThanOrEqual(acked.size);
    expect(coordinator.view!.counts.checkedIn).toBe(await checkInsJournaled(dataDir));

    const kiosk2 = h.track(new TestClient(second.url, { token: kioskSecret! }));
    await kiosk2.connect();
    const details = await Promise.all([...acked.keys()].map((familyId) => kiosk2.query<{ checkedIn: boolean }>({ type: 'familyDetails', familyId })));
    const missing = [...acked.keys()].filter((_, i) => !(details[i].ok && details[i].data.checkedIn));
    expect(missing, 'acknowledged check-ins missing after the crash').toEqual([]);

    // The kiosk retries everything it sent: what was applied is recognised, the rest is applied now.
    const retries: Ack[] = await Promise.all(commands.map((c) => kiosk2.rawCommand(c)));
    commands.forEach((c, i) => {
      const ack = retries[i];
      expect(ack.ok, `${c.familyId}: ${JSON.stringify(ack)}`).toBe(true);
      if (acked.has(c.familyId)) expect(ack).toMatchObject({ ok: true, duplicate: true, seq: acked.get(c.familyId) });
    });
    await coordinator.waitFor((v) => v.counts.checkedIn === 200, 'all 200 families checked in exactly once');
    expect(await checkInsJournaled(dataDir)).toBe(200);

    // A clean stop (SIGTERM) saves a snapshot and exits 0.
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, 'snapshot.json'))).toBe(true);
  }, 40_000);
});

describe('SIGKILL right after 200 acknowledgements', () => {
  it('the restarted server has all 200 check-ins', async () => {
    const dataDir = await h.dataDir();
    const first = await startServerProcess(dataDir);
    processes.push(first);
    const kiosk = h.track(new TestClient(first.url, { token: first.links.get('Kiosk K1')! }));
    await kiosk.connect();
    const familyIds = Object.keys((await loadBundleDir(demoBundleDir)).families).slice(0, 200);
    const acks = await Promise.all(familyIds.map((familyId) => kiosk.rawCommand({ type: 'checkIn', familyId, commandId: newCommandId(`ack200-${familyId}`) })));
    expect(acks.filter((a) => !a.ok)).toEqual([]);
    process.kill(first.pid, 'SIGKILL'); // the moment the 200th acknowledgement is in
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    kiosk.close();

    const second = await startServerProcess(dataDir);
    processes.push(second);
    expect(await healthSeq(second.url)).toBeGreaterThanOrEqual(systemEvents + 200);
    expect(await checkInsJournaled(dataDir)).toBe(200);
    const coordinator = h.track(new TestClient<CoordinatorView>(second.url, { token: second.links.get('Coordinator')! }));
    await coordinator.connect();
    await coordinator.hello();
    expect(coordinator.view!.counts.checkedIn).toBe(200);
  });
});

describe('a journal with a torn last line', () => {
  it('is repaired on start: the partial line is dropped and the night carries on', async () => {
    const dataDir = await h.dataDir();
    let server: RunningServer = await h.start({ dataDir });
    const kiosk = await h.client(server, 'kiosk', 'K1');
    for (const f of ['F0001', 'F0027', 'F0040']) expect(await kiosk.command({ type: 'checkIn', familyId: f })).toMatchObject({ ok: true });
    await server.host.idle();
    const seq = server.host.committedSeq;
    expect(seq).toBe(systemEvents + 6); // three check-ins, each followed by the family's estimates
    kiosk.close();
    await h.stop(server);

    const journalPath = path.join(dataDir, 'journal.ndjson');
    const intact = await readFile(journalPath, 'utf8');
    await appendFile(journalPath, `{"seq":${seq + 1},"commandId":"torn-write-1","actor":{"role":"kiosk","id":"K1"},"event":{"type":"familyChecked`);

    server = await h.start({ dataDir });
    expect(server.host.committedSeq).toBe(seq);
    expect(await healthSeq(server.url)).toBe(seq);
    expect(await readFile(journalPath, 'utf8')).toBe(intact);

    const coordinator = await h.client<CoordinatorView>(server, 'coordinator', 'C1');
    expect(coordinator.view!.counts.checkedIn).toBe(3);
    const kiosk2 = await h.client(server, 'kiosk', 'K1');
    expect(await kiosk2.command({ type: 'checkIn', familyId: 'F0055' })).toMatchObject({ ok: true, seq: seq + 1 });
    await coordinator.waitFor((v) => v.counts.checkedIn === 4, 'the new check-in');
    await server.host.idle();
    const lines = await journalLines(dataDir);
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(Array.from({ length: seq + 2 }, (_, i) => i + 1));
  });

  it('refuses to start when a line in the middle is damaged, rather than lose what follows', async () => {
    const dataDir = await h.dataDir();
    const server = await h.start({ dataDir });
    const kiosk = await h.client(server, 'kiosk', 'K1');
    for (const f of ['F0001', 'F0027']) await kiosk.command({ type: 'checkIn', familyId: f });
    kiosk.close();
    await h.stop(server);
    await rm(path.join(dataDir, 'snapshot.json'));
    const lines = await journalLines(dataDir);
    lines[2] = lines[2].slice(0, 20);
    await writeFile(path.join(dataDir, 'journal.ndjson'), lines.join('\n') + '\n');
    await expect(h.start({ dataDir })).rejects.toThrow(/line 3 is damaged/);
  });
});

describe('a restart', () => {
  async function busyNight(server: RunningServer) {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const checkIn = { type: 'checkIn' as const, familyId: 'F0001', commandId: newCommandId('before-restart') };
    const ack = await kiosk.rawCommand(checkIn);
    expect(ack).toMatchObject({ ok: true });
    await kiosk.command({ type: 'checkIn', familyId: 'F0027' });
    await kiosk.command({ type: 'checkIn', familyId: 'F0007' });
    await teacher.command({ type: 'callFamily', teacherId: 'T001' });
    await teacher.command({ type: 'startConference', visitId: 'F0001:T001' });
    await teacher.waitFor((v) => v.conference?.status === 'inConference' && v.line.length === 1, 'F0001 in conference, F0027 waiting');
    return { checkIn, ack: ack as Extract<Ack, { ok: true }>, teacher };
  }

  it('keeps the whole night, the links, and recognises a command retried from before it', async () => {
    const dataDir = await h.dataDir();
    let server = await h.start({ dataDir });
    const { checkIn, ack, teacher } = await busyNight(server);
    const seq = server.host.committedSeq;
    const state = structuredClone(server.host.committed);
    const teacherView = teacher.view;
    const nightId = teacher.nightId;
    const links = server.links.map((l) => l.secret);
    const statusToken = server.credentials.statusTokenFor('F0001');
    const family = await h.family<FamilyView>(server, 'F0001');
    const familyView = family.view;
    await h.stop(server);

    server = await h.start({ dataDir });
    expect(server.host.committedSeq).toBe(seq);
    expect(server.host.committed).toEqual(state);
    expect(server.links.map((l) => l.secret)).toEqual(links);
    expect(server.credentials.statusTokenFor('F0001')).toBe(statusToken);

    const teacher2 = await h.client<TeacherView>(server, 'teacher', 'T001');
    expect(teacher2.nightId).toBe(nightId);
    expect(teacher2.view).toEqual(teacherView);
    const family2 = await h.clientWith<FamilyView>(server, { statusToken });
    expect(family2.view).toEqual(familyView);

    const kiosk = await h.client(server, 'kiosk', 'K1');
    expect(await kiosk.rawCommand(checkIn)).toEqual({ ok: true, seq: ack.seq, duplicate: true, result: expect.objectContaining({ ticket: 'T-1' }) });
    expect(server.host.committedSeq).toBe(seq);

    // And the night goes on where it was.
    expect(await teacher2.command({ type: 'endConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true, seq: seq + 1 });
    await family2.waitFor((v) => v.visits[0]?.status === 'done', 'F0001 done after the restart');
  });

  it('rebuilds the same night from the journal alone when there is no snapshot', async () => {
    const dataDir = await h.dataDir();
    let server = await h.start({ dataDir });
    const { checkIn, ack } = await busyNight(server);
    const state = structuredClone(server.host.committed);
    await h.stop(server);
    await rm(path.join(dataDir, 'snapshot.json'));

    server = await h.start({ dataDir });
    expect(server.host.committed).toEqual(state);
    const kiosk = await h.client(server, 'kiosk', 'K1');
    expect(await kiosk.rawCommand(checkIn)).toMatchObject({ ok: true, seq: ack.seq, duplicate: true });
  });
});

describe('snapshots', () => {
  it('are written after 500 events, and snapshot + journal restore the same night', async () => {
    const dataDir = await h.dataDir();
    // Hundreds of commands at once from one kiosk: a load test, beyond the per-connection flood limit.
    let server = await h.start({ dataDir, rateLimit: false });
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const coordinator = await h.client<CoordinatorView>(server, 'coordinator', 'C1');
    const snapshotPath = path.join(dataDir, 'snapshot.json');
    const bundle = await loadBundleDir(demoBundleDir);
    const families = Object.keys(bundle.families);

    // Every family checks in (333 events), all at once.
    const acks = await Promise.all(families.map((familyId) => kiosk.command({ type: 'checkIn', familyId })));
    expect(acks.filter((a) => !a.ok)).toEqual([]);
    expect(existsSync(snapshotPath)).toBe(false);

    // Then 60 conferences (180 events): the night passes 500 events.
    const visits = visitsByTeacher(bundle, families);
    await runConferences(coordinator, visits, 60);
    expect(await healthSeq(server.url)).toBeGreaterThan(500);

    await until(() => existsSync(snapshotPath), 'snapshot.json to be written');
    const periodic = JSON.parse(await readFile(snapshotPath, 'utf8')) as { seq: number; commandIds: unknown[] };
    expect(periodic.seq).toBeGreaterThanOrEqual(500);
    // One entry per command; a command may add more than one event (a call also offers an escort).
    expect(periodic.commandIds.length).toBeGreaterThan(0);
    expect(periodic.commandIds.length).toBeLessThanOrEqual(periodic.seq - systemEvents);
    const savedSnapshot = path.join(dataDir, 'periodic-snapshot.json');
    await copyFile(snapshotPath, savedSnapshot);

    // More events after the snapshot, so that the restart needs both.
    const [teacherId, queue] = [...visits].find(([, q]) => q.length > 0)!;
    const late = { type: 'callFamily' as const, teacherId, visitId: queue.shift()!, commandId: newCommandId('after-snapshot') };
    expect(await coordinator.rawCommand(late)).toMatchObject({ ok: true });
    await runConferences(coordinator, new Map([...visits].filter(([t]) => t !== teacherId)), 5);
    const seq = server.host.committedSeq;
    expect(seq).toBeGreaterThan(periodic.seq);
    const state = structuredClone(server.host.committed);
    await coordinator.hello();
    expect(coordinator.seq).toBe(seq);
    const view = coordinator.view;
    expect(view!.counts.done).toBeGreaterThanOrEqual(65);
    await h.stop(server);

    // As after a crash: the periodic snapshot (not the one written on the clean stop) plus the journal.
    await copyFile(savedSnapshot, snapshotPath);
    server = await h.start({ dataDir });
    expect(server.host.committedSeq).toBe(seq);
    expect(server.host.committed).toEqual(state);
    const coordinator2 = await h.client<CoordinatorView>(server, 'coordinator', 'C1');
    expect(coordinator2.view).toEqual(view);
    expect(await coordinator2.rawCommand(late)).toMatchObject({ ok: true, duplicate: true });

    // And from the journal alone, the same again.
    await h.stop(server);
    await rm(snapshotPath);
    server = await h.start({ dataDir });
    expect(server.host.committed).toEqual(state);
  }, 30_000);

  it('a snapshot that cannot be written does not stop the night (real server process)', async () => {
    const dataDir = await h.dataDir();
    const proc = await startServerProcess(dataDir);
    processes.push(proc);
    // Make every snapshot fail: snapshot.json is a directory, so the final rename cannot replace it.
    await mkdir(path.join(dataDir, 'snapshot.json', 'in-the-way'), { recursive: true });

    const kiosk = h.track(new TestClient(proc.url, { token: proc.links.get('Kiosk K1')! }));
    const coordinator = h.track(new TestClient(proc.url, { token: proc.links.get('Coordinator')! }));
    await kiosk.connect();
    await coordinator.connect();
    const bundle = await loadBundleDir(demoBundleDir);
    const families = Object.keys(bundle.families);
    const acks = await Promise.all(families.map((familyId) => kiosk.command({ type: 'checkIn', familyId })));
    expect(acks.filter((a) => !a.ok)).toEqual([]);
    const visits = visitsByTeacher(bundle, families);

    // If a request fails, say why: the server's own last words when its process is gone.
    const survive = <T>(p: Promise<T>): Promise<T> => p.catch(async (e: Error) => {
      const gone = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('still running'), 2_000))]);
      throw new Error(`${e.message}; the server process: ${JSON.stringify(gone)}\n${proc.stderr().slice(-1200)}`);
    });

    // Past 500 events the server tries its periodic snapshot, which fails.
    await survive(runConferences(coordinator, visits, 60));
    expect(await survive(healthSeq(proc.url))).toBeGreaterThan(500);
    const [teacherId, queue] = [...visits].find(([, q]) => q.length > 0)!;
    expect(await survive(coordinator.command({ type: 'callFamily', teacherId, visitId: queue[0] }))).toMatchObject({ ok: true });
  }, 30_000);
});

describe('the server key', () => {
  it('an empty server.key (a crash while it was first written) is never used to sign links', async () => {
    const dataDir = await h.dataDir();
    await writeFile(path.join(dataDir, 'server.key'), '', { mode: 0o600 });
    const server = await h.start({ dataDir }).catch((e: Error) => e);
    if (server instanceof Error) return; // refusing to start is a fine answer too
    // Anyone who knows the night's id (every screen, a family's phone included, is sent it) could
    // otherwise compute every sign-in secret: an HMAC under an empty key.
    const nightId = server.host.nightId;
    const forged = createHmac('sha256', Buffer.alloc(0)).update(`${nightId}\nsign-in:coordinator:C1`).digest('base64url').slice(0, 32);
    expect(server.credentials.actorForSecret(forged)).toBeNull();
  });
});

