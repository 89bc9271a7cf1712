import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { APPROVAL_ORCHESTRATOR, ApprovalEvents } from './names';

/** What starts an approval orchestration. */
export interface ApprovalOrchestrationInput {
  requestId: string;
  /** RFC 3339 instant at which an undecided request expires. */
  expiresAt: string;
}

/** How the orchestration ended. */
export interface ApprovalOrchestrationOutput {
  requestId: string;
  status: 'decided' | 'cancelled' | 'expired';
}

/**
 * One orchestration per request: waits for the first decision or cancellation, raced against the
 * durable expiry timer, and cancels the timer when an event wins. (Skeleton: the full lifecycle
 * with quorum, completion and audit records builds on this shape.)
 */
export const approvalOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ApprovalOrchestrationInput>();
  context.df.setCustomStatus({ status: 'needsApproval' });

  const expiry = context.df.createTimer(new Date(input.expiresAt));
  const decision = context.df.waitForExternalEvent(ApprovalEvents.Decision);
  const cancel = context.df.waitForExternalEvent(ApprovalEvents.Cancel);
  const winner = yield context.df.Task.any([expiry, decision, cancel]);

  if (winner === expiry) {
    context.df.setCustomStatus({ status: 'expired' });
    return { requestId: input.requestId, status: 'expired' } satisfies ApprovalOrchestrationOutput;
  }
  // A pending timer keeps the instance running until it fires: cancel it before finishing.
  expiry.cancel();
  const status = winner === cancel ? 'cancelled' : 'decided';
  context.df.setCustomStatus({ status });
  return { requestId: input.requestId, status } satisfies ApprovalOrchestrationOutput;
};

df.app.orchestration(APPROVAL_ORCHESTRATOR, approvalOrchestrator);
