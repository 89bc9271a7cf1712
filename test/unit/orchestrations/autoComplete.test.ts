import type {
  ApprovalCustomStatus,
  ApprovalOrchestrationInput,
  ApprovalOrchestrationOutput,
  AuthorizeCommandInput,
  AuthorizeCommandOutput,
  CommandEvent,
  CommandStepInput,
  RecordStepInput,
} from '../../../orchestrations/contracts';
import { approvalOrchestrator } from '../../../orchestrations/approvalOrchestrator';
import { Activities, ApprovalEvents } from '../../../orchestrations/names';
import { GENESIS_HASH } from '../../../shared/domain/auditChain';
import type { ActorCommand } from '../../../shared/domain/commands';
import type { AccessPolicy, ApprovalRequest, Execution, Principal } from '../../../shared/domain/model';
import {
  APPROVER,
  EXPIRES,
  GROUP_A,
  REQUESTER,
  T0,
  accessPolicy,
  after,
  alice,
  bob,
  carol,
  newRequest,
  shift,
} from '../../support/builders';
import { FakeOrchestration, type ActivityHandler, type ScriptedEvent } from '../../support/fakeOrchestrationContext';
import {
  authorizeOverTrail,
  commandStepIn,
  partNames,
  partsOf,
  recordStepInStore,
  stepsOf,
  trailOf,
  withSteps,
  type StepRecorder,
} from '../../support/fakeRecordStep';

jest.mock('durable-functions', () => {
  const actual = jest.requireActual<typeof import('durable-functions')>('durable-functions');
  // Loading the orchestrator registers it; registering needs the Functions host, which a unit test has not.
  return { ...actual, app: { ...actual.app, orchestration: () => undefined } };
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const { recordStep, authorizeCommand, executeOperation, readAppRoles, commandStep, executeStep } = Activities;

const RIGHTS: Record<string, { roles: string[]; groups: string[] }> = {
  [alice.id]: { roles: REQUESTER, groups: [] },
  [bob.id]: { roles: APPROVER, groups: [GROUP_A] },
  [carol.id]: { roles: APPROVER, groups: [GROUP_A] },
};

let nonces = 0;
function commandAt(at: string, command: ActorCommand): ScriptedEvent {
  const payload: CommandEvent = {
    ...command,
    signature: { kid: 'key-1', mac: 'mac', issuedAt: at, nonce: `nonce-${++nonces}` },
  };
  return { name: ApprovalEvents.Command, at, payload };
}
const approveAt = (at: string, actor: Principal) =>
  commandAt(at, { kind: 'decide', actor, decision: 'approve', notes: 'fine', source: 'api' });
const completeAt = (at: string) => commandAt(at, { kind: 'complete', actor: alice });

const authorizeGenuine: ActivityHandler = (raw) => {
  const input = raw as AuthorizeCommandInput;
  const event = input.event as CommandEvent;
  const rights = RIGHTS[event.actor.id] ?? { roles: [], groups: [] };
  const answer: AuthorizeCommandOutput = {
    ok: true,
    nonce: event.signature!.nonce,
    issuedAt: event.signature!.issuedAt,
    actorRoles: rights.roles,
    actorGroupIds: rights.groups.filter((group) => input.groupIds.includes(group)),
  };
  return answer;
};

const EXECUTED: Execution = { status: 'succeeded', at: after(20), detail: 'wipe sent', code: 'accepted' };

/** The directory's answer for a principal's roles, as `RIGHTS` has them. */
const rolesFromDirectory: ActivityHandler = (raw) => RIGHTS[(raw as { principalId: string }).principalId]?.roles ?? [];

function run(
  policy: Partial<AccessPolicy>,
  events: ScriptedEvent[],
  readRoles: ActivityHandler = rolesFromDirectory,
  handlers: Record<string, ActivityHandler> = {},
) {
  const request: ApprovalRequest = newRequest({ policy: accessPolicy(policy) });
  const input: ApprovalOrchestrationInput = { request, etag: 'etag-0', reminderBeforeMs: DAY };
  const fake = new FakeOrchestration(input, {
    start: T0,
    instanceId: request.id,
    events,
    handlers: withSteps({
      [recordStep]: recordStepInStore(),
      [authorizeCommand]: authorizeGenuine,
      [executeOperation]: () => EXECUTED,
      [readAppRoles]: readRoles,
      ...handlers,
    }),
  });
  const output = fake.run(approvalOrchestrator) as ApprovalOrchestrationOutput;
  return { fake, output };
}

/** What each notifying step told of: its kind and the request as the step left it. */
const notified = (fake: FakeOrchestration) =>
  stepsOf(fake).flatMap((step) =>
    step.notify ? [{ kind: step.notify.kind, request: (step.request?.value ?? step.start?.request)! }] : [],
  );

describe('approvalOrchestrator: completion on approval', () => {
  it('completes and executes on the approval that reaches the quorum, then tells the initiator what ran', () => {
    const { fake, output } = run({ completion: 'onApproval', requiredApprovals: 2 }, [
      approveAt(after(10), bob),
      approveAt(after(20), carol),
    ]);

    expect(output).toEqual({ requestId: 'req-1', status: 'completed', execution: EXECUTED });
    expect(trailOf(fake).map((record) => record.type)).toEqual([
      'request.submitted',
      'notification.sent',
      'request.approved',
      'notification.sent',
      'request.approved',
      'request.statusChanged',
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
      'notification.sent',
    ]);
    // The approval that reached the quorum and the completion are one step (one activity, which reads
    // the initiator's roles too), and the execution and its mail are run in that same activity.
    expect(fake.activityNames).toEqual([recordStep, commandStep, commandStep]);
    expect(fake.activityNames).not.toContain(executeStep);
    expect(partNames(fake).slice(-5)).toEqual([
      authorizeCommand,
      readAppRoles,
      recordStep,
      executeOperation,
      recordStep,
    ]);
    expect(
      stepsOf(fake)
        .at(-2)!
        .records.map((record) => record.type),
    ).toEqual(['request.approved', 'request.statusChanged', 'request.completed', 'request.statusChanged']);
    expect(stepsOf(fake).at(-2)!.request!.value.status).toBe('completed');
    const completed = trailOf(fake).find((record) => record.type === 'request.completed')!;
    expect(completed).toMatchObject({ actor: null, at: after(20), data: { completion: 'onApproval' } });
    // No "complete it now" mail: the initiator hears once it ran, with the outcome on the request.
    expect(notified(fake).map((input) => input.kind)).toEqual(['submitted', 'approvalRecorded', 'executed']);
    expect(notified(fake).at(-1)!.request.execution).toEqual(EXECUTED);
    expect(partNames(fake).filter((name) => name === executeOperation)).toHaveLength(1);
    expect(fake.customStatuses.at(-1)).toEqual<ApprovalCustomStatus>({
      status: 'completed',
      approvals: 2,
      requiredApprovals: 2,
      expiresAt: EXPIRES,
    });
    const trail = trailOf(fake);
    trail.forEach((record, index) => {
      expect(record.seq).toBe(index);
      expect(record.prevHash).toBe(index === 0 ? GENESIS_HASH : trail[index - 1]!.hash);
    });
  });

  it('sends the initiator the executed message from the approval’s own activity, with the id the orchestration gave it', () => {
    const { fake } = run({ completion: 'onApproval' }, [approveAt(after(10), bob)]);

    expect(fake.activityNames).toEqual([recordStep, commandStep]);
    const given = (fake.activities.at(-1)!.input as CommandStepInput).execution!.notificationId;
    const executed = stepsOf(fake).at(-1)!;
    expect(executed.records.map((record) => record.type)).toEqual(['execution.succeeded']);
    expect(executed.notify).toMatchObject({ kind: 'executed', notificationId: given, at: after(10) });
  });

  it('records an execution the approval’s activity handed back with the executed message id it was given', () => {
    const record = recordStepInStore();
    let refused = 0;
    const refusingOnce: StepRecorder = Object.assign(
      (raw: unknown, call: Parameters<ActivityHandler>[1]) => {
        if (refused === 0 && (raw as RecordStepInput).records.some((one) => one.type.startsWith('execution.'))) {
          refused += 1;
          throw new Error('store unavailable');
        }
        return record(raw, call);
      },
      { model: record.model },
    );
    const { fake, output } = run({ completion: 'onApproval' }, [approveAt(after(10), bob)], rolesFromDirectory, {
      [recordStep]: refusingOnce,
    });

    expect(output).toEqual({ requestId: 'req-1', status: 'completed', execution: EXECUTED });
    expect(fake.activityNames).toEqual([recordStep, commandStep, recordStep]);
    expect(partNames(fake).filter((name) => name === executeOperation)).toHaveLength(1);
    const given = (fake.activities[1]!.input as CommandStepInput).execution!.notificationId;
    expect(stepsOf(fake).at(-1)!.notify).toMatchObject({ kind: 'executed', notificationId: given, at: after(10) });
    expect(
      trailOf(fake)
        .slice(-2)
        .map((one) => one.type),
    ).toEqual(['execution.succeeded', 'notification.sent']);
  });

  it('reads the initiator’s roles first, and does not complete for an initiator who lost MAA.Requester', () => {
    const { fake, output } = run({ completion: 'onApproval' }, [approveAt(after(10), bob)], () => ['MAA.Approver']);

    expect(
      partsOf(fake)
        .filter((call) => call.name === readAppRoles)
        .map((call) => call.input),
    ).toEqual([{ principalId: alice.id }]);
    expect(partNames(fake)).not.toContain(executeOperation);
    const refused = trailOf(fake).find((record) => record.type === 'request.eventRefused')!;
    expect(refused).toMatchObject({ actor: null, data: { command: 'autoComplete', code: 'forbidden' } });
    // Still approved (then expired here): the initiator is told it was approved, as without auto-complete.
    expect(notified(fake).map((input) => input.kind)).toEqual(['submitted', 'approved', 'expired']);
    expect(output.status).toBe('expired');
  });

  it('does not complete when the directory cannot be read, audits why, and leaves it to the initiator', () => {
    const { fake, output } = run(
      { completion: 'onApproval' },
      [approveAt(after(10), bob), completeAt(after(20))],
      () => {
        throw new Error('directory down');
      },
    );

    const refused = trailOf(fake).find((record) => record.type === 'request.eventRefused')!;
    expect(refused).toMatchObject({ actor: null, data: { command: 'autoComplete', code: 'membership_unavailable' } });
    expect(output.status).toBe('completed');
    expect(trailOf(fake).find((record) => record.type === 'request.completed')!.actor).toEqual({
      id: alice.id,
      displayName: alice.displayName,
    });
    expect(partNames(fake).filter((name) => name === executeOperation)).toHaveLength(1);
    // The one-activity step kept failing to read the directory: the step ran in parts, each with its retries.
    expect(fake.activityNames.slice(0, 5)).toEqual([
      recordStep,
      commandStep,
      authorizeCommand,
      readAppRoles,
      recordStep,
    ]);
  });

  it('completes on approval with the initiator’s roles its step recorded, after a long store outage left that step’s records standing', () => {
    let down = false;
    const record = recordStepInStore(undefined, { outage: () => down });
    let commandSteps = 0;
    const steps = commandStepIn(record, authorizeGenuine, rolesFromDirectory, () => EXECUTED);
    // The approval's step appends its records, then its read model write fails through every retry.
    const stepHandler: ActivityHandler = (raw, call) => {
      down = ++commandSteps === 1;
      return steps(raw, call);
    };
    // The store stays unreadable through the first authorization in parts, then answers.
    let inParts = 0;
    const overTrail = authorizeOverTrail(record, authorizeGenuine);
    const authorize: ActivityHandler = (raw, call) => {
      if (!(raw as AuthorizeCommandInput).after) return authorizeGenuine(raw, call);
      if (++inParts === 1) throw new Error('the store could not be read');
      down = false;
      return overTrail(raw, call);
    };
    // Read again now, the directory would say alice lost MAA.Requester: the recorded roles stand.
    const { fake, output } = run({ completion: 'onApproval' }, [approveAt(after(10), bob)], () => ['MAA.Approver'], {
      [recordStep]: record,
      [commandStep]: stepHandler,
      [authorizeCommand]: authorize,
    });

    expect(output).toEqual({ requestId: 'req-1', status: 'completed', execution: EXECUTED });
    const stored = [...record.model.trail.values()].sort((a, b) => a.seq - b.seq);
    expect(stored.map((one) => one.type)).toEqual([
      'request.submitted',
      'notification.sent',
      'request.approved',
      'request.statusChanged',
      'request.completed',
      'request.statusChanged',
      'execution.succeeded',
      'notification.sent',
    ]);
    expect(stored[2]!.data.rights).toMatchObject({ initiatorRoles: REQUESTER });
    expect(stored.some((one) => one.type === 'request.eventRefused')).toBe(false);
    expect(trailOf(fake)).toEqual(stored);
    expect(partNames(fake).filter((name) => name === readAppRoles)).toHaveLength(1);
    expect(partNames(fake).filter((name) => name === executeOperation)).toHaveLength(1);
  });

  it('does not complete before the quorum: one of two approvals leaves it waiting, then expiring', () => {
    const { fake, output } = run({ completion: 'onApproval', requiredApprovals: 2 }, [approveAt(after(10), bob)]);

    expect(output).toEqual({ requestId: 'req-1', status: 'expired' });
    expect(partNames(fake)).not.toContain(executeOperation);
    expect(trailOf(fake).map((record) => record.type)).not.toContain('request.completed');
    expect(notified(fake).map((input) => input.kind)).not.toContain('executed');
  });

  it('under a policy its initiator completes, waits for the initiator as before', () => {
    const { fake, output } = run({ requiredApprovals: 1 }, [approveAt(after(10), bob), completeAt(after(20))]);

    expect(output.status).toBe('completed');
    expect(notified(fake).map((input) => input.kind)).toEqual(['submitted', 'approved']);
    expect(trailOf(fake).find((record) => record.type === 'request.completed')!.actor).toEqual({
      id: alice.id,
      displayName: alice.displayName,
    });
  });
});

describe('approvalOrchestrator: the execution window', () => {
  it('shortens the expiry to the approval plus executeWithin: the request expires there when nobody completes it', () => {
    const { fake, output } = run({ executeWithin: 'PT4H' }, [approveAt(after(10), bob)]);

    const windowEnd = shift(after(10), 4 * HOUR);
    expect(output).toEqual({ requestId: 'req-1', status: 'expired' });
    expect(trailOf(fake).find((record) => record.type === 'request.approved')!.data).toMatchObject({
      executeWithin: 'PT4H',
      expiresAt: windowEnd,
    });
    expect(trailOf(fake).find((record) => record.type === 'request.expired')).toMatchObject({
      at: windowEnd,
      data: { expiresAt: windowEnd },
    });
    expect(
      (fake.customStatuses as ApprovalCustomStatus[]).some(
        (status) => status.expiresAt === windowEnd && status.status === 'approved',
      ),
    ).toBe(true);
  });

  it('completed within the window, it executes as usual', () => {
    const { output } = run({ executeWithin: 'PT4H' }, [approveAt(after(10), bob), completeAt(shift(after(10), HOUR))]);
    expect(output.status).toBe('completed');
  });
});
