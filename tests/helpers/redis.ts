// A real redis-server of the test's own, on a free port, with its append-only file synced on every
// write (as a district runs it), so that a test can kill it and start it again on the same data.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class RedisServer {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number, readonly dir: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), await mkdtemp(path.join(tmpdir(), 'conference-night-redis-')));
    await server.run();
    return server;
  }

  /** Starts redis-server (again) on the same port and directory; resolves when it accepts commands. */
  async run(): Promise<void> {
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'no',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}):\n${out}`)); });
    });
  }

  /** Kills it like a power cut (SIGKILL): only what its append-only file holds survives. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A client to look into Redis from the test (the night's log, as the servers wrote it). */
export async function redisClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Every record of a night's log in Redis, in order. */
export async function redisLog(url: string, prefix: string): Promise<{ seq: number; commandId: string | null; event: { type: string; familyId?: string } }[]> {
  const client = await redisClient(url);
  try {
    const entries = (await client.sendCommand(['XRANGE', `${prefix}log`, '-', '+'])) as [string, string[]][];
    return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('r') + 1]));
  } finally {
    await client.close();
  }
}

/**
 * A TCP proxy between one server process and Redis: `cut()` drops every connection and refuses new
 * ones, as when that machine's network to Redis fails while the others keep theirs.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  private constructor(private readonly server: Server, readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy!: TcpProxy;
    const server = createServer((inbound) => {
      if (proxy.cutOff) return inbound.destroy();
      const outbound = connect(targetPort, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        proxy.sockets.add(s);
        s.on('close', () => { proxy.sockets.delete(s); inbound.destroy(); outbound.destroy(); });
        s.on('error', () => undefined);
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
