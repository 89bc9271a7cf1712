import { applyCommand, submittedEvent } from '../../../shared/domain/lifecycle';
import type { ApprovalRequest } from '../../../shared/domain/model';
import {
  EXPIRES,
  accessPolicy,
  after,
  alice,
  approve,
  bob,
  carol,
  deepFreeze,
  newRequest,
  refusal,
  run,
  shift,
  REQUESTER,
} from '../../support/builders';

const HOUR = 3_600_000;
const bulk = (count: number) => ({
  action: 'retire',
  resourceType: 'managedDevice',
  resourceIds: Array.from({ length: count }, (_, i) => `device-${i + 1}`),
});

describe('createRequest: the effective quorum', () => {
  const policy = accessPolicy({
    approvalsByScope: [
      { minDevices: 10, requiredApprovals: 2 },
      { assignsToAll: true, requiredApprovals: 3 },
    ],
  });

  it('raises requiredApprovals for a scope a rule matches, and says why in the snapshot and the submitted record', () => {
    const request = newRequest({ policy, scope: { devices: 37, assignsToAll: false }, operation: bulk(37) });
    expect(request.policy.requiredApprovals).toBe(2);
    expect(request.policy.quorum).toEqual({
      baseApprovals: 1,
      rule: { minDevices: 10, requiredApprovals: 2 },
      scope: { devices: 37, assignsToAll: false },
      text: 'needs 2 approvals because it affects 37 devices',
    });
    expect(request.policy.approvalsByScope).toEqual(policy.approvalsByScope);
    expect(submittedEvent(request).data).toMatchObject({
      requiredApprovals: 2,
      quorum: { text: 'needs 2 approvals because it affects 37 devices' },
    });
  });

  it('keeps the policy’s own number, with no reason, for a scope no rule matches', () => {
    const request = newRequest({ policy, scope: { devices: 1, assignsToAll: false } });
    expect(request.policy.requiredApprovals).toBe(1);
    expect(request.policy.quorum).toBeUndefined();
    expect(submittedEvent(request).data).not.toHaveProperty('quorum');
  });

  it('takes one approval short of the raised quorum as short', () => {
    const request = newRequest({ policy, scope: { devices: 0, assignsToAll: true } });
    const afterTwo = run(request, approve(bob, after(1)), approve(carol, after(2)));
    expect(afterTwo.status).toBe('needsApproval');
  });
});

describe('decide: the execution window', () => {
  const windowed = (executeWithin: string, requestTtl = 'P30D') =>
    newRequest({ policy: accessPolicy({ executeWithin, requestTtl }) });

  it('moves expiresAt to the approval plus the window, and audits it, when the approval reaches the quorum', () => {
    const { request, events } = applyCommand(deepFreeze(windowed('PT4H')), approve(bob, after(30)));
    expect(request.status).toBe('approved');
    expect(request.expiresAt).toBe(shift(after(30), 4 * HOUR));
    expect(events[0]!.data).toMatchObject({ executeWithin: 'PT4H', expiresAt: shift(after(30), 4 * HOUR) });
  });

  it('never moves expiresAt later than it was', () => {
    const request = windowed('PT2H', 'PT2H');
    const approved = applyCommand(request, approve(bob, after(90))).request;
    expect(approved.expiresAt).toBe(request.expiresAt);
  });

  it('leaves expiresAt alone for an approval short of the quorum', () => {
    const request = newRequest({ policy: accessPolicy({ executeWithin: 'PT4H', requiredApprovals: 2 }) });
    const once = applyCommand(request, approve(bob, after(30)));
    expect(once.request.expiresAt).toBe(EXPIRES);
    expect(once.events[0]!.data).not.toHaveProperty('executeWithin');
  });

  it('expires the request past the window: complete is refused as expired', () => {
    const approved = run(windowed('PT4H'), approve(bob, after(0)));
    const late = { kind: 'complete' as const, actor: alice, actorRoles: REQUESTER, at: after(4 * 60) };
    expect(refusal(() => applyCommand(approved, late))).toBe('expired');
    expect(applyCommand(approved, { kind: 'expire', at: after(4 * 60) }).request.status).toBe('expired');
  });
});

describe('autoComplete', () => {
  const onApproval = (): ApprovalRequest => newRequest({ policy: accessPolicy({ completion: 'onApproval' }) });

  it('completes an approved onApproval request with no actor, audited with the completion mode', () => {
    const approved = deepFreeze(run(onApproval(), approve(bob, after(1))));
    const { request, events } = applyCommand(approved, {
      kind: 'autoComplete',
      initiatorRoles: REQUESTER,
      at: after(1),
    });
    expect(request.status).toBe('completed');
    expect(request.completedAt).toBe(after(1));
    expect(events.map((event) => [event.type, event.actor])).toEqual([
      ['request.completed', null],
      ['request.statusChanged', null],
    ]);
    expect(events[0]!.data).toEqual({ operationHash: approved.operationHash, completion: 'onApproval' });
  });

  it.each<[string, () => ApprovalRequest, string, string]>([
    ['before the quorum', onApproval, after(1), 'invalid_state'],
    [
      'under a policy its initiator completes',
      () => run(newRequest(), approve(bob, after(1))),
      after(1),
      'invalid_state',
    ],
    ['once expired', () => run(onApproval(), approve(bob, after(1))), EXPIRES, 'expired'],
    [
      'when the operation no longer hashes',
      () => {
        const approved = run(onApproval(), approve(bob, after(1)));
        return { ...approved, operation: { ...approved.operation, resourceId: 'device-2' } };
      },
      after(1),
      'operation_mismatch',
    ],
    [
      'a second time',
      () =>
        run(onApproval(), approve(bob, after(1)), { kind: 'autoComplete', initiatorRoles: REQUESTER, at: after(1) }),
      after(2),
      'invalid_state',
    ],
  ])('is refused %s', (_name, request, at, code) => {
    expect(refusal(() => applyCommand(request(), { kind: 'autoComplete', initiatorRoles: REQUESTER, at }))).toBe(code);
  });

  it.each<[string, readonly string[]]>([
    ['no roles any more', []],
    ['only MAA.Approver', ['MAA.Approver']],
  ])('is refused (forbidden) when the initiator holds %s, and changes nothing', (_name, initiatorRoles) => {
    const approved = deepFreeze(run(onApproval(), approve(bob, after(1))));
    const error = (() => {
      try {
        applyCommand(approved, { kind: 'autoComplete', initiatorRoles, at: after(1) });
      } catch (caught) {
        return caught as Error & { code?: string };
      }
      throw new Error('not refused');
    })();
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain('MAA.Requester');
    expect(approved.status).toBe('approved');
  });

  it('leaves the initiator’s complete refused once the service completed it', () => {
    const completed = run(onApproval(), approve(bob, after(1)), {
      kind: 'autoComplete',
      initiatorRoles: REQUESTER,
      at: after(1),
    });
    expect(
      refusal(() => applyCommand(completed, { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: after(2) })),
    ).toBe('invalid_state');
  });
});
