import type { DeviceOutcome, ProfileType } from '../../shared/domain/model';
import type { Executor } from '../../shared/execute/executor';
import type { Store } from '../../shared/store/store';
import type { ObserveExecutionInput, ObserveExecutionOutput } from '../contracts';

const STATES: ReadonlySet<DeviceOutcome['state']> = new Set(['pending', 'done', 'failed', 'gone', 'unknown']);

/**
 * Builds the `observeExecution` activity: what the device did with the accepted action of the
 * stored, completed request, read now through its profile type's executor (`Executor.observe`; a
 * read only, so running it again is harmless). Answers `unknown` when there is no completed
 * request or the executor cannot observe, and for a state the executor should not give; an
 * executor that throws fails the activity, which the orchestration retries.
 */
export function makeObserveExecution(
  executorFor: (profileType: ProfileType) => Executor,
  store: Pick<Store, 'getRequest'>,
  now: () => Date = () => new Date(),
) {
  return async function observeExecution({ requestId }: ObserveExecutionInput): Promise<ObserveExecutionOutput> {
    const unknown = (detail: string): DeviceOutcome => ({ state: 'unknown', at: now().toISOString(), detail });
    const stored = (await store.getRequest(requestId))?.value;
    if (stored?.status !== 'completed') return unknown(`no completed request ${requestId} to observe`);
    const executor = executorFor(stored.profileType);
    if (!executor.observe) return unknown(`the ${executor.kind} executor does not observe devices`);
    const outcome = await executor.observe(stored);
    if (!STATES.has(outcome.state))
      return unknown(`the executor reported an unknown device state '${String(outcome.state)}'`);
    const devices = (outcome.devices ?? []).filter((device) => STATES.has(device.outcome.state));
    return {
      state: outcome.state,
      at: outcome.at,
      detail: outcome.detail,
      ...(outcome.devices === undefined
        ? {}
        : {
            devices: devices.map(({ resourceId, outcome: seen }) => ({
              resourceId,
              outcome: { state: seen.state, at: seen.at, detail: seen.detail },
            })),
          }),
    };
  };
}
