import { approversOtherThan, assessApproverPool, type PoolCandidate } from '../../../shared/domain/approverPool';
import type { ScopeRule } from '../../../shared/domain/model';

const A = 'MAA.Approver';
const R = 'MAA.Requester';
const user = (id: string, ...roles: string[]): PoolCandidate => ({ id, displayName: id, roles });

describe('assessApproverPool', () => {
  it.each<[string, PoolCandidate[], number, string]>([
    ['no members at all', [], 1, 'unapprovable'],
    ['members without MAA.Approver', [user('dave'), user('alice', R)], 1, 'unapprovable'],
    ['only approver is also a requester', [user('bob', A, R)], 1, 'unapprovable'],
    ['a lone approver who cannot initiate', [user('carol', A)], 1, 'atRisk'],
    ['two approvers, one may initiate, one approval', [user('bob', A, R), user('carol', A)], 1, 'atRisk'],
    ['two approvers, one may initiate, two approvals', [user('bob', A, R), user('carol', A)], 2, 'unapprovable'],
    ['two approvers, none initiates, two approvals', [user('carol', A), user('erin', A)], 2, 'atRisk'],
    ['three approvers, one initiates, one approval', [user('bob', A, R), user('carol', A), user('erin', A)], 1, 'ok'],
    ['three approvers, all initiate, two approvals', [user('b', A, R), user('c', A, R), user('e', A, R)], 2, 'atRisk'],
    ['the same approver twice counts once', [user('carol', A), user('CAROL', A)], 1, 'atRisk'],
    ['three approvers, none initiates, one approval', [user('c', A), user('e', A), user('f', A)], 1, 'ok'],
  ])('%s', (_name, candidates, required, status) => {
    const health = assessApproverPool(candidates, required);
    expect(health.status).toBe(status);
    expect(health.reasons.length > 0).toBe(status !== 'ok');
  });

  const three = [user('bob', A, R), user('carol', A), user('erin', A)];
  it.each<[string, PoolCandidate[], ScopeRule[], string, string[]]>([
    ['no rules', three, [], 'ok', []],
    [
      'a rule the pool can meet with one to spare',
      [...three, user('f', A)],
      [{ minDevices: 10, requiredApprovals: 2 }],
      'ok',
      [],
    ],
    [
      'a rule asking exactly as many as remain',
      three,
      [{ minDevices: 10, requiredApprovals: 2 }],
      'atRisk',
      [
        'a request that affects 10 or more devices needs 2 approvals: exactly that many approver(s) would remain, nobody may be away',
      ],
    ],
    [
      'a rule asking more than remain',
      three,
      [
        { minDevices: 10, requiredApprovals: 2 },
        { assignsToAll: true, requiredApprovals: 3 },
      ],
      'unapprovable',
      [
        'a request that affects 10 or more devices needs 2 approvals: exactly that many approver(s) would remain, nobody may be away',
        'a request that assigns to all users or all devices needs 3 approvals, and only 2 approver(s) could give them',
      ],
    ],
    [
      "a rule not above the policy's own number",
      [user('c', A)],
      [{ minDevices: 5, requiredApprovals: 1 }],
      'atRisk',
      ['exactly 1 approver(s) would remain for some initiator: nobody may be away', 'c is the only approver'],
    ],
  ])('weighs scope rules: %s', (_name, candidates, rules, status, reasons) => {
    const health = assessApproverPool(candidates, 1, rules);
    expect(health.status).toBe(status);
    expect(health.reasons).toEqual(reasons);
  });

  it('lists the approvers only, once each, with their names', () => {
    const health = assessApproverPool(
      [{ id: 'b', displayName: 'Bob', roles: [A, R] }, user('dave'), { id: 'B', displayName: 'Bob', roles: [A] }],
      1,
    );
    expect(health.eligibleApprovers).toEqual([{ id: 'b', displayName: 'Bob' }]);
    expect(health.reasons.join(' ')).toContain('Bob');
  });
});

describe('approversOtherThan', () => {
  it.each<[string, PoolCandidate[], string, number]>([
    ['nobody holds the role', [user('alice', R)], 'alice', 0],
    ['only the initiator approves', [user('bob', A, R)], 'bob', 0],
    ['the initiator in another spelling', [user('bob', A, R)], 'BOB', 0],
    ['another approver exists', [user('bob', A, R), user('carol', A)], 'bob', 1],
    ['the initiator is outside the pool', [user('carol', A)], 'alice', 1],
    ['two others and the initiator', [user('bob', A, R), user('carol', A), user('erin', A)], 'bob', 2],
  ])('%s', (_name, candidates, initiator, expected) => {
    expect(approversOtherThan(candidates, initiator)).toBe(expected);
  });
});
