import type { SubmitRequestBody } from '../../../shared/api/schemas';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { evaluateRequest, submitRequest } from '../../../shared/useCases/requests';
import { accessPolicy, GROUP_A } from '../../support/builders';
import { caller, FakeDirectory, InMemoryTargets, tempSqliteStore, useCaseDeps } from '../../support/fakePorts';

const alice = caller('alice-id', ['MAA.Requester'], 'Alice');
const APP = '7a7a7a7a-0000-4000-8000-000000000001';

const assign = (target: 'allLicensedUsers' | 'group'): SubmitRequestBody => ({
  profileType: 'app',
  operation: {
    action: 'assign',
    resourceType: 'mobileApp',
    resourceId: APP,
    payload: {
      assignments: [
        target === 'group'
          ? { target: 'group', groupId: GROUP_A, intent: 'required' }
          : { target: 'allLicensedUsers', intent: 'available' },
      ],
    },
  },
  justification: 'Roll out the VPN client (CHG-2001)',
});

let store: SqliteStore;
let dispose: () => Promise<void>;
let deps: ReturnType<typeof useCaseDeps>;

beforeEach(async () => {
  ({ store, dispose } = tempSqliteStore());
  await store.createPolicy(
    accessPolicy({
      id: '22222222-2222-4222-8222-222222222222',
      displayName: 'App rollouts',
      profileType: 'app',
      approverGroupIds: [GROUP_A],
      requiredApprovals: 1,
      approvalsByScope: [{ assignsToAll: true, requiredApprovals: 2 }],
    }),
  );
  const now = () => new Date('2026-03-01T10:00:00.000Z');
  const targets = new InMemoryTargets(now);
  targets.add({
    resourceType: 'mobileApp',
    id: APP,
    displayName: 'VPN client',
    readAt: now().toISOString(),
    fingerprint: 'f'.repeat(64),
  });
  const directory = new FakeDirectory(
    { [GROUP_A]: ['bob-id', 'carol-id'] },
    { 'bob-id': ['MAA.Approver'], 'carol-id': ['MAA.Approver'] },
  );
  deps = useCaseDeps(store, directory, { targets, now });
});
afterEach(() => dispose());

describe('the quorum a scope rule raises, at submit and in the dry run', () => {
  it('says in the dry run why an assignment to all users needs 2 approvals where the policy asks for 1', async () => {
    const evaluation = await evaluateRequest(deps, alice, assign('allLicensedUsers'));
    expect(evaluation.requiredApprovals).toBe(2);
    expect(evaluation.why).toBe(
      "Policy 'App rollouts' (version 1) requires 1 approval; this request needs 2 approvals because it assigns to all users or all devices. Approvals come from its approver groups, not counting the requester.",
    );
  });

  it('keeps the policy’s number for an assignment to a group', async () => {
    const evaluation = await evaluateRequest(deps, alice, assign('group'));
    expect(evaluation.requiredApprovals).toBe(1);
    expect(evaluation.why).toContain('requires 1 approval(s)');
  });

  it('stores the raised quorum and its reason on the submitted request', async () => {
    const request = await submitRequest(deps, alice, assign('allLicensedUsers'));
    expect(request.policy).toMatchObject({
      requiredApprovals: 2,
      approvalsByScope: [{ assignsToAll: true, requiredApprovals: 2 }],
      quorum: {
        baseApprovals: 1,
        rule: { assignsToAll: true, requiredApprovals: 2 },
        text: 'needs 2 approvals because it assigns to all users or all devices',
      },
    });
    expect((await store.getRequest(request.id))!.value.policy.requiredApprovals).toBe(2);
  });
});
