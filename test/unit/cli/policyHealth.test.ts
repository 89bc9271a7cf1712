import { healthCell, policiesHealthTable, policyHealthDetail } from '../../../cli/policyHealth';
import { accessPolicy } from '../../support/builders';

const policy = accessPolicy({ id: 'pol-1', displayName: 'Wipes', requiredApprovals: 1 });
const atRisk = {
  eligibleApprovers: [
    { id: 'b', displayName: 'Bob' },
    { id: 'c', displayName: 'Carol' },
  ],
  status: 'atRisk' as const,
  reasons: ['exactly 1 approver(s) would remain for some initiator: nobody may be away'],
};

describe('maa policies list', () => {
  it('adds a HEALTH column, unknown for a policy listed without health', () => {
    const table = policiesHealthTable([
      { ...policy, health: atRisk },
      { ...accessPolicy({ id: 'pol-2', profileType: 'deviceRetire', displayName: 'Retires' }) },
    ]);
    const [header, first, second] = table.trimEnd().split('\n');
    expect(header).toMatch(/^ID +PROFILE TYPE +NAME +APPROVALS +TTL +VERSION +HEALTH$/);
    expect(first).toMatch(/^pol-1 +deviceWipe +Wipes +1 +P30D +1 +atRisk$/);
    expect(second).toMatch(/ unknown$/);
    expect(first!.indexOf('atRisk')).toBe(header!.indexOf('HEALTH'));
  });

  it.each([
    ['no health', undefined, 'unknown'],
    ['an unapprovable pool', { ...atRisk, status: 'unapprovable' as const }, 'unapprovable'],
    ['a healthy pool', { ...atRisk, status: 'ok' as const, reasons: [] }, 'ok'],
  ])('shows %s as %s', (_, health, cell) => {
    expect(healthCell(health)).toBe(cell);
  });
});

describe('maa policies show', () => {
  it('prints the policy, then its health, the eligible approvers and each reason', () => {
    const text = policyHealthDetail({
      ...policy,
      health: { ...atRisk, reasons: ['first reason', 'second reason'] },
    });
    expect(text).toMatch(/^approvals: +1$/m);
    expect(text).toMatch(/^health: +atRisk$/m);
    expect(text).toMatch(/^eligible approvers: +2: Bob, Carol$/m);
    expect(text.match(/^why: +.*$/gm)).toEqual([
      expect.stringMatching(/first reason$/),
      expect.stringMatching(/second reason$/),
    ]);
  });

  it('prints scope rules, the completion mode and the execution window in words', () => {
    const text = policyHealthDetail({
      ...policy,
      approvalsByScope: [
        { minDevices: 10, requiredApprovals: 2 },
        { assignsToAll: true, requiredApprovals: 3 },
      ],
      completion: 'onApproval',
      executeWithin: 'PT4H',
      health: atRisk,
    });
    expect(text).toMatch(
      /^raised by scope: +2 approvals from 10 devices; 3 approvals when assigning to all users or devices$/m,
    );
    expect(text).toMatch(/^completion: +on approval \(the service completes it\)$/m);
    expect(text).toMatch(/^execute within: +PT4H of approval$/m);
    const plain = policyHealthDetail({ ...policy, health: atRisk });
    expect(plain).toMatch(/^completion: +by the initiator$/m);
    expect(plain).not.toMatch(/raised by scope|execute within/);
  });

  it('says none when nobody holds MAA.Approver, and keeps control characters from a reason out of the terminal', () => {
    const text = policyHealthDetail({
      ...policy,
      health: { eligibleApprovers: [], status: 'unapprovable', reasons: ['evil\u001b[2Jname'] },
    });
    expect(text).toMatch(/^eligible approvers: +none$/m);
    expect(text).not.toContain('\u001b');
  });
});
