// Starts one Conference Night server: Express for the built client, /healthz and sign-in links;
// Socket.IO for everything live. Tests start it in-process on an ephemeral port.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request } from 'express';
import helmet from 'helmet';
import { Server } from 'socket.io';
import type { NightEvent } from '../shared/domain/state';
import { Credentials, loadServerKey, pathForRole, sessionCookieName, teacherCodeLength, type SignInLink } from './credentials';
import { demoNightEvents } from './demo';
import { NightHost } from './night-host';
import { attachRealtime, type RateLimit } from './realtime';
import { createAdapter } from '@socket.io/redis-adapter';
import { randomBytes } from 'node:crypto';
import { FileJournal } from './store/journal';
import { coordinatorOf, importHandler } from './import';
import { visitsCsv } from '../shared/domain/report';
import { RedisStore } from './store/redis';

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
  /** The per-connection flood limit (false: none, for tests that send thousands of messages on purpose). */
  rateLimit?: RateLimit | false;
  /** Typed sign-in codes allowed per address and minute (5 by default). */
  codeAttemptsPerMinute?: number;
  /**
   * Several processes serving one night: its events, snapshot and server key live in Redis under
   * `prefix` (one per night) instead of in dataDir. Unset: the embedded journal, one process.
   */
  redis?: { url: string; prefix: string };
}

export interface RunningServer {
  url: string;
  port: number;
  /** The sign-in links as they were at start (after a revocation, `credentials.links` has the new ones). */
  links: (SignInLink & { url: string })[];
  host: NightHost;
  credentials: Credentials;
  /** The HTTP server under Express and Socket.IO (the load test counts the bytes it sends). */
  httpServer: import('node:http').Server;
  /** Every screen has been sent every change committed so far (the load test waits for it before checking). */
  fannedOut(): boolean;
  close(): Promise<void>;
}

const tickIntervalMs = 5_000;
const spaRoutes = ['/', '/kiosk', '/teacher', '/board', '/coordinator', '/coordinator/report', '/ambassador', '/status/:token'];

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? Date.now;
  const redis = options.redis ? await RedisStore.connect(options.redis) : null;
  const store = redis ?? (await FileJournal.open(options.dataDir));
  const loaded = await store.load();
  if (loaded.repaired) console.warn(`Journal repaired: ${loaded.repaired}`);
  const host = new NightHost(store, loaded);
  if (!host.committed.setup) {
    const ack = await host.appendSystemEvents(await (options.initialEvents ?? demoNightEvents)(clock()));
    // 'conflict': another process of the same night set it up a moment earlier.
    if (!ack.ok && ack.code === 'conflict') await host.catchUpNow();
    if (!ack.ok && !host.committed.setup) throw new Error(`Could not set up the night: ${ack.message}`);
  }
  // Every process of a night signs links with the same key, so a link works whichever one answers.
  const serverKey = redis
    ? Buffer.from(await redis.valueOnce('server-key', () => randomBytes(32).toString('base64url')), 'base64url')
    : await loadServerKey(options.dataDir);
  // Secrets are bound to the store's epoch, not to the event's id, so that importing another
  // bundle (a new event id) leaves the coordinator's own link working.
  const credentials = new Credentials(serverKey, host.epoch, host.committed.setup!, host.committed.signInVersions);

  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : null;
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        // No inline scripts or styles: Vite emits the app as files, and Svelte sets dynamic styles
        // through the CSSOM, which style-src does not restrict.
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Same-origin WebSocket (ws: or wss: on this host) is covered by 'self'.
        connectSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // A school network often serves plain http (http://10.0.0.5:3000): upgrading would break it.
        upgradeInsecureRequests: null,
      },
    },
    // HSTS only means something over https, where a reverse proxy in front sets it deliberately.
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
  }));
  app.get('/healthz', (_req, res) => {
    // A process that cannot reach its Redis cannot save: the load balancer should send nobody here.
    const body = { night: host.committed.setup?.event.id ?? null, seq: host.committedSeq };
    if (redis && !redis.isAvailable) return void res.status(503).json({ ok: false, ...body });
    res.json({ ok: true, ...body });
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
  // A teacher on a shared laptop types their short code instead of opening a link. Rate-limited
  // per address, so the code space (31^8) cannot be walked.
  const attempts = new Map<string, { windowStart: number; count: number }>();
  const maxAttempts = options.codeAttemptsPerMinute ?? 5;
  app.get('/signin', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('html').send(codeForm(''));
  });
  app.post('/signin/code', express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 5 }), (req: Request, res) => {
    const now = Date.now();
    const ip = req.ip ?? req.socket.remoteAddress ?? '?';
    let a = attempts.get(ip);
    if (!a || now - a.windowStart >= 60_000) attempts.set(ip, (a = { windowStart: now, count: 0 }));
    if (++a.count > maxAttempts) {
      res.status(429).set('Retry-After', String(Math.ceil((a.windowStart + 60_000 - now) / 1000))).type('text/plain')
        .send('Too many attempts. Please wait a minute and try again.');
      return;
    }
    if (attempts.size > 10_000) for (const [k, v] of attempts) if (now - v.windowStart >= 60_000) attempts.delete(k);
    const typed = (req.body as Record<string, unknown> | undefined)?.code;
    const secret = typeof typed === 'string' && typed.length <= 40 ? credentials.secretForCode(typed) : null;
    if (!secret) {
      res.status(401).set('Cache-Control', 'no-store').type('html').send(codeForm('That code is not valid. Check it and try again.'));
      return;
    }
    res.cookie(sessionCookieName('teacher'), secret, {
      httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: 24 * 3600 * 1000,
    });
    res.redirect(303, pathForRole.teacher);
  });
  // The coordinator's upload of a bundle, and the CSV of every visit for the report.
  app.post('/api/import', requireSameOrigin(publicOrigin), importHandler(host, credentials, clock));
  app.get('/api/visits.csv', (req, res) => {
    if (!coordinatorOf(req, credentials)) {
      res.status(401).type('text/plain').send('Only the coordinator can export the visits. Open the coordinator\'s sign-in link first.');
      return;
    }
    const name = `visits-${host.committed.setup?.event.id ?? 'night'}.csv`;
    res.set('Cache-Control', 'no-store').attachment(name).type('text/csv; charset=utf-8').send(visitsCsv(host.committed));
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
  const io = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    // A browser always sends its page's Origin: only pages served by this server may connect.
    // Programs (the rehearsal's bots, tests) send none and authenticate with a secret as usual.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      const allowed = origin === undefined || sameOrigin(origin, req.headers.host, publicOrigin);
      callback(allowed ? null : 'origin not allowed', allowed);
    },
  });
  let adapterClients: { close(): Promise<unknown> }[] = [];
  if (redis) {
    // The adapter carries what concerns sockets on every process (disconnecting a revoked sign-in
    // everywhere at once, fetchSockets); each process sends its own sockets their deltas.
    const pub = redis.client.duplicate();
    const sub = redis.client.duplicate();
    for (const c of [pub, sub]) c.on('error', () => undefined);
    // The adapter leaves a failed publish unhandled: while Redis is away a cluster-wide broadcast is
    // lost (this process refuses connections then anyway) rather than taking the process down.
    const publish = pub.publish.bind(pub);
    Object.defineProperty(pub, 'publish', { value: (...args: Parameters<typeof publish>) => publish(...args).catch(() => 0) });
    await Promise.all([pub.connect(), sub.connect()]);
    adapterClients = [pub, sub];
    io.adapter(createAdapter(pub, sub, { key: `${options.redis!.prefix}socket.io` }));
    // A process that lost Redis can save nothing: its clients are told so and move to another address.
    redis.on('availability', (available) => {
      if (!available) {
        console.error('Lost Redis: refusing commands and connections until it is back.');
        io.local.disconnectSockets(true);
      } else {
        console.log('Redis is back: accepting connections again.');
      }
    });
  }
  const realtime = attachRealtime(io, host, credentials, clock, { rateLimit: options.rateLimit, available: redis ? () => redis.isAvailable : undefined });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 3000, options.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  const base = options.publicUrl ?? url;

  return {
    url, port, host, credentials, httpServer,
    fannedOut: realtime.fannedOut,
    links: credentials.links.map((l) => ({ ...l, url: `${base}/signin/${l.secret}` })),
    async close() {
      clearInterval(ticker);
      const closed = io.close(); // also closes the HTTP server, once every connection has ended
      // Pages still open keep HTTP connections alive (a page loads several chunks at once, and a
      // socket reconnecting may reuse one): end them now rather than when they time out.
      httpServer.closeAllConnections();
      await closed;
      await host.idle();
      await host.snapshot().catch((e: Error) => console.error(`Could not write the final snapshot (${e.message}); the events are intact.`));
      await Promise.allSettled(adapterClients.map((c) => c.close()));
      await store.close();
    },
  };
}

/** A state-changing request must come from a page of this server (the cookie is SameSite=Strict too). */
const requireSameOrigin = (publicOrigin: string | null) => (req: Request, res: express.Response, next: express.NextFunction): void => {
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, req.headers.host, publicOrigin)) {
    req.resume();
    res.status(403).json({ ok: false, errors: ['This upload did not come from the coordinator\'s page.'] });
    return;
  }
  next();
};

function sameOrigin(origin: string, host: string | undefined, publicOrigin: string | null): boolean {
  if (origin === publicOrigin) return true;
  try {
    return !!host && new URL(origin).host === host;
  } catch {
    return false;
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page where a teacher types their code: plain HTML, no script, no inline style. */
function codeForm(error: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Conference Night</title></head>
<body><main>
<h1>Teacher sign-in</h1>
<p>Type the code the coordinator gave you.</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/signin/code">
<label for="code">Your code</label>
<input id="code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="${teacherCodeLength + 4}" required autofocus>
<button type="submit">Sign in</button>
</form>
</main></body></html>`;
}
