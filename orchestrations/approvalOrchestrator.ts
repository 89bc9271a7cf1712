import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { isDomainError } from '../shared/domain/errors';
import { applyCommand, submittedEvent, type Command, type CommandResult, type DomainEvent } from '../shared/domain/lifecycle';
import { CLOSED_STATUSES, type ApprovalRequest, type AuditEntry, type Execution } from '../shared/domain/model';
import type { Correlated } from '../shared/telemetry/correlation';
import type {
  ApprovalCustomStatus,
  ApprovalOrchestrationInput,
  ApprovalOrchestrationOutput,
  CheckMembershipInput,
  CommandEvent,
  ExecuteOperationInput,
  RecordStepInput,
} from './contracts';
import { APPROVAL_ORCHESTRATOR, Activities, ApprovalEvents } from './names';

/** How long a closed request still takes commands, to audit them as refused instead of dropping them. */
const CLOSED_GRACE_MS = 10_000;

/** Retries: `attempts` attempts, `firstMs` apart, doubling, at most 5 minutes between attempts. */
function retry(firstMs: number, attempts: number): df.RetryOptions {
  const options = new df.RetryOptions(firstMs, attempts);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 300_000;
  return options;
}

/** The executor: 5 attempts over about a minute, then the failure is recorded. */
export const EXECUTION_RETRY = retry(5_000, 5);
/** Store and directory calls: a passing outage (throttling, a busy store) must not end the request. */
export const STEP_RETRY = retry(1_000, 12);

/**
 * One orchestration per request (instance id = request id). It records the submission, then
 * waits for commands raced against the durable expiry timer, applies each through the pure
 * lifecycle rules (refusals are audited, not applied), executes the stored operation once the
 * initiator completes it, and records every step in the read model and the audit trail.
 */
export const approvalOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { request: submitted, correlationId: startedBy } = context.df.getInput<ApprovalOrchestrationInput>();
  let request: ApprovalRequest = submitted;
  // Activity inputs carry the correlation id of the HTTP request behind the current step, for their logs.
  let correlation: Correlated = startedBy ? { correlationId: startedBy } : {};
  let seq = 0;
  const now = () => context.df.currentUtcDateTime.toISOString();
  const number = (events: DomainEvent[]): AuditEntry[] => events.map((event) => ({ ...event, seq: seq++ }));
  const record = (result: CommandResult) => {
    request = result.request;
    const input: RecordStepInput = { request, entries: number(result.events), ...correlation };
    return context.df.callActivityWithRetry(Activities.recordStep, STEP_RETRY, input);
  };
  const refusal = (command: string, actor: DomainEvent['actor'], code: string, reason: string): DomainEvent => ({
    requestId: request.id,
    type: 'request.eventRefused',
    at: now(),
    actor,
    data: { command, code, reason },
  });
  const publish = () => {
    const status: ApprovalCustomStatus = {
      status: request.status,
      approvals: request.decisions.filter((d) => d.decision === 'approve').length,
      requiredApprovals: request.policy.requiredApprovals,
      expiresAt: request.expiresAt,
    };
    context.df.setCustomStatus(status);
  };

  yield record({ request, events: [submittedEvent(request)] });
  publish();

  while (!CLOSED_STATUSES.has(request.status)) {
    // A fresh timer per wait: re-yielding a scheduled timer in a new Task.any would desynchronise
    // the sequence numbers the backend and the SDK assign.
    const expiry = context.df.createTimer(new Date(request.expiresAt));
    const next = context.df.waitForExternalEvent(ApprovalEvents.Command);
    const winner = yield context.df.Task.any([expiry, next]);

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
          yield record({ request, events: [refusal(event.kind, event.actor, 'membership_unavailable', 'group membership could not be read')] });
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
      yield record({ request, events: [refusal(command.kind, 'actor' in command ? command.actor : null, error.code, error.message)] });
      continue;
    }
    yield record(result);
    publish();

    if (request.status === 'completed') {
      let execution: Execution;
      try {
        const input: ExecuteOperationInput = { ...request, ...correlation };
        execution = (yield context.df.callActivityWithRetry(Activities.executeOperation, EXECUTION_RETRY, input)) as Execution;
      } catch (error) {
        const detail = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        execution = { status: 'failed', at: now(), detail: `gave up after retries: ${detail}` };
      }
      yield record(applyCommand(request, { kind: 'recordExecution', execution }));
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
    yield record({ request, events: [refusal(event.kind, event.actor, 'invalid_state', `the request is already ${request.status}`)] });
  }

  const output: ApprovalOrchestrationOutput = { requestId: request.id, status: request.status };
  if (request.execution) output.execution = request.execution;
  return output;
};

df.app.orchestration(APPROVAL_ORCHESTRATOR, approvalOrchestrator);
