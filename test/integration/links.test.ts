/**
 * Approval links through the real runtime over HTTP: links are minted here with the runtime's own
 * link key (the notifier mints them the same way), opened with the local stand-in for App Service
 * Authentication (the sign-in cookie becomes `X-MS-CLIENT-PRINCIPAL*`), and used with real form
 * posts. What a link does is checked from outside: the request, its audit trail, the pages.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseLinkKey, signLinkToken, type LinkClaims, type LinkKey } from '../../shared/links/linkToken';
import {
  Api,
  advanceClock,
  approverGroup,
  auditTrail,
  changeGroupMember,
  createPolicy,
  trailUntil,
  type AuditItem,
} from '../support/api';
import { startRuntime } from '../support/runtime';
import { wipeBody } from '../support/builders';
import { newDevice, SEEDED } from '../support/intune';

jest.setTimeout(60_000);

const BOB = 'b0b00000-0000-4000-8000-000000000002';
const CAROL = 'ca401000-0000-4000-8000-000000000003';
const DAVE = 'dabe0000-0000-4000-8000-000000000004';

const MARKED_UP_JUSTIFICATION = 'Stolen laptop <b>INC-4711</b> & "urgent"';

/** A wipe whose justification carries markup, to see that the page escapes it. */
const wipe = (resourceId: string) =>
  wipeBody(resourceId, { payload: { keepEnrollmentData: false }, justification: MARKED_UP_JUSTIFICATION });

/** A device category update whose payload and justification carry markup, to see that the page escapes both. */
const categoryUpdate = (resourceId: string) => ({
  profileType: 'tenantConfiguration',
  operation: {
    action: 'update',
    resourceType: 'deviceCategory',
    resourceId,
    payload: { description: '<script>alert("x")</script>' },
  },
  justification: MARKED_UP_JUSTIFICATION,
});

interface Page {
  status: number;
  html: string;
  headers: Headers;
  code: string | null;
  /** The hidden CSRF field of the review form, when there is one. */
  csrf?: string;
  /** `name=value` of the CSRF cookie the page set, if any. */
  csrfCookie?: string;
}

describe('approval links (local runtime, manual clock, no membership cache)', () => {
  let api: Api;
  let key: LinkKey;
  let group: string;
  const signedIn = new Map<string, string>();

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_GROUP_CACHE_SECONDS: '0', MAA_LOCAL_CLOCK: 'manual' } }));
    key = parseLinkKey(readFileSync(path.join(api.runtime.dataDir, 'local-links', 'link-key'), 'utf8').trim());
    group = await approverGroup(api.runtime);
    await createPolicy(api, {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
    });
    await createPolicy(api, {
      displayName: 'Tenant settings need a second admin',
      profileType: 'tenantConfiguration',
      approverGroupIds: [group],
    });
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  /** Seconds since the epoch on the runtime's clock. */
  async function now(): Promise<number> {
    const body = (await (await fetch(`${api.runtime.url}/_local/clock`)).json()) as { now: string };
    return Math.floor(Date.parse(body.now) / 1000);
  }

  /** alice asks to wipe a device enrolled for this request alone, named `deviceName`. */
  async function submit(deviceName: string): Promise<{ id: string; operationHash: string }> {
    const submitted = await api.call('alice', 'POST', 'requests', wipe(await newDevice(api.runtime.url, deviceName)));
    expect(submitted.status).toBe(202);
    return submitted.body;
  }

  /** A link for `approverId` to `request`, as the notifier issues it (one hour, unless overridden). */
  async function mint(
    request: { id: string; operationHash: string },
    approverId = BOB,
    overrides: Partial<LinkClaims> = {},
    signingKey = key,
  ): Promise<string> {
    const issuedAt = await now();
    return signLinkToken(signingKey, {
      requestId: request.id,
      approverId,
      operationHash: request.operationHash,
      linkId: `lnk-${randomUUID()}`,
      issuedAt,
      expiresAt: issuedAt + 3600,
      ...overrides,
    });
  }

  /** The local sign-in cookie of `user` (`GET /_local/signin?user=`). */
  async function signIn(user: string): Promise<string> {
    let cookie = signedIn.get(user);
    if (!cookie) {
      const response = await fetch(`${api.runtime.url}/_local/signin?user=${user}&returnTo=/api/health`, {
        redirect: 'manual',
      });
      expect([response.status, response.headers.get('location')]).toEqual([303, '/api/health']);
      cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
      signedIn.set(user, cookie);
    }
    return cookie;
  }

  function pageOf(response: Response, html: string): Page {
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const csrfCookie = response.headers
      .getSetCookie()
      .find((cookie) => cookie.startsWith('maa_link_csrf='))
      ?.split(';')[0];
    return {
      status: response.status,
      html,
      headers: response.headers,
      code: response.headers.get('x-error-code'),
      ...(csrf ? { csrf } : {}),
      ...(csrfCookie ? { csrfCookie } : {}),
    };
  }

  /** `GET /api/approvals/{token}`, signed in as `user` (or not). */
  async function open(token: string, user?: string, headers: Record<string, string> = {}): Promise<Page> {
    const cookie = user ? await signIn(user) : undefined;
    const response = await fetch(`${api.runtime.url}/api/approvals/${token}`, {
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      redirect: 'manual',
    });
    return pageOf(response, await response.text());
  }

  /** A form post as the review page makes it; `form` fields and headers can be left out or replaced. */
  async function post(
    token: string,
    user: string | undefined,
    form: Record<string, string>,
    options: { cookies?: string[]; origin?: string | null } = {},
  ): Promise<Page> {
    const cookies = [...(user ? [await signIn(user)] : []), ...(options.cookies ?? [])];
    const origin = options.origin === undefined ? api.runtime.url : options.origin;
    const response = await fetch(`${api.runtime.url}/api/approvals/${token}`, {
      method: 'POST',
      headers: {
        ...(cookies.length ? { cookie: cookies.join('; ') } : {}),
        ...(origin === null ? {} : { origin }),
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams(form),
      redirect: 'manual',
    });
    return pageOf(response, await response.text());
  }

  /** Opens the link as `user` and posts `decision` from the page, as a browser would. */
  async function decide(token: string, user: string, decision: 'approve' | 'reject', notes = ''): Promise<Page> {
    const review = await open(token, user);
    expect([review.status, review.code]).toEqual([200, null]);
    return post(token, user, { decision, notes, csrf: review.csrf! }, { cookies: [review.csrfCookie!] });
  }

  /** Whether `page` shows none of a request's details. */
  function revealsNothing(page: Page): void {
    expect(page.html).not.toContain('INC-4711');
    expect(page.html).not.toContain('keepEnrollmentData');
    expect(page.csrf).toBeUndefined();
  }

  /** The trail once the submission's notifications are in it (one per approver: bob and carol), so later reads compare like with like. */
  function notified(id: string): Promise<{ items: AuditItem[] }> {
    return trailUntil(
      api,
      'alice',
      id,
      (items) => items.filter((item) => item.type.startsWith('notification.')).length === 2,
    );
  }

  async function expectUnchanged(id: string, before: { items: unknown[] }): Promise<void> {
    const request = await api.call('alice', 'GET', `requests/${id}`);
    expect(request.body).toMatchObject({ status: 'needsApproval', decisions: [] });
    expect((await auditTrail(api, 'alice', id)).items).toHaveLength(before.items.length);
  }

  it('shows the request to its approver on GET, escaped, with strict headers, and changes nothing (twice)', async () => {
    const category = SEEDED.deviceCategories[0]!;
    const submitted = await api.call('alice', 'POST', 'requests', categoryUpdate(category));
    expect(submitted.status).toBe(202);
    const request = submitted.body as { id: string; operationHash: string };
    const token = await mint(request);
    const before = await notified(request.id);

    const first = await open(token, 'bob');
    const second = await open(token, 'bob');
    for (const page of [first, second]) {
      expect([page.status, page.code]).toEqual([200, null]);
      expect(page.html).toContain('Stolen laptop &#60;b&#62;INC-4711&#60;/b&#62; &#38; &#34;urgent&#34;');
      expect(page.html).toContain('&#60;script&#62;alert(\\&#34;x\\&#34;)&#60;/script&#62;');
      expect(page.html).not.toMatch(/<script|<b>/);
      expect(page.html).toContain('&#34;description&#34;: ');
      for (const text of [
        'tenantConfiguration',
        'update',
        'deviceCategory',
        category,
        'Alice',
        request.operationHash,
        '0 of 1 required',
        'None yet.',
        'name="viewport"',
      ])
        expect(page.html).toContain(text);
      expect(page.html).toMatch(/<button[^>]+name="decision" value="approve"/);
      expect(page.html).toMatch(/<button[^>]+name="decision" value="reject"/);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toMatch(
        /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
      );
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.csrfCookie).toMatch(/^maa_link_csrf=[A-Za-z0-9_-]{43}$/);
    }
    expect(first.headers.getSetCookie()[0]).toMatch(/; Path=\/api\/approvals; HttpOnly; SameSite=Strict$/);
    // The CSP's hash is the hash of the page's one inline style sheet.
    const style = /<style>([\s\S]*?)<\/style>/.exec(first.html)![1]!;
    const { createHash } = await import('node:crypto');
    expect(first.headers.get('content-security-policy')).toContain(
      `'sha256-${createHash('sha256').update(style).digest('base64')}'`,
    );
    await expectUnchanged(request.id, before);
  });

  it('asks for sign-in without revealing the request, and strips client-sent X-MS-CLIENT-PRINCIPAL headers', async () => {
    const request = await submit('link-signin');
    const token = await mint(request);
    const anonymous = await open(token);
    expect([anonymous.status, anonymous.code]).toEqual([401, 'sign_in_required']);
    revealsNothing(anonymous);
    expect(anonymous.html).toContain(
      `href="/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(`/api/approvals/${token}`)}"`,
    );

    // A client claiming to be bob through the platform's headers is not bob: the runtime strips them, like App Service.
    const principal = Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        claims: [
          { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: BOB },
          { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: 'c0ffee00-0000-4000-8000-000000000000' },
          { typ: 'roles', val: 'MAA.Approver' },
        ],
      }),
    ).toString('base64');
    const spoofed = await open(token, undefined, {
      'x-ms-client-principal': principal,
      'x-ms-client-principal-id': BOB,
      'x-ms-client-principal-idp': 'aad',
    });
    expect([spoofed.status, spoofed.code]).toEqual([401, 'sign_in_required']);
    revealsNothing(spoofed);
    // ... also when a real sign-in cookie comes with them: the headers then name the cookie's user.
    const carolAsBob = await open(token, 'carol', {
      'x-ms-client-principal': principal,
      'x-ms-client-principal-id': BOB,
    });
    expect([carolAsBob.status, carolAsBob.code]).toEqual([403, 'wrong_approver']);

    // The platform's login endpoint leads to the local sign-in, which comes back to the link.
    const login = await fetch(
      `${api.runtime.url}/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(`/api/approvals/${token}`)}`,
      { redirect: 'manual' },
    );
    expect([login.status, login.headers.get('location')]).toEqual([
      303,
      `/_local/signin?returnTo=${encodeURIComponent(`/api/approvals/${token}`)}`,
    ]);
    const chooser = await fetch(`${api.runtime.url}${login.headers.get('location')}`);
    expect(await chooser.text()).toContain(
      `/_local/signin?user=bob&#38;returnTo=${encodeURIComponent(`/api/approvals/${token}`)}`,
    );
    const back = await fetch(
      `${api.runtime.url}/_local/signin?user=bob&returnTo=${encodeURIComponent(`/api/approvals/${token}`)}`,
      { redirect: 'manual' },
    );
    expect([back.status, back.headers.get('location')]).toEqual([303, `/api/approvals/${token}`]);
    const offsite = await fetch(`${api.runtime.url}/_local/signin?user=bob&returnTo=//evil.example/x`, {
      redirect: 'manual',
    });
    expect(offsite.headers.get('location')).toBe('/');
  });

  it('refuses posts without the page’s CSRF field, with a wrong one, without its cookie, or from another origin, changing nothing', async () => {
    const request = await submit('link-csrf');
    const token = await mint(request);
    const before = await notified(request.id);
    const review = await open(token, 'bob');
    const attempts: Page[] = [
      await post(token, 'bob', { decision: 'approve', notes: '' }, { cookies: [review.csrfCookie!] }),
      await post(
        token,
        'bob',
        { decision: 'approve', notes: '', csrf: 'A'.repeat(43) },
        { cookies: [review.csrfCookie!] },
      ),
      await post(token, 'bob', { decision: 'approve', notes: '', csrf: review.csrf! }),
      await post(
        token,
        'bob',
        { decision: 'approve', notes: '', csrf: review.csrf! },
        { cookies: [`maa_link_csrf=${'B'.repeat(43)}`] },
      ),
      await post(
        token,
        'bob',
        { decision: 'approve', notes: '', csrf: review.csrf! },
        { cookies: [review.csrfCookie!], origin: 'https://evil.example' },
      ),
    ];
    for (const attempt of attempts) {
      expect([attempt.status, attempt.code]).toEqual([403, 'csrf_failed']);
      revealsNothing(attempt);
    }
    // A field made for carol's session does not work for bob's (it binds the person too).
    const cross = await fetch(`${api.runtime.url}/api/approvals/${token}`, {
      method: 'POST',
      headers: { cookie: `${await signIn('bob')}; ${review.csrfCookie!}`, 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ decision: 'approve', notes: '', csrf: review.csrf! }),
    });
    expect([cross.status, cross.headers.get('x-error-code')]).toEqual([403, 'csrf_failed']);
    const badForm = await post(
      token,
      'bob',
      { decision: 'abstain', notes: '', csrf: review.csrf! },
      { cookies: [review.csrfCookie!] },
    );
    expect([badForm.status, badForm.code]).toEqual([400, 'invalid_form']);
    await expectUnchanged(request.id, before);
  });

  it('refuses a form that is not UTF-8 (raw bytes or percent-encoded) with invalid_form, changing nothing', async () => {
    const request = await submit('link-not-utf8');
    const token = await mint(request);
    const before = await notified(request.id);
    const review = await open(token, 'bob');
    const csrf = encodeURIComponent(review.csrf!);
    for (const body of [
      Buffer.from(`decision=reject&notes=%FF%FE&csrf=${csrf}`),
      Buffer.concat([Buffer.from('decision=reject&notes='), Buffer.from([0xc3, 0x28]), Buffer.from(`&csrf=${csrf}`)]),
    ]) {
      const response = await fetch(`${api.runtime.url}/api/approvals/${token}`, {
        method: 'POST',
        headers: {
          cookie: `${await signIn('bob')}; ${review.csrfCookie!}`,
          origin: api.runtime.url,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
      expect([response.status, response.headers.get('x-error-code')]).toEqual([400, 'invalid_form']);
    }
    await expectUnchanged(request.id, before);
    // The same form in UTF-8 goes through.
    const decided = await post(
      token,
      'bob',
      { decision: 'reject', notes: 'Kein Gerät gefunden', csrf: review.csrf! },
      { cookies: [review.csrfCookie!] },
    );
    expect(decided.status).toBe(200);
  });

  it('refuses another signed-in user, on GET and POST, without revealing the request', async () => {
    const request = await submit('link-other-user');
    const token = await mint(request);
    const before = await notified(request.id);
    const bobs = await open(token, 'bob');
    const asCarol = await open(token, 'carol');
    expect([asCarol.status, asCarol.code]).toEqual([403, 'wrong_approver']);
    revealsNothing(asCarol);
    // Carol replays bob's page (field and cookie): she is still not the link's approver.
    const posted = await post(
      token,
      'carol',
      { decision: 'approve', notes: '', csrf: bobs.csrf! },
      { cookies: [bobs.csrfCookie!] },
    );
    expect([posted.status, posted.code]).toEqual([403, 'wrong_approver']);
    const anonymous = await post(
      token,
      undefined,
      { decision: 'approve', notes: '', csrf: bobs.csrf! },
      { cookies: [bobs.csrfCookie!] },
    );
    expect([anonymous.status, anonymous.code]).toEqual([401, 'sign_in_required']);
    await expectUnchanged(request.id, before);
  });

  it('approves once as the link’s approver: source link and the link id in the decision and its audit record; the link is then used', async () => {
    const request = await submit('link-approve');
    const linkId = `lnk-${randomUUID()}`;
    const token = await mint(request, BOB, { linkId });
    const review = await open(token, 'bob');
    const form = { decision: 'approve', notes: 'checked <i>with</i> the user', csrf: review.csrf! };
    const result = await post(token, 'bob', form, { cookies: [review.csrfCookie!] });
    expect([result.status, result.code]).toEqual([200, null]);
    expect(result.html).toContain('You approved this request');
    expect(result.html).toContain('checked &#60;i&#62;with&#60;/i&#62; the user');

    const approved = await api.until('alice', request.id, (r) => r.status === 'approved');
    expect(approved.decisions).toEqual([
      expect.objectContaining({
        approver: { id: BOB, displayName: 'Bob' },
        decision: 'approve',
        source: 'link',
        linkId,
        notes: 'checked <i>with</i> the user',
      }),
    ]);
    // The step's notification outcome (the initiator told of the approval) follows its records.
    const trail = await trailUntil(api, 'alice', request.id, (items) =>
      items.some((item) => item.type === 'notification.sent' && item.data.kind === 'approved'),
    );
    expect(trail.chainValid).toBe(true);
    expect(trail.items.filter((item) => item.type === 'request.approved')).toEqual([
      expect.objectContaining({
        actor: { id: BOB, displayName: 'Bob' },
        data: expect.objectContaining({ source: 'link', linkId, approvals: 1 }),
      }),
    ]);

    // The same post again (a refresh of the result page): the link is used. Opening it shows what it did.
    const again = await post(token, 'bob', form, { cookies: [review.csrfCookie!] });
    expect([again.status, again.code]).toEqual([410, 'link_used']);
    const reopened = await open(token, 'bob');
    expect([reopened.status, reopened.code]).toEqual([200, null]);
    expect(reopened.html).toContain('You approved this request');
    expect(reopened.csrf).toBeUndefined();
    expect((await auditTrail(api, 'alice', request.id)).items).toHaveLength(trail.items.length);
  });

  it('lets a mail scanner fetch the link first (anonymously and signed in as the approver), and the real click still decides', async () => {
    const request = await submit('link-scanner');
    const token = await mint(request);
    const before = await notified(request.id);
    // Scanners follow every link they see, without cookies or with the mailbox owner's session; HEAD too.
    const anonymous = await fetch(`${api.runtime.url}/api/approvals/${token}`, {
      headers: { 'user-agent': 'SafeLinks-Scanner/1.0' },
    });
    expect(anonymous.status).toBe(401);
    expect((await fetch(`${api.runtime.url}/api/approvals/${token}`, { method: 'HEAD' })).status).not.toBe(200);
    expect((await open(token, 'bob')).status).toBe(200);
    await expectUnchanged(request.id, before);

    const result = await decide(token, 'bob', 'approve', 'after the scanner');
    expect([result.status, result.code]).toEqual([200, null]);
    expect((await api.until('alice', request.id, (r) => r.status === 'approved')).decisions).toEqual([
      expect.objectContaining({
        approver: { id: BOB, displayName: 'Bob' },
        source: 'link',
        notes: 'after the scanner',
      }),
    ]);
  });
  it('rejects through a link only with notes, re-showing the form when they are missing', async () => {
    const request = await submit('link-reject');
    const token = await mint(request);
    const review = await open(token, 'bob');
    const bare = await post(
      token,
      'bob',
      { decision: 'reject', notes: '  ', csrf: review.csrf! },
      { cookies: [review.csrfCookie!] },
    );
    expect([bare.status, bare.code]).toEqual([400, 'notes_required']);
    expect(bare.html).toContain('notes are required to reject');
    expect(bare.csrf).toBeDefined();
    // Invisible characters are not notes; a NUL is not text at all.
    const invisible = await post(
      token,
      'bob',
      { decision: 'reject', notes: '\u200b\u2060\u00a0', csrf: bare.csrf! },
      { cookies: [bare.csrfCookie!] },
    );
    expect([invisible.status, invisible.code]).toEqual([400, 'notes_required']);
    const nul = await post(
      token,
      'bob',
      { decision: 'reject', notes: '\u0000', csrf: bare.csrf! },
      { cookies: [bare.csrfCookie!] },
    );
    expect([nul.status, nul.code]).toEqual([400, 'invalid_form']);
    expect((await api.call('alice', 'GET', `requests/${request.id}`)).body).toMatchObject({
      status: 'needsApproval',
      decisions: [],
    });
    const rejected = await post(
      token,
      'bob',
      { decision: 'reject', notes: 'not this device', csrf: bare.csrf! },
      { cookies: [bare.csrfCookie!] },
    );
    expect([rejected.status, rejected.html.includes('You rejected this request')]).toEqual([200, true]);
    const done = await api.until('alice', request.id, (r) => r.status === 'rejected');
    expect(done.decisions[0]).toMatchObject({ decision: 'reject', notes: 'not this device', source: 'link' });
  });

  it('refuses tampered, forged, malformed, unknown-request, other-request and other-approver links with their reason, changing nothing', async () => {
    const request = await submit('link-bad-tokens');
    const other = await submit('link-bad-tokens-other');
    const token = await mint(request);
    const before = await notified(request.id);
    const [v, k, , signature] = token.split('.');
    const payloadOf = async (overrides: Partial<LinkClaims>) => (await mint(request, BOB, overrides)).split('.')[2];

    // [case, token, signed-in user, GET status and code, POST code (with a CSRF field that was never issued)]
    const cases: [string, string, string, number, string, string][] = [
      [
        'tampered (another request under the original signature)',
        `${v}.${k}.${await payloadOf({ requestId: other.id })}.${signature}`,
        'bob',
        403,
        'link_invalid',
        'link_invalid',
      ],
      [
        'tampered (later expiry under the original signature)',
        `${v}.${k}.${await payloadOf({ expiresAt: (await now()) + 86400 })}.${signature}`,
        'bob',
        403,
        'link_invalid',
        'link_invalid',
      ],
      [
        'forged (our key id, another secret)',
        await mint(request, BOB, {}, { id: key.id, secret: Buffer.alloc(32, 7) }),
        'bob',
        403,
        'link_invalid',
        'link_invalid',
      ],
      [
        'signed with an unknown key',
        await mint(request, BOB, {}, { id: 'retired-1', secret: key.secret }),
        'bob',
        403,
        'link_invalid',
        'link_invalid',
      ],
      ['truncated', token.slice(0, -5), 'bob', 400, 'link_malformed', 'link_malformed'],
      ['padded', `${token}=`, 'bob', 400, 'link_malformed', 'link_malformed'],
      ['not a token at all', 'hello', 'bob', 400, 'link_malformed', 'link_malformed'],
      [
        'for a request that does not exist',
        await mint({ id: randomUUID(), operationHash: request.operationHash }),
        'bob',
        404,
        'not_found',
        'not_found',
      ],
      [
        "naming another request's operation",
        await mint({ id: other.id, operationHash: request.operationHash }),
        'bob',
        409,
        'operation_mismatch',
        'csrf_failed',
      ],
      ['issued to carol, opened by bob', await mint(request, CAROL), 'bob', 403, 'wrong_approver', 'wrong_approver'],
      [
        'issued to dave (no approver role), opened by dave',
        await mint(request, DAVE),
        'dave',
        403,
        'forbidden',
        'csrf_failed',
      ],
      [
        'issued to alice (the initiator), opened by alice',
        await mint(request, 'a11ce000-0000-4000-8000-000000000001'),
        'alice',
        403,
        'self_approval',
        'csrf_failed',
      ],
    ];
    for (const [name, bad, user, status, code, postCode] of cases) {
      const viewed = await open(bad, user);
      expect([name, viewed.status, viewed.code]).toEqual([name, status, code]);
      revealsNothing(viewed);
      const posted = await post(
        bad,
        user,
        { decision: 'approve', notes: '', csrf: 'A'.repeat(43) },
        { cookies: [`maa_link_csrf=${'A'.repeat(43)}`] },
      );
      expect([name, posted.code]).toEqual([name, postCode]);
    }
    await expectUnchanged(request.id, before);
    expect((await api.call('alice', 'GET', `requests/${other.id}`)).body.decisions).toEqual([]);
  });

  it('decides exactly once when the same link is posted several times at once', async () => {
    const request = await submit('link-race');
    const token = await mint(request);
    const review = await open(token, 'bob');
    const form = { decision: 'approve', notes: 'race', csrf: review.csrf! };
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => post(token, 'bob', form, { cookies: [review.csrfCookie!] })),
    );
    const codes = results.map((result) => result.code).sort();
    expect(codes.filter((code) => code === null)).toHaveLength(1);
    expect(codes.filter((code) => code === 'link_used' || code === 'already_decided')).toHaveLength(3);
    const approved = await api.until('alice', request.id, (r) => r.status === 'approved');
    expect(approved.decisions).toHaveLength(1);
    // Commands are applied in arrival order: once a cancel sent after every post shows, any
    // decision a post sent has been applied or refused too.
    expect((await api.call('alice', 'POST', `requests/${request.id}/cancel`)).status).toBe(200);
    await api.until('alice', request.id, (r) => r.status === 'cancelled');
    const trail = await auditTrail(api, 'alice', request.id);
    expect(trail.items.filter((item) => item.type === 'request.approved')).toHaveLength(1);
    expect(trail.items.filter((item) => item.type === 'request.eventRefused')).toHaveLength(0);
  });

  it('shows a superseded link (request cancelled after it was issued, or decided by someone else) and changes nothing', async () => {
    const cancelled = await submit('link-cancelled');
    const token = await mint(cancelled);
    const review = await open(token, 'bob');
    expect((await api.call('alice', 'POST', `requests/${cancelled.id}/cancel`)).status).toBe(200);
    await api.until('alice', cancelled.id, (r) => r.status === 'cancelled');
    const viewed = await open(token, 'bob');
    expect([viewed.status, viewed.code]).toEqual([409, 'invalid_state']);
    expect(viewed.html).toContain('cancelled by its initiator');
    revealsNothing(viewed);
    const posted = await post(
      token,
      'bob',
      { decision: 'approve', notes: '', csrf: review.csrf! },
      { cookies: [review.csrfCookie!] },
    );
    expect([posted.status, posted.code]).toEqual([409, 'invalid_state']);

    const approvedByCarol = await submit('link-approved-elsewhere');
    const bobsLink = await mint(approvedByCarol);
    expect((await api.call('carol', 'POST', `requests/${approvedByCarol.id}/approve`, { notes: 'mine' })).status).toBe(
      200,
    );
    await api.until('alice', approvedByCarol.id, (r) => r.status === 'approved');
    const late = await open(bobsLink, 'bob');
    expect([late.status, late.code]).toEqual([409, 'invalid_state']);
    expect(late.html).toContain('already approved by enough approvers');

    const decidedInApi = await submit('link-decided-in-api');
    const carolsLink = await mint(decidedInApi, CAROL);
    expect((await api.call('carol', 'POST', `requests/${decidedInApi.id}/reject`, { notes: 'no' })).status).toBe(200);
    await api.until('alice', decidedInApi.id, (r) => r.status === 'rejected');
    expect((await open(carolsLink, 'carol')).code).toBe('already_decided');
  });

  it('refuses an approver who left the approver group after the link was issued', async () => {
    const request = await submit('link-left-group');
    const token = await mint(request);
    const review = await open(token, 'bob');
    expect((await changeGroupMember(api.runtime, 'DELETE', group, 'bob')).status).toBe(200);
    try {
      const viewed = await open(token, 'bob');
      expect([viewed.status, viewed.code]).toEqual([403, 'not_an_approver']);
      expect(viewed.html).toContain('perhaps because you left the group after the link was sent');
      const posted = await post(
        token,
        'bob',
        { decision: 'approve', notes: '', csrf: review.csrf! },
        { cookies: [review.csrfCookie!] },
      );
      expect([posted.status, posted.code]).toEqual([403, 'not_an_approver']);
    } finally {
      expect((await changeGroupMember(api.runtime, 'PUT', group, 'bob')).status).toBe(200);
    }
    const request2 = await api.call('alice', 'GET', `requests/${request.id}`);
    expect(request2.body).toMatchObject({ status: 'needsApproval', decisions: [] });
    // Back in the group, the same link still works: the refusals did not use it up.
    expect((await decide(token, 'bob', 'approve')).status).toBe(200);
  });

  it('answers 202 "sent" when the orchestration has not applied the decision within the wait, and shows it once applied', async () => {
    const request = await submit('link-pending');
    const token = await mint(request);
    const review = await open(token, 'bob');
    const instance = (action: string) => api.runtime.durable(`instances/${request.id}/${action}?reason=links-test`);
    expect((await fetch(instance('suspend'), { method: 'POST' })).status).toBe(202);
    const sent = await post(
      token,
      'bob',
      { decision: 'approve', notes: '', csrf: review.csrf! },
      { cookies: [review.csrfCookie!] },
    );
    expect([sent.status, sent.code]).toEqual([202, null]);
    expect(sent.html).toContain('Your decision was sent');
    // Used already: a second post cannot send another decision while the first waits.
    const second = await post(
      token,
      'bob',
      { decision: 'reject', notes: 'changed my mind', csrf: review.csrf! },
      { cookies: [review.csrfCookie!] },
    );
    expect([second.status, second.code]).toEqual([410, 'link_used']);
    expect((await fetch(instance('resume'), { method: 'POST' })).status).toBe(202);
    await api.until('alice', request.id, (r) => r.status === 'approved');
    const reopened = await open(token, 'bob');
    expect([reopened.status, reopened.html.includes('You approved this request')]).toEqual([200, true]);
  });

  it('refuses an expired link, and a link to an expired request (manual clock)', async () => {
    const request = await submit('link-expiry');
    const issuedAt = await now();
    const short = await mint(request, BOB, { expiresAt: issuedAt + 600 });
    const beyond = await mint(request, BOB, { expiresAt: issuedAt + 40 * 86400 });
    const review = await open(short, 'bob');
    expect(review.status).toBe(200);

    await advanceClock(api.runtime, 'PT11M');
    const expired = await open(short, 'bob');
    expect([expired.status, expired.code]).toEqual([410, 'link_expired']);
    revealsNothing(expired);
    const posted = await post(
      short,
      'bob',
      { decision: 'approve', notes: '', csrf: review.csrf! },
      { cookies: [review.csrfCookie!] },
    );
    expect([posted.status, posted.code]).toEqual([410, 'link_expired']);

    await advanceClock(api.runtime, 'P31D');
    api.forgetTokens();
    const overdue = await open(beyond, 'bob');
    expect([overdue.status, overdue.code]).toEqual([409, 'expired']);
  });
});

describe('approval links that decide alone (MAA_LINK_ALLOW_LINK_ONLY=true)', () => {
  let api: Api;
  let key: LinkKey;

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_GROUP_CACHE_SECONDS: '0', MAA_LINK_ALLOW_LINK_ONLY: 'true' } }));
    key = parseLinkKey(readFileSync(path.join(api.runtime.dataDir, 'local-links', 'link-key'), 'utf8').trim());
    await createPolicy(api, {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  it('decides as the link’s approver without sign-in, still checks the approver groups, and still refuses another signed-in user', async () => {
    const submitted = await api.call('alice', 'POST', 'requests', wipe(await newDevice(api.runtime.url, 'link-only')));
    const issuedAt = Math.floor(Date.now() / 1000);
    const link = (approverId: string) =>
      signLinkToken(key, {
        requestId: submitted.body.id,
        approverId,
        operationHash: submitted.body.operationHash,
        linkId: `lnk-${randomUUID()}`,
        issuedAt,
        expiresAt: issuedAt + 3600,
      });

    const outsider = await fetch(`${api.runtime.url}/api/approvals/${link(DAVE)}`);
    expect([outsider.status, outsider.headers.get('x-error-code')]).toEqual([403, 'not_an_approver']);
    const carol = (
      await (
        await fetch(`${api.runtime.url}/_local/signin?user=carol&returnTo=/`, { redirect: 'manual' })
      ).headers.getSetCookie()
    )[0]!.split(';')[0]!;
    const someoneElse = await fetch(`${api.runtime.url}/api/approvals/${link(BOB)}`, { headers: { cookie: carol } });
    expect([someoneElse.status, someoneElse.headers.get('x-error-code')]).toEqual([403, 'wrong_approver']);

    const token = link(BOB);
    const review = await fetch(`${api.runtime.url}/api/approvals/${token}`);
    const html = await review.text();
    expect(review.status).toBe(200);
    expect(html).toContain(`Deciding as <bdi>${BOB}</bdi>`);
    const posted = await fetch(`${api.runtime.url}/api/approvals/${token}`, {
      method: 'POST',
      headers: { cookie: review.headers.getSetCookie()[0]!.split(';')[0]!, origin: api.runtime.url },
      body: new URLSearchParams({
        decision: 'approve',
        notes: 'link only',
        csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]!,
      }),
    });
    expect(posted.status).toBe(200);
    const approved = await api.until('alice', submitted.body.id, (r) => r.status === 'approved');
    expect(approved.decisions).toEqual([
      expect.objectContaining({ approver: { id: BOB, displayName: BOB }, source: 'link', notes: 'link only' }),
    ]);
  });
});
