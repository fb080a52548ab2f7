// A Conference Night server for the load test: the real startServer on a bundle given by the
// orchestrator, its night clock at `speed` × real time, no flood limit (the load comes from few
// kiosks on purpose); it reports its CPU, memory and bytes sent over IPC.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../app';
import { loadBundleDir } from '../bundle-files';
import { localToEpoch } from '../../shared/clock';

const bundleDir = process.env.BENCH_BUNDLE!;
const speed = Number(process.env.BENCH_SPEED ?? 1);
const bundle = await loadBundleDir(bundleDir);
const opensAt = localToEpoch(bundle.event.date, bundle.event.opensAt, bundle.event.timezone);
const realStart = Date.now();
const clock = () => opensAt + (Date.now() - realStart) * speed;
const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, prefix: process.env.REDIS_PREFIX! } : undefined;

const server = await startServer({
  dataDir: await mkdtemp(path.join(tmpdir(), 'conference-night-bench-')),
  port: 0, host: '127.0.0.1', rateLimit: false, clock, redis,
  initialEvents: async (now) => [{ type: 'nightCreated', at: now, setup: bundle }, { type: 'nightOpened', at: now }],
});

// Bytes the server wrote to its sockets (WebSocket frames included), counted at the TCP level.
let bytesClosed = 0;
const sockets = new Set<import('node:net').Socket>();
server.httpServer.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => { bytesClosed += s.bytesWritten; sockets.delete(s); });
});
const bytesOut = () => bytesClosed + [...sockets].reduce((n, s) => n + s.bytesWritten, 0);

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stats') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ cpu: process.cpuUsage(), memory: process.memoryUsage(), bytesOut: bytesOut(), seq: server.host.committedSeq, fannedOut: server.fannedOut(), at: Date.now() });
  } else if (m.cmd === 'close') {
    void server.close().then(() => process.exit(0));
  }
});
process.send!({
  url: server.url.replace('localhost', '127.0.0.1'),
  links: server.links.map((l) => ({ role: l.actor.role, id: l.actor.id, secret: l.secret })),
  statusTokens: Object.keys(bundle.families).map((f) => [f, server.credentials.statusTokenFor(f)]),
});
