import type { FieldError } from '../../../shared/domain/errors';
import {
  BOOTSTRAP_POLICY_ID,
  assertCompletionRuns,
  applicablePolicy,
  approverRule,
  assertValidPolicyDraft,
  bootstrapSnapshot,
  isBootstrapSnapshot,
  policyChangeApprovers,
  policySnapshot,
  requestTtlMs,
  validatePolicyDraft,
  type PolicyDraft,
  type PolicyDraftInput,
} from '../../../shared/domain/policy';
import { GROUP_A, GROUP_B, accessPolicy, refusal } from '../../support/builders';

const draft: PolicyDraft = { displayName: 'Device wipes', profileType: 'deviceWipe', approverGroupIds: [GROUP_A] };

function errorsOf(overrides: Record<string, unknown>): FieldError[] {
  const result = validatePolicyDraft({ ...draft, ...overrides } as PolicyDraftInput);
  return result.ok ? [] : result.errors;
}

describe('validatePolicyDraft', () => {
  it('fills in the defaults', () => {
    expect(validatePolicyDraft(draft)).toEqual({
      ok: true,
      value: { ...draft, description: '', requiredApprovals: 1, requestTtl: 'P30D' },
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['a 1-character name', { displayName: 'x' }],
    ['a 128-character name', { displayName: 'n'.repeat(128) }],
    ['128 emoji (counted as characters, not UTF-16 units)', { displayName: '😀'.repeat(128) }],
    ['a 1024-character description', { description: 'd'.repeat(1024) }],
    ['two groups, one upper-cased', { approverGroupIds: [GROUP_A.toUpperCase(), GROUP_B] }],
    ['requiredApprovals 1', { requiredApprovals: 1 }],
    ['requiredApprovals 10', { requiredApprovals: 10 }],
    ['requestTtl PT1H', { requestTtl: 'PT1H' }],
    ['requestTtl PT60M', { requestTtl: 'PT60M' }],
    ['requestTtl P90D', { requestTtl: 'P90D' }],
    ['requestTtl P12W', { requestTtl: 'P12W' }],
    ['the operationApprovalPolicy profile type', { profileType: 'operationApprovalPolicy' }],
  ])('accepts %s', (_, overrides) => {
    expect(errorsOf(overrides)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing name', { displayName: undefined }, 'displayName'],
    ['an empty name', { displayName: '' }, 'displayName'],
    ['a blank name', { displayName: '   ' }, 'displayName'],
    ['a 129-character name', { displayName: 'n'.repeat(129) }, 'displayName'],
    ['a 1025-character description', { description: 'd'.repeat(1025) }, 'description'],
    ['a non-string description', { description: 7 }, 'description'],
    ['an unknown profile type', { profileType: 'printer' }, 'profileType'],
    ['no groups', { approverGroupIds: [] }, 'approverGroupIds'],
    ['groups not in an array', { approverGroupIds: GROUP_A }, 'approverGroupIds'],
    ['a group that is not a GUID', { approverGroupIds: [GROUP_A, 'admins'] }, 'approverGroupIds.1'],
    ['a GUID in braces', { approverGroupIds: [`{${GROUP_A}}`] }, 'approverGroupIds.0'],
    ['a group listed twice (other case)', { approverGroupIds: [GROUP_A, GROUP_A.toUpperCase()] }, 'approverGroupIds.1'],
    ['requiredApprovals 0', { requiredApprovals: 0 }, 'requiredApprovals'],
    ['requiredApprovals 11', { requiredApprovals: 11 }, 'requiredApprovals'],
    ['requiredApprovals 1.5', { requiredApprovals: 1.5 }, 'requiredApprovals'],
    ['requiredApprovals as a string', { requiredApprovals: '2' }, 'requiredApprovals'],
    ['requestTtl PT59M', { requestTtl: 'PT59M' }, 'requestTtl'],
    ['requestTtl P91D', { requestTtl: 'P91D' }, 'requestTtl'],
    ['requestTtl P13W', { requestTtl: 'P13W' }, 'requestTtl'],
    ['requestTtl in months', { requestTtl: 'P1M' }, 'requestTtl'],
    ['requestTtl that is not a duration', { requestTtl: '30 days' }, 'requestTtl'],
    ['requestTtl as a number', { requestTtl: 30 }, 'requestTtl'],
  ])('refuses %s, naming %s', (_, overrides, path) => {
    expect(errorsOf(overrides).map((error) => error.path)).toEqual([path]);
  });

  it('reports every broken field at once, in field order', () => {
    expect(
      errorsOf({ displayName: '', approverGroupIds: [], requiredApprovals: 0, requestTtl: 'P1Y' }).map(
        (error) => error.path,
      ),
    ).toEqual(['displayName', 'approverGroupIds', 'requiredApprovals', 'requestTtl']);
  });

  it('throws invalid_policy carrying the field errors from assertValidPolicyDraft', () => {
    expect(refusal(() => assertValidPolicyDraft({ ...draft, requiredApprovals: 0 }))).toBe('invalid_policy');
    expect(() => assertValidPolicyDraft({ ...draft, requiredApprovals: 0 })).toThrow(
      expect.objectContaining({ status: 400, errors: [expect.objectContaining({ path: 'requiredApprovals' })] }),
    );
    expect(assertValidPolicyDraft({ ...draft, requestTtl: 'P7D' }).requestTtl).toBe('P7D');
  });
});

describe('requestTtlMs', () => {
  it.each([
    ['P30D', 30 * 86_400_000],
    ['PT1H', 3_600_000],
  ])('reads %s as %i ms', (requestTtl, ms) => {
    expect(requestTtlMs({ requestTtl })).toBe(ms);
  });

  it.each(['PT30M', 'P1Y', 'soon'])('refuses %s as invalid_policy', (requestTtl) => {
    expect(refusal(() => requestTtlMs({ requestTtl }))).toBe('invalid_policy');
  });
});

describe('snapshots and the bootstrap rule', () => {
  it('snapshots a policy without sharing its group list', () => {
    const policy = accessPolicy({ version: 4, requiredApprovals: 2 });
    const snapshot = policySnapshot(policy);
    policy.approverGroupIds.push('later');
    expect(snapshot).toEqual({ id: policy.id, version: 4, approverGroupIds: [GROUP_A, GROUP_B], requiredApprovals: 2 });
  });

  it.each([
    ['the bootstrap snapshot', bootstrapSnapshot(), true],
    ['a policy snapshot', policySnapshot(accessPolicy()), false],
    ['anything with the bootstrap id', { id: BOOTSTRAP_POLICY_ID }, true],
  ])('isBootstrapSnapshot(%s) is %s', (_, snapshot, expected) => {
    expect(isBootstrapSnapshot(snapshot)).toBe(expected);
  });

  it('hands out a fresh bootstrap snapshot every time', () => {
    const one = bootstrapSnapshot();
    one.approverGroupIds.push(GROUP_A);
    expect(bootstrapSnapshot()).toEqual({ id: 'bootstrap', version: 0, approverGroupIds: [], requiredApprovals: 1 });
  });

  it.each([
    [
      'no operationApprovalPolicy policy',
      undefined,
      { kind: 'otherPolicyAdmins', role: 'MAA.PolicyAdmin', requiredApprovals: 1 },
    ],
    [
      'an operationApprovalPolicy policy',
      accessPolicy({ profileType: 'operationApprovalPolicy', approverGroupIds: [GROUP_B], requiredApprovals: 2 }),
      { kind: 'groupMembers', role: 'MAA.Approver', approverGroupIds: [GROUP_B], requiredApprovals: 2 },
    ],
  ])('policyChangeApprovers with %s', (_, active, rule) => {
    expect(policyChangeApprovers(active)).toEqual(rule);
  });

  it('refuses a policy for another profile type as the policy-change policy', () => {
    expect(refusal(() => policyChangeApprovers(accessPolicy()))).toBe('no_applicable_policy');
  });

  it('maps an ordinary snapshot to its group rule', () => {
    expect(approverRule(policySnapshot(accessPolicy()))).toEqual({
      kind: 'groupMembers',
      role: 'MAA.Approver',
      approverGroupIds: [GROUP_A, GROUP_B],
      requiredApprovals: 1,
    });
  });

  it.each([
    ['deviceWipe with its policy', 'deviceWipe', accessPolicy(), { snapshotId: accessPolicy().id, requestTtl: 'P30D' }],
    [
      'operationApprovalPolicy with none',
      'operationApprovalPolicy',
      undefined,
      { snapshotId: BOOTSTRAP_POLICY_ID, requestTtl: 'P30D' },
    ],
    [
      'deviceWipe with a 7-day policy',
      'deviceWipe',
      accessPolicy({ requestTtl: 'P7D' }),
      { snapshotId: accessPolicy().id, requestTtl: 'P7D' },
    ],
  ] as const)('applicablePolicy for %s', (_, profileType, active, expected) => {
    const applicable = applicablePolicy(profileType, active);
    expect(applicable.snapshot.id).toBe(expected.snapshotId);
    expect(applicable.requestTtl).toBe(expected.requestTtl);
  });

  it.each([
    ['a profile type with no policy', 'app', undefined, 'no_applicable_policy'],
    ['a policy for another profile type', 'app', accessPolicy(), 'no_applicable_policy'],
    ['a stored policy breaking the rules', 'deviceWipe', accessPolicy({ approverGroupIds: [] }), 'invalid_policy'],
    ['a stored policy with the reserved id', 'deviceWipe', accessPolicy({ id: BOOTSTRAP_POLICY_ID }), 'invalid_policy'],
  ] as const)('applicablePolicy refuses %s', (_, profileType, active, code) => {
    expect(refusal(() => applicablePolicy(profileType, active))).toBe(code);
  });
});

describe('validatePolicyDraft: scope rules, completion and the execution window', () => {
  it('keeps valid rules, completion and window as given, and leaves them out when not given', () => {
    const rules = [
      { minDevices: 10, requiredApprovals: 2 },
      { minDevices: 50, requiredApprovals: 3 },
      { assignsToAll: true as const, requiredApprovals: 2 },
    ];
    expect(
      validatePolicyDraft({ ...draft, approvalsByScope: rules, completion: 'onApproval', executeWithin: 'PT4H' }),
    ).toEqual({
      ok: true,
      value: {
        ...draft,
        description: '',
        requiredApprovals: 1,
        requestTtl: 'P30D',
        approvalsByScope: rules,
        completion: 'onApproval',
        executeWithin: 'PT4H',
      },
    });
    const plain = validatePolicyDraft(draft);
    expect(plain.ok && Object.keys(plain.value)).not.toContain('approvalsByScope');
  });

  it.each<[string, Record<string, unknown>]>([
    ['no rules', { approvalsByScope: [] }],
    [
      'ten rules',
      { approvalsByScope: Array.from({ length: 10 }, (_, i) => ({ minDevices: 2 + i, requiredApprovals: 2 })) },
    ],
    [
      'equal approvals for more devices',
      {
        approvalsByScope: [
          { minDevices: 2, requiredApprovals: 2 },
          { minDevices: 3, requiredApprovals: 2 },
        ],
      },
    ],
    ['minDevices 100 and approvals 10', { approvalsByScope: [{ minDevices: 100, requiredApprovals: 10 }] }],
    [
      'an all-rule needing less than a device rule',
      {
        approvalsByScope: [
          { minDevices: 5, requiredApprovals: 4 },
          { assignsToAll: true, requiredApprovals: 2 },
        ],
      },
    ],
    ['completion initiator', { completion: 'initiator' }],
    ['a window of PT5M', { executeWithin: 'PT5M' }],
    ['a window of P30D under the default P30D lifetime', { executeWithin: 'P30D' }],
    ['a window as long as a short lifetime', { requestTtl: 'PT2H', executeWithin: 'PT2H' }],
  ])('accepts %s', (_name, overrides) => {
    expect(errorsOf(overrides)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, FieldError[]]>([
    [
      'rules that are not a list',
      { approvalsByScope: { minDevices: 2 } },
      [{ path: 'approvalsByScope', message: 'must be an array of scope rules' }],
    ],
    [
      'eleven rules',
      { approvalsByScope: Array.from({ length: 11 }, (_, i) => ({ minDevices: 2 + i, requiredApprovals: 2 })) },
      [{ path: 'approvalsByScope', message: 'must hold at most 10 rules' }],
    ],
    [
      'minDevices not increasing',
      {
        approvalsByScope: [
          { minDevices: 10, requiredApprovals: 2 },
          { minDevices: 5, requiredApprovals: 3 },
        ],
      },
      [{ path: 'approvalsByScope.1.minDevices', message: "must be greater than the previous rule's minDevices (10)" }],
    ],
    [
      'the same minDevices twice',
      {
        approvalsByScope: [
          { minDevices: 10, requiredApprovals: 2 },
          { minDevices: 10, requiredApprovals: 3 },
        ],
      },
      [{ path: 'approvalsByScope.1.minDevices', message: "must be greater than the previous rule's minDevices (10)" }],
    ],
    [
      'approvals falling as devices rise',
      {
        approvalsByScope: [
          { minDevices: 10, requiredApprovals: 3 },
          { minDevices: 20, requiredApprovals: 2 },
        ],
      },
      [
        {
          path: 'approvalsByScope.1.requiredApprovals',
          message: "must not be lower than the previous rule's (3) for more devices",
        },
      ],
    ],
    [
      'approvals over 10',
      { approvalsByScope: [{ minDevices: 10, requiredApprovals: 11 }] },
      [{ path: 'approvalsByScope.0.requiredApprovals', message: 'must be an integer from 1 to 10' }],
    ],
    [
      'approvals not above the policy’s own',
      { requiredApprovals: 2, approvalsByScope: [{ minDevices: 10, requiredApprovals: 2 }] },
      [
        {
          path: 'approvalsByScope.0.requiredApprovals',
          message: "must be greater than the policy's requiredApprovals (2)",
        },
      ],
    ],
    [
      'a missing requiredApprovals',
      { approvalsByScope: [{ minDevices: 10 }] },
      [{ path: 'approvalsByScope.0.requiredApprovals', message: 'must be an integer from 1 to 10' }],
    ],
    [
      'two all-rules',
      {
        approvalsByScope: [
          { assignsToAll: true, requiredApprovals: 2 },
          { assignsToAll: true, requiredApprovals: 3 },
        ],
      },
      [
        {
          path: 'approvalsByScope.1.assignsToAll',
          message: 'repeats rule 0: only one rule may be for assignments to all',
        },
      ],
    ],
    [
      'both minDevices and assignsToAll',
      { approvalsByScope: [{ minDevices: 10, assignsToAll: true, requiredApprovals: 2 }] },
      [{ path: 'approvalsByScope.0', message: 'must have minDevices or assignsToAll, not both' }],
    ],
    [
      'neither minDevices nor assignsToAll',
      { approvalsByScope: [{ requiredApprovals: 2 }] },
      [{ path: 'approvalsByScope.0', message: 'must have minDevices or assignsToAll' }],
    ],
    [
      'assignsToAll false',
      { approvalsByScope: [{ assignsToAll: false, requiredApprovals: 2 }] },
      [{ path: 'approvalsByScope.0.assignsToAll', message: 'must be true' }],
    ],
    [
      'minDevices 1',
      { approvalsByScope: [{ minDevices: 1, requiredApprovals: 2 }] },
      [{ path: 'approvalsByScope.0.minDevices', message: 'must be an integer from 2 to 100' }],
    ],
    [
      'minDevices 101',
      { approvalsByScope: [{ minDevices: 101, requiredApprovals: 2 }] },
      [{ path: 'approvalsByScope.0.minDevices', message: 'must be an integer from 2 to 100' }],
    ],
    [
      'minDevices 2.5',
      { approvalsByScope: [{ minDevices: 2.5, requiredApprovals: 2 }] },
      [{ path: 'approvalsByScope.0.minDevices', message: 'must be an integer from 2 to 100' }],
    ],
    [
      'an unknown member',
      { approvalsByScope: [{ minDevices: 10, requiredApprovals: 2, maxDevices: 20 }] },
      [{ path: 'approvalsByScope.0.maxDevices', message: 'is not a member of a scope rule' }],
    ],
    [
      'a rule that is not an object',
      { approvalsByScope: [2] },
      [
        {
          path: 'approvalsByScope.0',
          message: 'must be an object with minDevices or assignsToAll, and requiredApprovals',
        },
      ],
    ],
    [
      'an unknown completion',
      { completion: 'always' },
      [{ path: 'completion', message: 'must be one of initiator, onApproval' }],
    ],
    [
      'a window under PT5M',
      { executeWithin: 'PT4M' },
      [{ path: 'executeWithin', message: 'must be from PT5M to P30D' }],
    ],
    [
      'a window over P30D',
      { requestTtl: 'P90D', executeWithin: 'P31D' },
      [{ path: 'executeWithin', message: 'must be from PT5M to P30D' }],
    ],
    [
      'a window longer than the lifetime',
      { requestTtl: 'PT2H', executeWithin: 'PT3H' },
      [{ path: 'executeWithin', message: 'must not be longer than requestTtl (PT2H)' }],
    ],
    [
      'a window that is no duration',
      { executeWithin: '4 hours' },
      [{ path: 'executeWithin', message: expect.any(String) as string }],
    ],
  ])('refuses %s', (_name, overrides, errors) => {
    expect(errorsOf(overrides)).toEqual(errors);
  });
});

describe('scope rules under an invalid policy number', () => {
  it('reports the policy number alone, not every rule against it', () => {
    expect(errorsOf({ requiredApprovals: 11, approvalsByScope: [{ minDevices: 2, requiredApprovals: 10 }] })).toEqual([
      { path: 'requiredApprovals', message: 'must be an integer from 1 to 10' },
    ]);
  });
});

describe('policySnapshot: the quorum fields', () => {
  it('keeps the scope rules, completion and window, copied', () => {
    const rules = [{ minDevices: 2, requiredApprovals: 2 }];
    const policy = accessPolicy({ approvalsByScope: rules, completion: 'onApproval', executeWithin: 'PT4H' });
    const snapshot = policySnapshot(policy);
    expect(snapshot).toMatchObject({ approvalsByScope: rules, completion: 'onApproval', executeWithin: 'PT4H' });
    expect(snapshot.approvalsByScope![0]).not.toBe(rules[0]);
  });

  it('leaves them out for a policy without them', () => {
    expect(Object.keys(policySnapshot(accessPolicy())).sort()).toEqual(
      ['approverGroupIds', 'id', 'requiredApprovals', 'version'].sort(),
    );
  });
});

describe('assertCompletionRuns', () => {
  it.each<[string, 'initiator' | 'onApproval' | undefined, string, string | undefined]>([
    ['onApproval with the Graph executor', 'onApproval', 'graph', undefined],
    ['onApproval with the webhook', 'onApproval', 'webhook', undefined],
    ['onApproval where nothing runs', 'onApproval', 'none', 'auto_complete_unavailable'],
    ['initiator where nothing runs', 'initiator', 'none', undefined],
    ['no completion where nothing runs', undefined, 'none', undefined],
  ])('%s', (_name, completion, kind, code) => {
    const check = () =>
      assertCompletionRuns({ profileType: 'deviceWipe', ...(completion === undefined ? {} : { completion }) }, kind);
    if (code === undefined) expect(check).not.toThrow();
    else expect(refusal(check)).toBe(code);
  });
});
