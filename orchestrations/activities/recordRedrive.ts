import { isDomainError } from '../../shared/domain/errors';
import { recordRedrive } from '../../shared/domain/operatorActions';
import type { RecordRedriveInput } from '../contracts';
import { writeStep } from '../../shared/ops/writeStep';
import type { Store } from '../../shared/store/store';

/** Builds the `recordRedrive` activity; a repeated delivery of an outcome already recorded does nothing. */
export function makeRecordRedrive(store: Store) {
  return async function recordRedriveStep(input: RecordRedriveInput): Promise<void> {
    try {
      await writeStep(store, input.requestId, (request) => recordRedrive(request, input.number, input.execution));
    } catch (error) {
      if (!isDomainError(error, 'invalid_state')) throw error;
      const redrive = (await store.getRequest(input.requestId))?.value.redrive;
      if (redrive?.number !== input.number || redrive.running) throw error;
    }
  };
}
