// The foundation end to end: kiosk → teacher's line → call → board and the family's own page.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { startServer } from '../../server/app';
import { expect, shot, signIn, test } from './fixtures';
import { demoNightWithoutBookings } from '../helpers/demo';

test('a family checked in at the kiosk shows up live on the teacher, board and status pages', async ({ browser, server }) => {
  // Hamza Tran (F0001, phone …3445) has one child, Sofia, in Mx. Pierre's class (T001, Room A101).
  const teacher = await signIn(browser, server, 'teacher', 'T001');
  const board = await signIn(browser, server, 'board', 'B1', { width: 1920, height: 1080 });
  const kiosk = await signIn(browser, server, 'kiosk', 'K1', { width: 1024, height: 768 });
  await expect(teacher.getByText('Nobody is waiting for you right now.')).toBeVisible();
  await teacher.screenshot({ path: shot('foundation-teacher-empty') });

  await kiosk.getByRole('button', { name: 'English' }).click();
  await kiosk.getByLabel('Your last name, or the last 4 digits of your phone').fill('3445');
  await kiosk.screenshot({ path: shot('foundation-kiosk-search') });
  await kiosk.getByRole('button', { name: 'Find me' }).click();
  await expect(kiosk.getByText('Hamza T.')).toBeVisible();
  await expect(kiosk.getByRole('checkbox', { name: /Mx. Pierre/ })).toBeChecked();
  await kiosk.screenshot({ path: shot('foundation-kiosk-confirm') });
  await kiosk.getByRole('button', { name: 'Check in' }).click();
  await expect(kiosk.getByRole('heading', { name: "You're checked in!" })).toBeVisible();
  await expect(kiosk.getByTestId('done')).toContainText('Mx. Pierre, Room A101');
  await kiosk.screenshot({ path: shot('foundation-kiosk-done') });
  const statusUrl = await kiosk.getByTestId('status-link').getAttribute('href');
  expect(statusUrl).toMatch(/\/status\/[A-Za-z0-9_-]{32}$/);

  // The teacher's line updates without a reload, within a second.
  await expect(teacher.getByTestId('line')).toContainText('Hamza Tran', { timeout: 1_000 });
  await expect(teacher.getByTestId('line')).toContainText('Sofia');
  await teacher.screenshot({ path: shot('foundation-teacher-line') });

  const family = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await family.goto(statusUrl!);
  await expect(family.getByTestId('visit-status')).toContainText('Number 1 in line');
  await family.screenshot({ path: shot('foundation-status-waiting') });

  await teacher.getByRole('button', { name: 'Call next family' }).click();
  await expect(teacher.getByTestId('called')).toContainText('Hamza Tran');
  const ticket = (await board.getByTestId('calls').locator('.ticket').first().textContent())!;
  expect(ticket).toMatch(/^T-\d+$/);
  await expect(board.getByTestId('calls')).toContainText('Mx. Pierre · Room A101');
  await expect(board.getByTestId('calls')).not.toContainText('Hamza');
  await board.screenshot({ path: shot('foundation-board') });
  await expect(family.getByTestId('call-banner')).toHaveText('Go to Room A101 now — Mx. Pierre is ready');
  await family.screenshot({ path: shot('foundation-status-called') });

  await teacher.getByRole('button', { name: 'Start conference' }).click();
  await expect(family.getByTestId('visit-status')).toHaveText('In conference with Mx. Pierre');
  await teacher.screenshot({ path: shot('foundation-teacher-conference') });
  await teacher.getByRole('button', { name: 'End conference' }).click();
  await expect(family.getByTestId('visit-status')).toHaveText('Done');
  await expect(teacher.getByText('Seen tonight: 1')).toBeVisible();
  await expect(teacher.getByTestId('conference')).toHaveCount(0);
  await expect(board.getByText('Nobody is being called right now.')).toBeVisible();
});

test('a wrong status token gets a plain "not found"', async ({ browser, server }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/status/not-a-real-token-at-all-000000000`);
  await expect(page.getByRole('heading', { name: 'Not found.' })).toBeVisible();
});

test('after a server restart every screen reconnects by itself and is right again', async ({ browser }) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cn-e2e-restart-'));
  let server = await startServer({ dataDir, port: 0, initialEvents: demoNightWithoutBookings });
  const port = server.port;
  const teacher = await signIn(browser, server, 'teacher', 'T002');
  await server.close();
  await expect(teacher.getByTestId('connection')).toHaveText('Offline — reconnecting');
  await teacher.screenshot({ path: shot('foundation-teacher-offline') });

  server = await startServer({ dataDir, port });
  await expect(teacher.getByTestId('connection')).toHaveText('Live');
  // A check-in on the restarted server reaches the page that never reloaded.
  const kioskSecret = server.links.find((l) => l.actor.role === 'kiosk')!.secret;
  const kiosk = io(server.url, { transports: ['websocket'], auth: { token: kioskSecret } });
  const ack = await kiosk.emitWithAck('command', { type: 'checkIn', commandId: 'restart-check-in-1', familyId: 'F0002' });
  expect(ack.ok).toBe(true);
  await expect(teacher.getByTestId('line')).toContainText('Zoe Davis');
  kiosk.close();
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});
