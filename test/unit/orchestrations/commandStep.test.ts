import { makeAuthorizeCommand } from '../../../orchestrations/activities/authorizeCommand';
import { makeCommandStep } from '../../../orchestrations/activities/commandStep';
import { makeExecuteStep } from '../../../orchestrations/activities/executeStep';
import { makeRecordStep, type Send } from '../../../orchestrations/activities/recordStep';
import type {
  CommandStepInput,
  CommandStepOutput,
  NotifyInput,
  NotifyOutput,
  RecordStepInput,
} from '../../../orchestrations/contracts';
import { commandOf, commandStep, startRecords, withStepData } from '../../../orchestrations/steps';
import { chainEvents, chainStartAfter, verifyChain, type ChainStart } from '../../../shared/domain/auditChain';
import { applyCommand, type Command } from '../../../shared/domain/lifecycle';
import type { ActorCommand } from '../../../shared/domain/commands';
import type { ApprovalRequest } from '../../../shared/domain/model';
import type { Executor, ExecutionOutcome } from '../../../shared/execute/executor';
import { parseKeySetting, type AppKeyRing } from '../../../shared/keys/appKey';
import { signCommand, signStart } from '../../../shared/keys/commandSignature';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { withHead, type Store } from '../../../shared/store/store';
import { readTrail } from '../../../shared/store/trail';
import { TEST_APP_KEY } from '../../support/appKey';
import {
  accessPolicy,
  after,
  alice,
  approve,
  APPROVER,
  bob,
  erin,
  GROUP_A,
  newRequest,
  REQUESTER,
} from '../../support/builders';
import { scriptedExecutor, tempSqliteStore } from '../../support/fakePorts';
import { failingReadModelOnce } from '../../support/partialWrite';

const keys: AppKeyRing = { current: parseKeySetting(TEST_APP_KEY) };
const ROLES: Record<string, string[]> = { [alice.id]: REQUESTER, [bob.id]: APPROVER, [erin.id]: APPROVER };
const GROUPS: Record<string, string[]> = { [bob.id]: [GROUP_A] };

let store: SqliteStore;
let dispose: () => Promise<void>;
beforeEach(() => {
  ({ store, dispose } = tempSqliteStore());
});
afterEach(() => dispose());

/** A directory that answers ROLES and GROUPS (or fails while `down`), and what it was asked. */
function directory() {
  const asked: string[] = [];
  let down = false;
  const read = <T>(what: string, value: T): Promise<T> => {
    asked.push(what);
    return down ? Promise.reject(new Error('directory unreachable')) : Promise.resolve(value);
  };
  return {
    asked,
    fail: (value: boolean) => void (down = value),
    appRolesOf: (id: string) => read(`roles ${id}`, ROLES[id] ?? []),
    memberGroupsOf: (id: string, groupIds: readonly string[]) =>
      read(
        `groups ${id}`,
        (GROUPS[id] ?? []).filter((group) => groupIds.includes(group)),
      ),
  };
}

/** A sender that delivers one mail per notification and keeps what it was asked. */
function sender(): Send & { sent: NotifyInput[] } {
  const sent: NotifyInput[] = [];
  const send = async (input: NotifyInput): Promise<NotifyOutput> => {
    sent.push(input);
    return { outcomes: [{ channel: 'email', recipient: alice, ok: true, detail: '202' }], problems: [] };
  };
  return Object.assign(send, { sent });
}

/** `request` submitted: its read model and first step stored, as the submit and the first step leave them. */
async function submitted(request: ApprovalRequest): Promise<{ etag: string; after: ChainStart }> {
  const created = await store.createRequest(request);
  const { records, next } = startRecords({ request });
  const etag = (await store.recordStep({ records, request: { value: request, etag: created.etag } }))!;
  return { etag, after: next };
}

function setup() {
  const dir = directory();
  const send = sender();
  const reads: string[] = [];
  const counted = {
    getRequest: (id: string) => (reads.push(id), store.getRequest(id)),
    listAudit: store.listAudit.bind(store),
    auditRecordAt: store.auditRecordAt.bind(store),
  };
  const step = makeCommandStep({
    keys,
    directory: dir,
    store: counted,
    record: makeRecordStep(store, keys, send),
  });
  return { dir, send, reads, step };
}

const AT = after(10);
const signed = (request: ApprovalRequest, command: ActorCommand, nonce?: string) =>
  signCommand(keys, request.id, command, new Date(AT), nonce);
const approval: ActorCommand = { kind: 'decide', actor: bob, decision: 'approve', notes: 'ok', source: 'api' };

function input(request: ApprovalRequest, event: unknown, at: { etag: string; after: ChainStart }): CommandStepInput {
  return { requestId: request.id, event, at: AT, etag: at.etag, after: at.after, notificationId: 'guid-1' };
}

describe('the commandStep activity', () => {
  it('applies a genuine approval in one run: the request read from the store, the actor’s rights from the directory, recorded with its nonce and notified', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const { dir, send, reads, step } = setup();
    const event = signed(request, approval, 'nonce-approve-000001');

    const output = await step(input(request, event, stored));

    expect(reads).toEqual([request.id]);
    expect(dir.asked).toEqual([`roles ${bob.id}`, `groups ${bob.id}`]);
    expect(send.sent.map((sent) => sent.kind)).toEqual(['approved']);
    const trail = await readTrail(store, request.id);
    expect(trail.map((record) => record.type)).toEqual([
      'request.submitted',
      'request.approved',
      'request.statusChanged',
      'notification.sent',
    ]);
    expect(verifyChain(trail).valid).toBe(true);
    expect(trail[1]!.data.nonce).toBe('nonce-approve-000001');
    const now = (await store.getRequest(request.id))!;
    expect(output).toEqual<CommandStepOutput>({
      verified: { nonce: 'nonce-approve-000001', issuedAt: AT },
      rights: { actorRoles: APPROVER, actorGroupIds: [GROUP_A] },
      status: 'approved',
      etag: now.etag,
      next: chainStartAfter(trail.at(-1)),
    });
    // The orchestration applies the same rules with the rights answered to its own copy: the same request.
    const mine = commandStep(request, commandOf(event, output.rights!, AT), null, AT).result.request;
    expect(withHead(mine, now.value.trail!)).toEqual(now.value);
  });

  it('completes on approval in the same step, reading the initiator’s roles', async () => {
    const request = newRequest({ policy: accessPolicy({ completion: 'onApproval' }) });
    const stored = await submitted(request);
    const { dir, send, step } = setup();

    const output = await step(input(request, signed(request, approval), stored));

    expect(dir.asked).toEqual([`roles ${bob.id}`, `groups ${bob.id}`, `roles ${alice.id}`]);
    expect(output).toMatchObject({ rights: { initiatorRoles: REQUESTER }, status: 'completed' });
    expect((await store.getRequest(request.id))!.value.status).toBe('completed');
    // No "complete it now" mail: the initiator hears once it ran.
    expect(send.sent).toEqual([]);
  });

  it('records a refused signature without reading the store or the directory', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const { dir, reads, send, step } = setup();
    const forged = { ...signed(request, approval, 'nonce-forged-0000001'), decision: 'reject' };

    const output = await step(input(request, forged, stored));

    expect([reads, dir.asked, send.sent]).toEqual([[], [], []]);
    expect(output).not.toHaveProperty('verified');
    expect(output).not.toHaveProperty('rights');
    const refused = (await readTrail(store, request.id)).at(-1)!;
    expect(refused).toMatchObject({
      type: 'request.eventRefused',
      actor: null,
      data: { code: 'command_unauthenticated', nonce: 'nonce-forged-0000001', claimedActor: { id: bob.id } },
    });
    expect((await store.getRequest(request.id))!.value.status).toBe('needsApproval');
  });

  it('refuses a genuine command the orchestration flagged as replayed, or refuses whatever the rights, without reading the directory', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const { dir, reads, step } = setup();

    const replayed = await step({
      ...input(request, signed(request, approval, 'nonce-replayed-00001'), stored),
      replayed: true,
    });
    const late = await step({
      ...input(request, signed(request, approval, 'nonce-late-00000001'), {
        etag: replayed.etag!,
        after: replayed.next,
      }),
      refuse: { code: 'invalid_state', reason: 'the request is already rejected' },
    });

    expect([reads, dir.asked]).toEqual([[], []]);
    expect(late.verified).toEqual({ nonce: 'nonce-late-00000001', issuedAt: AT });
    const refusals = (await readTrail(store, request.id)).slice(1).map((record) => [record.actor?.id, record.data]);
    expect(refusals).toEqual([
      [bob.id, expect.objectContaining({ code: 'command_replayed', command: 'decide', nonce: 'nonce-replayed-00001' })],
      [
        bob.id,
        {
          code: 'invalid_state',
          command: 'decide',
          reason: 'the request is already rejected',
          nonce: 'nonce-late-00000001',
        },
      ],
    ]);
  });

  it('records a refusal by the lifecycle rules, with the rights it read, changing nothing else', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const { step } = setup();
    const outsider: ActorCommand = { ...approval, actor: erin } as ActorCommand;

    const output = await step(input(request, signed(request, outsider), stored));

    expect(output).toMatchObject({ rights: { actorRoles: APPROVER, actorGroupIds: [] }, status: 'needsApproval' });
    expect((await readTrail(store, request.id)).at(-1)).toMatchObject({
      type: 'request.eventRefused',
      actor: { id: erin.id },
      data: { code: 'not_an_approver' },
    });
  });

  it('answers stale and writes nothing when the read model is not the version the orchestration wrote, then applies with the request it sends', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const { step } = setup();
    const event = signed(request, approval);

    const stale = await step(input(request, event, { ...stored, etag: 'an-older-etag' }));
    expect(stale).toEqual({ stale: true, etag: null, next: stored.after });
    expect(await readTrail(store, request.id)).toHaveLength(1);

    const output = await step({ ...input(request, event, { ...stored, etag: 'an-older-etag' }), request });
    expect(output.status).toBe('approved');
    expect((await store.getRequest(request.id))!.value.status).toBe('approved');
  });

  it('fails before writing anything when the directory cannot be read, for the orchestration’s retries', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const { dir, step } = setup();
    dir.fail(true);

    await expect(step(input(request, signed(request, approval), stored))).rejects.toThrow('directory unreachable');
    expect(await readTrail(store, request.id)).toHaveLength(1);
  });

  it('writes nothing twice when run again after a crash, applying the rights the first run recorded when the directory answers otherwise', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const first = setup();
    const event = signed(request, approval);
    const firstOutput = await first.step(input(request, event, stored));
    const trail = await readTrail(store, request.id);
    expect(trail[1]!.data.rights).toEqual({ actorRoles: APPROVER, actorGroupIds: [GROUP_A] });

    // The first run's answer was lost: the re-run finds the read model moved on, and is sent the orchestration's copy.
    const again = setup();
    expect(await again.step(input(request, event, stored))).toMatchObject({ stale: true });
    const rerun = await again.step({ ...input(request, event, stored), request });
    expect(await readTrail(store, request.id)).toEqual(trail);
    expect(rerun.status).toBe('approved');

    // Bob left the approver group meanwhile: the rights the first run recorded are applied, not read again.
    GROUPS[bob.id] = [];
    try {
      const third = setup();
      const output = await third.step({ ...input(request, event, stored), request });
      expect(third.dir.asked).toEqual([]);
      expect(await readTrail(store, request.id)).toEqual(trail);
      const now = (await store.getRequest(request.id))!;
      expect(output.adopted).toBeUndefined();
      expect(output).toMatchObject({ rights: firstOutput.rights, status: 'approved', etag: now.etag });
      expect(output.next).toEqual(chainStartAfter(trail.at(-1)));
    } finally {
      GROUPS[bob.id] = [GROUP_A];
    }
  });

  it('completes the step an earlier run wrote the records of (its read model write failed), with the rights that run recorded', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const partial = failingReadModelOnce(store);
    const dir = directory();
    const send = sender();
    const step = makeCommandStep({ keys, directory: dir, store: partial, record: makeRecordStep(partial, keys, send) });
    const event = signed(request, approval, 'nonce-partial-000001');

    await expect(step(input(request, event, stored))).rejects.toThrow('read model write failed');
    expect(partial.failed()).toBe(1);
    const written = await readTrail(store, request.id);
    expect(written.map((record) => record.type)).toEqual([
      'request.submitted',
      'request.approved',
      'request.statusChanged',
    ]);
    expect((await store.getRequest(request.id))!.etag).toBe(stored.etag);

    // Bob left the approver group before the retry: read again, the directory would have him refused.
    GROUPS[bob.id] = [];
    try {
      dir.asked.length = 0;
      const output = await step(input(request, event, stored));
      expect(dir.asked).toEqual([]);
      expect(output.adopted).toBeUndefined();
      expect(output.status).toBe('approved');
      const trail = await readTrail(store, request.id);
      expect(trail.slice(0, 3)).toEqual(written);
      expect(trail.map((record) => record.type)).toEqual([
        'request.submitted',
        'request.approved',
        'request.statusChanged',
        'notification.sent',
      ]);
      expect(verifyChain(trail).valid).toBe(true);
      const now = (await store.getRequest(request.id))!;
      expect(now.value.status).toBe('approved');
      expect(now.value.trail?.seq).toBe(trail.at(-1)!.seq);
      expect(output).toMatchObject({ etag: now.etag, next: chainStartAfter(trail.at(-1)) });
      expect(send.sent.map((sent) => [sent.kind, sent.notificationId])).toEqual([['approved', 'guid-1']]);
    } finally {
      GROUPS[bob.id] = [GROUP_A];
    }
  });

  it('hands the fallback the rights an earlier run recorded, so it writes that run’s records', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const partial = failingReadModelOnce(store);
    const dir = directory();
    const step = makeCommandStep({
      keys,
      directory: dir,
      store: partial,
      record: makeRecordStep(partial, keys, sender()),
    });
    const event = signed(request, approval, 'nonce-partial-000002');
    await expect(step(input(request, event, stored))).rejects.toThrow('read model write failed');
    const written = await readTrail(store, request.id);

    GROUPS[bob.id] = [];
    try {
      dir.asked.length = 0;
      const authorize = makeAuthorizeCommand(keys, dir, store);
      const base = { instanceId: request.id, event, at: AT, groupIds: [GROUP_A], readDirectory: true };
      const auth = await authorize({ ...base, after: stored.after });
      expect(dir.asked).toEqual([]);
      expect(auth).toEqual({
        ok: true,
        nonce: 'nonce-partial-000002',
        issuedAt: AT,
        actorRoles: APPROVER,
        actorGroupIds: [GROUP_A],
      });
      // The fallback's records (the orchestration applies the same rules at the same time) are that run's.
      const rights = { actorRoles: APPROVER, actorGroupIds: [GROUP_A] };
      const result = commandStep(request, commandOf(event, rights, AT), null, AT).result;
      const { records } = chainEvents(withStepData(result.events, 'nonce-partial-000002', rights), stored.after);
      expect(records).toEqual(written.slice(1));
      // Elsewhere on the trail, or for another nonce, the directory is read.
      expect(await authorize({ ...base, after: chainStartAfter(written.at(-1)) })).toMatchObject({ actorGroupIds: [] });
    } finally {
      GROUPS[bob.id] = [GROUP_A];
    }
  });
});

describe('the recordStep activity, carrying no request', () => {
  it('derives its records from the start input, which the orchestration does not send twice', async () => {
    const request = newRequest();
    const { etag } = await store.createRequest(request);
    const start = signStart(keys, request.id, { request, etag }, new Date());
    const step: RecordStepInput = { records: [], start };

    await makeRecordStep(store, keys, sender())(step);

    expect(await readTrail(store, request.id)).toEqual(startRecords({ request }).records);
  });

  it('derives a step from the stored read model at the orchestration’s etag, and answers stale at another', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const expire = { kind: 'expire', at: request.expiresAt } as const;
    const events = applyCommand(request, expire).events;
    const { records } = chainEvents(events, stored.after);
    const record = makeRecordStep(store, keys, sender());

    const stale = await record({
      records,
      derive: { requestId: request.id, etag: 'another-version', command: expire },
    });
    expect(stale).toEqual({ stale: true });
    expect(await readTrail(store, request.id)).toHaveLength(1);

    const etag = await record({ records, derive: { requestId: request.id, etag: stored.etag, command: expire } });
    const now = (await store.getRequest(request.id))!;
    expect(etag).toBe(now.etag);
    expect(now.value.status).toBe('expired');
    expect((await readTrail(store, request.id)).map((one) => one.type)).toEqual([
      'request.submitted',
      'request.expired',
      'request.statusChanged',
    ]);
  });
});

describe('the commandStep activity of the command that completes the request', () => {
  const NOW = new Date(after(30));
  const ACCEPTED: ExecutionOutcome = {
    status: 'succeeded',
    detail: 'Graph accepted the wipe',
    code: 'accepted',
    followUp: { everyMs: 60_000, until: after(600) },
  };
  const UNAVAILABLE: ExecutionOutcome = { status: 'failed', detail: 'Graph answered 503', retryable: true };
  const completion: ActorCommand = { kind: 'complete', actor: alice };

  const executor = scriptedExecutor;

  /** `request` stored through its submission and `commands`, as the orchestration's steps leave it. */
  async function storedThrough(
    request: ApprovalRequest,
    ...commands: Command[]
  ): Promise<{ request: ApprovalRequest; etag: string; after: ChainStart }> {
    let at = await submitted(request);
    let current = request;
    for (const command of commands) {
      const result = applyCommand(current, command);
      const { records, next } = chainEvents(result.events, at.after);
      at = {
        etag: (await store.recordStep({ records, request: { value: result.request, etag: at.etag } }))!,
        after: next,
      };
      current = result.request;
    }
    return { request: current, ...at };
  }

  /** The command step with the execution step as its `execute`, both over `over` (the store by default). */
  function executing(
    run: Executor,
    over: Pick<Store, 'getRequest' | 'listAudit' | 'auditRecordAt' | 'recordStep'> = store,
  ) {
    const send = sender();
    const record = makeRecordStep(over, keys, send);
    const execute = makeExecuteStep({ executorFor: () => run, store: over, record, now: () => NOW });
    const step = makeCommandStep({ keys, directory: directory(), store: over, record, execute });
    return { send, step, execute };
  }

  const approved = () => storedThrough(newRequest(), approve(bob));

  it('executes the request it completed in the same run, after its records and under the etag its write answered', async () => {
    const stored = await approved();
    const run = executor(ACCEPTED);
    const { send, step } = executing(run);

    const output = await step(input(stored.request, signed(stored.request, completion), stored));

    expect(run.runs.map((request) => request.status)).toEqual(['completed']);
    const trail = await readTrail(store, stored.request.id);
    expect(trail.slice(-3).map((record) => record.type)).toEqual([
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
    ]);
    expect(verifyChain(trail).valid).toBe(true);
    const now = (await store.getRequest(stored.request.id))!;
    expect(now.value.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(output).toMatchObject({ status: 'completed', next: chainStartAfter(trail.at(-2)) });
    expect(output.executed).toEqual({
      execution: { ...ACCEPTED, at: NOW.toISOString() },
      recorded: { etag: now.etag, next: chainStartAfter(trail.at(-1)) },
    });
    // The initiator completed it: no message.
    expect(send.sent).toEqual([]);
  });

  it('executes a completion on approval in the same run and sends the initiator the executed message with the id it was given', async () => {
    const request = newRequest({ policy: accessPolicy({ completion: 'onApproval' }) });
    const stored = await submitted(request);
    const run = executor(ACCEPTED);
    const { send, step } = executing(run);

    const output = await step({
      ...input(request, signed(request, approval), stored),
      execution: { notificationId: 'guid-executed' },
    });

    expect(run.runs).toHaveLength(1);
    expect(send.sent.map((sent) => [sent.kind, sent.notificationId, sent.at, sent.request.execution?.status])).toEqual([
      ['executed', 'guid-executed', AT, 'succeeded'],
    ]);
    const trail = await readTrail(store, request.id);
    expect(trail.slice(1).map((record) => record.type)).toEqual([
      'request.approved',
      'request.statusChanged',
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
      'notification.sent',
    ]);
    expect(output.executed?.recorded?.next).toEqual(chainStartAfter(trail.at(-1)));
  });

  it('leaves a completion on approval to the execution step when its input names no executed message id', async () => {
    const request = newRequest({ policy: accessPolicy({ completion: 'onApproval' }) });
    const stored = await submitted(request);
    const run = executor(ACCEPTED);
    const { send, step } = executing(run);

    const output = await step(input(request, signed(request, approval), stored));

    expect(output.status).toBe('completed');
    expect(output.executed).toBeUndefined();
    expect([run.runs, send.sent]).toEqual([[], []]);
  });

  it('answers without an execution when the execution throws, and the execution step at its position then executes it once', async () => {
    const stored = await approved();
    const run = executor(UNAVAILABLE, ACCEPTED);
    const { step, execute } = executing(run);

    const output = await step(input(stored.request, signed(stored.request, completion), stored));

    // The command step stands: recorded and answered, the execution left to the orchestration.
    expect(output.executed).toBeUndefined();
    expect(output.executionFailed).toBe(true);
    expect(output.status).toBe('completed');
    const written = await readTrail(store, stored.request.id);
    expect(written.at(-1)!.type).toBe('request.statusChanged');
    expect((await store.getRequest(stored.request.id))!.etag).toBe(output.etag);

    const executed = await execute({
      requestId: stored.request.id,
      operationHash: stored.request.operationHash,
      etag: output.etag!,
      after: output.next,
    });

    expect(run.runs).toHaveLength(2);
    expect(executed.recorded).toBeDefined();
    const trail = await readTrail(store, stored.request.id);
    expect(trail.slice(written.length).map((record) => record.type)).toEqual(['execution.succeeded']);
    expect(verifyChain(trail).valid).toBe(true);
  });

  it('executes nothing again when retried after it wrote the execution record and its read model write failed', async () => {
    const stored = await approved();
    const run = executor(ACCEPTED, { status: 'failed', detail: 'a second run', retryable: false });
    const partial = failingReadModelOnce(store, (step) =>
      step.records.some((record) => record.type.startsWith('execution.')),
    );
    const { step } = executing(run, partial);
    const event = signed(stored.request, completion);

    // The execution record is appended, its read model write fails: the execution is handed back.
    const first = await step(input(stored.request, event, stored));
    expect(partial.failed()).toBe(1);
    expect(first.executed).toEqual({ execution: { ...ACCEPTED, at: NOW.toISOString() } });
    const written = await readTrail(store, stored.request.id);
    expect(written.at(-1)!.type).toBe('execution.succeeded');

    // Its answer lost (the process died before it was saved), the step is retried: the read model
    // moved on, so it answers stale, and runs again with the orchestration's copy.
    expect(await step(input(stored.request, event, stored))).toMatchObject({ stale: true });
    const rerun = await step({ ...input(stored.request, event, stored), request: stored.request });

    expect(run.runs).toHaveLength(1);
    expect(await readTrail(store, stored.request.id)).toEqual(written);
    const now = (await store.getRequest(stored.request.id))!;
    expect(now.value.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(rerun.executed).toEqual({
      execution: { ...ACCEPTED, at: NOW.toISOString() },
      recorded: { etag: now.etag, next: chainStartAfter(written.at(-1)) },
    });
  });

  it('executes nothing again when retried after it recorded the whole step and its answer was lost', async () => {
    const stored = await approved();
    const run = executor(ACCEPTED);
    const { step } = executing(run);
    const event = signed(stored.request, completion);
    const first = await step(input(stored.request, event, stored));
    const written = await readTrail(store, stored.request.id);

    expect(await step(input(stored.request, event, stored))).toMatchObject({ stale: true });
    const rerun = await step({ ...input(stored.request, event, stored), request: stored.request });

    expect(run.runs).toHaveLength(1);
    expect(await readTrail(store, stored.request.id)).toEqual(written);
    const now = (await store.getRequest(stored.request.id))!;
    expect(rerun.executed).toEqual({
      execution: first.executed!.execution,
      recorded: { etag: now.etag, next: chainStartAfter(written.at(-1)) },
    });
  });

  it('writes and sends nothing again when a completion on approval is re-run after its whole step was recorded, its head staying at the end', async () => {
    const request = newRequest({ policy: accessPolicy({ completion: 'onApproval' }) });
    const stored = await submitted(request);
    const run = executor(ACCEPTED);
    // The channel answers otherwise the second time, as a retried send does ("attempt 2").
    const sent: NotifyInput[] = [];
    const send = async (message: NotifyInput): Promise<NotifyOutput> => {
      sent.push(message);
      const detail = sent.length === 1 ? '202' : '202 (attempt 2)';
      return { outcomes: [{ channel: 'email', recipient: alice, ok: true, detail }], problems: [] };
    };
    const record = makeRecordStep(store, keys, send);
    const execute = makeExecuteStep({ executorFor: () => run, store, record, now: () => NOW });
    const step = makeCommandStep({ keys, directory: directory(), store, record, execute });
    const event = signed(request, approval);
    const first = { ...input(request, event, stored), execution: { notificationId: 'guid-executed' } };
    await step(first);
    const written = await readTrail(store, request.id);
    const last = written.at(-1)!;
    expect(last.type).toBe('notification.sent');

    // The answer was lost: the retry finds the read model moved on, then runs with the orchestration's copy.
    expect(await step(first)).toMatchObject({ stale: true });
    const rerun = await step({ ...first, request });

    expect(run.runs).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(await readTrail(store, request.id)).toEqual(written);
    const now = (await store.getRequest(request.id))!;
    expect(now.value.trail).toEqual({ seq: last.seq, hash: last.hash });
    expect(rerun.executed?.recorded).toEqual({ etag: now.etag, next: chainStartAfter(last) });
  });

  it('executes when re-run with the orchestration’s copy after a read that lagged, once', async () => {
    const stored = await approved();
    const run = executor(ACCEPTED);
    const { step } = executing(run);
    const event = signed(stored.request, completion);

    const stale = await step(input(stored.request, event, { ...stored, etag: 'an-older-etag' }));
    expect(stale).toMatchObject({ stale: true });
    expect(run.runs).toEqual([]);
    const rerun = await step({ ...input(stored.request, event, stored), request: stored.request });

    expect(run.runs).toHaveLength(1);
    expect(rerun.executed?.recorded).toBeDefined();
    expect((await store.getRequest(stored.request.id))!.value.execution).toMatchObject({ status: 'succeeded' });
  });

  it('goes on to no execution after a command that does not complete the request', async () => {
    const request = newRequest();
    const stored = await submitted(request);
    const run = executor(ACCEPTED);
    const reads: string[] = [];
    const { step } = executing(run, {
      getRequest: (id) => (reads.push('request'), store.getRequest(id)),
      listAudit: (id, page) => (reads.push('trail'), store.listAudit(id, page)),
      auditRecordAt: (id, seq) => (reads.push('trail'), store.auditRecordAt(id, seq)),
      recordStep: (written) => store.recordStep(written),
    });

    const output = await step(input(request, signed(request, approval), stored));

    expect(output.status).toBe('approved');
    expect(output.executed).toBeUndefined();
    expect(run.runs).toEqual([]);
    // The step's own reads only: its place on the trail and the request.
    expect(reads).toEqual(['trail', 'request']);
  });
});
