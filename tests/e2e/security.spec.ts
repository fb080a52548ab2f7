// A kiosk session leaves no personal data in the browser, and the app runs under its strict CSP.
import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures';

/** A fresh device whose CSP violations (reported on the console) are collected from the first request on. */
async function device(browser: Browser, violations: string[], viewport = { width: 1024, height: 768 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
  page.on('pageerror', (e) => violations.push(e.message));
  return page;
}
const linkOf = (server: { links: { actor: { role: string; id: string }; url: string }[] }, role: string, id: string) =>
  server.links.find((l) => l.actor.role === role && l.actor.id === id)!.url;

test('a family checks in at the kiosk; afterwards no personal data is in the browser\'s storage, and nothing broke the CSP', async ({ browser, server }) => {
  const violations: string[] = [];
  const kiosk = await device(browser, violations);
  await kiosk.goto(linkOf(server, 'kiosk', 'K1'));
  await kiosk.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();

  // Hamza Tran (F0001, phone …3445) and his daughter Sofia.
  await kiosk.getByRole('button', { name: 'English' }).click();
  await kiosk.getByLabel('Your last name, or the last 4 digits of your phone').fill('3445');
  await kiosk.getByRole('button', { name: 'Find me' }).click();
  await expect(kiosk.getByText('Hamza T.')).toBeVisible();
  await kiosk.getByRole('button', { name: 'Check in' }).click();
  await expect(kiosk.getByRole('heading', { name: "You're checked in!" })).toBeVisible();
  const statusUrl = (await kiosk.getByTestId('status-link').getAttribute('href'))!;
  const statusToken = statusUrl.split('/').at(-1)!;

  const stored = await kiosk.evaluate(async () => {
    const dump = (s: Storage) => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i)!)}`);
    const databases = 'databases' in indexedDB ? await indexedDB.databases() : [];
    const caches = 'caches' in window ? await window.caches.keys() : [];
    return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie, databases, caches };
  });
  const cookies = await kiosk.context().cookies();
  const text = JSON.stringify({ stored, cookies: cookies.filter((c) => !c.httpOnly) });
  for (const personal of ['Hamza', 'Tran', '3445', 'Sofia', 'F0001', statusToken]) expect(text, personal).not.toContain(personal);
  // The only cookie is the kiosk's own session, out of reach of scripts.
  expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['cn_kiosk', true, 'Strict']]);
  expect(stored.cookie).toBe('');
  expect(stored.databases).toEqual([]);
  expect(violations).toEqual([]);
});

test('the pages refuse to be framed; the board and a family\'s page run under the CSP', async ({ browser, server }) => {
  const violations: string[] = [];
  const board = await device(browser, violations, { width: 1920, height: 1080 });
  const response = await board.goto(linkOf(server, 'board', 'B1'));
  expect(response!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(response!.headers()['x-frame-options']).toBe('DENY');
  await expect(board.getByTestId('connection')).toHaveText('Live');
  const family = await device(browser, violations, { width: 390, height: 844 });
  await family.goto(`${server.url}/status/${server.credentials.statusTokenFor('F0002')}`);
  await expect(family.getByTestId('connection')).toHaveText('Live');
  expect(violations).toEqual([]);
});
