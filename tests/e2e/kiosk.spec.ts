// The front-desk kiosk end to end in Chromium: language first, name and phone lookup, the picker, no
// match and a walk-in, the idle reset, Arabic right to left, the offline queue and two kiosks racing.
// Every step is screenshotted under test-results/ and checked with axe-core (WCAG 2.2 AA).
import type { Browser, BrowserContext, Page, WebSocketRoute } from '@playwright/test';
import type { RunningServer } from '../../server/app';
import { checkIn, expect, openStatus, shot, signIn, test } from './fixtures';
import { expectAccessible, expectTouchTargets } from './a11y';

const tablet = { width: 1024, height: 768 };
const searchLabel = 'Your last name, or the last 4 digits of your phone';

/** A kiosk tablet: a fresh browser context signed in with the kiosk's link. */
async function openKiosk(browser: Browser, server: RunningServer, id = 'K1', setup?: (context: BrowserContext, page: Page) => Promise<void>): Promise<Page> {
  const link = server.links.find((l) => l.actor.role === 'kiosk' && l.actor.id === id)!;
  const context = await browser.newContext({ viewport: tablet });
  const page = await context.newPage();
  await setup?.(context, page);
  await page.goto(link.url);
  await expect(page.getByTestId('connection')).toHaveText('Live');
  return page;
}

/** English, then a search, up to the confirm step (or the picker when several match). */
async function find(page: Page, text: string) {
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByLabel(searchLabel).fill(text);
  await page.getByRole('button', { name: 'Find me' }).click();
}

test('by last name: the picker shows only first names and initials; confirm; done with QR, short link and a printable slip; "Done" starts over', async ({ browser, server }) => {
  const kiosk = await openKiosk(browser, server);
  const historyAtStart = await kiosk.evaluate(() => history.length);
  await expect(kiosk.getByRole('heading', { level: 1 })).toHaveText(/^Welcome\s+Bienvenidos\s+Xin chào\s+أهلًا وسهلًا\s+Soo dhawaada\s+Byenveni/);
  await expect(kiosk.getByRole('button', { name: 'العربية' })).toHaveAttribute('lang', 'ar');
  await kiosk.screenshot({ path: shot('kiosk-1-language') });
  await expectAccessible(kiosk, 'language step');
  await expectTouchTargets(kiosk);

  await kiosk.getByRole('button', { name: 'English' }).click();
  await expect(kiosk.getByLabel(searchLabel)).toBeFocused();
  await kiosk.getByLabel(searchLabel).fill('Gomez');
  await kiosk.screenshot({ path: shot('kiosk-2-search') });
  await expectAccessible(kiosk, 'search step');
  await kiosk.getByRole('button', { name: 'Find me' }).click();

  // Three Gomez families: a picker of "Owen G." and children's first names, never a surname or a roster.
  await expect(kiosk.getByRole('heading', { name: 'Which family is yours?' })).toBeVisible();
  const choices = kiosk.locator('.choices button');
  await expect(choices).toHaveCount(3);
  await expect(choices.filter({ hasText: 'Owen G.' })).toHaveCount(1);
  expect(await kiosk.locator('main').textContent()).not.toContain('Gomez');
  await kiosk.screenshot({ path: shot('kiosk-3-picker') });
  await expectAccessible(kiosk, 'picker');
  await expectTouchTargets(kiosk);

  await choices.filter({ hasText: 'Owen G.' }).click();
  await expect(kiosk.getByRole('heading', { name: 'Who will you see tonight?' })).toBeVisible();
  const teacherBoxes = kiosk.locator('.choices input[type=checkbox]');
  expect(await teacherBoxes.count()).toBeGreaterThan(0);
  for (const box of await teacherBoxes.all()) await expect(box).toBeChecked();
  await expect(kiosk.getByLabel('Language for tonight')).toHaveValue('en');
  await kiosk.getByLabel('We would like a guide to walk us to each room').check();
  await kiosk.screenshot({ path: shot('kiosk-4-confirm'), fullPage: true });
  await expectAccessible(kiosk, 'confirm step');
  await expectTouchTargets(kiosk);
  await kiosk.getByRole('button', { name: 'Check in' }).click();

  await expect(kiosk.getByRole('heading', { name: "You're checked in!" })).toBeVisible();
  const done = kiosk.getByTestId('done');
  await expect(done.locator('.ticket')).toHaveText(/^G-\d+$/);
  await expect(kiosk.getByTestId('first-stop')).toHaveText(/^First: .+, Room \w+ — (in about \d+ min|you will be called very soon)$/);
  await expect(done).toContainText('A guide will meet you here at the front desk.');
  await expect(kiosk.getByTestId('qr')).toBeVisible();
  const statusUrl = (await kiosk.getByTestId('status-link').getAttribute('href'))!;
  expect(statusUrl).toMatch(/\/status\/[A-Za-z0-9_-]{32}$/);
  await expect(kiosk.getByTestId('status-link')).toHaveText(statusUrl.replace(/^http:\/\//, ''));
  await kiosk.screenshot({ path: shot('kiosk-5-done') });
  await expectAccessible(kiosk, 'done step');
  await expectTouchTargets(kiosk);
  // The printed slip: ticket, first stop, QR code and link, without the kiosk's buttons.
  await kiosk.emulateMedia({ media: 'print' });
  await expect(kiosk.getByRole('button', { name: 'Done' })).toBeHidden();
  await expect(kiosk.getByTestId('qr')).toBeVisible();
  await kiosk.screenshot({ path: shot('kiosk-6-print-slip') });
  await kiosk.emulateMedia({ media: 'screen' });

  // "Done": back to the start at once, nothing of the family left on the screen or in the history.
  await kiosk.getByRole('button', { name: 'Done' }).click();
  await expect(kiosk.getByRole('button', { name: 'English' })).toBeFocused();
  expect(await kiosk.locator('body').textContent()).not.toMatch(/Owen|G-\d/);
  expect(kiosk.url()).toMatch(/\/kiosk$/);
  expect(await kiosk.evaluate(() => history.length)).toBe(historyAtStart);
  // The family's phone shows their own evening.
  const family = await openStatus(browser, statusUrl);
  await expect(family.getByRole('heading', { name: 'Your evening' })).toBeVisible();
  await expect(family.getByText('Hello, Owen')).toBeVisible();
});

test('by phone digits in Spanish, by keyboard alone: the whole flow and the family\'s page follow the language chosen', async ({ browser, server }) => {
  const kiosk = await openKiosk(browser, server);
  await kiosk.getByRole('button', { name: 'Español' }).focus();
  await kiosk.keyboard.press('Enter');
  await expect(kiosk.locator('html')).toHaveAttribute('lang', 'es');
  await expect(kiosk.getByLabel('Su apellido, o los últimos 4 dígitos de su teléfono')).toBeFocused();
  await kiosk.keyboard.type('3445');
  await kiosk.keyboard.press('Enter');
  // One match (Hamza Tran, whose record says English): straight to confirm, Spanish prefilled.
  await expect(kiosk.getByRole('heading', { name: '¿A quién verá esta noche?' })).toBeFocused();
  await expect(kiosk.getByText('Hamza T. · Sofia')).toBeVisible();
  await expect(kiosk.getByLabel('Idioma para esta noche')).toHaveValue('es');
  await expect(kiosk.getByLabel('Queremos un intérprete')).toBeChecked();
  await kiosk.screenshot({ path: shot('kiosk-es-confirm') });
  await expectAccessible(kiosk, 'confirm in Spanish');
  await kiosk.getByRole('button', { name: 'Registrarme' }).focus();
  await kiosk.keyboard.press('Enter');
  await expect(kiosk.getByRole('heading', { name: '¡Ya está registrado!' })).toBeVisible();
  await expect(kiosk.getByTestId('first-stop')).toContainText('Primero: Mx. Pierre, Room A101');
  await kiosk.screenshot({ path: shot('kiosk-es-done') });
  const statusUrl = (await kiosk.getByTestId('status-link').getAttribute('href'))!;

  const family = await openStatus(browser, statusUrl);
  await expect(family.locator('html')).toHaveAttribute('lang', 'es');
  await expect(family.getByRole('heading', { name: 'Su noche' })).toBeVisible();
  await expect(family.getByText('¿Qué le ha entusiasmado últimamente a su hijo en la escuela?')).toBeVisible();
});

test('no match: "please see the front desk", and staff register a walk-in who is checked in and shown unverified to the coordinator', async ({ browser, server }) => {
  const coordinator = await signIn(browser, server, 'coordinator', 'C1');
  const kiosk = await openKiosk(browser, server);
  await find(kiosk, 'Zzyzx');
  await expect(kiosk.getByTestId('no-match')).toContainText('We could not find you. Please see the front desk.');
  await kiosk.screenshot({ path: shot('kiosk-7-no-match') });
  await expectAccessible(kiosk, 'no match');
  await expectTouchTargets(kiosk);

  await kiosk.getByRole('button', { name: 'Front desk: register a walk-in family' }).click();
  await expect(kiosk.getByLabel("Guardian's full name")).toBeFocused();
  await kiosk.getByLabel("Guardian's full name").fill('Marta Quispe');
  await kiosk.getByLabel('Language for tonight').selectOption('es');
  await kiosk.getByRole('textbox', { name: "Child's first name" }).fill('Inti');
  await kiosk.getByLabel('Teacher').selectOption('T001');
  // Nothing is sent while a child has no teacher.
  await kiosk.getByRole('button', { name: 'Add another child' }).click();
  await kiosk.getByRole('button', { name: 'Staff: I have checked this family — register and check in' }).click();
  await expect(kiosk.getByRole('alert')).toHaveText("Fill in the guardian's name and, for each child, a first name and a teacher.");
  expect(Object.keys(server.host.committed.walkIns ?? {})).toEqual([]);
  await kiosk.getByRole('button', { name: 'Remove this child' }).last().click();
  await kiosk.screenshot({ path: shot('kiosk-8-walk-in'), fullPage: true });
  await expectAccessible(kiosk, 'walk-in form');
  await expectTouchTargets(kiosk);
  await kiosk.getByRole('button', { name: 'Staff: I have checked this family — register and check in' }).click();

  await expect(kiosk.getByRole('heading', { name: "You're checked in!" })).toBeVisible();
  await expect(kiosk.getByTestId('done').locator('.ticket')).toHaveText(/^Q-\d+$/);
  await expect(coordinator.getByTestId('walk-ins')).toContainText('Walk-ins to verify (1)');
  await expect(coordinator.getByTestId('walk-ins')).toContainText('Marta Quispe — registered at the front desk at');
  const family = await openStatus(browser, (await kiosk.getByTestId('status-link').getAttribute('href'))!);
  await expect(family.getByText('Hola, Marta')).toBeVisible();
  await expect(family.getByTestId('visit')).toContainText('Mx. Pierre');
});

test('idle: a visible 10-second countdown after 35 s, "I\'m still here" keeps the screen, and 45 s idle starts over', async ({ browser, server }) => {
  const kiosk = await openKiosk(browser, server, 'K1', (_, page) => page.clock.install());
  await find(kiosk, '3445');
  await expect(kiosk.getByText('Hamza T. · Sofia')).toBeVisible();

  await kiosk.clock.fastForward(36_000);
  const idle = kiosk.getByTestId('idle');
  await expect(idle).toBeVisible();
  await expect(idle).toContainText(/Starting over in (9|10) seconds, to keep your details private\./);
  await kiosk.screenshot({ path: shot('kiosk-9-idle-countdown') });
  await expectAccessible(kiosk, 'idle countdown');
  await kiosk.getByRole('button', { name: "I'm still here" }).click();
  await expect(idle).toBeHidden();
  await expect(kiosk.getByText('Hamza T. · Sofia')).toBeVisible();

  await kiosk.clock.fastForward(36_000);
  await expect(idle).toBeVisible();
  await kiosk.clock.fastForward(10_000);
  await expect(kiosk.getByRole('button', { name: 'English' })).toBeVisible();
  await expect(idle).toBeHidden();
  expect(await kiosk.locator('body').textContent()).not.toMatch(/Hamza|Sofia/);
  expect(server.host.committed.checkIns.F0001).toBeUndefined();
});

test('Arabic lays the kiosk and the family\'s page out right to left', async ({ browser, server }) => {
  const kiosk = await openKiosk(browser, server);
  await kiosk.getByRole('button', { name: 'العربية' }).click();
  await expect(kiosk.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(kiosk.locator('html')).toHaveAttribute('lang', 'ar');
  await kiosk.getByLabel('اسم العائلة، أو آخر 4 أرقام من هاتفك').fill('9987');
  await kiosk.getByRole('button', { name: 'ابحث عني' }).click();
  await expect(kiosk.getByRole('heading', { name: 'من ستقابلون الليلة؟' })).toBeVisible();
  // The text runs from the right: the heading's right edge sits at the right of the page.
  const heading = (await kiosk.getByRole('heading', { name: 'من ستقابلون الليلة؟' }).boundingBox())!;
  const main = (await kiosk.locator('main').boundingBox())!;
  expect(main.x + main.width - (heading.x + heading.width)).toBeLessThan(40);
  await kiosk.screenshot({ path: shot('kiosk-rtl-arabic') });
  await expectAccessible(kiosk, 'Arabic confirm');

  // Mateo Brown (F0038) reads Arabic: his page is right to left too.
  const [{ statusUrl }] = await checkIn(server, 'F0038');
  const family = await openStatus(browser, statusUrl);
  await expect(family.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(family.getByRole('heading', { name: 'أمسيتكم' })).toBeVisible();
  await family.screenshot({ path: shot('status-rtl-arabic'), fullPage: true });
  await expectAccessible(family, 'Arabic status page');
});

test('offline: the kiosk says so, takes three check-ins, keeps them across a reload, and sends them once when the socket is back', async ({ browser, server }) => {
  test.setTimeout(60_000);
  // The socket is cut and restored at the network layer; the page itself is still served.
  let cut = false;
  const open: WebSocketRoute[] = [];
  const kiosk = await openKiosk(browser, server, 'K1', (context) => context.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    if (cut) {
      // A socket opened while cut carries nothing either way and is dropped a moment later, as a dead network would.
      ws.onMessage(() => {});
      server.onMessage(() => {});
      setTimeout(() => { void ws.close(); void server.close(); }, 100);
      return;
    }
    open.push(ws, server);
  }));
  await expect(kiosk.locator('main')).toHaveAttribute('data-offline-search', 'ready');
  cut = true;
  for (const ws of open.splice(0)) await ws.close();
  await expect(kiosk.getByTestId('connection')).toHaveText('Offline — reconnecting');
  await expect(kiosk.getByTestId('offline-banner')).toBeVisible();

  // Hamza Tran (…3445), Zoe Davis (…5459) and Owen Gomez (…8227), found by their phone digits.
  for (const digits of ['3445', '5459', '8227']) {
    await find(kiosk, digits);
    await expect(kiosk.getByRole('heading', { name: 'Who will you see tonight?' })).toBeVisible();
    await kiosk.getByRole('button', { name: 'Check in' }).click();
    await expect(kiosk.getByTestId('queued')).toBeVisible();
    if (digits === '3445') await kiosk.screenshot({ path: shot('kiosk-offline-queued') });
    await kiosk.getByRole('button', { name: 'Done' }).click();
  }
  await expect(kiosk.getByTestId('queue-count')).toHaveText('Check-ins waiting to be sent: 3');
  expect(Object.keys(server.host.committed.checkIns)).toEqual([]);

  // A reload while offline loses nothing; what is stored holds no name or phone digits.
  await kiosk.reload();
  await expect(kiosk.getByTestId('queue-count')).toHaveText('Check-ins waiting to be sent: 3');
  await kiosk.screenshot({ path: shot('kiosk-offline-after-reload') });
  // (The random commandIds are left out: hex digits can spell "3445" by chance.)
  const stored = (await kiosk.evaluate(() => JSON.stringify(localStorage))).replace(/\\"commandId\\":\\"[0-9a-f]+\\"/g, '');
  expect(stored).toContain('F0001'); // the queue is there, ids only
  for (const personal of ['Hamza', 'Tran', 'Zoe', 'Davis', 'Owen', 'Gomez', '3445', '5459', '8227']) expect(stored).not.toContain(personal);

  cut = false;
  await expect(kiosk.getByTestId('connection')).toHaveText('Live', { timeout: 20_000 });
  await expect(kiosk.getByTestId('queue-count')).toBeHidden();
  const checkIns = server.host.committed.checkIns;
  expect(Object.keys(checkIns).sort()).toEqual(['F0001', 'F0002', 'F0003']);
  expect(server.host.committed.ticketsIssued).toBe(3);
  const visits = Object.values(server.host.committed.visits);
  expect(new Set(visits.map((v) => v.id)).size).toBe(visits.length);
});

test('two kiosks check in the same family at the same moment: one check-in; the other kiosk says "already checked in" and gives the link', async ({ browser, server }) => {
  const [k1, k2] = await Promise.all([openKiosk(browser, server, 'K1'), openKiosk(browser, server, 'K2')]);
  for (const kiosk of [k1, k2]) {
    await find(kiosk, '8227');
    await expect(kiosk.getByRole('heading', { name: 'Who will you see tonight?' })).toBeVisible();
  }
  await Promise.all([k1.getByRole('button', { name: 'Check in' }).click(), k2.getByRole('button', { name: 'Check in' }).click()]);
  for (const kiosk of [k1, k2]) await expect(kiosk.getByRole('heading', { name: "You're checked in!" })).toBeVisible();

  const already = await Promise.all([k1, k2].map((k) => k.getByText('This family is already checked in.').count()));
  expect(already.sort()).toEqual([0, 1]);
  const second = already[0] ? k1 : k2;
  await second.screenshot({ path: shot('kiosk-already-checked-in') });
  const links = await Promise.all([k1, k2].map((k) => k.getByTestId('status-link').getAttribute('href')));
  expect(links[0]).toBe(links[1]);
  expect(Object.keys(server.host.committed.checkIns)).toEqual(['F0003']);
  expect(server.host.committed.ticketsIssued).toBe(1);
});
