import { linkDecisionFormSchema } from '../../../shared/api/schemas';
import type { ApprovalRequest, TargetSnapshot } from '../../../shared/domain/model';
import { outcomePage, reviewPage } from '../../../shared/links/views';
import type { Freshness } from '../../../shared/views/change';
import { bob, carol, wipe } from '../notify/fixtures';

// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u202e\u2066\u2069\u200b\u0000]/;
const claims = {
  requestId: 'r',
  approverId: bob.id,
  operationHash: 'h',
  linkId: 'l',
  issuedAt: 1_767_258_000,
  expiresAt: 1_767_862_800,
};
const form = { action: '/api/approvals/t', csrf: 'c', actor: bob };

/** A request as a store may hold it from before the text rule. */
function spoofed(): ApprovalRequest {
  const request = wipe();
  return {
    ...request,
    operation: {
      action: 'wipe',
      resourceType: 'managedDevice',
      resourceId: '\u202e24-potpal',
      payload: { note: 'keep \u202eatad' },
    },
    justification: 'See https://evil.example/approve \u2066now\u2069',
    initiator: { ...request.initiator, displayName: 'Alice\u200b' },
    decisions: [
      {
        approver: { ...carol, displayName: 'Carol\u202e' },
        decision: 'approve',
        notes: 'ok\u0000',
        at: '2026-01-02T10:00:00.000Z',
        source: 'api',
      },
    ],
  };
}

describe('the review page', () => {
  it('isolates every piece of user text in <bdi> and shows what a bidi override or invisible character hides', () => {
    const page = reviewPage(spoofed(), claims, form);
    expect(page).not.toMatch(HIDDEN);
    expect(page).toContain(
      '<h1>Approve or reject: <bdi>wipe</bdi> <bdi>managedDevice</bdi> <bdi>&#60;U+202E&#62;24-potpal</bdi></h1>',
    );
    expect(page).toContain('<title>Approve or reject: wipe managedDevice &#60;U+202E&#62;24-potpal</title>');
    expect(page).toContain('<dt>Resource id</dt><dd><bdi>&#60;U+202E&#62;24-potpal</bdi></dd>');
    expect(page).toContain(
      '<dt>Justification</dt><dd><bdi>See https://evil.example/approve &#60;U+2066&#62;now&#60;U+2069&#62;</bdi></dd>',
    );
    expect(page).toContain('<bdi>Alice&#60;U+200B&#62;</bdi> asks');
    expect(page).toContain('<strong><bdi>Carol&#60;U+202E&#62;</bdi></strong> approved');
    expect(page).toContain('“<bdi>ok&#60;U+0000&#62;</bdi>”');
    expect(page).toContain('keep &#60;U+202E&#62;atad');
    expect(outcomePage(spoofed(), claims, undefined)).not.toMatch(HIDDEN);
  });

  it('turns no user text into a link', () => {
    expect(reviewPage(spoofed(), claims, form)).not.toContain('<a ');
  });

  it('titles a policy change from the validated change', () => {
    const request = wipe();
    const change: ApprovalRequest = {
      ...request,
      profileType: 'operationApprovalPolicy',
      operation: {
        action: 'delete',
        resourceType: 'accessPolicy',
        resourceId: 'deviceWipe',
        payload: { action: 'delete', policyId: 'pol-1' },
      },
    };
    expect(reviewPage(change, claims, form)).toContain(
      '<h1>Approve or reject: delete the access policy <bdi>pol-1</bdi> of deviceWipe</h1>',
    );
  });
});

describe('the review form', () => {
  it.each([
    ['a NUL', '\u0000'],
    ['a right-to-left override', 'fine \u202eon'],
  ])('refuses notes with %s', (_name, notes) => {
    expect(linkDecisionFormSchema.safeParse({ decision: 'reject', notes, csrf: 'c' }).success).toBe(false);
  });

  it('accepts notes in any script, trimmed', () => {
    expect(linkDecisionFormSchema.parse({ decision: 'reject', notes: ' לא מאושר ', csrf: 'c' }).notes).toBe('לא מאושר');
  });
});

describe('what the review page says will change', () => {
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
      complianceState: 'noncompliant',
      lastSyncDateTime: '2026-01-01T07:00:00.000Z',
      managementState: 'managed',
      model: 'Latitude 7440',
      manufacturer: 'Dell Inc.',
      serialNumber: '5CG3451QXZ',
    },
    fingerprint: 'f'.repeat(64),
  };
  const text = (page: string) =>
    page
      .replace(/<\/(dt|th|td|li|p|h\d)>/g, ' ')
      .replace(/<[^>]+>/g, '')
      .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
      .replace(/\s+/g, ' ');

  it('titles a device action by the device and its owner, and lists its facts and the exact call', () => {
    const page = text(reviewPage({ ...wipe(), target: laptop }, claims, form));
    expect(page).toContain('Approve or reject: wipe LT-ALICE-01 (alice@contoso.com)');
    for (const expected of [
      'Wipe a managed device (factory reset)',
      'Owner Alice Adams (alice@contoso.com)',
      'Operating system Windows 10.0.22631.4602',
      'Ownership company-owned',
      'Compliance noncompliant',
      'Last check-in 2026-01-01 07:00:00 UTC',
      'Model Dell Inc. Latitude 7440',
      'Serial number 5CG3451QXZ',
      'POST /v1.0/deviceManagement/managedDevices/laptop-42/wipe',
      'Needs 2 approval(s).',
      'Runs when Alice completes it after approval.',
    ])
      expect(page).toContain(expected);
  });

  it.each([
    [
      { state: 'unchanged', readAt: '2026-01-02T10:00:00.000Z' },
      'Unchanged since submit: read again from Intune at 2026-01-02 10:00:00 UTC.',
    ],
    [
      { state: 'changed', readAt: '2026-01-02T10:00:00.000Z', differences: ['name LT-ALICE-01 → LT-X'] },
      'Changed since submit: name LT-ALICE-01 → LT-X.',
    ],
    [{ state: 'gone', readAt: '2026-01-02T10:00:00.000Z' }, 'Changed since submit: Intune no longer knows this object'],
    [
      { state: 'unchecked', readAt: laptop.readAt, reason: 'Microsoft Graph did not answer within 3 s' },
      'Could not be checked now: shown as of 2026-01-01 08:59:00 UTC (Microsoft Graph did not answer within 3 s).',
    ],
  ] as [Freshness, string][])('says whether the target changed since submit: %j', (freshness, expected) => {
    expect(text(reviewPage({ ...wipe(), target: laptop }, claims, form, { freshness }))).toContain(expected);
  });

  it('lists every device of a bulk action and says why it needs more approvals and that it runs on approval', () => {
    const ids = Array.from({ length: 37 }, (_, n) => `dev-${n + 1}`);
    const request = wipe(2);
    const bulk: ApprovalRequest = {
      ...request,
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceIds: ids },
      targets: ids.map((id, n) => ({ ...laptop, id, displayName: `LT-${n + 1}` })),
      policy: {
        ...request.policy,
        completion: 'onApproval',
        quorum: {
          baseApprovals: 1,
          rule: { minDevices: 10, requiredApprovals: 2 },
          scope: { devices: 37, assignsToAll: false },
          text: 'needs 2 approvals because it affects 37 devices',
        },
      },
    };
    const html = reviewPage(bulk, claims, form);
    expect(html.match(/<tr>\n<td data-label="Device">/g)).toHaveLength(37);
    const page = text(html);
    expect(page).toContain('Approve or reject: retire 37 devices');
    expect(page).toContain('needs 2 approvals because it affects 37 devices (the policy alone needs 1).');
    expect(page).toContain('Runs as soon as approved');
    expect(page).toContain('LT-37');
    expect(page).toContain('POST /v1.0/deviceManagement/managedDevices/dev-37/retire');
  });

  it('shows a proposed script in full, says whether it differs, and warns that scripts may hold secrets', () => {
    const script = '$password = "hunter2"\n';
    const request: ApprovalRequest = {
      ...wipe(),
      profileType: 'script',
      operation: {
        action: 'update',
        resourceType: 'deviceManagementScript',
        resourceId: '5c410000-0000-4000-8000-000000000001',
        payload: { scriptContent: Buffer.from(script).toString('base64') },
      },
      target: {
        resourceType: 'deviceManagementScript',
        id: '5c410000-0000-4000-8000-000000000001',
        displayName: 'Set time zone',
        readAt: laptop.readAt,
        settings: { scriptContent: { sha256: 'a'.repeat(64), length: 24 } },
        fingerprint: 'f'.repeat(64),
      },
    };
    const page = text(reviewPage(request, claims, form));
    expect(page).toContain('Approve or reject: update deviceManagementScript Set time zone');
    expect(page).toContain('Differs from the current script');
    expect(page).toContain('Scripts may hold secrets');
    expect(page).toContain('$password = "hunter2"');
  });
});
