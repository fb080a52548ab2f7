// After the night, against a real server and its data directory: the CSV export of every visit
// parses back to the same visits, and "delete this night's personal data" leaves no family's name,
// phone digits or teacher's note in any file of the data directory, also after a restart.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBundleDir } from '../../server/bundle-files';
import { sessionCookieName } from '../../server/credentials';
import { visitRowsFromCsv, type visitColumns } from '../../shared/domain/report';
import { Harness, demoBundleDir, secretFor } from '../helpers/server';
import { RedisServer, redisClient } from '../helpers/redis';

const h = new Harness();
afterEach(() => h.cleanup());

async function everyFile(dir: string): Promise<string> {
  let text = '';
  for (const name of await readdir(dir)) text += await readFile(path.join(dir, name), 'utf8');
  return text;
}

describe('after the night', () => {
  it('exports every visit as CSV and deletes the personal data from the state, the journal and the snapshot', async () => {
    const server = await h.start();
    const coordinator = await h.client(server, 'coordinator', 'C1');
    const kiosk = await h.client(server, 'kiosk', 'K1');
    const teacher = await h.client(server, 'teacher', 'T001');
    for (const familyId of ['F0001', 'F0027', 'F0040']) expect(await kiosk.command({ type: 'checkIn', familyId })).toMatchObject({ ok: true });
    expect(await teacher.command({ type: 'callFamily', teacherId: 'T001', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
    expect(await teacher.command({ type: 'startConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
    expect(await teacher.command({ type: 'saveCommitments', visitId: 'F0001:T001', commitments: [{ who: 'family', text: 'Read with Sofia every night' }] })).toMatchObject({ ok: true });
    expect(await teacher.command({ type: 'saveNote', visitId: 'F0001:T001', text: 'Mother worried about bus route 12' })).toMatchObject({ ok: true });
    expect(await teacher.command({ type: 'endConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
    expect(await coordinator.command({ type: 'closeNight' })).toMatchObject({ ok: true });

    // The export, as the report page downloads it with the coordinator's cookie.
    const cookie = `${sessionCookieName('coordinator')}=${secretFor(server.links, 'coordinator', 'C1')}`;
    expect((await fetch(`${server.url}/api/visits.csv`)).status).toBe(401);
    const res = await fetch(`${server.url}/api/visits.csv`, { headers: { cookie } });
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="?visits-lincoln-elementary-fall\.csv/);
    const rows = visitRowsFromCsv(parseCsv(await res.text(), { columns: true }) as Record<(typeof visitColumns)[number], string>[]);
    const visits = Object.values(server.host.committed.visits);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const v = server.host.committed.visits[row.visitId];
      expect(row).toEqual({
        visitId: v.id, familyId: v.familyId, ticket: server.host.committed.checkIns[v.familyId].ticket, teacherId: v.teacherId, status: v.status,
        bookedAt: v.bookedAt, queuedAt: v.queuedAt, calledAt: v.calledAt, startedAt: v.startedAt, endedAt: v.endedAt,
        interpreterId: v.interpreterId, noShows: v.noShows, frontAt: v.frontAt ?? null,
      });
    }
    expect(visits.map((v) => v.id).sort()).toEqual(rows.map((r) => r.visitId).sort());

    // Names are on disk before: in the snapshot and the journal.
    await server.host.snapshot();
    const bundle = await loadBundleDir(demoBundleDir);
    // A few families share a name with a member of staff (kept: staff are not the night's personal data).
    const staffNames = new Set([...Object.values(bundle.staff), ...Object.values(bundle.teachers)].map((p) => p.name));
    const familyNames = Object.values(bundle.families).map((f) => f.guardianName).filter((n) => !staffNames.has(n));
    expect(familyNames.length).toBeGreaterThan(200);
    const before = await everyFile(server.dataDir);
    expect(before).toContain('Hamza Tran');
    expect(before).toContain('bus route 12');

    const reportBefore = await coordinator.query({ type: 'nightReport' });
    expect(await coordinator.command({ type: 'purgePersonalData' })).toMatchObject({ ok: true });
    const check = async () => {
      const after = await everyFile(server.dataDir);
      for (const name of familyNames) expect(after, name).not.toContain(name);
      for (const text of ['bus route 12', 'Read with Sofia', '"phoneLast4":"3445"']) expect(after).not.toContain(text);
    };
    await check();
    // The figures stay.
    const reportAfter = await coordinator.query({ type: 'nightReport' });
    expect(reportAfter.ok && reportBefore.ok).toBe(true);
    if (reportAfter.ok && reportBefore.ok) expect(reportAfter.data.waits).toEqual(reportBefore.data.waits);
    await coordinator.waitFor((v: any) => v.purged === true, 'the coordinator sees the purge');
    // Asking again (say, after a disk error the first time) rewrites the files once more and is answered ok.
    expect(await coordinator.command({ type: 'purgePersonalData' })).toMatchObject({ ok: true });
    await check();

    // A restart replays the cleaned journal: still no names, the night the same.
    const { dataDir } = server;
    const hash = JSON.stringify(server.host.committed);
    await h.stop(server);
    const again = await h.start({ dataDir });
    expect(JSON.stringify(again.host.committed)).toBe(hash);
    await h.stop(again);
    await check();
  });
});

describe('after the night, with the night in Redis', () => {
  it('deletes the personal data from the Redis log and snapshot too', async () => {
    const redis = await RedisServer.start();
    try {
      const prefix = `purge-${process.pid}-${Date.now()}:`;
      const server = await h.start({ redis: { url: redis.url, prefix } });
      const coordinator = await h.client(server, 'coordinator', 'C1');
      const kiosk = await h.client(server, 'kiosk', 'K1');
      const teacher = await h.client(server, 'teacher', 'T001');
      expect(await kiosk.command({ type: 'checkIn', familyId: 'F0001' })).toMatchObject({ ok: true });
      expect(await teacher.command({ type: 'callFamily', teacherId: 'T001', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
      expect(await teacher.command({ type: 'startConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
      expect(await teacher.command({ type: 'saveNote', visitId: 'F0001:T001', text: 'Mother worried about bus route 12' })).toMatchObject({ ok: true });
      expect(await coordinator.command({ type: 'closeNight' })).toMatchObject({ ok: true });
      await server.host.snapshot();
      const stored = async () => {
        const client = await redisClient(redis.url);
        try {
          let text = '';
          for (const key of await client.keys(`${prefix}*`)) {
            const type = await client.type(key);
            if (type === 'stream') text += JSON.stringify(await client.xRange(key, '-', '+'));
            else if (type === 'string') text += await client.get(key);
          }
          return text;
        } finally {
          await client.close();
        }
      };
      expect(await stored()).toContain('Hamza Tran');
      expect(await stored()).toContain('bus route 12');
      expect(await coordinator.command({ type: 'purgePersonalData' })).toMatchObject({ ok: true });
      const after = await stored();
      for (const text of ['Hamza Tran', 'bus route 12', '"phoneLast4":"3445"']) expect(after).not.toContain(text);
      // The night still reads back from Redis: a new process gets the same state.
      const hash = JSON.stringify(server.host.committed);
      await h.stop(server);
      const again = await h.start({ redis: { url: redis.url, prefix } });
      expect(JSON.stringify(again.host.committed)).toBe(hash);
      await h.stop(again);
    } finally {
      await redis.stop();
    }
  });
});
