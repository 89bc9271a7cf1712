import { chainRecord, GENESIS_HASH } from '../domain/auditChain';
import type { CommandResult } from '../domain/lifecycle';
import type { ApprovalRequest, AuditRecord } from '../domain/model';
import { HttpError } from '../http/problem';
import { StoreError, type Store } from '../store/store';

const ATTEMPTS = 5;

const isStoreError = (error: unknown, code: StoreError['code']) => error instanceof StoreError && error.code === code;

/**
 * Writes one operator step outside a request's orchestration (which is finished or gone): applies
 * `apply` to the stored request, replaces the read model with its etag (the claim: of two racing
 * writers one wins, the other re-reads and re-applies), then chains the step's events after the
 * trail's last record. A straggling `recordStep` of the dead orchestration that appends first only
 * moves our records further down the chain; one that comes later finds the trail past its step
 * and writes nothing. Resolves with the request as written.
 */
export async function writeStep(store: Store, requestId: string, apply: (request: ApprovalRequest) => CommandResult): Promise<ApprovalRequest> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const stored = await store.getRequest(requestId);
    if (!stored) throw new HttpError(404, 'not_found', 'Not found', `No request '${requestId}'.`);
    const result = apply(stored.value);
    try {
      await store.replaceRequest(result.request, stored.etag);
    } catch (error) {
      if (isStoreError(error, 'precondition_failed')) continue;
      throw error;
    }
    await appendChained(store, requestId, result.events);
    return result.request;
  }
  throw new HttpError(409, 'conflict', 'Conflict', `Request '${requestId}' kept changing; try again.`);
}

async function appendChained(store: Store, requestId: string, events: CommandResult['events']): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const last = await store.lastAudit(requestId);
    let prevHash = last?.hash ?? GENESIS_HASH;
    let seq = (last?.seq ?? -1) + 1;
    const records: AuditRecord[] = events.map((event) => {
      const record = chainRecord({ ...event, seq: seq++ }, prevHash);
      prevHash = record.hash;
      return record;
    });
    let written = 0;
    try {
      for (const record of records) {
        await store.appendAudit(record);
        written += 1;
      }
      return;
    } catch (error) {
      // Someone appended at our position first: chain the records not yet written after theirs.
      if (!isStoreError(error, 'audit_mismatch')) throw error;
      events = events.slice(written);
    }
  }
  throw new HttpError(409, 'conflict', 'Conflict', `The audit trail of '${requestId}' kept changing; try again.`);
}
