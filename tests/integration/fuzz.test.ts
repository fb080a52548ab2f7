// Hostile input over real sockets: more than 10,000 malformed payloads, from a seeded generator, to
// every command, every query and hello — wrong types, missing and extra fields, huge strings, deep
// nesting, __proto__ and constructor keys, odd Unicode, numbers out of range. The server answers
// every one with `invalid`, stays up, and the night is byte-for-byte what it was.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { mulberry32 } from '../../shared/random';
import { commandSchema, commandTypes, helloSchema, querySchema, type CommandType } from '../../shared/protocol';
import type { TestClient } from '../helpers/client';
import { Harness } from '../helpers/server';

const seed = 20261122;
const target = 12_000;

type Json = unknown;
type Payload = Record<string, Json>;

/** A valid payload of each kind: the fuzzer breaks one thing at a time (or several). */
function validCommand(type: CommandType, n: number): Payload {
  const base = { type, commandId: `fuzz-valid-${n}-abcdef` };
  switch (type) {
    case 'checkIn': return { ...base, familyId: 'F0003', teacherIds: ['T003'], language: 'en', wantsInterpreter: false, wantsEscort: false };
    case 'callFamily': return { ...base, teacherId: 'T001', visitId: 'F0001:T001' };
    case 'startConference': case 'endConference': case 'markNoShow': case 'putBack': return { ...base, visitId: 'F0001:T001' };
    case 'saveCommitments': return { ...base, visitId: 'F0001:T001', commitments: [{ who: 'teacher', text: 'Call on Friday' }] };
    case 'saveNote': return { ...base, visitId: 'F0001:T001', text: 'note' };
    case 'stepOut': return { ...base, familyId: 'F0001', minutes: 5 };
    case 'returnToLine': case 'leave': case 'leaveActivity': return { ...base, familyId: 'F0001' };
    case 'joinActivity': return { ...base, familyId: 'F0001', activityId: 'ACT3' };
    case 'takeBreak': return { ...base, teacherId: 'T001', minutes: 10 };
    case 'runningLate': return { ...base, teacherId: 'T001', minutes: 10 };
    case 'resume': return { ...base, teacherId: 'T001' };
    case 'setStaffStatus': return { ...base, staffId: 'A001', status: 'break' };
    case 'acceptTask': case 'declineTask': case 'finishTask': return { ...base, taskId: 'E-F0001:T001-0' };
    case 'openNight': case 'closeNight': return base;
    case 'revokeSignIn': return { ...base, role: 'teacher', id: 'T001' };
    case 'arriveTask': return { ...base, taskId: 'E-F0001:T001-0' };
    case 'pinInterpreter': return { ...base, staffId: 'X001', teacherId: 'T001', minutes: 30 };
    case 'unpinInterpreter': return { ...base, staffId: 'X001' };
    case 'tickChecklist': return { ...base, familyId: 'F0001', activityId: 'ACT1', item: 1, done: true };
    case 'leadTour': return { ...base, staffId: 'A001', ticket: 'H-1' };
    case 'endTour': return { ...base, staffId: 'A001' };
    case 'moveToFront': return { ...base, visitId: 'F0001:T001' };
    case 'reassignInterpreter': return { ...base, visitId: 'F0001:T001', staffId: 'X001' };
    case 'reassignEscort': return { ...base, taskId: 'E-F0001:T001-0', staffId: 'A001' };
    case 'announce': return { ...base, audience: { to: 'language', language: 'es' }, message: { texts: { es: 'La cena está servida', en: 'Dinner is served' } } };
    case 'editSetup': return { ...base, item: { kind: 'teacher', id: 'T001', name: 'Mx. Pierre', roomId: 'R101', languages: ['en', 'fr'] } };
    case 'purgePersonalData': return base;
    case 'registerWalkIn': return {
      ...base, familyId: 'W-fuzz0000000001', guardianName: 'Ana Lopez', language: 'es',
      children: [{ firstName: 'Lia', teacherId: 'T001' }], wantsInterpreter: false, wantsEscort: false,
    };
  }
}
const validQueries: Payload[] = [
  { type: 'findFamilies', text: 'Tran' }, { type: 'familyDetails', familyId: 'F0001' }, { type: 'signInLinks' }, { type: 'auditLog' }, { type: 'kioskDirectory' }, { type: 'firstStop', familyId: 'F0001' },
  { type: 'nightReport' }, { type: 'kiosks' },
];
const validHello: Payload = { nightId: 'x', lastSeq: 3 };

function generator(random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const int = (n: number) => Math.floor(random() * n);

  const oddStrings = [
    '', ' ', '\u0000', '\uD800', '\uDFFF', '\u202E' + 'gnp.exe', '\u200B\u200B', 'e\u0301\u0301\u0301', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '🧨'.repeat(30),
    'ﷺ'.repeat(20), '\r\n\t', '${process.exit()}', '<script>alert(1)</script>', '"; DROP TABLE visits; --', '../../etc/passwd',
    '%00', '\\u0000', 'T001\u0000', 'F0001 ', ' F0001', 'Ｔ００１', 'toString', '__proto__', 'constructor', 'NaN', 'null', '[]', '{}',
  ];
  const huge = () => pick(['x', 'é', '漢', '\uD83D\uDE00', '\u0000']).repeat(pick([41, 65, 300, 2_001, 5_000, 12_000]));
  const numbers = [-1, 0, -0, 0.5, 1e308, -1e308, 2 ** 53 + 2, -(2 ** 53) - 2, 121, 16, 91, 1e-7, Number.NaN, Infinity, -Infinity, 3.000001];
  const deep = (depth: number): Json => {
    let v: Json = pick([1, 'x', null, {}]);
    const asArray = random() < 0.5;
    for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
    return v;
  };
  const ownKey = (obj: Payload, key: string, value: Json): Payload => {
    // A key like "__proto__" as an own property, the way JSON.parse makes it on the server.
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    return obj;
  };
  const hostileValue = (): Json => {
    switch (int(10)) {
      case 0: return pick(oddStrings);
      case 1: return huge();
      case 2: return pick(numbers);
      case 3: return pick([true, false, null]);
      case 4: return deep(pick([2, 10, 100, 1_000, 3_000]));
      case 5: return Array.from({ length: pick([0, 1, 21, 200, 2_000]) }, () => pick(['T001', 1, null, {}]));
      case 6: return ownKey({}, '__proto__', { polluted: 'yes', isAdmin: true });
      case 7: return { constructor: { prototype: { polluted: 'yes' } } };
      case 8: return pick([{}, [], { type: 'checkIn' }, { length: 1e9 }]);
      default: return random() < 0.5 ? pick(oddStrings) + huge().slice(0, int(80)) : -int(1e6);
    }
  };
  const extraKeys = ['__proto__', 'constructor', 'prototype', 'extra', '$where', 'toString', 'hasOwnProperty', 'valueOf', '🔑', 'a'.repeat(500), ''];

  /** One malformed version of a valid payload. */
  const mutate = (valid: Payload): Json => {
    const p: Payload = { ...valid };
    const keys = Object.keys(p);
    const steps = 1 + (random() < 0.3 ? int(3) : 0);
    for (let s = 0; s < steps; s++) {
      switch (int(7)) {
        case 0: delete p[pick(keys)]; break; // a missing field
        case 1: ownKey(p, pick(extraKeys), hostileValue()); break; // an extra field
        case 2: case 3: p[pick(keys)] = hostileValue(); break; // a wrong type or value
        case 4: p.type = pick(['dropTables', 'tick', 'CHECKIN', 'checkIn ', '', 7, null, ['checkIn'], ...commandTypes.map((t) => t + '\u0000')]); break;
        case 5: if ('commandId' in valid) p.commandId = pick(['short', 'x'.repeat(65), 'with space-123', 'ünïcödé-1234', 12345678, null, '../../../../x']); else p[pick(keys)] = hostileValue(); break;
        default: return pick([hostileValue(), [valid], JSON.stringify(valid), undefined, 42, 'command']);
      }
    }
    return p;
  };
  return { mutate, pick, int };
}

const h = new Harness();
let server: RunningServer;
let clients: TestClient[];

const stateHash = () => createHash('sha256').update(JSON.stringify(server.host.committed)).update(`#${server.host.committedSeq}`).digest('hex');

beforeAll(async () => {
  // No flood limit here: this test sends thousands of messages on purpose, as fast as the server answers.
  server = await h.start({ rateLimit: false });
  clients = [await h.client(server, 'coordinator', 'C1'), await h.client(server, 'kiosk', 'K1'), await h.client(server, 'teacher', 'T001'), await h.family(server, 'F0001')];
  const kiosk = clients[1];
  // Something to break: a family in line and called, so that a command that slipped through would change the night.
  expect(await kiosk.command({ type: 'checkIn', familyId: 'F0001', wantsEscort: true })).toMatchObject({ ok: true });
  expect(await clients[2].command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: true });
});
afterAll(() => h.cleanup());

describe('fuzzing every message over real sockets', () => {
  it(`${target.toLocaleString('en')} malformed payloads: each answered invalid, the server up, the night unchanged`, async () => {
    const random = mulberry32(seed);
    const { mutate, pick, int } = generator(random);
    const cases: { event: 'command' | 'query' | 'hello'; payload: Json }[] = [];
    const perEvent: Record<string, number> = {};
    let tries = 0;
    while (cases.length < target && tries++ < target * 5) {
      const roll = int(100);
      let event: 'command' | 'query' | 'hello';
      let payload: Json;
      let name: string;
      if (roll < 80) {
        const type = commandTypes[cases.length % commandTypes.length];
        event = 'command'; name = type; payload = mutate(validCommand(type, cases.length));
      } else if (roll < 92) {
        const q = pick(validQueries);
        event = 'query'; name = `query:${String(q.type)}`; payload = mutate(q);
      } else {
        event = 'hello'; name = 'hello'; payload = mutate(validHello);
      }
      const schema = event === 'command' ? commandSchema : event === 'query' ? querySchema : helloSchema;
      // Only payloads that really are malformed (a mutation can land on an optional field), and that
      // fit in one Socket.IO message (the 64 KiB limit is tested on its own below).
      // Checked as the server will see it: after JSON (NaN and Infinity become null, undefined goes).
      const wire: unknown = payload === undefined ? null : JSON.parse(JSON.stringify(payload));
      if (schema.safeParse(wire).success) continue;
      const size = JSON.stringify(wire).length;
      if (size > 60_000) continue;
      cases.push({ event, payload });
      perEvent[name] = (perEvent[name] ?? 0) + 1;
    }
    expect(cases.length).toBe(target);
    // Every command type gets its share of the 80 % of payloads that are commands (less a few that stayed valid).
    for (const type of commandTypes) expect(perEvent[type], type).toBeGreaterThan((0.8 * target / commandTypes.length) * 0.6);
    for (const q of validQueries) expect(perEvent[`query:${String(q.type)}`]).toBeGreaterThan(100);
    expect(perEvent.hello).toBeGreaterThan(500);

    await server.host.idle(); // a check-in's estimates, kept just after it, are in

    const before = stateHash();
    const seqBefore = server.host.committedSeq;
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const answers: unknown[] = new Array(cases.length);
    const started = performance.now();
    const window = 400;
    for (let i = 0; i < cases.length; i += window) {
      await Promise.all(cases.slice(i, i + window).map(async (c, j) => {
        const client = clients[(i + j) % clients.length];
        answers[i + j] = await client.socket.timeout(10_000).emitWithAck(c.event, c.payload);
      }));
    }
    const ms = performance.now() - started;
    console.log(`fuzz: ${cases.length} malformed payloads in ${Math.round(ms)} ms (${JSON.stringify(perEvent)})`);

    const wrong = answers.map((a, i) => ({ a, i })).filter(({ a }) => (a as { ok?: boolean; code?: string })?.ok !== false || (a as { code?: string }).code !== 'invalid');
    expect(wrong.slice(0, 5).map(({ a, i }) => ({ answer: a, sent: JSON.stringify(cases[i].payload).slice(0, 200) }))).toEqual([]);
    expect(Math.max(...answers.map((a) => JSON.stringify(a).length))).toBeLessThan(300); // no echo of a huge payload

    expect(server.host.committedSeq).toBe(seqBefore);
    expect(stateHash()).toBe(before);
    // Nothing leaked into Object.prototype (the server runs in this process).
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Still up and still right: every socket is connected and a valid command is applied.
    for (const c of clients) expect(c.socket.connected).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await clients[1].command({ type: 'checkIn', familyId: 'F0002' })).toMatchObject({ ok: true, seq: seqBefore + 1 });
  });

  it('a message over the 64 KiB limit closes that connection only; the night is unchanged', async () => {
    await server.host.idle(); // a check-in's estimates, kept just after it, are in
    const before = stateHash();
    const victim = await h.client(server, 'kiosk', 'K2');
    const gone = new Promise<string>((resolve) => victim.socket.once('disconnect', resolve));
    victim.socket.emit('command', { type: 'checkIn', commandId: 'oversized-1234', familyId: 'F0003', pad: 'x'.repeat(70_000) });
    expect(await gone).toBe('transport close');
    expect(stateHash()).toBe(before);
    expect(await clients[0].query({ type: 'findFamilies', text: 'Tran' })).toMatchObject({ ok: true });
  });

  it('messages without an acknowledgement, unknown events and binary payloads are ignored', async () => {
    await server.host.idle(); // a check-in's estimates, kept just after it, are in
    const before = stateHash();
    const kiosk = clients[1];
    kiosk.socket.emit('command', { type: 'checkIn', commandId: 'no-ack-12345678', familyId: 'F0004' });
    kiosk.socket.emit('shutdown', { now: true });
    kiosk.socket.emit('__proto__', { polluted: true });
    kiosk.socket.emit('command', Buffer.from('{"type":"checkIn"}'), () => undefined);
    expect(await kiosk.query({ type: 'findFamilies', text: 'Tran' })).toMatchObject({ ok: true });
    expect(stateHash()).toBe(before);
    expect(kiosk.socket.connected).toBe(true);
  });
});
