import { makeExecuteOperation } from '../../../orchestrations/activities/executeOperation';
import { makeObserveExecution } from '../../../orchestrations/activities/observeExecution';
import { makeRecordObservation } from '../../../orchestrations/activities/recordObservation';
import type { ApprovalRequest, DeviceOutcome } from '../../../shared/domain/model';
import type { ExecutionOutcome, Executor } from '../../../shared/execute/executor';
import { NoneExecutor } from '../../../shared/execute/executor';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { readTrail } from '../../../shared/store/trail';
import { after, oscar, requestIn, run } from '../../support/builders';
import { orchestrationApplies, tempSqliteStore } from '../../support/fakePorts';

/** An executor that answers what it is given and counts what it is asked (an implementation of the port). */
class ScriptedExecutor implements Executor {
  readonly kind = 'scripted';
  readonly observed: string[] = [];
  constructor(
    private readonly outcome: ExecutionOutcome,
    private readonly device: DeviceOutcome = { state: 'pending', at: after(9), detail: 'not checked in yet' },
  ) {}
  async execute(): Promise<ExecutionOutcome> {
    return this.outcome;
  }
  async observe(request: ApprovalRequest): Promise<DeviceOutcome> {
    this.observed.push(request.id);
    return this.device;
  }
}

const NOW = new Date(after(5));
const graph = { clientRequestId: 'crid-1', calls: [] };
const followUp = { everyMs: 60_000, until: after(65) };

let store: SqliteStore;
let dispose: () => Promise<void>;
beforeEach(() => {
  ({ store, dispose } = tempSqliteStore());
});
afterEach(() => dispose());

/** `request` stored, with its trail's first record, as its orchestration leaves it. */
async function stored(request: ApprovalRequest): Promise<ApprovalRequest> {
  await store.createRequest(request);
  await orchestrationApplies(store, request.id, undefined);
  return (await store.getRequest(request.id))!.value;
}

describe('executeOperation', () => {
  const executeWith = (outcome: ExecutionOutcome) =>
    makeExecuteOperation(
      () => new ScriptedExecutor(outcome),
      store,
      () => NOW,
    );

  it("keeps the executor's code and Graph calls and hands an accepted device action's follow-up on", async () => {
    const completed = await stored(requestIn('completed'));
    const output = await executeWith({ status: 'succeeded', detail: 'accepted', code: 'accepted', graph, followUp })(
      completed,
    );

    expect(output).toEqual({
      status: 'succeeded',
      at: NOW.toISOString(),
      detail: 'accepted',
      code: 'accepted',
      graph,
      followUp,
    });
  });

  it('hands no follow-up on with a final failure, but keeps its code', async () => {
    const completed = await stored(requestIn('completed'));
    const output = await executeWith({
      status: 'failed',
      detail: 'the device changed',
      retryable: false,
      code: 'target_changed',
      followUp,
    })(completed);

    expect(output).toEqual({
      status: 'failed',
      at: NOW.toISOString(),
      detail: 'the device changed',
      code: 'target_changed',
    });
  });
});

describe('executeOperation of a bulk device action', () => {
  const devices = [
    { resourceId: 'd-1', status: 'succeeded' as const, code: 'accepted', detail: 'accepted' },
    { resourceId: 'd-2', status: 'failed' as const, code: 'target_changed', detail: 'renamed' },
  ];

  it('keeps every device outcome and hands the follow-up on when some device was accepted, though the run failed', async () => {
    const completed = await stored(requestIn('completed'));
    const output = await makeExecuteOperation(
      () =>
        new ScriptedExecutor({
          status: 'failed',
          retryable: false,
          detail: '1 of 2',
          code: 'partially_applied',
          devices,
          followUp,
        }),
      store,
      () => NOW,
    )(completed);
    expect(output).toEqual({
      status: 'failed',
      at: NOW.toISOString(),
      detail: '1 of 2',
      code: 'partially_applied',
      devices,
      followUp,
    });
  });

  it('hands no follow-up on when no device was accepted', async () => {
    const completed = await stored(requestIn('completed'));
    const output = await makeExecuteOperation(
      () =>
        new ScriptedExecutor({
          status: 'failed',
          retryable: false,
          detail: 'none',
          code: 'target_changed',
          devices: devices.map((device) => ({ ...device, status: 'failed' as const, code: 'target_changed' })),
          followUp,
        }),
      store,
      () => NOW,
    )(completed);
    expect(output).not.toHaveProperty('followUp');
  });
});

describe('observeExecution', () => {
  it("answers the device's outcome as the request's executor reads it now", async () => {
    const completed = await stored(requestIn('completed'));
    const executor = new ScriptedExecutor(
      { status: 'succeeded', detail: 'accepted' },
      {
        state: 'done',
        at: after(9),
        detail: 'wiped',
      },
    );

    const outcome = await makeObserveExecution(
      () => executor,
      store,
      () => NOW,
    )({ requestId: completed.id });

    expect(outcome).toEqual({ state: 'done', at: after(9), detail: 'wiped' });
    expect(executor.observed).toEqual([completed.id]);
  });

  it.each<[string, () => Promise<string>, Executor, RegExp]>([
    [
      'a request that is not completed',
      async () => (await stored(requestIn('approved'))).id,
      new ScriptedExecutor({ status: 'succeeded', detail: '' }),
      /no completed request/,
    ],
    [
      'a request the store does not hold',
      async () => 'nope',
      new ScriptedExecutor({ status: 'succeeded', detail: '' }),
      /no completed request/,
    ],
    [
      'an executor that cannot observe',
      async () => (await stored(requestIn('completed'))).id,
      new NoneExecutor(),
      /none executor does not observe/,
    ],
    [
      'a state the executor should not give',
      async () => (await stored(requestIn('completed'))).id,
      new ScriptedExecutor({ status: 'succeeded', detail: '' }, { state: 'wiped' as 'done', at: after(9), detail: '' }),
      /unknown device state 'wiped'/,
    ],
  ])('answers unknown for %s', async (_, id, executor, detail) => {
    const outcome = await makeObserveExecution(
      () => executor,
      store,
      () => NOW,
    )({ requestId: await id() });
    expect(outcome).toEqual({ state: 'unknown', at: NOW.toISOString(), detail: expect.stringMatching(detail) });
  });
});

describe('recordObservation (the re-drive orchestration)', () => {
  const redriven = (number: number) => {
    const failed = run(requestIn('completed'), {
      kind: 'recordExecution',
      execution: { status: 'failed', at: after(3), detail: 'throttled' },
    });
    return {
      ...failed,
      redrive: { number, by: oscar, reason: 'retry', at: after(4), running: false },
      execution: { status: 'succeeded' as const, at: after(5), detail: 'accepted', graph },
    };
  };
  const outcome: DeviceOutcome = { state: 'done', at: after(20), detail: 'wiped' };

  it("records re-drive 1's device outcome once, a repeated delivery changing nothing", async () => {
    const request = await stored(redriven(1));
    const record = makeRecordObservation(store);

    await record({ requestId: request.id, number: 1, outcome });
    await record({ requestId: request.id, number: 1, outcome });

    expect((await store.getRequest(request.id))!.value.execution!.device).toEqual(outcome);
    const trail = await readTrail(store, request.id);
    expect(trail.filter((r) => r.type === 'execution.observed').map((r) => r.data)).toEqual([
      { operationHash: request.operationHash, state: 'done', detail: 'wiped', clientRequestId: 'crid-1', redrive: 1 },
    ]);
  });

  it('records nothing for a re-drive that no longer owns the execution', async () => {
    const request = await stored(redriven(2));

    await makeRecordObservation(store)({ requestId: request.id, number: 1, outcome });

    expect((await store.getRequest(request.id))!.value.execution!.device).toBeUndefined();
    expect((await readTrail(store, request.id)).map((r) => r.type)).not.toContain('execution.observed');
  });
});
