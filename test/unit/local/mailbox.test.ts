import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalIdentity } from '../../../local/identity/localIdentity';
import { LOCAL_GRAPH_CLIENT, LOCAL_TENANT_ID } from '../../../local/identity/seed';
import { LOCAL_MAILBOX_PATH, LocalMailbox, MAILBOX_LISTED, htmlToText } from '../../../local/mailbox';
import { buildMessage } from '../../../shared/notify/messages';
import { GraphClient } from '../../../shared/identity/graphClient';
import { EmailNotifier, sendMailBody } from '../../../shared/notify/emailChannel';
import { bob, wipe } from '../notify/fixtures';

const origin = 'http://127.0.0.1:7071';
const SENDER = 'maa-notifications@maa.test';
const GROUP = 'a9900000-0000-4000-8000-000000000101';
let dataDir: string;
let time: number;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'maa-mailbox-'));
  time = Date.UTC(2030, 0, 1, 9);
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const request = (method: string, headers: Record<string, string> = {}) =>
  ({ method, headers }) as unknown as IncomingMessage;
const message = buildMessage({
  id: 'n:bob',
  kind: 'submitted',
  at: '2030-01-01T09:00:00.000Z',
  request: wipe(),
  recipient: { ...bob, address: 'bob@maa.test' },
  link: {
    linkId: 'abcdefghijklmnop1234',
    url: `${origin}/api/approvals/v1.local-1.payload.signature`,
    expiresAt: '2030-01-08T09:00:00.000Z',
  },
  apiBaseUrl: origin,
});

describe('the local Graph sendMail and transitive members', () => {
  function setup() {
    const mailbox = new LocalMailbox(dataDir, () => time);
    const identity = new LocalIdentity({
      dataDir,
      now: () => time,
      origin: () => origin,
      mailbox,
      mailSender: () => SENDER,
    });
    const graph = identity.routes().get('/_local/graph/v1.0/*')!;
    const appToken = (roles: string[] = [...LOCAL_GRAPH_CLIENT.roles]) =>
      identity.keys.sign({
        iss: identity.issuer,
        aud: origin,
        idtyp: 'app',
        roles,
        iat: time / 1000,
        nbf: time / 1000,
        exp: time / 1000 + 3600,
        tid: LOCAL_TENANT_ID,
      });
    const call = (method: string, route: string, body: unknown, token = appToken()) => {
      const reply = graph(
        request(method, { authorization: `Bearer ${token}` }),
        new URL(`/_local/graph/v1.0/${route}`, origin),
        Buffer.from(body === undefined ? '' : JSON.stringify(body)),
      );
      const text = reply.body.toString('utf8');
      return { status: reply.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
    };
    return { mailbox, call, appToken };
  }

  it('delivers mail from the configured sender into the mailbox, as text with its links', () => {
    const { mailbox, call } = setup();
    expect(
      call('POST', `users/${encodeURIComponent(SENDER)}/sendMail`, sendMailBody(message, 'bob@maa.test')).status,
    ).toBe(202);
    expect(mailbox.list()).toEqual([
      {
        to: 'bob@maa.test',
        subject: message.subject,
        text: message.text,
        links: [message.link!.url],
        sentAt: '2030-01-01T09:00:00.000Z',
      },
    ]);
  });

  it('refuses other senders, tokens without Mail.Send, and messages without recipients', () => {
    const { mailbox, call, appToken } = setup();
    expect(call('POST', 'users/someone@maa.test/sendMail', sendMailBody(message, 'bob@maa.test'))).toMatchObject({
      status: 404,
      body: { error: { code: 'ErrorInvalidUser' } },
    });
    expect(
      call(
        'POST',
        `users/${SENDER}/sendMail`,
        sendMailBody(message, 'bob@maa.test'),
        appToken(['GroupMember.Read.All']),
      ),
    ).toMatchObject({ status: 403, body: { error: { code: 'Authorization_RequestDenied' } } });
    expect(
      call('POST', `users/${SENDER}/sendMail`, {
        message: { subject: 'x', body: { contentType: 'Text', content: 'x' }, toRecipients: [] },
      }),
    ).toMatchObject({ status: 400, body: { error: { code: 'ErrorInvalidRecipients' } } });
    expect(call('POST', `users/${SENDER}/sendMail`, sendMailBody(message, 'bob@maa.test'), 'not-a-token').status).toBe(
      401,
    );
    expect(mailbox.list()).toEqual([]);
  });

  it('answers a JSON $batch item by item in Graph’s shape, delivering each accepted mail', () => {
    const { mailbox, call, appToken } = setup();
    const item = (id: string, sender: string, body: unknown) => ({
      id,
      method: 'POST',
      url: `/users/${encodeURIComponent(sender)}/sendMail`,
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    const reply = call('POST', '$batch', {
      requests: [
        item('1', SENDER, sendMailBody(message, 'bob@maa.test')),
        item('2', 'someone@maa.test', sendMailBody(message, 'bob@maa.test')),
        item('3', SENDER, sendMailBody(message, 'carol@maa.test')),
        item('4', SENDER, { message: { subject: 'x', body: { contentType: 'Text', content: 'x' }, toRecipients: [] } }),
        { id: '5', method: 'GET', url: 'users/b0b00000-0000-4000-8000-000000000002' },
      ],
    });
    expect(reply.status).toBe(200);
    const responses = reply.body!.responses as { id: string; status: number; headers: object; body?: any }[];
    expect(responses.map(({ id, status }) => [id, status])).toEqual([
      ['1', 202],
      ['2', 404],
      ['3', 202],
      ['4', 400],
      ['5', 200],
    ]);
    expect(responses[0]!.body).toBeUndefined();
    expect(responses[1]!.body).toMatchObject({ error: { code: 'ErrorInvalidUser', message: expect.any(String) } });
    expect(responses[3]!.body).toMatchObject({ error: { code: 'ErrorInvalidRecipients' } });
    expect(responses[4]!.body).toMatchObject({ id: 'b0b00000-0000-4000-8000-000000000002', mail: 'bob@maa.test' });
    for (const response of responses) expect(response.headers).toHaveProperty('request-id');
    expect(
      mailbox
        .list()
        .map((mail) => mail.to)
        .sort(),
    ).toEqual(['bob@maa.test', 'carol@maa.test']);

    // Each item needs the permission on its own, with the batch's token.
    const noMail = call(
      'POST',
      '$batch',
      { requests: [item('1', SENDER, sendMailBody(message, 'x@maa.test'))] },
      appToken(['GroupMember.Read.All']),
    );
    expect(noMail.body!.responses[0]).toMatchObject({
      status: 403,
      body: { error: { code: 'Authorization_RequestDenied' } },
    });
  });

  it('takes the email channel’s batch over HTTP: one $batch call, every mail in the mailbox', async () => {
    const { mailbox, appToken } = setup();
    const route = new LocalIdentity({
      dataDir,
      now: () => time,
      origin: () => origin,
      mailbox,
      mailSender: () => SENDER,
    })
      .routes()
      .get('/_local/graph/v1.0/*')!;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        paths.push(req.url ?? '');
        const reply = route(req, new URL(req.url ?? '/', origin), Buffer.concat(chunks));
        res.writeHead(reply.status, Object.fromEntries(reply.headers));
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const graph = new GraphClient({
        baseUrl: `http://127.0.0.1:${port}/_local/graph`,
        credential: { getToken: async () => ({ token: appToken(), expiresOnTimestamp: time + 3_600_000 }) },
      });
      const notifier = new EmailNotifier(graph, SENDER);
      const to = (name: string) => ({ ...message, recipient: { ...bob, address: `${name}@maa.test` } });
      const deliveries = await Promise.all(['bob', 'carol', 'dave'].map((name) => notifier.send(to(name))));
      expect(deliveries).toEqual(
        ['bob', 'carol', 'dave'].map((name) => ({ ok: true, detail: `accepted by Graph for ${name}@maa.test` })),
      );
      expect(paths).toEqual(['/_local/graph/v1.0/$batch']);
      expect(
        mailbox
          .list()
          .map((mail) => mail.to)
          .sort(),
      ).toEqual(['bob@maa.test', 'carol@maa.test', 'dave@maa.test']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a $batch that is not well formed, larger than 20 requests, or sent without a token, delivering nothing', () => {
    const { mailbox, call } = setup();
    const mail = (id: string) => ({
      id,
      method: 'POST',
      url: `/users/${SENDER}/sendMail`,
      body: sendMailBody(message, 'bob@maa.test'),
    });
    const tooMany = Array.from({ length: 21 }, (_, index) => mail(String(index + 1)));
    expect(call('POST', '$batch', { requests: tooMany })).toMatchObject({
      status: 400,
      body: { error: { code: 'BadRequest' } },
    });
    expect(call('POST', '$batch', { requests: [mail('1'), mail('1')] }).status).toBe(400);
    expect(call('POST', '$batch', { requests: [{ id: '1', url: 'users' }] }).status).toBe(400);
    expect(call('POST', '$batch', {}).status).toBe(400);
    expect(call('POST', '$batch', { requests: [mail('1')] }, 'not-a-token').status).toBe(401);
    expect(
      call('POST', '$batch', { requests: [{ id: '1', method: 'POST', url: '/$batch', body: {} }] }).body!.responses[0]
        .status,
    ).toBe(400);
    expect(mailbox.list()).toEqual([]);
  });

  it('lists a group’s transitive users with $select, paging with @odata.nextLink', () => {
    const { call } = setup();
    const first = call(
      'GET',
      `groups/${GROUP}/transitiveMembers/microsoft.graph.user?$select=id,mail&$top=1`,
      undefined,
    );
    expect(first.status).toBe(200);
    expect(first.body!.value).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: 'b0b00000-0000-4000-8000-000000000002', mail: 'bob@maa.test' },
    ]);
    const next = new URL(first.body!['@odata.nextLink'] as string);
    const second = call('GET', `${next.pathname.slice('/_local/graph/v1.0/'.length)}${next.search}`, undefined);
    expect(second.body!.value).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: 'ca401000-0000-4000-8000-000000000003', mail: 'carol@maa.test' },
    ]);
    expect(second.body!['@odata.nextLink']).toBeUndefined();
    expect(
      call('GET', `groups/${GROUP.replace('101', '999')}/transitiveMembers/microsoft.graph.user`, undefined),
    ).toMatchObject({ status: 404, body: { error: { code: 'Request_ResourceNotFound' } } });
  });
});

describe('the local mailbox', () => {
  it('keeps mail across restarts, newest first, and empties on DELETE', () => {
    const mailbox = new LocalMailbox(dataDir, () => time);
    mailbox.deliver({
      to: ['bob@maa.test'],
      subject: 'first',
      contentType: 'text',
      content: 'see http://127.0.0.1:7071/a',
    });
    time += 1000;
    mailbox.deliver({
      to: ['carol@maa.test', 'dave@maa.test'],
      subject: 'second',
      contentType: 'html',
      content: message.html,
    });
    const again = new LocalMailbox(dataDir, () => time);
    expect(again.list().map((item) => [item.subject, item.to, item.sentAt])).toEqual([
      ['second', 'carol@maa.test, dave@maa.test', '2030-01-01T09:00:01.000Z'],
      ['first', 'bob@maa.test', '2030-01-01T09:00:00.000Z'],
    ]);
    expect(again.list()[1]!.links).toEqual(['http://127.0.0.1:7071/a']);

    const route = again.route();
    const json = route(
      request('GET', { accept: 'application/json' }),
      new URL(LOCAL_MAILBOX_PATH, origin),
      Buffer.alloc(0),
    );
    expect(JSON.parse(json.body.toString('utf8'))).toEqual({ items: again.list() });
    expect(Object.keys((JSON.parse(json.body.toString('utf8')) as { items: object[] }).items[0]!).sort()).toEqual([
      'links',
      'sentAt',
      'subject',
      'text',
      'to',
    ]);

    expect(route(request('DELETE'), new URL(LOCAL_MAILBOX_PATH, origin), Buffer.alloc(0)).status).toBe(204);
    expect(new LocalMailbox(dataDir, () => time).list()).toEqual([]);
    expect(route(request('POST'), new URL(LOCAL_MAILBOX_PATH, origin), Buffer.alloc(0)).status).toBe(405);
  });

  it('lists (and holds) only the newest mails, before and after a restart, while the file keeps them all', () => {
    const own = mkdtempSync(path.join(tmpdir(), 'maa-mailbox-cap-'));
    try {
      const mailbox = new LocalMailbox(own, () => time);
      const total = MAILBOX_LISTED * 2 + 50;
      for (let n = 0; n < total; n++)
        mailbox.deliver({ to: ['bob@maa.test'], subject: `mail ${n}`, contentType: 'text', content: `number ${n}` });
      const subjects = (listed: { subject: string }[]) => listed.map((item) => item.subject);
      const newest = Array.from({ length: MAILBOX_LISTED }, (_, i) => `mail ${total - 1 - i}`);
      expect(subjects(mailbox.list())).toEqual(newest);
      expect(subjects(new LocalMailbox(own, () => time).list())).toEqual(newest);
      expect(
        readFileSync(path.join(own, 'local-mail', 'mailbox.jsonl'), 'utf8')
          .trimEnd()
          .split('\n'),
      ).toHaveLength(total);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('reads only the tail of a large mailbox file at start-up, keeping multi-byte text whole across chunk edges', () => {
    const own = mkdtempSync(path.join(tmpdir(), 'maa-mailbox-tail-'));
    try {
      const mailbox = new LocalMailbox(own, () => time);
      // About 1.5 KB a mail, mostly multi-byte characters: the 3000 mails span many read chunks.
      const total = 3000;
      const body = (n: number) => `${n} ${'wörld ✓ ü€ '.repeat(100)}`;
      for (let n = 0; n < total; n++)
        mailbox.deliver({ to: ['bob@maa.test'], subject: `mail ${n}`, contentType: 'text', content: body(n) });
      const listed = new LocalMailbox(own, () => time).list();
      expect(listed.map((item) => item.subject)).toEqual(
        Array.from({ length: MAILBOX_LISTED }, (_, i) => `mail ${total - 1 - i}`),
      );
      expect(listed.every((item) => item.text === body(Number(item.subject.slice(5))))).toBe(true);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('renders an HTML page with escaped text, clickable links and a strict CSP', () => {
    const mailbox = new LocalMailbox(dataDir, () => time);
    mailbox.deliver({
      to: ['bob@maa.test'],
      subject: '<script>alert(1)</script>',
      contentType: 'html',
      content: message.html,
    });
    const page = mailbox.route()(
      request('GET', { accept: 'text/html' }),
      new URL(LOCAL_MAILBOX_PATH, origin),
      Buffer.alloc(0),
    );
    const headers = Object.fromEntries(page.headers);
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    expect(headers['referrer-policy']).toBe('no-referrer');
    const html = page.body.toString('utf8');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain(`<a href="${message.link!.url}" rel="noreferrer noopener">${message.link!.url}</a>`);
    expect(html).not.toMatch(/<(link|img|script)\b|src=/);
  });

  it('turns simple HTML into text', () => {
    expect(
      htmlToText(
        '<html><head><title>t</title></head><body><p>One &amp; two</p><p>Three<br>four &#8212; &lt;5&gt;</p></body></html>',
      ),
    ).toBe('One & two\n\nThree\nfour — <5>');
  });
});
