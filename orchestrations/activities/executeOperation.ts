import { executionRefusal } from '../../shared/domain/lifecycle';
import { OPEN_STATUSES, type ApprovalRequest, type ProfileType } from '../../shared/domain/model';
import type { ExecuteOperationOutput } from '../contracts';
import type { Executor } from '../../shared/execute/executor';
import type { Store } from '../../shared/store/store';

/**
 * Builds the `executeOperation` activity: runs the stored operation through the executor chosen
 * for its profile type. The request to run is read from the store, never taken from the input:
 * only a request whose completion the orchestration recorded (or whose re-drive an operator
 * claimed) executes (see `executionRefusal`), so an orchestration started by hand through the
 * Durable API executes nothing; such a refusal is a failed execution, `execution_refused: ...`. A
 * retryable failure throws, so the orchestration's retry policy runs it again; a final failure is
 * returned as a failed execution. The executor's code and Graph calls are kept, and an accepted
 * device action's follow-up is handed to the orchestration (a bulk one's when any device was
 * accepted, with every device's outcome in `devices`).
 */
export function makeExecuteOperation(
  executorFor: (profileType: ProfileType) => Executor,
  store: Pick<Store, 'getRequest'>,
  now: () => Date = () => new Date(),
) {
  return async function executeOperation(requested: ApprovalRequest): Promise<ExecuteOperationOutput> {
    return executeStored((await store.getRequest(requested.id))?.value, requested, executorFor, now);
  };
}

/**
 * What `executeOperation` does once it read `stored`, the read model: refuses unless
 * `executionRefusal` allows (a still open one throws, for a retry), else runs it through its
 * executor. Shared with `executeStep`.
 */
export async function executeStored(
  stored: ApprovalRequest | undefined,
  requested: Pick<ApprovalRequest, 'id' | 'operationHash' | 'redrive'>,
  executorFor: (profileType: ProfileType) => Executor,
  now: () => Date,
): Promise<ExecuteOperationOutput> {
  const refusal = executionRefusal(stored, requested);
  // A read model still open may be a stale read of the completion just written: worth a retry.
  if (refusal !== undefined && stored && OPEN_STATUSES.has(stored.status))
    throw new Error(`execution_refused: ${refusal}`);
  if (refusal !== undefined || !stored)
    return {
      status: 'failed',
      at: now().toISOString(),
      detail: `execution_refused: ${refusal ?? 'no stored request'}`,
    };
  const outcome = await executorFor(stored.profileType).execute(stored);
  if (outcome.status === 'failed' && outcome.retryable) throw new Error(outcome.detail);
  return {
    status: outcome.status,
    at: now().toISOString(),
    detail: outcome.detail,
    ...(outcome.code === undefined ? {} : { code: outcome.code }),
    ...(outcome.graph === undefined ? {} : { graph: outcome.graph }),
    ...(outcome.devices === undefined ? {} : { devices: outcome.devices }),
    ...((outcome.status === 'succeeded' || outcome.devices?.some((device) => device.status === 'succeeded')) &&
    outcome.followUp !== undefined
      ? { followUp: outcome.followUp }
      : {}),
  };
}
