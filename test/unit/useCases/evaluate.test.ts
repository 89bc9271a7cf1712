import type { SqliteStore } from '../../../shared/store/sqliteStore';
import type { Store } from '../../../shared/store/store';
import { evaluateRequest, submitRequest } from '../../../shared/useCases/requests';
import { accessPolicy, GROUP_A, GROUP_B, wipeBody } from '../../support/builders';
import { caller, codeOf, FakeDirectory, InMemoryTargets, tempSqliteStore, useCaseDeps } from '../../support/fakePorts';

const alice = caller('alice-id', ['MAA.Requester'], 'Alice');
const bob = caller('bob-id', ['MAA.Requester', 'MAA.Approver'], 'Bob');
const dave = caller('dave-id', [], 'Dave');

const READS = /^(ping|get|find|list|latest)/;

/** `store` with every call that is not a read recorded in `writes`. */
function recordingStore(store: Store): { store: Store; writes: string[] } {
  const writes: string[] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        if (!READS.test(name)) writes.push(name);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, writes };
}

let sqlite: SqliteStore;
let dispose: () => Promise<void>;
let writes: string[];
let deps: ReturnType<typeof useCaseDeps>;

beforeEach(async () => {
  ({ store: sqlite, dispose } = tempSqliteStore());
  await sqlite.createPolicy(accessPolicy({ approverGroupIds: [GROUP_A, GROUP_B], requiredApprovals: 1 }));
  const recorded = recordingStore(sqlite);
  writes = recorded.writes;
  const directory = new FakeDirectory(
    { [GROUP_A]: ['alice-id', 'bob-id', 'carol-id'], [GROUP_B]: ['carol-id', 'erin-id'] },
    { 'alice-id': ['MAA.Approver'], 'bob-id': ['MAA.Approver'], 'carol-id': ['MAA.Approver'], 'erin-id': [] },
  );
  deps = useCaseDeps(recorded.store, directory);
});
afterEach(() => dispose());

describe('evaluateRequest', () => {
  it('answers the policy, its quorum, the approvers other than the caller, the target and the calls, writing nothing', async () => {
    const evaluation = await evaluateRequest(deps, alice, wipeBody('device-1'));

    expect(evaluation).toMatchObject({
      protected: true,
      policy: { id: '11111111-1111-4111-8111-111111111111', displayName: 'Device wipes', version: 1 },
      requiredApprovals: 1,
      approvers: [
        { id: 'bob-id', displayName: 'bob-id' },
        { id: 'carol-id', displayName: 'carol-id' },
      ],
      target: { resourceType: 'managedDevice', id: 'device-1' },
      calls: [{ method: 'POST', path: '/v1.0/deviceManagement/managedDevices/device-1/wipe' }],
    });
    expect(evaluation.why).toContain('Device wipes');
    expect(evaluation.operationHash).toMatch(/^[0-9a-f]{64}$/);
    expect(writes).toEqual([]);
    expect(deps.orchestrations.started).toEqual([]);
    expect((await sqlite.listRequests({ view: { kind: 'all' }, top: 10 })).items).toEqual([]);
  });

  it('binds the same operation hash a submit of the same body stores', async () => {
    const evaluation = await evaluateRequest(deps, alice, wipeBody('device-1'));
    const submitted = await submitRequest(deps, alice, wipeBody('device-1'));

    expect(evaluation.operationHash).toBe(submitted.operationHash);
  });

  it('shows a secret field of the calls as (sealed), never in clear', async () => {
    const evaluation = await evaluateRequest(
      deps,
      alice,
      wipeBody('device-1', { payload: { keepEnrollmentData: false, keepUserData: false, macOsUnlockCode: '123456' } }),
    );

    expect(evaluation.calls[0]?.body).toMatchObject({ macOsUnlockCode: '(sealed)' });
    expect(JSON.stringify(evaluation)).not.toContain('123456');
    expect(evaluation.operationHash).toBeUndefined();
  });

  it('answers protected: false, not no_applicable_policy, when no policy protects the operation', async () => {
    await sqlite.deletePolicy(
      '11111111-1111-4111-8111-111111111111',
      (await sqlite.getPolicy('11111111-1111-4111-8111-111111111111'))!.etag,
    );

    const evaluation = await evaluateRequest(deps, alice, wipeBody('device-1'));

    expect(evaluation).toMatchObject({ protected: false, requiredApprovals: 0, approvers: [] });
    expect(evaluation.policy).toBeUndefined();
    expect(evaluation.calls).toHaveLength(1);
    expect(await codeOf(submitRequest(deps, alice, wipeBody('device-1')))).toBe('no_applicable_policy');
  });

  it('refuses as submit does: forbidden without MAA.Requester, before asking Graph', async () => {
    const targets = deps.targets as InMemoryTargets;

    expect(await codeOf(evaluateRequest(deps, dave, wipeBody('device-1')))).toBe('forbidden');
    expect(targets.reads).toEqual([]);
  });

  it('refuses an unknown target (target_not_found) and an unreachable Graph (graph_unavailable), writing nothing', async () => {
    const targets = deps.targets as InMemoryTargets;
    targets.remove('managedDevice', 'device-9');
    expect(await codeOf(evaluateRequest(deps, bob, wipeBody('device-9')))).toBe('target_not_found');
    targets.down = true;
    expect(await codeOf(evaluateRequest(deps, bob, wipeBody('device-1')))).toBe('graph_unavailable');
    expect(writes).toEqual([]);
  });

  it('refuses a blank justification as submit does (invalid_request)', async () => {
    expect(await codeOf(evaluateRequest(deps, alice, wipeBody('device-1', { justification: ' ' })))).toBe(
      'invalid_request',
    );
  });
});
