// Every refusal of the domain core names its sentence by a catalogue key (refusal.* in en.ts), so that
// staff, teacher and coordinator screens can show it in their reader's language; the English message
// the server sends along is that key's English text.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { decide, type Decision } from '../../shared/domain/decide';
import { evolveAll } from '../../shared/domain/evolve';
import { emptyNight, type NightEvent } from '../../shared/domain/state';
import { translate, type MessageKey } from '../../shared/i18n';
import { en } from '../../shared/i18n/en';
import { es } from '../../shared/i18n/es';
import { ackSchema, type Actor, type Command } from '../../shared/protocol';
import { demoBundleDir } from '../helpers/server';

const source = (file: string) => readFileSync(path.join(__dirname, '../../shared/domain', file), 'utf8');

describe('statically, in decide.ts and authorize.ts', () => {
  const files = { 'decide.ts': source('decide.ts'), 'authorize.ts': source('authorize.ts') };

  it.each(Object.keys(files))('every refusal.* key of %s is in the English catalogue', (file) => {
    const keys = [...files[file as keyof typeof files].matchAll(/'(refusal\.[\w.]+)'/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(file === 'decide.ts' ? 60 : 2);
    expect(keys.filter((k) => !(k in en))).toEqual([]);
  });

  it('every refuse(…) of decide names a key (a literal, or a table of keys), never an English sentence', () => {
    const calls = [...files['decide.ts'].matchAll(/\brefuse\(\s*'(\w+)',\s*([^,)]+)/g)].map((m) => m[2].trim());
    expect(calls.length).toBeGreaterThan(80);
    const keyed = (arg: string) => /^'refusal\.\w+'$/.test(arg) || /^(alreadyStatus|noSignIn)\[/.test(arg) || /^\.\.\.withTeacher\('refusal\.\w+'$/.test(arg);
    expect(calls.filter((arg) => !keyed(arg))).toEqual([]);
    // No refusal made by hand past the helper (it would carry no key).
    expect(files['decide.ts']).not.toMatch(/ok: false, code:/);
  });
});

describe('refusals driven through decide', () => {
  const files: Record<string, string> = {};
  for (const name of readdirSync(demoBundleDir)) {
    if (name.endsWith('.csv') || name.endsWith('.json')) files[name] = readFileSync(path.join(demoBundleDir, name), 'utf8');
  }
  const parsed = parseBundle(files);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const setup = parsed.bundle;
  const created: NightEvent = { type: 'nightCreated', at: 0, setup };
  const open = evolveAll(emptyNight, [created, { type: 'nightOpened', at: 1 }]);
  const coordinator: Actor = { role: 'coordinator', id: 'C1' };
  const [firstTeacher, secondTeacher] = Object.keys(setup.teachers);
  let n = 0;
  const refused = (state: typeof open, command: Record<string, unknown>, actor = coordinator) => {
    const decision: Decision = decide(state, { ...command, commandId: `refusal-${++n}` } as Command, { now: 2, actor });
    if (decision.ok) throw new Error(`${String(command.type)} was accepted`);
    return decision;
  };

  it.each([
    ['refusal.noNight', () => refused(emptyNight, { type: 'openNight' }), 'No night has been set up yet.'],
    ['refusal.nightAlreadyOpen', () => refused(open, { type: 'openNight' }), 'The night is already open.'],
    ['refusal.noSuchTeacher', () => refused(open, { type: 'callFamily', teacherId: 'T-NOBODY' }), 'No such teacher.'],
    ['refusal.noKioskSignIn', () => refused(open, { type: 'revokeSignIn', role: 'kiosk', id: 'K9' }), 'No kiosk K9 signs in tonight.'],
    ['refusal.ownLine', () => refused(open, { type: 'callFamily', teacherId: secondTeacher }, { role: 'teacher', id: firstTeacher }), 'Teachers can only act on their own line.'],
  ] as const)('%s: a known key, its English text as the message, and a Spanish text', (key, refuse, message) => {
    const refusal = refuse();
    expect(refusal.key).toBe(key);
    expect(refusal.message).toBe(message);
    expect(refusal.key! in en).toBe(true);
    expect(translate('en', refusal.key as MessageKey, refusal.params)).toBe(refusal.message);
    expect(translate('es', refusal.key as MessageKey, refusal.params)).toBe(es[key as keyof typeof es].replace('{id}', 'K9'));
    expect(translate('es', refusal.key as MessageKey, refusal.params)).not.toBe(message);
    // What the server sends passes the clients' schema, key and params included.
    expect(ackSchema.parse({ ...refusal })).toEqual({ ...refusal });
  });
});
