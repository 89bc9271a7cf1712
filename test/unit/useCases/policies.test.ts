import type { PolicyBody } from '../../../shared/api/schemas';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { getPolicy, getPolicyView, requestPolicyChange, type PolicyChange } from '../../../shared/useCases/policies';
import { accessPolicy, GROUP_A, GROUP_B } from '../../support/builders';
import { caller, codeOf, FakeDirectory, tempSqliteStore, useCaseDeps } from '../../support/fakePorts';

const pat = caller('pat-id', ['MAA.Requester', 'MAA.PolicyAdmin'], 'Pat');
const bob = caller('bob-id', ['MAA.Requester', 'MAA.Approver'], 'Bob');
const UNKNOWN_GROUP = '0d0d0d0d-0000-4000-8000-00000000000d';
const WIPES = accessPolicy({ approverGroupIds: [GROUP_A] });

const draft = (overrides: Partial<PolicyBody> = {}): PolicyBody => ({
  displayName: 'Retires',
  description: 'Retiring a device needs a second admin.',
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
  deps = useCaseDeps(store, new FakeDirectory({ [GROUP_A]: ['bob-id'], [GROUP_B]: [] }));
  await store.createPolicy(WIPES);
});
afterEach(() => dispose());

describe('requestPolicyChange', () => {
  it('submits a create as an operationApprovalPolicy request locked on the protected profile type, changing no policy yet', async () => {
    const request = await requestPolicyChange(deps, pat, { action: 'create', draft: draft() }, 'New control');

    expect(request).toMatchObject({
      profileType: 'operationApprovalPolicy',
      status: 'needsApproval',
      operation: {
        action: 'create',
        resourceType: 'accessPolicy',
        resourceId: 'deviceRetire',
        payload: { action: 'create', draft: draft() },
      },
    });
    expect(deps.orchestrations.started.map((start) => start.requestId)).toEqual([request.id]);
    expect(await store.findPolicyByProfileType('deviceRetire')).toBeUndefined();
  });

  it.each<[string, () => PolicyChange, string]>([
    [
      'a new policy for a profile type another policy protects',
      () => ({ action: 'create', draft: draft({ profileType: 'deviceWipe' }) }),
      'policy_exists',
    ],
    [
      'approver groups the directory does not know',
      () => ({ action: 'create', draft: draft({ approverGroupIds: [GROUP_A, UNKNOWN_GROUP] }) }),
      'unknown_group',
    ],
    [
      'a draft that breaks the policy rules',
      () => ({ action: 'create', draft: draft({ requestTtl: 'PT1M' }) }),
      'invalid_policy',
    ],
    [
      'an update that changes the protected profile type',
      () => ({ action: 'update', policyId: WIPES.id, draft: draft() }),
      'invalid_policy',
    ],
    [
      'an update with unknown groups',
      () => ({
        action: 'update',
        policyId: WIPES.id,
        draft: draft({ profileType: 'deviceWipe', approverGroupIds: [UNKNOWN_GROUP] }),
      }),
      'unknown_group',
    ],
    ['a change to a policy that does not exist', () => ({ action: 'delete', policyId: 'no-such-policy' }), 'not_found'],
  ])('refuses %s, submitting nothing', async (_, change, code) => {
    expect(await codeOf(requestPolicyChange(deps, pat, change(), 'Because'))).toBe(code);
    expect(deps.orchestrations.started).toEqual([]);
  });

  it.each([
    ['MAA.PolicyAdmin', bob],
    ['MAA.Requester (a policy change is a request)', caller('pam-id', ['MAA.PolicyAdmin'])],
  ])('refuses a caller without %s (forbidden)', async (_, who) => {
    expect(await codeOf(requestPolicyChange(deps, who, { action: 'create', draft: draft() }, 'Because'))).toBe(
      'forbidden',
    );
    expect(deps.orchestrations.started).toEqual([]);
  });

  it('refuses a second open change to the same protection (entity_locked)', async () => {
    await requestPolicyChange(
      deps,
      pat,
      { action: 'update', policyId: WIPES.id, draft: draft({ profileType: 'deviceWipe' }) },
      'One',
    );

    expect(await codeOf(requestPolicyChange(deps, pat, { action: 'delete', policyId: WIPES.id }, 'Two'))).toBe(
      'entity_locked',
    );
  });
});

describe('getPolicy', () => {
  it('answers a stored policy and not_found for another id', async () => {
    expect(await getPolicy(deps, WIPES.id)).toMatchObject({ id: WIPES.id, profileType: 'deviceWipe' });
    expect(await codeOf(getPolicy(deps, 'no-such-policy'))).toBe('not_found');
  });
});

describe('getPolicyView', () => {
  it('shows the approvers of the policy groups and, with only one who may also initiate, unapprovable', async () => {
    deps.directory = new FakeDirectory(
      { [GROUP_A]: ['bob-id', 'dave-id'] },
      { 'bob-id': ['MAA.Approver', 'MAA.Requester'], 'dave-id': [] },
    );

    const view = await getPolicyView(deps, WIPES.id);

    expect(view).toMatchObject({ id: WIPES.id, profileType: 'deviceWipe' });
    expect(view.health).toMatchObject({
      eligibleApprovers: [{ id: 'bob-id', displayName: 'bob-id' }],
      status: 'unapprovable',
    });
    expect(view.health.reasons).not.toEqual([]);
  });

  it('is ok with three approvers for one approval, and reads the policy groups from the directory', async () => {
    const directory = new FakeDirectory({ [GROUP_A]: ['bob-id', 'carol-id', 'erin-id'] });
    deps.directory = directory;

    expect((await getPolicyView(deps, WIPES.id)).health).toEqual({
      eligibleApprovers: ['bob-id', 'carol-id', 'erin-id'].map((id) => ({ id, displayName: id })),
      status: 'ok',
      reasons: [],
    });
    expect(directory.calls).toEqual([`approverCandidates ${GROUP_A}`]);
  });

  it('answers not_found for a policy that does not exist', async () => {
    expect(await codeOf(getPolicyView(deps, 'no-such-policy'))).toBe('not_found');
  });
});
