import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { RecordRedriveInput, RedriveInput } from './contracts';
import type { Correlated } from '../shared/telemetry/correlation';
import { execute, STEP_RETRY } from './execution';
import { Activities, REDRIVE_ORCHESTRATOR } from './names';

/**
 * An operator's re-drive of a failed execution: the claim is already in the read model (see
 * `redriveRequest`), and the instance id is unique per re-drive, so this runs the executor once
 * (with the approval orchestrator's retry policy) and records the outcome.
 */
export const redriveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { request, number, correlationId } = context.df.getInput<RedriveInput>();
  const correlation: Correlated = correlationId ? { correlationId } : {};
  const execution = yield* execute(context, request, correlation);
  const record: RecordRedriveInput = { requestId: request.id, number, execution, ...correlation };
  yield context.df.callActivityWithRetry(Activities.recordRedrive, STEP_RETRY, record);
  return execution;
};

df.app.orchestration(REDRIVE_ORCHESTRATOR, redriveOrchestrator);
