/**
 * The portal in a real browser, as a new user follows it: alice submits a wipe from the portal
 * (finding the device by name, previewing the dry run), bob approves it from Received requests,
 * alice completes it from My requests, and the request's page shows every step of the trail with a
 * valid chain and a CSV download that parses. Then the lists' filters and paging, the forms'
 * protections, and screenshots of every page on a phone and a desktop.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createPolicy, approverGroup, WIPE_LIFECYCLE_TRAIL, type Api } from '../support/api';
import { browserAvailable, cspViolations, keepScreenshot, startBrowserFixture } from '../support/browser';
import { newDevice } from '../support/intune';
import { AUDIT_CSV_COLUMNS } from '../../shared/views/auditExport';

const run = browserAvailable() ? describe : describe.skip;

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const IDS = {
  alice: 'a11ce000-0000-4000-8000-000000000001',
  bob: 'b0b00000-0000-4000-8000-000000000002',
};

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  if (field !== '' || row.length > 0) throw new Error('the CSV does not end with CRLF');
  return rows;
}

run('the portal in headless Chromium', () => {
  let fixture: Awaited<ReturnType<typeof startBrowserFixture>>;
  let api: Api;
  let browser: Browser;
  beforeAll(async () => {
    fixture = await startBrowserFixture();
    ({ api, browser } = fixture);
  });
  afterAll(() => fixture?.dispose());

  const portal = (path = '') => `${api.runtime.url}/api/portal${path}`;

  /** A fresh browser of `viewport` signed in as `user` (display name) through the sign-in the portal redirects to, on `path`. */
  async function signedIn(
    user: 'Alice' | 'Bob' | 'Carol' | 'Olga' | 'Dave',
    path: string,
    viewport = DESKTOP,
  ): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const violations = cspViolations(page);
    await page.goto(portal(path));
    // Not signed in: the local stand-in for App Service Authentication's sign-in, then back here.
    await page.getByRole('link', { name: user, exact: true }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/api/portal'));
    return { context, page, violations };
  }

  /** The ids of the requests a list page shows, in order. */
  async function requestIds(page: Page): Promise<string[]> {
    const ids: string[] = [];
    for (const link of await page.locator('table.requests td[data-label="Request"] a').all()) {
      const href = (await link.getAttribute('href'))!;
      ids.push(decodeURIComponent(href.split('/').pop()!));
    }
    return ids;
  }

  /** Reloads `page` until `selector`'s text matches `pattern` (the orchestration applies commands asynchronously). */
  async function reloadUntil(page: Page, selector: string, pattern: RegExp): Promise<string> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const locator = page.locator(selector);
      const text = (await locator.count()) > 0 ? await locator.first().innerText() : '';
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`${selector} never matched ${pattern}; last: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await page.reload();
    }
  }

  it('sends someone not signed in to sign in and back', async () => {
    const response = await fetch(portal('/requests?view=received'), { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(
      `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent('/api/portal/requests?view=received')}`,
    );
    const { context, page } = await signedIn('Bob', '/requests?view=received');
    expect(new URL(page.url()).search).toBe('?view=received');
    await page.getByRole('heading', { name: 'Received requests' }).waitFor();
    await context.close();
  });

  it('runs the whole wipe lifecycle in the browser: alice submits, bob approves, alice completes, the trail verifies', async () => {
    const device = await newDevice(api.runtime.url, 'portal-laptop-1');

    // Alice: home, then New request; she finds the device by the start of its name.
    const alice = await signedIn('Alice', '', DESKTOP);
    await alice.page.getByRole('heading', { name: 'Multi Admin Approval' }).waitFor();
    await alice.page.getByRole('link', { name: 'New request' }).first().click();
    await alice.page.getByLabel('Find a managed device by name or id').fill('portal-lap');
    await alice.page.getByRole('button', { name: 'Search' }).click();
    const matches = await alice.page.locator('#matches').innerText();
    expect(matches).toContain('portal-laptop-1');
    expect(matches).toContain(device);
    await alice.page.getByRole('link', { name: 'Use portal-laptop-1' }).click();
    expect(await alice.page.getByLabel(/^Target id/).inputValue()).toBe(device);

    // Bad input first: no justification, options that are not JSON; the form says which field.
    await alice.page.getByLabel('Operation', { exact: true }).selectOption('deviceWipe/managedDevice/wipe');
    await alice.page.getByLabel(/^Options/).fill('{keepEnrollmentData: yes}');
    await alice.page.getByRole('button', { name: 'Preview' }).click();
    expect(await alice.page.locator('#payload-error').innerText()).toBe('Not valid JSON.');
    expect(await alice.page.locator('#justification-error').innerText()).toBe('Say why this is needed.');
    // A device Intune does not know: the dry run says so on the form.
    await alice.page.getByLabel(/^Options/).fill('{"keepEnrollmentData": false}');
    await alice.page.getByLabel('Justification').fill('Laptop stolen from a car (INC-7001)');
    await alice.page.getByLabel(/^Target id/).fill('0badc0de-0000-4000-8000-000000000000');
    await alice.page.getByRole('button', { name: 'Preview' }).click();
    expect(await alice.page.getByRole('alert').first().innerText()).toContain('0badc0de-0000-4000-8000-000000000000');
    expect(await alice.page.getByLabel('Justification').inputValue()).toBe('Laptop stolen from a car (INC-7001)');
    await alice.page.getByLabel(/^Target id/).fill(device);
    await alice.page.getByRole('button', { name: 'Preview' }).click();

    // The dry run: who may approve and exactly what completion would send; nothing submitted yet.
    await alice.page.getByRole('heading', { name: 'Preview: nothing is submitted yet' }).waitFor();
    const preview = await alice.page.locator('main').innerText();
    expect(preview).toContain(`POST /v1.0/deviceManagement/managedDevices/${device}/wipe`);
    expect(preview).toContain('portal-laptop-1');
    expect(preview).toMatch(/Who can approve\s+Bob, Carol/);
    const wipes = async () =>
      ((await api.call('alice', 'GET', 'requests')).body.items as { id: string; profileType: string }[])
        .filter((item) => item.profileType === 'deviceWipe')
        .map((item) => item.id);
    expect(await wipes()).toEqual([]);
    await keepScreenshot(alice.page, 'portal-preview-desktop');

    // Submit, and the same form posted again (a double click): one request.
    const hidden: Record<string, string> = {};
    for (const input of await alice.page.locator('form[action="/api/portal/new"] input[type="hidden"]').all())
      hidden[(await input.getAttribute('name'))!] = (await input.getAttribute('value'))!;
    await alice.page.getByRole('button', { name: 'Submit' }).click();
    await alice.page.waitForURL(/\/api\/portal\/requests\/[^/?]+\?outcome=submitted&command=submit&seal=/);
    const id = decodeURIComponent(new URL(alice.page.url()).pathname.split('/').pop()!);
    expect(await alice.page.locator('#outcome').innerText()).toBe('Submitted. The request is now needs approval.');
    const again = await alice.context.request.post(portal('/new'), { form: hidden, maxRedirects: 0 });
    expect(again.status()).toBe(303);
    expect(again.headers().location).toBe(new URL(alice.page.url()).pathname + new URL(alice.page.url()).search);
    expect(await wipes()).toEqual([id]);
    expect(alice.violations).toEqual([]);

    // Alice's home lists it among her open requests.
    await alice.page.getByRole('link', { name: 'Home' }).click();
    expect(await alice.page.locator('#mine').innerText()).toContain('wipe portal-laptop-1');

    // Bob, on a phone: his home says it waits for him; Received requests lists it; he opens it and approves with notes.
    const bob = await signedIn('Bob', '', PHONE);
    expect(await bob.page.locator('#waiting').innerText()).toContain('wipe portal-laptop-1');
    await bob.page.getByRole('link', { name: 'Received requests', exact: true }).click();
    await bob.page.getByRole('link', { name: /wipe portal-laptop-1/ }).click();
    const review = await bob.page.locator('main').innerText();
    for (const expected of ['Laptop stolen from a car (INC-7001)', 'Alice', 'keepEnrollmentData', 'Chain verified'])
      expect(review).toContain(expected);
    // A reject without notes is refused on the page, notes kept empty, nothing decided.
    await bob.page.getByRole('button', { name: 'Reject' }).click();
    expect(await bob.page.getByRole('alert').first().innerText()).toMatch(/notes are required/i);
    await bob.page.getByLabel(/^Notes/).fill('Confirmed with the service desk');
    await bob.page.getByRole('button', { name: 'Approve' }).click();
    await bob.page.waitForURL(/outcome=/);
    expect(await bob.page.locator('#outcome').innerText()).toMatch(
      /^Your approval was (applied\. The request is now approved|sent)/,
    );
    await reloadUntil(bob.page, 'h1', /approved/);
    expect(await bob.page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(bob.violations).toEqual([]);

    // Alice: My requests, the request, Complete.
    await alice.page.goto(portal('/requests?view=mine'));
    await alice.page.getByRole('link', { name: /wipe portal-laptop-1/ }).click();
    await alice.page.getByRole('button', { name: 'Complete' }).click();
    await alice.page.waitForURL(/outcome=/);
    expect(await alice.page.locator('#outcome').innerText()).toMatch(/^Your completion was (applied|sent)/);
    await reloadUntil(alice.page, '#execution', /succeeded/);

    // The trail on the page: every step, in order, and a verified chain.
    const types = await alice.page.locator('table.trail tbody tr td:nth-child(3)').allInnerTexts();
    expect(types.slice(0, WIPE_LIFECYCLE_TRAIL.length)).toEqual([...WIPE_LIFECYCLE_TRAIL]);
    expect(await alice.page.locator('#chain').innerText()).toMatch(/^Chain verified/);
    expect(await alice.page.locator('#decisions').innerText()).toContain('Confirmed with the service desk');

    // The CSV download: the columns, one row per record of the trail, each with the chain verdict.
    const href = await alice.page.getByRole('link', { name: 'Download the trail (CSV)' }).getAttribute('href');
    expect(href).toBe(`/api/portal/requests/${id}/audit.csv`);
    const download = await alice.context.request.get(`${api.runtime.url}${href}`);
    expect(download.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect(download.headers()['content-disposition']).toMatch(/^attachment; filename="audit-/);
    const [header, ...rows] = parseCsv(await download.text());
    expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows.length).toBe(types.length);
    expect(rows.map((row) => row[3])).toEqual(types);
    expect(rows.every((row) => row[0] === id && row[9] === 'true')).toBe(true);

    const final = await api.call('alice', 'GET', `requests/${id}`);
    expect(final.body).toMatchObject({
      status: 'completed',
      execution: { status: 'succeeded' },
      decisions: [{ approver: { displayName: 'Bob' }, decision: 'approve', notes: 'Confirmed with the service desk' }],
    });
    expect(alice.violations).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  });

  it('approves and completes a policy change in the portal: bob under Received requests, alice under My requests', async () => {
    const proposed = await api.call('alice', 'POST', 'policies', {
      displayName: 'Deletes need a second admin',
      profileType: 'deviceDelete',
      approverGroupIds: [await approverGroup(api.runtime)],
      justification: 'Protect deletes (CHG-7100)',
    });
    expect(proposed.status).toBe(202);
    const id = proposed.body.id as string;

    const bob = await signedIn('Bob', '/requests?view=received');
    await bob.page.getByRole('link', { name: 'create the access policy for deviceDelete' }).click();
    expect(await bob.page.locator('main').innerText()).toContain('Deletes need a second admin');
    await bob.page.getByRole('button', { name: 'Approve' }).click();
    await bob.page.waitForURL(/outcome=/);
    await reloadUntil(bob.page, 'h1', /approved/);

    const alice = await signedIn('Alice', '/requests?view=mine');
    await alice.page.getByRole('link', { name: 'create the access policy for deviceDelete' }).click();
    await alice.page.getByRole('button', { name: 'Complete' }).click();
    await alice.page.waitForURL(/outcome=/);
    await reloadUntil(alice.page, '#execution', /succeeded/);
    expect((await api.call('alice', 'GET', `requests/${id}`)).body).toMatchObject({
      status: 'completed',
      decisions: [{ approver: { displayName: 'Bob' }, decision: 'approve' }],
    });
    const policies = (await api.call('alice', 'GET', 'policies')).body.items as { profileType: string }[];
    expect(policies.map((policy) => policy.profileType)).toContain('deviceDelete');
    await bob.context.close();
    await alice.context.close();
  });

  it('finds managed devices by the start of their name (quotes and all) or by id, and says when none match', async () => {
    const quoted = await newDevice(api.runtime.url, "O'Brien-Surface");
    const alice = await signedIn('Alice', `/new?q=${encodeURIComponent("o'brien")}`);
    const byName = await alice.page.locator('#matches').innerText();
    expect(byName).toContain("O'Brien-Surface");
    expect(byName).toContain(quoted);
    await alice.page.goto(portal(`/new?q=${quoted}`));
    expect(await alice.page.locator('#matches tbody tr').count()).toBe(1);
    expect(await alice.page.locator('#matches').innerText()).toContain("O'Brien-Surface");
    await alice.page.goto(portal('/new?q=no-such-device'));
    expect(await alice.page.locator('#matches').innerText()).toBe(
      'No managed device has a name that starts with that, or that id.',
    );
    await alice.context.close();
  });

  it('cancels from My requests, and shows a decision from a page gone stale as refused, with its reason', async () => {
    const device = await newDevice(api.runtime.url, 'portal-cancel-1');
    const submitted = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
      justification: 'Found again (INC-7006)',
    });
    const id = submitted.body.id as string;
    // Bob opens it while it is open: the page offers Approve.
    const bob = await signedIn('Bob', `/requests/${encodeURIComponent(id)}`);
    await bob.page.getByRole('button', { name: 'Approve' }).waitFor();

    const alice = await signedIn('Alice', '/requests?view=mine');
    await alice.page.getByRole('link', { name: /wipe portal-cancel-1/ }).click();
    expect(await alice.page.getByRole('button', { name: 'Complete' }).count()).toBe(0);
    await alice.page.getByRole('button', { name: 'Cancel request' }).click();
    await alice.page.waitForURL(/outcome=/);
    expect(await alice.page.locator('#outcome').innerText()).toMatch(
      /^Your cancellation was (applied\. The request is now cancelled|sent)/,
    );
    await reloadUntil(alice.page, 'h1', /cancelled/);
    expect(await alice.page.getByRole('button', { name: 'Cancel request' }).count()).toBe(0);

    // Bob's page still shows the form; his approval is refused, and the page says why.
    await bob.page.getByRole('button', { name: 'Approve' }).click();
    await bob.page.waitForURL(/outcome=refused/);
    const refused = await bob.page.locator('#outcome').innerText();
    expect(refused).toMatch(/^Your approval was refused: .+ \(invalid_state\)\.$/);
    expect((await api.call('alice', 'GET', `requests/${id}`)).body).toMatchObject({
      status: 'cancelled',
      decisions: [],
    });
    // An outcome link made elsewhere (or sealed for someone else) shows no outcome at all.
    const sealed = new URL(bob.page.url());
    for (const crafted of [
      `?outcome=applied&command=approve`,
      `?outcome=refused&command=approve&code=expired&seal=${sealed.searchParams.get('seal')}`,
    ]) {
      await bob.page.goto(portal(`/requests/${id}${crafted}`));
      expect(await bob.page.locator('#outcome').count()).toBe(0);
    }
    await alice.page.goto(`${api.runtime.url}${sealed.pathname}${sealed.search}`);
    expect(await alice.page.locator('#outcome').count()).toBe(0);
    await bob.page.goto(sealed.toString());
    expect(await bob.page.locator('#outcome').innerText()).toBe(refused);
    await alice.context.close();
    await bob.context.close();
  });

  it('submits a bulk wipe of three devices named in one field, each previewed and listed', async () => {
    const devices = [
      await newDevice(api.runtime.url, 'portal-bulk-1'),
      await newDevice(api.runtime.url, 'portal-bulk-2'),
      await newDevice(api.runtime.url, 'portal-bulk-3'),
    ];
    const alice = await signedIn('Alice', '/new', PHONE);
    await alice.page.getByLabel('Operation', { exact: true }).selectOption('deviceWipe/managedDevice/wipe');
    await alice.page.getByLabel(/^Target id/).fill(devices.join(', '));
    await alice.page.getByLabel('Justification').fill('Lost in transit (INC-7007)');
    await alice.page.getByRole('button', { name: 'Preview' }).click();
    await alice.page.getByRole('heading', { name: 'Preview: nothing is submitted yet' }).waitFor();
    expect(await alice.page.locator('pre.call').count()).toBe(3);
    await alice.page.getByRole('button', { name: 'Submit' }).click();
    await alice.page.waitForURL(/outcome=submitted/);
    expect(await alice.page.getByRole('heading', { level: 1 }).innerText()).toMatch(/^wipe 3 devices/);
    const table = await alice.page.locator('table.devices').innerText();
    for (const name of ['portal-bulk-1', 'portal-bulk-2', 'portal-bulk-3']) expect(table).toContain(name);
    expect(await alice.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await keepScreenshot(alice.page, 'portal-request-bulk-phone');
    await alice.context.close();
  });

  it('refuses a form post without its CSRF field, and from another origin, changing nothing', async () => {
    const device = await newDevice(api.runtime.url, 'portal-csrf-1');
    const submitted = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
      justification: 'CSRF check (INC-7002)',
    });
    const id = submitted.body.id as string;
    const bob = await signedIn('Bob', `/requests/${encodeURIComponent(id)}`);
    const csrf = await bob.page.locator('input[name="csrf"]').first().inputValue();
    const forged = await bob.context.request.post(portal(`/requests/${id}`), {
      form: { command: 'approve', notes: '' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(forged.headers()['x-error-code']).toBe('csrf_failed');
    const elsewhere = await bob.context.request.post(portal(`/requests/${id}`), {
      form: { command: 'approve', notes: '', csrf },
      headers: { origin: 'https://attacker.example' },
      maxRedirects: 0,
    });
    expect(elsewhere.status()).toBe(403);
    expect((await api.call('alice', 'GET', `requests/${id}`)).body).toMatchObject({
      status: 'needsApproval',
      decisions: [],
    });
    await bob.context.close();

    // Someone who may not see it learns nothing of it; All requests is for operators.
    const dave = await signedIn('Dave', `/requests/${encodeURIComponent(id)}`);
    const hidden = await dave.page.reload();
    expect(hidden?.status()).toBe(404);
    expect(hidden?.headers()['x-error-code']).toBe('not_found');
    expect(await dave.page.content()).not.toContain('CSRF check');
    const all = await dave.page.goto(portal('/requests?view=all'));
    expect(all?.status()).toBe(403);
    expect(all?.headers()['x-error-code']).toBe('forbidden');
    await dave.context.close();

    // The device search reads the tenant with the app's permission: only for those who may submit.
    const carol = await signedIn('Carol', `/new?q=${encodeURIComponent('portal-csrf')}`);
    const search = await carol.page.reload();
    expect(search?.status()).toBe(403);
    expect(search?.headers()['x-error-code']).toBe('forbidden');
    expect(await carol.page.content()).not.toContain(device);

    // The zone form goes back only to a portal page, judged once `..` segments are resolved.
    await carol.page.goto(portal('/new'));
    const zoneCsrf = await carol.page.locator('form[action$="/zone"] input[name="csrf"]').inputValue();
    for (const returnTo of ['/api/portal/../../..//evil.example/x', 'https://evil.example/api/portal']) {
      const back = await carol.context.request.post(portal('/zone'), {
        form: { csrf: zoneCsrf, tz: 'Europe/Berlin', returnTo },
        maxRedirects: 0,
      });
      expect([back.status(), back.headers()['location']]).toEqual([303, '/api/portal']);
    }
    await carol.context.close();
  });

  it('pages through a list with a Next link, and shows times in the chosen zone with UTC on hover', async () => {
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) {
      const device = await newDevice(api.runtime.url, `portal-page-${n}`);
      const submitted = await api.call('bob', 'POST', 'requests', {
        profileType: 'deviceWipe',
        operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
        justification: `Paging ${n}`,
      });
      expect(submitted.status).toBe(202);
      ids.push(submitted.body.id as string);
    }
    const bob = await signedIn('Bob', '/requests?view=mine&top=2', PHONE);
    const seen: string[] = [];
    for (let pages = 0; ; pages++) {
      const shown = await requestIds(bob.page);
      expect(shown.length).toBeLessThanOrEqual(2);
      seen.push(...shown);
      const next = bob.page.getByRole('link', { name: 'Next' });
      if ((await next.count()) === 0) break;
      expect(pages).toBeLessThan(10);
      await next.click();
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));

    // The zone setting: times in Europe/Berlin from now on, the UTC instant on hover.
    await bob.page.getByLabel('Time zone').selectOption('Europe/Berlin');
    await bob.page.getByRole('button', { name: 'Show times in this zone' }).click();
    await bob.page.waitForURL((url) => url.pathname === '/api/portal/requests');
    const time = bob.page.locator('table.requests time').first();
    expect(await time.innerText()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} (CET|CEST|GMT\+1|GMT\+2)$/);
    expect(await time.getAttribute('title')).toMatch(/ UTC$/);
    expect((await bob.context.cookies()).find((cookie) => cookie.name === 'maa-tz')?.value).toBe('Europe%2FBerlin');
    await bob.context.close();
  });

  // The filters are the store's: this passes once the stores filter by status, profile type,
  // initiator, target and creation date (the pages pass every filter to listRequests).
  it('filters all requests by initiator, target, profile type and status for an operator', async () => {
    await createPolicy(api, {
      displayName: 'Retires',
      profileType: 'deviceRetire',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
    const wiped = await newDevice(api.runtime.url, 'portal-filter-wipe');
    const retired = await newDevice(api.runtime.url, 'portal-filter-retire');
    const byAlice = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: wiped },
      justification: 'Filter by target (INC-7003)',
    });
    const byBob = await api.call('bob', 'POST', 'requests', {
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceId: retired },
      justification: 'Filter by profile type (INC-7004)',
    });
    await api.call('bob', 'POST', `requests/${byAlice.body.id}/reject`, { notes: 'Not this one' });
    await api.until('alice', byAlice.body.id, (request) => request.status === 'rejected');

    const olga = await signedIn('Olga', '/requests?view=all');
    const listed = () => requestIds(olga.page);
    const filter = async (fields: Record<string, string>) => {
      await olga.page.goto(portal('/requests?view=all'));
      for (const [label, value] of Object.entries(fields)) {
        const field = olga.page.getByLabel(label);
        if ((await field.evaluate((element) => element.tagName)) === 'SELECT') await field.selectOption(value);
        else await field.fill(value);
      }
      await olga.page.getByRole('button', { name: 'Filter' }).click();
      return listed();
    };
    expect(await filter({ 'Target (resource id)': wiped })).toEqual([byAlice.body.id]);
    expect(await filter({ 'Profile type': 'deviceRetire' })).toEqual([byBob.body.id]);
    const bobs = await filter({ 'Initiator (object id)': IDS.bob });
    expect(bobs).toContain(byBob.body.id);
    expect(bobs).not.toContain(byAlice.body.id);
    // A name in the list narrows it to that person's requests.
    await olga.page.goto(portal('/requests?view=all'));
    await olga.page.locator('td[data-label="Requested by"] a', { hasText: 'Bob' }).first().click();
    expect(new URL(olga.page.url()).searchParams.get('initiator')).toBe(IDS.bob);
    expect(await listed()).toEqual(bobs);
    const rejected = await filter({ Status: 'rejected', 'Initiator (object id)': IDS.alice });
    expect(rejected).toEqual([byAlice.body.id]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await filter({ 'Created from': '2000-01-01', 'Created to (inclusive)': '2000-01-02' })).toEqual([]);
    expect(await filter({ 'Created from': today, 'Target (resource id)': retired })).toEqual([byBob.body.id]);
    await olga.context.close();
  });

  it('keeps screenshots of every page on a phone and a desktop, none wider than the screen', async () => {
    const device = await newDevice(api.runtime.url, 'portal-shots-1');
    const submitted = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
      justification: 'Screenshots (INC-7005)',
    });
    const id = submitted.body.id as string;
    const pages: [string, 'Alice' | 'Bob' | 'Olga', string][] = [
      ['home', 'Bob', ''],
      ['mine', 'Alice', '/requests?view=mine'],
      ['received', 'Bob', '/requests?view=received'],
      ['all', 'Olga', '/requests?view=all'],
      ['request', 'Bob', `/requests/${encodeURIComponent(id)}`],
      ['new', 'Alice', '/new?q=portal&operation=deviceWipe%2FmanagedDevice%2Fwipe'],
    ];
    for (const [name, user, path] of pages)
      for (const [size, viewport] of [
        ['phone', PHONE],
        ['desktop', DESKTOP],
      ] as const) {
        const session = await signedIn(user, path, viewport);
        expect(await session.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
        await keepScreenshot(session.page, `portal-${name}-${size}`);
        expect(session.violations).toEqual([]);
        await session.context.close();
      }
    // The preview, on a phone too.
    const alice = await signedIn(
      'Alice',
      `/new?operation=deviceWipe%2FmanagedDevice%2Fwipe&resourceId=${device}`,
      PHONE,
    );
    await alice.page.getByLabel('Justification').fill('Screenshot of the preview');
    await alice.page.getByRole('button', { name: 'Preview' }).click();
    await alice.page.getByRole('heading', { name: 'Preview: nothing is submitted yet' }).waitFor();
    expect(await alice.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await keepScreenshot(alice.page, 'portal-preview-phone');
    await alice.context.close();
  });
});
