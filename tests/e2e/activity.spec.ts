// A family says on its phone where it is waiting; its teacher's line shows it at once.
import { io } from 'socket.io-client';
import { expect, shot, signIn, test } from './fixtures';

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
