import { DomainError } from './errors';
import { normalizeInstant } from './instant';
import {
  changed,
  event,
  executionAuditData,
  recordedExecution,
  type CommandResult,
  type DomainEvent,
} from './lifecycle';
import { OPEN_STATUSES, type ApprovalRequest, type Execution, type Principal } from './model';

// What operators may do to a request whose orchestration cannot: cancel it once its orchestration
// is gone, and re-run a failed execution. Pure like the lifecycle rules; the callers (the ops HTTP
// functions and the re-drive orchestration) write the results with the request's etag and chain
// the events after the trail's last record.

/** Only an operator acts here; the reason is what the audit trail keeps. */
export interface OperatorAction {
  actor: Principal;
  actorRoles: readonly string[];
  reason: string;
  /** RFC 3339 */
  at: string;
}

function requireOperator(
  request: ApprovalRequest,
  action: OperatorAction,
  verb: string,
): { at: string; reason: string } {
  if (!action.actorRoles.includes('MAA.Operator'))
    throw new DomainError('forbidden', `${verb} request ${request.id} needs MAA.Operator`);
  const reason = action.reason.trim();
  if (reason === '') throw new DomainError('invalid_request', 'an operator action needs a reason');
  return { at: normalizeInstant(action.at, 'at'), reason };
}

/**
 * An operator cancels an open request (needsApproval or approved, even past `expiresAt`: a
 * request whose orchestration died never expires by itself). The request becomes `cancelled` with
 * `cancellation` naming the operator and reason; the facts are `request.cancelled` (with
 * `source: "operator"` and the reason) and the status change. `invalid_state` for a closed request.
 */
export function operatorCancel(request: ApprovalRequest, action: OperatorAction): CommandResult {
  const { at, reason } = requireOperator(request, action, 'cancelling');
  if (!OPEN_STATUSES.has(request.status))
    throw new DomainError(
      'invalid_state',
      `request ${request.id} is ${request.status}: only open requests can be cancelled`,
    );
  const by = { id: action.actor.id, displayName: action.actor.displayName };
  return changed(request, { cancellation: { by, reason, at } }, 'cancelled', at, by, [
    event(request, 'request.cancelled', at, by, { from: request.status, source: 'operator', reason }),
  ]);
}

/**
 * Whether `request` is exactly as its submit stored it: still `needsApproval` and never modified.
 * A submit that stops between storing the request and starting its orchestration leaves it so.
 */
export function isUnstarted(request: ApprovalRequest): boolean {
  return request.status === 'needsApproval' && request.lastModifiedAt === request.createdAt;
}

/**
 * An operator starts the orchestration of a request that never got one (see {@link isUnstarted};
 * the caller also checks that there is no orchestration and no audit trail yet). The orchestration
 * records `request.orchestrationStarted`, naming the operator and reason, right after
 * `request.submitted`. `invalid_state` for a request that has moved on.
 */
export function startUnstarted(request: ApprovalRequest, action: OperatorAction): DomainEvent {
  const { at, reason } = requireOperator(request, action, 'starting');
  if (!isUnstarted(request)) throw new DomainError('invalid_state', `request ${request.id} has already started`);
  const by = { id: action.actor.id, displayName: action.actor.displayName };
  return event(request, 'request.orchestrationStarted', at, by, { reason });
}

/**
 * An operator asks for a failed execution to run again: allowed on a `completed` request whose
 * `execution` failed and that has no re-drive running. Sets `redrive` (number = previous + 1,
 * `running`) and audits `execution.redriveRequested`; storing it with the request's etag is the
 * claim that makes each re-drive run once.
 */
export function requestRedrive(request: ApprovalRequest, action: OperatorAction): CommandResult {
  const { at, reason } = requireOperator(request, action, 're-driving');
  if (request.status !== 'completed' || request.execution?.status !== 'failed') {
    throw new DomainError('invalid_state', `request ${request.id} has no failed execution to re-drive`);
  }
  if (request.redrive?.running)
    throw new DomainError(
      'invalid_state',
      `re-drive ${request.redrive.number} of request ${request.id} is still running`,
    );
  const by = { id: action.actor.id, displayName: action.actor.displayName };
  const number = (request.redrive?.number ?? 0) + 1;
  return changed(request, { redrive: { number, by, reason, at, running: true } }, 'completed', at, by, [
    event(request, 'execution.redriveRequested', at, by, {
      redrive: number,
      reason,
      previous: request.execution.detail,
    }),
  ]);
}

/**
 * The outcome of re-drive `number`: replaces `execution` and marks the re-drive done, auditing
 * `execution.succeeded` or `execution.failed` with the re-drive's number and the same facts a first
 * execution's record has (code, `client-request-id`, Graph calls). `invalid_state` when
 * that re-drive is not the one running (a duplicate delivery: the caller treats it as done).
 */
export function recordRedrive(request: ApprovalRequest, number: number, execution: Execution): CommandResult {
  const at = normalizeInstant(execution.at, 'execution.at');
  if (request.status !== 'completed' || request.redrive?.number !== number || !request.redrive.running) {
    throw new DomainError('invalid_state', `re-drive ${number} of request ${request.id} is not running`);
  }
  if (execution.status !== 'succeeded' && execution.status !== 'failed')
    throw new DomainError('invalid_request', 'execution.status must be succeeded or failed');
  const recorded = recordedExecution(execution, at);
  return changed(
    request,
    { execution: recorded, redrive: { ...request.redrive, running: false } },
    'completed',
    at,
    null,
    [
      event(request, recorded.status === 'succeeded' ? 'execution.succeeded' : 'execution.failed', at, null, {
        operationHash: request.operationHash,
        ...executionAuditData(recorded),
        redrive: number,
      }),
    ],
  );
}
