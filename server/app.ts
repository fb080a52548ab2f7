// Starts one Conference Night server: Express for the built client, /healthz and sign-in links;
// Socket.IO for everything live. Tests start it in-process on an ephemeral port.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Server } from 'socket.io';
import type { NightEvent } from '../shared/domain/state';
import { Credentials, loadServerKey, pathForRole, sessionCookieName, type SignInLink } from './credentials';
import { demoNightEvents } from './demo';
import { NightHost } from './night-host';
import { attachRealtime } from './realtime';
import { FileJournal } from './store/journal';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const clientDir = path.join(rootDir, 'dist', 'client');

export interface ServerOptions {
  dataDir: string;
  port?: number;
  host?: string;
  /** The night's clock; tests and rehearsals inject their own. */
  clock?: () => number;
  /** Events that set the night up when the data directory is empty (the demo night by default). */
  initialEvents?: (now: number) => Promise<NightEvent[]>;
  /** The address printed in sign-in links (for a school network: http://10.0.0.5:3000). */
  publicUrl?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  links: (SignInLink & { url: string })[];
  host: NightHost;
  credentials: Credentials;
  close(): Promise<void>;
}

const tickIntervalMs = 5_000;
const spaRoutes = ['/', '/kiosk', '/teacher', '/board', '/coordinator', '/ambassador', '/status/:token'];

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? Date.now;
  const { journal, loaded } = await FileJournal.open(options.dataDir);
  if (loaded.repaired) console.warn(`Journal repaired: ${loaded.repaired}`);
  const host = new NightHost(journal, loaded);
  if (!host.committed.setup) {
    const ack = await host.appendSystemEvents(await (options.initialEvents ?? demoNightEvents)(clock()));
    if (!ack.ok) throw new Error(`Could not set up the night: ${ack.message}`);
  }
  const setup = host.committed.setup!;
  const credentials = new Credentials(await loadServerKey(options.dataDir), host.nightId, setup);

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, night: setup.event.id, seq: host.committedSeq });
  });
  app.get('/signin/:secret', (req, res) => {
    const actor = credentials.actorForSecret(req.params.secret);
    if (!actor) {
      res.status(404).type('text/plain').send('This sign-in link is not valid. Please ask the coordinator for a new one.');
      return;
    }
    res.cookie(sessionCookieName(actor.role), req.params.secret, {
      httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: 24 * 3600 * 1000,
    });
    res.redirect(303, pathForRole[actor.role]);
  });
  const hasClient = existsSync(path.join(clientDir, 'index.html'));
  if (hasClient) {
    app.use(express.static(clientDir, { index: false, maxAge: '1h' }));
    app.get(spaRoutes, (_req, res) => {
      res.set('Cache-Control', 'no-store').sendFile(path.join(clientDir, 'index.html'));
    });
  }
  app.use((_req, res) => {
    res.status(404).type('text/plain').send(hasClient ? 'Not found.' : 'The client is not built: run npm run build.');
  });

  // The night's clock ticks on its own: offers nobody answered move on, families back from a break
  // rejoin their lines. A tick with nothing to do writes nothing.
  let ticks = 0;
  const ticker = setInterval(() => {
    void host.submit({ type: 'tick', commandId: `tick-${host.epoch}-${Date.now()}-${ticks++}` }, { role: 'system', id: 'clock' }, clock());
  }, tickIntervalMs);
  ticker.unref();

  const httpServer = createServer(app);
  const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
  attachRealtime(io, host, credentials, clock);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 3000, options.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  const base = options.publicUrl ?? url;

  return {
    url, port, host, credentials,
    links: credentials.links.map((l) => ({ ...l, url: `${base}/signin/${l.secret}` })),
    async close() {
      clearInterval(ticker);
      await io.close(); // also closes the HTTP server
      await host.snapshot().catch((e: Error) => console.error(`Could not write the final snapshot (${e.message}); the journal is intact.`));
      await journal.close();
    },
  };
}
