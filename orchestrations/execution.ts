import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import type { ApprovalRequest, Execution } from '../shared/domain/model';
import type { Correlated } from '../shared/telemetry/correlation';
import type { ExecuteOperationInput } from './contracts';
import { Activities } from './names';

/** Retries: `attempts` attempts, `firstMs` apart, doubling, at most 5 minutes between attempts. */
export function retry(firstMs: number, attempts: number): df.RetryOptions {
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
 * Runs `request`'s stored operation through its executor (with {@link EXECUTION_RETRY}) inside an
 * orchestration; an executor that still fails after the retries gives a `failed` execution to
 * record, never a failed orchestration. Shared by the approval and re-drive orchestrations.
 */
export function* execute(
  context: OrchestrationContext,
  request: ApprovalRequest,
  correlation: Correlated,
): Generator<df.Task, Execution, unknown> {
  try {
    const input: ExecuteOperationInput = { ...request, ...correlation };
    return (yield context.df.callActivityWithRetry(Activities.executeOperation, EXECUTION_RETRY, input)) as Execution;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return {
      status: 'failed',
      at: context.df.currentUtcDateTime.toISOString(),
      detail: `gave up after retries: ${detail}`,
    };
  }
}
