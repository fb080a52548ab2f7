// The coordinator's screens in Chromium: importing a bundle by upload (errors first, then the right
// files), the sign-in sheet's QR codes, an alert that appears as time passes and goes with the
// override, an announcement reaching a Spanish-speaking family's phone, the live overview and
// charts, and the report with its CSV export and the purge of personal data.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../server/app';
import { readBundleDir } from '../../server/bundle-files';
import { demoNightEvents } from '../../server/demo';
import { demoBundleDir } from '../helpers/server';
import { actAs, checkIn, expect, openStatus, shot, signIn, startClockedServer, test } from './fixtures';

const minute = 60_000;

test('before the night: the coordinator uploads a bundle, sees precise errors, then imports it and opens the night', async ({ browser }) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cn-e2e-import-'));
  // A night set up but not yet open: the import and the hand edits are on the page.
  const server = await startServer({ dataDir, port: 0, initialEvents: async (now) => (await demoNightEvents(now)).filter((e) => e.type === 'nightCreated') });
  try {
    const page = await signIn(browser, server, 'coordinator', 'C1', { width: 1280, height: 900 });
    await expect(page.getByTestId('night-phase')).toHaveText('Not open yet');
    const files = await readBundleDir(demoBundleDir);
    const asFiles = (f: Record<string, string>) => Object.entries(f).map(([name, text]) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) }));

    // A broken families.csv: nothing imported, the error names the file, line and column.
    const broken = { ...files, 'families.csv': files['families.csv'].replace(/^(F0003,[^\n]*?,)(S\d{4})/m, '$1S0999') };
    await page.getByTestId('bundle-files').setInputFiles(asFiles(broken));
    await page.getByRole('button', { name: 'Check and import' }).click();
    await expect(page.getByTestId('import-errors')).toContainText('families.csv line 4, column student_ids: student S0999 is not in students.csv.');
    await expect(page.getByTestId('import-errors')).toContainText('Nothing was imported');
    await page.getByTestId('bundle-import').screenshot({ path: shot('coordinator-import-errors') });

    // A file too large is refused in the page at once, before any upload.
    await page.getByTestId('bundle-files').setInputFiles([{ name: 'families.csv', mimeType: 'text/csv', buffer: Buffer.alloc(21 * 1024 * 1024, 120) }]);
    await expect(page.getByRole('alert').filter({ hasText: 'a bundle may be at most 20 MB' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Check and import' })).toBeDisabled();

    // The right files (here, Excel-style: byte-order mark and CRLF) import.
    // With a slow school network (upload throttled) and a 3 MB file the bundle does not need, the progress bar shows.
    const windows = Object.fromEntries(Object.entries(files).map(([n, t]) => [n, `\uFEFF${t.replace(/\r?\n/g, '\r\n')}`]));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
    await page.getByTestId('bundle-files').setInputFiles(asFiles({ ...windows, 'notes.csv': 'note\n'.repeat(600_000) }));
    await page.getByRole('button', { name: 'Check and import' }).click();
    await expect(page.getByTestId('import-progress').locator('progress')).toBeVisible();
    await page.getByTestId('bundle-import').screenshot({ path: shot('coordinator-import-progress') });
    await expect(page.getByTestId('import-done')).toContainText('Imported: 20 teachers', { timeout: 15_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.getByTestId('bundle-import').screenshot({ path: shot('coordinator-import-done') });

    // A hand edit: a new teacher in an existing room; the overview lists them at once.
    const editor = page.getByTestId('setup-editor');
    await editor.getByRole('tab', { name: 'Teacher' }).click();
    await editor.getByLabel('Id').fill('T900');
    await editor.getByLabel('Name').fill('Ms. Newcomer');
    await editor.getByLabel('Room').selectOption('C107');
    await editor.getByLabel('Languages (e.g. en;es)').fill('en;es');
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect(editor.getByTestId('setup-message')).toHaveText('Saved.');
    await expect(page.locator('[data-testid="teacher-row"][data-teacher="T900"]')).toContainText('Ms. Newcomer');
    await editor.screenshot({ path: shot('coordinator-setup-editor') });
    // ... and signs in: their link is on the sheet, with a QR code.
    const row = page.locator('[data-testid="sign-in-row"][data-key="teacher:T900"]');
    await expect(row).toContainText('Ms. Newcomer');
    await expect(row.getByTestId('sign-in-qr')).toHaveJSProperty('complete', true);
    expect(await row.getByTestId('sign-in-qr').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(50);
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: shot('coordinator-signins-qr') });

    await page.getByRole('button', { name: 'Open the night' }).click();
    await expect(page.getByTestId('night-phase')).toHaveText('Open');
    // Once the first family has checked in, the night's setup changes by hand only.
    await expect(page.getByTestId('bundle-import')).toBeVisible();
    await checkIn(server, 'F0001');
    await expect(page.getByTestId('bundle-import')).toHaveCount(0);
    await expect(page.locator('details.later-setup summary')).toHaveText('Edit rooms, teachers, staff and activities');
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('an alert appears when a family has waited 30 minutes, and goes when the coordinator moves them to the front', async ({ browser }) => {
  const own = await startClockedServer();
  try {
    const { server } = own;
    const coordinator = await signIn(browser, server, 'coordinator', 'C1', { width: 1280, height: 900 });
    // The charts, QR codes and every component run under the strict CSP.
    const violations: string[] = [];
    coordinator.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    coordinator.on('pageerror', (e) => violations.push(e.message));
    const teacher = await actAs(server, 'teacher', 'T002');
    const [first, second] = await checkIn(server, 'F0002', 'F0028');
    // Dr. Ramirez is with the first family; the second waits.
    expect(await teacher.send({ type: 'callFamily', teacherId: 'T002', visitId: 'F0002:T002' })).toMatchObject({ ok: true });
    expect(await teacher.send({ type: 'startConference', visitId: 'F0002:T002' })).toMatchObject({ ok: true });
    // The kiosk that checked them in has gone: the coordinator is told.
    const kioskAlert = coordinator.locator('[data-testid="alert"][data-kind="kioskOffline"]');
    await expect(kioskAlert).toContainText('Kiosk K1 went offline at');
    await expect(coordinator.getByTestId('alert')).toHaveCount(1);

    // Half an hour later, with nothing else happening, the server's tick brings the alerts.
    own.advance(31 * minute);
    const wait = coordinator.locator('[data-testid="alert"][data-kind="longWait"]');
    await expect(wait).toContainText(`${second.ticket} Diego Lopez`, { timeout: 12_000 });
    await expect(wait).toContainText('has waited 3');
    await expect(coordinator.locator('[data-testid="alert"][data-kind="teacherOver"]')).toContainText('Dr. Ramirez (Room A102) is 16 min over time');
    await expect(coordinator.getByTestId('waits-now')).toContainText('Longest wait now: 3');
    await coordinator.getByTestId('alerts').screenshot({ path: shot('coordinator-alerts') });
    await coordinator.getByTestId('overview').screenshot({ path: shot('coordinator-overview') });
    await coordinator.getByTestId('overrides').screenshot({ path: shot('coordinator-overrides') });
    await coordinator.screenshot({ path: shot('coordinator-live'), fullPage: true });

    await wait.getByRole('button', { name: "Move to the front of Dr. Ramirez's line" }).click();
    await expect(wait).toHaveCount(0);
    await coordinator.locator('[data-testid="alert"][data-kind="teacherOver"]').getByRole('button', { name: 'Tell families: running 10 min late' }).click();
    await expect(coordinator.getByTestId('alert')).toHaveCount(1);
    // The kiosk comes back: no alerts at all.
    const kiosk = await actAs(server, 'kiosk', 'K1');
    await expect(coordinator.getByTestId('alerts')).toContainText('No alerts');
    kiosk.close();
    await expect(coordinator.locator('[data-testid="teacher-row"][data-teacher="T002"]')).toContainText('Late until');
    expect(server.host.committed.visits['F0028:T002'].frontAt).toBeDefined();
    expect(first.ticket).toBeTruthy();

    // Pause a line from the overview; resume it.
    const row = coordinator.locator('[data-testid="teacher-row"][data-teacher="T005"]');
    await row.getByRole('button', { name: 'Pause line' }).click();
    await expect(row).toContainText('Paused');
    await row.getByRole('button', { name: 'Resume' }).click();
    await expect(row).not.toContainText('Paused');

    // The charts are drawn.
    await expect(coordinator.getByTestId('chart-waits').locator('canvas')).toHaveCount(1);
    await expect(coordinator.getByTestId('chart-lines').locator('canvas')).toHaveCount(1);
    await coordinator.getByTestId('charts').screenshot({ path: shot('coordinator-charts') });
    // The long page has a row of links that stays in reach: the sign-in sheet at the bottom is one tap away.
    const jump = coordinator.getByRole('navigation', { name: 'On this page' });
    await expect(jump.getByRole('link')).toHaveCount(9);
    await jump.getByRole('link', { name: 'Sign-ins' }).click();
    await expect(coordinator.getByRole('heading', { name: 'Sign-ins' })).toBeInViewport();
    await expect(jump).toBeInViewport();
    await coordinator.screenshot({ path: shot('coordinator-jump-to-sign-ins') });
    await jump.getByRole('link', { name: 'Alerts' }).click();
    await expect(coordinator.getByTestId('alerts')).toBeInViewport();
    await expect(coordinator.getByTestId('sign-in-qr').first()).toBeVisible();
    expect(violations).toEqual([]);
    teacher.close();
  } finally {
    await own.close();
  }
});

test('an announcement reaches a Spanish-speaking family in Spanish, and everyone\'s board', async ({ browser, server }) => {
  const [spanish] = await checkIn(server, 'F0004');
  const [english] = await checkIn(server, 'F0001');
  const coordinator = await signIn(browser, server, 'coordinator', 'C1', { width: 1280, height: 900 });
  const family = await openStatus(browser, spanish.statusUrl);
  const other = await openStatus(browser, english.statusUrl);
  const board = await signIn(browser, server, 'board', 'B1', { width: 1280, height: 720 });

  const form = coordinator.getByTestId('announce');
  await form.getByLabel('Families who speak').check();
  await form.getByTestId('announce-language').selectOption('es');
  await form.getByLabel('Your own text').check();
  await form.getByTestId('announce-text').first().fill('Dinner is served in the cafeteria until 7.');
  await form.getByRole('button', { name: 'Add a language' }).click();
  await form.getByRole('combobox', { name: /Text in/ }).nth(1).selectOption('es');
  await form.getByTestId('announce-text').nth(1).fill('La cena se sirve en la cafetería hasta las 7.');
  await form.getByRole('button', { name: 'Send announcement' }).click();
  await expect(form.getByRole('status')).toHaveText('Sent.');

  await expect(family.getByTestId('announcement')).toHaveText('La cena se sirve en la cafetería hasta las 7.');
  await family.screenshot({ path: shot('status-announcement-es') });
  // Not for the English-speaking family, nor the board.
  await expect(other.getByTestId('announcement')).toHaveCount(0);

  // A template to everyone: on the board and on both phones.
  await form.getByLabel('Everyone').check();
  await form.getByLabel('Template (shown in each family\'s language)').check();
  await form.getByRole('combobox', { name: 'Template (shown in each family\'s language)' }).selectOption('performance');
  await form.getByRole('button', { name: 'Send announcement' }).click();
  await expect(board.getByTestId('announcements')).toContainText('The student performance starts in the gym in 5 minutes.');
  await expect(other.getByTestId('announcement')).toHaveText('The student performance starts in the gym in 5 minutes.');
  await expect(family.getByTestId('announcement')).toHaveCount(2);
  await expect(coordinator.getByTestId('announcements-sent')).toContainText('es: La cena se sirve');
  await form.screenshot({ path: shot('coordinator-announce') });
  await board.screenshot({ path: shot('board-announcement') });
});

test('the report after the night: figures, a CSV of every visit, printable, and the purge of personal data', async ({ browser, server }) => {
  await checkIn(server, 'F0001', 'F0027');
  const teacher = await actAs(server, 'teacher', 'T001');
  expect(await teacher.send({ type: 'callFamily', teacherId: 'T001', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
  expect(await teacher.send({ type: 'startConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
  expect(await teacher.send({ type: 'saveCommitments', visitId: 'F0001:T001', commitments: [{ who: 'family', text: 'read twenty minutes every night' }] })).toMatchObject({ ok: true });
  expect(await teacher.send({ type: 'endConference', visitId: 'F0001:T001' })).toMatchObject({ ok: true });
  teacher.close();

  const page = await signIn(browser, server, 'coordinator', 'C1', { width: 1280, height: 900 });
  await page.getByRole('link', { name: 'Open the report' }).click();
  await expect(page).toHaveURL(/\/coordinator\/report$/);
  await expect(page.getByTestId('report-attended')).toHaveText('2');
  await expect(page.getByTestId('report-held')).toHaveText('1');
  // How far the estimates the families were given at check-in were from the real start.
  await expect(page.getByTestId('report-estimate-error')).toHaveText(/^\d+ min/);
  await expect(page.getByText('read twenty minutes every night')).toBeVisible();
  await page.screenshot({ path: shot('coordinator-report'), fullPage: true });

  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const csv = await (await download).createReadStream();
  let text = '';
  for await (const chunk of csv) text += chunk;
  expect(text.split('\r\n')[0]).toBe('visit_id,family_id,ticket,teacher_id,status,booked_at,queued_at,called_at,started_at,ended_at,wait_minutes,conference_minutes,interpreter_id,no_shows,moved_to_front_at');
  expect(text).toContain('F0001:T001,F0001,');

  // The purge waits for the night to close, takes a confirmation, and leaves the figures.
  await expect(page.getByTestId('purge')).toContainText('Close the night first.');
  await page.goto(`${server.url}/coordinator`);
  await page.getByRole('button', { name: 'Close the night' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('night-phase')).toHaveText('Closed');
  await page.goto(`${server.url}/coordinator/report`);
  await page.getByRole('button', { name: 'Delete personal data' }).click();
  await page.getByRole('button', { name: 'Yes, delete it for good' }).click();
  await expect(page.getByTestId('purged')).toBeVisible();
  await expect(page.getByText('read twenty minutes every night')).toHaveCount(0);
  await expect(page.getByTestId('report-held')).toHaveText('1');
  expect(JSON.stringify(server.host.committed)).not.toContain('Hamza Tran');

  await page.emulateMedia({ media: 'print' });
  await expect(page.getByTestId('export-csv')).toBeHidden();
  await page.screenshot({ path: shot('coordinator-report-print'), fullPage: true });
});
