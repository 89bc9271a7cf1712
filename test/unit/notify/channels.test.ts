import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { GraphClient } from '../../../shared/identity/graphClient';
import { EmailNotifier, sendMailBody } from '../../../shared/notify/emailChannel';
import { buildMessage, type NotificationMessage } from '../../../shared/notify/messages';
import type { SendPolicy } from '../../../shared/notify/post';
import { ADAPTIVE_CARD_CONTENT_TYPE, TeamsNotifier, adaptiveCardMessage } from '../../../shared/notify/teamsChannel';
import { CLOUD_EVENT_SOURCE, WebhookNotifier, cloudEvent } from '../../../shared/notify/webhookChannel';
import { startTestServer, type Reply, type SeenRequest, type TestServer } from '../identity/testServer';
import { bob, wipe } from './fixtures';

const FAST: SendPolicy = { attempts: 3, firstDelayMs: 20, maxDelayMs: 1_000, timeoutMs: 2_000 };
const SECRET = 'notification-webhook-secret';
const link = {
  linkId: 'abcdefghijklmnop1234',
  url: 'https://maa.contoso.com/api/approvals/v1.k.p.s',
  expiresAt: '2026-01-08T09:00:01.000Z',
};
const message: NotificationMessage = buildMessage({
  id: '6c1f4a52-0000-4000-8000-000000000009:b0b00000-0000-4000-8000-000000000002',
  kind: 'submitted',
  at: '2026-01-01T09:00:01.000Z',
  request: wipe(),
  recipient: { ...bob, address: 'bob@maa.test' },
  link,
  apiBaseUrl: 'https://maa.contoso.com',
});

/** The receiver's side of the recipe in docs/notifications.md: HMAC-SHA256 over `<timestamp>.<raw body>`, compared in constant time. */
function verify(secret: string, request: SeenRequest): boolean {
  const timestamp = String(request.headers['x-maa-timestamp']);
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`,
  );
  const given = Buffer.from(String(request.headers['x-maa-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

let replies: Reply[];
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(() => replies.shift() ?? { status: 202 });
});
afterAll(() => server.close());
beforeEach(() => {
  replies = [];
  server.requests.length = 0;
});

describe('CloudEvents webhook', () => {
  it('builds a structured CloudEvents 1.0 event whose id is the message id', () => {
    const event = cloudEvent(message);
    expect(event).toMatchObject({
      specversion: '1.0',
      id: message.id,
      source: CLOUD_EVENT_SOURCE,
      type: 'com.multi-admin-approval.request.submitted',
      time: '2026-01-01T09:00:01.000Z',
      subject: message.request.id,
      datacontenttype: 'application/json',
      data: {
        kind: 'submitted',
        recipient: { id: bob.id, address: 'bob@maa.test' },
        link,
        request: { id: message.request.id, approvals: 0, requiredApprovals: 2, status: 'needsApproval' },
      },
    });
    expect(cloudEvent(message)).toEqual(event);
  });

  it('POSTs it signed with HMAC-SHA256 over timestamp and raw body', async () => {
    const delivery = await new WebhookNotifier(
      { url: `${server.url}/events`, secret: SECRET },
      FAST,
      () => new Date('2026-01-01T09:00:02Z'),
    ).send(message);
    expect(delivery).toEqual({ ok: true, detail: 'answered 202' });
    const [seen] = server.requests as [SeenRequest];
    expect(seen.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(seen.headers['x-maa-timestamp']).toBe(String(Date.parse('2026-01-01T09:00:02Z') / 1000));
    expect(verify(SECRET, seen)).toBe(true);
    expect(verify('another-secret-entirely', seen)).toBe(false);
    expect(verify(SECRET, { ...seen, body: seen.body.replace('laptop-42', 'laptop-43') })).toBe(false);
    expect(JSON.parse(seen.body)).toEqual(cloudEvent(message));
  });

  it('tries again on 500 and on 429 (after Retry-After), with the same event id', async () => {
    replies = [
      { status: 500, body: 'boom' },
      { status: 429, headers: { 'retry-after': '0' } },
    ];
    const delivery = await new WebhookNotifier({ url: server.url, secret: SECRET }, FAST).send(message);
    expect(delivery).toEqual({ ok: true, detail: 'answered 202 (attempt 3)' });
    expect(server.requests.map((seen) => (JSON.parse(seen.body) as { id: string }).id)).toEqual([
      message.id,
      message.id,
      message.id,
    ]);
  });

  it('gives up after three attempts, saying why, and never throws', async () => {
    replies = [{ status: 503 }, { status: 503 }, { status: 503, body: 'still down' }];
    await expect(new WebhookNotifier({ url: server.url, secret: SECRET }, FAST).send(message)).resolves.toEqual({
      ok: false,
      detail: 'gave up after 3 attempt(s): answered 503: still down',
    });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 4xx other than 408 and 429', async () => {
    replies = [{ status: 400, body: 'bad event' }];
    await expect(new WebhookNotifier({ url: server.url, secret: SECRET }, FAST).send(message)).resolves.toEqual({
      ok: false,
      detail: 'answered 400: bad event',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('reports an unreachable receiver after its retries', async () => {
    const closed = await startTestServer(() => ({}));
    await closed.close();
    const delivery = await new WebhookNotifier({ url: closed.url, secret: SECRET }, FAST).send(message);
    expect(delivery).toEqual({
      ok: false,
      detail: expect.stringMatching(/^gave up after 3 attempt\(s\): unreachable: fetch failed \(ECONNREFUSED\)$/),
    });
  });

  it('gives up at once on a Retry-After longer than it may wait', async () => {
    replies = [{ status: 429, headers: { 'retry-after': '120' } }];
    await expect(new WebhookNotifier({ url: server.url, secret: SECRET }, FAST).send(message)).resolves.toMatchObject({
      ok: false,
      detail: 'gave up after 1 attempt(s): answered 429',
    });
  });
});

describe('Teams workflow webhook', () => {
  it('shows the link first and user text escaped and defanged: no bidi override, no URL a client could link', () => {
    const request = {
      ...wipe(),
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: '\u202e24-potpal' },
      justification: 'Go to https://evil.example/approve',
    };
    const spoofed = buildMessage({
      id: 'n-2:bob',
      kind: 'submitted',
      at: '2026-01-01T09:00:01.000Z',
      request,
      recipient: { ...bob, displayName: 'Bob\u202e' },
      link,
      apiBaseUrl: 'https://maa.contoso.com',
    });
    const content = adaptiveCardMessage(spoofed).attachments[0]!.content;
    const texts = content.body.flatMap((block) =>
      block.type === 'TextBlock' && typeof block.text === 'string' ? [block.text] : [],
    );
    expect(texts[1]).toBe('For Bob<U+202E>');
    expect(texts[2]).toBe(`Review and decide: ${link.url}`);
    expect(JSON.stringify(content)).not.toMatch(/\\u202e|\u202e|evil\.example/);
    expect(texts).toContain('Justification: Go to hxxps[://]evil[.]example/approve');
  });

  it('posts a message with one Adaptive Card naming the recipient, with the facts and an Action.OpenUrl to the link', async () => {
    const card = adaptiveCardMessage(message);
    expect(card.type).toBe('message');
    expect(card.attachments).toHaveLength(1);
    const [attachment] = card.attachments;
    expect(attachment).toMatchObject({
      contentType: ADAPTIVE_CARD_CONTENT_TYPE,
      contentUrl: null,
      content: { type: 'AdaptiveCard', version: '1.4' },
    });
    const content = attachment!.content;
    expect(content.body[0]).toEqual({
      type: 'TextBlock',
      text: message.subject,
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
    });
    expect(content.body).toContainEqual(expect.objectContaining({ type: 'TextBlock', text: 'For Bob' }));
    expect(content.body.at(-1)).toEqual({ type: 'FactSet', facts: message.facts });
    expect(content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Review and decide', url: link.url }]);
    // An initiator's message has nothing to open.
    expect(adaptiveCardMessage({ ...message, action: undefined }).attachments[0]!.content.actions).toBeUndefined();

    replies = [{ status: 502 }];
    await expect(new TeamsNotifier(`${server.url}/workflows/1`, FAST).send(message)).resolves.toEqual({
      ok: true,
      detail: 'answered 202 (attempt 2)',
    });
    expect(server.requests.map((seen) => [seen.method, seen.path, seen.headers['content-type']])).toEqual([
      ['POST', '/workflows/1', 'application/json'],
      ['POST', '/workflows/1', 'application/json'],
    ]);
    expect(JSON.parse(server.requests[1]!.body)).toEqual(card);
  });
});

describe('email through Graph sendMail', () => {
  const credential: TokenCredential = {
    getToken: async (): Promise<AccessToken> => ({ token: 'app-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const mailer = () =>
    new EmailNotifier(
      new GraphClient({ baseUrl: server.url, credential, maxRetries: 2 }),
      'maa-notifications@contoso.com',
    );

  it('sends the HTML message to the recipient from the sender mailbox with the app token', async () => {
    await expect(mailer().send(message)).resolves.toEqual({ ok: true, detail: 'accepted by Graph for bob@maa.test' });
    const [seen] = server.requests as [SeenRequest];
    expect([seen.method, seen.path, seen.headers.authorization]).toEqual([
      'POST',
      '/v1.0/users/maa-notifications%40contoso.com/sendMail',
      'Bearer app-token',
    ]);
    expect(JSON.parse(seen.body)).toEqual({
      message: {
        subject: message.subject,
        body: { contentType: 'HTML', content: message.html },
        toRecipients: [{ emailAddress: { address: 'bob@maa.test', name: 'Bob' } }],
      },
      saveToSentItems: false,
    });
  });

  it('retries throttling, and reports Graph refusing or a recipient without an address as failures', async () => {
    replies = [
      {
        status: 429,
        headers: { 'retry-after': '0' },
        body: { error: { code: 'ApplicationThrottled', message: 'slow down' } },
      },
    ];
    await expect(mailer().send(message)).resolves.toMatchObject({ ok: true });
    expect(server.requests).toHaveLength(2);

    replies = [{ status: 403, body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } } }];
    await expect(mailer().send(message)).resolves.toEqual({
      ok: false,
      detail: expect.stringContaining('answered 403 ErrorAccessDenied: Access is denied.'),
    });
    const noAddress = { ...message, recipient: { id: bob.id, displayName: bob.displayName } };
    await expect(mailer().send(noAddress)).resolves.toMatchObject({
      ok: false,
      detail: expect.stringContaining('no mail address'),
    });
    expect(server.requests).toHaveLength(3);
  });
});

describe('email in Graph JSON batches', () => {
  const credential: TokenCredential = {
    getToken: async (): Promise<AccessToken> => ({ token: 'app-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const mailer = () =>
    new EmailNotifier(
      new GraphClient({ baseUrl: server.url, credential, maxRetries: 2 }),
      'maa-notifications@contoso.com',
      { firstDelayMs: 10 },
    );
  const to = (n: number): NotificationMessage => ({
    ...message,
    id: `${message.id}:${n}`,
    recipient: { id: `user-${n}`, displayName: `User ${n}`, address: `user${n}@maa.test` },
  });
  const batchReply = (items: [string, number, Record<string, string>?][]): Reply => ({
    status: 200,
    body: {
      responses: items.map(([id, status, headers]) => ({
        id,
        status,
        headers: headers ?? {},
        ...(status < 300
          ? {}
          : {
              body: {
                error: { code: status === 429 ? 'TooManyRequests' : 'ErrorInvalidRecipients', message: 'item failed' },
              },
            }),
      })),
    },
  });
  const batchIds = (request: SeenRequest) =>
    (JSON.parse(request.body) as { requests: { id: string }[] }).requests.map((item) => item.id);

  it('sends the mails of one step as one POST /$batch of sendMail requests, each answered on its own', async () => {
    replies = [
      batchReply([
        ['1', 202],
        ['2', 202],
        ['3', 202],
      ]),
    ];
    const deliveries = await mailer().sendAll([to(1), to(2), to(3)]);
    expect(deliveries).toEqual([1, 2, 3].map((n) => ({ ok: true, detail: `accepted by Graph for user${n}@maa.test` })));
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /v1.0/$batch']);
    const [seen] = server.requests as [SeenRequest];
    expect(seen.headers.authorization).toBe('Bearer app-token');
    expect(JSON.parse(seen.body)).toEqual({
      requests: [1, 2, 3].map((n) => ({
        id: String(n),
        method: 'POST',
        url: '/users/maa-notifications%40contoso.com/sendMail',
        headers: { 'content-type': 'application/json' },
        body: sendMailBody(to(n), `user${n}@maa.test`),
      })),
    });
  });

  it('batches sends made at the same moment, 20 to a batch at most, and sends a lone mail as plain sendMail', async () => {
    const ids = Array.from({ length: 25 }, (_, index) => String(index + 1));
    replies = [batchReply(ids.slice(0, 20).map((id) => [id, 202])), batchReply(ids.slice(0, 5).map((id) => [id, 202]))];
    const notifier = mailer();
    const deliveries = await Promise.all(ids.map((_, index) => notifier.send(to(index))));
    expect(deliveries.every((delivery) => delivery.ok)).toBe(true);
    expect(server.requests.map((request) => batchIds(request).length)).toEqual([20, 5]);

    server.requests.length = 0;
    await expect(notifier.send(to(1))).resolves.toMatchObject({ ok: true });
    expect(server.requests.map((request) => request.path)).toEqual([
      '/v1.0/users/maa-notifications%40contoso.com/sendMail',
    ]);
  });

  it('sends a throttled item again after its Retry-After, and reports a refused item for its recipient only', async () => {
    replies = [
      batchReply([
        ['1', 202],
        ['2', 429, { 'Retry-After': '0' }],
        ['3', 400],
      ]),
      batchReply([['2', 202]]),
    ];
    const deliveries = await mailer().sendAll([to(1), to(2), to(3)]);
    expect(deliveries).toEqual([
      { ok: true, detail: 'accepted by Graph for user1@maa.test' },
      { ok: true, detail: 'accepted by Graph for user2@maa.test (attempt 2)' },
      { ok: false, detail: expect.stringContaining('answered 400 ErrorInvalidRecipients: item failed') },
    ]);
    expect(server.requests.map(batchIds)).toEqual([['1', '2', '3'], ['2']]);
  });

  it('gives up on an item that keeps failing after three rounds, and on every item when the batch itself is refused', async () => {
    replies = [
      batchReply([
        ['1', 202],
        ['2', 503],
      ]),
      batchReply([['2', 503]]),
      batchReply([['2', 503]]),
    ];
    const deliveries = await mailer().sendAll([to(1), to(2)]);
    expect(deliveries[0]).toMatchObject({ ok: true });
    expect(deliveries[1]).toEqual({
      ok: false,
      detail: expect.stringMatching(/^gave up after 3 attempt\(s\): .*answered 503/),
    });
    expect(server.requests).toHaveLength(3);

    server.requests.length = 0;
    replies = [{ status: 403, body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } } }];
    const refused = await mailer().sendAll([to(1), to(2)]);
    expect(refused).toEqual(
      [1, 2].map(() => ({ ok: false, detail: expect.stringContaining('answered 403 ErrorAccessDenied') })),
    );
    expect(server.requests).toHaveLength(1);
  });
  it('does not send a batch again when its outcome is unknown (5xx, timeout, no outcome for an item), but does after a 429', async () => {
    replies = [{ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } }];
    const afterFault = await mailer().sendAll([to(1), to(2)]);
    expect(afterFault).toEqual(
      [1, 2].map(() => ({
        ok: false,
        detail: expect.stringMatching(/^outcome unknown, not sent again: .*answered 503/),
      })),
    );
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    replies = [batchReply([['1', 202]])];
    const partial = await mailer().sendAll([to(1), to(2)]);
    expect(partial).toEqual([
      { ok: true, detail: 'accepted by Graph for user1@maa.test' },
      { ok: false, detail: 'outcome unknown, not sent again: Graph POST /$batch did not answer this mail' },
    ]);
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    replies = [
      { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'slow' } } },
      batchReply([
        ['1', 202],
        ['2', 202],
      ]),
    ];
    expect((await mailer().sendAll([to(1), to(2)])).every((delivery) => delivery.ok)).toBe(true);
    expect(server.requests).toHaveLength(2);

    const slow = await startTestServer(
      () => new Promise<Reply>((resolve) => setTimeout(() => resolve(batchReply([['1', 202]])), 300)),
    );
    try {
      const timingOut = new EmailNotifier(
        new GraphClient({ baseUrl: slow.url, credential, maxRetries: 2, timeoutMs: 50 }),
        'maa-notifications@contoso.com',
      );
      const timedOut = await timingOut.sendAll([to(1), to(2)]);
      expect(timedOut).toEqual(
        [1, 2].map(() => ({ ok: false, detail: expect.stringMatching(/^outcome unknown, not sent again: /) })),
      );
      expect(slow.requests).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('sends the batches of one sender one after another, never two at once', async () => {
    let inFlight = 0;
    let most = 0;
    const graph = await startTestServer(async (request) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight -= 1;
      return batchReply(batchIds(request).map((id) => [id, 202]));
    });
    try {
      const notifier = new EmailNotifier(
        new GraphClient({ baseUrl: graph.url, credential, maxRetries: 2 }),
        'maa-notifications@contoso.com',
      );
      const deliveries = await notifier.sendAll(Array.from({ length: 47 }, (_, index) => to(index)));
      expect(deliveries.every((delivery) => delivery.ok)).toBe(true);
      expect(graph.requests.map((request) => batchIds(request).length)).toEqual([20, 20, 7]);
      expect(most).toBe(1);
    } finally {
      await graph.close();
    }
  });
});
