import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { Execution } from '../shared/domain/model';
import type { RecordRedriveInput, RedriveInput } from '../shared/ops/orchestrations';
import type { Correlated } from '../shared/telemetry/correlation';
import { EXECUTION_RETRY, STEP_RETRY } from './approvalOrchestrator';
import type { ExecuteOperationInput } from './contracts';
import { Activities, REDRIVE_ORCHESTRATOR } from './names';

/**
 * An operator's re-drive of a failed execution: the claim is already in the read model (see
 * `redriveRequest`), and the instance id is unique per re-drive, so this runs the executor once
 * (with the approval orchestrator's retry policy) and records the outcome.
 */
export const redriveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { request, number, correlationId } = context.df.getInput<RedriveInput>();
  const correlation: Correlated = correlationId ? { correlationId } : {};
  let execution: Execution;
  try {
    const input: ExecuteOperationInput = { ...request, ...correlation };
    execution = (yield context.df.callActivityWithRetry(Activities.executeOperation, EXECUTION_RETRY, input)) as Execution;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    execution = { status: 'failed', at: context.df.currentUtcDateTime.toISOString(), detail: `gave up after retries: ${detail}` };
  }
  const record: RecordRedriveInput = { requestId: request.id, number, execution, ...correlation };
  yield context.df.callActivityWithRetry(Activities.recordRedrive, STEP_RETRY, record);
  return execution;
};

df.app.orchestration(REDRIVE_ORCHESTRATOR, redriveOrchestrator);
