import { makeNotify, type NotifyDeps } from '../../../orchestrations/activities/notify';
import type { NotifyInput } from '../../../orchestrations/contracts';
import type { DirectoryUser } from '../../../shared/identity/directory';
import { IdentityUnavailableError } from '../../../shared/identity/errors';
import { parseLinkKey, verifyLinkToken } from '../../../shared/links/linkToken';
import type { LinksConfig } from '../../../shared/links/settings';
import type { NotificationMessage } from '../../../shared/notify/messages';
import type { Delivery, Notifier } from '../../../shared/notify/notifier';
import { GROUP, NESTED, alice, bob, carol, decide, wipe } from './fixtures';

const links: LinksConfig = {
  keys: [parseLinkKey(`k1:${Buffer.alloc(32, 7).toString('base64')}`)],
  ttlSeconds: 7 * 86_400,
  publicBaseUrl: 'https://maa.contoso.com',
  allowLinkOnly: false,
  platformAuth: false,
};
const users: Record<string, DirectoryUser> = {
  alice: { id: alice.id, displayName: 'Alice', userPrincipalName: 'alice@contoso.com' },
  bob: { id: bob.id, displayName: 'Bob', mail: 'bob.smith@contoso.com', userPrincipalName: 'bob@contoso.com' },
  carol: { id: carol.id, displayName: 'Carol' },
};

/** A notifier that records what it was given and answers as told. */
class Recorder implements Notifier {
  readonly sent: NotificationMessage[] = [];
  constructor(
    readonly channel: Notifier['channel'],
    private readonly answer: (message: NotificationMessage) => Delivery | Promise<Delivery> = () => ({
      ok: true,
      detail: 'answered 202',
    }),
  ) {}
  async send(message: NotificationMessage): Promise<Delivery> {
    this.sent.push(message);
    return this.answer(message);
  }
}

function deps(notifiers: Notifier[], overrides: Partial<NotifyDeps> = {}): NotifyDeps {
  return {
    // The group holds alice (the initiator), bob and carol; a nested group holds bob again.
    directory: {
      usersInGroup: async (groupId) =>
        groupId === GROUP ? [users.alice!, users.bob!, users.carol!] : groupId === NESTED ? [users.bob!] : [],
      findUser: async (id) => Object.values(users).find((user) => user.id === id),
    },
    notifiers,
    links,
    ...overrides,
  };
}

const input = (overrides: Partial<NotifyInput> = {}): NotifyInput => ({
  kind: 'submitted',
  request: wipe(),
  notificationId: '6c1f4a52-0000-4000-8000-000000000009',
  at: '2026-01-01T09:00:01.000Z',
  ...overrides,
});

describe('the notify activity', () => {
  it('gives every approver but the initiator their own link on every channel, and reports each outcome', async () => {
    const email = new Recorder('email');
    const webhook = new Recorder('webhook', (message) =>
      message.recipient.id === carol.id
        ? { ok: false, detail: 'gave up after 3 attempt(s): answered 500' }
        : { ok: true, detail: 'answered 202' },
    );
    const request = { ...wipe(), policy: { ...wipe().policy, approverGroupIds: [GROUP, NESTED] } };
    const output = await makeNotify(deps([email, webhook]))(input({ request }));

    expect(email.sent.map((message) => [message.recipient, message.id])).toEqual([
      [
        { id: bob.id, displayName: 'Bob', address: 'bob.smith@contoso.com' },
        `6c1f4a52-0000-4000-8000-000000000009:${bob.id}`,
      ],
      [{ id: carol.id, displayName: 'Carol' }, `6c1f4a52-0000-4000-8000-000000000009:${carol.id}`],
    ]);
    const [bobs, carols] = email.sent as [NotificationMessage, NotificationMessage];
    expect(bobs.link!.linkId).not.toBe(carols.link!.linkId);
    for (const [message, approver] of [
      [bobs, bob],
      [carols, carol],
    ] as const) {
      const token = message.link!.url.slice('https://maa.contoso.com/api/approvals/'.length);
      const verdict = verifyLinkToken(links.keys, token, Date.parse('2026-01-01T09:00:02Z') / 1000);
      expect(verdict).toEqual({
        ok: true,
        claims: {
          requestId: request.id,
          approverId: approver.id,
          operationHash: request.operationHash,
          linkId: message.link!.linkId,
          issuedAt: Date.parse('2026-01-01T09:00:01Z') / 1000,
          expiresAt: Date.parse('2026-01-08T09:00:01Z') / 1000,
        },
      });
      expect(message.link!.expiresAt).toBe('2026-01-08T09:00:01.000Z');
    }
    expect(output).toEqual({
      outcomes: [
        {
          channel: 'email',
          recipient: { id: bob.id, displayName: 'Bob' },
          address: 'bob.smith@contoso.com',
          ok: true,
          detail: 'answered 202',
          linkId: bobs.link!.linkId,
          linkExpiresAt: bobs.link!.expiresAt,
        },
        {
          channel: 'webhook',
          recipient: { id: bob.id, displayName: 'Bob' },
          ok: true,
          detail: 'answered 202',
          linkId: bobs.link!.linkId,
          linkExpiresAt: bobs.link!.expiresAt,
        },
        {
          channel: 'email',
          recipient: { id: carol.id, displayName: 'Carol' },
          ok: true,
          detail: 'answered 202',
          linkId: carols.link!.linkId,
          linkExpiresAt: carols.link!.expiresAt,
        },
        {
          channel: 'webhook',
          recipient: { id: carol.id, displayName: 'Carol' },
          ok: false,
          detail: 'gave up after 3 attempt(s): answered 500',
          linkId: carols.link!.linkId,
          linkExpiresAt: carols.link!.expiresAt,
        },
      ],
      problems: [],
    });
  });

  it('sends the same ids and the same links when it runs again with the same input (at-least-once delivery)', async () => {
    const first = new Recorder('webhook');
    const again = new Recorder('webhook');
    await makeNotify(deps([first]))(input());
    await makeNotify(deps([again]))(input());
    expect(again.sent.map((message) => [message.id, message.link])).toEqual(
      first.sent.map((message) => [message.id, message.link]),
    );
    const other = new Recorder('webhook');
    await makeNotify(deps([other]))(input({ notificationId: '6c1f4a52-0000-4000-8000-00000000000a' }));
    expect(other.sent[0]!.link!.linkId).not.toBe(first.sent[0]!.link!.linkId);
  });

  it('cuts a link to the request’s own expiry', async () => {
    const email = new Recorder('email');
    await makeNotify(deps([email]))(input({ kind: 'reminder', at: '2026-01-30T09:00:00.000Z' }));
    expect(email.sent[0]!.link!.expiresAt).toBe('2026-01-31T09:00:00.000Z');
  });

  it('reminds only the approvers who have not decided', async () => {
    const email = new Recorder('email');
    await makeNotify(deps([email]))(input({ kind: 'reminder', request: decide(wipe(), bob, 'approve').request }));
    expect(email.sent.map((message) => [message.kind, message.recipient.id])).toEqual([['reminder', carol.id]]);
  });

  it('tells the initiator at their mail address, else their user principal name, without a link', async () => {
    const email = new Recorder('email');
    await makeNotify(deps([email]))(
      input({ kind: 'approved', request: decide(wipe(1), carol, 'approve', 'ok').request }),
    );
    expect(email.sent.map((message) => [message.recipient, message.link])).toEqual([
      [{ ...alice, address: 'alice@contoso.com' }, undefined],
    ]);
  });

  it('tells the approvers who have not decided that a request closed short of its approvals needs nothing more from them', async () => {
    const email = new Recorder('email');
    await makeNotify(deps([email]))(
      input({ kind: 'rejected', request: decide(wipe(), carol, 'reject', 'no').request }),
    );
    // Carol rejected it: alice hears why, bob that he need not decide; nobody gets a link.
    expect(email.sent.map((message) => [message.recipient.displayName, message.subject, message.link])).toEqual([
      ['Alice', 'Rejected: wipe managedDevice laptop-42', undefined],
      ['Bob', 'No action needed: wipe managedDevice laptop-42 (rejected)', undefined],
    ]);
    expect(email.sent[1]!.text).toContain(
      "Alice's request to wipe managedDevice laptop-42 was rejected by Carol; nothing will be executed.",
    );

    // Once the quorum is reached, a cancellation is the initiator's business alone.
    const quiet = new Recorder('email');
    const approved = decide(wipe(1), carol, 'approve', 'ok').request;
    await makeNotify(deps([quiet]))(input({ kind: 'cancelled', request: { ...approved, status: 'cancelled' } }));
    expect(quiet.sent.map((message) => message.recipient.displayName)).toEqual(['Alice']);
  });

  it('tells approvers how to use the API when links are off', async () => {
    const email = new Recorder('email');
    const output = await makeNotify(deps([email], { links: undefined }))(input());
    expect(email.sent[0]!.text).toContain(`POST /api/requests/${wipe().id}/approve`);
    expect(output.outcomes.every((outcome) => outcome.linkId === undefined)).toBe(true);
  });

  it('reports a directory failure as a problem instead of throwing, and does nothing without channels', async () => {
    const email = new Recorder('email');
    const down = new IdentityUnavailableError(
      'graph_unavailable',
      'Graph GET https://graph.microsoft.com/v1.0/groups/x answered 503 ServiceUnavailable: later',
    );
    const failing = deps([email], {
      directory: { usersInGroup: () => Promise.reject(down), findUser: () => Promise.reject(down) },
    });
    await expect(makeNotify(failing)(input())).resolves.toEqual({
      outcomes: [],
      problems: [
        'the recipients could not be read from the directory: Graph GET https://graph.microsoft.com/v1.0/groups/x answered 503 ServiceUnavailable: later',
      ],
    });
    expect(email.sent).toEqual([]);
    await expect(makeNotify(deps([], { directory: failing.directory }))(input())).resolves.toEqual({
      outcomes: [],
      problems: [],
    });
  });
});
