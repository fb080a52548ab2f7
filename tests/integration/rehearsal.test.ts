// The live rehearsal plays a night against a running server through real Socket.IO clients.
import { afterEach, describe, expect, it } from 'vitest';
import { parseBundle } from '../../shared/bundle';
import { readBundleDir } from '../../server/bundle-files';
import { rehearse } from '../../server/sim/live';
import { nightInputs } from '../../server/sim/inputs';
import type { CoordinatorView } from '../../shared/domain/projections';
import { demoBundleDir, Harness, secretFor } from '../helpers/server';

const h = new Harness();
afterEach(() => h.cleanup());

describe('a live rehearsal', () => {
  it('checks families in, calls, holds and ends every conference through real sockets', async () => {
    const server = await h.start({});
    const files = await readBundleDir(demoBundleDir);
    const parsed = parseBundle(files);
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const inputs = nightInputs(parsed.bundle, files);
    const first = new Set([...inputs.arrivals].sort((a, b) => a[1] - b[1]).slice(0, 12).map(([f]) => f));
    for (const f of [...inputs.visits.keys()]) if (!first.has(f)) inputs.visits.delete(f);
    const conferences = [...inputs.visits.values()].reduce((n, l) => n + l.length, 0);

    const result = await rehearse({
      url: server.url, coordinatorToken: secretFor(server.links, 'coordinator', 'C1'),
      setup: parsed.bundle, inputs, speed: 1200, timeoutMs: 30_000,
    });

    expect(result).toMatchObject({ complete: true, checkedIn: 12, conferences });
    const coordinator = await h.client<CoordinatorView>(server, 'coordinator', 'C1');
    expect(coordinator.view!.counts).toMatchObject({ checkedIn: 12, done: conferences, waiting: 0, inConference: 0 });
  });

  it('needs the coordinator: another role cannot read the sign-in links', async () => {
    const server = await h.start({});
    const kiosk = await h.client(server, 'kiosk', 'K1');
    expect(await kiosk.query({ type: 'signInLinks' })).toMatchObject({ ok: false, code: 'forbidden' });
  });
});
