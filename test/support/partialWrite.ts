import type { AuditRecord } from '../../shared/domain/model';
import type { SqliteStore } from '../../shared/store/sqliteStore';
import { StoreError, type RequestStep, type Store } from '../../shared/store/store';

/**
 * `store` with the write of a step's read model failing once after its records were appended, as
 * a Cosmos DB write can (the audit items first, the read model's replace second): the next step
 * with a read model appends its records and throws `store_unavailable`; later steps write as usual.
 */
export function failingReadModelOnce(
  store: SqliteStore,
  /** Which step's write fails (the first that matches); by default any step with records and a read model. */
  fails: (step: RequestStep) => boolean = (step) => step.records.length > 0,
): Pick<Store, 'getRequest' | 'listAudit' | 'auditRecordAt' | 'recordStep'> & { failed: () => number } {
  let failures = 0;
  // The SQLite adapter writes records and read model in one transaction: its audit insert alone is the partial write.
  const audit = store as unknown as { insertAudit(record: AuditRecord): void };
  return {
    failed: () => failures,
    getRequest: (id) => store.getRequest(id),
    listAudit: (id, page) => store.listAudit(id, page),
    auditRecordAt: (id, seq) => store.auditRecordAt(id, seq),
    async recordStep(step: RequestStep) {
      if (failures === 0 && step.request && fails(step)) {
        failures += 1;
        for (const record of step.records) audit.insertAudit(record);
        throw new StoreError('store_unavailable', 'the read model write failed after the records were appended');
      }
      return store.recordStep(step);
    },
  };
}
