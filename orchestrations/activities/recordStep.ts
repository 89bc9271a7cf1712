import type { Store } from '../../shared/store/store';
import type { AppKeyRing } from '../../shared/keys/appKey';
import { verifyStartSignature } from '../../shared/keys/commandSignature';
import type { RecordStepInput, RecordStepOutput } from '../contracts';

/**
 * Builds the `recordStep` activity: appends the step's audit records, which the orchestration
 * chained itself, and writes the read model under the etag it carries, in one store call (see
 * {@link Store.recordStep} for why retries and late duplicates are safe). Returns the read
 * model's etag after the step (every step writes the trail head into it), for the next one;
 * null when the request has no read model. On the first step it first checks the start input's
 * signature and writes nothing when it does not verify.
 */
export function makeRecordStep(store: Pick<Store, 'recordStep'>, keys: AppKeyRing) {
  return async function recordStep({ start, ...step }: RecordStepInput): Promise<RecordStepOutput> {
    if (start) {
      const verdict = verifyStartSignature(keys, start.request?.id ?? '', start);
      if (!verdict.ok) return { startRefused: verdict.reason };
    }
    return (await store.recordStep(step)) ?? null;
  };
}
