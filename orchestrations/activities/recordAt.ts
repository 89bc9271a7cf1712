import type { ChainStart } from '../../shared/domain/auditChain';
import type { AuditRecord } from '../../shared/domain/model';
import type { Store } from '../../shared/store/store';

/**
 * The record at `at` on the request's trail (the first record of the step chained there), if an
 * earlier attempt of the step wrote it: one small read ({@link Store.auditRecordAt}).
 */
export async function recordAt(
  store: Pick<Store, 'auditRecordAt'>,
  requestId: string,
  at: ChainStart,
): Promise<AuditRecord | undefined> {
  return store.auditRecordAt(requestId, at.seq);
}
