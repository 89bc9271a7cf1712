import { makeExecuteStep } from '../../../orchestrations/activities/executeStep';
import { makeRecordStep, type Send } from '../../../orchestrations/activities/recordStep';
import type { ExecuteStepInput, NotifyInput, NotifyOutput } from '../../../orchestrations/contracts';
import { executionStep, startRecords } from '../../../orchestrations/steps';
import { chainEvents, chainStartAfter, verifyChain, type ChainStart } from '../../../shared/domain/auditChain';
import { applyCommand, type Command } from '../../../shared/domain/lifecycle';
import type { ApprovalRequest } from '../../../shared/domain/model';
import type { ExecutionOutcome } from '../../../shared/execute/executor';
import { parseKeySetting, type AppKeyRing } from '../../../shared/keys/appKey';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { StoreError, type Store } from '../../../shared/store/store';
import { readTrail } from '../../../shared/store/trail';
import { TEST_APP_KEY } from '../../support/appKey';
import { after, alice, approve, newRequest, REQUESTER } from '../../support/builders';
import { scriptedExecutor, tempSqliteStore } from '../../support/fakePorts';
import { failingReadModelOnce } from '../../support/partialWrite';

const keys: AppKeyRing = { current: parseKeySetting(TEST_APP_KEY) };
const NOW = new Date(after(30));

let store: SqliteStore;
let dispose: () => Promise<void>;
beforeEach(() => {
  ({ store, dispose } = tempSqliteStore());
});
afterEach(() => dispose());

const executor = scriptedExecutor;

const ACCEPTED: ExecutionOutcome = {
  status: 'succeeded',
  detail: 'Graph accepted the wipe',
  code: 'accepted',
  followUp: { everyMs: 60_000, until: after(600) },
};

function sender(): Send & { sent: NotifyInput[] } {
  const sent: NotifyInput[] = [];
  const send = async (input: NotifyInput): Promise<NotifyOutput> => {
    sent.push(input);
    return { outcomes: [{ channel: 'email', recipient: alice, ok: true, detail: '202' }], problems: [] };
  };
  return Object.assign(send, { sent });
}

/** `request` stored through its steps up to `commands` (submitted, then each command a step), as the orchestration leaves it. */
async function storedThrough(
  request: ApprovalRequest,
  ...commands: Command[]
): Promise<{ request: ApprovalRequest; etag: string; after: ChainStart }> {
  let { etag } = await store.createRequest(request);
  let { records, next } = startRecords({ request });
  etag = (await store.recordStep({ records, request: { value: request, etag } }))!;
  let current = request;
  for (const command of commands) {
    const result = applyCommand(current, command);
    ({ records, next } = chainEvents(result.events, next));
    etag = (await store.recordStep({ records, request: { value: result.request, etag } }))!;
    current = result.request;
  }
  return { request: current, etag, after: next };
}

const complete: Command = { kind: 'complete', actor: alice, actorRoles: REQUESTER, at: after(20) };

function input(stored: { request: ApprovalRequest; etag: string; after: ChainStart }): ExecuteStepInput {
  return {
    requestId: stored.request.id,
    operationHash: stored.request.operationHash,
    etag: stored.etag,
    after: stored.after,
  };
}

describe('the executeStep activity', () => {
  it('executes the stored completed request and records the execution under the orchestration’s etag, in one run', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const send = sender();
    const step = makeExecuteStep({
      executorFor: () => run,
      store,
      record: makeRecordStep(store, keys, send),
      now: () => NOW,
    });

    const output = await step({ ...input(stored), notify: { notificationId: 'guid-9', at: after(20) } });

    expect(run.runs.map((request) => request.status)).toEqual(['completed']);
    expect(output.execution).toEqual({ ...ACCEPTED, at: NOW.toISOString() });
    const trail = await readTrail(store, stored.request.id);
    expect(trail.slice(-2).map((record) => record.type)).toEqual(['execution.succeeded', 'notification.sent']);
    expect(verifyChain(trail).valid).toBe(true);
    const now = (await store.getRequest(stored.request.id))!;
    expect(output.recorded).toEqual({ etag: now.etag, next: chainStartAfter(trail.at(-1)) });
    expect(now.value.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(send.sent.map((sent) => [sent.kind, sent.request.execution?.status])).toEqual([['executed', 'succeeded']]);
  });

  it('throws for a retry, executing nothing, while the stored request is still open', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }));
    const run = executor(ACCEPTED);
    const step = makeExecuteStep({ executorFor: () => run, store, record: makeRecordStep(store, keys, sender()) });

    await expect(step(input(stored))).rejects.toThrow('execution_refused');
    expect(run.runs).toEqual([]);
  });

  it('hands the execution back unrecorded when the read model is another version, or when writing it fails', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const step = makeExecuteStep({ executorFor: () => run, store, record: makeRecordStep(store, keys, sender()) });

    const otherVersion = await step({ ...input(stored), etag: 'another-version' });
    expect(otherVersion.recorded).toBeUndefined();
    expect(otherVersion.execution.status).toBe('succeeded');

    const failing: Pick<Store, 'recordStep' | 'listAudit'> = {
      recordStep: () => Promise.reject(new StoreError('store_unavailable', 'disk full')),
      listAudit: (id, page) => store.listAudit(id, page),
    };
    const unwritten = await makeExecuteStep({
      executorFor: () => run,
      store,
      record: makeRecordStep(failing, keys, sender()),
    })(input(stored));
    expect(unwritten.recorded).toBeUndefined();
    expect(unwritten.execution.status).toBe('succeeded');
    // Executed once per run, never again for a failed write; nothing recorded here: the orchestration records it.
    expect(run.runs).toHaveLength(2);
    expect((await store.getRequest(stored.request.id))!.value.execution).toBeUndefined();
  });

  it('executes nothing when run again after it recorded the execution, and answers the recorded execution with its follow-up', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const step = makeExecuteStep({ executorFor: () => run, store, record: makeRecordStep(store, keys, sender()) });
    const first = await step(input(stored));
    const trail = await readTrail(store, stored.request.id);

    // The first run's answer was lost: the same input again.
    const again = await step(input(stored));

    expect(run.runs).toHaveLength(1);
    expect(await readTrail(store, stored.request.id)).toEqual(trail);
    const now = (await store.getRequest(stored.request.id))!;
    expect(again.recorded).toEqual({ etag: now.etag, next: chainStartAfter(trail.at(-1)) });
    expect(again.execution).toEqual(first.execution);
    expect(again.execution.followUp).toEqual(ACCEPTED.followUp);
  });

  it('completes the step an earlier run wrote the record of (its read model write failed), executing nothing again and keeping the follow-up', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED, {
      status: 'failed',
      detail: 'a second run',
      retryable: false,
    });
    const partial = failingReadModelOnce(store);
    const send = sender();
    const step = makeExecuteStep({
      executorFor: () => run,
      store: partial,
      record: makeRecordStep(partial, keys, send),
      now: () => NOW,
    });
    const notify = { notificationId: 'guid-9', at: after(20) };
    // The records are appended, the read model's write fails (or the process dies here).
    const unrecorded = await step({ ...input(stored), notify });
    expect(unrecorded.recorded).toBeUndefined();
    expect(partial.failed()).toBe(1);
    const written = await readTrail(store, stored.request.id);
    expect(written.at(-1)!.type).toBe('execution.succeeded');
    expect(written.at(-1)!.data.executed).toEqual({ ...ACCEPTED, at: NOW.toISOString() });
    expect((await store.getRequest(stored.request.id))!.etag).toBe(stored.etag);
    // Handed back, the orchestration would record it as a step of its own: the same record, from its copy.
    const handedBack = JSON.parse(JSON.stringify(unrecorded.execution)) as typeof unrecorded.execution;
    expect(chainEvents(executionStep(stored.request, handedBack).events, stored.after).records).toEqual(
      written.slice(-1),
    );

    // The activity run again with the same input (a retry after a crash between the two writes).
    const output = await step({ ...input(stored), notify });

    expect(run.runs).toHaveLength(1);
    expect(output.execution).toEqual({ ...ACCEPTED, at: NOW.toISOString() });
    expect(output.execution.followUp).toEqual(ACCEPTED.followUp);
    const trail = await readTrail(store, stored.request.id);
    expect(trail.slice(0, written.length)).toEqual(written);
    expect(trail.slice(written.length).map((record) => record.type)).toEqual(['notification.sent']);
    expect(verifyChain(trail).valid).toBe(true);
    const now = (await store.getRequest(stored.request.id))!;
    expect(now.value.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(now.value.trail?.seq).toBe(trail.at(-1)!.seq);
    expect(output.recorded).toEqual({ etag: now.etag, next: chainStartAfter(trail.at(-1)) });
    expect(send.sent.map((sent) => [sent.kind, sent.notificationId])).toEqual([['executed', 'guid-9']]);
  });

  it('records the failure it was given up with, executing nothing, when nothing stands at its place', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const send = sender();
    const step = makeExecuteStep({ executorFor: () => run, store, record: makeRecordStep(store, keys, send) });
    const gaveUp = { status: 'failed' as const, at: after(25), detail: 'gave up after retries: Graph answered 503' };

    const output = await step({ ...input(stored), gaveUp, notify: { notificationId: 'guid-9', at: after(20) } });

    expect(run.runs).toEqual([]);
    expect(output.execution).toEqual(gaveUp);
    const trail = await readTrail(store, stored.request.id);
    expect(trail.slice(-2).map((record) => record.type)).toEqual(['execution.failed', 'notification.sent']);
    expect(verifyChain(trail).valid).toBe(true);
    const now = (await store.getRequest(stored.request.id))!;
    expect(now.value.execution).toMatchObject({ status: 'failed', detail: gaveUp.detail });
    expect(output.recorded).toEqual({ etag: now.etag, next: chainStartAfter(trail.at(-1)) });
  });

  it('answers the execution an earlier run recorded at its place instead of the failure it was given up with', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const partial = failingReadModelOnce(store);
    const step = makeExecuteStep({
      executorFor: () => run,
      store: partial,
      record: makeRecordStep(partial, keys, sender()),
      now: () => NOW,
    });
    // The execution record is appended, then its read model's write fails: the store stays down
    // through every retry, and the orchestration gives up.
    expect((await step(input(stored))).recorded).toBeUndefined();
    const written = await readTrail(store, stored.request.id);
    expect(written.at(-1)!.type).toBe('execution.succeeded');
    const gaveUp = { status: 'failed' as const, at: after(25), detail: 'gave up after retries: store unavailable' };

    const output = await step({ ...input(stored), gaveUp });

    expect(run.runs).toHaveLength(1);
    expect(output.execution).toEqual({ ...ACCEPTED, at: NOW.toISOString() });
    expect(await readTrail(store, stored.request.id)).toEqual(written);
    const now = (await store.getRequest(stored.request.id))!;
    expect(now.value.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(output.recorded).toEqual({ etag: now.etag, next: chainStartAfter(written.at(-1)) });
  });

  it('answers the execution another run of its attempt recorded while it wrote the failure it was given up with', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const other = { ...ACCEPTED, at: after(24) };
    // A duplicate run of the last attempt (Durable may deliver one twice) records its execution
    // between this step's reads and its write.
    let raced = false;
    const racing: Pick<Store, 'getRequest' | 'listAudit' | 'auditRecordAt' | 'recordStep'> = {
      getRequest: (id) => store.getRequest(id),
      listAudit: (id, page) => store.listAudit(id, page),
      auditRecordAt: (id, seq) => store.auditRecordAt(id, seq),
      async recordStep(step) {
        if (!raced) {
          raced = true;
          const result = executionStep(stored.request, other);
          const { records } = chainEvents(result.events, stored.after);
          await store.recordStep({ records, request: { value: result.request, etag: stored.etag } });
        }
        return store.recordStep(step);
      },
    };
    const step = makeExecuteStep({
      executorFor: () => run,
      store: racing,
      record: makeRecordStep(racing, keys, sender()),
    });
    const gaveUp = { status: 'failed' as const, at: after(25), detail: 'gave up after retries: Graph answered 503' };

    const output = await step({ ...input(stored), gaveUp });

    expect(run.runs).toEqual([]);
    expect(output.execution).toEqual(other);
    const trail = await readTrail(store, stored.request.id);
    expect(trail.filter((record) => record.type.startsWith('execution.')).map((record) => record.type)).toEqual([
      'execution.succeeded',
    ]);
    const now = (await store.getRequest(stored.request.id))!;
    expect(now.value.execution).toMatchObject({ status: 'succeeded' });
    expect(output.recorded).toEqual({ etag: now.etag, next: chainStartAfter(trail.at(-1)) });
  });

  it('hands back the execution an earlier run recorded when the store refuses its write now, executing nothing again', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const partial = failingReadModelOnce(store);
    await makeExecuteStep({
      executorFor: () => run,
      store: partial,
      record: makeRecordStep(partial, keys, sender()),
      now: () => NOW,
    })(input(stored));
    const written = await readTrail(store, stored.request.id);
    expect(written.at(-1)!.type).toBe('execution.succeeded');

    // Retried while the store refuses writes: no throw (the retries would end in a contradicting failure).
    const refusing: Pick<Store, 'recordStep' | 'listAudit'> = {
      recordStep: () => Promise.reject(new StoreError('store_unavailable', 'throttled')),
      listAudit: (id, page) => store.listAudit(id, page),
    };
    const output = await makeExecuteStep({
      executorFor: () => run,
      store,
      record: makeRecordStep(refusing, keys, sender()),
      now: () => NOW,
    })(input(stored));

    expect(run.runs).toHaveLength(1);
    expect(output.recorded).toBeUndefined();
    expect(output.execution).toEqual({ ...ACCEPTED, at: NOW.toISOString() });
    // What the orchestration then records is the record already there.
    expect(chainEvents(executionStep(stored.request, output.execution).events, stored.after).records).toEqual(
      written.slice(-1),
    );
  });

  it('records a refused execution as failed, for the orchestration, without running the executor', async () => {
    const stored = await storedThrough(newRequest(), approve({ id: 'bob-id', displayName: 'Bob' }), complete);
    const run = executor(ACCEPTED);
    const step = makeExecuteStep({ executorFor: () => run, store, record: makeRecordStep(store, keys, sender()) });

    const output = await step({ ...input(stored), operationHash: 'not-the-approved-one' });

    expect(run.runs).toEqual([]);
    expect(output.recorded).toBeUndefined();
    expect(output.execution).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^execution_refused:/) });
  });
});
