// Security over real HTTP and real sockets: headers, the Origin check, teacher codes, revocation,
// the audit log, the data directory's permissions, and the per-connection flood limit.
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { AuditEntry } from '../../server/night-host';
import type { TeacherView } from '../../shared/domain/projections';
import type { Ack } from '../../shared/protocol';
import { TestClient } from '../helpers/client';
import { Harness, repoRoot, secretFor } from '../helpers/server';

const h = new Harness();
afterEach(() => h.cleanup());

/** Connects with the given auth and headers; resolves with the connect error's message, or 'connected'. */
function tryConnect(url: string, auth: Record<string, unknown>, extraHeaders: Record<string, string> = {}): Promise<string> {
  const socket = io(url, { transports: ['websocket'], auth, extraHeaders, forceNew: true, reconnection: false });
  return new Promise((resolve) => {
    socket.once('connect', () => { socket.close(); resolve('connected'); });
    socket.once('connect_error', (e) => { socket.close(); resolve(e.message); });
  });
}

const cookieOf = (res: Response) => res.headers.get('set-cookie')?.split(';')[0] ?? '';

describe('security headers on real responses', () => {
  it('every response carries a strict CSP, frame-ancestors none and helmet\'s other headers', async () => {
    const server = await h.start();
    const paths = ['/', '/kiosk', '/status/whatever', '/healthz', '/signin', '/signin/not-a-secret', '/nope', '/socket.io/?EIO=4&transport=polling'];
    for (const p of paths) {
      const res = await fetch(server.url + p, { redirect: 'manual' });
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
      if (p.startsWith('/socket.io')) continue; // engine.io answers itself, before Express
      expect(directives, p).toMatchObject({
        'default-src': "'self'", 'script-src': "'self'", 'style-src': "'self'", 'connect-src': "'self'",
        'img-src': "'self' data:", 'frame-ancestors': "'none'", 'object-src': "'none'", 'base-uri': "'self'", 'form-action': "'self'",
      });
      expect(csp, p).not.toContain('unsafe-inline');
      expect(csp, p).not.toContain('upgrade-insecure-requests');
      expect(res.headers.get('x-frame-options'), p).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), p).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), p).toBe('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy'), p).toBe('same-origin');
      expect(res.headers.get('cross-origin-resource-policy'), p).toBe('same-origin');
      expect(res.headers.get('x-powered-by'), p).toBeNull();
    }
    // The built page has no inline script for the CSP to forbid.
    const html = await (await fetch(`${server.url}/kiosk`)).text();
    if (html.includes('<script')) expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('a sign-in link sets an HttpOnly, SameSite=Strict cookie', async () => {
    const server = await h.start();
    const res = await fetch(`${server.url}/signin/${secretFor(server.links, 'kiosk', 'K1')}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/^cn_kiosk=[^;]+;.*HttpOnly.*SameSite=Strict/i);
  });
});

describe('the Socket.IO Origin check', () => {
  it('refuses a foreign Origin, accepts the same origin and clients that send none', async () => {
    const server = await h.start();
    const auth = { token: secretFor(server.links, 'kiosk', 'K1') };
    expect(await tryConnect(server.url, auth, { Origin: 'http://evil.example' })).not.toBe('connected');
    expect(await tryConnect(server.url, auth, { Origin: `http://localhost:${server.port + 1}` })).not.toBe('connected');
    expect(await tryConnect(server.url, auth, { Origin: 'null' })).not.toBe('connected');
    expect(await tryConnect(server.url, auth, { Origin: server.url })).toBe('connected');
    expect(await tryConnect(server.url, auth)).toBe('connected');
    // Long-polling's handshake is checked the same way.
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
  });
});

describe('a teacher\'s short code on a shared laptop', () => {
  it('sets the teacher\'s cookie; a wrong code is refused; the sixth attempt in a minute is 429', async () => {
    const server = await h.start();
    const link = server.credentials.links.find((l) => l.actor.role === 'teacher' && l.actor.id === 'T001')!;
    expect(link.code).toMatch(/^[A-HJKMNP-Z2-9]{8}$/);
    const codes = server.credentials.links.filter((l) => l.code).map((l) => l.code);
    expect(new Set(codes).size).toBe(codes.length);

    const form = await fetch(`${server.url}/signin`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('action="/signin/code"');

    const post = (code: string) => fetch(`${server.url}/signin/code`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ code }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const wrong = await post('AAAA-AAAA');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    // Typed in lower case with a space, as people do.
    const typed = `${link.code!.slice(0, 4).toLowerCase()} ${link.code!.slice(4)}`;
    const ok = await post(typed);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/teacher');
    expect(ok.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(cookieOf(ok)).toBe(`cn_teacher=${link.secret}`);
    // The cookie is a teacher's session, on the teacher's own line.
    const viaCookie = new TestClient<TeacherView>(server.url, { role: 'teacher' }, { extraHeaders: { cookie: cookieOf(ok) } });
    h.track(viaCookie);
    await viaCookie.connect();
    await viaCookie.hello();
    expect(viaCookie.view!.teacher.id).toBe('T001');

    for (let i = 0; i < 3; i++) expect((await post('BBBBBBBB')).status).toBe(401);
    // Five attempts used: the sixth is refused even with the right code.
    const limited = await post(link.code!);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.headers.get('set-cookie')).toBeNull();
  });
});

describe('revocation', () => {
  it('the coordinator revokes a teacher: their socket is dropped, the link, cookie and code die, a new link works, also after a restart', async () => {
    const dataDir = await h.dataDir();
    let server = await h.start({ dataDir });
    const oldSecret = secretFor(server.links, 'teacher', 'T001');
    const oldCode = server.credentials.teacherCodeFor('T001');
    const coordinator = await h.client(server, 'coordinator', 'C1');
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const otherTeacher = await h.client<TeacherView>(server, 'teacher', 'T002');
    const dropped = new Promise<string>((resolve) => teacher.socket.once('disconnect', resolve));

    // Nobody else may revoke.
    expect(await teacher.command({ type: 'revokeSignIn', role: 'teacher', id: 'T002' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await coordinator.command({ type: 'revokeSignIn', role: 'teacher', id: 'T999' })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await coordinator.command({ type: 'revokeSignIn', role: 'teacher', id: 'T001' })).toMatchObject({ ok: true });
    expect(await dropped).toBe('io server disconnect');
    expect(otherTeacher.socket.connected).toBe(true);

    expect(await tryConnect(server.url, { token: oldSecret })).toBe('unauthorized');
    expect((await fetch(`${server.url}/signin/${oldSecret}`, { redirect: 'manual' })).status).toBe(404);
    const oldCookie = new TestClient(server.url, { role: 'teacher' }, { extraHeaders: { cookie: `cn_teacher=${oldSecret}` } });
    h.track(oldCookie);
    await expect(oldCookie.connect()).rejects.toThrow('unauthorized');
    const codeAttempt = await fetch(`${server.url}/signin/code`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ code: oldCode }) });
    expect(codeAttempt.status).toBe(401);

    // The coordinator's sheet has the new link, which works.
    const links = await coordinator.query<{ role: string; id: string; secret: string; code?: string }[]>({ type: 'signInLinks' });
    if (!links.ok) throw new Error('no links');
    const fresh = links.data.find((l) => l.role === 'teacher' && l.id === 'T001')!;
    expect(fresh.secret).not.toBe(oldSecret);
    expect(fresh.code).not.toBe(oldCode);
    expect(await tryConnect(server.url, { token: fresh.secret })).toBe('connected');
    // Other links did not change.
    expect(links.data.find((l) => l.role === 'teacher' && l.id === 'T002')!.secret).toBe(secretFor(server.links, 'teacher', 'T002'));

    // No secret in the journal.
    const journal = await readFile(path.join(dataDir, 'journal.ndjson'), 'utf8');
    expect(journal).toContain('signInRevoked');
    expect(journal).not.toContain(oldSecret);
    expect(journal).not.toContain(fresh.secret);

    // Durable: after a restart the old link is still dead, the new one still works.
    await h.stop(server);
    server = await h.start({ dataDir });
    expect(await tryConnect(server.url, { token: oldSecret })).toBe('unauthorized');
    expect(await tryConnect(server.url, { token: fresh.secret })).toBe('connected');
    expect(secretFor(server.credentials.links, 'teacher', 'T001')).toBe(fresh.secret);
  });

  it('revoking a family\'s page drops it and changes its status link; a kiosk check-in then hands out the new one', async () => {
    const server = await h.start();
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const coordinator = await h.client(server, 'coordinator', 'C1');
    const first = await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    const oldToken = first.result!.statusToken!;
    const family = await h.clientWith(server, { statusToken: oldToken });
    const dropped = new Promise<string>((resolve) => family.socket.once('disconnect', resolve));
    expect(await coordinator.command({ type: 'revokeSignIn', role: 'family', id: 'F0001' })).toMatchObject({ ok: true });
    expect(await dropped).toBe('io server disconnect');
    expect(await tryConnect(server.url, { statusToken: oldToken })).toBe('unauthorized');
    const again = await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    expect(again).toMatchObject({ ok: false, code: 'already_checked_in' });
    expect(again.result!.statusToken).not.toBe(oldToken);
    expect(await tryConnect(server.url, { statusToken: again.result!.statusToken! })).toBe('connected');
  });
});

describe('the audit log', () => {
  it('records coordinator overrides, revocations and the import — ids only, no secrets — for the coordinator alone', async () => {
    const server = await h.start();
    const coordinator = await h.client(server, 'coordinator', 'C1');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const teacher = await h.client(server, 'teacher', 'T002');
    await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    await kiosk.command({ type: 'checkIn', familyId: 'F0002' });
    expect(await teacher.command({ type: 'callFamily', teacherId: 'T002' })).toMatchObject({ ok: true }); // routine: not audited
    expect(await coordinator.command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: true });
    expect(await coordinator.command({ type: 'putBack', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
    expect(await coordinator.command({ type: 'revokeSignIn', role: 'kiosk', id: 'K2' })).toMatchObject({ ok: true });

    const answer = await coordinator.query<AuditEntry[]>({ type: 'auditLog' });
    if (!answer.ok) throw new Error(answer.message);
    const log = answer.data;
    expect(log.map((e) => [e.action, e.subject, e.actor?.role ?? null])).toEqual([
      ['signInRevoked', 'kiosk:K2', 'coordinator'],
      ['familyPutBack', 'F0001:T001', 'coordinator'],
      ['familyCalled', 'F0001:T001', 'coordinator'],
      ['nightCreated', server.host.committed.setup!.event.id, null],
    ]);
    expect(log[0]).toMatchObject({ action: 'signInRevoked', subject: 'kiosk:K2', actor: { role: 'coordinator', id: 'C1' } });
    expect(log.some((e) => e.subject === 'F0002:T002')).toBe(false);
    const text = JSON.stringify(log);
    for (const l of server.credentials.links) expect(text).not.toContain(l.secret);
    for (const l of server.links) expect(text).not.toContain(l.secret);
    expect(text).not.toContain('Hamza');

    expect(await kiosk.query({ type: 'auditLog' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await teacher.query({ type: 'auditLog' })).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('survives a restart through the snapshot', async () => {
    const dataDir = await h.dataDir();
    let server = await h.start({ dataDir });
    const coordinator = await h.client(server, 'coordinator', 'C1');
    await coordinator.command({ type: 'revokeSignIn', role: 'board', id: 'B1' });
    const before = server.host.auditLog;
    await h.stop(server); // writes a snapshot
    server = await h.start({ dataDir });
    expect(server.host.auditLog).toEqual(before);
    expect(before[0]).toMatchObject({ action: 'signInRevoked', subject: 'board:B1' });
  });
});

describe('the data directory', () => {
  const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

  it('is readable by the owner only: the directory 0700, every file 0600, also one that was left wider', async () => {
    const dataDir = await h.dataDir();
    await chmod(dataDir, 0o755);
    let server = await h.start({ dataDir });
    await h.stop(server); // snapshot.json too
    const files = await readdir(dataDir);
    expect(files).toEqual(expect.arrayContaining(['journal.ndjson', 'meta.json', 'server.key', 'snapshot.json']));
    expect(await modeOf(dataDir)).toBe(0o700);
    for (const f of files) expect(`${f} ${(await modeOf(path.join(dataDir, f))).toString(8)}`).toBe(`${f} 600`);

    // Loosened by hand (a copy, a backup restore): tightened again at start.
    await chmod(dataDir, 0o755);
    for (const f of files) await chmod(path.join(dataDir, f), 0o644);
    server = await h.start({ dataDir });
    expect(await modeOf(dataDir)).toBe(0o700);
    for (const f of files) expect(await modeOf(path.join(dataDir, f))).toBe(0o600);
    await h.stop(server);
  });

  it('a new data directory is created 0700', async () => {
    const parent = await h.dataDir();
    const dataDir = path.join(parent, 'night');
    await h.start({ dataDir });
    expect(await modeOf(dataDir)).toBe(0o700);
  });
});

function runFlooder(url: string, token: string, ms: number): Promise<{ sent: number; rateLimited: number; other: number; connections: number; disconnects: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'tests', 'helpers', 'flooder.mjs'), url, token, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flooder exited with ${code}: ${out}`))));
  });
}

describe('per-connection flood limit', () => {
  /** Sends commands and queries as fast as the socket takes them until it is gone or told to stop. */
  function flood(client: TestClient, acks: Ack[]) {
    let stop = false;
    let n = 0;
    const done = (async () => {
      while (!stop && client.socket.connected) {
        for (let i = 0; i < 50; i++) {
          client.socket.emit('command', { type: 'resume', teacherId: 'T001', commandId: `flood-${n++}-xxxxxxxx` }, (a: Ack) => acks.push(a));
          client.socket.emit('query', { type: 'findFamilies', text: 'Tr' }, () => undefined);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      return n;
    })();
    return { stop: () => { stop = true; return done; } };
  }

  it('a flooding client is answered rate_limited, then disconnected; its link still works afterwards', async () => {
    const server = await h.start();
    const flooder = await h.client(server, 'kiosk', 'K1');
    const calm = await h.client(server, 'kiosk', 'K2');
    const acks: Ack[] = [];
    const gone = new Promise<string>((resolve) => flooder.socket.once('disconnect', resolve));
    const f = flood(flooder, acks);
    expect(await gone).toBe('io server disconnect');
    await f.stop();
    const limited = acks.filter((a) => !a.ok && a.code === 'rate_limited').length;
    expect(limited).toBeGreaterThan(0);
    // Only the burst (40, less the hello) and what the bucket refilled went further.
    expect(acks.length - limited).toBeLessThanOrEqual(45);
    expect(acks.filter((a) => !a.ok && a.code !== 'rate_limited').every((a) => !a.ok && a.code === 'forbidden')).toBe(true);
    expect(calm.socket.connected).toBe(true);
    expect(await calm.query({ type: 'findFamilies', text: '3445' })).toMatchObject({ ok: true });
    // Disconnected, not banned: a screen that reconnects calmly carries on.
    expect(await tryConnect(server.url, { token: secretFor(server.links, 'kiosk', 'K1') })).toBe('connected');
  });

  it('while two clients flood, another client\'s round trips stay fast', async () => {
    // The flooders reconnect each time they are disconnected, so the flood lasts while latency is measured.
    const server = await h.start();
    const calm = await h.client(server, 'kiosk', 'K2');
    const measure = async (ms: number) => {
      const latencies: number[] = [];
      const start = performance.now();
      while (performance.now() - start < ms) {
        const t0 = performance.now();
        const answer = await calm.query({ type: 'findFamilies', text: '3445' });
        latencies.push(performance.now() - t0);
        expect(answer.ok).toBe(true);
        await new Promise((r) => setTimeout(r, 60)); // a person's pace, well under the limit
      }
      latencies.sort((a, b) => a - b);
      return { n: latencies.length, p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.ceil(latencies.length * 0.99) - 1] };
    };
    const quiet = await measure(600);

    // The flooders run in processes of their own, as they would on other machines.
    const flooders = ['K1', 'K3'].map((_, i) => runFlooder(server.url, secretFor(server.links, i === 0 ? 'kiosk' : 'board', i === 0 ? 'K1' : 'B1'), 2_600));
    await new Promise((r) => setTimeout(r, 300)); // let the floods get going
    const loud = await measure(2_000);
    const results = await Promise.all(flooders);
    const sent = results.reduce((a, r) => a + r.sent, 0);
    const limited = results.reduce((a, r) => a + r.rateLimited, 0);
    const connections = results.reduce((a, r) => a + r.connections, 0);

    console.log(`flood: ${sent} commands (and as many queries) from 2 flooders in 2.6 s over ${connections} connections, ${limited} answered rate_limited, ${JSON.stringify(results.map((r) => r.disconnects))}; `
      + `calm client: quiet p50 ${quiet.p50.toFixed(1)} ms p99 ${quiet.p99.toFixed(1)} ms (${quiet.n}); `
      + `during the flood p50 ${loud.p50.toFixed(1)} ms p99 ${loud.p99.toFixed(1)} ms (${loud.n} round trips)`);
    expect(sent).toBeGreaterThan(1_000);
    expect(limited).toBeGreaterThan(0);
    // Each connection got its burst through at most, then was cut off by the server.
    expect(results.reduce((a, r) => a + r.other, 0)).toBeLessThanOrEqual(connections * 45);
    expect(results.reduce((a, r) => a + (r.disconnects['io server disconnect'] ?? 0), 0)).toBeGreaterThanOrEqual(connections - 2);
    expect(loud.p50).toBeLessThan(50);
    expect(loud.p99).toBeLessThan(250);
  });

  it('a short burst within the limit is never refused', async () => {
    const server = await h.start();
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const answers = await Promise.all(Array.from({ length: 30 }, () => kiosk.query({ type: 'findFamilies', text: 'Tr' })));
    expect(answers.every((a) => a.ok)).toBe(true);
  });
});
