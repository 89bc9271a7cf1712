import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import type { ApprovalRequest, Execution } from '../shared/domain/model';
import type { Correlated } from '../shared/telemetry/correlation';
import type {
  ExecuteOperationInput,
  ExecuteOperationOutput,
  FollowUp,
  ObserveExecutionInput,
  ObserveExecutionOutput,
} from './contracts';
import { Activities } from './names';

/** Retries: `attempts` attempts, `firstMs` apart, doubling, at most 5 minutes between attempts. */
export function retry(firstMs: number, attempts: number): df.RetryOptions {
  const options = new df.RetryOptions(firstMs, attempts);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 300_000;
  return options;
}

/** The first wait between two execution attempts. */
export const EXECUTION_RETRY_INTERVAL_MS = 5_000;
/** The executor: 5 attempts over about a minute, then the failure is recorded. */
export const EXECUTION_RETRY = retry(EXECUTION_RETRY_INTERVAL_MS, 5);
/** Store and directory calls: a passing outage (throttling, a busy store) must not end the request. */
export const STEP_RETRY = retry(1_000, 12);
/**
 * A command's one-activity step: a few quick attempts, then the orchestration runs the step in
 * parts, each with {@link STEP_RETRY} (a directory outage is then audited as such).
 */
export const COMMAND_STEP_RETRY = retry(1_000, 4);
/** One observation of a device: 3 attempts over about 15 s, then the outcome is `unknown`. */
export const OBSERVE_RETRY = retry(5_000, 3);
/** The shortest wait between two observations, whatever the executor asks for. */
export const MIN_OBSERVE_EVERY_MS = 1_000;

/** Whether `execution` has something to observe: it succeeded, or (a bulk action) some device was accepted. */
export function observable(execution: Pick<Execution, 'status' | 'devices'> | undefined): boolean {
  if (execution === undefined) return false;
  return (
    execution.status === 'succeeded' || (execution.devices?.some((device) => device.status === 'succeeded') ?? false)
  );
}

/** What an activity's final failure says, its first line only (no stack). */
export function failureDetail(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * Runs `request`'s stored operation through its executor (with {@link EXECUTION_RETRY}) inside an
 * orchestration; an executor that still fails after the retries gives a `failed` execution to
 * record, never a failed orchestration. A device action Graph accepted comes with its `followUp`
 * (see {@link observeDevice}). Shared by the approval and re-drive orchestrations.
 */
export function* execute(
  context: OrchestrationContext,
  request: ApprovalRequest,
  correlation: Correlated,
): Generator<df.Task, ExecuteOperationOutput, unknown> {
  try {
    const input: ExecuteOperationInput = { ...request, ...correlation };
    return (yield context.df.callActivityWithRetry(
      Activities.executeOperation,
      EXECUTION_RETRY,
      input,
    )) as ExecuteOperationOutput;
  } catch (error) {
    return {
      status: 'failed',
      at: context.df.currentUtcDateTime.toISOString(),
      detail: `gave up after retries: ${failureDetail(error)}`,
    };
  }
}

/**
 * The follow-up of an accepted device action: waits on durable timers every `followUp.everyMs`
 * (at least {@link MIN_OBSERVE_EVERY_MS}, never past `until`) and observes the device through the
 * `observeExecution` activity until its outcome is not `pending` or `until` has passed, and
 * answers the outcome to record once: the settled one; the last `pending` one when `until` passed
 * first; `unknown` when an observation still failed after {@link OBSERVE_RETRY}. A bulk action's
 * outcome is the summary over its accepted devices (`pending` while any is), each device's in
 * `devices`. Every wait is
 * derived from the orchestration's clock, so a replay takes the same steps.
 */
export function* observeDevice(
  context: OrchestrationContext,
  requestId: string,
  followUp: FollowUp,
  correlation: Correlated,
): Generator<df.Task, ObserveExecutionOutput, unknown> {
  const nowMs = () => context.df.currentUtcDateTime.getTime();
  const parsedUntil = Date.parse(followUp.until);
  // An unreadable end observes once, at once, rather than never or forever.
  const untilMs = Number.isFinite(parsedUntil) ? parsedUntil : nowMs();
  const everyMs =
    Number.isFinite(followUp.everyMs) && followUp.everyMs > MIN_OBSERVE_EVERY_MS
      ? followUp.everyMs
      : MIN_OBSERVE_EVERY_MS;
  const input: ObserveExecutionInput = { requestId, ...correlation };
  for (;;) {
    const fireAt = Math.min(nowMs() + everyMs, untilMs);
    if (fireAt > nowMs()) yield context.df.createTimer(new Date(fireAt));
    let outcome: ObserveExecutionOutput;
    try {
      outcome = (yield context.df.callActivityWithRetry(
        Activities.observeExecution,
        OBSERVE_RETRY,
        input,
      )) as ObserveExecutionOutput;
    } catch (error) {
      return {
        state: 'unknown',
        at: context.df.currentUtcDateTime.toISOString(),
        detail: `the device could not be observed: ${failureDetail(error)}`,
      };
    }
    if (outcome.state !== 'pending') return outcome;
    if (nowMs() >= untilMs)
      return { ...outcome, detail: `${outcome.detail} (still pending when the follow-up ended at ${followUp.until})` };
  }
}
