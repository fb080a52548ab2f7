// Issue 4 end to end in Chromium: the teacher's live queue and the conference, the family's page
// seeing it, the lobby board. Families are checked in over the kiosk's socket (the kiosk page has its
// own test); everything asserted is what a person sees on a screen.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { startServer } from '../../server/app';
import { actAs, checkIn, expect, openStatus, shot, signIn, startClockedServer, test } from './fixtures';
import { demoNightWithoutBookings } from '../helpers/demo';

const minute = 60_000;
/** "18:05" → minutes since midnight, for comparing estimates on a page. */
const minutesOf = (hhmm: string) => { const [h, m] = hhmm.split(':').map(Number); return h * 60 + m; };
const fitsWithoutScrolling = (page: Page) => page.evaluate(() => ({
  height: document.documentElement.scrollHeight <= window.innerHeight,
  width: document.documentElement.scrollWidth <= window.innerWidth,
}));
const estimateOn = async (page: Page) => {
  const text = (await page.getByTestId('visit-status').first().textContent()) ?? '';
  const match = /about (\d\d:\d\d)/.exec(text);
  if (!match) throw new Error(`no estimate in "${text}"`);
  return match[1];
};

test('a family seeing two teachers: busy with the first in the second\'s queue, then called by the second; commitments reach the family', async ({ browser, server }) => {
  // Hamza White (F0007, Vietnamese) has Ava with Mr. Torres (T007, Room A107) and Amara with Mx. Taylor (T008, Room B101).
  const torres = await signIn(browser, server, 'teacher', 'T007');
  const taylor = await signIn(browser, server, 'teacher', 'T008', { width: 390, height: 844 });
  const [{ statusUrl, ticket }] = await checkIn(server, 'F0007');
  // Others wait too: Hana Diaz and Ayaan Hassan for Mr. Torres, Chloe Kim and Fatima Li for Mx. Taylor.
  await checkIn(server, 'F0046', 'F0085', 'F0086', 'F0115');
  const family = await openStatus(browser, statusUrl);

  // The family sits in both virtual lines. Hamza White reads Vietnamese: his page speaks it.
  await expect(family.getByTestId('visit')).toHaveCount(2);
  await expect(family.getByTestId('visit-status').nth(0)).toContainText(/^Số \d trong hàng · khoảng \d\d:\d\d$/);
  await expect(family.getByTestId('visit-status').nth(1)).toContainText(/^Số \d trong hàng · khoảng \d\d:\d\d$/);
  const inTorres = torres.getByTestId(`entry-${ticket}`);
  const inTaylor = taylor.getByTestId(`entry-${ticket}`);
  await expect(inTorres).toContainText('Hamza White');
  await expect(inTorres).toContainText('Ava · VI');
  await expect(inTorres).toContainText('Interpreter needed');
  await expect(inTaylor).toContainText('Amara · VI');
  await expect(inTaylor.getByTestId('whereabouts')).toHaveText('At the front desk');

  // Mr. Torres calls them: the family's page says where to go at once; Mx. Taylor sees them walking there.
  await inTorres.getByRole('button', { name: 'Call' }).click();
  await expect(torres.getByTestId('called')).toContainText('Hamza White');
  await expect(torres.getByTestId('called')).toContainText('Interpreter Ximena Hernandez is on the way');
  await expect(family.getByTestId('call-banner')).toHaveText('Hãy đến Room A107 ngay — Mr. Torres đã sẵn sàng');
  await expect(inTaylor.getByTestId('whereabouts')).toHaveText('Walking to Mr. Torres, Room A107');
  await expect(inTaylor.getByRole('button', { name: 'Call' })).toBeDisabled();

  // While with Mr. Torres they show as busy in Mx. Taylor's queue, with an end time.
  await torres.getByRole('button', { name: 'Start conference' }).click();
  await expect(torres.getByTestId('timer')).toHaveAttribute('data-cue', 'running');
  await expect(torres.getByTestId('guide')).toContainText('What is Ava excited about lately?');
  await expect(inTaylor.getByTestId('whereabouts')).toHaveText(/^With Mr\. Torres until about \d\d:\d\d$/);
  await expect(inTaylor.getByRole('button', { name: 'Call' })).toBeDisabled();
  await taylor.screenshot({ path: shot('teacher-phone') });

  // The conference closes with shared commitments; the private note is the teacher's alone.
  await torres.getByTestId('commitment-teacher').fill('send home the fractions games every Friday');
  await torres.getByTestId('commitment-family').fill('play one game together each weekend');
  await torres.getByTestId('note-F0007:T007').fill('Ava is anxious about fractions; check in with her in December.');
  await expect(torres.getByTestId('record')).toContainText('Not saved yet');
  await torres.screenshot({ path: shot('teacher-desktop'), fullPage: true });
  // Ending the conference saves what was typed.
  await torres.getByRole('button', { name: 'End conference' }).click();
  await expect(torres.getByTestId('conference')).toHaveCount(0);
  await expect(torres.getByTestId('finished')).toContainText('I will … send home the fractions games every Friday');
  await expect(torres.getByTestId('finished')).toContainText('We will … play one game together each weekend');
  await torres.getByTestId('finished').screenshot({ path: shot('teacher-finished') });

  // The family's page shows the commitments under Mr. Torres, never the note.
  const torresVisit = family.getByTestId('visit').filter({ hasText: 'Mr. Torres' });
  await expect(torresVisit.getByTestId('visit-status')).toHaveText('Xong');
  await expect(torresVisit.getByTestId('commitments')).toContainText('Điều chúng ta đã thống nhất');
  await expect(torresVisit.getByTestId('commitments')).toContainText('Mr. Torres sẽ send home the fractions games every Friday');
  await expect(torresVisit.getByTestId('commitments')).toContainText('Chúng tôi sẽ play one game together each weekend');
  await expect(family.locator('body')).not.toContainText('anxious');
  await family.screenshot({ path: shot('status-commitments') });

  // After the first conference ends, Mx. Taylor's call goes through.
  await expect(inTaylor.getByTestId('whereabouts')).toHaveText('Between conferences, near Room A107');
  await inTaylor.getByRole('button', { name: 'Call' }).click();
  await expect(taylor.getByTestId('called')).toContainText('Hamza White');
  await expect(family.getByTestId('call-banner')).toHaveText('Hãy đến Room B101 ngay — Mx. Taylor đã sẵn sàng');
  await expect(taylor.getByTestId('error')).toHaveCount(0);
  await taylor.getByRole('button', { name: 'Start conference' }).click();
  await expect(taylor.getByTestId('guide')).toContainText('What is Amara excited about lately?');
  await taylor.screenshot({ path: shot('teacher-phone-conference'), fullPage: true });

  // The teacher's export has the conference, its commitments and the teacher's own note.
  const [file] = await Promise.all([torres.waitForEvent('download'), torres.getByRole('button', { name: 'Download my conferences (CSV)' }).click()]);
  expect(file.suggestedFilename()).toMatch(/^conferences-mr-torres-\d{4}-\d\d-\d\d\.csv$/);
  const csv = await readFile((await file.path())!, 'utf8');
  expect(csv.split('\r\n')[0]).toBe('\uFEFFTicket,Family,Children,Language,Started,Ended,Minutes,I will,The family will,Private note');
  expect(csv).toContain(`${ticket},Hamza White,Ava,vi,`);
  expect(csv).toContain('send home the fractions games every Friday,play one game together each weekend,');
  expect(csv).toContain('Ava is anxious about fractions; check in with her in December.');
});

test('running late moves the family\'s estimate at once; a break stops calls until resumed', async ({ browser }) => {
  const night = await startClockedServer();
  try {
    const { server } = night;
    // Linh Taylor (F0006) and Yusuf Anderson (F0045) are both in T006's line; Linh Taylor is in conference.
    const teacher = await signIn(browser, server, 'teacher', 'T006');
    const [first, second] = await checkIn(server, 'F0006', 'F0045');
    await teacher.getByTestId(`entry-${first.ticket}`).getByRole('button', { name: 'Call' }).click();
    await teacher.getByRole('button', { name: 'Start conference' }).click();
    const family = await openStatus(browser, second.statusUrl);
    await expect(family.getByTestId('visit-status')).toContainText('Number 1 in line · about');
    const before = await estimateOn(family);

    await teacher.getByLabel('Late by').selectOption('15');
    await teacher.getByRole('button', { name: 'Running late' }).click();
    await expect(teacher.getByTestId('paused')).toContainText(/Running late — families now expect you free at about \d\d:\d\d/);
    await expect.poll(() => estimateOn(family)).not.toBe(before);
    const moved = (minutesOf(await estimateOn(family)) - minutesOf(before) + 1440) % 1440;
    expect(moved).toBeGreaterThanOrEqual(14);
    expect(moved).toBeLessThanOrEqual(16);
    await family.screenshot({ path: shot('status-running-late') });

    await teacher.getByRole('button', { name: 'Resume my line' }).click();
    await expect(teacher.getByTestId('paused')).toHaveCount(0);
    await expect.poll(() => estimateOn(family)).toBe(before);

    // A break: nobody can be called until the teacher resumes.
    await teacher.getByRole('button', { name: 'End conference' }).click();
    await teacher.getByLabel('Break').selectOption('open');
    await teacher.getByRole('button', { name: 'Take a break' }).click();
    await expect(teacher.getByTestId('paused')).toHaveText('On a break — nobody will be called until you resume.');
    await expect(teacher.getByRole('button', { name: 'Call next family' })).toBeDisabled();
    await expect(teacher.getByTestId(`entry-${second.ticket}`).getByRole('button', { name: 'Call' })).toBeDisabled();
    await teacher.getByRole('button', { name: 'Resume my line' }).click();
    await expect(teacher.getByRole('button', { name: 'Call next family' })).toBeEnabled();
  } finally {
    await night.close();
  }
});

test('the same teacher in two tabs pressing "Call next family" at once calls one family', async ({ browser, server }) => {
  // Valentina Wang (F0009) and Jonah Clark (F0033) wait for T010. Both tabs press the button before
  // either hears of the other's call: what the server sends them is held until both have pressed.
  const link = server.links.find((l) => l.actor.role === 'teacher' && l.actor.id === 'T010')!;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const held = { hold: false, release: [] as (() => void)[], calls: 0 };
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((m) => {
      if (typeof m === 'string' && m.includes('"callFamily"')) held.calls++;
      upstream.send(m);
    });
    upstream.onMessage((m) => { if (held.hold) held.release.push(() => ws.send(m)); else ws.send(m); });
  });
  const tab1 = await context.newPage();
  await tab1.goto(link.url);
  const tab2 = await context.newPage();
  await tab2.goto(`${server.url}/teacher`);
  await checkIn(server, 'F0009', 'F0033');
  for (const tab of [tab1, tab2]) {
    await expect(tab.getByTestId('line').getByRole('listitem')).toHaveCount(2);
    await expect(tab.getByRole('button', { name: 'Call next family' })).toBeEnabled();
  }

  held.hold = true;
  await tab1.getByRole('button', { name: 'Call next family' }).click();
  await tab2.getByRole('button', { name: 'Call next family' }).click();
  // Both commands are on their way to the server before either tab has heard anything back.
  await expect.poll(() => held.calls).toBe(2);
  await expect.poll(() => Object.values(server.host.committed.visits).filter((v) => v.teacherId === 'T010' && v.calledAt !== null).length).toBe(1);
  held.hold = false;
  for (const send of held.release.splice(0)) send();

  // Exactly one family was called, and both tabs show the same one.
  const called = Object.values(server.host.committed.visits).filter((v) => v.teacherId === 'T010' && v.status === 'called');
  expect(called).toHaveLength(1);
  const name = called[0].familyId === 'F0009' ? 'Valentina Wang' : 'Jonah Clark';
  await expect(tab1.getByTestId('called')).toContainText(name);
  await expect(tab2.getByTestId('called')).toContainText(name);
  // The tab whose press came second says clearly what happened.
  await expect(tab2.getByTestId('error')).toHaveText(`${name} has already been called from another screen.`);
  await expect(tab1.getByTestId('error')).toHaveCount(0);
  await expect(tab1.getByTestId('line').getByRole('listitem')).toHaveCount(1);
  await tab2.screenshot({ path: shot('teacher-two-tabs') });
  await context.close();
});

test('a called family who does not come: back of the line once, then out of it, and the coordinator is told', async ({ browser }) => {
  const night = await startClockedServer();
  try {
    const { server } = night;
    // The teacher's page runs on a clock the test moves with the server's.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const teacher = await context.newPage();
    await teacher.clock.install();
    await teacher.goto(server.links.find((l) => l.actor.role === 'teacher' && l.actor.id === 'T001')!.url);
    await teacher.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
    const coordinator = await signIn(browser, server, 'coordinator', 'C1');
    let ahead = 0;
    const moveOn = async (ms: number) => {
      ahead += ms;
      night.advance(ms);
      await teacher.clock.setSystemTime(Date.now() + ahead);
    };
    const [{ ticket }] = await checkIn(server, 'F0001');
    const entry = teacher.getByTestId(`entry-${ticket}`);

    // Called by mistake: put back, with their place kept and nothing held against them.
    await entry.getByRole('button', { name: 'Call' }).click();
    await expect(teacher.getByTestId('called')).toContainText('Hamza Tran');
    await teacher.getByRole('button', { name: 'Put back in line' }).click();
    await expect(entry).toContainText('Hamza Tran');
    await expect(entry).not.toContainText('Did not come when called once');
    await expect(teacher.getByTestId('called')).toHaveCount(0);

    // Called again and not arrived: the button waits five minutes.
    await entry.getByRole('button', { name: 'Call' }).click();
    await expect(teacher.getByTestId('called')).toContainText(/You can mark them as not arrived from \d\d:\d\d\./);
    await expect(teacher.getByRole('button', { name: 'Not arrived' })).toBeDisabled();
    await moveOn(5 * minute + 5_000);
    await teacher.getByRole('button', { name: 'Not arrived' }).click();
    await expect(entry).toContainText('Did not come when called once');
    await expect(coordinator.getByTestId('no-shows')).toContainText(`${ticket} Hamza Tran did not come to Mx. Pierre — back of the line`);

    // The second time they are taken out of the line, and the coordinator is told.
    await entry.getByRole('button', { name: 'Call' }).click();
    await expect(teacher.getByRole('button', { name: 'Not arrived' })).toBeDisabled();
    await moveOn(5 * minute + 5_000);
    await teacher.getByRole('button', { name: 'Not arrived' }).click();
    await expect(teacher.getByText('Nobody is waiting for you right now.')).toBeVisible();
    await expect(coordinator.getByTestId('no-shows')).toContainText(`${ticket} Hamza Tran did not come to Mx. Pierre a second time — taken out of the line`);
    await coordinator.screenshot({ path: shot('coordinator-no-shows') });
    await context.close();
  } finally {
    await night.close();
  }
});

test('the conference timer cues gently at the target length and more strongly five minutes past it', async ({ browser, server }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const teacher = await context.newPage();
  await teacher.clock.install();
  await teacher.goto(server.links.find((l) => l.actor.role === 'teacher' && l.actor.id === 'T004')!.url);
  const [{ ticket }] = await checkIn(server, 'F0043');
  await teacher.getByTestId(`entry-${ticket}`).getByRole('button', { name: 'Call' }).click();
  await teacher.getByRole('button', { name: 'Start conference' }).click();
  const timer = teacher.getByTestId('timer');
  await expect(timer).toHaveAttribute('data-cue', 'running');
  await expect(timer).toContainText('of 15 min');

  await teacher.clock.setSystemTime(Date.now() + 15 * minute + 2_000);
  await expect(timer).toHaveAttribute('data-cue', 'target');
  await expect(teacher.getByTestId('timer-cue')).toHaveText('Time to close — agree on next steps together.');
  await expect(timer.locator('.elapsed')).toHaveText(/^15:0\d$/);
  await teacher.screenshot({ path: shot('teacher-timer-target') });

  await teacher.clock.setSystemTime(Date.now() + 20 * minute + 2_000);
  await expect(timer).toHaveAttribute('data-cue', 'over');
  await expect(teacher.getByTestId('timer-cue')).toHaveText('5 minutes over — other families are waiting.');
  await teacher.screenshot({ path: shot('teacher-timer-over') });
  await context.close();
});

test('the lobby board: tickets only, newest on top, recently called, no scrollbars at 1920×1080 or 1280×720, offline said plainly', async ({ browser }) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cn-e2e-board-'));
  let server = await startServer({ dataDir, port: 0, initialEvents: demoNightWithoutBookings });
  const port = server.port;
  try {
    const tv = await signIn(browser, server, 'board', 'B1', { width: 1920, height: 1080 });
    const projector = await signIn(browser, server, 'board', 'B1', { width: 1280, height: 720 });
    await expect(tv.getByText('Nobody is being called right now.')).toBeVisible();

    // A busy moment: twelve teachers call a family each; four of those conferences have started.
    const families = ['F0001', 'F0002', 'F0003', 'F0005', 'F0006', 'F0008', 'F0009', 'F0010', 'F0011', 'F0012', 'F0013', 'F0014'];
    const checkedIn = await checkIn(server, ...families.map((familyId) => ({ familyId, wantsInterpreter: false })));
    const teacherOf = (familyId: string) => server.host.committed.checkIns[familyId].visitIds[0].split(':')[1];
    for (const [i, familyId] of families.entries()) {
      const teacher = await actAs(server, 'teacher', teacherOf(familyId));
      const visitId = `${familyId}:${teacherOf(familyId)}`;
      expect(await teacher.send({ type: 'callFamily', teacherId: teacherOf(familyId), visitId })).toMatchObject({ ok: true });
      if (i < 4) expect(await teacher.send({ type: 'startConference', visitId })).toMatchObject({ ok: true });
      teacher.close();
    }
    const newestTicket = checkedIn.at(-1)!.ticket;
    for (const page of [tv, projector]) {
      await expect(page.getByTestId('newest-call')).toContainText(newestTicket);
      await expect(page.getByTestId('recent').getByRole('listitem')).toHaveCount(4);
      await expect(page.getByTestId('typical-wait')).toContainText(/Typical wait: \d+ min/);
      const text = (await page.locator('main').textContent())!;
      for (const familyId of families) {
        const guardian = server.host.committed.setup!.families[familyId].guardianName;
        expect(text).not.toContain(guardian);
      }
      expect(await fitsWithoutScrolling(page)).toEqual({ height: true, width: true });
    }

    // A new call goes on top, highlighted, on the board and on the family's phone at the same moment.
    const [latecomer] = await checkIn(server, 'F0015');
    const family = await openStatus(browser, latecomer.statusUrl);
    const teacherId = teacherOf('F0015');
    const teacher = await actAs(server, 'teacher', teacherId);
    const teacherName = server.host.committed.setup!.teachers[teacherId].name;
    expect(await teacher.send({ type: 'callFamily', teacherId, visitId: `F0015:${teacherId}` })).toMatchObject({ ok: true });
    teacher.close();
    await expect(tv.getByTestId('newest-call')).toContainText(latecomer.ticket);
    await expect(tv.getByTestId('newest-call')).toContainText(`${teacherName} · `);
    await expect(family.getByTestId('call-banner')).toContainText(`now — ${teacherName} is ready`);
    await expect(projector.getByTestId('newest-call')).toContainText(latecomer.ticket);
    for (const page of [tv, projector]) expect(await fitsWithoutScrolling(page)).toEqual({ height: true, width: true });
    await tv.screenshot({ path: shot('board-1920'), animations: 'disabled' });
    await projector.screenshot({ path: shot('board-1280'), animations: 'disabled' });

    // The server goes away: the board says so, and comes back by itself.
    await server.close();
    await expect(tv.getByRole('alert')).toHaveText('This screen is offline and reconnecting — calls shown may be out of date.');
    await tv.screenshot({ path: shot('board-offline') });
    server = await startServer({ dataDir, port });
    await expect(tv.getByTestId('connection')).toHaveText('Live', { timeout: 15_000 });
    await expect(tv.getByRole('alert')).toHaveCount(0);
    await expect(tv.getByTestId('newest-call')).toContainText(latecomer.ticket);
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a free teacher with nobody proposed is told why while a family in their line is free, and can still call them', async ({ browser, server }) => {
  // Hana Brown (F0031) has Omar with T006 and Jonah with Mr. Torres (T007); both teachers are free.
  const pages = [await signIn(browser, server, 'teacher', 'T006'), await signIn(browser, server, 'teacher', 'T007')];
  const [{ ticket }] = await checkIn(server, 'F0031');
  // The engine proposes the family to one of them only.
  const proposed = async (page: Page) => page.getByTestId('proposal-reason').count();
  await expect.poll(async () => (await proposed(pages[0])) + (await proposed(pages[1]))).toBe(1);
  const [chosen, other] = (await proposed(pages[0])) ? pages : [pages[1], pages[0]];
  // The other's "Call next family" waits, and the page says why and that calling by hand works.
  await expect(other.getByRole('button', { name: 'Call next family' })).toBeDisabled();
  await expect(other.getByTestId('nobody-proposed')).toHaveText(/expected by another teacher first.*You can still call one yourself/);
  await expect(chosen.getByTestId('nobody-proposed')).toHaveCount(0);
  await other.screenshot({ path: shot('teacher-nobody-proposed') });
  await other.getByTestId(`entry-${ticket}`).getByRole('button', { name: 'Call' }).click();
  await expect(other.getByTestId('called')).toContainText('Hana Brown');
  await expect(other.getByTestId('nobody-proposed')).toHaveCount(0);
  // The engine adapts: the first teacher is no longer offered them, and nobody in their line is free.
  await expect(chosen.getByTestId('proposal-reason')).toHaveCount(0);
  await expect(chosen.getByTestId('nobody-proposed')).toHaveCount(0);
});
