// The event bundle: the real fixtures parse; a broken bundle is refused with the file and line named.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBundle, requiredFiles } from '../../shared/bundle';
import { loadBundleDir, readBundleDir } from '../../server/bundle-files';
import { demoBundleDir, repoRoot } from '../helpers/server';

const sharedFixtures = path.resolve(repoRoot, '../shared/fixtures');
const roosevelt = path.join(sharedFixtures, 'roosevelt-high');
const sharedLincoln = path.join(sharedFixtures, 'lincoln-elementary');

describe('fixtures', () => {
  it('the demo bundle (Lincoln Elementary) parses, cross-references and all', async () => {
    const result = parseBundle(await readBundleDir(demoBundleDir));
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    const b = result.bundle;
    expect(b.event).toMatchObject({ id: 'lincoln-elementary-fall', timezone: 'America/Chicago', slotMinutes: 15 });
    expect(b.families.F0001).toEqual({
      id: 'F0001', guardianName: 'Hamza Tran', phoneLast4: '3445', language: 'en', studentIds: ['S0001'], needsEscort: false,
    });
    expect(b.students.S0001).toMatchObject({ firstName: 'Sofia', lastName: 'Tran', teacherIds: ['T001'] });
    expect(b.teachers.T001).toMatchObject({ name: 'Mx. Pierre', roomId: 'A101', languages: ['en'] });
    expect(b.rooms.LOBBY).toBeDefined();
    expect(Object.keys(b.families).length).toBeGreaterThan(100);
    expect(b.appointments).toContainEqual({ familyId: 'F0008', teacherId: 'T009', startsAt: '17:45' });
    // Every reference resolves.
    for (const f of Object.values(b.families)) for (const s of f.studentIds) expect(b.students[s], `${f.id} → ${s}`).toBeDefined();
    for (const s of Object.values(b.students)) for (const t of s.teacherIds) expect(b.teachers[t], `${s.id} → ${t}`).toBeDefined();
    for (const t of Object.values(b.teachers)) expect(b.rooms[t.roomId], `${t.id} → ${t.roomId}`).toBeDefined();
  });

  it.skipIf(!existsSync(roosevelt))('the Roosevelt High fixture (../shared/fixtures) parses', async () => {
    const result = parseBundle(await readBundleDir(roosevelt));
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    expect(Object.keys(result.bundle.families).length).toBeGreaterThan(100);
    expect(Object.keys(result.bundle.teachers).length).toBeGreaterThan(20);
    await expect(loadBundleDir(roosevelt)).resolves.toBeDefined();
  });

  it.skipIf(!existsSync(sharedLincoln))('the shared Lincoln Elementary fixture parses to the same bundle as the demo copy', async () => {
    expect(await loadBundleDir(sharedLincoln)).toEqual(await loadBundleDir(demoBundleDir));
  });
});

describe('broken bundles', () => {
  let files: Record<string, string>;
  beforeAll(async () => { files = await readBundleDir(demoBundleDir); });

  /** The demo files with one file's text replaced. */
  const withFile = (name: string, text: string) => ({ ...files, [name]: text });
  /** `text` with `row` as an extra last line; returns the new text and the row's line number. */
  const appendRow = (text: string, row: string) => {
    const lines = text.trimEnd().split(/\r?\n/);
    return { text: [...lines, row].join('\n') + '\n', line: lines.length + 1 };
  };
  const errorsOf = (input: Record<string, string>) => {
    const result = parseBundle(input);
    expect(result.ok).toBe(false);
    return result.ok ? [] : result.errors;
  };

  it('names the file, line and column when a column is missing', () => {
    const text = files['families.csv']
      .split('\n')
      .map((line) => line.split(',').filter((_, i) => i !== 2).join(',')) // drop phone_last4
      .join('\n');
    const errors = errorsOf(withFile('families.csv', text));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^families\.csv line 1: missing column phone_last4\.$/);
  });

  it('names the file, line and column of a reference to an unknown student', () => {
    const { text, line } = appendRow(files['families.csv'], 'F9001,Ada Unknown,1234,en,S0001;S9999,n');
    const errors = errorsOf(withFile('families.csv', text));
    expect(errors).toEqual([`families.csv line ${line}, column student_ids: student S9999 is not in students.csv.`]);
  });

  it('names the file, line and column of a duplicate id', () => {
    const { text, line } = appendRow(files['teachers.csv'], 'T001,Ms. Again,A101,en');
    const errors = errorsOf(withFile('teachers.csv', text));
    expect(errors).toEqual([`teachers.csv line ${line}, column teacher_id: T001 appears twice.`]);
    expect(line).toBeGreaterThan(2);
  });

  it('names the line of a bad value in the middle of a file', () => {
    const lines = files['families.csv'].split('\n');
    lines[4] = lines[4].replace(/,(\d{4}),/, ',12a4,'); // line 5 of the file
    const errors = errorsOf(withFile('families.csv', lines.join('\n')));
    expect(errors).toEqual([expect.stringMatching(/^families\.csv line 5, column phone_last4: four digits \(found "12a4"\)\.$/)]);
  });

  it('lists every missing required file', () => {
    const errors = errorsOf({ 'event.json': files['event.json'] });
    expect(errors).toEqual(requiredFiles.filter((f) => f !== 'event.json').map((f) => `${f} is missing from the bundle.`));
  });

  it('loadBundleDir refuses a broken folder, naming its problems', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bundle-test-'));
    try {
      for (const [name, text] of Object.entries(files)) if (name !== 'staff.csv') await writeFile(path.join(dir, name), text);
      await expect(loadBundleDir(dir)).rejects.toThrow(/not valid:\nstaff\.csv is missing from the bundle\./);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
