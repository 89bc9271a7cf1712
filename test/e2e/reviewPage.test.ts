/**
 * The approver's path in a real browser, as a new user follows it: the approval mail in the local
 * mailbox, its link, sign-in, the review page, approving with notes, the confirmation, the request
 * approved, the initiator told to complete it; then the same link again (used) and a tampered one.
 */
import type { Browser } from 'playwright-core';
import type { Api } from '../support/api';
import { browserAvailable, cspViolations, keepScreenshot, startBrowserFixture } from '../support/browser';
import { newDevice } from '../support/intune';

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
    await page.getByRole('heading', { name: `Approve or reject: wipe managedDevice ${device}` }).waitFor();
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
});
