// The family's own status page on a phone, end to end: followed through two conferences in their
// language (waits per teacher, guide, interpreter, questions to think about, the commitments that stay
// after the night), "hold our place" and "we have to leave", and the same plain "not found" for any
// wrong token. Teachers and the ambassador act over their real sockets; axe-core checks each state.
import { actAs, checkIn, expect, openStatus, shot, startClockedServer, test } from './fixtures';
import { expectAccessible, expectTouchTargets } from './a11y';
import { translate } from '../../shared/i18n';

test('a Vietnamese family followed through two conferences: waits per teacher, guide and interpreter, then the commitments stay', async ({ browser }) => {
  const { server, close } = await startClockedServer();
  try {
    // Hamza White (F0007, Vietnamese) has Ava with Mr. Torres (T007, Room A107) and Amara with Mx. Taylor (T008, Room B101).
    const [{ statusUrl }] = await checkIn(server, { familyId: 'F0007', wantsEscort: true });
    const family = await openStatus(browser, statusUrl);
    await expect(family.locator('html')).toHaveAttribute('lang', 'vi');
    await expect(family.getByText('Xin chào, Hamza')).toBeVisible();
    await expect(family.getByTestId('visit')).toHaveCount(2);
    // Each teacher's line has its own wait, and the next one is named on top.
    for (const wait of await family.getByTestId('visit-wait').all()) await expect(wait).toHaveText(/^(khoảng \d+ phút nữa|rất sớm)$/);
    await expect(family.getByTestId('next')).toContainText(/Mr\. Torres|Mx\. Taylor/);
    await expect(family.getByTestId('visit-interpreter').first()).toHaveText('Sẽ có thông dịch viên.');
    await expect(family.getByTestId('prepare')).toContainText('Gần đây con hào hứng với điều gì ở trường?');
    await expect(family.getByTestId('prepare')).toContainText('Quý vị có một mục tiêu nào cho con trong năm nay?');
    await family.screenshot({ path: shot('status-1-waiting'), fullPage: true });
    await expectAccessible(family, 'status page, waiting');
    await expectTouchTargets(family);

    // Mr. Torres calls them: where to go, who guides them (once an ambassador accepts) and the interpreter.
    const torres = await actAs(server, 'teacher', 'T007');
    expect(await torres.send({ type: 'callFamily', teacherId: 'T007', visitId: 'F0007:T007' })).toMatchObject({ ok: true });
    await expect(family.getByTestId('call-banner')).toHaveText('Hãy đến Room A107 ngay — Mr. Torres đã sẵn sàng');
    await expect(family.getByTestId('escort')).toHaveText(translate('vi', 'status.guideFinding', { room: 'Room A107' }));
    const task = Object.values(server.host.committed.tasks).find((x) => x.visitId === 'F0007:T007')!;
    const ambassador = await actAs(server, 'staff', task.staffId!);
    expect(await ambassador.send({ type: 'acceptTask', taskId: task.id })).toMatchObject({ ok: true });
    const guideName = server.host.committed.setup!.staff[task.staffId!].name.split(' ')[0];
    await expect(family.getByTestId('escort')).toHaveText(translate('vi', 'status.guideComing', { name: guideName, room: 'Room A107' }));
    const interpreterId = server.host.committed.visits['F0007:T007'].interpreterId!;
    const interpreterName = server.host.committed.setup!.staff[interpreterId].name.split(' ')[0];
    await expect(family.getByTestId('call-banner-box')).toContainText(`Thông dịch viên: ${interpreterName}`);
    await family.screenshot({ path: shot('status-2-called'), fullPage: true });
    await expectAccessible(family, 'status page, called');

    // The first conference: in progress, then done with commitments; the other teacher still ahead.
    expect(await torres.send({ type: 'startConference', visitId: 'F0007:T007' })).toMatchObject({ ok: true });
    const torresVisit = family.getByTestId('visit').filter({ hasText: 'Mr. Torres' });
    await expect(torresVisit.getByTestId('visit-status')).toHaveText('Đang họp với Mr. Torres');
    expect(await torres.send({ type: 'saveCommitments', visitId: 'F0007:T007', commitments: [{ who: 'teacher', text: 'send home the fractions games' }, { who: 'family', text: 'play one game each weekend' }] })).toMatchObject({ ok: true });
    expect(await torres.send({ type: 'endConference', visitId: 'F0007:T007' })).toMatchObject({ ok: true });
    await expect(torresVisit.getByTestId('visit-status')).toHaveText('Xong');
    await expect(family.getByTestId('next')).toContainText('Mx. Taylor');
    await expect(family.getByTestId('prepare')).toBeVisible();

    // The second conference.
    const taylor = await actAs(server, 'teacher', 'T008');
    expect(await taylor.send({ type: 'callFamily', teacherId: 'T008', visitId: 'F0007:T008' })).toMatchObject({ ok: true });
    await expect(family.getByTestId('call-banner')).toHaveText('Hãy đến Room B101 ngay — Mx. Taylor đã sẵn sàng');
    expect(await taylor.send({ type: 'startConference', visitId: 'F0007:T008' })).toMatchObject({ ok: true });
    expect(await taylor.send({ type: 'endConference', visitId: 'F0007:T008' })).toMatchObject({ ok: true });

    // All done: thanks, no more waiting advice, and the commitments stay — also after the night is closed.
    await expect(family.getByTestId('evening-over')).toHaveText('Cảm ơn quý vị đã đến. Những điều đã thống nhất với từng giáo viên vẫn ở trên trang này.');
    await expect(family.getByTestId('prepare')).toHaveCount(0);
    const coordinator = await actAs(server, 'coordinator', 'C1');
    expect(await coordinator.send({ type: 'closeNight' })).toMatchObject({ ok: true });
    await family.reload();
    await expect(torresVisit.getByTestId('commitments')).toContainText('Mr. Torres sẽ send home the fractions games');
    await expect(torresVisit.getByTestId('commitments')).toContainText('Chúng tôi sẽ play one game each weekend');
    await family.screenshot({ path: shot('status-3-after-the-night'), fullPage: true });
    await expectAccessible(family, 'status page, after the night');
    for (const c of [torres, taylor, ambassador, coordinator]) c.close();
  } finally {
    await close();
  }
});

test('"hold our place" pauses calls for 15 minutes; "we have to leave" asks first, by keyboard, then cancels what is left', async ({ browser, server }) => {
  const [{ statusUrl }] = await checkIn(server, 'F0002');
  const family = await openStatus(browser, statusUrl);
  await family.getByRole('button', { name: "We're stepping out — hold our place" }).click();
  await expect(family.getByTestId('stepped-out')).toHaveText(/^Your place is held until \d\d:\d\d\.$/);
  expect(server.host.committed.checkIns.F0002.steppedOutUntil).not.toBeNull();
  // The teacher cannot call them meanwhile.
  const teacherId = server.host.committed.visits[server.host.committed.checkIns.F0002.visitIds[0]].teacherId;
  const teacher = await actAs(server, 'teacher', teacherId);
  expect(await teacher.send({ type: 'callFamily', teacherId })).toMatchObject({ ok: false, code: 'nobody_available' });
  await family.screenshot({ path: shot('status-stepped-out'), fullPage: true });
  await family.getByRole('button', { name: "We're back" }).click();
  await expect(family.getByTestId('stepped-out')).toHaveCount(0);

  // Leaving asks first; "No" changes nothing and gives the keyboard back.
  const leave = family.getByRole('button', { name: 'We have to leave' });
  await leave.focus();
  await family.keyboard.press('Enter');
  await expect(family.getByTestId('leave-confirm')).toContainText('Cancel the conferences you have not had yet?');
  await expect(family.getByRole('button', { name: 'Yes, cancel them' })).toBeFocused();
  await family.screenshot({ path: shot('status-leave-confirm'), fullPage: true });
  await expectAccessible(family, 'leave confirmation');
  await family.keyboard.press('Tab');
  await family.keyboard.press('Enter');
  await expect(leave).toBeFocused();
  expect(server.host.committed.checkIns.F0002.leftAt).toBeNull();

  await family.keyboard.press('Enter');
  await family.keyboard.press('Enter');
  await expect(family.getByTestId('evening-over')).toHaveText('You have left for tonight. Thank you for coming!');
  await expect(family.getByTestId('visit-status').first()).toHaveText('Cancelled');
  expect(server.host.committed.checkIns.F0002.leftAt).not.toBeNull();
  teacher.close();
});

test('every wrong token gets the same plain "not found", and nothing of any family', async ({ browser, server }) => {
  const texts: string[] = [];
  const real = server.credentials.statusTokenFor('F0001');
  for (const token of ['x', 'A'.repeat(32), real.slice(0, 31) + (real.endsWith('Z') ? 'Y' : 'Z')]) {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${server.url}/status/${token}`);
    await expect(page.getByRole('heading', { name: 'Not found.' })).toBeVisible();
    texts.push((await page.locator('main').textContent())!);
    if (texts.length === 1) await expectAccessible(page, 'not found');
  }
  expect(new Set(texts)).toEqual(new Set(['Not found.']));
});

test('a family\'s phone downloads the status page\'s code only, not the other roles\' pages', async ({ browser, server }) => {
  const scripts: string[] = [];
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  page.on('request', (request) => { if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname); });
  await page.goto(`${server.url}/status/${server.credentials.statusTokenFor('F0001')}`);
  await page.locator('[data-testid=connection].online').waitFor();
  expect(scripts.some((s) => /\/Status-[^/]+\.js$/.test(s))).toBe(true);
  expect(scripts.filter((s) => /\/(Coordinator|Teacher|Kiosk|Board|Report|Ambassador)-[^/]+\.js$/.test(s))).toEqual([]);
});

test('a page whose code cannot be fetched says so plainly, in the browser\'s language, with a way to reload', async ({ browser, server }) => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'es-MX' })).newPage();
  await page.route(/\/assets\/Status-[^/]+\.js$/, (route) => route.abort());
  await page.goto(`${server.url}/status/${server.credentials.statusTokenFor('F0001')}`);
  await expect(page.getByRole('alert')).toContainText(translate('es', 'app.loadFailed'));
  await page.unroute(/\/assets\/Status-[^/]+\.js$/);
  await page.getByRole('button', { name: translate('es', 'app.reload') }).click();
  await page.locator('[data-testid=connection].online').waitFor();
});
