import type {
  ApprovalCustomStatus,
  ApprovalOrchestrationInput,
  ApprovalOrchestrationOutput,
  AuthorizeCommandInput,
  AuthorizeCommandOutput,
  CommandEvent,
  CommandStepInput,
  CommandStepOutput,
  ExecuteStepInput,
  RecordStepInput,
  RecordStepOutput,
} from '../../../orchestrations/contracts';
import { approvalOrchestrator } from '../../../orchestrations/approvalOrchestrator';
import { Activities, ApprovalEvents } from '../../../orchestrations/names';
import { GENESIS_HASH } from '../../../shared/domain/auditChain';
import type { ApprovalRequest, Execution, Principal } from '../../../shared/domain/model';
import type { ActorCommand } from '../../../shared/domain/commands';
import {
  accessPolicy,
  alice,
  APPROVER,
  bob,
  carol,
  erin,
  EXPIRES,
  GROUP_A,
  newRequest,
  REQUESTER,
  T0,
  after,
  shift,
} from '../../support/builders';
import { FakeOrchestration, type ActivityHandler, type ScriptedEvent } from '../../support/fakeOrchestrationContext';
import { recordedRights } from '../../../orchestrations/steps';
import {
  delivers,
  notifications,
  notifiedKinds,
  OUTCOMES,
  recordStepInStore,
  stepCalls,
  stepsOf,
  trailOf,
  typesOf,
  withSteps,
  commandStepIn,
  partNames,
  partsOf,
  authorizeOverTrail,
  type StepRecorder,
} from '../../support/fakeRecordStep';

jest.mock('durable-functions', () => {
  const actual = jest.requireActual<typeof import('durable-functions')>('durable-functions');
  // Loading the orchestrator registers it; registering needs the Functions host, which a unit test has not.
  return { ...actual, app: { ...actual.app, orchestration: () => undefined } };
});

const SECOND = 1_000;
const DAY = 86_400_000;
const { recordStep, authorizeCommand, executeOperation, commandStep, executeStep } = Activities;

/** Who the fake directory says each actor is now (the `authorizeCommand` activity's reading). */
const RIGHTS: Record<string, { roles: string[]; groups: string[] }> = {
  [alice.id]: { roles: REQUESTER, groups: [] },
  [bob.id]: { roles: APPROVER, groups: [GROUP_A] },
  [carol.id]: { roles: APPROVER, groups: [GROUP_A] },
  [erin.id]: { roles: APPROVER, groups: [] },
};

let nonces = 0;
/** A signed `Command` event (the signature is only checked by the faked activity) arriving at `at`. */
function commandAt(at: string, command: ActorCommand, nonce = `nonce-${++nonces}`): ScriptedEvent {
  const payload: CommandEvent = { ...command, signature: { kid: 'key-1', mac: 'mac', issuedAt: at, nonce } };
  return { name: ApprovalEvents.Command, at, payload };
}
const approveAt = (at: string, actor: Principal, nonce?: string) =>
  commandAt(at, { kind: 'decide', actor, decision: 'approve', notes: 'fine', source: 'api' }, nonce);
const rejectAt = (at: string, actor: Principal) =>
  commandAt(at, { kind: 'decide', actor, decision: 'reject', notes: 'not today', source: 'api' });
const cancelAt = (at: string, nonce?: string) => commandAt(at, { kind: 'cancel', actor: alice }, nonce);
const completeAt = (at: string, nonce?: string) => commandAt(at, { kind: 'complete', actor: alice }, nonce);

/** The authorizeCommand activity as a genuine, fresh signature and the directory above would answer. */
const authorizeGenuine: ActivityHandler = (raw) => {
  const input = raw as AuthorizeCommandInput;
  const event = input.event as CommandEvent;
  const rights = RIGHTS[event.actor.id] ?? { roles: [], groups: [] };
  const answer: AuthorizeCommandOutput = {
    ok: true,
    nonce: event.signature!.nonce,
    issuedAt: event.signature!.issuedAt,
    actorRoles: input.readDirectory ? rights.roles : [],
    actorGroupIds: input.readDirectory ? rights.groups.filter((group) => input.groupIds.includes(group)) : [],
  };
  return answer;
};

const EXECUTED: Execution = { status: 'succeeded', at: after(3), detail: 'wiped' };

function aRequest(requiredApprovals = 2): ApprovalRequest {
  return newRequest({ policy: accessPolicy({ requiredApprovals }) });
}

/** The orchestration of `request` (needing two approvals by default) started at T0 with a one-day reminder lead. */
function orchestration(
  options: {
    request?: ApprovalRequest;
    input?: Partial<ApprovalOrchestrationInput>;
    events?: ScriptedEvent[];
    handlers?: Record<string, ActivityHandler>;
  } = {},
) {
  const request = options.request ?? aRequest();
  const input: ApprovalOrchestrationInput = {
    request,
    etag: 'etag-0',
    reminderBeforeMs: DAY,
    correlationId: 'corr-1',
    ...options.input,
  };
  const fake = new FakeOrchestration(input, {
    start: T0,
    instanceId: request.id,
    events: options.events ?? [],
    handlers: withSteps({
      [recordStep]: recordStepInStore(),
      [authorizeCommand]: authorizeGenuine,
      [executeOperation]: () => EXECUTED,
      ...options.handlers,
    }),
  });
  const output = fake.run(approvalOrchestrator) as ApprovalOrchestrationOutput;
  return { fake, output, input };
}

type Fake = FakeOrchestration;
const refusalsOf = (fake: Fake) =>
  trailOf(fake)
    .filter((record) => record.type === 'request.eventRefused')
    .map((record) => ({ actor: record.actor?.id ?? null, ...(record.data as object) }));

/** The trail is one hash chain, numbered from 0, and each read model write carries the etag the last step answered. */
function expectChainedAndCarried(fake: Fake) {
  const trail = trailOf(fake);
  expect(trail.map((record) => record.seq)).toEqual(trail.map((_, index) => index));
  trail.forEach((record, index) => {
    expect(record.prevHash).toBe(index === 0 ? GENESIS_HASH : trail[index - 1]!.hash);
  });
  let last = 'etag-0';
  const carried: [string, string][] = [];
  for (const call of stepCalls(fake)) {
    const step = call.input as RecordStepInput;
    const etag = step.request?.etag ?? step.derive?.etag;
    if (etag !== undefined) carried.push([etag, last]);
    const answered = OUTCOMES.get(call)?.output;
    if (typeof answered === 'string') last = answered;
    else if (answered && 'etag' in answered && answered.etag !== null) last = answered.etag;
  }
  expect(carried.map(([sent]) => sent)).toEqual(carried.map(([, expected]) => expected));
}

describe('approvalOrchestrator', () => {
  it('records the submission with the signed input, notifies the approvers, and completes and executes once approved to quorum and completed', () => {
    const { fake, output, input } = orchestration({
      events: [approveAt(after(10), bob), approveAt(after(20), carol), completeAt(after(30))],
    });

    // A step is one activity: a command is authenticated, checked, applied, recorded and notified
    // in one; the command that completes the request executes it and records the execution in the
    // same activity, so no executeStep is scheduled.
    expect(fake.activityNames).toEqual([
      recordStep, // request.submitted, with the start input; notifies the approvers (submitted)
      commandStep, // bob's approval; tells the initiator (approvalRecorded)
      commandStep, // carol's approval; tells the initiator (approved)
      commandStep, // alice completes; the execution, run and recorded
    ]);
    expect(partNames(fake)).toEqual([
      recordStep,
      authorizeCommand,
      recordStep,
      authorizeCommand,
      recordStep,
      authorizeCommand,
      recordStep,
      executeOperation,
      recordStep,
    ]);
    // No step carries the request to an activity but the first (its start input): they read it from the store.
    const commands = fake.activities
      .filter((call) => call.name === commandStep)
      .map((call) => call.input as CommandStepInput);
    expect(commands.map((step) => step.request)).toEqual([undefined, undefined, undefined]);
    expect(commands.map((step) => step.etag)).toEqual(['etag-2', 'etag-4', 'etag-6']);
    expect(commands.map((step) => step.after.seq)).toEqual([2, 4, 7]);
    // Each command step is given the id of the `executed` message a completion on approval would send.
    expect(commands.map((step) => step.execution?.notificationId)).toEqual([
      expect.stringMatching(/:req-1$/),
      expect.stringMatching(/:req-1$/),
      expect.stringMatching(/:req-1$/),
    ]);
    // The execution is recorded after the completion, under the etag its write answered: no message (alice completed).
    const execution = stepsOf(fake).at(-1)!;
    expect(execution.records.map((record) => [record.type, record.seq])).toEqual([['execution.succeeded', 9]]);
    expect(execution.request!.etag).toBe('etag-7');
    expect(execution.notify).toBeUndefined();
    expect(notifiedKinds(fake)).toEqual(['submitted', 'approvalRecorded', 'approved']);
    expect(typesOf(fake)).toEqual([
      'request.submitted',
      'notification.sent',
      'request.approved',
      'notification.sent',
      'request.approved',
      'request.statusChanged',
      'notification.sent',
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
    ]);
    expect(stepsOf(fake)[0]!.start).toEqual(input);
    expect(
      stepsOf(fake)
        .slice(1)
        .every((step) => step.start === undefined),
    ).toBe(true);
    expectChainedAndCarried(fake);

    // A decision is checked against the snapshot's approver groups; a completion against none.
    const authorizations = partsOf(fake)
      .filter((call) => call.name === authorizeCommand)
      .map((call) => call.input as AuthorizeCommandInput);
    expect(authorizations.map(({ at, groupIds, readDirectory }) => ({ at, groupIds, readDirectory }))).toEqual([
      { at: after(10), groupIds: input.request.policy.approverGroupIds, readDirectory: true },
      { at: after(20), groupIds: input.request.policy.approverGroupIds, readDirectory: true },
      { at: after(30), groupIds: [], readDirectory: true },
    ]);
    const executed = partsOf(fake).find((call) => call.name === executeOperation)!;
    expect(executed.input).toMatchObject({ id: input.request.id, status: 'completed', correlationId: 'corr-1' });

    expect(output).toEqual({ requestId: input.request.id, status: 'completed', execution: EXECUTED });
    expect(fake.customStatuses.at(-1)).toEqual<ApprovalCustomStatus>({
      status: 'completed',
      approvals: 2,
      requiredApprovals: 2,
      expiresAt: EXPIRES,
    });
    // Each wait's expiry and reminder timers are cancelled when a command wins; no timer fires, and
    // the orchestration ends as it records the execution (nothing keeps it alive after it closed).
    expect(fake.timers.filter((timer) => timer.fireAt === EXPIRES).every((timer) => timer.cancelled)).toBe(true);
    expect(fake.timers.filter((timer) => !timer.cancelled)).toEqual([]);
    expect(fake.now).toBe(after(30));
    expect(fake.unconsumedEvents).toEqual([]);
  });

  it('records a failed execution, never a failed orchestration, when the executor still fails after its retries', () => {
    const { fake, output } = orchestration({
      request: aRequest(1),
      events: [approveAt(after(10), bob), completeAt(after(20))],
      handlers: {
        [executeOperation]: () => {
          throw new Error('Graph answered 503\n    at stack');
        },
      },
    });

    // Given up once executeStep's retries ran out: it started a retry interval after the command step's own attempt.
    const gaveUpAt = new Date(Date.parse(after(20)) + 5_000).toISOString();
    const failed: Execution = { status: 'failed', at: gaveUpAt, detail: 'gave up after retries: Graph answered 503' };
    expect(output).toMatchObject({ status: 'completed', execution: failed });
    expect(trailOf(fake).at(-1)).toMatchObject({
      type: 'execution.failed',
      data: { detail: 'gave up after retries: Graph answered 503' },
    });
    expect(stepsOf(fake).at(-1)!.request!.value.execution).toEqual(failed);
    // Recorded by an execution step given the failure (it looks at the trail's place first), at the same place.
    expect(fake.activityNames).toEqual([recordStep, commandStep, commandStep, executeStep, executeStep]);
    const [executing, recording] = fake.activities.slice(-2).map((call) => call.input as ExecuteStepInput);
    expect(executing!.gaveUp).toBeUndefined();
    expect(recording).toEqual({ ...executing, gaveUp: failed });
  });

  it('ends the request as rejected at the first rejection and tells the initiator', () => {
    const { fake, output } = orchestration({ events: [approveAt(after(10), bob), rejectAt(after(20), carol)] });

    expect(output).toEqual({ requestId: 'req-1', status: 'rejected' });
    expect(notifiedKinds(fake)).toEqual(['submitted', 'approvalRecorded', 'rejected']);
    expect(partNames(fake)).not.toContain(executeOperation);
    expect(typesOf(fake)).toContain('request.rejected');
    expectChainedAndCarried(fake);
  });

  it('ends the request as cancelled when the initiator cancels, without executing', () => {
    const { fake, output } = orchestration({ events: [cancelAt(after(5))] });

    expect(output).toEqual({ requestId: 'req-1', status: 'cancelled' });
    expect(notifiedKinds(fake)).toEqual(['submitted', 'cancelled']);
    expect(partNames(fake)).not.toContain(executeOperation);
  });

  it('expires at expiresAt when nobody decides, reminding the approvers once a day before', () => {
    const { fake, output } = orchestration();

    expect(output).toEqual({ requestId: 'req-1', status: 'expired' });
    expect(fake.activityNames).toEqual([
      recordStep, // submitted, notified
      recordStep, // the reminder: no records of its own, its outcomes only
      recordStep, // request.expired, notified
    ]);
    expect(notifications(fake)).toEqual([
      ['submitted', T0],
      ['reminder', shift(EXPIRES, -DAY)],
      ['expired', EXPIRES],
    ]);
    expect(stepsOf(fake)[1]!.records).toEqual([]);
    expect(trailOf(fake).find((record) => record.type === 'request.expired')!.at).toBe(EXPIRES);
    expectChainedAndCarried(fake);
  });

  it('reminds only while approvals are wanted: an approved request waiting for completion gets none', () => {
    const { fake, output } = orchestration({ request: aRequest(1), events: [approveAt(after(10), bob)] });

    expect(output.status).toBe('expired');
    expect(notifiedKinds(fake)).toEqual(['submitted', 'approved', 'expired']);
  });

  it('sends no reminder when the lead in its input is 0', () => {
    const { fake } = orchestration({ input: { reminderBeforeMs: 0 } });

    expect(notifiedKinds(fake)).toEqual(['submitted', 'expired']);
  });

  it('sends no reminder to a request whose whole life is shorter than the lead', () => {
    const { fake } = orchestration({ input: { reminderBeforeMs: 31 * DAY } });

    expect(notifiedKinds(fake)).toEqual(['submitted', 'expired']);
  });

  it('sends no reminder when its input carries no lead', () => {
    const { fake } = orchestration({ input: { reminderBeforeMs: undefined } });

    expect(notifiedKinds(fake)).toEqual(['submitted', 'expired']);
  });

  it('audits sends that failed, and problems before any send, and carries on', () => {
    const { fake, output } = orchestration({
      events: [cancelAt(after(5))],
      handlers: {
        [recordStep]: recordStepInStore(({ kind }) =>
          kind === 'submitted'
            ? { outcomes: [], problems: ['the recipients could not be read from the directory: 503'] }
            : {
                outcomes: [{ channel: 'email', recipient: alice, ok: false, detail: 'Graph answered 503' }],
                problems: [],
              },
        ),
      },
    });

    expect(output.status).toBe('cancelled');
    expect(
      trailOf(fake)
        .filter((record) => record.type === 'notification.failed')
        .map((r) => r.data),
    ).toEqual([
      {
        kind: 'submitted',
        channel: null,
        recipient: null,
        detail: 'the recipients could not be read from the directory: 503',
      },
      expect.objectContaining({ kind: 'cancelled', channel: 'email', detail: 'Graph answered 503' }),
    ]);
    expectChainedAndCarried(fake);
  });

  it('records the outcomes as a step of their own, sending nothing again, when the step could not write them', () => {
    const sent: string[] = [];
    const { fake, output } = orchestration({
      events: [cancelAt(after(5))],
      handlers: {
        [recordStep]: recordStepInStore(
          (input) => {
            sent.push(input.kind);
            return delivers(input);
          },
          { unrecorded: true },
        ),
      },
    });

    expect(output.status).toBe('cancelled');
    expect(sent).toEqual(['submitted', 'cancelled']);
    // Each notifying step is followed by one that writes only the outcomes it handed back.
    const steps = stepsOf(fake);
    expect(steps.map((step) => [step.records.map((r) => r.type), step.notify?.kind ?? null])).toEqual([
      [['request.submitted'], 'submitted'],
      [['notification.sent'], null],
      [['request.cancelled', 'request.statusChanged'], 'cancelled'],
      [['notification.sent'], null],
    ]);
    expectChainedAndCarried(fake);
  });

  describe('refuses a command, audits it and changes nothing else', () => {
    it.each([
      ['someone outside the approver groups approves', () => approveAt(after(5), erin), 'not_an_approver', erin.id],
      ['the initiator approves their own request', () => approveAt(after(5), alice), 'self_approval', alice.id],
      [
        'someone other than the initiator cancels',
        () => commandAt(after(5), { kind: 'cancel', actor: bob }),
        'not_initiator',
        bob.id,
      ],
      ['the initiator completes before approval', () => completeAt(after(5)), 'invalid_state', alice.id],
    ])('by the lifecycle rules when %s', (_, event, code, actor) => {
      const { fake, output } = orchestration({ events: [event(), cancelAt(after(10))] });

      expect(refusalsOf(fake)).toEqual([expect.objectContaining({ actor, code })]);
      // The refusal writes no read model; the cancel that follows still carries etag-1 from the first notify step.
      const refusalStep = stepsOf(fake).find((step) => step.records[0]!.type === 'request.eventRefused')!;
      expect(refusalStep.request).toBeUndefined();
      expect(output.status).toBe('cancelled');
      expect(notifiedKinds(fake)).toEqual(['submitted', 'cancelled']);
      expectChainedAndCarried(fake);
    });

    it.each(['command_unauthenticated', 'command_stale'] as const)(
      'when its signature is refused (%s), naming no actor but what the event claimed',
      (code) => {
        const { fake, output } = orchestration({
          events: [approveAt(after(5), bob, 'claimed-nonce'), cancelAt(after(10))],
          handlers: {
            [authorizeCommand]: (raw, call) =>
              (raw as AuthorizeCommandInput).at === after(5)
                ? { ok: false, code, reason: 'the signature does not verify' }
                : authorizeGenuine(raw, call),
          },
        });

        expect(refusalsOf(fake)).toEqual([
          {
            actor: null,
            command: 'decide',
            code,
            reason: 'the signature does not verify',
            // The nonce it claims, so the sender waiting for it hears it was refused.
            nonce: 'claimed-nonce',
            claimedActor: { id: bob.id, displayName: bob.displayName },
          },
        ]);
        expect(typesOf(fake)).not.toContain('request.approved');
        expect(output.status).toBe('cancelled');
      },
    );

    it('when its nonce was already applied (a replayed command)', () => {
      const { fake, output } = orchestration({
        events: [approveAt(after(5), bob, 'same'), approveAt(after(6), bob, 'same'), cancelAt(after(10))],
      });

      expect(typesOf(fake).filter((type) => type === 'request.approved')).toHaveLength(1);
      expect(refusalsOf(fake)).toEqual([
        expect.objectContaining({ actor: bob.id, code: 'command_replayed', nonce: 'same' }),
      ]);
      expect(output.status).toBe('cancelled');
    });

    it('when the directory cannot be read to check the actor (membership unavailable)', () => {
      const { fake, output } = orchestration({
        events: [approveAt(after(5), bob), cancelAt(after(10))],
        handlers: {
          [authorizeCommand]: (raw, call) => {
            if ((raw as AuthorizeCommandInput).at === after(5)) throw new Error('Graph answered 503');
            return authorizeGenuine(raw, call);
          },
        },
      });

      expect(refusalsOf(fake)).toEqual([
        expect.objectContaining({ actor: null, code: 'membership_unavailable', claimedActor: expect.anything() }),
      ]);
      expect(typesOf(fake)).not.toContain('request.approved');
      expect(output.status).toBe('cancelled');
    });
  });

  it('names the nonce of the command a step applied in that step’s first record, and in no other record', () => {
    const { fake } = orchestration({
      events: [approveAt(after(5), bob, 'bob-approves'), cancelAt(after(10), 'alice-cancels')],
    });

    const named = trailOf(fake)
      .filter((record) => record.data.nonce !== undefined)
      .map((record) => [record.type, record.data.nonce]);
    expect(named).toEqual([
      ['request.approved', 'bob-approves'],
      ['request.cancelled', 'alice-cancels'],
    ]);
  });

  it('audits a command that came while the closed request finished its work as refused, then ends at once', () => {
    const closedAt = after(10);
    const { fake, output } = orchestration({
      // carol's approval is already waiting when bob's rejection closes the request.
      events: [
        rejectAt(closedAt, bob),
        approveAt(closedAt, carol, 'late-nonce'),
        approveAt(shift(closedAt, SECOND), carol),
      ],
    });

    expect(output.status).toBe('rejected');
    expect(refusalsOf(fake)).toEqual([
      {
        actor: carol.id,
        command: 'decide',
        code: 'invalid_state',
        reason: 'the request is already rejected',
        nonce: 'late-nonce',
      },
    ]);
    // Only authenticated after closing: nobody's rights matter any more (refused whatever they are).
    const late = fake.activities.filter((call) => call.name === commandStep).at(-1)!;
    expect(late.input).toMatchObject({
      refuse: { code: 'invalid_state', reason: 'the request is already rejected' },
    });
    expect(
      partsOf(fake)
        .filter((call) => call.name === authorizeCommand)
        .at(-1)!.input,
    ).toMatchObject({
      groupIds: [],
      readDirectory: false,
    });
    // No timer keeps it alive: it ends at the instant it closed, and a command after that finds it finished.
    expect(fake.now).toBe(closedAt);
    expect(fake.timers.filter((timer) => !timer.cancelled)).toEqual([]);
    expect(fake.unconsumedEvents).toHaveLength(1);
    expectChainedAndCarried(fake);
  });

  it('sends its copy of the request when the store’s was another version, and carries on from that step', () => {
    const record = recordStepInStore();
    const inner = commandStepIn(record, authorizeGenuine);
    // The store lags (or a re-run found the step written): each command step first answers stale.
    const lagging: ActivityHandler = (raw, call) => {
      const step = raw as CommandStepInput;
      return step.request ? inner(raw, call) : ({ stale: true, etag: null, next: step.after } as CommandStepOutput);
    };
    const { fake, output } = orchestration({
      request: aRequest(1),
      events: [approveAt(after(10), bob), completeAt(after(20))],
      handlers: { [recordStep]: record, [commandStep]: lagging },
    });

    expect(output).toEqual({ requestId: 'req-1', status: 'completed', execution: EXECUTED });
    const commands = fake.activities
      .filter((call) => call.name === commandStep)
      .map((call) => call.input as CommandStepInput);
    expect(commands.map((step) => step.request?.status)).toEqual([undefined, 'needsApproval', undefined, 'approved']);
    // The second call is the same step (same time, position and etag), only with the request.
    expect(commands[1]).toEqual({ ...commands[0], request: expect.anything() });
    expect(typesOf(fake)).toEqual([
      'request.submitted',
      'notification.sent',
      'request.approved',
      'request.statusChanged',
      'notification.sent',
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
    ]);
    expectChainedAndCarried(fake);
  });

  it('fails loudly rather than keep a copy of the request that differs from what its command step recorded', () => {
    // A step that says it left the request approved, with rights under which the rules refuse the approval.
    const inconsistent: ActivityHandler = (raw) => {
      const step = raw as CommandStepInput;
      return {
        verified: { nonce: 'nonce-inconsistent-01', issuedAt: after(10) },
        rights: { actorRoles: [], actorGroupIds: [] },
        status: 'approved',
        etag: 'etag-9',
        next: step.after,
      } satisfies CommandStepOutput;
    };
    expect(() =>
      orchestration({
        request: aRequest(1),
        events: [approveAt(after(10), bob)],
        handlers: { [commandStep]: inconsistent },
      }),
    ).toThrow("request req-1: the command step left it approved, the orchestration's copy needsApproval");
  });

  it('falls back, after a command step that wrote its records but not its read model, to that step’s records: its time, its message id, the rights it recorded', () => {
    const record = recordStepInStore();
    let attempt: { input: CommandStepInput; step: RecordStepInput } | undefined;
    // The first command step appends its records, then its read model write fails, through every retry.
    const failing: StepRecorder = Object.assign(
      (raw: unknown) => {
        attempt = { input: attempt?.input ?? ({} as CommandStepInput), step: raw as RecordStepInput };
        throw new Error('the read model write failed');
      },
      { model: record.model },
    );
    const steps = commandStepIn(record, authorizeGenuine);
    const partial = commandStepIn(failing, authorizeGenuine);
    const stepHandler: ActivityHandler = (raw, call) => {
      if (attempt) return steps(raw, call);
      attempt = { input: raw as CommandStepInput, step: { records: [] } };
      return partial(raw, call);
    };
    // Bob left the approver group meanwhile: read again, the directory refuses him; the rights the
    // step recorded at its place on the trail are answered instead (as `authorizeCommand` does).
    const authorize: ActivityHandler = (raw, call) => {
      const input = raw as AuthorizeCommandInput;
      const answer = authorizeGenuine(raw, call) as Extract<AuthorizeCommandOutput, { ok: true }>;
      const first = attempt?.step.records[0];
      const recorded = first && input.after?.seq === first.seq ? recordedRights(first, answer.nonce) : undefined;
      return recorded ? { ...answer, ...recorded } : { ...answer, actorGroupIds: [] };
    };

    const { fake, output } = orchestration({
      events: [approveAt(after(10), bob), cancelAt(after(20))],
      handlers: { [recordStep]: record, [commandStep]: stepHandler, [authorizeCommand]: authorize },
    });

    expect(output.status).toBe('cancelled');
    const fallback = fake.activities.find((call) => call.name === authorizeCommand)!.input as AuthorizeCommandInput;
    expect(fallback).toMatchObject({ at: attempt!.input.at, after: attempt!.input.after });
    const written = stepsOf(fake).find((step) => step.records[0]?.type === 'request.approved')!;
    expect(written.records).toEqual(attempt!.step.records);
    expect(written.notify).toEqual(attempt!.step.notify);
    expect(written.records[0]!.data.rights).toEqual({ actorRoles: APPROVER, actorGroupIds: [GROUP_A] });
    expect(refusalsOf(fake)).toEqual([]);
  });

  describe('after a long store outage that failed a command step’s read model write, its records standing', () => {
    /**
     * The store appends bob's approval step, then fails its read model write through every retry,
     * and stays unreadable while the step runs in parts: `authorizeCommand` fails `failures` times
     * (each after its retries). The directory meanwhile no longer has bob in the approver group.
     */
    function outage(failures: number) {
      let down = false;
      const record = recordStepInStore(delivers, { outage: () => down });
      const steps = commandStepIn(record, authorizeGenuine);
      let commandSteps = 0;
      const stepHandler: ActivityHandler = (raw, call) => {
        down = ++commandSteps === 1;
        return steps(raw, call);
      };
      let inParts = 0;
      const directory: ActivityHandler = (raw, call) => {
        const answer = authorizeGenuine(raw, call) as Extract<AuthorizeCommandOutput, { ok: true }>;
        return { ...answer, actorGroupIds: [] };
      };
      const overTrail = authorizeOverTrail(record, directory);
      const authorize: ActivityHandler = (raw, call) => {
        // A part of the command step (no `after`) is answered as the directory would.
        if (!(raw as AuthorizeCommandInput).after) return authorizeGenuine(raw, call);
        if (++inParts <= failures) throw new Error('the store could not be read');
        down = false;
        return overTrail(raw, call);
      };
      const run = () =>
        orchestration({
          request: aRequest(1),
          events: [approveAt(after(10), bob, 'bob-approves'), completeAt(after(20))],
          handlers: { [recordStep]: record, [commandStep]: stepHandler, [authorizeCommand]: authorize },
        });
      return { record, run, inParts: () => inParts };
    }
    const storedTrail = (record: StepRecorder) => [...record.model.trail.values()].sort((a, b) => a.seq - b.seq);

    it('completes that step with the rights it recorded once the store answers, instead of refusing the command at its place', () => {
      const { record, run } = outage(1);

      const { fake, output } = run();

      expect(output).toEqual({ requestId: 'req-1', status: 'completed', execution: EXECUTED });
      const trail = storedTrail(record);
      expect(trail.map((one) => one.type)).toEqual([
        'request.submitted',
        'notification.sent',
        'request.approved',
        'request.statusChanged',
        'notification.sent',
        'request.completed',
        'request.statusChanged',
        'execution.succeeded',
      ]);
      expect(trail.map((one) => one.seq)).toEqual(trail.map((_, index) => index));
      // One step at its place, with the rights the first attempt read (the directory now says otherwise).
      expect(trail.filter((one) => one.data.nonce === 'bob-approves').map((one) => one.seq)).toEqual([2]);
      expect(trail[2]!.data.rights).toEqual({ actorRoles: APPROVER, actorGroupIds: [GROUP_A] });
      expect(trail.some((one) => one.data.code === 'membership_unavailable')).toBe(false);
      // Applied once: the read model and the orchestration's copy hold the one approval.
      expect(record.model.value!.decisions).toHaveLength(1);
      expect(record.model.value!.status).toBe('completed');
      expect(trailOf(fake)).toEqual(trail);
      expectChainedAndCarried(fake);
      // The refusal asked to yield to bob's step, and wrote nothing; the step then ran in parts again.
      const refusal = partsOf(fake).find((call) => (call.input as RecordStepInput).yieldTo !== undefined)!;
      expect((refusal.input as RecordStepInput).yieldTo).toBe('bob-approves');
      expect(partNames(fake).filter((name) => name === authorizeCommand)).toHaveLength(4);
    });

    it('fails loudly, having recorded no refusal over the step, when it still cannot complete it after three rounds in parts', () => {
      const { record, run, inParts } = outage(Number.POSITIVE_INFINITY);

      expect(run).toThrow(
        'request req-1: the step of command bob-approves stands on its trail at seq 2 but could not be completed in 3 rounds',
      );
      expect(inParts()).toBe(3);
      expect(storedTrail(record).some((one) => one.data.code === 'membership_unavailable')).toBe(false);
    });
  });

  it('still refuses the command as membership unavailable when the store failed before its step wrote anything', () => {
    const record = recordStepInStore();
    const steps = commandStepIn(record, authorizeGenuine);
    let commandSteps = 0;
    const stepHandler: ActivityHandler = (raw, call) => {
      if (++commandSteps === 1) throw new Error('the store could not be read');
      return steps(raw, call);
    };
    const authorize: ActivityHandler = (raw, call) => {
      if ((raw as AuthorizeCommandInput).after) throw new Error('the store could not be read');
      return authorizeGenuine(raw, call);
    };

    const { fake, output } = orchestration({
      events: [approveAt(after(10), bob, 'bob-approves'), cancelAt(after(20))],
      handlers: { [recordStep]: record, [commandStep]: stepHandler, [authorizeCommand]: authorize },
    });

    expect(output.status).toBe('cancelled');
    expect(refusalsOf(fake)).toEqual([
      expect.objectContaining({ actor: null, code: 'membership_unavailable', nonce: 'bob-approves' }),
    ]);
    const refused = [...record.model.trail.values()].find((one) => one.type === 'request.eventRefused')!;
    expect(refused.data.code).toBe('membership_unavailable');
    expect(typesOf(fake)).not.toContain('request.approved');
    expectChainedAndCarried(fake);
  });

  it('fails loudly when its history holds another shape of command step', () => {
    // A history recorded when a command was authenticated first holds `authorizeCommand`'s answer here.
    expect(() =>
      orchestration({
        events: [approveAt(after(10), bob)],
        handlers: { [commandStep]: authorizeGenuine },
      }),
    ).toThrow('request req-1: its history predates one-activity command steps');
  });

  it('fails loudly when a step that yields to no command answers superseded (a history of another shape)', () => {
    const record = recordStepInStore();
    // The submission as stored; the reminder step, which yields to nothing, answered as a refusal that yielded.
    const answering: ActivityHandler = (raw, call) =>
      (raw as RecordStepInput).start ? record(raw, call) : ({ superseded: true } satisfies RecordStepOutput);
    expect(() => orchestration({ handlers: { [recordStep]: answering } })).toThrow(
      'request req-1: its history predates refusals that yield to a recorded step; terminate it',
    );
  });

  it('fails loudly when its history holds another task’s result where the execution step answers', () => {
    // A history recorded before a given-up execution went to executeStep holds recordStep's etag here.
    expect(() =>
      orchestration({
        request: aRequest(1),
        events: [approveAt(after(10), bob), completeAt(after(20))],
        handlers: {
          [executeOperation]: () => {
            throw new Error('Graph answered 503');
          },
          [executeStep]: (raw) => {
            if ((raw as ExecuteStepInput).gaveUp) return 'etag-7';
            throw new Error('Graph answered 503');
          },
        },
      }),
    ).toThrow('request req-1: its history predates this shape of execution step');
  });

  it('records an execution it records itself with the whole execution in its record, as the execution step does', () => {
    const { fake, output } = orchestration({
      request: aRequest(1),
      events: [approveAt(after(10), bob), completeAt(after(20))],
      handlers: {
        [executeOperation]: () => {
          throw new Error('Graph answered 503');
        },
        [executeStep]: () => {
          throw new Error('Graph answered 503');
        },
      },
    });

    expect(trailOf(fake).at(-1)!.data.executed).toEqual(output.execution);
  });

  it('has the reminder and the expiry derived from the stored request, and sends its copy when the store’s is another version', () => {
    const { fake } = orchestration();
    const inputs = fake.activities
      .filter((call) => call.name === recordStep)
      .map((call) => call.input as RecordStepInput);
    expect(inputs.map((step) => [step.request, step.derive])).toEqual([
      [undefined, undefined], // the first step: its start input
      [undefined, { requestId: 'req-1', etag: 'etag-2' }], // the reminder: the request unchanged
      [undefined, { requestId: 'req-1', etag: 'etag-3', command: { kind: 'expire', at: EXPIRES } }],
    ]);

    const record = recordStepInStore();
    const lagging: ActivityHandler = (raw, call) =>
      (raw as RecordStepInput).derive ? ({ stale: true } satisfies RecordStepOutput) : record(raw, call);
    const again = orchestration({ handlers: { [recordStep]: lagging } });
    expect(again.output.status).toBe('expired');
    const sent = again.fake.activities.map((call) => call.input as RecordStepInput);
    expect(
      sent.map((step) => [step.derive?.command?.kind ?? (step.derive ? 'derive' : null), step.request?.value.status]),
    ).toEqual([
      [null, undefined],
      ['derive', undefined],
      [null, 'needsApproval'],
      ['expire', undefined],
      [null, 'expired'],
    ]);
  });

  it('applies, in order, a command that came while the step before it ran, when the wait before was won by the reminder', () => {
    // The reminder wins a wait; that wait's command waiter stays open. Two approvals arrive at once:
    // the first ends a wait, the second arrives while the first's step runs and lands in that waiter.
    const at = shift(EXPIRES, -DAY + SECOND);
    const { fake, output } = orchestration({
      events: [approveAt(at, bob, 'bob-approves-00000001'), approveAt(at, carol, 'carol-approves-000001')],
    });

    expect(output.status).toBe('expired');
    expect(
      trailOf(fake)
        .filter((record) => record.type === 'request.approved')
        .map((record) => [record.actor?.id, record.data.nonce]),
    ).toEqual([
      [bob.id, 'bob-approves-00000001'],
      [carol.id, 'carol-approves-000001'],
    ]);
    expect(typesOf(fake)).toContain('request.statusChanged');
    expect(fake.unconsumedEvents).toEqual([]);
    expectChainedAndCarried(fake);
  });

  it('audits every command that came while the closing step ran, in order, each once', () => {
    const closedAt = after(10);
    const { fake, output } = orchestration({
      events: [
        cancelAt(closedAt),
        approveAt(closedAt, carol, 'late-carol-000000001'),
        approveAt(closedAt, bob, 'late-bob-00000000001'),
      ],
    });

    expect(output.status).toBe('cancelled');
    expect(refusalsOf(fake)).toEqual([
      expect.objectContaining({ actor: carol.id, code: 'invalid_state', nonce: 'late-carol-000000001' }),
      expect.objectContaining({ actor: bob.id, code: 'invalid_state', nonce: 'late-bob-00000000001' }),
    ]);
    expect(fake.unconsumedEvents).toEqual([]);
    expectChainedAndCarried(fake);
  });

  it('audits a command that came while the completed request executed as refused, once, after the execution', () => {
    const { fake, output } = orchestration({
      request: aRequest(1),
      events: [approveAt(after(10), bob), completeAt(after(20)), completeAt(after(20), 'second-complete')],
    });

    expect(output).toMatchObject({ status: 'completed', execution: EXECUTED });
    expect(partNames(fake).filter((name) => name === executeOperation)).toHaveLength(1);
    expect(typesOf(fake).slice(-4)).toEqual([
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
      'request.eventRefused',
    ]);
    expect(refusalsOf(fake)).toEqual([
      {
        actor: alice.id,
        command: 'complete',
        code: 'invalid_state',
        reason: 'the request is already completed',
        nonce: 'second-complete',
      },
    ]);
    expect(fake.unconsumedEvents).toEqual([]);
    expectChainedAndCarried(fake);
  });

  it('runs nothing and ends when its first step refuses the start input', () => {
    const { fake, output, input } = orchestration({
      handlers: { [recordStep]: () => ({ startRefused: 'the start signature does not verify' }) },
    });

    expect(fake.activityNames).toEqual([recordStep]);
    expect(output).toEqual({
      requestId: input.request.id,
      status: 'needsApproval',
      startRefused: 'the start signature does not verify',
    });
    expect(fake.customStatuses).toEqual([]);
    expect(fake.errors).toEqual([
      `orchestration ${input.request.id} refused its input: the start signature does not verify`,
    ]);
  });

  it('records an operator start after the submission, in the same first step', () => {
    const request = aRequest();
    const operatorStart = {
      requestId: request.id,
      type: 'request.orchestrationStarted' as const,
      at: after(60),
      actor: { id: 'oscar-id', displayName: 'Oscar' },
      data: { reason: 'the submit stopped' },
    };
    const { fake } = orchestration({ request, input: { operatorStart }, events: [cancelAt(after(70))] });

    expect(stepsOf(fake)[0]!.records.map((record) => record.type)).toEqual([
      'request.submitted',
      'request.orchestrationStarted',
    ]);
  });
});

describe('approvalOrchestrator: the execution in the activity of the completing command', () => {
  const completed = () =>
    orchestration({ request: aRequest(1), events: [approveAt(after(10), bob), completeAt(after(20))] });

  it('executes the request in the activity of the command that completes it, scheduling no executeStep', () => {
    const { fake, output } = completed();

    expect(fake.activityNames).toEqual([recordStep, commandStep, commandStep]);
    const completing = fake.activities.at(-1)!;
    expect(
      partsOf(fake)
        .slice(-4)
        .map((call) => call.name),
    ).toEqual([
      authorizeCommand,
      recordStep, // request.completed
      executeOperation,
      recordStep, // execution.succeeded
    ]);
    expect(partsOf(fake).at(-1)!.at).toBe(completing.at);
    expect(output).toEqual({ requestId: 'req-1', status: 'completed', execution: EXECUTED });
    expect(typesOf(fake).slice(-3)).toEqual(['request.completed', 'request.statusChanged', 'execution.succeeded']);
    // The status is published after the command and after the execution, in the same episode.
    expect(fake.customStatuses.slice(-2).map((status) => (status as ApprovalCustomStatus).status)).toEqual([
      'completed',
      'completed',
    ]);
    expectChainedAndCarried(fake);
  });

  it('runs executeStep at the same position when the execution throws inside the command step, executing once', () => {
    let runs = 0;
    const { fake, output } = orchestration({
      request: aRequest(1),
      events: [approveAt(after(10), bob), completeAt(after(20))],
      handlers: {
        [executeOperation]: () => {
          runs += 1;
          if (runs === 1) throw new Error('Graph answered 503');
          return EXECUTED;
        },
      },
    });

    expect(fake.activityNames).toEqual([recordStep, commandStep, commandStep, executeStep]);
    // One run threw in the command step (recording nothing), one ran in executeStep.
    expect(runs).toBe(2);
    // ...after a retry interval, as a retried activity would wait, not at once.
    const waited = fake.timers.filter((timer) => timer.fired);
    expect(waited).toHaveLength(1);
    expect(Date.parse(waited[0]!.fireAt) - Date.parse(waited[0]!.createdAt)).toBe(5_000);
    expect(fake.activities.at(-1)!.at).toBe(waited[0]!.fireAt);
    expect(output).toMatchObject({ status: 'completed', execution: EXECUTED });
    expect(typesOf(fake).filter((type) => type.startsWith('execution.'))).toEqual(['execution.succeeded']);
    const trail = trailOf(fake);
    const execution = fake.activities.at(-1)!.input as ExecuteStepInput;
    expect(execution.after.seq).toBe(trail.findIndex((record) => record.type === 'execution.succeeded'));
    expectChainedAndCarried(fake);
  });

  it('records an execution the command step handed back unrecorded as a step of its own, executing once', () => {
    const record = recordStepInStore();
    let refused = 0;
    // The store refuses the execution's write once: the command step hands the execution back.
    const refusingOnce: StepRecorder = Object.assign(
      (raw: unknown, call: Parameters<ActivityHandler>[1]) => {
        const step = raw as RecordStepInput;
        if (refused === 0 && step.records.some((one) => one.type.startsWith('execution.'))) {
          refused += 1;
          throw new Error('store unavailable');
        }
        return record(raw, call);
      },
      { model: record.model },
    );
    const { fake, output } = orchestration({
      request: aRequest(1),
      events: [approveAt(after(10), bob), completeAt(after(20))],
      handlers: { [recordStep]: refusingOnce },
    });

    expect(refused).toBe(1);
    expect(fake.activityNames).toEqual([recordStep, commandStep, commandStep, recordStep]);
    expect(partNames(fake).filter((name) => name === executeOperation)).toHaveLength(1);
    expect(output).toMatchObject({ status: 'completed', execution: EXECUTED });
    expect(typesOf(fake).slice(-1)).toEqual(['execution.succeeded']);
    expect(trailOf(fake).at(-1)!.data.executed).toEqual(EXECUTED);
    expectChainedAndCarried(fake);
  });
});

describe('approvalOrchestrator: the follow-up of an accepted device action', () => {
  const { observeExecution } = Activities;
  const COMPLETED_AT = after(20);
  const MINUTE = 60 * SECOND;
  const accepted = (until: string) => () => ({
    status: 'succeeded',
    at: after(3),
    detail: 'Graph accepted the wipe',
    code: 'accepted',
    graph: { clientRequestId: 'crid-1', calls: [] },
    followUp: { everyMs: MINUTE, until },
  });
  /** An observeExecution activity answering `states` in turn (a thrown error for `throw`), dated at the orchestration's time. */
  const observes =
    (...states: ('pending' | 'done' | 'throw')[]): ActivityHandler =>
    (_, call) => {
      const state = states.shift() ?? 'pending';
      if (state === 'throw') throw new Error('Graph answered 503\n    at stack');
      return { state, at: call.at, detail: `the device is ${state}` };
    };
  const run = (handlers: Record<string, ActivityHandler>) =>
    orchestration({ request: aRequest(1), events: [approveAt(after(10), bob), completeAt(COMPLETED_AT)], handlers });
  const observedRecords = (fake: Fake) => trailOf(fake).filter((record) => record.type === 'execution.observed');

  it('observes every minute while the device is pending and records the settled outcome once', () => {
    const { fake, output } = run({
      [executeOperation]: accepted(shift(COMPLETED_AT, 30 * MINUTE)),
      [observeExecution]: observes('pending', 'pending', 'done'),
    });

    expect(partNames(fake).slice(partNames(fake).indexOf(executeOperation))).toEqual([
      executeOperation,
      recordStep, // execution.succeeded: Graph accepted
      observeExecution,
      observeExecution,
      observeExecution,
      recordStep, // execution.observed
    ]);
    expect(fake.activities.filter((call) => call.name === observeExecution).map((call) => call.at)).toEqual([
      shift(COMPLETED_AT, MINUTE),
      shift(COMPLETED_AT, 2 * MINUTE),
      shift(COMPLETED_AT, 3 * MINUTE),
    ]);
    expect(fake.activities.find((call) => call.name === observeExecution)!.input).toEqual({
      requestId: 'req-1',
      correlationId: 'corr-1',
    });
    expect(observedRecords(fake)).toEqual([
      expect.objectContaining({
        at: shift(COMPLETED_AT, 3 * MINUTE),
        data: expect.objectContaining({ state: 'done', detail: 'the device is done', clientRequestId: 'crid-1' }),
      }),
    ]);
    // What Graph accepted is recorded first, without the follow-up itself.
    const executionStep = stepsOf(fake).find((step) => step.records.some((r) => r.type === 'execution.succeeded'))!;
    expect(executionStep.request!.value.execution).toEqual({
      status: 'succeeded',
      at: after(3),
      detail: 'Graph accepted the wipe',
      code: 'accepted',
      graph: { clientRequestId: 'crid-1', calls: [] },
    });
    expect(output.execution!.device).toEqual({
      state: 'done',
      at: shift(COMPLETED_AT, 3 * MINUTE),
      detail: 'the device is done',
    });
    expectChainedAndCarried(fake);
  });

  it('records the device as still pending when it has not settled by the end of the follow-up', () => {
    const until = shift(COMPLETED_AT, 150 * SECOND);
    const { fake, output } = run({
      [executeOperation]: accepted(until),
      [observeExecution]: observes(),
    });

    // The last wait is cut short at the end of the follow-up.
    expect(fake.activities.filter((call) => call.name === observeExecution).map((call) => call.at)).toEqual([
      shift(COMPLETED_AT, MINUTE),
      shift(COMPLETED_AT, 2 * MINUTE),
      until,
    ]);
    expect(observedRecords(fake)).toHaveLength(1);
    expect(output.execution!.device).toEqual({
      state: 'pending',
      at: until,
      detail: `the device is pending (still pending when the follow-up ended at ${until})`,
    });
  });

  it('records the outcome as unknown when observing still fails after its retries', () => {
    const { fake, output } = run({
      [executeOperation]: accepted(shift(COMPLETED_AT, 30 * MINUTE)),
      [observeExecution]: observes('pending', 'throw'),
    });

    expect(fake.activityNames.filter((name) => name === observeExecution)).toHaveLength(2);
    expect(observedRecords(fake).map((record) => record.data.state)).toEqual(['unknown']);
    expect(output.execution!.device).toEqual({
      state: 'unknown',
      at: shift(COMPLETED_AT, 2 * MINUTE),
      detail: 'the device could not be observed: Graph answered 503',
    });
  });

  it('follows nothing up after a failed execution or one without a follow-up', () => {
    for (const execution of [
      EXECUTED,
      { status: 'failed', at: after(3), detail: 'target_changed', code: 'target_changed' },
    ]) {
      const { fake } = run({ [executeOperation]: () => execution });
      expect(fake.activityNames).not.toContain(observeExecution);
      expect(typesOf(fake)).not.toContain('execution.observed');
    }
  });
});
