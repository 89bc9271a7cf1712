import { canonicalJson } from '../domain/canonicalJson';
import type { ApprovalRequest, TrailHead } from '../domain/model';

/** What {@link staleStepVerdict} tells an adapter to do with a read model whose etag was stale. */
export type StaleStepVerdict = 'keep' | 'overwrite';

/**
 * The rule both adapters apply when a step's read model (`incoming`, with its trail head) was
 * written under a stale etag and `stored` is what the store holds now: `keep` when `stored`
 * already shows this step (equal as JSON, whatever the key order) or when the trail already holds
 * a record after the step's newest (`hasLaterRecord`: a late duplicate of an older step must not
 * undo a newer one); otherwise `overwrite` the current version with `incoming`. Without
 * `hasLaterRecord` it answers `readTrail` when only the trail can tell, so an adapter reads the
 * trail only then and asks again with the answer.
 */
export function staleStepVerdict(stored: ApprovalRequest, incoming: ApprovalRequest): StaleStepVerdict | 'readTrail';
export function staleStepVerdict(
  stored: ApprovalRequest,
  incoming: ApprovalRequest,
  hasLaterRecord: boolean,
): StaleStepVerdict;
export function staleStepVerdict(
  stored: ApprovalRequest,
  incoming: ApprovalRequest,
  hasLaterRecord?: boolean,
): StaleStepVerdict | 'readTrail' {
  if (canonicalJson(stored) === canonicalJson(incoming)) return 'keep';
  if (hasLaterRecord === undefined) return 'readTrail';
  return hasLaterRecord ? 'keep' : 'overwrite';
}

/** Whether `request`'s trail head is at `head` or past it, so a step ending at `head` leaves it as it is (heads never move back). */
export function headIsCurrent(request: Pick<ApprovalRequest, 'trail'>, head: TrailHead): boolean {
  return request.trail !== undefined && request.trail.seq >= head.seq;
}
