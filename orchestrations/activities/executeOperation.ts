import type { ApprovalRequest, Execution, ProfileType } from '../../shared/domain/model';
import type { Executor } from '../../shared/execute/executor';

/**
 * Builds the `executeOperation` activity: runs the stored operation through the executor chosen
 * for its profile type. A retryable failure throws, so the orchestration's retry policy runs it
 * again; a final failure is returned as a failed execution.
 */
export function makeExecuteOperation(executorFor: (profileType: ProfileType) => Executor, now: () => Date = () => new Date()) {
  return async function executeOperation(request: ApprovalRequest): Promise<Execution> {
    const outcome = await executorFor(request.profileType).execute(request);
    if (outcome.status === 'failed' && outcome.retryable) throw new Error(outcome.detail);
    return { status: outcome.status, at: now().toISOString(), detail: outcome.detail };
  };
}
