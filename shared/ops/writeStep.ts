import { chainEvents, chainStartAfter } from '../domain/auditChain';
import type { CommandResult } from '../domain/lifecycle';
import type { ApprovalRequest, AuditRecord } from '../domain/model';
import { DomainError } from '../domain/errors';
import { isStoreError, type Store } from '../store/store';
import { readTrail } from '../store/trail';

const ATTEMPTS = 5;

/**
 * Writes one operator step outside a request's orchestration (which is finished or gone): applies
 * `apply` to the stored request, chains the step's events after the trail's last record, and
 * records both in one store step. The trail position is the claim: of two racing writers, the
 * second finds its `seq` taken (`audit_mismatch`, its step writes nothing), re-reads and applies
 * again, where the rules then refuse what no longer holds. A straggling `recordStep` of the dead
 * orchestration is refused the same way. `apply` sees the trail too, and answers undefined when
 * there is nothing to write. Resolves with the request as written (or as it stands).
 */
export async function writeStep(
  store: Store,
  requestId: string,
  apply: (request: ApprovalRequest, trail: readonly AuditRecord[]) => CommandResult | undefined,
): Promise<ApprovalRequest> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const stored = await store.getRequest(requestId);
    if (!stored) throw new DomainError('not_found', `No request '${requestId}'.`);
    const trail = await readTrail(store, requestId);
    const result = apply(stored.value, trail);
    if (!result) return stored.value;
    const { records } = chainEvents(result.events, chainStartAfter(trail.at(-1)));
    try {
      await store.recordStep({ records, request: { value: result.request, etag: stored.etag } });
      return result.request;
    } catch (error) {
      if (!isStoreError(error, 'audit_mismatch')) throw error;
    }
  }
  throw new DomainError('conflict', `Request '${requestId}' kept changing; try again.`);
}
