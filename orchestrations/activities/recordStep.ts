import type { Store } from '../../shared/store/store';
import type { RecordStepInput } from '../contracts';

/**
 * Builds the `recordStep` activity: appends the step's audit records, which the orchestration
 * chained itself, and writes the read model under the etag it carries, in one store call (see
 * {@link Store.recordStep} for why retries and late duplicates are safe). Returns the read
 * model's etag after the step (every step writes the trail head into it), for the next one;
 * null when the request has no read model.
 */
export function makeRecordStep(store: Pick<Store, 'recordStep'>) {
  return async function recordStep(input: RecordStepInput): Promise<string | null> {
    return (await store.recordStep(input)) ?? null;
  };
}
