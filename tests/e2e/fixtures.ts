// A real server per test file, in-process on an ephemeral port with its own data directory.
import { test as base, type Browser, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../server/app';

export const test = base.extend<object, { server: RunningServer }>({
  server: [async ({}, use) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cn-e2e-'));
    const server = await startServer({ dataDir, port: 0 });
    await use(server);
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }, { scope: 'worker' }],
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
