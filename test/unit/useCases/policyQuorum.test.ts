import type { PolicyBody } from '../../../shared/api/schemas';
import { PolicyExecutor } from '../../../shared/execute/policyExecutor';
import type { ApprovalRequest } from '../../../shared/domain/model';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { requestPolicyChange, type PolicyChange } from '../../../shared/useCases/policies';
import { accessPolicy, GROUP_A } from '../../support/builders';
import { caller, codeOf, FakeDirectory, tempSqliteStore, useCaseDeps } from '../../support/fakePorts';

const pat = caller('pat-id', ['MAA.Requester', 'MAA.PolicyAdmin'], 'Pat');
const WIPES = accessPolicy({ approverGroupIds: [GROUP_A] });

const draft = (overrides: Partial<PolicyBody> = {}): PolicyBody => ({
  displayName: 'Retires',
  description: '',
  profileType: 'deviceRetire',
  approverGroupIds: [GROUP_A],
  requiredApprovals: 1,
  requestTtl: 'P30D',
  ...overrides,
});

let store: SqliteStore;
let dispose: () => Promise<void>;
let deps: ReturnType<typeof useCaseDeps>;

beforeEach(async () => {
  ({ store, dispose } = tempSqliteStore());
  deps = useCaseDeps(store, new FakeDirectory({ [GROUP_A]: ['bob-id'] }), {
    // deviceRetire is release only: nothing runs when one completes.
    executorKindOf: (profileType) => (profileType === 'deviceRetire' ? 'none' : 'graph'),
  });
  await store.createPolicy(WIPES);
});
afterEach(() => dispose());

describe('requestPolicyChange: completion on approval', () => {
  it.each<[string, () => PolicyChange]>([
    ['a new policy', () => ({ action: 'create', draft: draft({ completion: 'onApproval' }) })],
    [
      'an update',
      () => ({
        action: 'update',
        policyId: WIPES.id,
        draft: { ...draft({ completion: 'onApproval' }), profileType: 'deviceWipe' },
      }),
    ],
  ])('refuses %s asking for onApproval where nothing would run, starting nothing', async (_name, change) => {
    deps.executorKindOf = () => 'none';
    expect(await codeOf(requestPolicyChange(deps, pat, change(), 'Run on approval'))).toBe('auto_complete_unavailable');
    expect(deps.orchestrations.started).toEqual([]);
  });

  it('accepts onApproval, scope rules and a window where an executor runs, carrying them in the change', async () => {
    const fields = {
      completion: 'onApproval' as const,
      executeWithin: 'PT4H',
      approvalsByScope: [{ minDevices: 2, requiredApprovals: 2 }],
    };
    const change: PolicyChange = {
      action: 'update',
      policyId: WIPES.id,
      draft: { ...draft(fields), profileType: 'deviceWipe' },
    };
    const request = await requestPolicyChange(deps, pat, change, 'Run on approval');
    expect(request.operation.payload).toMatchObject({ draft: fields });
  });

  it('refuses contradicting scope rules as invalid_policy', async () => {
    const change: PolicyChange = {
      action: 'create',
      draft: draft({
        approvalsByScope: [
          { minDevices: 5, requiredApprovals: 3 },
          { minDevices: 10, requiredApprovals: 2 },
        ],
      }),
    };
    expect(await codeOf(requestPolicyChange(deps, pat, change, 'Tiers'))).toBe('invalid_policy');
  });
});

describe('PolicyExecutor: the quorum fields', () => {
  const completedChange = (change: PolicyChange): ApprovalRequest =>
    ({
      id: 'req-9',
      operation: { action: change.action, resourceType: 'accessPolicy', payload: change },
      initiator: { id: 'pat-id', displayName: 'Pat' },
      completedAt: '2026-03-01T10:00:00.000Z',
    }) as unknown as ApprovalRequest;

  it('applies scope rules, completion and window, and an update without them removes them', async () => {
    const executor = new PolicyExecutor(store);
    const fields = {
      completion: 'onApproval' as const,
      executeWithin: 'PT4H',
      approvalsByScope: [{ minDevices: 2, requiredApprovals: 2 }],
    };
    const base = { ...draft(), profileType: 'deviceWipe' as const };
    const first = await executor.execute(
      completedChange({ action: 'update', policyId: WIPES.id, draft: { ...base, ...fields } }),
    );
    expect(first.status).toBe('succeeded');
    expect((await store.getPolicy(WIPES.id))!.value).toMatchObject({ ...fields, version: 2 });

    const second = await executor.execute(completedChange({ action: 'update', policyId: WIPES.id, draft: base }));
    expect(second).toMatchObject({ status: 'succeeded', detail: expect.stringContaining('version 3') });
    const after = (await store.getPolicy(WIPES.id))!.value;
    expect(after).not.toHaveProperty('completion');
    expect(after).not.toHaveProperty('executeWithin');
    expect(after).not.toHaveProperty('approvalsByScope');
  });
});
