/**
 * The approver's path in a real browser, as a new user follows it: the approval mail in the local
 * mailbox, its link, sign-in, the review page, approving with notes, the confirmation, the request
 * approved, the initiator told to complete it; then the same link again (used) and a tampered one.
 */
import type { Browser, Page } from 'playwright-core';
import { approverGroup, createPolicy, type Api } from '../support/api';
import { browserAvailable, cspViolations, keepScreenshot, startBrowserFixture } from '../support/browser';
import { deviceActionBody, newDevice, SEEDED } from '../support/intune';
import type { ApprovalRequest, TargetSnapshot } from '../../shared/domain/model';
import { reviewPage } from '../../shared/links/views';
import { reviewContext } from '../../shared/useCases/review';
import { deviceSnapshot, InMemoryTargets } from '../support/fakePorts';

const run = browserAvailable() ? describe : describe.skip;

interface Mail {
  to: string;
  subject: string;
  text: string;
  links: string[];
}

run('the review page in headless Chromium', () => {
  let fixture: Awaited<ReturnType<typeof startBrowserFixture>>;
  let api: Api;
  let browser: Browser;
  beforeAll(async () => {
    fixture = await startBrowserFixture();
    ({ api, browser } = fixture);
  });
  afterAll(() => fixture?.dispose());

  /** The mails about request `id` once `predicate` holds for them. */
  async function mailsUntil(id: string, predicate: (mails: Mail[]) => boolean): Promise<Mail[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const response = await fetch(`${api.runtime.url}/_local/mailbox`, { headers: { accept: 'application/json' } });
      const mails = ((await response.json()) as { items: Mail[] }).items.filter((mail) => mail.text.includes(id));
      if (predicate(mails)) return mails;
      if (Date.now() > deadline)
        throw new Error(`no such mails about ${id}: ${JSON.stringify(mails.map((mail) => [mail.to, mail.subject]))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('opens the link from the mailbox, approves with notes, and the link is used afterwards', async () => {
    const device = await newDevice(api.runtime.url, 'e2e-laptop-7');
    const submitted = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: {
        action: 'wipe',
        resourceType: 'managedDevice',
        resourceId: device,
        payload: { keepEnrollmentData: false },
      },
      justification: 'Laptop reported stolen (INC-9001)',
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    await mailsUntil(id, (mails) => mails.some((mail) => mail.to === 'bob@maa.test'));

    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const violations = cspViolations(page);

    // The mailbox page: bob's mail about this request, and its link.
    await page.goto(`${api.runtime.url}/_local/mailbox`);
    const mail = page.locator('article').filter({ hasText: 'bob@maa.test' }).filter({ hasText: id });
    await expect(mail.count()).resolves.toBe(1);
    const link = mail.locator('a[href*="/api/approvals/"]');
    const linkUrl = (await link.getAttribute('href'))!;
    await link.click();

    // Nobody is signed in: the page offers sign-in and shows nothing of the request.
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    expect(await page.content()).not.toContain('INC-9001');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Bob', exact: true }).click();

    // The review page: exactly what is being approved.
    await page.getByRole('heading', { name: 'Approve or reject: wipe e2e-laptop-7 (dave@maa.test)' }).waitFor();
    const text = await page.locator('body').innerText();
    for (const expected of [
      'Laptop reported stolen (INC-9001)',
      'Alice',
      submitted.body.operationHash as string,
      'keepEnrollmentData',
      'deviceWipe',
    ]) {
      expect(text).toContain(expected);
    }
    await keepScreenshot(page, 'review-page');

    await page.getByLabel(/notes/i).fill('Confirmed with the service desk');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'You approved this request' }).waitFor();
    expect(await page.locator('[role="status"]').innerText()).toContain('approved');

    const approved = await api.call('alice', 'GET', `requests/${id}`);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.decisions).toMatchObject([
      {
        approver: { displayName: 'Bob' },
        decision: 'approve',
        notes: 'Confirmed with the service desk',
        source: 'link',
      },
    ]);
    const initiator = await mailsUntil(id, (mails) => mails.some((item) => item.to === 'alice@maa.test'));
    expect(initiator.find((item) => item.to === 'alice@maa.test')!.subject).toMatch(/^Approved — complete it now/);

    // The same link again: it has decided and cannot decide again.
    await page.goto(linkUrl);
    expect(await page.locator('body').innerText()).toMatch(/used/i);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // A tampered link (one character of its signature changed): an error page, nothing revealed.
    // (Not the last character: its low bits are padding, and a non-canonical spelling is refused as malformed.)
    const at = linkUrl.length - 10;
    const tampered = await page.goto(
      `${linkUrl.slice(0, at)}${linkUrl[at] === 'A' ? 'B' : 'A'}${linkUrl.slice(at + 1)}`,
    );
    expect(tampered?.status()).toBe(403);
    expect(tampered?.headers()['x-error-code']).toBe('link_invalid');
    expect(await page.content()).not.toContain('INC-9001');
    expect(violations).toEqual([]);
    await context.close();
  });

  const PHONE = { width: 390, height: 844 };
  const DESKTOP = { width: 1280, height: 900 };

  /** Bob's approval link for request `id`, from the local mailbox. */
  async function bobsLink(id: string): Promise<string> {
    const mails = await mailsUntil(id, (items) => items.some((mail) => mail.to === 'bob@maa.test'));
    const link = mails.find((mail) => mail.to === 'bob@maa.test')!.links.find((url) => url.includes('/api/approvals/'));
    if (!link) throw new Error(`bob's mail about ${id} carries no approval link`);
    return link;
  }

  /** Opens bob's link for `id` in a fresh browser of `viewport`, signed in as bob; resolves with the review page's text. */
  async function openAsBob(
    id: string,
    viewport: { width: number; height: number },
  ): Promise<{ page: Page; text: string; violations: string[]; close(): Promise<void> }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const violations = cspViolations(page);
    await page.goto(await bobsLink(id));
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Bob', exact: true }).click();
    await page.getByRole('heading', { name: /^Approve or reject/ }).waitFor();
    return { page, text: await page.locator('body').innerText(), violations, close: () => context.close() };
  }

  /** Alice submits `body` and the request's id comes back. */
  async function submit(body: Record<string, unknown>): Promise<{ id: string; operationHash: string }> {
    const submitted = await api.call('alice', 'POST', 'requests', body);
    expect(submitted.status).toBe(202);
    return { id: submitted.body.id as string, operationHash: submitted.body.operationHash as string };
  }

  it('shows a device wipe by the device name, owner and facts, checked live, with the exact call, on a phone and a desktop', async () => {
    const device = SEEDED.devices.aliceLaptop;
    const { id, operationHash } = await submit({
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
      justification: 'Laptop left in a taxi (INC-9100)',
    });
    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const review = await openAsBob(id, viewport);
      expect(await review.page.getByRole('heading', { level: 1 }).innerText()).toBe(
        'Approve or reject: wipe LT-ALICE-01 (alice@maa.test)',
      );
      for (const expected of [
        'Wipe a managed device (factory reset)',
        'LT-ALICE-01',
        'alice@maa.test',
        'Windows 10.0.22631.4602',
        'company-owned',
        'compliant',
        'Latitude 7440',
        '5CG3451QXZ',
        'Unchanged since submit',
        `POST /v1.0/deviceManagement/managedDevices/${device}/wipe`,
        operationHash,
      ])
        expect(review.text).toContain(expected);
      // Nothing is wider than the screen: a phone scrolls down, never sideways.
      expect(await review.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await keepScreenshot(review.page, `review-device-wipe-${name}`);
      expect(review.violations).toEqual([]);
      await review.close();
    }
  });

  it('shows a compliance policy update as a settings diff and an assignment change with group names, on a phone and a desktop', async () => {
    await createPolicy(api, {
      displayName: 'Compliance changes',
      profileType: 'compliancePolicy',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
    const baseline = 'c0a10000-0000-4000-8000-000000000001';
    const ios = 'c0a10000-0000-4000-8000-000000000002';
    const settings = await submit({
      profileType: 'compliancePolicy',
      operation: {
        action: 'update',
        resourceType: 'deviceCompliancePolicy',
        resourceId: baseline,
        payload: {
          policyType: 'windows10CompliancePolicy',
          settings: { passwordMinimumLength: 14, osMinimumVersion: '10.0.22631', passwordRequired: true },
        },
      },
      justification: 'Longer passwords and a newer build (CHG-311)',
    });
    const assignments = await submit({
      profileType: 'compliancePolicy',
      operation: {
        action: 'assign',
        resourceType: 'deviceCompliancePolicy',
        resourceId: ios,
        payload: {
          assignments: [
            { target: 'group', groupId: 'a9900000-0000-4000-8000-000000000102' },
            { target: 'group', groupId: 'a9900000-0000-4000-8000-000000000104' },
          ],
        },
      },
      justification: 'Sales devices instead of the kiosks (CHG-312)',
    });

    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const review = await openAsBob(settings.id, viewport);
      expect(await review.page.getByRole('heading', { level: 1 }).innerText()).toBe(
        'Approve or reject: update deviceCompliancePolicy Windows 10/11 baseline',
      );
      const row = (setting: string) => review.page.locator('table.diff tr').filter({ hasText: setting }).innerText();
      expect(await row('passwordMinimumLength')).toMatch(/12[\s\S]*14[\s\S]*changed/);
      expect(await row('osMinimumVersion')).toMatch(/10\.0\.19045[\s\S]*10\.0\.22631[\s\S]*changed/);
      expect(await row('passwordRequired')).toMatch(/unchanged/);
      for (const expected of [
        'Windows 10/11 baseline',
        'Version',
        'Sales devices',
        'Unchanged since submit',
        `PATCH /v1.0/deviceManagement/deviceCompliancePolicies/${baseline}`,
        '"passwordMinimumLength": 14',
      ])
        expect(review.text).toContain(expected);
      expect(await review.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await keepScreenshot(review.page, `review-policy-settings-${name}`);
      expect(review.violations).toEqual([]);
      await review.close();

      const assign = await openAsBob(assignments.id, viewport);
      const item = (change: string) =>
        assign.page.locator('ul.assignments li').filter({ hasText: change }).allInnerTexts();
      // Kiosks goes, Pilot users stays, and Sales devices (not assigned before: named through Graph now) comes.
      expect((await item('removed')).join('\n')).toContain('Kiosks');
      expect((await item('kept')).join('\n')).toContain('Pilot users');
      expect((await item('added')).join('\n')).toContain('Sales devices');
      expect(assign.text).toContain(`POST /v1.0/deviceManagement/deviceCompliancePolicies/${ios}/assign`);
      expect(await assign.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await keepScreenshot(assign.page, `review-policy-assignments-${name}`);
      expect(assign.violations).toEqual([]);
      await assign.close();
    }
  });

  it('says the device changed since submit when Intune no longer knows it as the page opens', async () => {
    const device = await newDevice(api.runtime.url, 'e2e-gone-1');
    const { id } = await submit(deviceActionBody('deviceWipe', device, 'Stolen (INC-9200)'));
    // Meanwhile another approved request deletes the device from Intune (another profile type, another lock).
    await createPolicy(api, {
      displayName: 'Deletes',
      profileType: 'deviceDelete',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
    const { id: deletion } = await submit(deviceActionBody('deviceDelete', device, 'Decommissioned (CHG-9201)'));
    expect((await api.call('bob', 'POST', `requests/${deletion}/approve`, { notes: 'ok' })).status).toBe(200);
    await api.until('alice', deletion, (r) => r.status === 'approved');
    expect((await api.call('alice', 'POST', `requests/${deletion}/complete`)).status).toBe(200);
    await api.until('alice', deletion, (r) => r.execution?.status === 'succeeded');

    const review = await openAsBob(id, DESKTOP);
    expect(review.text).toContain('Changed since submit: Intune no longer knows this object');
    // The snapshot is still shown: what was approved for, as of submit.
    expect(review.text).toContain('e2e-gone-1');
    await keepScreenshot(review.page, 'review-device-gone-since-submit-desktop');
    await review.close();
  });

  it('answers the same preview on GET /api/requests/{id}: the calls, secrets sealed', async () => {
    const device = SEEDED.devices.bobMac;
    const { id } = await submit({
      profileType: 'deviceWipe',
      operation: {
        action: 'wipe',
        resourceType: 'managedDevice',
        resourceId: device,
        payload: { keepUserData: false, macOsUnlockCode: '123456' },
      },
      justification: 'Mac handed back without its owner (INC-9101)',
    });
    const view = await api.call('bob', 'GET', `requests/${id}`);
    expect(view.body.target).toMatchObject({ displayName: 'MAC-BOB-01' });
    expect(view.body.preview).toEqual({
      summary: 'Wipe a managed device (factory reset)',
      calls: [
        {
          method: 'POST',
          path: `/v1.0/deviceManagement/managedDevices/${device}/wipe`,
          body: { keepUserData: false, macOsUnlockCode: '(sealed)' },
        },
      ],
      changes: { kind: 'deviceAction', settings: [], assignments: [], scripts: [] },
    });
  });

  // Bulk requests are submitted through another part of the API; the page renders them from the
  // request's contract (`operation.resourceIds`, `targets`, `policy.quorum`), shown here as a phone
  // and a desktop would, with the live check over an in-memory tenant where one device was renamed.
  it('lists every device of a 37-device retire in a table that fits a phone, with the quorum in words', async () => {
    const at = '2026-12-07T09:00:00.000Z';
    const ids = Array.from({ length: 37 }, (_, n) => `d3a1c0de-0000-4000-8000-${String(n + 100).padStart(12, '0')}`);
    const targets: TargetSnapshot[] = ids.map((id, n) => ({
      ...deviceSnapshot(id, at),
      displayName: `LT-SALES-${String(n + 1).padStart(2, '0')}`,
      device: { ...deviceSnapshot(id, at).device!, serialNumber: `5CG34${String(n + 1).padStart(5, '0')}` },
    }));
    const request: ApprovalRequest = {
      id: '0e0e0e0e-0000-4000-8000-000000000037',
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceIds: ids },
      operationHash: 'b'.repeat(64),
      justification: 'Sales floor laptops returned to the vendor (CHG-400)',
      initiator: { id: 'a11ce000-0000-4000-8000-000000000001', displayName: 'Alice' },
      policy: {
        id: 'p-1',
        version: 2,
        approverGroupIds: ['a9900000-0000-4000-8000-000000000101'],
        requiredApprovals: 2,
        quorum: {
          baseApprovals: 1,
          rule: { minDevices: 10, requiredApprovals: 2 },
          scope: { devices: 37, assignsToAll: false },
          text: 'needs 2 approvals because it affects 37 devices',
        },
        completion: 'onApproval',
        executeWithin: 'PT4H',
      },
      status: 'needsApproval',
      decisions: [],
      createdAt: at,
      expiresAt: '2027-01-06T09:00:00.000Z',
      lastModifiedAt: at,
      targets,
    };
    const tenant = new InMemoryTargets(() => new Date('2026-12-07T10:00:00.000Z'));
    for (const target of targets) tenant.add(target);
    tenant.add({ ...targets[2]!, displayName: 'LT-RENAMED-03', fingerprint: 'e'.repeat(64) });
    const context = await reviewContext({ targets: tenant, now: () => new Date('2026-12-07T10:00:00.000Z') }, request);
    const html = reviewPage(
      request,
      {
        requestId: request.id,
        approverId: 'b0b',
        operationHash: request.operationHash,
        linkId: 'l',
        issuedAt: 1_765_098_000,
        expiresAt: 1_765_702_800,
      },
      { action: '/api/approvals/t', csrf: 'c', actor: { id: 'b0b', displayName: 'Bob' } },
      context,
    );
    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const page = await browser.newPage({ viewport });
      await page.setContent(html);
      const text = await page.locator('body').innerText();
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Approve or reject: retire 37 devices');
      for (const expected of [
        'needs 2 approvals because it affects 37 devices',
        'Runs as soon as approved',
        'Read again now: 19 unchanged since submit, 1 changed, 17 not checked now',
        'LT-SALES-01',
        'LT-SALES-37',
        'alice@maa.test',
        `POST /v1.0/deviceManagement/managedDevices/${ids[0]}/retire`,
        'Show all 37 calls',
      ])
        expect(text).toContain(expected);
      await keepScreenshot(page, `review-bulk-retire-37-devices-${name}`);
      // The other 36 calls are one click away, no script needed.
      await page.getByText('Show all 37 calls').click();
      expect(await page.locator('pre.call').last().innerText()).toBe(
        `POST /v1.0/deviceManagement/managedDevices/${ids[36]}/retire`,
      );
      expect(await page.locator('table.devices tbody tr').count()).toBe(37);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await page.close();
    }
  });
});
