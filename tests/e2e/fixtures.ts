// A real server per test, in-process on an ephemeral port with its own data directory, so that no
// test sees another test's families.
import { test as base, type Browser, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { startServer, type RunningServer } from '../../server/app';
import { demoNightWithoutBookings } from '../helpers/demo';
import type { Ack } from '../../shared/protocol';

export const test = base.extend<{ server: RunningServer }>({
  server: async ({}, use) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cn-e2e-'));
    const server = await startServer({ dataDir, port: 0, initialEvents: demoNightWithoutBookings });
    await use(server);
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  },
});
export { expect } from '@playwright/test';

/** Opens a sign-in link in a fresh browser context, as a person would on their own device. */
export async function signIn(browser: Browser, server: RunningServer, role: string, id: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const link = server.links.find((l) => l.actor.role === role && l.actor.id === id);
  if (!link) throw new Error(`no sign-in link for ${role} ${id}`);
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(link.url);
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
  return page;
}

export const shot = (name: string) => `test-results/${name}.png`;

/** A server of the test's own whose clock the test moves forward (the five-minute no-show rule). */
export async function startClockedServer(): Promise<{ server: RunningServer; advance(ms: number): void; close(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cn-e2e-clock-'));
  let offset = 0;
  const server = await startServer({ dataDir, port: 0, clock: () => Date.now() + offset, initialEvents: demoNightWithoutBookings });
  return {
    server,
    advance(ms) { offset += ms; },
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A program signed in as someone (the kiosk, a teacher), sending commands the way a screen does. */
export async function actAs(server: RunningServer, role: string, id: string) {
  const link = server.links.find((l) => l.actor.role === role && l.actor.id === id);
  if (!link) throw new Error(`no sign-in link for ${role} ${id}`);
  const socket = io(server.url, { transports: ['websocket'], auth: { token: link.secret }, forceNew: true });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  let n = 0;
  return {
    async send(command: Record<string, unknown>): Promise<Ack> {
      return (await socket.emitWithAck('command', { commandId: `e2e-${role}-${id}-${Date.now()}-${++n}`, ...command })) as Ack;
    },
    close: () => { socket.close(); },
  };
}

/** Checks families in as the front desk would; returns each family's status page address and ticket. */
export async function checkIn(server: RunningServer, ...families: (string | Record<string, unknown> & { familyId: string })[]) {
  const kiosk = await actAs(server, 'kiosk', 'K1');
  const out: { statusUrl: string; ticket: string }[] = [];
  try {
    for (const f of families) {
      const ack = await kiosk.send({ type: 'checkIn', ...(typeof f === 'string' ? { familyId: f } : f) });
      if (!ack.ok || !ack.result?.statusToken || !ack.result.ticket) throw new Error(`check-in refused: ${JSON.stringify(ack)}`);
      out.push({ statusUrl: `${server.url}/status/${ack.result.statusToken}`, ticket: ack.result.ticket });
    }
  } finally {
    kiosk.close();
  }
  return out;
}

/** A family's own phone (live in whatever language the family reads). */
export async function openStatus(browser: Browser, statusUrl: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await page.goto(statusUrl);
  await page.locator('[data-testid=connection].online').waitFor();
  return page;
}
