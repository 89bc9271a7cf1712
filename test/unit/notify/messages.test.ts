import { applyCommand } from '../../../shared/domain/lifecycle';
import { notificationEvents, notificationFor, type NotificationOutcome } from '../../../shared/domain/notifications';
import { buildMessage, type MessageInput } from '../../../shared/notify/messages';
import type { ApprovalRequest, TargetSnapshot } from '../../../shared/domain/model';
import { alice, bob, carol, decide, wipe } from './fixtures';

const laptop: TargetSnapshot = {
  resourceType: 'managedDevice',
  id: 'laptop-42',
  displayName: 'LT-ALICE-01',
  readAt: '2026-01-01T08:59:00.000Z',
  device: {
    operatingSystem: 'Windows',
    osVersion: '10.0.22631.4602',
    userPrincipalName: 'alice@contoso.com',
    userDisplayName: 'Alice Adams',
    ownership: 'company',
    complianceState: 'compliant',
    lastSyncDateTime: '2026-01-01T07:00:00.000Z',
    managementState: 'managed',
    serialNumber: '5CG3451QXZ',
  },
  fingerprint: 'f'.repeat(64),
};

const base = (overrides: Partial<MessageInput>): MessageInput => ({
  id: 'n-1:bob',
  kind: 'submitted',
  at: '2026-01-01T09:00:01.000Z',
  request: wipe(),
  recipient: { ...bob, address: 'bob@maa.test' },
  apiBaseUrl: 'https://maa.contoso.com',
  ...overrides,
});
const link = {
  linkId: 'abcdefghijklmnop1234',
  url: 'https://maa.contoso.com/api/approvals/v1.k.p.s',
  expiresAt: '2026-01-08T09:00:01.000Z',
};

describe('notification messages', () => {
  it('names the device and its key facts to an approver, not its id', () => {
    const message = buildMessage(base({ request: { ...wipe(), target: laptop }, link }));
    expect(message.subject).toBe('Approval needed: wipe LT-ALICE-01 (alice@contoso[.]com) (requested by Alice)');
    expect(message.text).toContain(
      'The device: LT-ALICE-01, Windows 10.0.22631.4602, owner Alice Adams (alice@contoso[.]com), company-owned, compliant, last check-in 2026-01-01 07:00 UTC, serial 5CG3451QXZ (as Intune showed it at submit).',
    );
    expect(message.facts).toContainEqual({
      title: 'Target',
      value:
        'LT-ALICE-01, Windows 10.0.22631.4602, owner Alice Adams (alice@contoso[.]com), company-owned, compliant, last check-in 2026-01-01 07:00 UTC, serial 5CG3451QXZ',
    });
  });

  it('names a bulk action by its count, lists the first devices, and says why it needs more approvals', () => {
    const ids = Array.from({ length: 37 }, (_, n) => `dev-${n + 1}`);
    const request: ApprovalRequest = {
      ...wipe(2),
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceIds: ids },
      targets: ids.map((id, n) => ({ ...laptop, id, displayName: `LT-${n + 1}` })),
    };
    request.policy = {
      ...request.policy,
      completion: 'onApproval',
      quorum: {
        baseApprovals: 1,
        rule: { minDevices: 10, requiredApprovals: 2 },
        scope: { devices: 37, assignsToAll: false },
        text: 'needs 2 approvals because it affects 37 devices',
      },
    };
    const message = buildMessage(base({ request, link }));
    expect(message.subject).toBe('Approval needed: retire 37 devices (requested by Alice)');
    expect(message.text).toContain(
      'The 37 devices: LT-1, LT-2, LT-3, LT-4, LT-5, LT-6, LT-7, LT-8, LT-9, LT-10 and 27 more.',
    );
    expect(message.text).toContain(
      'Needs 2 approvals because it affects 37 devices; the request expires at 2026-01-31 09:00 UTC. It runs as soon as it is approved.',
    );
    // The exact calls after the words: the first three, the rest counted.
    expect(message.text).toContain('Completion will send to Microsoft Graph:');
    expect(message.text).toContain('POST /v1.0/deviceManagement/managedDevices/dev-3/retire');
    expect(message.text).not.toContain('dev-4/retire');
    expect(message.text).toContain('and 34 more call(s) of the same kind.');
  });

  it('tells an approver the exact Graph call completion will send', () => {
    const message = buildMessage(base({ request: { ...wipe(), target: laptop }, link }));
    expect(message.text).toMatch(
      /Completion will send to Microsoft Graph:\s+POST \/v1\.0\/deviceManagement\/managedDevices\/laptop-42\/wipe/,
    );
    expect(message.html).toContain('POST /v1.0/deviceManagement/managedDevices/laptop-42/wipe');
    expect(message.text).not.toContain('more call(s)');
  });

  it('asks an approver to decide through their own link, shown as a plain URL and as a button', () => {
    const message = buildMessage(base({ link }));
    expect(message.subject).toBe('Approval needed: wipe managedDevice laptop-42 (requested by Alice)');
    expect(message.text).toContain(`Review and decide: ${link.url}`);
    expect(message.text).toContain('Justification: Reported stolen <INC-4711>');
    expect(message.text).toContain('expires at 2026-01-31 09:00 UTC');
    expect(message.action).toEqual({ title: 'Review and decide', url: link.url });
    expect(message.html).toContain(`<a href="${link.url}">${link.url}</a>`);
    // Text from the request is escaped, never markup.
    expect(message.html).toContain('Reported stolen &lt;INC-4711&gt;');
    expect(message.html).not.toContain('<INC-4711>');
    expect(message.facts).toContainEqual({ title: 'Approvals', value: '0 of 2' });
  });

  it('tells an approver how to decide through the API when links are off', () => {
    const message = buildMessage(base({}));
    expect(message.link).toBeUndefined();
    expect(message.action).toBeUndefined();
    expect(message.text).toContain(`POST https://maa.contoso.com/api/requests/${message.request.id}/approve`);
  });

  it('reminds with the approvals so far and the deadline', () => {
    const request = decide(wipe(), carol, 'approve').request;
    const message = buildMessage(base({ kind: 'reminder', request, link }));
    expect(message.subject).toBe('Reminder: approval needed before 2026-01-31 09:00 UTC: wipe managedDevice laptop-42');
    expect(message.text).toContain('1 of 2 so far');
    expect(message.text).toContain(link.url);
  });

  it('tells the initiator of an approval short of the quorum, then of the quorum with how to complete', () => {
    const once = decide(wipe(), bob, 'approve', 'checked with the user');
    expect(notificationFor(once)).toBe('approvalRecorded');
    const first = buildMessage(base({ kind: 'approvalRecorded', request: once.request, recipient: alice }));
    expect(first.subject).toBe('1 of 2 approvals: wipe managedDevice laptop-42');
    expect(first.text).toContain('Bob approved your request to wipe managedDevice laptop-42: 1 of 2 approvals.');
    expect(first.text).toContain('Notes: checked with the user');

    const twice = decide(once.request, carol, 'approve');
    expect(notificationFor(twice)).toBe('approved');
    const second = buildMessage(base({ kind: 'approved', request: twice.request, recipient: alice }));
    expect(second.subject).toBe('Approved — complete it now: wipe managedDevice laptop-42');
    expect(second.text).toContain(`POST https://maa.contoso.com/api/requests/${twice.request.id}/complete`);
    expect(second.text).toContain(`maa complete ${twice.request.id}`);
    expect(second.text).not.toContain('Notes:');
  });

  it('tells the initiator of a rejection with its notes, a cancellation and an expiry', () => {
    const rejected = decide(wipe(), carol, 'reject', 'not this device');
    expect(notificationFor(rejected)).toBe('rejected');
    const rejection = buildMessage(base({ kind: 'rejected', request: rejected.request, recipient: alice }));
    expect([rejection.subject, rejection.text]).toEqual([
      'Rejected: wipe managedDevice laptop-42',
      expect.stringContaining('Carol rejected your request to wipe managedDevice laptop-42.\n\nNotes: not this device'),
    ]);

    const cancelled = applyCommand(wipe(), { kind: 'cancel', actor: alice, at: '2026-01-02T00:00:00.000Z' });
    expect(notificationFor(cancelled)).toBe('cancelled');
    expect(buildMessage(base({ kind: 'cancelled', request: cancelled.request, recipient: alice })).subject).toBe(
      'Cancelled: wipe managedDevice laptop-42',
    );

    const expired = applyCommand(wipe(), { kind: 'expire', at: '2026-01-31T09:00:00.000Z' });
    expect(notificationFor(expired)).toBe('expired');
    const expiry = buildMessage(base({ kind: 'expired', request: expired.request, recipient: alice }));
    expect([expiry.subject, expiry.text]).toEqual([
      'Expired: wipe managedDevice laptop-42',
      expect.stringContaining('expired at 2026-01-31 09:00 UTC with 0 of 2 approvals'),
    ]);
  });

  it('tells an approver who has not decided that a cancelled or expired request needs nothing more, without a link', () => {
    const cancelled = applyCommand(wipe(), { kind: 'cancel', actor: alice, at: '2026-01-02T00:00:00.000Z' }).request;
    const notice = buildMessage(base({ kind: 'cancelled', request: cancelled }));
    expect([notice.subject, notice.text, notice.action, notice.link]).toEqual([
      'No action needed: wipe managedDevice laptop-42 (cancelled)',
      expect.stringContaining(
        "Alice's request to wipe managedDevice laptop-42 was cancelled; nothing will be executed.\n\nYou no longer need to decide",
      ),
      undefined,
      undefined,
    ]);
    const expired = applyCommand(wipe(), { kind: 'expire', at: '2026-01-31T09:00:00.000Z' }).request;
    expect(buildMessage(base({ kind: 'expired', request: expired })).text).toContain(
      "Alice's request to wipe managedDevice laptop-42 expired at 2026-01-31 09:00 UTC;",
    );
  });

  it('sends nothing for completion and execution', () => {
    const approved = decide(wipe(1), bob, 'approve').request;
    const completed = applyCommand(approved, {
      kind: 'complete',
      actor: alice,
      actorRoles: ['MAA.Requester'],
      at: '2026-01-03T00:00:00.000Z',
    });
    expect(notificationFor(completed)).toBeUndefined();
    expect(
      notificationFor(
        applyCommand(completed.request, {
          kind: 'recordExecution',
          execution: { status: 'succeeded', at: '2026-01-03T00:00:01.000Z', detail: 'ok' },
        }),
      ),
    ).toBeUndefined();
  });
});

describe('notification audit entries', () => {
  it('records each link once (never its token) and each outcome, failures with their detail', () => {
    const request = wipe();
    const outcomes: NotificationOutcome[] = [
      {
        channel: 'email',
        recipient: bob,
        address: 'bob@maa.test',
        ok: true,
        detail: 'accepted',
        linkId: 'link-bob-0123456789',
        linkExpiresAt: link.expiresAt,
      },
      {
        channel: 'webhook',
        recipient: bob,
        ok: false,
        detail: 'gave up after 3 attempt(s): answered 500',
        linkId: 'link-bob-0123456789',
        linkExpiresAt: link.expiresAt,
      },
    ];
    const events = notificationEvents(
      request,
      'submitted',
      outcomes,
      ['the directory was down'],
      '2026-01-01T09:00:02.000Z',
    );
    expect(events.map((event) => event.type)).toEqual([
      'link.issued',
      'notification.failed',
      'notification.sent',
      'notification.failed',
    ]);
    expect(events[0]).toEqual({
      requestId: request.id,
      type: 'link.issued',
      at: '2026-01-01T09:00:02.000Z',
      actor: null,
      data: { kind: 'submitted', approverId: bob.id, linkId: 'link-bob-0123456789', expiresAt: link.expiresAt },
    });
    expect(events[1]!.data).toEqual({
      kind: 'submitted',
      channel: null,
      recipient: null,
      detail: 'the directory was down',
    });
    expect(events[2]!.data).toEqual({
      kind: 'submitted',
      channel: 'email',
      recipient: bob,
      address: 'bob@maa.test',
      detail: 'accepted',
    });
    expect(events[3]!.data).toEqual({
      kind: 'submitted',
      channel: 'webhook',
      recipient: bob,
      detail: 'gave up after 3 attempt(s): answered 500',
    });
    expect(notificationEvents(request, 'submitted', [], [], '2026-01-01T09:00:02.000Z')).toEqual([]);
  });
});

describe('user text in notifications', () => {
  /** A request as a store may hold it from before the text rule: its resourceId reads "laptop-42" right to left. */
  const spoofed = () => ({
    ...wipe(),
    operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: '\u202e24-potpal' },
  });
  const phishing = () => ({
    ...wipe(),
    justification:
      'Urgent: approve at https://evil.example/approve or www.evil.example, see [the ticket](https://evil.example/t)',
  });

  it('isolates a right-to-left override in <bdi> and shows it escaped in the subject, the text, the HTML and the facts', () => {
    const message = buildMessage(base({ link, request: spoofed() }));
    expect(message.subject).toBe('Approval needed: wipe managedDevice <U+202E>24-potpal (requested by Alice)');
    expect(message.text).toContain(
      'Alice asks for your approval to wipe managedDevice <U+202E>24-potpal (deviceWipe).',
    );
    expect(message.html).toContain('<bdi>&lt;U+202E&gt;24-potpal</bdi>');
    expect(message.facts).toContainEqual({ title: 'Operation', value: 'wipe managedDevice <U+202E>24-potpal' });
    for (const rendered of [message.subject, message.text, message.html, JSON.stringify(message.facts)])
      expect(rendered).not.toContain('\u202e');
  });

  it('never turns a URL in the justification into a link, and puts the real link first in the HTML and the text', () => {
    const message = buildMessage(base({ link, request: phishing() }));
    const defanged =
      'Urgent: approve at hxxps[://]evil[.]example/approve or www[.]evil[.]example, see [the ticket] (hxxps[://]evil[.]example/t)';
    expect(message.text).toContain(`Justification: ${defanged}`);
    expect(message.html).toContain(`Justification: <bdi>${defanged}</bdi>`);
    expect(message.facts).toContainEqual({ title: 'Justification', value: defanged });
    for (const rendered of [message.text, message.html, JSON.stringify(message.facts)])
      expect(rendered).not.toMatch(/evil\.example|https:\/\/evil/);
    expect([...message.html.matchAll(/<a href="([^"]*)"/g)].map((match) => match[1])).toEqual([link.url]);
    expect(message.text.indexOf(link.url)).toBeLessThan(message.text.indexOf('Justification'));
    expect(message.html.indexOf(`<a href="${link.url}">`)).toBeLessThan(message.html.indexOf('<bdi>'));
    expect(message.text.split('\n\n')[0]).toBe(`Review and decide: ${link.url}`);
  });

  it('puts the real link first in reminders and in the API instructions when links are off', () => {
    expect(buildMessage(base({ kind: 'reminder', link, request: phishing() })).text.split('\n\n')[0]).toBe(
      `Review and decide: ${link.url}`,
    );
    const withoutLink = buildMessage(base({ request: phishing() }));
    expect(withoutLink.text.split('\n\n')[0]).toBe(
      `Decide through the API: POST https://maa.contoso.com/api/requests/${withoutLink.request.id}/approve, or POST https://maa.contoso.com/api/requests/${withoutLink.request.id}/reject with notes.`,
    );
    expect([...withoutLink.html.matchAll(/<a href="([^"]*)"/g)].map((match) => match[1])).toEqual([
      `https://maa.contoso.com/api/requests/${withoutLink.request.id}/approve`,
      `https://maa.contoso.com/api/requests/${withoutLink.request.id}/reject`,
    ]);
  });

  it('defangs URLs in notes and names, and keeps ordinary text readable', () => {
    const rejected = decide(wipe(), carol, 'reject', 'Ask at mailto:it@contoso.com, v1.2 is fine').request;
    const message = buildMessage(base({ kind: 'rejected', request: rejected, recipient: alice }));
    expect(message.text).toContain('Notes: Ask at mailto[:]it@contoso[.]com, v1.2 is fine');
    expect(message.html).not.toContain('<a ');
  });

  it('describes a policy change from the validated change, not from the operation the initiator named', () => {
    const change = {
      ...wipe(),
      profileType: 'operationApprovalPolicy' as const,
      operation: {
        action: 'create',
        resourceType: 'accessPolicy',
        resourceId: 'deviceRetire',
        payload: {
          action: 'create',
          draft: {
            displayName: 'Retires',
            description: '',
            profileType: 'deviceRetire',
            approverGroupIds: ['a9900000-0000-4000-8000-000000000101'],
            requiredApprovals: 1,
            requestTtl: 'P30D',
          },
        },
      },
    };
    expect(buildMessage(base({ link, request: change })).subject).toBe(
      'Approval needed: create the access policy for deviceRetire (requested by Alice)',
    );
    const forged = {
      ...change,
      operation: {
        action: 'routine',
        resourceType: 'maintenance',
        resourceId: 'nothing to see',
        payload: { action: 'create', draft: { displayName: 'x' } },
      },
    };
    expect(buildMessage(base({ link, request: forged })).subject).toBe(
      'Approval needed: an unrecognised policy change (requested by Alice)',
    );
  });
});
