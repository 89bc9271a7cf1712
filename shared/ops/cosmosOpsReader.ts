import type { Container, CosmosClient, SqlParameter } from '@azure/cosmos';
import { OPEN_STATUSES, REQUEST_STATUSES, type ApprovalRequest, type RequestStatus } from '../domain/model';
import { decodeNewestFirst, encodeNewestFirst, pageSize, toPage } from '../store/continuationToken';
import { REQUESTS_CONTAINER } from '../store/cosmosSchema';
import type { Page, PageRequest } from '../store/store';
import type { Activity, OpsReader, RequestSummary } from './opsReader';

/** The longest request TTL a policy may set (P90D): no lifecycle event is later than createdAt + this. */
const MAX_REQUEST_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

const OPEN = `c.status IN (${[...OPEN_STATUSES].map((status) => `'${status}'`).join(', ')})`;
const SUMMARY = 'c.id, c.profileType, c.status, c.createdAt, c.expiresAt, c.lastModifiedAt';

/**
 * The ops queries on the Cosmos DB read model (the `requests` container as cosmosSchema.ts
 * defines it; its index covers `/status`, `/createdAt` and `/id` only, and the reader adds none).
 * What they cost, roughly, at 100k requests:
 *
 * - status counts: one cross-partition `GROUP BY` answered from the `/status` index (a few RU per
 *   physical partition plus about 1 RU per 1,000 counted items);
 * - oldest open: `ORDER BY createdAt` with `TOP 1` over the `/status` index (a few RU);
 * - expiring soon: the open requests' index entries, then `expiresAt` read from each open
 *   document (RU grow with the number of OPEN requests, not all of them);
 * - failed executions and the hourly activity: bounded by the `/createdAt` index to requests
 *   created in the last 90 days plus the window (no event can be later), then evaluated per
 *   document; the activity query projects a few fields and aggregates in the app. RU grow with
 *   the requests of the last 90 days. Adding `/execution/at`, `/lastModifiedAt` and `/expiresAt` to
 *   the container's index would make these index-only.
 */
export class CosmosOpsReader implements OpsReader {
  private readonly requests: Container;

  constructor(
    private readonly client: CosmosClient,
    database: string,
  ) {
    this.requests = client.database(database).container(REQUESTS_CONTAINER.id);
  }

  // One COUNT per status rather than GROUP BY: each is answered from the `/status` index, and it
  // runs on every Cosmos DB wire-protocol implementation, emulators included.
  async statusCounts(): Promise<Partial<Record<RequestStatus, number>>> {
    const counts = await Promise.all(
      REQUEST_STATUSES.map(async (status) => {
        const [n] = await this.query<number>('SELECT VALUE COUNT(1) FROM c WHERE c.status = @status', [
          { name: '@status', value: status },
        ]);
        return [status, n ?? 0] as const;
      }),
    );
    return Object.fromEntries(counts);
  }

  async oldestOpen(): Promise<RequestSummary | undefined> {
    const [first] = await this.query<RequestSummary>(
      `SELECT TOP 1 ${SUMMARY} FROM c WHERE ${OPEN} ORDER BY c.createdAt ASC`,
    );
    return first;
  }

  async expiringBefore(until: string, top: number): Promise<{ count: number; items: RequestSummary[] }> {
    // expiresAt is not indexed, so no ORDER BY on it: the few matches are sorted here.
    const rows = await this.query<RequestSummary>(`SELECT ${SUMMARY} FROM c WHERE ${OPEN} AND c.expiresAt < @until`, [
      { name: '@until', value: until },
    ]);
    rows.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
    return { count: rows.length, items: rows.slice(0, top) };
  }

  async failedExecutionsSince(since: string): Promise<number> {
    const [count] = await this.query<number>(
      `SELECT VALUE COUNT(1) FROM c WHERE c.createdAt >= @horizon AND c.status = 'completed' AND c.execution.status = 'failed' AND c.execution.at >= @since`,
      [
        { name: '@horizon', value: horizon(since) },
        { name: '@since', value: since },
      ],
    );
    return count ?? 0;
  }

  async activitySince(since: string): Promise<Activity> {
    type Projected = Pick<ApprovalRequest, 'createdAt' | 'completedAt' | 'decisions' | 'status'> & {
      requiredApprovals: number;
    };
    const rows = await this.query<Projected>(
      `SELECT c.createdAt, c.completedAt, c.decisions, c.status, c.policy.requiredApprovals FROM c
       WHERE c.createdAt >= @horizon AND c.lastModifiedAt >= @since`,
      [
        { name: '@horizon', value: horizon(since) },
        { name: '@since', value: since },
      ],
    );
    const activity: Activity = { submitted: [], decided: [], completed: [] };
    for (const row of rows) {
      if (row.createdAt >= since) activity.submitted.push(row.createdAt);
      if (row.completedAt !== undefined && row.completedAt >= since) activity.completed.push(row.completedAt);
      const closing = closingDecisionAt(row);
      if (closing !== undefined && closing >= since) activity.decided.push({ at: closing, createdAt: row.createdAt });
    }
    return activity;
  }

  async openRequests(page: PageRequest): Promise<Page<RequestSummary>> {
    const top = pageSize(page.top);
    const after = page.continuationToken === undefined ? undefined : decodeNewestFirst(page.continuationToken);
    const rows = await this.query<RequestSummary>(
      `SELECT TOP @limit ${SUMMARY} FROM c WHERE ${OPEN}${after ? ' AND (c.createdAt > @createdAt OR (c.createdAt = @createdAt AND c.id > @id))' : ''} ORDER BY c.createdAt ASC, c.id ASC`,
      [
        { name: '@limit', value: top + 1 },
        ...(after
          ? [
              { name: '@createdAt', value: after.createdAt },
              { name: '@id', value: after.id },
            ]
          : []),
      ],
    );
    return toPage(rows, top, (last) => encodeNewestFirst({ createdAt: last.createdAt, id: last.id }));
  }

  async close(): Promise<void> {
    this.client.dispose();
  }

  private async query<T>(query: string, parameters: SqlParameter[] = []): Promise<T[]> {
    const { resources } = await this.requests.items.query<T>({ query, parameters }).fetchAll();
    return resources;
  }
}

/** Requests created before this cannot have had an event at or after `since`. */
function horizon(since: string): string {
  return new Date(Date.parse(since) - MAX_REQUEST_LIFETIME_MS).toISOString();
}

/** When the request left needsApproval by decision: its rejection, or the approval that made the quorum. */
function closingDecisionAt(
  request: Pick<ApprovalRequest, 'decisions'> & { requiredApprovals: number },
): string | undefined {
  let approvals = 0;
  for (const decision of request.decisions) {
    if (decision.decision === 'reject') return decision.at;
    approvals += 1;
    if (approvals >= request.requiredApprovals) return decision.at;
  }
  return undefined;
}
