import type { OperationScope, ScopeRule } from '../../../shared/domain/model';
import { effectiveQuorum } from '../../../shared/domain/quorum';

const devices = (count: number): OperationScope => ({ devices: count, assignsToAll: false });
const toAll: OperationScope = { devices: 0, assignsToAll: true };

const tiered: ScopeRule[] = [
  { minDevices: 10, requiredApprovals: 2 },
  { minDevices: 50, requiredApprovals: 3 },
  { assignsToAll: true, requiredApprovals: 4 },
];

describe('effectiveQuorum', () => {
  it.each<[string, number, ScopeRule[] | undefined, OperationScope | undefined, number, string | undefined]>([
    ['no rules: the policy’s own number', 1, undefined, devices(37), 1, undefined],
    ['no scope: the policy’s own number', 1, tiered, undefined, 1, undefined],
    ['a single device under a 10-device rule', 1, tiered, devices(1), 1, undefined],
    ['9 devices: one short of the first rule', 1, tiered, devices(9), 1, undefined],
    [
      'exactly 10 devices matches the first rule',
      1,
      tiered,
      devices(10),
      2,
      'needs 2 approvals because it affects 10 devices',
    ],
    ['37 devices', 1, tiered, devices(37), 2, 'needs 2 approvals because it affects 37 devices'],
    [
      '50 devices: the highest matching rule wins',
      1,
      tiered,
      devices(50),
      3,
      'needs 3 approvals because it affects 50 devices',
    ],
    ['an assignment to all', 1, tiered, toAll, 4, 'needs 4 approvals because it assigns to all users or all devices'],
    [
      'many devices and to all: the highest of both',
      1,
      tiered,
      { devices: 60, assignsToAll: true },
      4,
      'needs 4 approvals because it assigns to all users or all devices',
    ],
    [
      'an all-rule does not match a device count',
      1,
      [{ assignsToAll: true, requiredApprovals: 3 }],
      devices(100),
      1,
      undefined,
    ],
    [
      'never below the base: a rule asking for less is ignored',
      3,
      [{ minDevices: 2, requiredApprovals: 2 }],
      devices(5),
      3,
      undefined,
    ],
    [
      'a rule asking for the base adds no reason',
      2,
      [{ minDevices: 2, requiredApprovals: 2 }],
      devices(5),
      2,
      undefined,
    ],
  ])('%s', (_name, base, rules, scope, required, text) => {
    const result = effectiveQuorum(base, rules, scope);
    expect(result.requiredApprovals).toBe(required);
    expect(result.quorum?.text).toBe(text);
    if (text !== undefined) expect(result.quorum).toMatchObject({ baseApprovals: base, scope });
  });

  it('names the rule that matched, as a copy', () => {
    const rules: ScopeRule[] = [{ minDevices: 10, requiredApprovals: 2 }];
    const result = effectiveQuorum(1, rules, devices(37));
    expect(result.quorum).toEqual({
      baseApprovals: 1,
      rule: { minDevices: 10, requiredApprovals: 2 },
      scope: { devices: 37, assignsToAll: false },
      text: 'needs 2 approvals because it affects 37 devices',
    });
    expect(result.quorum!.rule).not.toBe(rules[0]);
  });
});
