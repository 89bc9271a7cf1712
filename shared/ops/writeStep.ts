import { chainRecord, GENESIS_HASH } from '../domain/auditChain';
import type { CommandResult } from '../domain/lifecycle';
import type { ApprovalRequest, AuditRecord } from '../domain/model';
import { DomainError } from '../domain/errors';
import { isStoreError, type Store } from '../store/store';

const ATTEMPTS = 5;

/**
 * Writes one operator step outside a request's orchestration (which is finished or gone): applies
 * `apply` to the stored request, chains the step's events after the trail's last record, and
 * records both in one store step. The trail position is the claim: of two racing writers, the
 * second finds its `seq` taken (`audit_mismatch`, its step writes nothing), re-reads and applies
 * again, where the rules then refuse what no longer holds. A straggling `recordStep` of the dead
 * orchestration is refused the same way. Resolves with the request as written.
 */
export async function writeStep(
  store: Store,
  requestId: string,
  apply: (request: ApprovalRequest) => CommandResult,
): Promise<ApprovalRequest> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const stored = await store.getRequest(requestId);
    if (!stored) throw new DomainError('not_found', `No request '${requestId}'.`);
    const result = apply(stored.value);
    const last = await lastRecord(store, requestId);
    let prevHash = last?.hash ?? GENESIS_HASH;
    let seq = (last?.seq ?? -1) + 1;
    const records: AuditRecord[] = result.events.map((event) => {
      const record = chainRecord({ ...event, seq: seq++ }, prevHash);
      prevHash = record.hash;
      return record;
    });
    try {
      await store.recordStep({ records, request: { value: result.request, etag: stored.etag } });
      return result.request;
    } catch (error) {
      if (!isStoreError(error, 'audit_mismatch')) throw error;
    }
  }
  throw new DomainError('conflict', `Request '${requestId}' kept changing; try again.`);
}

/** The last record of a request's trail (trails are tens of records: a page or two). */
async function lastRecord(store: Store, requestId: string): Promise<AuditRecord | undefined> {
  let last: AuditRecord | undefined;
  let continuationToken: string | undefined;
  do {
    const page = await store.listAudit(requestId, {
      top: 100,
      ...(continuationToken === undefined ? {} : { continuationToken }),
    });
    last = page.items.at(-1) ?? last;
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
  return last;
}
