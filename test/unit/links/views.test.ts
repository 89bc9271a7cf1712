import { linkDecisionFormSchema } from '../../../shared/api/schemas';
import type { ApprovalRequest } from '../../../shared/domain/model';
import { outcomePage, reviewPage } from '../../../shared/links/views';
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
