import type { SubmitRequestBody } from '../../../shared/api/schemas';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { listRequests, sendCommand, submitRequest } from '../../../shared/useCases/requests';
import { accessPolicy, GROUP_A, wipeBody } from '../../support/builders';
import { operationHash } from '../../../shared/domain/canonicalJson';
import { submittedEvent } from '../../../shared/domain/lifecycle';
import { isSealedSecret, openSecret } from '../../../shared/keys/secretSeal';
import {
  caller,
  codeOf,
  deviceSnapshot,
  FakeDirectory,
  InMemoryTargets,
  orchestrationApplies,
  tempSqliteStore,
  useCaseDeps,
} from '../../support/fakePorts';

const alice = caller('alice-id', ['MAA.Requester'], 'Alice');
const bob = caller('bob-id', ['MAA.Requester', 'MAA.Approver'], 'Bob');
const carol = caller('carol-id', ['MAA.Approver'], 'Carol');
const erin = caller('erin-id', ['MAA.Approver'], 'Erin');
const olga = caller('olga-id', ['MAA.Operator'], 'Olga');
const policyAdmin = caller('pat-id', ['MAA.PolicyAdmin'], 'Pat');

const wipe = (resourceId = 'device-1') => wipeBody(resourceId);

let store: SqliteStore;
let dispose: () => Promise<void>;
let deps: ReturnType<typeof useCaseDeps>;

beforeEach(async () => {
  ({ store, dispose } = tempSqliteStore());
  deps = useCaseDeps(store, new FakeDirectory({ [GROUP_A]: [bob.id, carol.id] }));
  await store.createPolicy(accessPolicy({ approverGroupIds: [GROUP_A] }));
});
afterEach(() => dispose());

describe('submitRequest', () => {
  it('stores the request and starts its orchestration with the stored etag and the reminder lead', async () => {
    const request = await submitRequest(deps, alice, wipe());

    const stored = await store.getRequest(request.id);
    expect(stored?.value).toEqual(request);
    expect(request).toMatchObject({ status: 'needsApproval', initiator: { id: alice.id, displayName: 'Alice' } });
    expect(deps.orchestrations.started).toEqual([
      { requestId: request.id, input: { request, etag: stored!.etag, reminderBeforeMs: 86_400_000 } },
    ]);
  });

  it('answers the first request again for a retried key and body, starting it again only while its orchestration has not moved it', async () => {
    const first = await submitRequest(deps, alice, wipe(), 'key-1');
    // Starting is idempotent: the adapter finds the running orchestration.
    expect(await submitRequest(deps, alice, wipe(), 'key-1')).toEqual(first);
    expect(deps.orchestrations.started).toHaveLength(2);

    await orchestrationApplies(store, first.id, { kind: 'cancel', actor: alice, at: '2026-03-01T10:05:00.000Z' });
    expect(await submitRequest(deps, alice, wipe(), 'key-1')).toMatchObject({ id: first.id, status: 'cancelled' });
    expect(deps.orchestrations.started).toHaveLength(2);
  });

  it('refuses the same key with another body (idempotency_key_reused) and stores nothing', async () => {
    await submitRequest(deps, alice, wipe('device-1'), 'key-1');

    expect(await codeOf(submitRequest(deps, alice, wipe('device-2'), 'key-1'))).toBe('idempotency_key_reused');
    expect((await store.listRequests({ view: { kind: 'mine', initiatorId: alice.id }, top: 10 })).items).toHaveLength(
      1,
    );
  });

  it('starts the orchestration of a stored request whose first submit stopped before starting it', async () => {
    deps.orchestrations.failStarts = true;
    await expect(submitRequest(deps, alice, wipe(), 'key-1')).rejects.toThrow('could not be started');
    deps.orchestrations.failStarts = false;

    const again = await submitRequest(deps, alice, wipe(), 'key-1');

    expect(deps.orchestrations.started.map((start) => start.requestId)).toEqual([again.id]);
  });

  it('refuses a second open request on the same resource (entity_locked) and starts nothing', async () => {
    await submitRequest(deps, alice, wipe('device-1'));

    expect(await codeOf(submitRequest(deps, bob, wipe('device-1')))).toBe('entity_locked');
    expect(deps.orchestrations.started).toHaveLength(1);
    await submitRequest(deps, bob, wipe('device-2'));
    expect(deps.orchestrations.started).toHaveLength(2);
  });

  it('refuses a profile type no policy protects (no_applicable_policy)', async () => {
    const body: SubmitRequestBody = { ...wipe(), profileType: 'deviceRetire' };

    expect(await codeOf(submitRequest(deps, alice, body))).toBe('no_applicable_policy');
    expect(deps.orchestrations.started).toEqual([]);
  });

  it('refuses a caller without the requester role (forbidden)', async () => {
    expect(await codeOf(submitRequest(deps, carol, wipe()))).toBe('forbidden');
  });
});

describe('submitRequest: nobody else could approve', () => {
  it('refuses (no_eligible_approver) when the only approver in the groups is the initiator, before the target read or any write', async () => {
    deps.directory = new FakeDirectory(
      { [GROUP_A]: [bob.id, alice.id] },
      { [bob.id]: ['MAA.Approver', 'MAA.Requester'], [alice.id]: ['MAA.Requester'] },
    );
    const targets = deps.targets as InMemoryTargets;

    expect(await codeOf(submitRequest(deps, bob, wipe(), 'key-1'))).toBe('no_eligible_approver');
    expect(targets.reads).toEqual([]);
    expect((await store.listRequests({ view: { kind: 'mine', initiatorId: bob.id }, top: 10 })).items).toEqual([]);
    expect(deps.orchestrations.started).toEqual([]);
  });

  it('refuses when nobody in the groups holds MAA.Approver, and accepts another initiator once someone does', async () => {
    const roles: Record<string, string[]> = { [carol.id]: [] };
    deps.directory = new FakeDirectory({ [GROUP_A]: [carol.id] }, roles);
    expect(await codeOf(submitRequest(deps, alice, wipe()))).toBe('no_eligible_approver');

    roles[carol.id] = ['MAA.Approver'];
    expect((await submitRequest(deps, alice, wipe())).status).toBe('needsApproval');
  });

  it('checks the rules first: a caller they refuse is refused for that, without asking the directory', async () => {
    const directory = new FakeDirectory({ [GROUP_A]: [] });
    deps.directory = directory;
    expect(await codeOf(submitRequest(deps, carol, wipe()))).toBe('forbidden');
    expect(directory.calls).toEqual([]);
  });
});

describe('submitRequest: the target read at submit', () => {
  const mine = async () => (await store.listRequests({ view: { kind: 'mine', initiatorId: alice.id }, top: 10 })).items;
  let targets: InMemoryTargets;
  beforeEach(() => {
    targets = deps.targets as InMemoryTargets;
  });

  it('stores the target as Graph showed it on the request, and in what its orchestration starts with', async () => {
    const snapshot = { ...deviceSnapshot('device-7', '2026-03-01T10:00:00.000Z'), displayName: 'LT-ALICE-01' };
    targets.add(snapshot);

    const request = await submitRequest(deps, alice, wipe('device-7'));

    expect(request.target).toEqual(snapshot);
    expect((await store.getRequest(request.id))!.value.target).toEqual(snapshot);
    expect(deps.orchestrations.started[0]!.input.request.target).toEqual(snapshot);
    expect(submittedEvent(request).data.target).toEqual(snapshot);
    expect(targets.reads).toEqual([{ profileType: 'deviceWipe', operation: wipe('device-7').operation }]);
  });

  it.each<[string, string, () => void]>([
    ['missing', 'target_not_found', () => targets.remove('managedDevice', 'device-1')],
    [
      'unreadable because Graph is down',
      'graph_unavailable',
      () => {
        targets.down = true;
      },
    ],
  ])(
    'refuses a target that is %s (%s), writing nothing: no request, no idempotency record, no lock',
    async (_, code, breakGraph) => {
      breakGraph();
      expect(await codeOf(submitRequest(deps, alice, wipe('device-1'), 'key-1'))).toBe(code);
      expect(await mine()).toEqual([]);
      expect(deps.orchestrations.started).toEqual([]);

      targets.down = false;
      targets.add(deviceSnapshot('device-1', '2026-03-01T10:00:00.000Z'));
      // The key was not taken (another body under it is no reuse) and the device is not locked.
      const other = await submitRequest(deps, alice, wipe('device-2'), 'key-1');
      const same = await submitRequest(deps, bob, wipe('device-1'));
      expect((await mine()).map((request) => request.id)).toEqual([other.id]);
      expect(same.operation.resourceId).toBe('device-1');
    },
  );

  it('asks Graph for the target as the request stores it (a GUID in lower case)', async () => {
    await submitRequest(deps, alice, wipe('D3A1C0DE-0000-4000-8000-000000000001'));
    expect(targets.reads.map((read) => read.operation.resourceId)).toEqual(['d3a1c0de-0000-4000-8000-000000000001']);
  });

  it('asks Graph nothing for a caller the rules refuse', async () => {
    expect(await codeOf(submitRequest(deps, carol, wipe()))).toBe('forbidden');
    expect(targets.reads).toEqual([]);
  });
});

describe('submitRequest: secret payload fields', () => {
  const CODE = '482913';
  const macWipe = () => wipeBody('device-1', { payload: { keepUserData: false, macOsUnlockCode: CODE } });

  it('stores the macOS unlock code sealed for the request: never in clear in the request, its hash or its audit record', async () => {
    const request = await submitRequest(deps, alice, macWipe());

    const stored = (await store.getRequest(request.id))!.value;
    const payload = stored.operation.payload as Record<string, unknown>;
    expect(payload.keepUserData).toBe(false);
    expect(isSealedSecret(payload.macOsUnlockCode)).toBe(true);
    expect(openSecret(deps.appKeys, request.id, 'macOsUnlockCode', payload.macOsUnlockCode as { sealed: string })).toBe(
      CODE,
    );
    expect(stored.operationHash).toBe(operationHash(stored.operation));
    expect(stored.operationHash).not.toBe(operationHash(macWipe().operation));
    expect(JSON.stringify(stored)).not.toContain(CODE);
    expect(JSON.stringify(submittedEvent(stored))).not.toContain(CODE);
    expect(JSON.stringify(deps.orchestrations.started)).not.toContain(CODE);
  });

  it('answers a retried key with the same code with the first request, and refuses another code under it', async () => {
    const first = await submitRequest(deps, alice, macWipe(), 'key-1');

    expect((await submitRequest(deps, alice, macWipe(), 'key-1')).id).toBe(first.id);
    const otherCode = wipeBody('device-1', { payload: { keepUserData: false, macOsUnlockCode: '000000' } });
    expect(await codeOf(submitRequest(deps, alice, otherCode, 'key-1'))).toBe('idempotency_key_reused');
  });
});

describe('sendCommand', () => {
  it('raises a decision that passes the rules, naming the actor only', async () => {
    const request = await submitRequest(deps, alice, wipe());

    await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(deps.orchestrations.raised).toEqual([
      {
        requestId: request.id,
        command: {
          kind: 'decide',
          actor: { id: bob.id, displayName: 'Bob' },
          decision: 'approve',
          notes: 'ok',
          source: 'api',
        },
      },
    ]);
  });

  it.each([
    ['the initiator approves their own request', () => alice, 'approve', 'self_approval'],
    ['someone outside the approver groups approves', () => erin, 'approve', 'not_an_approver'],
  ] as const)('refuses at once, raising nothing, when %s', async (_, who, decision, code) => {
    const request = await submitRequest(deps, alice, wipe());

    expect(await codeOf(sendCommand(deps, who(), request.id, { kind: 'decide', decision, notes: 'x' }))).toBe(code);
    expect(deps.orchestrations.raised).toEqual([]);
  });

  it('refuses a cancel by anyone but the initiator and a completion before approval', async () => {
    const request = await submitRequest(deps, alice, wipe());

    expect(await codeOf(sendCommand(deps, bob, request.id, { kind: 'cancel' }))).toBe('not_initiator');
    expect(await codeOf(sendCommand(deps, alice, request.id, { kind: 'complete' }))).toBe('invalid_state');
    expect(deps.orchestrations.raised).toEqual([]);
  });

  it('refuses a command on a closed request (invalid_state)', async () => {
    const request = await submitRequest(deps, alice, wipe());
    await orchestrationApplies(store, request.id, { kind: 'cancel', actor: alice, at: '2026-03-01T10:05:00.000Z' });

    expect(await codeOf(sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: '' }))).toBe(
      'invalid_state',
    );
    expect(deps.orchestrations.raised).toEqual([]);
  });

  it('answers not_found for a request that does not exist', async () => {
    expect(await codeOf(sendCommand(deps, bob, 'nope', { kind: 'cancel' }))).toBe('not_found');
  });
});

describe('listRequests', () => {
  beforeEach(async () => {
    await submitRequest(deps, alice, wipe('device-1'));
    await submitRequest(deps, bob, wipe('device-2'));
  });
  const initiators = (page: { items: { initiator: { id: string } }[] }) => page.items.map((item) => item.initiator.id);

  it('mine: what the caller initiated', async () => {
    expect(initiators(await listRequests(deps, alice, { view: 'mine', top: 10 }))).toEqual([alice.id]);
  });

  it('received: what the caller may decide on (not their own), from the groups the directory gives', async () => {
    expect(initiators(await listRequests(deps, bob, { view: 'received', top: 10 }))).toEqual([alice.id]);
    expect(initiators(await listRequests(deps, carol, { view: 'received', top: 10 })).sort()).toEqual(
      [alice.id, bob.id].sort(),
    );
  });

  it('received: nothing for a caller with neither the approver nor the policy admin role, without asking the directory', async () => {
    const directory = new FakeDirectory({ [GROUP_A]: [alice.id] });
    const page = await listRequests({ ...deps, directory }, alice, { view: 'received', top: 10 });

    expect(page).toEqual({ items: [] });
    expect(directory.calls).toEqual([]);
  });

  it('received: a policy admin without the approver role sees no ordinary requests', async () => {
    expect((await listRequests(deps, policyAdmin, { view: 'received', top: 10 })).items).toEqual([]);
  });

  it('all: every request for an operator; forbidden for anyone else', async () => {
    expect((await listRequests(deps, olga, { view: 'all', top: 10 })).items).toHaveLength(2);
    expect(await codeOf(listRequests(deps, bob, { view: 'all', top: 10 }))).toBe('forbidden');
  });

  it('pages with a token that only continues the same view for the same caller', async () => {
    const first = await listRequests(deps, olga, { view: 'all', top: 1 });
    expect(first.items).toHaveLength(1);
    const second = await listRequests(deps, olga, { view: 'all', top: 1, continuationToken: first.continuationToken! });
    expect(second.items.map((item) => item.id)).not.toEqual(first.items.map((item) => item.id));

    expect(
      await codeOf(listRequests(deps, alice, { view: 'mine', top: 1, continuationToken: first.continuationToken! })),
    ).toBe('invalid_continuation');
  });
});
