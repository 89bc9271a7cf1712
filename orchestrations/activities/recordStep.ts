import { chainRecord, GENESIS_HASH } from '../../shared/domain/auditChain';
import type { Store } from '../../shared/store/store';
import type { RecordStepInput } from '../contracts';

/**
 * Builds the `recordStep` activity: writes the request's read model and appends the step's audit
 * entries to its hash chain. Idempotent: entries the trail already holds (a retried attempt) are
 * skipped, a read model that already shows this step is left alone, and a step older than the
 * trail's last record changes nothing.
 */
export function makeRecordStep(store: Pick<Store, 'getRequest' | 'replaceRequest' | 'lastAudit' | 'appendAudit'>) {
  return async function recordStep(input: RecordStepInput): Promise<void> {
    const { request, entries } = input;
    const last = await store.lastAudit(request.id);
    // A late duplicate of an earlier step (at-least-once delivery) must not overwrite newer state.
    const newest = Math.max(...entries.map((entry) => entry.seq));
    if (last && last.seq > newest) return;
    let prevHash = last?.hash ?? GENESIS_HASH;
    for (const entry of entries) {
      if (last && entry.seq <= last.seq) continue;
      const record = chainRecord(entry, prevHash);
      await store.appendAudit(record);
      prevHash = record.hash;
    }
    const stored = await store.getRequest(request.id);
    if (!stored) throw new Error(`request ${request.id} has no read model`);
    if (JSON.stringify(stored.value) === JSON.stringify(request)) return;
    await store.replaceRequest(request, stored.etag);
  };
}
