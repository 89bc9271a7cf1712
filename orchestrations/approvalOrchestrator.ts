import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { chainRecord, GENESIS_HASH } from '../shared/domain/auditChain';
import { isDomainError } from '../shared/domain/errors';
import { applyCommand, approvalCount, submittedEvent, type Command, type CommandResult, type DomainEvent } from '../shared/domain/lifecycle';
import { CLOSED_STATUSES, type ApprovalRequest, type AuditRecord } from '../shared/domain/model';
import { notificationEvents, notificationFor, type NotificationKind } from '../shared/domain/notifications';
import type { Correlated } from '../shared/telemetry/correlation';
import type {
  ApprovalCustomStatus,
  ApprovalOrchestrationInput,
  ApprovalOrchestrationOutput,
  CheckMembershipInput,
  CommandEvent,
  NotifyInput,
  NotifyOutput,
  RecordStepInput,
} from './contracts';
import { execute, retry, STEP_RETRY } from './execution';
import { APPROVAL_ORCHESTRATOR, Activities, ApprovalEvents } from './names';

/** How long a closed request still takes commands, to audit them as refused instead of dropping them. */
const CLOSED_GRACE_MS = 10_000;

/** Notifications: the channels retry inside the activity; one more run if it crashed, then the failure is audited. */
const NOTIFY_RETRY = retry(5_000, 2);

/**
 * One orchestration per request (instance id = request id). It records the submission, then
 * waits for commands raced against the durable expiry timer, applies each through the pure
 * lifecycle rules (refusals are audited, not applied), executes the stored operation once the
 * initiator completes it, and records every step in the read model and the audit trail. It
 * notifies the approvers of a new request (and reminds those who have not decided, once, shortly
 * before it expires) and the initiator of every decision, cancellation and expiry, auditing each
 * outcome; a notification that fails is recorded and never stops the request.
 *
 * It is the only writer of its request's trail and, after the submit, of its read model, so it
 * chains the audit records itself (chaining is pure) and carries the read model's etag from step
 * to step: recording a step then needs no reads.
 */
export const approvalOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ApprovalOrchestrationInput>();
  let request: ApprovalRequest = input.request;
  /** The read model as the last recorded step left it. */
  let stored = { value: input.request, etag: input.etag };
  // Activity inputs carry the correlation id of the HTTP request behind the current step, for their logs.
  let correlation: Correlated = input.correlationId ? { correlationId: input.correlationId } : {};
  let seq = 0;
  let prevHash = GENESIS_HASH;
  const now = () => context.df.currentUtcDateTime.toISOString();
  const chain = (events: DomainEvent[]): AuditRecord[] =>
    events.map((event) => {
      const chained = chainRecord({ ...event, seq: seq++ }, prevHash);
      prevHash = chained.hash;
      return chained;
    });
  function* record(result: CommandResult): Generator<df.Task, void, unknown> {
    request = result.request;
    const step: RecordStepInput = { records: chain(result.events), ...correlation };
    // Every change makes a new request object (see lifecycle's `changed`): the same one means no change.
    if (request !== stored.value) step.request = { value: request, etag: stored.etag };
    const etag = (yield context.df.callActivityWithRetry(Activities.recordStep, STEP_RETRY, step)) as string | null;
    if (etag !== null) stored = { value: request, etag };
  }
  /** The audit entry of a refused command; a decision made through a link names it, so the link's page can say what became of it. */
  const refusal = (command: Command | CommandEvent, code: string, reason: string): DomainEvent => ({
    requestId: request.id,
    type: 'request.eventRefused',
    at: now(),
    actor: 'actor' in command ? command.actor : null,
    data: { command: command.kind, code, reason, ...('linkId' in command && command.linkId !== undefined ? { linkId: command.linkId } : {}) },
  });
  const publish = () => {
    const status: ApprovalCustomStatus = {
      status: request.status,
      approvals: approvalCount(request),
      requiredApprovals: request.policy.requiredApprovals,
      expiresAt: request.expiresAt,
    };
    context.df.setCustomStatus(status);
  };
  /** From the settings, through the notify activity (orchestrators read no settings); 0 until it answers. */
  let reminderBeforeMs = 0;
  let reminded = false;
  /** Sends notification `kind` about the request as it stands and audits the outcomes. */
  function* notify(kind: NotificationKind): Generator<df.Task, void, unknown> {
    const input: NotifyInput = { kind, request, notificationId: context.df.newGuid(request.id), at: now() };
    let output: NotifyOutput;
    try {
      output = (yield context.df.callActivityWithRetry(Activities.notify, NOTIFY_RETRY, input)) as NotifyOutput;
    } catch (error) {
      const detail = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      output = { outcomes: [], problems: [`the notify activity failed: ${detail}`], reminderBeforeMs };
    }
    reminderBeforeMs = output.reminderBeforeMs;
    const events = notificationEvents(request, kind, output.outcomes, output.problems, now());
    if (events.length > 0) yield* record({ request, events });
  }

  yield* record({ request, events: input.operatorStart ? [submittedEvent(request), input.operatorStart] : [submittedEvent(request)] });
  publish();
  yield* notify('submitted');

  while (!CLOSED_STATUSES.has(request.status)) {
    // A fresh timer per wait: re-yielding a scheduled timer in a new Task.any would desynchronise
    // the sequence numbers the backend and the SDK assign.
    const expiry = context.df.createTimer(new Date(request.expiresAt));
    const next = context.df.waitForExternalEvent(ApprovalEvents.Command);
    // The reminder races too, once, while approvals are still wanted; a request whose whole life is
    // shorter than the reminder lead gets none (its approvers were just notified).
    const remindAt = Date.parse(request.expiresAt) - reminderBeforeMs;
    const remind = !reminded && reminderBeforeMs > 0 && request.status === 'needsApproval' && remindAt > Date.parse(request.createdAt);
    const reminder = remind ? context.df.createTimer(new Date(remindAt)) : undefined;
    const winner = yield context.df.Task.any(reminder ? [expiry, next, reminder] : [expiry, next]);
    if (winner === reminder) {
      expiry.cancel();
      reminded = true;
      yield* notify('reminder');
      continue;
    }
    reminder?.cancel();

    let command: Command;
    if (winner === expiry) {
      command = { kind: 'expire', at: now() };
    } else {
      expiry.cancel();
      const { correlationId, ...event } = next.result as CommandEvent;
      if (correlationId) correlation = { correlationId };
      if (event.kind === 'decide') {
        // Membership is read again now: the HTTP layer's view may be stale.
        const membership: CheckMembershipInput = { userId: event.actor.id, groupIds: request.policy.approverGroupIds, ...correlation };
        let actorGroupIds: string[];
        try {
          actorGroupIds = (yield context.df.callActivityWithRetry(Activities.checkMembership, STEP_RETRY, membership)) as string[];
        } catch {
          // The directory stayed unreachable: the decision is refused (and audited), not guessed.
          yield* record({ request, events: [refusal(event, 'membership_unavailable', 'group membership could not be read')] });
          continue;
        }
        command = { ...event, actorGroupIds, at: now() };
      } else {
        command = { ...event, at: now() };
      }
    }

    let result: CommandResult;
    try {
      result = applyCommand(request, command);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      yield* record({ request, events: [refusal(command, error.code, error.message)] });
      continue;
    }
    yield* record(result);
    publish();
    const kind = notificationFor(result);
    if (kind) yield* notify(kind);

    if (request.status === 'completed') {
      const execution = yield* execute(context, request, correlation);
      yield* record(applyCommand(request, { kind: 'recordExecution', execution }));
      publish();
    }
  }

  // Commands the API accepted just before the request closed are audited as refused, not dropped.
  const graceEnd = new Date(context.df.currentUtcDateTime.getTime() + CLOSED_GRACE_MS);
  for (;;) {
    const late = context.df.waitForExternalEvent(ApprovalEvents.Command);
    const grace = context.df.createTimer(graceEnd);
    if ((yield context.df.Task.any([late, grace])) === grace) break;
    grace.cancel();
    const event = late.result as CommandEvent;
    yield* record({ request, events: [refusal(event, 'invalid_state', `the request is already ${request.status}`)] });
  }

  const output: ApprovalOrchestrationOutput = { requestId: request.id, status: request.status };
  if (request.execution) output.execution = request.execution;
  return output;
};

df.app.orchestration(APPROVAL_ORCHESTRATOR, approvalOrchestrator);
