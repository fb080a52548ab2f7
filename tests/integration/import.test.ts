// The coordinator's upload of a bundle over HTTP, against a real server: both fixtures import (as
// CSV files and as a zip); broken bundles each get an error naming the file, line and column and
// import nothing; a 50 MB upload is refused by its size; only the coordinator's page may upload.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { readBundleDir } from '../../server/bundle-files';
import { sessionCookieName } from '../../server/credentials';
import { Harness, demoBundleDir, repoRoot, secretFor } from '../helpers/server';

const fixtures = path.resolve(repoRoot, '../shared/fixtures');
const lincoln = path.join(fixtures, 'lincoln-elementary');
const roosevelt = path.join(fixtures, 'roosevelt-high');

const h = new Harness();
afterEach(() => h.cleanup());

const cookieOf = (server: RunningServer, role: 'coordinator' | 'teacher' = 'coordinator', id = 'C1') =>
  `${sessionCookieName(role)}=${secretFor(server.links, role, id)}`;
const nightHash = (server: RunningServer) => createHash('sha256').update(JSON.stringify(server.host.committed)).update(`#${server.host.committedSeq}`).digest('hex');

async function upload(server: RunningServer, body: BodyInit, contentType: string, cookie = cookieOf(server), extra: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/import`, {
    method: 'POST', body, headers: { 'content-type': contentType, cookie, origin: server.url, ...extra }, duplex: 'half',
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as { ok: boolean; errors?: string[]; counts?: Record<string, number> } };
}
const uploadFiles = (server: RunningServer, files: Record<string, string>, cookie?: string) =>
  upload(server, JSON.stringify({ files }), 'application/json', cookie);

/** The demo bundle with one file changed by `edit` (a line-level edit of the CSV text). */
async function demoWith(file: string, edit: (text: string) => string): Promise<Record<string, string>> {
  const files = await readBundleDir(demoBundleDir);
  return { ...files, [file]: edit(files[file]) };
}

describe('importing a bundle', () => {
  it.skipIf(!existsSync(lincoln) || !existsSync(roosevelt))('imports both fixtures, as CSV files and as a zip, and the new night is ready to open', async () => {
    const server = await h.start();
    const coordinator = await h.client(server, 'coordinator', 'C1');

    const high = await readBundleDir(roosevelt);
    const first = await uploadFiles(server, high);
    expect(first).toMatchObject({ status: 200, body: { ok: true } });
    expect(first.body.counts!.teachers).toBe(Object.keys(server.host.committed.setup!.teachers).length);
    expect(server.host.committed.setup!.event.id).toBe(JSON.parse(high['event.json']).id);
    // A new night, waiting to be opened; the coordinator's page follows it without a reload.
    expect(server.host.committed.phase).toBe('setup');
    await coordinator.waitFor((v: any) => v?.night.name === server.host.committed.setup!.event.name, 'the new night on the coordinator page');

    // The Lincoln fixture as one zip (in a folder, as a school's zip usually is).
    const files = await readBundleDir(lincoln);
    const zip = zipSync(Object.fromEntries(Object.entries(files).map(([n, t]) => [`lincoln-elementary/${n}`, strToU8(t)])));
    const second = await upload(server, zip, 'application/zip');
    expect(second).toMatchObject({ status: 200, body: { ok: true, counts: { teachers: 20 } } });
    expect(server.host.committed.setup!.event.id).toBe(JSON.parse(files['event.json']).id);
    // The new night's people can sign in; the coordinator's own link still works.
    const teacherId = Object.keys(server.host.committed.setup!.teachers)[0];
    const teacher = await h.client(server, 'teacher', teacherId);
    expect(teacher.view.teacher.id).toBe(teacherId);
    expect(await coordinator.command({ type: 'openNight' })).toMatchObject({ ok: true });
    // Every import is in the audit log.
    const audit = await coordinator.query({ type: 'auditLog' });
    expect(audit.ok && (audit.data as { action: string }[]).filter((e) => e.action === 'nightCreated').length).toBe(3);
  });

  it('a file saved by Excel on Windows (byte-order mark, CRLF line endings) imports', async () => {
    const server = await h.start();
    const files = await readBundleDir(demoBundleDir);
    const windows = Object.fromEntries(Object.entries(files).map(([n, t]) => [n, `\uFEFF${t.replace(/\r?\n/g, '\r\n')}`]));
    expect(await uploadFiles(server, windows)).toMatchObject({ status: 200, body: { ok: true, counts: { families: Object.keys(server.host.committed.setup!.families).length } } });
    expect(server.host.committed.setup!.families.F0001.guardianName).toBe('Hamza Tran');
  });

  const broken: { what: string; files: () => Promise<Record<string, string>>; error: string }[] = [
    {
      what: 'a missing column',
      files: () => demoWith('families.csv', (t) => t.replace(/^family_id,guardian_name,phone_last4,/, 'family_id,guardian_name,')
        .split('\n').map((l, i) => (i === 0 ? l : l.replace(/^([^,]*,[^,]*),\d{4},/, '$1,'))).join('\n')),
      error: 'families.csv line 1: missing column phone_last4.',
    },
    {
      what: 'an unknown reference',
      files: () => demoWith('families.csv', (t) => t.replace(/^(F0003,[^\n]*?,)(S\d{4})/m, '$1S0999')),
      error: 'families.csv line 4, column student_ids: student S0999 is not in students.csv.',
    },
    {
      what: 'a duplicate id',
      files: () => demoWith('teachers.csv', (t) => t.replace(/^T002,/m, 'T001,')),
      error: 'teachers.csv line 3, column teacher_id: T001 appears twice.',
    },
    {
      what: 'a bad time',
      files: () => demoWith('appointments.csv', (t) => { const lines = t.split('\n'); lines[1] = lines[1].replace(/\d\d:\d\d/, '25:00'); return lines.join('\n'); }),
      error: 'appointments.csv line 2, column starts_at: a time like 17:45 (found "25:00").',
    },
    {
      what: 'a missing file',
      files: async () => { const f = await readBundleDir(demoBundleDir); delete f['staff.csv']; return f; },
      error: 'staff.csv is missing from the bundle.',
    },
  ];
  for (const b of broken) {
    it(`${b.what}: a precise error, and nothing is imported`, async () => {
      const server = await h.start();
      const before = nightHash(server);
      const answer = await uploadFiles(server, await b.files());
      expect(answer.status).toBe(422);
      expect(answer.body.ok).toBe(false);
      expect(answer.body.errors).toContain(b.error);
      expect(nightHash(server)).toBe(before);
    });
  }

  it('a 50 MB upload is refused by its size, declared or not, before it is read; nothing is imported', async () => {
    const server = await h.start();
    const before = nightHash(server);
    const big = JSON.stringify({ files: { ...(await readBundleDir(demoBundleDir)), 'notes.csv': 'x'.repeat(50 * 1024 * 1024) } });
    const declared = await upload(server, big, 'application/json');
    expect(declared.status).toBe(413);
    expect(declared.body.errors![0]).toMatch(/^The upload is 50 MB; a bundle may be at most 20 MB\./);

    // Streamed without a Content-Length: counted as it arrives, refused at the cap.
    const chunk = new Uint8Array(1024 * 1024).fill(120);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) { if (sent++ < 50) controller.enqueue(chunk); else controller.close(); },
    });
    const streamed = await upload(server, stream, 'application/zip');
    expect(streamed.status).toBe(413);
    expect(streamed.body.errors![0]).toMatch(/larger than 20 MB/);
    expect(nightHash(server)).toBe(before);
  });

  it('only the coordinator, from their own page, may upload; malformed uploads and a night already under way are refused', async () => {
    const server = await h.start();
    const files = await readBundleDir(demoBundleDir);
    const before = nightHash(server);
    expect(await uploadFiles(server, files, '')).toMatchObject({ status: 401 });
    expect(await uploadFiles(server, files, cookieOf(server, 'teacher', 'T001'))).toMatchObject({ status: 401 });
    expect(await upload(server, JSON.stringify({ files }), 'application/json', cookieOf(server), { origin: 'https://evil.example' })).toMatchObject({ status: 403 });
    expect(await upload(server, 'rooms.csv', 'text/plain')).toMatchObject({ status: 415 });
    expect(await upload(server, '{"files": {"../../etc/passwd": "x"}}', 'application/json')).toMatchObject({ status: 400 });
    expect(await upload(server, '{"files": ', 'application/json')).toMatchObject({ status: 400 });
    expect(await upload(server, new Uint8Array([80, 75, 3, 4, 1, 2, 3]), 'application/zip')).toMatchObject({ status: 422 });
    expect(nightHash(server)).toBe(before);

    // Once a family has checked in, the night's setup can only change by hand.
    const kiosk = await h.client(server, 'kiosk', 'K1');
    expect(await kiosk.command({ type: 'checkIn', familyId: 'F0001' })).toMatchObject({ ok: true });
    await server.host.idle(); // and the family's estimates, kept just after
    const during = nightHash(server);
    const answer = await uploadFiles(server, files);
    expect(answer.status).toBe(409);
    expect(answer.body.errors![0]).toMatch(/already checked in/);
    expect(nightHash(server)).toBe(during);
  });
});
