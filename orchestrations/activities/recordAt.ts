import type { ChainStart } from '../../shared/domain/auditChain';
import type { AuditRecord } from '../../shared/domain/model';
import { encodeAuditPosition } from '../../shared/store/continuationToken';
import type { Store } from '../../shared/store/store';

/**
 * The record at `at` on the request's trail (the first record of the step chained there), if an
 * earlier attempt of the step wrote it: one small single-partition read.
 */
export async function recordAt(
  store: Pick<Store, 'listAudit'>,
  requestId: string,
  at: ChainStart,
): Promise<AuditRecord | undefined> {
  const page = await store.listAudit(requestId, {
    top: 1,
    ...(at.seq > 0 ? { continuationToken: encodeAuditPosition(at.seq - 1) } : {}),
  });
  const record = page.items[0];
  return record?.seq === at.seq ? record : undefined;
}
