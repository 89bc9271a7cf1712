import { DomainError, isDomainError } from '../../shared/domain/errors';
import { applyCommand } from '../../shared/domain/lifecycle';
import { writeStep } from '../../shared/ops/writeStep';
import type { Store } from '../../shared/store/store';
import type { RecordObservationInput } from '../contracts';

/**
 * Builds the `recordObservation` activity of the re-drive orchestration: records the device
 * outcome of re-drive `number`'s execution (`execution.observed`). A repeated delivery finds it
 * recorded, and a later re-drive owns the execution by then: both leave the request as it is.
 */
export function makeRecordObservation(store: Store) {
  return async function recordObservation({
    requestId,
    number,
    outcome,
    devices,
  }: RecordObservationInput): Promise<void> {
    try {
      await writeStep(store, requestId, (request) => {
        if (request.redrive?.number !== number)
          throw new DomainError('invalid_state', `re-drive ${number} no longer owns request ${request.id}'s execution`);
        return applyCommand(request, {
          kind: 'recordObservation',
          outcome,
          ...(devices === undefined ? {} : { devices }),
        });
      });
    } catch (error) {
      if (!isDomainError(error, 'invalid_state')) throw error;
    }
  };
}
