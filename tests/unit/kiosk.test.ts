// The kiosk's pure parts: the walk-in registration, the sealed offline directory and its hash.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { decide } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { buildKioskDirectory, searchKioskDirectory } from '../../shared/domain/kiosk-directory';
import { viewFor, type FamilyView, type KioskView } from '../../shared/domain/projections';
import { emptyNight } from '../../shared/domain/state';
import type { Actor, Command } from '../../shared/protocol';
import { sha256 } from '../../shared/sha256';
import { demoBundleDir } from '../helpers/server';

const files = Object.fromEntries(readdirSync(demoBundleDir).map((f) => [f, readFileSync(path.join(demoBundleDir, f), 'utf8')]));
const parsed = parseBundle(files);
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const at = Date.UTC(2026, 10, 19, 23, 0);
const night = evolveAll(emptyNight, [{ type: 'nightCreated', at, setup: parsed.bundle }, { type: 'nightOpened', at }]);
const kiosk: Actor = { role: 'kiosk', id: 'K1' };
const randomHex = (n: number) => randomBytes(n).toString('hex');

describe('sha256', () => {
  it('matches node:crypto on every padding boundary and on Unicode', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = randomBytes(length);
      expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    }
    const text = new TextEncoder().encode('Nguyễn — العربية');
    expect(Buffer.from(sha256(text)).toString('hex')).toBe(createHash('sha256').update(text).digest('hex'));
  });
});

describe('the offline directory', () => {
  // Built with node:crypto's SHA-256 as the server does; opened with the kiosk's own.
  const directory = buildKioskDirectory(night, randomHex, (data) => createHash('sha256').update(data).digest());
  const teachers = (viewFor(night, kiosk) as KioskView).teachers;
  const text = JSON.stringify(directory);

  it('holds nothing readable: hashed file names and sealed boxes only', () => {
    // Random bytes may spell "3445" or "Tran" by chance, so the check is on the form, plus long words.
    for (const [file, boxes] of Object.entries(directory.boxes)) {
      expect(file).toMatch(/^[0-9a-f]{32}$/);
      for (const box of boxes) expect(box).toMatch(/^[0-9a-f]{16}\.[A-Za-z0-9+/]+=*$/);
    }
    for (const secret of ['Hamza', 'Sofia', 'Pierre', 'familyId']) expect(text).not.toContain(secret);
  });

  it('finds a family by their whole last name or their four phone digits, like the online search', () => {
    for (const term of ['Gomez', 'gómez ', '8227']) {
      const { result } = searchKioskDirectory(directory, term, teachers);
      expect(result.matches.map((m) => m.label)).toContain('Owen G.');
    }
    // Six Tran families: too many to show, as online.
    expect(searchKioskDirectory(directory, 'Tran', teachers).result.tooMany).toBe(true);
    const { details } = searchKioskDirectory(directory, '3445', teachers);
    expect(details[0]).toMatchObject({ familyId: 'F0001', children: ['Sofia'], teachers: [{ id: 'T001', name: 'Mx. Pierre', roomName: 'Room A101' }] });
  });

  it('opens nothing for a partial name or wrong digits', () => {
    expect(searchKioskDirectory(directory, 'Tr', teachers).result.matches).toEqual([]);
    expect(searchKioskDirectory(directory, '0000', teachers).result.matches).toEqual([]);
  });
});

describe('registerWalkIn', () => {
  const command = (over: Partial<Extract<Command, { type: 'registerWalkIn' }>> = {}): Command => ({
    type: 'registerWalkIn', commandId: 'walk-in-1', familyId: 'W-abcdefghij12', guardianName: 'Ana María López', language: 'es',
    children: [{ firstName: 'Lia', teacherId: 'T001' }, { firstName: 'Teo', teacherId: 'T002' }], wantsInterpreter: true, wantsEscort: false, ...over,
  });

  it('registers the family, checks them in with every teacher picked, and marks them as a walk-in', () => {
    const decision = decide(night, command(), { now: at + 1000, actor: kiosk });
    expect(decision.ok).toBe(true);
    if (!decision.ok) return;
    expect(decision.events.map((e) => e.type)).toEqual(['walkInRegistered', 'familyCheckedIn']);
    const after = evolveAll(night, decision.events);
    expect(after.walkIns).toEqual({ 'W-abcdefghij12': at + 1000 });
    const view = viewFor(after, { role: 'family', id: 'W-abcdefghij12' }) as FamilyView;
    expect(view.family).toMatchObject({ guardianFirstName: 'Ana', language: 'es', checkedIn: true });
    expect(view.visits.map((v) => v.teacherName).sort()).toEqual([parsed.bundle.teachers.T001.name, parsed.bundle.teachers.T002.name].sort());
    expect(after.checkIns['W-abcdefghij12'].ticket).toMatch(/^L-\d+$/);
  });

  it('refuses an unknown teacher, a family id already used, and a night not open', () => {
    expect(decide(night, command({ children: [{ firstName: 'Lia', teacherId: 'T999' }] }), { now: at, actor: kiosk })).toMatchObject({ ok: false, code: 'not_found' });
    const once = decide(night, command(), { now: at, actor: kiosk });
    const after = evolveAll(night, once.ok ? once.events : []);
    expect(decide(after, command(), { now: at, actor: kiosk })).toMatchObject({ ok: false, code: 'conflict' });
    const closed = evolveAll(night, [{ type: 'nightClosed', at }]);
    expect(decide(closed, command(), { now: at, actor: kiosk })).toMatchObject({ ok: false, code: 'night_not_open' });
  });

  it('is refused to a family page', () => {
    expect(decide(night, command(), { now: at, actor: { role: 'family', id: 'F0001' } })).toMatchObject({ ok: false, code: 'forbidden' });
  });
});
