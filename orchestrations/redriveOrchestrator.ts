import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { RecordObservationInput, RecordRedriveInput, RedriveInput } from './contracts';
import type { Correlated } from '../shared/telemetry/correlation';
import { execute, observable, observeDevice, STEP_RETRY } from './execution';
import { Activities, REDRIVE_ORCHESTRATOR } from './names';

/**
 * An operator's re-drive of a failed execution: the claim is already in the read model (see
 * `redriveRequest`), and the instance id is unique per re-drive, so this runs the executor once
 * (with the approval orchestrator's retry policy) and records the outcome; a device action Graph
 * accepted is then followed up like a first execution, its outcome recorded once.
 */
export const redriveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { request, number, correlationId } = context.df.getInput<RedriveInput>();
  const correlation: Correlated = correlationId ? { correlationId } : {};
  const { followUp, ...execution } = yield* execute(context, request, correlation);
  const record: RecordRedriveInput = { requestId: request.id, number, execution, ...correlation };
  yield context.df.callActivityWithRetry(Activities.recordRedrive, STEP_RETRY, record);
  if (followUp && observable(execution)) {
    const { devices, ...outcome } = yield* observeDevice(context, request.id, followUp, correlation);
    const observed: RecordObservationInput = {
      requestId: request.id,
      number,
      outcome,
      ...(devices === undefined ? {} : { devices }),
      ...correlation,
    };
    yield context.df.callActivityWithRetry(Activities.recordObservation, STEP_RETRY, observed);
  }
  return execution;
};

df.app.orchestration(REDRIVE_ORCHESTRATOR, redriveOrchestrator);
