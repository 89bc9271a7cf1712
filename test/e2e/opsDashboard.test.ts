import type { Browser, Page } from 'playwright-core';
import { formatInstant, nextDay } from '../../shared/views/time';
import { auditTrail, changeGroupMember, changeRole, createPolicy, type Api } from '../support/api';
import { browserAvailable, cspViolations, keepScreenshot, startBrowserFixture } from '../support/browser';
import { newDevice } from '../support/intune';

const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const BOB = 'b0b00000-0000-4000-8000-000000000002';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const run = browserAvailable() ? describe : describe.skip;

run('the operations dashboard in headless Chromium', () => {
  let fixture: Awaited<ReturnType<typeof startBrowserFixture>>;
  let api: Api;
  let browser: Browser;
  beforeAll(async () => {
    // Directory answers are not cached, so a role taken away shows on the next page load; pages
    // show New York time until a viewer chooses a zone.
    fixture = await startBrowserFixture({ MAA_GROUP_CACHE_SECONDS: '0', MAA_DEFAULT_TIME_ZONE: 'America/New_York' });
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
    // A submitted and a decided bar at least, each naming its hour and count.
    expect(await page.locator('svg[role="img"] rect').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('svg[role="img"] rect title').allTextContents()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ submitted: [1-9]\d*$/),
        expect.stringMatching(/ decided: [1-9]\d*$/),
      ]),
    );
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
  /** Submits a wipe of a new device as `user`; its id and the device's. */
  async function submitWipe(user: string, name: string): Promise<{ id: string; device: string }> {
    const device = await newDevice(api.runtime.url, name);
    const response = await api.call(user, 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
      justification: `Lost (${name})`,
    });
    expect(response.status).toBe(202);
    return { id: response.body.id as string, device };
  }

  const signIn = (page: Page, path: string) =>
    page.goto(`${api.runtime.url}/_local/signin?user=olga&returnTo=${encodeURIComponent(path)}`);
  const rowIds = (page: Page) =>
    page
      .locator('#requests tr[data-request-id]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-request-id')!));
  const attributes = (page: Page, name: string) =>
    page
      .locator('#requests tr[data-request-id]')
      .evaluateAll((rows, attribute) => rows.map((row) => row.getAttribute(attribute)), name);

  it('opens the filtered list from its tile, filters by status, pages through every request and links each to its page', async () => {
    const waiting = [
      await submitWipe('alice', 'list-1'),
      await submitWipe('alice', 'list-2'),
      await submitWipe('bob', 'list-3'),
    ];
    const rejected = await submitWipe('alice', 'list-4');
    expect(
      (await api.call('carol', 'POST', `requests/${rejected.id}/reject`, { notes: 'not this one' })).status,
    ).toBeLessThan(300);
    await api.until('alice', rejected.id, (r) => r.status === 'rejected');
    const all = (await api.call('olga', 'GET', 'requests?view=all&top=100')).body.items as {
      id: string;
      status: string;
    }[];

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = cspViolations(page);
    await signIn(page, '/api/ops/dashboard');
    const tile = page.locator('a.tile[data-status="needsApproval"]');
    const waitingCount = Number(await tile.locator('b').textContent());
    expect(waitingCount).toBe(all.filter((r) => r.status === 'needsApproval').length);
    expect(await tile.textContent()).toContain('Waiting for approval');

    // The tile opens the list filtered to what it counts.
    await tile.click();
    await page.getByRole('heading', { name: 'Requests' }).waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(
      '/api/ops/dashboard/requests?status=needsApproval',
    );
    expect(await page.locator('#f-status').inputValue()).toBe('needsApproval');
    const listed = await rowIds(page);
    expect(listed.length).toBe(waitingCount);
    expect(listed).toEqual(expect.arrayContaining(waiting.map((w) => w.id)));
    expect(listed).not.toContain(rejected.id);
    expect(new Set(await attributes(page, 'data-status'))).toEqual(new Set(['needsApproval']));
    // Each row links to the request's page, and to its orchestration.
    const row = page.locator(`tr[data-request-id="${waiting[0]!.id}"]`);
    expect(await row.locator('a.request-link').getAttribute('href')).toBe(`/api/portal/requests/${waiting[0]!.id}`);
    expect(await row.locator('a', { hasText: 'instance' }).getAttribute('href')).toBe(
      `/api/ops/dashboard/instances/${waiting[0]!.id}`,
    );

    // The form filters: rejected only.
    await page.locator('#f-status').selectOption('rejected');
    await page.locator('#filters button[type="submit"]').click();
    await page.locator('#list-summary').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('rejected');
    expect(await rowIds(page)).toContain(rejected.id);
    expect(new Set(await attributes(page, 'data-status'))).toEqual(new Set(['rejected']));

    // Every request, two a page: the pages hold each request once, newest first, as the API lists them.
    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests`);
    await page.locator('#f-top').fill('2');
    await page.locator('#filters button[type="submit"]').click();
    await page.locator('#list-summary').waitFor();
    expect(await page.locator('#first-page').count()).toBe(0);
    const seen: string[] = [];
    for (let pages = 1; ; pages++) {
      const ids = await rowIds(page);
      expect(ids.length).toBeLessThanOrEqual(2);
      seen.push(...ids);
      const next = page.locator('#next-page');
      if ((await next.count()) === 0) break;
      expect(pages).toBeLessThan(50);
      await next.click();
      await page.locator('#list-summary').waitFor();
      expect(await page.locator('#first-page').count()).toBe(1);
      expect(new URL(page.url()).searchParams.get('top')).toBe('2');
    }
    expect(seen).toEqual(all.map((r) => r.id));
    await page.locator('#first-page').click();
    expect(await rowIds(page)).toEqual(seen.slice(0, 2));

    // The stuck tile opens the stuck list (nothing is stuck here).
    await page.goto(`${api.runtime.url}/api/ops/dashboard`);
    await page.locator('a.tile[data-tile="stuck"]').click();
    await page.getByRole('heading', { name: 'Stuck requests' }).waitFor();
    expect(await page.locator('#stuck-summary').textContent()).toMatch(/^0 stuck among \d+ open requests? checked/);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('draws the chart with its scale and a legend naming the zone, and shows times in the zone the viewer chose', async () => {
    await submitWipe('alice', 'zone-1');
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = cspViolations(page);
    await signIn(page, '/api/ops/dashboard');
    await page.locator('#activity-chart').waitFor();

    // The default setting's zone until one is chosen; the y axis starts at 0 and rises in even steps.
    expect(await page.locator('#chart-zone').textContent()).toMatch(
      /^Hours in America\/New_York \(UTC\u22120[45]:00\)$/,
    );
    const ticks = (await page.locator('svg text.y-tick').allTextContents()).map(Number);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toBe(0);
    const step = ticks[1]! - ticks[0]!;
    expect(step).toBeGreaterThan(0);
    ticks.forEach((tick, index) => expect(tick).toBe(index * step));
    expect(await page.locator('#activity-chart figcaption').textContent()).toContain(`scale 0–${ticks.at(-1)}`);
    expect(await page.locator('svg text.x-tick').first().textContent()).toMatch(/^\d\d:00$/);

    // Chosen in the form: India's half-hour offset shows on every hour label, and in the legend.
    await page.locator('#tz').fill('Asia/Kolkata');
    await page.locator('#time-zone-form button').click();
    await page.locator('#chart-zone').waitFor();
    expect(new URL(page.url()).searchParams.get('tz')).toBe('Asia/Kolkata');
    expect(await page.locator('#chart-zone').textContent()).toBe('Hours in Asia/Kolkata (UTC+05:30)');
    const hours = await page.locator('svg text.x-tick').allTextContents();
    expect(hours.length).toBeGreaterThan(4);
    for (const hour of hours) expect(hour).toMatch(/^\d\d:30$/);
    const firstBar = page.locator('svg rect title').first();
    expect(await firstBar.textContent()).toMatch(/^\d\d:30–\d\d:30 (submitted|decided|completed): \d+$/);

    // Remembered: the list, opened without tz, shows times in the zone with UTC on hover.
    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests`);
    const created = page.locator('#requests tr[data-request-id] td[data-label="created"] time').first();
    const iso = (await created.getAttribute('datetime'))!;
    expect(await created.textContent()).toBe(formatInstant(iso, 'Asia/Kolkata'));
    expect(await created.textContent()).toMatch(/ GMT\+5:30$/);
    expect(await created.getAttribute('title')).toBe(formatInstant(iso, 'UTC'));
    expect(await page.locator('#tz').inputValue()).toBe('Asia/Kolkata');
    expect((await context.cookies()).find((cookie) => cookie.name === 'maa-tz')).toMatchObject({
      value: 'Asia%2FKolkata',
      path: '/api',
      sameSite: 'Lax',
    });
    expect(await page.locator('label[for="f-createdFrom"]').textContent()).toContain('Asia/Kolkata');

    // An unknown zone is refused, and changes nothing.
    const refused = await page.goto(`${api.runtime.url}/api/ops/dashboard?tz=Mars%2FOlympus`);
    expect(refused?.status()).toBe(400);
    expect(await refused?.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'query.tz', message: expect.stringContaining('IANA time zone') }],
    });
    await page.goto(`${api.runtime.url}/api/ops/dashboard`);
    expect(await page.locator('#chart-zone').textContent()).toBe('Hours in Asia/Kolkata (UTC+05:30)');

    await keepScreenshot(page, 'ops-dashboard-desktop');
    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests`);
    await keepScreenshot(page, 'ops-dashboard-list-desktop');
    expect(violations).toEqual([]);
    await context.close();
  });

  it('is readable on a phone: no sideways scrolling, the chart scale legible, the list stacked', async () => {
    await submitWipe('alice', 'phone-1');
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    const violations = cspViolations(page);
    await signIn(page, '/api/ops/dashboard?tz=Europe%2FBerlin');
    await page.locator('#activity-chart').waitFor();
    const fits = () => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
    expect(await fits()).toBe(true);
    // The scale's numbers and hour labels render at a legible size; every other hour label gives way.
    const tick = await page.locator('svg text.y-tick').first().boundingBox();
    expect(tick!.height).toBeGreaterThanOrEqual(12);
    expect(await page.locator('svg text.x-tick.minor').first().isVisible()).toBe(false);
    expect(await page.locator('svg text.x-tick:not(.minor)').first().isVisible()).toBe(true);
    expect(await page.locator('#chart-zone').textContent()).toMatch(/^Hours in Europe\/Berlin \(UTC\+0[12]:00\)$/);
    await keepScreenshot(page, 'ops-dashboard-phone');

    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests?status=needsApproval`);
    expect(await fits()).toBe(true);
    const cell = page.locator('#requests tr[data-request-id] td[data-label="status"]').first();
    // Stacked: each cell on its own line under the one before, labelled.
    const [a, b] = [
      await cell.boundingBox(),
      await page.locator('#requests tr[data-request-id] td[data-label="initiator"]').first().boundingBox(),
    ];
    expect(b!.y).toBeGreaterThan(a!.y);
    expect(Math.abs(b!.x - a!.x)).toBeLessThan(2);
    await keepScreenshot(page, 'ops-dashboard-list-phone');
    expect(violations).toEqual([]);
    await context.close();
  });

  it('refuses bad filters with field errors, and non-operators', async () => {
    const bad = await api.call(
      'olga',
      'GET',
      'ops/dashboard/requests?status=waiting&createdFrom=yesterday&top=0&sort=id',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      'query.createdFrom',
      'query.sort',
      'query.status',
      'query.top',
    ]);
    expect((await api.call('alice', 'GET', 'ops/dashboard/requests')).status).toBe(403);
    expect((await api.call('alice', 'GET', 'ops/dashboard/stuck')).status).toBe(403);
    // A page's token continues only the list it came from.
    const first = await fetch(`${api.runtime.url}/api/ops/dashboard/requests?top=1&status=needsApproval`, {
      headers: { authorization: `Bearer ${await api.token('olga')}` },
    });
    const token = /continuationToken=([^"&]+)/.exec(await first.text())?.[1];
    expect(token).toBeDefined();
    const other = await api.call(
      'olga',
      'GET',
      `ops/dashboard/requests?top=1&status=rejected&continuationToken=${token}`,
    );
    expect([other.status, other.body.code]).toEqual([400, 'invalid_continuation']);
  });

  it('filters by profile type, initiator, target and creation date', async () => {
    const fromAlice = await submitWipe('alice', 'filter-1');
    const fromBob = await submitWipe('bob', 'filter-2');
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, '/api/ops/dashboard/requests?tz=Asia%2FKolkata');
    await page.locator('#list-summary').waitFor();
    // A target no request has lists nothing.
    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests?target=00000000-0000-4000-8000-00000000dead`);
    expect(await rowIds(page)).toEqual([]);

    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests?top=100`);
    // The initiator's name filters the list to that initiator.
    await page.locator(`tr[data-request-id="${fromAlice.id}"] td[data-label="initiator"] a`).click();
    await page.locator('#list-summary').waitFor();
    expect(new URL(page.url()).searchParams.get('initiator')).toBe(ALICE);
    expect(await page.locator('#f-initiator').inputValue()).toBe(ALICE);
    expect(await rowIds(page)).toContain(fromAlice.id);
    expect(new Set(await attributes(page, 'data-initiator-id'))).toEqual(new Set([ALICE]));

    // Target, case-insensitively, with the form.
    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests`);
    await page.locator('#f-target').fill(fromBob.device.toUpperCase());
    await page.locator('#filters button[type="submit"]').click();
    await page.locator('#list-summary').waitFor();
    expect(await rowIds(page)).toEqual([fromBob.id]);
    expect(await attributes(page, 'data-initiator-id')).toEqual([BOB]);

    // Profile type.
    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests?profileType=deviceRetire&top=100`);
    expect(await rowIds(page)).not.toContain(fromAlice.id);
    expect(new Set(await attributes(page, 'data-profile-type'))).not.toContain('deviceWipe');
    await page.goto(`${api.runtime.url}/api/ops/dashboard/requests?profileType=deviceWipe&top=100`);
    expect(await rowIds(page)).toEqual(expect.arrayContaining([fromAlice.id, fromBob.id]));

    // Days in the viewer's zone: today holds both, from tomorrow or until yesterday holds neither.
    const today = formatInstant(new Date().toISOString(), 'Asia/Kolkata').slice(0, 10);
    const yesterday = formatInstant(new Date(Date.now() - 86_400_000).toISOString(), 'Asia/Kolkata').slice(0, 10);
    const list = async (query: string) => {
      await page.goto(`${api.runtime.url}/api/ops/dashboard/requests?top=100&${query}`);
      return rowIds(page);
    };
    expect(await list(`createdFrom=${yesterday}&createdTo=${today}`)).toEqual(
      expect.arrayContaining([fromAlice.id, fromBob.id]),
    );
    expect(await list(`createdFrom=${nextDay(today)}`)).toEqual([]);
    expect(await list(`createdTo=${yesterday}`)).not.toContain(fromAlice.id);
    expect(await page.locator('#f-createdTo').inputValue()).toBe(yesterday);
    await context.close();
  });
  it("counts a request whose orchestration was terminated behind the app's back on the Stuck tile, which opens the stuck list naming it", async () => {
    const { id } = await submitWipe('alice', 'stuck-1');
    for (let tries = 0; (await auditTrail(api, 'alice', id)).items.length === 0; tries++) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const terminated = await fetch(api.runtime.durable(`instances/${id}/terminate?reason=oops`), { method: 'POST' });
    expect(terminated.status).toBe(202);

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = cspViolations(page);
    await signIn(page, '/api/ops/dashboard');
    const tile = page.locator('a.tile[data-tile="stuck"]');
    for (let tries = 0; (await tile.locator('b').textContent()) === '0'; tries++) {
      expect(tries).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await page.reload();
    }
    expect(await tile.locator('b').textContent()).toBe('1');
    expect(await tile.getAttribute('class')).toContain('bad');
    await tile.click();
    await page.getByRole('heading', { name: 'Stuck requests' }).waitFor();
    const row = page.locator(`#stuck-table tr[data-request-id="${id}"]`);
    expect(await row.locator('td[data-label="orchestration"]').textContent()).toBe('Terminated');
    expect(await row.locator('td[data-label="why"]').textContent()).toMatch(/terminated/i);
    expect(await page.locator('#stuck-summary').textContent()).toMatch(/^1 stuck among \d+ open requests? checked/);
    await row.locator(`a[href="/api/ops/dashboard/instances/${id}"]`).click();
    await page.getByRole('heading', { name: `Instance ${id}` }).waitFor();
    expect(await page.locator('p.bad').textContent()).toContain('orchestration_terminated');

    // Closed properly by an operator, it leaves the list.
    expect((await api.call('olga', 'POST', `ops/instances/${id}/terminate`, { reason: 'killed' })).body.status).toBe(
      'cancelled',
    );
    await page.goto(`${api.runtime.url}/api/ops/dashboard/stuck`);
    expect(await page.locator(`#stuck-table tr[data-request-id="${id}"]`).count()).toBe(0);
    expect(violations).toEqual([]);
    await context.close();
  });
});
