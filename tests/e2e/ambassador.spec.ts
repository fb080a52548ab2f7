// Staff phones: an escort reaches the nearest free ambassador when the family is called; an
// interpretation goes to the next interpreter after a minute without an answer (the clock injected);
// an interpreter's upcoming conferences move when a teacher runs late.
import { forecastInterpreters } from '../../shared/domain/routing';
import { es } from '../../shared/i18n/es';
import { actAs, checkIn, expect, openStatus, shot, signIn, startClockedServer, test } from './fixtures';

const phone = { width: 390, height: 844 };

test('a family who needs a guide checks in at the kiosk and is called: the nearest free ambassador accepts, the family sees who is coming, done', async ({ browser, server }) => {
  // Minh Cruz (F0005) needs an escort; their child is in Mx. Thomas's class (T005, Room A105).
  // Every ambassador starts at the front desk; Lucas Harris (A001) comes first, Diego Osman (A002) is also free.
  const lucas = await signIn(browser, server, 'staff', 'A001', phone);
  const diego = await signIn(browser, server, 'staff', 'A002', phone);
  await expect(lucas.getByRole('button', { name: 'Available' })).toHaveAttribute('aria-pressed', 'true');
  await lucas.screenshot({ path: shot('ambassador-waiting') });

  const kiosk = await signIn(browser, server, 'kiosk', 'K1', { width: 1024, height: 768 });
  await kiosk.getByRole('button', { name: 'English' }).click();
  await kiosk.getByLabel('Your last name, or the last 4 digits of your phone').fill('2623');
  await kiosk.getByRole('button', { name: 'Find me' }).click();
  await kiosk.getByRole('button', { name: 'Check in' }).click();
  const statusUrl = await kiosk.getByTestId('status-link').getAttribute('href');
  const family = await openStatus(browser, new URL(statusUrl!, server.url).toString());

  const teacher = await actAs(server, 'teacher', 'T005');
  expect(await teacher.send({ type: 'callFamily', teacherId: 'T005' })).toMatchObject({ ok: true });
  teacher.close();
  await expect(family.getByTestId('escort')).toHaveText(/We are finding a guide to walk you to Room A105/);

  const offer = lucas.getByTestId('tasks').locator('li').first();
  await expect(offer).toContainText('Escort the Minh family (EN, 2 people) from Front desk to Room A105 — Mx. Thomas');
  await expect(offer).not.toContainText('Cruz');
  await expect(offer.getByTestId('way')).toHaveText(/Wing A, floor 1 — from Front desk, cross to this wing/);
  await expect(diego.getByText('Nothing for you right now.')).toBeVisible();
  await lucas.screenshot({ path: shot('ambassador-offer') });

  await offer.getByRole('button', { name: 'Accept' }).click();
  await expect(family.getByTestId('escort')).toHaveText(/Lucas is coming to walk you to Room A105\./);
  await family.screenshot({ path: shot('status-guide-coming') });
  await offer.getByRole('button', { name: 'I am with the family' }).click();
  await expect(offer).toContainText('With the family — walk them to Room A105.');
  await expect(family.getByTestId('escort')).toHaveText(/Lucas is with you — follow them to Room A105\./);
  await lucas.screenshot({ path: shot('ambassador-with-family') });
  await offer.getByRole('button', { name: 'Done' }).click();
  await expect(lucas.getByText('Nothing for you right now.')).toBeVisible();
  await expect(family.getByTestId('escort')).toHaveCount(0);
  expect(Object.values(server.host.committed.tasks).find((x) => x.familyId === 'F0005')).toMatchObject({ status: 'done', staffId: 'A001' });

  // On a break: the next escort goes to someone else.
  await lucas.getByRole('button', { name: 'On a break' }).click();
  await expect(lucas.getByTestId('status-hint')).toHaveText('No assignments until you are available again.');
  expect(server.host.committed.staff.A001.status).toBe('break');
});

test('an interpretation nobody accepts within 60 s goes to the next interpreter of the language (the clock moved, not waited)', async ({ browser }) => {
  const { server, advance, close } = await startClockedServer();
  try {
    // Sofia Williams (F0004) speaks Spanish; Mr. Jean-Baptiste (T004, Room A104) does not. Lucia Jones (X001) is asked first.
    const lucia = await signIn(browser, server, 'staff', 'X001', phone);
    const sofia = await signIn(browser, server, 'staff', 'X002', phone);
    await checkIn(server, 'F0004');
    const teacher = await actAs(server, 'teacher', 'T004');
    expect(await teacher.send({ type: 'callFamily', teacherId: 'T004' })).toMatchObject({ ok: true });
    teacher.close();

    const offer = lucia.getByTestId('tasks').locator('li').first();
    await expect(offer).toContainText(/Interpret Spanish for the Sofia family in Room A104 at about \d\d:\d\d — Mr\. Jean-Baptiste/);
    await expect(offer).toContainText('Answer within a minute, or it goes to someone else.');
    await expect(sofia.getByText('Nothing for you right now.')).toBeVisible();
    await lucia.screenshot({ path: shot('interpreter-offer') });

    advance(60_000); // the server's own tick notices the lapsed offer
    const moved = sofia.getByTestId('tasks').locator('li').first();
    await expect(moved).toContainText('Interpret Spanish for the Sofia family in Room A104', { timeout: 10_000 });
    await expect(lucia.getByText('Nothing for you right now.')).toBeVisible();
    expect(server.host.committed.visits['F0004:T004'].interpreterId).toBe('X002');

    await moved.getByRole('button', { name: 'Accept' }).click();
    await moved.getByRole('button', { name: 'I am in the room' }).click();
    await expect(moved).toContainText('In the room — mark finished when the conference ends.');
    await expect(sofia.getByTestId('upcoming-entry').first()).toContainText('Room A104 · Mr. Jean-Baptiste');
    await sofia.screenshot({ path: shot('interpreter-in-room') });
    await moved.getByRole('button', { name: 'Finished' }).click();
    await expect(sofia.getByText('Nothing for you right now.')).toBeVisible();
  } finally {
    await close();
  }
});

test("an interpreter's upcoming conferences move when the teacher runs late", async ({ browser }) => {
  const { server, close } = await startClockedServer();
  try {
    // Maya Kim (F0019, Spanish) is in conference with Mr. Jean-Baptiste (T004); Sofia Williams (F0004, Spanish) is next.
    await checkIn(server, { familyId: 'F0019', teacherIds: ['T004'] });
    const teacher = await actAs(server, 'teacher', 'T004');
    expect(await teacher.send({ type: 'callFamily', teacherId: 'T004' })).toMatchObject({ ok: true });
    expect(await teacher.send({ type: 'startConference', visitId: 'F0019:T004' })).toMatchObject({ ok: true });
    await checkIn(server, 'F0004');
    // The engine's forecast says who will interpret Sofia's conference.
    const interpreterId = forecastInterpreters(server.host.committed, server.host.committed.clock).get('F0004:T004')!;
    const interpreter = await signIn(browser, server, 'staff', interpreterId, phone);

    const next = interpreter.getByTestId('upcoming-entry').filter({ hasText: 'Sofia family' });
    await expect(next).toContainText(/expected/);
    const before = /(\d\d):(\d\d) · Room A104 · Mr\. Jean-Baptiste/.exec((await next.textContent())!)!;
    await interpreter.screenshot({ path: shot('interpreter-upcoming') });

    expect(await teacher.send({ type: 'runningLate', teacherId: 'T004', minutes: 10 })).toMatchObject({ ok: true });
    teacher.close();
    const minutes = (h: string, m: string) => Number(h) * 60 + Number(m);
    const later = minutes(before[1], before[2]) + 10;
    const expected = `${String(Math.floor(later / 60) % 24).padStart(2, '0')}:${String(later % 60).padStart(2, '0')} · Room A104`;
    await expect(next).toContainText(expected);
    await interpreter.screenshot({ path: shot('interpreter-upcoming-late') });
  } finally {
    await close();
  }
});

test('a staff phone whose browser reads Spanish shows a refusal in Spanish; a program still gets the English message with its key', async ({ browser, server }) => {
  const link = server.links.find((l) => l.actor.role === 'staff' && l.actor.id === 'A005')!;
  const context = await browser.newContext({ viewport: phone, locale: 'es-ES' });
  const guide = await context.newPage();
  await guide.goto(link.url);
  await expect(guide.locator('html')).toHaveAttribute('lang', 'es');
  await guide.getByTestId('connection').filter({ hasText: es['connection.online'] }).waitFor();

  // Ella Cruz types a ticket no family here holds: decide refuses with refusal.noTicket.
  await guide.getByLabel(es['staff.tourTicket']).fill('z-99');
  await guide.getByRole('button', { name: es['staff.tourStart'] }).click();
  const refusal = guide.locator('p.error[role="alert"]');
  await expect(refusal).toHaveText('No hay aquí ninguna familia con el número Z-99.');
  await guide.screenshot({ path: shot('ambassador-refusal-es') });
  await context.close();

  const program = await actAs(server, 'staff', 'A005');
  try {
    expect(await program.send({ type: 'leadTour', staffId: 'A005', ticket: 'z-99' })).toEqual({
      ok: false, code: 'not_found', message: 'No family with ticket Z-99 is here.', key: 'refusal.noTicket', params: { ticket: 'Z-99' },
    });
  } finally { program.close(); }
});
