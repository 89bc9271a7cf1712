import type { Browser } from 'playwright-core';
import type { Api } from '../support/api';
import { browserAvailable, cspViolations, keepScreenshot, startBrowserFixture } from '../support/browser';
import { newDevice } from '../support/intune';

const run = browserAvailable() ? describe : describe.skip;

run('the operations dashboard in headless Chromium', () => {
  let fixture: Awaited<ReturnType<typeof startBrowserFixture>>;
  let api: Api;
  let browser: Browser;
  beforeAll(async () => {
    fixture = await startBrowserFixture();
    ({ api, browser } = fixture);
  });
  afterAll(() => fixture?.dispose());

  it('shows counts that follow a request from submit to approve, and links to the instance page', async () => {
    const anonymous = await fetch(`${api.runtime.url}/api/ops/dashboard`);
    expect(anonymous.status).toBe(401);

    // A client-sent principal header is stripped, as App Service Authentication does.
    const forged = Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        claims: [
          { typ: 'oid', val: 'x' },
          { typ: 'tid', val: 'y' },
          { typ: 'roles', val: 'MAA.Operator' },
        ],
      }),
    ).toString('base64');
    expect(
      (await fetch(`${api.runtime.url}/api/ops/dashboard`, { headers: { 'x-ms-client-principal': forged } })).status,
    ).toBe(401);

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = cspViolations(page);
    const count = async (status: string) => Number(await page.locator(`[data-status="${status}"] b`).textContent());

    // Signing in locally (the stand-in for App Service Authentication) lands on the dashboard.
    const first = await page.goto(
      `${api.runtime.url}/_local/signin?user=olga&returnTo=${encodeURIComponent('/api/ops/dashboard')}`,
    );
    expect(first?.status()).toBe(200);
    expect(first?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(first?.headers()['cache-control']).toBe('no-store');
    await page.getByRole('heading', { name: 'Approvals — operations' }).waitFor();
    const needsApprovalBefore = await count('needsApproval');
    const approvedBefore = await count('approved');

    const id = (
      await api.call('alice', 'POST', 'requests', {
        profileType: 'deviceWipe',
        operation: {
          action: 'wipe',
          resourceType: 'managedDevice',
          resourceId: await newDevice(api.runtime.url, 'e2e-1'),
        },
        justification: 'Stolen',
      })
    ).body.id as string;
    await page.reload();
    expect(await count('needsApproval')).toBe(needsApprovalBefore + 1);

    await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'ok' });
    await api.until('alice', id, (r) => r.status === 'approved');
    await page.reload();
    expect([await count('needsApproval'), await count('approved')]).toEqual([needsApprovalBefore, approvedBefore + 1]);
    expect(await page.locator('svg[role="img"] rect').count()).toBeGreaterThan(3);
    await keepScreenshot(page, 'ops-dashboard');

    // The oldest open request is the one just approved: follow its link to the instance page.
    await page.locator(`a[href="/api/ops/dashboard/instances/${id}"]`).first().click();
    await page.getByRole('heading', { name: `Instance ${id}` }).waitFor();
    expect(await page.locator('#request-status').textContent()).toBe('approved');
    expect(await page.getByText('Consistent.').count()).toBe(1);
    expect(violations).toEqual([]);
    await context.close();
  });
});
