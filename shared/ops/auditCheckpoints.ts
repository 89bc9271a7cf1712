import type { AuditDigest } from '../domain/auditDigest';
import { DomainError } from '../domain/errors';
import type { Store } from '../store/store';

/** A page of stored audit checkpoint digests, oldest first; `nextAfter` is the `after` of the next page when there may be more. */
export interface CheckpointPage {
  items: AuditDigest[];
  nextAfter?: number;
}

/** The digests with a sequence number above `after`, oldest first, at most `top`: the export operators keep off-site. */
export async function auditCheckpoints(
  deps: { store: Store },
  query: { after: number; top: number },
): Promise<CheckpointPage> {
  const items = await deps.store.listCheckpoints(query.after, query.top);
  return items.length === query.top ? { items, nextAfter: items.at(-1)!.sequence } : { items };
}

/** The newest digest; `404 not_found` before the first checkpoint. */
export async function latestAuditCheckpoint(deps: { store: Store }): Promise<AuditDigest> {
  const latest = await deps.store.latestCheckpoint();
  if (!latest) throw new DomainError('not_found', 'No audit checkpoint has been taken yet.');
  return latest;
}
