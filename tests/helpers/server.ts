// Starts real servers on fresh temporary data directories and cleans everything up afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type ServerOptions } from '../../server/app';
import type { Actor, Role } from '../../shared/protocol';
import { TestClient, type ClientAuth } from './client';
import { demoNightWithoutBookings } from './demo';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const demoBundleDir = path.join(repoRoot, 'server', 'demo', 'lincoln-elementary');

export const makeDataDir = () => mkdtemp(path.join(tmpdir(), 'conference-night-test-'));

export function secretFor(links: { actor: Actor; secret: string }[], role: Role, id: string): string {
  const link = links.find((l) => l.actor.role === role && l.actor.id === id);
  if (!link) throw new Error(`No sign-in link for ${role} ${id}`);
  return link.secret;
}

export async function healthSeq(url: string): Promise<number> {
  const res = await fetch(`${url}/healthz`);
  const body = (await res.json()) as { ok: boolean; seq: number };
  return body.seq;
}

/**
 * Everything a test opened: servers, clients and data directories. Call `cleanup()` in afterEach.
 * Servers can be closed early (to restart on the same directory); closing twice is harmless.
 */
export class Harness {
  private readonly servers = new Set<RunningServer>();
  private readonly clients = new Set<TestClient>();
  private readonly dirs = new Set<string>();

  async dataDir(): Promise<string> {
    const dir = await makeDataDir();
    this.dirs.add(dir);
    return dir;
  }

  async start(options: Partial<ServerOptions> & { dataDir?: string } = {}): Promise<RunningServer & { dataDir: string }> {
    const dataDir = options.dataDir ?? (await this.dataDir());
    const server = await startServer({ port: 0, initialEvents: demoNightWithoutBookings, ...options, dataDir });
    this.servers.add(server);
    return Object.assign(server, { dataDir });
  }

  async stop(server: RunningServer): Promise<void> {
    if (!this.servers.delete(server)) return;
    await server.close();
  }

  track<V>(client: TestClient<V>): TestClient<V> {
    this.clients.add(client as TestClient);
    return client;
  }

  /** A connected, helloed client signed in as `role`/`id` with its sign-in secret. */
  async client<V = any>(server: RunningServer, role: Role, id: string): Promise<TestClient<V>> {
    return this.clientWith<V>(server, { token: secretFor(server.links, role, id) });
  }

  async clientWith<V = any>(server: RunningServer, auth: ClientAuth): Promise<TestClient<V>> {
    const client = this.track(new TestClient<V>(server.url, auth));
    await client.connect();
    await client.hello();
    return client;
  }

  /** A family's status page: authenticated by the status token the kiosk hands out. */
  async family<V = any>(server: RunningServer, familyId: string): Promise<TestClient<V>> {
    return this.clientWith<V>(server, { statusToken: server.credentials.statusTokenFor(familyId) });
  }

  async cleanup(): Promise<void> {
    for (const c of this.clients) c.close();
    this.clients.clear();
    for (const s of [...this.servers]) await this.stop(s);
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}
