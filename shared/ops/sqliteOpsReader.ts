import Database from 'better-sqlite3';
import { OPEN_STATUSES, type RequestStatus } from '../domain/model';
import { decodeNewestFirst, encodeNewestFirst, pageSize, toPage } from '../store/continuationToken';
import type { Page, PageRequest } from '../store/store';
import type { Activity, OpsReader, RequestSummary } from './opsReader';

const OPEN = `status IN (${[...OPEN_STATUSES].map((status) => `'${status}'`).join(', ')})`;
const EXPIRES = `json_extract(doc, '$.expiresAt')`;
const EXECUTION_STATUS = `json_extract(doc, '$.execution.status')`;
const EXECUTION_AT = `json_extract(doc, '$.execution.at')`;
const AUDIT_TYPE = `json_extract(doc, '$.type')`;
const AUDIT_AT = `json_extract(doc, '$.at')`;

// The operators' indexes on the store's tables, created once (idempotently) by this reader so the
// store's schema stays the store's. Partial indexes over open requests stay small however many
// closed requests accumulate; the expression indexes let SQLite answer from the JSON documents
// without scanning them. The audit index serves the hourly series: every lifecycle event is a
// record with a type and an instant.
const INDEXES = `
CREATE INDEX IF NOT EXISTS ops_open_created ON requests (created_at, id) WHERE ${OPEN};
CREATE INDEX IF NOT EXISTS ops_open_expires ON requests (${EXPIRES}) WHERE ${OPEN};
CREATE INDEX IF NOT EXISTS ops_failed_executions ON requests (${EXECUTION_AT}) WHERE ${EXECUTION_STATUS} = 'failed';
CREATE INDEX IF NOT EXISTS ops_audit_type_at ON audit (${AUDIT_TYPE}, ${AUDIT_AT});
`;

const SUMMARY_COLUMNS = `id, created_at, json_extract(doc, '$.profileType') AS profile_type, status,
  ${EXPIRES} AS expires_at, json_extract(doc, '$.lastModifiedAt') AS last_modified_at`;

interface SummaryRow {
  id: string;
  created_at: string;
  profile_type: RequestSummary['profileType'];
  status: RequestStatus;
  expires_at: string;
  last_modified_at: string;
}

const summaryOf = (row: SummaryRow): RequestSummary => ({
  id: row.id,
  profileType: row.profile_type,
  status: row.status,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastModifiedAt: row.last_modified_at,
});

/**
 * The ops queries on the SQLite store file, through a read-only connection of their own (WAL lets
 * it read while the store writes). Opening it creates the operators' indexes once, which takes a
 * few seconds on a file with 100k requests and is instant afterwards. Every query below reads an
 * index range, not the table (a unit test checks the plans).
 */
export class SqliteOpsReader implements OpsReader {
  private readonly db: Database.Database;

  /** `file` must exist with the store's tables (open the store first). */
  constructor(file: string) {
    const setup = new Database(file, { fileMustExist: true });
    try {
      setup.pragma('busy_timeout = 5000');
      setup.exec(INDEXES);
    } finally {
      setup.close();
    }
    this.db = new Database(file, { readonly: true, fileMustExist: true });
  }

  async statusCounts(): Promise<Partial<Record<RequestStatus, number>>> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM requests GROUP BY status').all() as {
      status: RequestStatus;
      n: number;
    }[];
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async oldestOpen(): Promise<RequestSummary | undefined> {
    const row = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM requests WHERE ${OPEN} ORDER BY created_at, id LIMIT 1`)
      .get() as SummaryRow | undefined;
    return row && summaryOf(row);
  }

  async expiringBefore(until: string, top: number): Promise<{ count: number; items: RequestSummary[] }> {
    const count = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE ${OPEN} AND ${EXPIRES} < ?`).get(until) as { n: number }
    ).n;
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM requests WHERE ${OPEN} AND ${EXPIRES} < ? ORDER BY ${EXPIRES} LIMIT ?`)
      .all(until, top) as SummaryRow[];
    return { count, items: rows.map(summaryOf) };
  }

  async failedExecutionsSince(since: string): Promise<number> {
    return (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM requests WHERE ${EXECUTION_STATUS} = 'failed' AND ${EXECUTION_AT} >= ?`)
        .get(since) as { n: number }
    ).n;
  }

  async activitySince(since: string): Promise<Activity> {
    const rows = this.db
      .prepare(
        `SELECT a.type, a.at, a.closing, r.created_at FROM (
           SELECT request_id, ${AUDIT_TYPE} AS type, ${AUDIT_AT} AS at, json_extract(doc, '$.data.to') IN ('approved', 'rejected') AS closing
           FROM audit WHERE ${AUDIT_TYPE} IN ('request.submitted', 'request.statusChanged', 'request.completed') AND ${AUDIT_AT} >= ?
         ) a JOIN requests r ON r.id = a.request_id`,
      )
      .all(since) as { type: string; at: string; closing: number | null; created_at: string }[];
    const activity: Activity = { submitted: [], decided: [], completed: [] };
    for (const row of rows) {
      if (row.type === 'request.submitted') activity.submitted.push(row.at);
      else if (row.type === 'request.completed') activity.completed.push(row.at);
      else if (row.closing === 1) activity.decided.push({ at: row.at, createdAt: row.created_at });
    }
    return activity;
  }

  async openRequests(page: PageRequest): Promise<Page<RequestSummary>> {
    const top = pageSize(page.top);
    // Oldest first: the position is the last row's (createdAt, id), in the store's token format.
    const after = page.continuationToken === undefined ? undefined : decodeNewestFirst(page.continuationToken);
    const rows = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM requests WHERE ${OPEN} ${after ? 'AND (created_at, id) > (?, ?)' : ''} ORDER BY created_at, id LIMIT ?`,
      )
      .all(...(after ? [after.createdAt, after.id] : []), top + 1) as SummaryRow[];
    const result = toPage(rows, top, (last) => encodeNewestFirst({ createdAt: last.created_at, id: last.id }));
    return { ...result, items: result.items.map(summaryOf) };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
