// The coordinator's sheet of sign-ins: revoke a teacher's link, their open page is signed out, the
// old link is dead, the reissued one works, and the audit log records it.
import { expect, shot, signIn, startClockedServer, test } from './fixtures';

test('the coordinator revokes and reissues a teacher sign-in; the audit log shows it', async ({ browser }) => {
  // A server of this test's own: revoking a sign-in must not touch the links other test files use.
  const own = await startClockedServer();
  try {
    const { server } = own;
    const oldLink = server.links.find((l) => l.actor.role === 'teacher' && l.actor.id === 'T001')!;
    const coordinator = await signIn(browser, server, 'coordinator', 'C1', { width: 1280, height: 900 });
    const teacher = await signIn(browser, server, 'teacher', 'T001');
    await expect(teacher.getByTestId('connection')).toHaveText('Live');

    // Every device and person is on the sheet, the teacher with their short code and link.
    const rows = coordinator.getByTestId('sign-in-row');
    await expect(rows).toHaveCount(server.links.length);
    const row = coordinator.locator('[data-testid="sign-in-row"][data-key="teacher:T001"]');
    await expect(row).toContainText('Mx. Pierre');
    await expect(row).toContainText('Teacher');
    await expect(row).toContainText(oldLink.code!);
    await expect(row.getByTestId('sign-in-link')).toHaveText(`${new URL(coordinator.url()).origin}/signin/${oldLink.secret}`);
    // The coordinator row has no revoke button (nobody can lock the coordinator out).
    await expect(coordinator.locator('[data-key="coordinator:C1"]').getByRole('button', { name: 'Revoke and reissue' })).toHaveCount(0);

    // Revoking takes a confirmation; cancelling changes nothing.
    await row.getByRole('button', { name: 'Revoke and reissue' }).click();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await expect(row.getByRole('button', { name: 'Confirm revoke' })).toHaveCount(0);
    await row.getByRole('button', { name: 'Revoke and reissue' }).click();
    await expect(row).toContainText('stop working at once');
    await row.scrollIntoViewIfNeeded();
    await coordinator.screenshot({ path: shot('coordinator-signins-confirm') });
    await row.getByRole('button', { name: 'Confirm revoke' }).click();

    // The teacher's open page is dropped and its reconnection refused.
    await expect(teacher.getByTestId('connection')).toHaveText('Not signed in — open your sign-in link');

    // The coordinator sees the new link, in the notice and in the table; the old one is dead.
    const newLink = (await coordinator.getByTestId('reissued-link').textContent())!;
    expect(newLink).toMatch(/\/signin\/[A-Za-z0-9_-]{20,}$/);
    expect(newLink).not.toContain(oldLink.secret);
    await expect(coordinator.getByTestId('reissued')).toContainText('Mx. Pierre');
    await expect(row.getByTestId('sign-in-link')).toHaveText(newLink);
    expect((await fetch(oldLink.url, { redirect: 'manual' })).status).toBe(404);

    // The audit log shows the revocation, newest first.
    const firstEntry = coordinator.getByTestId('audit-entry').first();
    await expect(firstEntry).toContainText('Sign-in revoked');
    await expect(firstEntry).toContainText('Coordinator');
    await expect(firstEntry).toContainText('teacher:T001');
    await expect(firstEntry).toContainText('Mx. Pierre');
    await expect(firstEntry).toContainText(/\d{1,2}:\d{2}/);
    await coordinator.getByRole('button', { name: 'Refresh' }).click();
    await expect(coordinator.getByTestId('audit-entry').first()).toContainText('Sign-in revoked');

    // Secrets stay in the page's memory: not in the address bar, not in browser storage.
    expect(coordinator.url()).toMatch(/\/coordinator$/);
    const stored = await coordinator.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).toBe('{}{}');

    await coordinator.screenshot({ path: shot('coordinator-signins'), fullPage: true });
    await coordinator.getByTestId('sign-ins').scrollIntoViewIfNeeded();
    await coordinator.screenshot({ path: shot('coordinator-signins-table') });
    await coordinator.getByTestId('audit-log').scrollIntoViewIfNeeded();
    await coordinator.screenshot({ path: shot('coordinator-signins-audit') });

    // The reissued link signs the teacher in again.
    await teacher.goto(newLink);
    await expect(teacher).toHaveURL(/\/teacher$/);
    await expect(teacher.getByTestId('connection')).toHaveText('Live');

    // Printed, the page is the sheet of links: no overview, no buttons, no audit log.
    await coordinator.emulateMedia({ media: 'print' });
    await expect(coordinator.getByTestId('audit-log')).toBeHidden();
    await expect(row.getByRole('button', { name: 'Revoke and reissue' })).toBeHidden();
    await expect(row.getByTestId('sign-in-link')).toBeVisible();
    await coordinator.evaluate(() => window.scrollTo(0, 0));
    await coordinator.screenshot({ path: shot('coordinator-signins-print') });
  } finally {
    await own.close();
  }
});
