import type { AuditRecord } from '../domain/model';
import type { Store } from './store';

/** A request's whole trail in `seq` order, read page by page (trails are tens of records: a page or two). */
export async function readTrail(store: Pick<Store, 'listAudit'>, requestId: string): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listAudit(requestId, {
      top: 100,
      ...(continuationToken === undefined ? {} : { continuationToken }),
    });
    records.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
  return records;
}
