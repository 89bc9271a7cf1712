import type { Browser } from 'playwright-core';
import { changeGroupMember, changeRole, createPolicy, type Api } from '../support/api';
import { browserAvailable, cspViolations, keepScreenshot, startBrowserFixture } from '../support/browser';
import { newDevice } from '../support/intune';

const run = browserAvailable() ? describe : describe.skip;

run('the operations dashboard in headless Chromium', () => {
  let fixture: Awaited<ReturnType<typeof startBrowserFixture>>;
  let api: Api;
  let browser: Browser;
  beforeAll(async () => {
    // Directory answers are not cached, so a role taken away shows on the next page load.
    fixture = await startBrowserFixture({ MAA_GROUP_CACHE_SECONDS: '0' });
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

  it('flags a policy unapprovable, in the Approver pools section, a banner and the summary JSON, once its only other approver loses MAA.Approver', async () => {
    // Wipes (the fixture's policy): maa-approvers, bob (Requester and Approver) and carol, one
    // approval: a wipe bob asks for leaves carol alone, so it is at risk. Retires: bob, carol and
    // dave (given MAA.Approver), one approval: ok.
    const retirePool = 'a9900000-0000-4000-8000-000000000102';
    for (const user of ['bob', 'carol', 'dave'])
      expect((await changeGroupMember(api.runtime, 'PUT', retirePool, user)).status).toBe(200);
    expect((await changeRole(api.runtime, 'PUT', 'dave', 'MAA.Approver')).status).toBe(200);
    const retires = await createPolicy(api, {
      displayName: 'Retires',
      profileType: 'deviceRetire',
      approverGroupIds: [retirePool],
    });
    const wipes = (await api.call('alice', 'GET', 'policies?top=100')).body.items.find(
      (policy: { profileType: string }) => policy.profileType === 'deviceWipe',
    );

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = cspViolations(page);
    await page.goto(`${api.runtime.url}/_local/signin?user=olga&returnTo=${encodeURIComponent('/api/ops/dashboard')}`);
    const section = page.getByRole('heading', { name: 'Approver pools' });
    await section.waitFor();
    const row = (policyId: string) => page.locator(`tr[data-policy-id="${policyId}"]`);
    const statusOf = (policyId: string) => row(policyId).getAttribute('data-pool-status');

    expect([await statusOf(wipes.id), await statusOf(retires.id)]).toEqual(['atRisk', 'ok']);
    expect(await row(wipes.id).locator('td').nth(2).textContent()).toBe('2 / 1');
    expect(await page.locator('#unapprovable-alert').count()).toBe(0);
    expect(await page.locator('#directory-unreadable').count()).toBe(0);

    // carol loses MAA.Approver: a wipe bob asks for could get 0 of the 1 approval it needs.
    expect((await changeRole(api.runtime, 'DELETE', 'carol', 'MAA.Approver')).status).toBe(200);
    await page.reload();
    expect([await statusOf(wipes.id), await statusOf(retires.id)]).toEqual(['unapprovable', 'atRisk']);
    const wipeRow = row(wipes.id);
    expect(await wipeRow.locator('td').nth(0).textContent()).toBe('Wipes');
    expect(await wipeRow.locator('td').nth(1).textContent()).toBe('deviceWipe');
    expect(await wipeRow.locator('td').nth(2).textContent()).toBe('1 / 1');
    expect(await wipeRow.locator('td.bad').textContent()).toBe('unapprovable');
    expect(await wipeRow.locator('li').allTextContents()).toEqual([
      'a request from Bob could get 0 of the 1 approvals it needs',
    ]);
    // Flagged prominently, above the request counts, and listed first.
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('1 policy cannot be approved: Wipes (deviceWipe).');
    expect(await alert.isVisible()).toBe(true);
    expect(await page.locator('tr[data-pool-status]').first().getAttribute('data-policy-id')).toBe(wipes.id);
    expect(await page.locator('[data-pool-count="unapprovable"] b').textContent()).toBe('1');
    await page.locator('#approver-pools').scrollIntoViewIfNeeded();
    await keepScreenshot(page, 'ops-dashboard-approver-pools');

    // The summary JSON counts it, so monitoring can alert on it.
    const overview = await api.call('olga', 'GET', 'ops/summary');
    expect(overview.status).toBe(200);
    expect(overview.body.approverPools).toMatchObject({
      counts: { unapprovable: 1, atRisk: 1, unknown: 0, ok: 0 },
      directoryReadable: true,
    });
    expect(overview.body.approverPools.policies[0]).toMatchObject({
      policyId: wipes.id,
      status: 'unapprovable',
      eligibleApprovers: 1,
      requiredApprovals: 1,
    });

    // Given back, the banner goes.
    expect((await changeRole(api.runtime, 'PUT', 'carol', 'MAA.Approver')).status).toBe(200);
    await page.reload();
    expect(await statusOf(wipes.id)).toBe('atRisk');
    expect(await page.locator('#unapprovable-alert').count()).toBe(0);
    expect(violations).toEqual([]);
    await context.close();
  });
});
