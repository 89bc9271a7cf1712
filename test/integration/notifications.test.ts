/**
 * Notifications through the real runtime: the app mails through the local Graph into the local
 * mailbox (`GET /_local/mailbox`), approvers get their own signed links, the initiator hears of
 * every decision, cancellation and expiry, a reminder goes out before expiry on the manual clock,
 * and every outcome (a dead webhook too) is in the hash-chained audit trail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, advanceClock, approverGroup, createPolicy, trailUntil, type AuditItem } from '../support/api';
import { startTestServer, type TestServer } from '../unit/identity/testServer';
import { deviceActionBody, newDevice } from '../support/intune';
import { startRuntime, type RunningRuntime } from '../support/runtime';

interface Mail {
  to: string;
  subject: string;
  text: string;
  links: string[];
  sentAt: string;
}

const BOB = 'b0b00000-0000-4000-8000-000000000002';
const CAROL = 'ca401000-0000-4000-8000-000000000003';
const types = (items: AuditItem[]) => items.map((item) => item.type);
const count = (items: AuditItem[], type: string) => items.filter((item) => item.type === type).length;

/** The claims of a link token (its payload is base64url JSON; the signature is checked by the app, not here). */
function linkClaims(url: string): { rid: string; sub: string; jti: string; iat: number; exp: number } {
  const token = url.split('/api/approvals/')[1]!;
  return JSON.parse(Buffer.from(token.split('.')[2]!, 'base64url').toString('utf8'));
}

/** The mailbox's mails about request `id`, newest first. */
async function mailsAbout(runtime: RunningRuntime, id: string): Promise<Mail[]> {
  const response = await fetch(`${runtime.url}/_local/mailbox`, { headers: { accept: 'application/json' } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Mail[] }).items.filter((mail) => mail.text.includes(id));
}

/** Waits until the mails about `id` satisfy `predicate`. */
async function mailsUntil(runtime: RunningRuntime, id: string, predicate: (mails: Mail[]) => boolean): Promise<Mail[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mails = await mailsAbout(runtime, id);
    if (predicate(mails)) return mails;
    if (Date.now() > deadline)
      throw new Error(
        `the mails about ${id} never reached the expected state: ${JSON.stringify(mails.map((mail) => [mail.to, mail.subject]))}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How mail titles a device action on a device `newDevice` enrolled for dave: by its name and dave's UPN (defanged). */
const DAVES = (action: string, deviceName: string) => `${action} ${deviceName} (dave@maa[.]test)`;

describe('notifications by email into the local mailbox (manual clock)', () => {
  let api: Api;
  /** The device of the retire that expires (the reminder test names it). */

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } }));
    const group = await approverGroup(api.runtime);
    await createPolicy(api, {
      displayName: 'Wipes need one approver',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
    });
    await createPolicy(api, {
      displayName: 'Retires need two approvers',
      profileType: 'deviceRetire',
      approverGroupIds: [group],
      requiredApprovals: 2,
    });
  });
  afterAll(() => api?.runtime.dispose());

  /** alice asks for `profileType`'s action on a device enrolled for it; resolves with the request's and the device's ids. */
  async function submit(
    profileType: 'deviceWipe' | 'deviceRetire',
    deviceName: string,
  ): Promise<{ id: string; device: string }> {
    const device = await newDevice(api.runtime.url, deviceName);
    const submitted = await api.call(
      'alice',
      'POST',
      'requests',
      deviceActionBody(profileType, device, `Reported stolen (${deviceName})`),
    );
    expect(submitted.status).toBe(202);
    return { id: submitted.body.id as string, device };
  }

  it('mails bob and carol their own links, audits the links and the mails, then tells alice to complete once bob approves', async () => {
    const { id } = await submit('deviceWipe', 'mail-1');
    const mails = await mailsUntil(api.runtime, id, (found) => found.length === 2);
    expect(mails.map((mail) => mail.to).sort()).toEqual(['bob@maa.test', 'carol@maa.test']);
    const claims = new Map<string, ReturnType<typeof linkClaims>>();
    for (const mail of mails) {
      expect(mail.subject).toBe(`Approval needed: ${DAVES('wipe', 'mail-1')} (requested by Alice)`);
      const approvalLinks = mail.links.filter((link) => link.startsWith(`${api.runtime.url}/api/approvals/`));
      expect(approvalLinks).toHaveLength(1);
      claims.set(mail.to, linkClaims(approvalLinks[0]!));
    }
    expect(claims.get('bob@maa.test')).toMatchObject({ rid: id, sub: BOB });
    expect(claims.get('carol@maa.test')).toMatchObject({ rid: id, sub: CAROL });
    expect(claims.get('bob@maa.test')!.jti).not.toBe(claims.get('carol@maa.test')!.jti);

    const trail = await trailUntil(api, 'alice', id, (items) => count(items, 'notification.sent') === 2);
    expect(trail.chainValid).toBe(true);
    expect(types(trail.items)).toEqual([
      'request.submitted',
      'link.issued',
      'link.issued',
      'notification.sent',
      'notification.sent',
    ]);
    const issued = trail.items.filter((item) => item.type === 'link.issued');
    expect(issued.map((item) => item.data)).toEqual([
      {
        kind: 'submitted',
        approverId: BOB,
        linkId: claims.get('bob@maa.test')!.jti,
        expiresAt: new Date(claims.get('bob@maa.test')!.exp * 1000).toISOString(),
      },
      {
        kind: 'submitted',
        approverId: CAROL,
        linkId: claims.get('carol@maa.test')!.jti,
        expiresAt: new Date(claims.get('carol@maa.test')!.exp * 1000).toISOString(),
      },
    ]);
    // The audit names the links, never their tokens.
    for (const mail of mails)
      expect(JSON.stringify(trail.items)).not.toContain(mail.links[0]!.split('/api/approvals/')[1]);
    expect(
      trail.items
        .slice(3)
        .map((item) => [item.data.kind, item.data.channel, item.data.recipient.id, item.data.address]),
    ).toEqual([
      ['submitted', 'email', BOB, 'bob@maa.test'],
      ['submitted', 'email', CAROL, 'carol@maa.test'],
    ]);

    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'confirmed' })).status).toBe(200);
    const [toAlice] = await mailsUntil(api.runtime, id, (found) => found.some((mail) => mail.to === 'alice@maa.test'));
    expect(toAlice!.subject).toBe(`Approved — complete it now: ${DAVES('wipe', 'mail-1')}`);
    expect(toAlice!.text).toContain(`maa complete ${id}`);
    expect(toAlice!.text).toContain(`POST ${api.runtime.url}/api/requests/${id}/complete`);
    const after = await trailUntil(api, 'alice', id, (items) => count(items, 'notification.sent') === 3);
    expect(types(after.items).slice(5)).toEqual(['request.approved', 'request.statusChanged', 'notification.sent']);
    expect(after.items[7]!.data).toMatchObject({
      kind: 'approved',
      channel: 'email',
      recipient: { displayName: 'Alice' },
    });
    expect(after.chainValid).toBe(true);
  });

  it('tells alice of a rejection with its notes, and of her cancellation', async () => {
    const { id: rejected } = await submit('deviceWipe', 'mail-2');
    expect(
      (await api.call('carol', 'POST', `requests/${rejected}/reject`, { notes: 'Not this device, it is in the safe' }))
        .status,
    ).toBe(200);
    const rejection = (
      await mailsUntil(api.runtime, rejected, (found) => found.some((mail) => mail.to === 'alice@maa.test'))
    ).find((mail) => mail.to === 'alice@maa.test');
    expect(rejection!.subject).toBe(`Rejected: ${DAVES('wipe', 'mail-2')}`);
    expect(rejection!.text).toContain(`Carol rejected your request to ${DAVES('wipe', 'mail-2')}.`);
    expect(rejection!.text).toContain('Notes: Not this device, it is in the safe');
    // Bob, asked too and undecided, hears he need not decide any more.
    const notice = (
      await mailsUntil(api.runtime, rejected, (found) =>
        found.some((mail) => mail.subject.startsWith('No action needed')),
      )
    ).find((mail) => mail.subject.startsWith('No action needed'));
    expect(notice).toMatchObject({
      to: 'bob@maa.test',
      subject: `No action needed: ${DAVES('wipe', 'mail-2')} (rejected)`,
    });
    expect(notice!.links).toEqual([]);

    const { id: cancelled } = await submit('deviceWipe', 'mail-3');
    await mailsUntil(api.runtime, cancelled, (found) => found.length === 2);
    expect((await api.call('alice', 'POST', `requests/${cancelled}/cancel`)).status).toBe(200);
    const cancellation = (
      await mailsUntil(api.runtime, cancelled, (found) => found.some((mail) => mail.to === 'alice@maa.test'))
    ).find((mail) => mail.to === 'alice@maa.test');
    expect(cancellation!.subject).toBe(`Cancelled: ${DAVES('wipe', 'mail-3')}`);
    const trail = await trailUntil(api, 'alice', cancelled, (items) => count(items, 'notification.sent') === 5);
    expect(types(trail.items).slice(5)).toEqual([
      'request.cancelled',
      'request.statusChanged',
      'notification.sent',
      'notification.sent',
      'notification.sent',
    ]);
    expect(
      trail.items
        .slice(7)
        .map((record) => (record.data as { recipient: { displayName: string } }).recipient.displayName)
        .sort(),
    ).toEqual(['Alice', 'Bob', 'Carol']);
  });

  it('tells alice "1 of 2", reminds only carol a day before expiry with a fresh link, then tells alice it expired', async () => {
    const { id } = await submit('deviceRetire', 'mail-4');
    const first = await mailsUntil(api.runtime, id, (found) => found.length === 2);
    const firstCarolLink = first.find((mail) => mail.to === 'carol@maa.test')!.links[0]!;
    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'fine by me' })).status).toBe(200);
    const [progress] = await mailsUntil(api.runtime, id, (found) => found.some((mail) => mail.to === 'alice@maa.test'));
    expect(progress!.subject).toBe(`1 of 2 approvals: ${DAVES('retire', 'mail-4')}`);
    expect(progress!.text).toContain(`Bob approved your request to ${DAVES('retire', 'mail-4')}: 1 of 2 approvals.`);

    // 29 days on, the request expires within a day: carol (who has not decided) is reminded, bob is not.
    await advanceClock(api.runtime, 'P29D');
    api.forgetTokens();
    // The reminder's outcomes are audited after its notify activity sent every mail: once the
    // trail holds them, the mailbox holds all the reminders there will be.
    const trail = await trailUntil(api, 'alice', id, (items) => count(items, 'link.issued') === 3);
    const reminders = (await mailsAbout(api.runtime, id)).filter((mail) => mail.subject.startsWith('Reminder:'));
    expect(reminders.map((mail) => mail.to)).toEqual(['carol@maa.test']);
    const freshLink = reminders[0]!.links[0]!;
    expect(linkClaims(freshLink)).toMatchObject({ rid: id, sub: CAROL });
    expect(linkClaims(freshLink).jti).not.toBe(linkClaims(firstCarolLink).jti);
    expect(types(trail.items).slice(5)).toEqual([
      'request.approved',
      'notification.sent',
      'link.issued',
      'notification.sent',
    ]);
    expect(trail.items[7]!.data).toMatchObject({
      kind: 'reminder',
      approverId: CAROL,
      linkId: linkClaims(freshLink).jti,
    });

    await advanceClock(api.runtime, 'P1D');
    api.forgetTokens();
    const closing = await mailsUntil(
      api.runtime,
      id,
      (found) => found.filter((mail) => /^(Expired|No action needed):/.test(mail.subject)).length === 2,
    );
    const expiry = closing.find((mail) => mail.subject.startsWith('Expired:'));
    expect(expiry).toMatchObject({ to: 'alice@maa.test', subject: `Expired: ${DAVES('retire', 'mail-4')}` });
    expect(expiry!.text).toContain('with 1 of 2 approvals');
    // Carol never decided: she hears her link is moot; bob, who approved, hears nothing more.
    expect(closing.find((mail) => mail.subject.startsWith('No action needed:'))).toMatchObject({
      to: 'carol@maa.test',
      subject: `No action needed: ${DAVES('retire', 'mail-4')} (expired)`,
    });
    const closed = await trailUntil(api, 'alice', id, (items) => count(items, 'notification.sent') === 6);
    expect(types(closed.items).slice(9)).toEqual([
      'request.expired',
      'request.statusChanged',
      'notification.sent',
      'notification.sent',
    ]);
    expect(closed.chainValid).toBe(true);
  });

  it('sent no reminder for requests no longer waiting for approvals (the approved one of the first test)', async () => {
    const all = (
      (await (
        await fetch(`${api.runtime.url}/_local/mailbox`, { headers: { accept: 'application/json' } })
      ).json()) as { items: Mail[] }
    ).items;
    expect(all.filter((mail) => mail.subject.startsWith('Reminder:')).map((mail) => [mail.to, mail.subject])).toEqual([
      ['carol@maa.test', expect.stringMatching(/: retire mail-4 \(dave@maa\[\.\]test\)$/)],
    ]);
  });

  it('still applies a decision that comes after the reminder', async () => {
    const { id } = await submit('deviceWipe', 'mail-5');
    await mailsUntil(api.runtime, id, (found) => found.length === 2);
    await advanceClock(api.runtime, 'P29D');
    api.forgetTokens();
    await mailsUntil(
      api.runtime,
      id,
      (found) => found.filter((mail) => mail.subject.startsWith('Reminder:')).length === 2,
    );
    await trailUntil(api, 'alice', id, (items) => count(items, 'link.issued') === 4);

    expect((await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'reminded, checked' })).status).toBe(
      200,
    );
    const approved = await api.until('alice', id, (request) => request.status === 'approved');
    expect(approved.decisions).toEqual([
      expect.objectContaining({ approver: expect.objectContaining({ id: CAROL }), notes: 'reminded, checked' }),
    ]);
    const trail = await trailUntil(api, 'alice', id, (items) => count(items, 'notification.sent') === 5);
    expect(types(trail.items).slice(5)).toEqual([
      'link.issued',
      'link.issued',
      'notification.sent',
      'notification.sent',
      'request.approved',
      'request.statusChanged',
      'notification.sent',
    ]);
    expect(trail.chainValid).toBe(true);
  });

  it('serves the mailbox as an HTML page and empties it on DELETE', async () => {
    const page = await fetch(`${api.runtime.url}/_local/mailbox`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(await page.text()).toContain(`<a href="${api.runtime.url}/api/approvals/`);
    expect((await fetch(`${api.runtime.url}/_local/mailbox`, { method: 'DELETE' })).status).toBe(204);
    expect(
      await (await fetch(`${api.runtime.url}/_local/mailbox`, { headers: { accept: 'application/json' } })).json(),
    ).toEqual({ items: [] });
  });
});

describe('a dead webhook and a live Teams workflow', () => {
  let api: Api;
  let teams: TestServer;

  beforeAll(async () => {
    teams = await startTestServer(() => ({ status: 202 }));
    const dead: Server = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const { port } = dead.address() as AddressInfo;
    await new Promise((resolve) => dead.close(resolve));
    api = new Api(
      await startRuntime({
        env: {
          MAA_NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/events`,
          MAA_NOTIFY_WEBHOOK_SECRET: 'dead-webhook-secret-0123',
          MAA_TEAMS_WEBHOOK_URL: `${teams.url}/workflows/approvals`,
        },
      }),
    );
    await createPolicy(api, {
      displayName: 'Wipes need one approver',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
  });
  afterAll(async () => {
    await api?.runtime.dispose();
    await teams?.close();
  });

  it('audits the webhook failures and still lets the request be approved and completed', async () => {
    teams.requests.length = 0;
    const device = await newDevice(api.runtime.url, 'dead-hook-1');
    const submitted = await api.call('alice', 'POST', 'requests', deviceActionBody('deviceWipe', device));
    const id = submitted.body.id as string;
    const trail = await trailUntil(api, 'alice', id, (items) => items.length >= 9);
    expect(types(trail.items)).toEqual([
      'request.submitted',
      'link.issued',
      'link.issued',
      ...['notification.sent', 'notification.sent', 'notification.failed'],
      ...['notification.sent', 'notification.sent', 'notification.failed'],
    ]);
    expect(trail.items.slice(3).map((item) => [item.data.recipient.id, item.data.channel])).toEqual([
      [BOB, 'email'],
      [BOB, 'teams'],
      [BOB, 'webhook'],
      [CAROL, 'email'],
      [CAROL, 'teams'],
      [CAROL, 'webhook'],
    ]);
    expect(trail.items[5]!.data.detail).toMatch(/^gave up after 3 attempt\(s\): unreachable: .*ECONNREFUSED/);

    // Teams got one card per approver, each opening that approver's own link (the one mailed to them).
    const cards = teams.requests
      .filter((request) => request.body.includes(id))
      .map((request) => JSON.parse(request.body).attachments[0].content);
    const mails = await mailsAbout(api.runtime, id);
    expect(cards.map((card) => card.actions[0].url).sort()).toEqual(mails.map((mail) => mail.links[0]).sort());

    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'ok' })).status).toBe(200);
    await api.until('alice', id, (r) => r.status === 'approved');
    expect((await api.call('alice', 'POST', `requests/${id}/complete`)).status).toBe(200);
    await api.until('alice', id, (r) => r.execution?.status === 'succeeded');
    const done = await trailUntil(api, 'alice', id, (items) => count(items, 'execution.succeeded') === 1);
    expect(types(done.items).slice(9)).toEqual([
      'request.approved',
      'request.statusChanged',
      'notification.sent',
      'notification.sent',
      'notification.failed',
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
    ]);
    expect(done.items[13]!.data).toMatchObject({
      kind: 'approved',
      channel: 'webhook',
      recipient: { displayName: 'Alice' },
    });
    expect(done.chainValid).toBe(true);
  });
});
