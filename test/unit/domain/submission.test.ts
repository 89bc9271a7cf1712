import { operationHash } from '../../../shared/domain/canonicalJson';
import type { DomainErrorCode } from '../../../shared/domain/errors';
import {
  applyCommand,
  createRequest,
  mayView,
  requiredSubmitRoles,
  submittedEvent,
  type NewRequestInput,
} from '../../../shared/domain/lifecycle';
import type { Operation } from '../../../shared/domain/model';
import { BOOTSTRAP_POLICY_ID } from '../../../shared/domain/policy';
import {
  EXPIRES,
  GROUP_A,
  GROUP_B,
  GROUP_OTHER,
  T0,
  accessPolicy,
  after,
  alice,
  approve,
  bob,
  carol,
  erin,
  refusal,
  submission,
} from '../../support/builders';

const OAP_POLICY = accessPolicy({
  id: '22222222-2222-4222-8222-222222222222',
  profileType: 'operationApprovalPolicy',
  approverGroupIds: [GROUP_B],
  requiredApprovals: 2,
});
const POLICY_CHANGE: Partial<NewRequestInput> = {
  id: 'req-policy',
  profileType: 'operationApprovalPolicy',
  operation: {
    action: 'create',
    resourceType: 'accessPolicy',
    payload: { displayName: 'Scripts', profileType: 'script', approverGroupIds: [GROUP_A] },
  },
  initiatorRoles: ['MAA.Requester', 'MAA.PolicyAdmin'],
};

describe('createRequest', () => {
  it('builds a pending request under a snapshot of the policy', () => {
    const input = submission();
    const request = createRequest(input);
    expect(request).toEqual({
      id: 'req-1',
      profileType: 'deviceWipe',
      operation: input.operation,
      operationHash: operationHash(input.operation),
      justification: input.justification,
      initiator: alice,
      policy: { id: accessPolicy().id, version: 1, approverGroupIds: [GROUP_A, GROUP_B], requiredApprovals: 1 },
      status: 'needsApproval',
      decisions: [],
      createdAt: T0,
      expiresAt: EXPIRES,
      lastModifiedAt: T0,
    });
  });

  it.each([
    ['P30D', '2024-03-01T12:00:00+02:00', EXPIRES],
    ['PT1H', T0, after(60)],
    ['P1DT2H', T0, '2024-03-02T12:00:00.000Z'],
    ['P2W', T0, '2024-03-15T10:00:00.000Z'],
    ['P90D', T0, '2024-05-30T10:00:00.000Z'],
  ])('with requestTtl %s submitted at %s, expires at %s', (requestTtl, now, expiresAt) => {
    expect(createRequest(submission({ policy: accessPolicy({ requestTtl }), now })).expiresAt).toBe(expiresAt);
  });

  it('stores the operation exactly as hashed, detached from the input', () => {
    const operation: Operation = {
      action: 'wipe',
      resourceType: 'managedDevice',
      resourceId: 'device-1',
      payload: { nested: { b: 1, a: [2, 1] } },
    };
    const withUndefined = { ...operation, extra: undefined } as Operation;
    const request = createRequest(submission({ operation: withUndefined }));
    expect(request.operation).toEqual(operation);
    expect(Object.keys(request.operation)).not.toContain('extra');
    expect(request.operationHash).toBe(operationHash(operation));
    (operation.payload as { nested: { b: number } }).nested.b = 99;
    expect(request.operationHash).toBe(operationHash(request.operation));
  });

  it.each<[string, Partial<NewRequestInput>, DomainErrorCode]>([
    ['an initiator without MAA.Requester', { initiatorRoles: ['MAA.Approver', 'MAA.PolicyAdmin'] }, 'forbidden'],
    ['a profile type without a policy', { policy: undefined }, 'no_applicable_policy'],
    ['a policy for another profile type', { policy: accessPolicy({ profileType: 'app' }) }, 'no_applicable_policy'],
    ['a stored policy with a TTL beyond P90D', { policy: accessPolicy({ requestTtl: 'P91D' }) }, 'invalid_policy'],
    [
      'a stored policy named like the bootstrap marker',
      { policy: accessPolicy({ id: BOOTSTRAP_POLICY_ID }) },
      'invalid_policy',
    ],
    ['a blank justification', { justification: '  ' }, 'invalid_request'],
    ['a blank id', { id: '' }, 'invalid_request'],
    ['a blank action', { operation: { action: ' ', resourceType: 'managedDevice' } }, 'invalid_request'],
    ['a blank resource type', { operation: { action: 'wipe', resourceType: '' } }, 'invalid_request'],
    [
      'an empty resource id',
      { operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: '' } },
      'invalid_request',
    ],
    [
      'a payload with NaN',
      { operation: { action: 'wipe', resourceType: 'managedDevice', payload: { n: Number.NaN } } },
      'invalid_request',
    ],
    ['a submission time without a zone', { now: '2024-03-01 10:00' }, 'invalid_request'],
    [
      'a policy change by a requester who is not a PolicyAdmin',
      { ...POLICY_CHANGE, initiatorRoles: ['MAA.Requester'], policy: undefined },
      'forbidden',
    ],
    [
      'a policy change by a PolicyAdmin who is not a requester',
      { ...POLICY_CHANGE, initiatorRoles: ['MAA.PolicyAdmin'], policy: undefined },
      'forbidden',
    ],
  ])('refuses %s', (_, overrides, code) => {
    expect(refusal(() => createRequest(submission(overrides)))).toBe(code);
  });

  it('describes the submission in its event', () => {
    const request = createRequest(submission());
    expect(submittedEvent(request)).toEqual({
      requestId: 'req-1',
      type: 'request.submitted',
      at: T0,
      actor: alice,
      data: {
        profileType: 'deviceWipe',
        operation: request.operation,
        operationHash: request.operationHash,
        justification: request.justification,
        policyId: request.policy.id,
        policyVersion: 1,
        approverGroupIds: [GROUP_A, GROUP_B],
        requiredApprovals: 1,
        expiresAt: EXPIRES,
      },
    });
  });
});

describe('requiredSubmitRoles', () => {
  it.each([
    ['deviceWipe', ['MAA.Requester']],
    ['app', ['MAA.Requester']],
    ['operationApprovalPolicy', ['MAA.Requester', 'MAA.PolicyAdmin']],
  ] as const)('%s needs %j', (profileType, roles) => {
    expect(requiredSubmitRoles(profileType)).toEqual(roles);
  });
});

describe('policy changes', () => {
  const ADMIN = ['MAA.PolicyAdmin'];

  describe('bootstrap: no operationApprovalPolicy policy exists', () => {
    const request = createRequest(submission({ ...POLICY_CHANGE, policy: undefined }));

    it('gets the bootstrap snapshot and the default P30D lifetime', () => {
      expect(request.policy).toEqual({
        id: BOOTSTRAP_POLICY_ID,
        version: 0,
        approverGroupIds: [],
        requiredApprovals: 1,
      });
      expect(request.expiresAt).toBe(EXPIRES);
    });

    it.each<[string, Parameters<typeof approve>, string | DomainErrorCode]>([
      ['any other PolicyAdmin, in no group', [bob, after(1), [], ADMIN], 'approved'],
      [
        'another PolicyAdmin who is also an approver',
        [carol, after(1), [GROUP_OTHER], ['MAA.Approver', 'MAA.PolicyAdmin']],
        'approved',
      ],
      ['the initiating PolicyAdmin', [alice, after(1), [], ADMIN], 'self_approval'],
      [
        'an approver in groups but without MAA.PolicyAdmin',
        [erin, after(1), [GROUP_A, GROUP_B], ['MAA.Approver']],
        'forbidden',
      ],
    ])('%s: %s', (_, args, expected) => {
      const decide = () => applyCommand(request, approve(...args)).request.status;
      if (expected === 'approved') expect(decide()).toBe('approved');
      else expect(refusal(decide)).toBe(expected);
    });

    it('is visible to every PolicyAdmin', () => {
      expect(mayView(request, { id: erin.id }, ADMIN, [])).toBe(true);
      expect(mayView(request, { id: erin.id }, ['MAA.Approver'], [GROUP_A])).toBe(false);
    });
  });

  describe('an operationApprovalPolicy policy exists', () => {
    const request = createRequest(submission({ ...POLICY_CHANGE, policy: OAP_POLICY }));

    it("takes that policy's groups and quorum", () => {
      expect(request.policy).toEqual({
        id: OAP_POLICY.id,
        version: 1,
        approverGroupIds: [GROUP_B],
        requiredApprovals: 2,
      });
    });

    it.each<[string, Parameters<typeof approve>, string | DomainErrorCode]>([
      ['an approver in its group', [bob, after(1), [GROUP_B], ['MAA.Approver']], 'needsApproval'],
      ['a PolicyAdmin outside its group', [bob, after(1), [], ['MAA.PolicyAdmin']], 'forbidden'],
      [
        'a PolicyAdmin and approver outside its group',
        [bob, after(1), [GROUP_A], ['MAA.PolicyAdmin', 'MAA.Approver']],
        'not_an_approver',
      ],
      ['the initiator in its group', [alice, after(1), [GROUP_B], ['MAA.Approver']], 'self_approval'],
    ])('%s: %s', (_, args, expected) => {
      const decide = () => applyCommand(request, approve(...args)).request.status;
      if (expected === 'needsApproval') expect(decide()).toBe('needsApproval');
      else expect(refusal(decide)).toBe(expected);
    });
  });
});
