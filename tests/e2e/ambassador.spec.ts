// An escort reaches the nearest free ambassador's phone when the family is called: accept, then done.
import { io } from 'socket.io-client';
import { expect, shot, signIn, test } from './fixtures';

test('a family who asked for a guide is called: the ambassador accepts the escort and marks it done', async ({ browser, server }) => {
  // Minh Cruz (F0005) needs an escort; their child is in Mx. Thomas's class (T005).
  const kiosk = io(server.url, { transports: ['websocket'], auth: { token: server.links.find((l) => l.actor.role === 'kiosk')!.secret } });
  const teacher = io(server.url, { transports: ['websocket'], auth: { token: server.links.find((l) => l.actor.role === 'teacher' && l.actor.id === 'T005')!.secret } });
  expect((await kiosk.emitWithAck('command', { type: 'checkIn', commandId: 'escort-e2e-check-in', familyId: 'F0005' })).ok).toBe(true);
  expect((await teacher.emitWithAck('command', { type: 'callFamily', commandId: 'escort-e2e-call', teacherId: 'T005' })).ok).toBe(true);
  kiosk.close();
  teacher.close();
  const task = Object.values(server.host.committed.tasks).find((x) => x.familyId === 'F0005')!;
  expect(task.status).toBe('offered');

  const phone = await signIn(browser, server, 'staff', task.staffId!, { width: 390, height: 844 });
  const offer = phone.getByTestId('tasks').locator('li').first();
  await expect(offer).toContainText('Escort the Minh family (EN, 2 people) from Front desk to Room A105 — Mx. Thomas');
  await expect(offer).not.toContainText('Cruz');
  await phone.screenshot({ path: shot('ambassador-offer') });
  await offer.getByRole('button', { name: 'Accept' }).click();
  await expect(offer.getByRole('button', { name: 'Done' })).toBeVisible();
  await offer.getByRole('button', { name: 'Done' }).click();
  await expect(phone.getByText('Nothing for you right now.')).toBeVisible();
});
