import { chainEvents, chainStartAfter, verifyChain } from '../../../shared/domain/auditChain';
import { DomainError } from '../../../shared/domain/errors';
import { applyCommand, type DomainEvent } from '../../../shared/domain/lifecycle';
import type { ActorCommand } from '../../../shared/domain/commands';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { publishingSteps, StepFeed } from '../../../shared/store/stepFeed';
import type { Store } from '../../../shared/store/store';
import { readTrail } from '../../../shared/store/trail';
import { awaitVisibleRequest, sendCommand, submitRequest } from '../../../shared/useCases/requests';
import { accessPolicy, GROUP_A, wipeBody } from '../../support/builders';
import {
  caller,
  codeOf,
  FakeDirectory,
  RecordingOrchestrations,
  tempSqliteStore,
  useCaseDeps,
} from '../../support/fakePorts';

// Shorter than the command waits some tests set: a wait that runs to its bound fails the test.
jest.setTimeout(10_000);

const alice = caller('alice-id', ['MAA.Requester'], 'Alice');
const bob = caller('bob-id', ['MAA.Requester', 'MAA.Approver'], 'Bob');

let store: SqliteStore;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ store, dispose } = tempSqliteStore());
  await store.createPolicy(accessPolicy({ approverGroupIds: [GROUP_A] }));
});
afterEach(() => dispose());

/** Writes a step onto request `id`'s trail as its orchestration would: `events` chained after its head, and the request after them. */
async function writeStep(
  target: Store,
  id: string,
  events: (request: any) => { request?: any; events: DomainEvent[] },
) {
  const stored = (await target.getRequest(id))!;
  const step = events(stored.value);
  const { records } = chainEvents(step.events, chainStartAfter(stored.value.trail));
  await target.recordStep({
    records,
    ...(step.request ? { request: { value: step.request, etag: stored.etag } } : {}),
  });
}

const at = '2026-03-01T10:00:01.000Z';
const bobApproves = (request: any, nonce: string) => {
  const result = applyCommand(request, {
    kind: 'decide',
    actor: { id: bob.id, displayName: 'Bob' },
    actorRoles: bob.roles,
    actorGroupIds: [GROUP_A],
    decision: 'approve',
    notes: 'ok',
    source: 'api',
    at,
  });
  const [first, ...rest] = result.events;
  return { request: result.request, events: [{ ...first!, data: { ...first!.data, nonce } }, ...rest] };
};

/** The orchestrations port of an orchestration in another process: it writes its step `delayMs` after each raise. */
class AnotherProcess extends RecordingOrchestrations {
  constructor(
    private readonly target: Store,
    private readonly step: (request: any, nonce: string) => { request?: any; events: DomainEvent[] },
    private readonly delayMs = 50,
  ) {
    super();
  }
  running = 0;
  override async raise(requestId: string, command: ActorCommand): Promise<{ nonce: string }> {
    const raised = await super.raise(requestId, command);
    setTimeout(
      () => void writeStep(this.target, requestId, (request) => this.step(request, raised.nonce)),
      this.delayMs,
    );
    return raised;
  }
  override async assertRunning(): Promise<void> {
    this.running++;
  }
}

const directory = () => new FakeDirectory({ [GROUP_A]: [bob.id] });

describe('a command that waits for its orchestration', () => {
  it('hears, by reading the store, the step another process wrote naming its nonce, and answers the request after it', async () => {
    const orchestrations = new AnotherProcess(store, bobApproves);
    const deps = useCaseDeps(store, directory(), { orchestrations, commandWaitMs: 10_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const outcome = await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(outcome.kind).toBe('applied');
    expect(outcome.request).toMatchObject({ status: 'approved', decisions: [{ approver: { id: bob.id } }] });
    // Applied: the Durable status is never read.
    expect(orchestrations.running).toBe(0);
  });

  it('answers the orchestration’s refusal as its code', async () => {
    const refuses = (request: any, nonce: string) => ({
      events: [
        {
          requestId: request.id,
          type: 'request.eventRefused' as const,
          at,
          actor: { id: bob.id, displayName: 'Bob' },
          data: { command: 'decide', code: 'already_decided', reason: 'Bob has already decided', nonce },
        },
      ],
    });
    const deps = useCaseDeps(store, directory(), {
      orchestrations: new AnotherProcess(store, refuses),
      commandWaitMs: 10_000,
    });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const refusal = sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(await codeOf(refusal)).toBe('already_decided');
  });

  it('ignores steps naming another command’s nonce, and answers pending (after one status read) when the bound passes', async () => {
    const orchestrations = new AnotherProcess(store, (request) => bobApproves(request, 'someone-elses'));
    const deps = useCaseDeps(store, directory(), { orchestrations, commandWaitMs: 600 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const outcome = await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(outcome.kind).toBe('pending');
    expect(orchestrations.running).toBe(1);
  });

  it('is not cut short when the wall clock jumps (the local runtime’s manual clock moves the process’s Date)', async () => {
    const realNow = Date.now.bind(Date);
    const jumps = new (class extends AnotherProcess {
      override async raise(requestId: string, command: ActorCommand): Promise<{ nonce: string }> {
        const raised = await super.raise(requestId, command);
        // An hour ahead while the command waits for its step (written at 300 ms).
        setTimeout(() => jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000), 100);
        return raised;
      }
    })(store, bobApproves, 300);
    const deps = useCaseDeps(store, directory(), { orchestrations: jumps, commandWaitMs: 5_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    try {
      const outcome = await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

      expect(outcome).toMatchObject({ kind: 'applied', request: { status: 'approved' } });
      expect(jumps.running).toBe(0);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('hears a step written in its own process from the store’s feed', async () => {
    const feed = new StepFeed();
    const published = publishingSteps(store, feed);
    const orchestrations = new AnotherProcess(published, bobApproves, 0);
    const deps = useCaseDeps(published, directory(), { orchestrations, steps: feed, commandWaitMs: 10_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const outcome = await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(outcome).toMatchObject({ kind: 'applied', request: { status: 'approved' } });
    // The request as the step left it, with the step's trail head.
    expect(outcome.request.trail).toEqual((await store.getRequest(request.id))!.value.trail);
  });
});

describe('a command whose wait passed', () => {
  /** An instance that wrote the command's step just after the bound, then finished. */
  class LateThenFinished extends AnotherProcess {
    override async assertRunning(): Promise<void> {
      this.running++;
      await new Promise((resolve) => setTimeout(resolve, 150));
      throw new DomainError('invalid_state', 'the request is closed');
    }
  }

  it('answers applied, not 409, when the finished instance’s last step applied it', async () => {
    const orchestrations = new LateThenFinished(store, bobApproves, 250);
    const deps = useCaseDeps(store, directory(), { orchestrations, commandWaitMs: 200 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const outcome = await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(orchestrations.running).toBe(1);
    expect(outcome).toMatchObject({ kind: 'applied', request: { status: 'approved' } });
  });

  it('answers 409 when the instance finished without it', async () => {
    const orchestrations = new LateThenFinished(store, (request) => bobApproves(request, 'someone-elses'), 250);
    const deps = useCaseDeps(store, directory(), { orchestrations, commandWaitMs: 200 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const refusal = sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(await codeOf(refusal)).toBe('invalid_state');
  });

  it('audits nothing when the instance finished with the request open', async () => {
    const orchestrations = new LateThenFinished(store, (request) => bobApproves(request, 'someone-elses'), 250);
    const deps = useCaseDeps(store, directory(), { orchestrations, commandWaitMs: 200 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    expect(await codeOf(sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' }))).toBe(
      'invalid_state',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    const types = (await readTrail(store, request.id)).map((record) => record.type);
    expect(types).toContain('request.approved');
    expect(types).not.toContain('request.eventRefused');
  });

  it('answers pending, not a failure, when watching fails after the command was sent', async () => {
    // Nothing ever writes the step (no timer outlives the test): only the failing reads answer.
    const orchestrations = new RecordingOrchestrations();
    const failing = Object.create(store) as Store;
    let reads = 0;
    failing.getRequest = async (id: string) => {
      if (++reads > 1) throw new Error('store unavailable');
      return store.getRequest(id);
    };
    const deps = useCaseDeps(failing, directory(), { orchestrations, commandWaitMs: 2_000 });
    const request = await submitRequest(
      useCaseDeps(store, directory(), { orchestrations }),
      alice,
      wipeBody('device-1'),
    );

    const outcome = await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(outcome).toMatchObject({ kind: 'pending', request: { id: request.id, status: 'needsApproval' } });
  });
});

describe('a command the request closed without', () => {
  const aliceCancels = (request: any) =>
    applyCommand(request, { kind: 'cancel', actor: { id: alice.id, displayName: 'Alice' }, at });

  /** An instance whose last step (another command's) closes the request, then finishes without taking this command. */
  class ClosedThenFinished extends AnotherProcess {
    override async assertRunning(): Promise<void> {
      this.running++;
      throw new DomainError('invalid_state', 'the request is closed');
    }
  }

  it('is audited as refused, naming its nonce, and answered 409 without waiting out the bound', async () => {
    const orchestrations = new ClosedThenFinished(store, aliceCancels);
    // A bound longer than the test's own timeout (10 s): only an answer before it passes the test.
    const deps = useCaseDeps(store, directory(), { orchestrations, commandWaitMs: 30_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const refusal = sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(await codeOf(refusal)).toBe('invalid_state');
    expect(orchestrations.running).toBe(1);
    const trail = await readTrail(store, request.id);
    const refused = trail.filter((record) => record.type === 'request.eventRefused');
    expect(refused).toEqual([trail.at(-1)]);
    expect(refused[0]).toMatchObject({
      actor: { id: bob.id, displayName: 'Bob' },
      data: { command: 'decide', code: 'invalid_state', reason: 'the request is already cancelled', nonce: 'nonce-1' },
    });
    expect(verifyChain(trail).valid).toBe(true);
    // The read model's head is the refusal; the request is otherwise as the cancel left it.
    const stored = (await store.getRequest(request.id))!.value;
    expect(stored).toMatchObject({ status: 'cancelled', trail: { seq: refused[0]!.seq, hash: refused[0]!.hash } });
  });

  /** An instance still running once the request closed, whose orchestration audits the command as refused 700 ms after it was raised; its first `failedReads` status reads fail. */
  class RefusesLater extends AnotherProcess {
    constructor(private failedReads = 0) {
      super(store, aliceCancels);
    }
    override async raise(requestId: string, command: ActorCommand): Promise<{ nonce: string }> {
      const raised = await super.raise(requestId, command);
      setTimeout(
        () =>
          void writeStep(store, requestId, (request) => ({
            events: [
              {
                requestId,
                type: 'request.eventRefused' as const,
                at,
                actor: { id: bob.id, displayName: 'Bob' },
                data: {
                  command: 'decide',
                  code: 'invalid_state',
                  reason: 'the request is already cancelled',
                  nonce: raised.nonce,
                },
              },
            ],
            request,
          })),
        700,
      );
      return raised;
    }
    override async assertRunning(): Promise<void> {
      await super.assertRunning();
      if (this.failedReads-- > 0) throw new Error('the Durable status could not be read');
    }
  }

  it('keeps waiting while the instance still runs, and answers the refusal its orchestration records', async () => {
    const refusesLater = new RefusesLater();
    const deps = useCaseDeps(store, directory(), { orchestrations: refusesLater, commandWaitMs: 30_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const refusal = sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(await codeOf(refusal)).toBe('invalid_state');
    // Its status was read (the request closed without it), and it was running each time.
    expect(refusesLater.running).toBeGreaterThan(0);
    const trail = await readTrail(store, request.id);
    expect(trail.filter((record) => record.type === 'request.eventRefused')).toEqual([trail.at(-1)]);
  });

  it('keeps waiting to its bound when a status read fails, rather than answering pending', async () => {
    const refusesLater = new RefusesLater(1);
    const deps = useCaseDeps(store, directory(), { orchestrations: refusesLater, commandWaitMs: 10_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const refusal = sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(await codeOf(refusal)).toBe('invalid_state');
    expect(refusesLater.running).toBeGreaterThan(1);
  });

  it('is answered 409, saying so, when its refusal cannot be audited', async () => {
    const orchestrations = new ClosedThenFinished(store, aliceCancels);
    const failing = Object.create(store) as Store;
    failing.recordStep = async (step) => {
      if (step.records.some((record) => record.type === 'request.eventRefused')) throw new Error('store unavailable');
      return store.recordStep(step);
    };
    const deps = useCaseDeps(failing, directory(), { orchestrations, commandWaitMs: 10_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const refusal = sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    await expect(refusal).rejects.toMatchObject({
      code: 'invalid_state',
      message: expect.stringMatching(/could not be audited/),
    });
    const types = (await readTrail(store, request.id)).map((record) => record.type);
    expect(types).not.toContain('request.eventRefused');
  });

  it('answers the refusal the instance’s last step wrote as it finished, and audits nothing more', async () => {
    let nonce = '';
    const orchestrations = new (class extends ClosedThenFinished {
      override async assertRunning(): Promise<void> {
        // The orchestration's last step refused it just as the instance finished.
        await writeStep(store, requestId, (request) => ({
          events: [
            {
              requestId: request.id,
              type: 'request.eventRefused' as const,
              at,
              actor: { id: bob.id, displayName: 'Bob' },
              data: { command: 'decide', code: 'invalid_state', reason: 'the request is already cancelled', nonce },
            },
          ],
          request,
        }));
        return super.assertRunning();
      }
      override async raise(id: string, command: ActorCommand): Promise<{ nonce: string }> {
        const raised = await super.raise(id, command);
        nonce = raised.nonce;
        return raised;
      }
    })(store, aliceCancels);
    const deps = useCaseDeps(store, directory(), { orchestrations, commandWaitMs: 30_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));
    const requestId = request.id;

    expect(await codeOf(sendCommand(deps, bob, requestId, { kind: 'decide', decision: 'approve', notes: 'ok' }))).toBe(
      'invalid_state',
    );
    const trail = await readTrail(store, requestId);
    expect(trail.filter((record) => record.type === 'request.eventRefused')).toEqual([trail.at(-1)]);
  });
});

describe('a waiter that hears a later step before an earlier one', () => {
  it('reads the step another process wrote in between, rather than skipping past its command’s step', async () => {
    const feed = new StepFeed();
    const published = publishingSteps(store, feed);
    // Another process writes the command's step; this process writes the next one at once.
    class TwoWriters extends AnotherProcess {
      override async raise(requestId: string, command: ActorCommand): Promise<{ nonce: string }> {
        const raised = await RecordingOrchestrations.prototype.raise.call(this, requestId, command);
        setTimeout(() => {
          void (async () => {
            await writeStep(store, requestId, (request) => bobApproves(request, raised.nonce));
            await writeStep(published, requestId, (request) => ({
              events: [
                {
                  requestId: request.id,
                  type: 'notification.sent' as const,
                  at,
                  actor: null,
                  data: { kind: 'approved', channel: 'email' },
                },
              ],
            }));
          })();
        }, 0);
        return raised;
      }
    }
    const orchestrations = new TwoWriters(store, bobApproves);
    const deps = useCaseDeps(published, directory(), { orchestrations, steps: feed, commandWaitMs: 10_000 });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const outcome = await sendCommand(deps, bob, request.id, { kind: 'decide', decision: 'approve', notes: 'ok' });

    expect(outcome).toMatchObject({ kind: 'applied', request: { status: 'approved' } });
    expect(orchestrations.running).toBe(0);
  });
});

describe('the long-poll of a request', () => {
  it('answers once another process records the status asked for, and reports a timeout otherwise', async () => {
    const orchestrations = new RecordingOrchestrations();
    const deps = useCaseDeps(store, directory(), { orchestrations });
    const request = await submitRequest(deps, alice, wipeBody('device-1'));

    const timedOut = await awaitVisibleRequest(deps, alice, request.id, 'approved', 300);
    expect([timedOut.reached, timedOut.request.status]).toEqual([false, 'needsApproval']);

    setTimeout(() => void writeStep(store, request.id, (current) => bobApproves(current, 'n-1')), 50);
    const reached = await awaitVisibleRequest(deps, alice, request.id, 'approved', 10_000);
    expect([reached.reached, reached.request.status]).toEqual([true, 'approved']);
  });

  it('refuses a caller who may not see the request before waiting', async () => {
    const deps = useCaseDeps(store, directory());
    const request = await submitRequest(deps, alice, wipeBody('device-1'));
    const stranger = caller('eve-id', ['MAA.Requester'], 'Eve');

    expect(await codeOf(awaitVisibleRequest(deps, stranger, request.id, 'approved', 10_000))).toBe('not_found');
  });
});
