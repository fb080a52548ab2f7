// A family says on its phone where it is waiting; its teacher's line shows it at once. Families tick
// the classroom tour's checklist (or their guide does), get a heads-up before being called from the
// band, and the coordinator sees the counts and pins interpreters to rooms.
import { io } from 'socket.io-client';
import { localToEpoch } from '../../shared/clock';
import { dispatch } from '../../shared/domain/routing';
import { actAs, checkIn, expect, openStatus, shot, signIn, startClockedServer, test } from './fixtures';

test('a family at the art show: their page says so and their teacher sees "At Student art show"', async ({ browser, server }) => {
  const teacher = await signIn(browser, server, 'teacher', 'T001');
  const kioskSecret = server.links.find((l) => l.actor.role === 'kiosk')!.secret;
  const kiosk = io(server.url, { transports: ['websocket'], auth: { token: kioskSecret } });
  const ack = await kiosk.emitWithAck('command', { type: 'checkIn', commandId: 'activity-e2e-check-in', familyId: 'F0001' });
  kiosk.close();
  expect(ack.ok || ack.code === 'already_checked_in').toBe(true);

  const family = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await family.goto(`${server.url}/status/${ack.result.statusToken}`);
  const artShow = family.getByTestId('activity').filter({ hasText: 'Student art show' });
  await artShow.getByRole('button', { name: 'We are here' }).click();
  await expect(artShow.getByRole('button', { name: 'We have left' })).toHaveAttribute('aria-pressed', 'true');
  await expect(teacher.getByTestId('line').filter({ hasText: 'Hamza Tran' }).getByTestId('whereabouts')).toHaveText('At Student art show');
  await family.screenshot({ path: shot('status-activities'), fullPage: true });

  await artShow.getByRole('button', { name: 'We have left' }).click();
  await expect(teacher.getByTestId('line').filter({ hasText: 'Hamza Tran' }).getByTestId('whereabouts')).toContainText('Gym'); // left the show: called from near the gym
});

test('a family ticks its classroom tour on its phone, an ambassador leading the tour ticks for it, and the coordinator counts it', async ({ browser, server }) => {
  const [{ statusUrl, ticket }] = await checkIn(server, 'F0001');
  const family = await openStatus(browser, statusUrl);
  const tour = family.getByTestId('activity').filter({ hasText: 'Classroom tour led by your child' });
  await tour.getByRole('checkbox', { name: 'My cubby' }).check();
  await expect(tour.getByTestId('checklist')).toContainText('1 of 4 seen');
  await expect(tour.getByRole('checkbox', { name: 'My cubby' })).toBeChecked();

  // Ella Cruz (A005) leads the tour: she types the ticket from the family's phone and ticks with them.
  const guide = await signIn(browser, server, 'staff', 'A005', { width: 390, height: 844 });
  await guide.getByLabel("Family's ticket (on their phone or slip)").fill(ticket.toLowerCase());
  await guide.getByRole('button', { name: 'Start tour' }).click();
  await expect(guide.getByTestId('tour')).toContainText(`Tour with the Hamza family · ${ticket}`);
  await expect(guide.getByRole('checkbox', { name: 'My cubby' })).toBeChecked();
  await guide.getByRole('checkbox', { name: 'Where I sit' }).check();
  await expect(tour.getByRole('checkbox', { name: 'Where I sit' })).toBeChecked();
  await expect(tour.getByTestId('checklist')).toContainText('2 of 4 seen');
  await expect(tour.getByRole('button', { name: 'We have left' })).toHaveAttribute('aria-pressed', 'true'); // on the tour: present
  await guide.screenshot({ path: shot('ambassador-tour') });
  await tour.scrollIntoViewIfNeeded();
  await family.screenshot({ path: shot('status-tour-checklist'), fullPage: true });

  // Unticking on the phone shows on the guide's too.
  await tour.getByRole('checkbox', { name: 'My cubby' }).uncheck();
  await expect(guide.getByRole('checkbox', { name: 'My cubby' })).not.toBeChecked();
  await guide.getByRole('button', { name: 'End tour' }).click();
  await expect(guide.getByRole('button', { name: 'Start tour' })).toBeVisible();

  const coordinator = await signIn(browser, server, 'coordinator', 'C1');
  const row = coordinator.getByTestId('activity-counts').getByRole('row').filter({ hasText: 'Classroom tour led by your child' });
  await expect(row.getByRole('cell')).toHaveText(['Classroom tour led by your child', '1', '0', '1']);
  await coordinator.getByTestId('activity-counts').screenshot({ path: shot('coordinator-activity-counts') });
});

test('a family at the band gets a five-minute heads-up before it is called away', async ({ browser }) => {
  // The band (ACT4) plays 18:30–18:50 on the night's date: the clock is moved to 18:35 there.
  const { server, advance, close } = await startClockedServer();
  try {
    const { date, timezone } = server.host.committed.setup!.event;
    advance(localToEpoch(date, '18:35', timezone) - Date.now());
    const [{ statusUrl }] = await checkIn(server, 'F0001');
    // The family's phone lives at the same moment as the server.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.clock.setSystemTime(localToEpoch(date, '18:35', timezone));
    const family = await context.newPage();
    await family.goto(statusUrl);
    const band = family.getByTestId('activity').filter({ hasText: '4th and 5th grade band' });
    await expect(band).toContainText('On now');
    await band.getByRole('button', { name: 'We are here' }).click();
    // Mx. Pierre is free, but the family is not called from the band without warning: the server's tick tells them first.
    await expect(family.getByTestId('heads-up')).toHaveText('Heads-up: Mx. Pierre (Room A101) will be ready for you in about 5 minutes. Please get ready to leave 4th and 5th grade band.', { timeout: 10_000 });
    expect(dispatch(server.host.committed, localToEpoch(date, '18:35', timezone) + 60_000).get('T001')).toBeUndefined();
    await family.evaluate(() => window.scrollTo(0, 0));
    await family.screenshot({ path: shot('status-heads-up') });
    advance(5 * 60_000);
    const teacher = await actAs(server, 'teacher', 'T001');
    expect(await teacher.send({ type: 'callFamily', teacherId: 'T001' })).toMatchObject({ ok: true });
    teacher.close();
    await expect(family.getByTestId('call-banner')).toHaveText('Go to Room A101 now — Mx. Pierre is ready');
    await expect(family.getByTestId('heads-up')).toHaveCount(0);
  } finally {
    await close();
  }
});

test('the coordinator pins an interpreter to a teacher\'s room, and the interpreter\'s phone says so', async ({ browser, server }) => {
  const coordinator = await signIn(browser, server, 'coordinator', 'C1');
  const interpreter = await signIn(browser, server, 'staff', 'X004', { width: 390, height: 844 });
  const row = coordinator.getByTestId('pin-row').filter({ hasText: 'Mia Martinez' });
  await row.getByLabel('Teacher for Mia Martinez').selectOption({ label: 'Mr. Jean-Baptiste · Room A104' });
  await row.getByLabel('How long for Mia Martinez').selectOption({ label: '90 min' });
  await row.getByRole('button', { name: 'Pin' }).click();
  await expect(row.getByTestId('pinned')).toContainText('Mr. Jean-Baptiste · Room A104 until');
  await expect(interpreter.getByTestId('pin')).toContainText('You are assigned to Mr. Jean-Baptiste in Room A104 until');
  await coordinator.getByTestId('interpreter-pins').screenshot({ path: shot('coordinator-interpreter-pins') });
  await interpreter.screenshot({ path: shot('interpreter-pinned') });

  // A Spanish family for Mr. Jean-Baptiste gets the pinned interpreter, though Lucia Jones (X001) would come first otherwise.
  await checkIn(server, 'F0004');
  const teacher = await actAs(server, 'teacher', 'T004');
  expect(await teacher.send({ type: 'callFamily', teacherId: 'T004' })).toMatchObject({ ok: true });
  teacher.close();
  await expect(interpreter.getByTestId('tasks')).toContainText('Interpret Spanish for the Sofia family in Room A104');

  await row.getByRole('button', { name: 'Unpin' }).click();
  await expect(interpreter.getByTestId('pin')).toHaveCount(0);
});
