// Privacy by projection, checked on what each role's socket actually received during a small night:
// every `sync` (hello answers and pushed deltas) and every query answer, as JSON text.
//
// The night: Hamza Tran (F0001, phone …3445, child Sofia, Mx. Pierre T001) asked for a guide; Zoe
// Davis (F0002, phone …5459, child Elijah, Dr. Ramirez T002). Mx. Pierre calls, holds and ends the
// conference with a private note and a shared commitment; Dr. Ramirez calls Zoe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { StaffView } from '../../shared/domain/projections';
import type { TestClient } from '../helpers/client';
import { Harness } from '../helpers/server';

const h = new Harness();
let server: RunningServer;
const seen = new Map<string, string>();
let kioskAnswers = '';
let kioskDirectory = '';
let ambassadorId = '';

const note = 'PRIVATE-NOTE-reading-at-home';
const commitment = 'We will read together every night';

/** Everything a client received, as one string. */
const received = (c: TestClient) => JSON.stringify(c.applied);

beforeAll(async () => {
  server = await h.start();
  const kiosk = await h.client(server, 'kiosk', 'K1');
  const board = await h.client(server, 'board', 'B1');
  const coordinator = await h.client(server, 'coordinator', 'C1');
  const pierre = await h.client(server, 'teacher', 'T001');
  const ramirez = await h.client(server, 'teacher', 'T002');
  const hamza = await h.family(server, 'F0001');
  const zoe = await h.family(server, 'F0002');
  const interpreter = await h.client(server, 'staff', 'X001');
  const ambassadors = await Promise.all(['A001', 'A002', 'A003', 'A004', 'A005', 'A006', 'A007', 'A008', 'A009', 'A010'].map((a) => h.client<StaffView>(server, 'staff', a)));

  // The front desk: a search by phone digits, the confirm step, the check-in.
  const search = await kiosk.query({ type: 'findFamilies', text: '3445' });
  const details = await kiosk.query({ type: 'familyDetails', familyId: 'F0001' });
  const broad = await kiosk.query({ type: 'findFamilies', text: 'a' }); // too short: refused
  kioskAnswers = JSON.stringify([search, details, broad]);
  kioskDirectory = JSON.stringify(await kiosk.query({ type: 'kioskDirectory' }));
  expect(await kiosk.command({ type: 'checkIn', familyId: 'F0001', wantsEscort: true })).toMatchObject({ ok: true });
  expect(await kiosk.command({ type: 'checkIn', familyId: 'F0002' })).toMatchObject({ ok: true });

  expect(await pierre.command({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: true });
  const task = Object.values(server.host.committed.tasks).find((t) => t.familyId === 'F0001')!;
  ambassadorId = task.staffId!;
  const ambassador = ambassadors.find((a) => a.view!.staff.id === ambassadorId)!;
  await ambassador.waitFor((v) => v.tasks.length === 1, 'the escort offered');
  expect(await ambassador.command({ type: 'acceptTask', taskId: task.id })).toMatchObject({ ok: true });
  expect(await pierre.command({ type: 'startConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
  expect(await pierre.command({ type: 'saveNote', visitId: 'F0001:T001', text: note })).toMatchObject({ ok: true });
  expect(await pierre.command({ type: 'saveCommitments', visitId: 'F0001:T001', commitments: [{ who: 'family', text: commitment }] })).toMatchObject({ ok: true });
  expect(await pierre.command({ type: 'endConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
  expect(await ramirez.command({ type: 'callFamily', teacherId: 'T002' })).toMatchObject({ ok: true });

  // Everyone has received the whole night.
  const all = { kiosk, board, coordinator, pierre, ramirez, hamza, zoe, interpreter, ambassador };
  for (const c of [...Object.values(all), ...ambassadors]) await c.caughtUp();
  for (const [name, c] of Object.entries(all)) seen.set(name, received(c));
  // The kiosk's view lists tonight's teachers (for the walk-in form); a teacher may share a family's surname.
  let kioskText = seen.get('kiosk')!;
  for (const t of Object.values(server.host.committed.setup!.teachers)) kioskText = kioskText.split(JSON.stringify(t.name)).join('"<teacher>"');
  seen.set('kiosk', kioskText);
  seen.set('otherAmbassadors', JSON.stringify(ambassadors.filter((a) => a !== ambassador).map((a) => a.applied)));
});
afterAll(() => h.cleanup());

// What identifies a person: names, children, phone digits, family ids.
const hamzaData = ['Hamza', 'Tran', 'Sofia', '3445', 'F0001'];
const zoeData = ['Zoe', 'Davis', 'Elijah', '5459', 'F0002'];
const roster = ['Owen Gomez', 'Linh', '8227', '7497', 'F0003', 'F0004'];

const expectNone = (who: string, words: string[]) => {
  const text = seen.get(who)!;
  for (const w of words) expect(text.includes(w), `${who} received "${w}"`).toBe(false);
};

describe('what each role\'s socket actually received', () => {
  it('the kiosk: never the roster, no family in its view; its searches return only the few matches, labelled briefly', () => {
    expectNone('kiosk', [...hamzaData, ...zoeData, ...roster, note, commitment]);
    const answers = JSON.parse(kioskAnswers) as [{ data: { matches: { label: string }[] } }, { data: Record<string, unknown> }, { ok: boolean }];
    expect(answers[0].data.matches.map((m) => m.label)).toEqual(['Hamza T.']);
    expect(answers[2].ok).toBe(false);
    // A search answer has no phone digits, last names or other families.
    for (const w of ['3445', 'Tran', ...zoeData, ...roster]) expect(kioskAnswers.includes(w), w).toBe(false);
  });

  it('the kiosk\'s offline directory: every family sealed, no name, phone digits or family id in the clear', () => {
    const answer = JSON.parse(kioskDirectory) as { ok: true; data: { salt: string; boxes: Record<string, string[]> } };
    const files = Object.entries(answer.data.boxes);
    expect(files.length).toBeGreaterThan(300);
    // Nothing but hashes, nonces and sealed bytes: no field, name or number a person could read.
    for (const [file, boxes] of files) {
      expect(file).toMatch(/^[0-9a-f]{32}$/);
      for (const box of boxes) expect(box).toMatch(/^[0-9a-f]{16}\.[A-Za-z0-9+/]+=*$/);
    }
    for (const w of ['Hamza', 'Elijah', 'Owen Gomez', 'Mx. Pierre', 'F0001', 'familyId']) expect(kioskDirectory.includes(w), w).toBe(false);
  });

  it('the board: ticket codes, teachers and rooms; no names, children, phone digits or notes', () => {
    const board = seen.get('board')!;
    expect(board).toContain('T-1');
    expect(board).toContain('Room A101');
    expectNone('board', [...hamzaData, ...zoeData, ...roster, note, commitment]);
  });

  it('a family\'s page: only that family — its first name, its visits and commitments, never the teacher\'s note', () => {
    const hamza = seen.get('hamza')!;
    expect(hamza).toContain('Hamza');
    expect(hamza).toContain(commitment);
    expectNone('hamza', [...zoeData, ...roster, note, '3445']);
    expectNone('zoe', [...hamzaData, ...roster, note, commitment]);
  });

  it('a teacher: their own line only; the note reaches its author alone', () => {
    const pierre = seen.get('pierre')!;
    expect(pierre).toContain('Hamza Tran');
    expect(pierre).toContain(note);
    expectNone('pierre', [...zoeData, ...roster, '3445']);
    expectNone('ramirez', [...hamzaData, ...roster, note, commitment]);
  });

  it('the ambassador: the first name, party size and language of the family assigned to them, nothing more', () => {
    const ambassador = seen.get('ambassador')!;
    expect(ambassador).toContain('"familyFirstName":"Hamza"');
    expect(ambassador).toMatch(/"partySize":\d/);
    expect(ambassador).toContain('"language":"en"');
    expectNone('ambassador', ['Tran', 'Sofia', '3445', ...zoeData, ...roster, note, commitment]);
    // The other ambassadors and the interpreter heard nothing of any family.
    expectNone('otherAmbassadors', [...hamzaData, ...zoeData, ...roster, note]);
    expectNone('interpreter', [...hamzaData, ...zoeData, ...roster, note]);
  });

  it('the coordinator: counts, tickets and lines; never the teacher\'s note or phone digits', () => {
    expect(seen.get('coordinator')).toContain('T-1');
    expectNone('coordinator', [note, commitment, '3445', '5459', ...roster]);
  });
});
