// The whole pipeline over real sockets: a real server on a fresh data directory with the demo night,
// real socket.io-client clients signed in with their link secrets, views kept in sync from pushed deltas.
import jsonPatch from 'fast-json-patch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { CoordinatorView, FamilyView, TeacherView } from '../../shared/domain/projections';
import type { SyncMessage } from '../../shared/protocol';
import { newCommandId, TestClient } from '../helpers/client';
import { Harness, healthSeq, secretFor } from '../helpers/server';

const h = new Harness();
let server: RunningServer;

beforeEach(async () => { server = await h.start(); });
afterEach(() => h.cleanup());

const inLine = (familyId: string) => (v: TeacherView) => v.line.some((e) => e.visitId.startsWith(`${familyId}:`));

describe('check-in reaches the teacher', () => {
  it('a kiosk checks a family in and their teacher\'s screen shows them in the line', async () => {
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    expect(teacher.view!.line).toEqual([]);
    const seqBefore = teacher.seq!;

    const ack = await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    expect(ack).toMatchObject({ ok: true, seq: seqBefore + 1, result: { ticket: 'T-1', statusToken: expect.any(String) } });

    const view = await teacher.waitFor(inLine('F0001'), 'F0001 in T001\'s line');
    expect(view.line).toEqual([
      expect.objectContaining({ visitId: 'F0001:T001', ticket: 'T-1', guardianName: 'Hamza Tran', children: ['Sofia'], status: 'waiting' }),
    ]);
    expect(view.proposal?.visitId).toBe('F0001:T001');
    // It came as a pushed delta that follows on from the teacher's seq, not as a new snapshot (the
    // family's estimates, kept just after, may follow it).
    expect(teacher.pushed.find((m) => m.seq === (ack.ok ? ack.seq : -1))).toMatchObject({ kind: 'delta', fromSeq: seqBefore });
    expect(teacher.gaps).toBe(0);
  });

  it('the estimates the family is given are kept just after the kiosk has its answer, not before', async () => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const ack = await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    expect(ack).toMatchObject({ ok: true });
    // The check-in's own event carries no estimate: the forecast is not on the check-in's path.
    const checkInSeq = ack.ok ? ack.seq : -1;
    await server.host.idle();
    expect(server.host.committedSeq).toBe(checkInSeq + 1);
    const visit = server.host.committed.visits['F0001:T001'];
    expect(visit.promisedAt).toEqual(expect.any(Number));
    expect(visit.promisedAt!).toBeGreaterThanOrEqual(server.host.committed.checkIns.F0001.at);
    // The family's first stop, asked a moment later, says about the same time.
    const first = await kiosk.query<{ estimatedStart: number }>({ type: 'firstStop', familyId: 'F0001' });
    expect(first.ok).toBe(true);
    if (first.ok) expect(Math.abs(first.data.estimatedStart - visit.promisedAt!)).toBeLessThan(60_000);
  });

  it('a teacher of another class hears nothing about it', async () => {
    const other = await h.client<TeacherView>(server, 'teacher', 'T002');
    const mine = await h.client<TeacherView>(server, 'teacher', 'T001');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    await kiosk.command({ type: 'checkIn', familyId: 'F0002' }); // T002's
    await mine.waitFor(inLine('F0001'), 'F0001 in T001\'s line');
    await other.waitFor(inLine('F0002'), 'F0002 in T002\'s line');
    expect(other.view!.line.map((e) => e.visitId)).toEqual(['F0002:T002']);
    expect(JSON.stringify(other.applied)).not.toContain('Hamza');
  });
});

describe('a command is applied once', () => {
  it('sent twice with the same commandId: applied once, acknowledged twice', async () => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const coordinator = await h.client<CoordinatorView>(server, 'coordinator', 'C1');
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const seq0 = await healthSeq(server.url);
    const command = { type: 'checkIn' as const, familyId: 'F0001', commandId: newCommandId('retry') };

    const first = await kiosk.rawCommand(command);
    const second = await kiosk.rawCommand(command);

    expect(first).toMatchObject({ ok: true, seq: seq0 + 1 });
    expect(first).not.toHaveProperty('duplicate');
    expect(second).toMatchObject({ ok: true, seq: seq0 + 1, duplicate: true });
    // One check-in, and the family's estimates kept just after it: nothing for the repeat.
    await server.host.idle();
    expect(await healthSeq(server.url)).toBe(seq0 + 2);
    await coordinator.waitFor((v) => v.counts.checkedIn === 1, 'one family checked in');
    const view = await teacher.waitFor(inLine('F0001'), 'F0001 in line');
    expect(view.line.filter((e) => e.visitId === 'F0001:T001')).toHaveLength(1);
  });

  it('sent twice at once (from one socket and from two): one application', async () => {
    const k1 = await h.client(server, 'kiosk', 'K1');
    const k2 = await h.client(server, 'kiosk', 'K2');
    const coordinator = await h.client<CoordinatorView>(server, 'coordinator', 'C1');
    const seq0 = await healthSeq(server.url);

    const same = { type: 'checkIn' as const, familyId: 'F0027', commandId: newCommandId('together') };
    const acks = await Promise.all([k1.rawCommand(same), k1.rawCommand(same)]);
    expect(acks.every((a) => a.ok && a.seq === seq0 + 1)).toBe(true);
    expect(acks.filter((a) => a.ok && a.duplicate)).toHaveLength(1);

    // (F0027's estimates are kept just after its check-in: seq0 + 2)
    const across = { type: 'checkIn' as const, familyId: 'F0040', commandId: newCommandId('across') };
    const acks2 = await Promise.all([k1.rawCommand(across), k2.rawCommand(across), k2.rawCommand(across)]);
    expect(acks2.every((a) => a.ok && a.seq === seq0 + 3)).toBe(true);
    expect(acks2.filter((a) => a.ok && a.duplicate)).toHaveLength(2);

    await server.host.idle();
    expect(await healthSeq(server.url)).toBe(seq0 + 4);
    const view = await coordinator.waitFor((v) => v.counts.checkedIn === 2, 'two families checked in');
    expect(view.counts.waiting).toBe(2);
  });

  it('two kiosks checking the same family in at once: one check-in, and both hand out the ticket', async () => {
    const k1 = await h.client(server, 'kiosk', 'K1');
    const k2 = await h.client(server, 'kiosk', 'K2');
    const seq0 = await healthSeq(server.url);
    const [a, b] = await Promise.all([
      k1.command({ type: 'checkIn', familyId: 'F0001' }),
      k2.command({ type: 'checkIn', familyId: 'F0001' }),
    ]);
    expect([a, b].filter((x) => x.ok)).toHaveLength(1);
    expect([a, b].filter((x) => !x.ok && x.code === 'already_checked_in')).toHaveLength(1);
    await server.host.idle();
    expect(await healthSeq(server.url)).toBe(seq0 + 2); // the check-in and the estimates kept after it
    // The kiosk that lost the race still shows the family their ticket and status link.
    for (const ack of [a, b]) expect(ack.result).toEqual({ ticket: 'T-1', statusToken: server.credentials.statusTokenFor('F0001') });
    // Then (off the check-in's path) where they go first, and roughly when.
    expect(await k1.query({ type: 'firstStop', familyId: 'F0001' })).toEqual({
      ok: true, data: { teacherName: 'Mx. Pierre', roomName: 'Room A101', called: false, estimatedStart: expect.any(Number) },
    });
    expect(await k1.query({ type: 'firstStop', familyId: 'F0002' })).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('a different command for a family already checked in is refused, not applied', async () => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    await server.host.idle();
    const seq = await healthSeq(server.url);
    const again = await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    // The kiosk still gets the family's ticket and status link to hand out again.
    expect(again).toMatchObject({ ok: false, code: 'already_checked_in', result: { ticket: 'T-1', statusToken: expect.any(String) } });
    expect(await healthSeq(server.url)).toBe(seq);
  });
});

describe('catching up', () => {
  it('a client that missed events reconnects with its old seq, gets a delta and ends up with a fresh client\'s view', async () => {
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const coordinator = await h.client(server, 'coordinator', 'C1');
    await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    await teacher.waitFor(inLine('F0001'), 'F0001 in line');
    const oldSeq = teacher.seq!;
    const oldView = teacher.view!;

    await teacher.disconnect();
    for (const f of ['F0027', 'F0040', 'F0002', 'F0055']) expect(await kiosk.command({ type: 'checkIn', familyId: f })).toMatchObject({ ok: true });
    expect(await coordinator.command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: true });
    expect(teacher.view).toBe(oldView); // it really missed them

    await teacher.connect();
    const answer = await teacher.hello();
    expect(answer).toMatchObject({ kind: 'delta', fromSeq: oldSeq });
    expect((answer as Extract<SyncMessage, { kind: 'delta' }>).patch.length).toBeGreaterThan(0);

    const fresh = await h.client<TeacherView>(server, 'teacher', 'T001');
    expect(fresh.applied[0].kind).toBe('snapshot');
    expect(teacher.seq).toBe(fresh.seq);
    expect(teacher.view).toEqual(fresh.view);
    expect(teacher.view!.called).toMatchObject({ visitId: 'F0001:T001', status: 'called' });
    expect(teacher.view!.line.map((e) => e.visitId)).toEqual(['F0027:T001', 'F0040:T001', 'F0055:T001']);

    // And it keeps receiving pushes from there on.
    await kiosk.command({ type: 'checkIn', familyId: 'F0066' });
    await teacher.waitFor(inLine('F0066'), 'F0066 in line after catching up');
    await fresh.waitFor(inLine('F0066'), 'F0066 in the fresh client\'s line');
    expect(teacher.view).toEqual(fresh.view);
    expect(teacher.gaps).toBe(0);
  });

  it('two tabs of one teacher: the one that dropped catches up by delta when a little behind, by snapshot when far behind', async () => {
    // 70 check-ins in a tight loop from one kiosk is beyond the per-connection flood limit.
    server = await h.start({ rateLimit: false });
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const stay = await h.client<TeacherView>(server, 'teacher', 'T001');
    const drop = await h.client<TeacherView>(server, 'teacher', 'T001');
    const families = Object.keys(server.host.committed.setup!.families);

    await drop.disconnect();
    for (const f of families.slice(0, 10)) expect(await kiosk.command({ type: 'checkIn', familyId: f })).toMatchObject({ ok: true });
    await server.host.idle();
    await stay.caughtUp();
    await drop.connect();
    expect((await drop.hello()).kind).toBe('delta');
    expect(drop.view).toEqual(stay.view);

    // More than the 50 changes the server keeps: the whole view instead. Both tabs share one audience,
    // so every change pushed to the tab that stayed is one the server keeps (check-ins close together
    // may share a change): check in until more than 50 have been pushed.
    await drop.disconnect();
    const pushedBefore = stay.pushed.length;
    for (const f of families.slice(10)) {
      if (stay.pushed.length - pushedBefore > 50) break;
      expect(await kiosk.command({ type: 'checkIn', familyId: f })).toMatchObject({ ok: true });
    }
    expect(stay.pushed.length - pushedBefore).toBeGreaterThan(50);
    await server.host.idle();
    await stay.caughtUp();
    await drop.connect();
    expect((await drop.hello()).kind).toBe('snapshot');
    expect(drop.view).toEqual(stay.view);
    expect(stay.gaps).toBe(0);
  });

  it('a client back from a drop during which nothing happened gets an empty delta', async () => {
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const seq = teacher.seq;
    await teacher.disconnect();
    await teacher.connect();
    expect(await teacher.hello()).toEqual({ kind: 'delta', nightId: teacher.nightId, fromSeq: seq, seq, patch: [] });
  });

  it('a client whose part of the night did not change gets an empty delta (no clock in the views)', async () => {
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    await teacher.disconnect();
    await kiosk.command({ type: 'checkIn', familyId: 'F0002' }); // not T001's
    await teacher.connect();
    const answer = await teacher.hello();
    expect(answer.kind).toBe('delta');
    if (answer.kind === 'delta') expect(answer.patch).toEqual([]);
    expect(teacher.view!.line).toEqual([]);
  });

  it('a client with a seq from the future, or from another night, gets a snapshot', async () => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    await server.host.idle(); // and the family's estimates, kept just after
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    const nightId = teacher.nightId!;
    const current = teacher.view;

    const future = await teacher.hello({ nightId, lastSeq: 99999 });
    expect(future).toMatchObject({ kind: 'snapshot', nightId, seq: teacher.seq });
    expect((future as Extract<SyncMessage, { kind: 'snapshot' }>).view).toEqual(current);

    const otherNight = await teacher.hello({ nightId: 'another-night.abc', lastSeq: teacher.seq });
    expect(otherNight).toMatchObject({ kind: 'snapshot', nightId });

    const nothing = await teacher.hello({ nightId: null, lastSeq: null });
    expect(nothing.kind).toBe('snapshot');
    expect(teacher.view).toEqual(current);
  });

  it('a malformed hello is answered with invalid', async () => {
    const teacher = await h.client(server, 'teacher', 'T001');
    const answer = await teacher.socket.timeout(5000).emitWithAck('hello', { nightId: null, lastSeq: -1 });
    expect(answer).toMatchObject({ ok: false, code: 'invalid' });
  });
});

describe('refusals change nothing', () => {
  it.each([
    ['a missing field', { type: 'checkIn', commandId: 'bad-missing-1' }],
    ['an extra field', { type: 'checkIn', commandId: 'bad-extra-01', familyId: 'F0001', sneaky: true }],
    ['a wrong type', { type: 'checkIn', commandId: 'bad-type-001', familyId: 1234 }],
    ['a too short commandId', { type: 'checkIn', commandId: 'short', familyId: 'F0001' }],
    ['an unknown command', { type: 'deleteEverything', commandId: 'bad-unknown-1' }],
    ['no object at all', 'checkIn F0001'],
  ])('%s is refused as invalid', async (_what, payload) => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const coordinator = await h.client<CoordinatorView>(server, 'coordinator', 'C1');
    const seq = await healthSeq(server.url);

    const ack = await kiosk.rawCommand(payload);
    expect(ack).toMatchObject({ ok: false, code: 'invalid', message: expect.stringContaining('not understood') });
    expect(await healthSeq(server.url)).toBe(seq);
    expect((await coordinator.hello()).kind).toBe('delta');
    expect(coordinator.view!.counts.checkedIn).toBe(0);

    // The refused commandId was not remembered: a valid command with it is applied, not called a duplicate.
    if (typeof payload === 'object' && payload.commandId.length >= 8) {
      const ok = await kiosk.rawCommand({ type: 'checkIn', commandId: payload.commandId, familyId: 'F0001' });
      expect(ok).toEqual(expect.objectContaining({ ok: true, seq: seq + 1 }));
      expect(ok).not.toHaveProperty('duplicate');
    }
  });

  it('a teacher calling on another teacher\'s line is forbidden', async () => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const intruder = await h.client(server, 'teacher', 'T002');
    const owner = await h.client<TeacherView>(server, 'teacher', 'T001');
    await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    const seq = await healthSeq(server.url);

    expect(await intruder.command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await intruder.command({ type: 'callFamily', teacherId: 'T001', visitId: 'F0001:T001' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await healthSeq(server.url)).toBe(seq);

    expect(await owner.command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: true });
    expect(await intruder.command({ type: 'startConference', visitId: 'F0001:T001' })).toMatchObject({ ok: false, code: 'forbidden' });
    const view = await owner.waitFor((v) => v.called?.status === 'called', 'F0001 called');
    expect(view.called!.visitId).toBe('F0001:T001');
  });

  it('roles that may not act are forbidden: board check-in, kiosk calling, families looking others up', async () => {
    const board = await h.client(server, 'board', 'B1');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const family = await h.family(server, 'F0001');
    const seq = await healthSeq(server.url);
    expect(await board.command({ type: 'checkIn', familyId: 'F0001' })).toMatchObject({ ok: false, code: 'forbidden', message: expect.stringContaining('board') });
    expect(await kiosk.command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await family.command({ type: 'checkIn', familyId: 'F0002' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await family.query({ type: 'findFamilies', text: 'Perez' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await board.query({ type: 'findFamilies', text: 'Perez' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await healthSeq(server.url)).toBe(seq);
  });

  it('a socket with a wrong token, or none, cannot connect', async () => {
    const wrong = h.track(new TestClient(server.url, { token: 'x'.repeat(32) }));
    await expect(wrong.connect()).rejects.toThrow('unauthorized');
    expect(wrong.socket.connected).toBe(false);

    const badStatus = h.track(new TestClient(server.url, { statusToken: 'not-a-status-token' }));
    await expect(badStatus.connect()).rejects.toThrow('unauthorized');

    const none = h.track(new TestClient(server.url, {}));
    await expect(none.connect()).rejects.toThrow('unauthorized');

    // A teacher's secret is not a coordinator's: a cookie-less browser claiming a role gets nowhere either.
    const claimed = h.track(new TestClient(server.url, { role: 'coordinator' }));
    await expect(claimed.connect()).rejects.toThrow('unauthorized');
  });
});

describe('kiosk queries', () => {
  it('finds families by phone digits with short labels, and shows the confirm step', async () => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const found = await kiosk.query({ type: 'findFamilies', text: '3445' });
    expect(found).toEqual({ ok: true, data: { tooMany: false, matches: [{ familyId: 'F0001', label: 'Hamza T.', children: ['Sofia'], checkedIn: false }] } });

    const many = await kiosk.query<{ matches: unknown[]; tooMany: boolean }>({ type: 'findFamilies', text: 'Williams' });
    expect(many).toEqual({ ok: true, data: { matches: [], tooMany: true } });

    const details = await kiosk.query({ type: 'familyDetails', familyId: 'F0007' });
    expect(details).toMatchObject({ ok: true, data: { label: 'Hamza W.', teachers: [expect.objectContaining({ id: 'T007' }), expect.objectContaining({ id: 'T008' })] } });
    expect(await kiosk.query({ type: 'familyDetails', familyId: 'F9999' })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await kiosk.query({ type: 'findFamilies', text: 'x' })).toMatchObject({ ok: false, code: 'invalid' });
  });
});

describe('a family\'s status page', () => {
  it('follows its visit from waiting to called to in conference to done', async () => {
    const family = await h.family<FamilyView>(server, 'F0001');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const teacher = await h.client<TeacherView>(server, 'teacher', 'T001');
    expect(family.view!.family).toMatchObject({ checkedIn: false, ticket: null, guardianFirstName: 'Hamza' });
    expect(family.view!.visits).toEqual([]);

    const checkIn = await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    // The status link the kiosk hands out is the one this page signed in with.
    expect(checkIn).toMatchObject({ ok: true, result: { statusToken: server.credentials.statusTokenFor('F0001') } });
    const statusOf = (v: FamilyView) => v.visits.find((x) => x.visitId === 'F0001:T001')?.status;

    let view = await family.waitFor((v) => statusOf(v) === 'waiting', 'waiting');
    expect(view.family).toMatchObject({ checkedIn: true, ticket: 'T-1' });
    expect(view.visits[0]).toMatchObject({ teacherName: 'Mx. Pierre', roomName: 'Room A101', position: 1 });

    expect(await teacher.command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: true });
    view = await family.waitFor((v) => statusOf(v) === 'called', 'called');
    expect(view.visits[0]).toMatchObject({ position: null, calledAt: expect.any(Number) });

    expect(await teacher.command({ type: 'startConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
    view = await family.waitFor((v) => statusOf(v) === 'inConference', 'inConference');
    expect(view.visits[0].startedAt).toEqual(expect.any(Number));

    expect(await teacher.command({ type: 'endConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
    view = await family.waitFor((v) => statusOf(v) === 'done', 'done');
    expect(view.visits[0].endedAt).toEqual(expect.any(Number));

    // Every state was seen, in order, each from a pushed delta.
    const seen: string[] = [];
    let replica: FamilyView | null = null;
    for (const m of family.applied) {
      if (m.kind === 'snapshot') replica = m.view as FamilyView;
      else replica = jsonPatch.applyPatch(replica, m.patch as never, false, false).newDocument;
      const s = replica && statusOf(replica);
      if (s && seen.at(-1) !== s) seen.push(s);
    }
    expect(seen).toEqual(['waiting', 'called', 'inConference', 'done']);
    expect(family.gaps).toBe(0);
    expect(JSON.stringify(family.applied)).not.toContain('Tran');
  });

  it('only shows the family its own visits even while others are in the same line', async () => {
    const kiosk = await h.client(server, 'kiosk', 'K1');
    await kiosk.command({ type: 'checkIn', familyId: 'F0001' });
    const family = await h.family<FamilyView>(server, 'F0027');
    await kiosk.command({ type: 'checkIn', familyId: 'F0027' });
    const view = await family.waitFor((v) => v.visits.length === 1, 'own visit');
    expect(view.visits[0]).toMatchObject({ visitId: 'F0027:T001', position: 2 });
    expect(JSON.stringify(family.applied)).not.toMatch(/Hamza|F0001/);
  });
});

describe('sign-in links', () => {
  it('a link sets the role\'s cookie and redirects to its page; a wrong one is a 404', async () => {
    const secret = secretFor(server.links, 'teacher', 'T001');
    const ok = await fetch(`${server.url}/signin/${secret}`, { redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/teacher');
    expect(ok.headers.get('set-cookie')).toMatch(new RegExp(`^cn_teacher=${secret};.*HttpOnly`, 'i'));

    const bad = await fetch(`${server.url}/signin/not-a-secret`, { redirect: 'manual' });
    expect(bad.status).toBe(404);

    // The cookie is what a browser's socket presents.
    const browser = h.track(new TestClient(server.url, { role: 'teacher' }, { extraHeaders: { cookie: `cn_teacher=${secret}` } }));
    await browser.connect();
    await browser.hello();
    expect(browser.view).toMatchObject({ role: 'teacher', teacher: { id: 'T001' } });
  });
});

describe('the conference\'s record over the wire', () => {
  it('a teacher\'s private note reaches that teacher\'s screens and no other socket; commitments reach the family', async () => {
    // F0007 sees T007 and T008; everyone who could hear of the family is listening.
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const torres = await h.client<TeacherView>(server, 'teacher', 'T007');
    const torresTab = await h.client<TeacherView>(server, 'teacher', 'T007');
    const listeners = [
      await h.client(server, 'teacher', 'T008'), await h.client(server, 'coordinator', 'C1'),
      await h.client(server, 'board', 'B1'), await h.client(server, 'kiosk', 'K2'), await h.client(server, 'staff', 'X005'),
    ];
    const family = await h.family<FamilyView>(server, 'F0007');
    await kiosk.command({ type: 'checkIn', familyId: 'F0007' });
    expect(await torres.command({ type: 'callFamily', teacherId: 'T007', visitId: 'F0007:T007' })).toMatchObject({ ok: true });
    expect(await torres.command({ type: 'startConference', visitId: 'F0007:T007' })).toMatchObject({ ok: true });

    const note = 'NOTE-5e1c: asked about custody arrangements';
    expect(await torres.command({ type: 'saveNote', visitId: 'F0007:T007', text: note })).toMatchObject({ ok: true });
    const commitments = [{ who: 'family' as const, text: 'read together every night' }];
    expect(await torres.command({ type: 'saveCommitments', visitId: 'F0007:T007', commitments })).toMatchObject({ ok: true });
    expect(await torres.command({ type: 'endConference', visitId: 'F0007:T007' })).toMatchObject({ ok: true });

    await torresTab.waitFor((v) => v.finished[0]?.note === note, 'the note on the other tab');
    await family.waitFor((v) => v.visits.some((x) => x.commitments.length === 1), 'commitments on the family page');
    for (const c of [...listeners, family]) await c.caughtUp();
    for (const c of [...listeners, family]) expect(JSON.stringify(c.applied)).not.toContain('NOTE-5e1c');
    expect(JSON.stringify(family.applied)).toContain('read together every night');
  });
});
