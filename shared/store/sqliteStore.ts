import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { lockedResourceId, lockedResourceIds } from '../domain/entityLock';
import { isBootstrapSnapshot } from '../domain/policy';
import { searchTargetId, searchTargetIds } from '../domain/requestSearch';
import type { AuditDigest, DigestHead } from '../domain/auditDigest';
import {
  CLOSED_STATUSES,
  OPEN_STATUSES,
  type AccessPolicy,
  type ApprovalRequest,
  type AuditRecord,
  type ProfileType,
  type TrailHead,
} from '../domain/model';
import {
  decodeAuditPosition,
  decodeAuditTimePosition,
  encodeAuditTimePosition,
  decodeNewestFirst,
  encodeAuditPosition,
  encodeNewestFirst,
  pageSize,
  toPage,
  type NewestFirstPosition,
} from './continuationToken';
import { headIsCurrent, staleStepVerdict } from './recordStep';
import { IDEMPOTENCY_KEY_TTL_SECONDS, linkIdRetentionSeconds } from './retention';
import { SqliteGroupCommit } from '../../lib/sqliteGroupCommit';
import { storeUnavailable } from './unavailable';
import {
  entityLockedError,
  stepHead,
  StoreError,
  withHead,
  type IdempotencyRecord,
  type Page,
  type PageRequest,
  type AuditRange,
  type RequestFilters,
  type RequestQuery,
  type RequestStep,
  type Store,
  type Tagged,
} from './store';

/** Bumped whenever {@link SCHEMA} changes in a way an existing file must be migrated for. */
const SCHEMA_VERSION = 4;

/** The `request_groups` row of bootstrap policy changes: not a group id (those are GUIDs). */
const BOOTSTRAP_GROUP = '@bootstrap';

const openStatusList = [...OPEN_STATUSES].map((status) => `'${status}'`).join(', ');

// Requests keep their JSON plus the columns the lists filter and sort on. The entity lock is the
// partial unique index: at most one open request per (profile_type, resource_id), checked by SQLite
// in the same statement that opens or reopens a request. Requests without a resource id lock
// nothing (NULLs are distinct in a unique index), as there is no entity to protect.
//
// A bulk device action (`operation.resourceIds`) locks each of its devices: one entity_locks row
// per device while it is open, written in the same transaction (savepoint) as the request, after
// checking that no other open request holds the device either way (a single-id request through
// the unique index, a bulk one through entity_locks). Closing the request deletes its rows.
//
// request_groups is the `received` view's index: one row per (request, approver group) with the
// request's status, createdAt and initiator copied in, maintained in the same transaction as the
// request. A covering index per group, ordered newest first, answers "open requests of group g" by
// reading only the rows it returns. A policy change under the bootstrap rule (no approver groups;
// any other policy admin decides) has one row under the pseudo group BOOTSTRAP_GROUP.
//
// request_targets is the `target` search's index: one row per resource id the operation names
// (its resourceId, or each device of a bulk action), lower-cased, with createdAt copied in, so
// "requests on device d, newest first" reads one index range. Written with the request; operations
// never change, so only forgetting a request deletes its rows.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS policies (
  id TEXT PRIMARY KEY,
  profile_type TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  etag TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS policies_newest ON policies (created_at, id);

CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  profile_type TEXT NOT NULL,
  resource_id TEXT,
  initiator_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  etag TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS requests_entity_lock ON requests (profile_type, resource_id)
  WHERE status IN (${openStatusList});
CREATE INDEX IF NOT EXISTS requests_newest ON requests (created_at, id);
CREATE INDEX IF NOT EXISTS requests_status ON requests (status, created_at, id);
CREATE INDEX IF NOT EXISTS requests_initiator ON requests (initiator_id, created_at, id);
CREATE INDEX IF NOT EXISTS requests_initiator_status ON requests (initiator_id, status, created_at, id);
CREATE INDEX IF NOT EXISTS requests_profile_type ON requests (profile_type, created_at, id);
CREATE INDEX IF NOT EXISTS requests_profile_type_status ON requests (profile_type, status, created_at, id);

CREATE TABLE IF NOT EXISTS request_targets (
  target_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  request_id TEXT NOT NULL,
  PRIMARY KEY (target_id, created_at, request_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS request_targets_request ON request_targets (request_id);

CREATE TABLE IF NOT EXISTS entity_locks (
  profile_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  PRIMARY KEY (profile_type, resource_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_locks_request ON entity_locks (request_id);

CREATE TABLE IF NOT EXISTS request_groups (
  request_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  initiator_id TEXT NOT NULL,
  PRIMARY KEY (request_id, group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS request_groups_newest ON request_groups (group_id, created_at, request_id, initiator_id);
CREATE INDEX IF NOT EXISTS request_groups_status ON request_groups (group_id, status, created_at, request_id, initiator_id);

CREATE TABLE IF NOT EXISTS audit (
  request_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (request_id, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS audit_checkpoints (
  sequence INTEGER PRIMARY KEY,
  doc TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
  principal_id TEXT NOT NULL,
  key TEXT NOT NULL,
  doc TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  PRIMARY KEY (principal_id, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS consumed_links (
  link_id TEXT PRIMARY KEY,
  forget_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consumed_links_forget ON consumed_links (forget_at_ms);
`;

interface DocRow {
  etag: string;
  doc: string;
}

interface RequestRow extends DocRow {
  id: string;
  created_at: string;
}

function tagged<T>(row: DocRow): Tagged<T> {
  return { value: JSON.parse(row.doc) as T, etag: row.etag };
}

function sqliteCode(error: unknown): string | undefined {
  // Checked by name and code, not instanceof: the native addon keeps the SqliteError class of the
  // first load of better-sqlite3 in the process, which need not be the one this module imported.
  if (typeof error !== 'object' || error === null || (error as { name?: unknown }).name !== 'SqliteError')
    return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * SQLite's answers that mean "cannot write (or read) now" rather than "this call is wrong": the
 * disk is full, the file or its directory is read-only, an I/O error, another connection held the
 * lock past `busy_timeout`, the file cannot be opened, memory ran out.
 */
const UNAVAILABLE_CODES = /^SQLITE_(FULL|IOERR|READONLY|BUSY|CANTOPEN|NOMEM|PROTOCOL)(_|$)/;

/** Classifies a failure of {@link SqliteStore} for {@link reportingUnavailable}. */
export function sqliteUnavailable(error: unknown): StoreError | undefined {
  const code = sqliteCode(error);
  return code !== undefined && UNAVAILABLE_CODES.test(code) ? storeUnavailable(error) : undefined;
}

/**
 * Bytes each write probe stores: the largest body the API accepts. A WAL reused after a checkpoint
 * takes small writes on a full disk; a probe this large needs the room a real step does.
 */
const PROBE_BYTES = 64 * 1024;

/** The `resource_id` column: the resource the request's entity lock names, `null` when it locks nothing. */
function lockedResource(request: ApprovalRequest): string | null {
  return lockedResourceId(request.operation) ?? null;
}

function isConstraintViolation(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Keyset condition "strictly after `position`" in newest-first order, or nothing on the first page. */
function afterPosition(
  position: NewestFirstPosition | undefined,
  createdAt: string,
  id: string,
): { sql: string; params: string[] } {
  return position
    ? { sql: `(${createdAt}, ${id}) < (?, ?)`, params: [position.createdAt, position.id] }
    : { sql: '', params: [] };
}

function where(conditions: string[]): string {
  const present = conditions.filter((condition) => condition !== '');
  return present.length > 0 ? `WHERE ${present.join(' AND ')}` : '';
}

/** The filters of a list query, without its view and paging. */
function filtersOf(query: RequestQuery): RequestFilters {
  const { view: _view, top: _top, continuationToken: _token, ...filters } = query;
  return filters;
}

/**
 * The embedded store: one SQLite file (WAL, `synchronous=FULL`, so a resolved write survives a
 * crash). Every write method is all-or-nothing and resolves once it is committed; writes of
 * concurrent callers share one commit ({@link SqliteGroupCommit}). Reads answer from what is
 * committed. Etags are random per write, so a deleted and re-created item never matches an
 * old etag. Closed requests are kept, or with `closedRequestTtlSeconds` forgotten that long after
 * their last write, like Cosmos DB's item TTL: from then on no read returns them, and the next
 * read deletes them (their audit trails stay).
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly commits: SqliteGroupCommit;
  private readonly statements = new Map<string, Database.Statement>();

  private readonly closedRequestTtlMs: number | undefined;
  private readonly readOnly: boolean;
  /** The current time in epoch milliseconds, from the clock the store was given. */
  private readonly nowMs: () => number;
  /** When the next closed request is due to be forgotten (`Infinity` when none is). */
  private nextForgetMs = Number.POSITIVE_INFINITY;

  /**
   * Opens (or creates) the store in `file`. With `readOnly`, opens an existing store of the
   * current schema version without writing anything, not even a migration or the retention
   * cleanup (for verification); a missing file, or one of another version, throws. `now` is the
   * clock for retention and trail-head times (default: the system clock).
   */
  constructor(file: string, options: { closedRequestTtlSeconds?: number; readOnly?: boolean; now?: () => Date } = {}) {
    const now = options.now ?? (() => new Date());
    this.nowMs = () => now().getTime();
    this.closedRequestTtlMs =
      options.closedRequestTtlSeconds === undefined ? undefined : options.closedRequestTtlSeconds * 1000;
    this.readOnly = options.readOnly === true;
    if (this.readOnly) {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) {
        this.db.close();
        throw new Error(
          `${file} is not a store of schema version ${SCHEMA_VERSION} (it has version ${version}); start the app once on it to migrate it`,
        );
      }
      this.commits = new SqliteGroupCommit(this.db);
      return;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // Sorts, indexes built for a query and other temporary tables stay in memory (no temp files).
    this.db.pragma('temp_store = MEMORY');
    // 32 MiB of page cache (the default is 2 MiB): with 100k requests the file is hundreds of
    // megabytes, and each step writes to pages all over it.
    this.db.pragma('cache_size = -32768');
    const fileVersion = this.db.pragma('user_version', { simple: true }) as number;
    this.db.exec(SCHEMA);
    // Version 2 added forget_at_ms (closed-request retention) to version 1's requests table.
    const columns = this.db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('requests')").all();
    if (!columns.some((column) => column.name === 'forget_at_ms'))
      this.db.exec('ALTER TABLE requests ADD COLUMN forget_at_ms INTEGER');
    this.db.exec(
      'CREATE INDEX IF NOT EXISTS requests_forget ON requests (forget_at_ms) WHERE forget_at_ms IS NOT NULL',
    );
    // Version 3 added trail heads: head_written_ms (when a step last wrote the head, for audit
    // checkpoints) and the head in each read model, taken from the trail as it stands.
    if (!columns.some((column) => column.name === 'head_written_ms')) this.addTrailHeads();
    this.db.exec(
      'CREATE INDEX IF NOT EXISTS requests_head_written ON requests (head_written_ms) WHERE head_written_ms IS NOT NULL',
    );
    // Version 4 added search: request_targets (filled from the stored operations) and the audit
    // records' `at` column with its index, for exports of a time range.
    if (
      !this.db
        .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('audit')")
        .all()
        .some((c) => c.name === 'at')
    )
      this.db.exec('ALTER TABLE audit ADD COLUMN at TEXT');
    if (fileVersion < 4) this.addSearchIndexes();
    this.db.exec('CREATE INDEX IF NOT EXISTS audit_at ON audit (at, request_id, seq) WHERE at IS NOT NULL');
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.commits = new SqliteGroupCommit(this.db);
    this.nextForgetMs = this.earliestForget();
  }

  async ping(): Promise<void> {
    this.statement('SELECT 1').get();
  }

  async probeWrite(): Promise<void> {
    // The one probe row is replaced each time, inside the group commit like every other write,
    // so it waits for the same fsync and fails as real writes fail.
    const bytes = randomBytes(PROBE_BYTES);
    await this.commits.write(() => {
      this.statement(
        'CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), bytes BLOB NOT NULL)',
      ).run();
      this.statement(
        'INSERT INTO write_probe (id, bytes) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes',
      ).run(bytes);
    });
  }

  async close(): Promise<void> {
    this.commits.flush();
    this.db.close();
  }

  async getPolicy(id: string): Promise<Tagged<AccessPolicy> | undefined> {
    const row = this.statement('SELECT etag, doc FROM policies WHERE id = ?').get(id) as DocRow | undefined;
    return row && tagged<AccessPolicy>(row);
  }

  async findPolicyByProfileType(profileType: ProfileType): Promise<Tagged<AccessPolicy> | undefined> {
    const row = this.statement('SELECT etag, doc FROM policies WHERE profile_type = ?').get(profileType) as
      DocRow | undefined;
    return row && tagged<AccessPolicy>(row);
  }

  async listPolicies(page: PageRequest): Promise<Page<AccessPolicy>> {
    const top = pageSize(page.top);
    const after = afterPosition(
      page.continuationToken === undefined ? undefined : decodeNewestFirst(page.continuationToken),
      'created_at',
      'id',
    );
    const rows = this.statement(
      `SELECT id, created_at, etag, doc FROM policies ${where([after.sql])} ORDER BY created_at DESC, id DESC LIMIT ?`,
    ).all(...after.params, top + 1) as RequestRow[];
    const result = toPage(rows, top, (last) => encodeNewestFirst({ createdAt: last.created_at, id: last.id }));
    return { ...result, items: result.items.map((row) => JSON.parse(row.doc) as AccessPolicy) };
  }

  async createPolicy(policy: AccessPolicy): Promise<Tagged<AccessPolicy>> {
    const etag = randomUUID();
    await this.commits.write(() => {
      try {
        this.statement('INSERT INTO policies (id, profile_type, created_at, etag, doc) VALUES (?, ?, ?, ?, ?)').run(
          policy.id,
          policy.profileType,
          policy.createdAt,
          etag,
          JSON.stringify(policy),
        );
      } catch (error) {
        if (isConstraintViolation(error)) {
          throw new StoreError(
            'conflict',
            `policy ${policy.id} exists, or another policy protects ${policy.profileType}`,
          );
        }
        throw error;
      }
    });
    return { value: policy, etag };
  }

  async replacePolicy(policy: AccessPolicy, etag: string): Promise<Tagged<AccessPolicy>> {
    const next = randomUUID();
    await this.commits.write(() => {
      let changes: number;
      try {
        changes = this.statement(
          'UPDATE policies SET profile_type = ?, created_at = ?, etag = ?, doc = ? WHERE id = ? AND etag = ?',
        ).run(policy.profileType, policy.createdAt, next, JSON.stringify(policy), policy.id, etag).changes;
      } catch (error) {
        if (isConstraintViolation(error))
          throw new StoreError('conflict', `another policy protects ${policy.profileType}`);
        throw error;
      }
      if (changes === 0) throw this.missingOrStalePolicy(policy.id);
    });
    return { value: policy, etag: next };
  }

  async deletePolicy(id: string, etag: string): Promise<void> {
    await this.commits.write(() => {
      const { changes } = this.statement('DELETE FROM policies WHERE id = ? AND etag = ?').run(id, etag);
      if (changes === 0) throw this.missingOrStalePolicy(id);
    });
  }

  async createRequest(request: ApprovalRequest): Promise<Tagged<ApprovalRequest>> {
    const etag = randomUUID();
    await this.commits.write(() => {
      try {
        this.statement(
          `INSERT INTO requests (id, status, profile_type, resource_id, initiator_id, created_at, etag, doc, forget_at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          request.id,
          request.status,
          request.profileType,
          lockedResource(request),
          request.initiator.id,
          request.createdAt,
          etag,
          JSON.stringify(request),
          this.forgetAt(request),
        );
      } catch (error) {
        if (!isConstraintViolation(error)) throw error;
        // A retried create breaks both constraints; the existing id is what it must be told.
        if (this.statement('SELECT 1 FROM requests WHERE id = ?').get(request.id) !== undefined) {
          throw new StoreError('conflict', `request ${request.id} exists`);
        }
        if (this.isLockedByAnother(request)) throw entityLockedError(request);
        throw error;
      }
      this.takeDeviceLocks(request);
      this.insertGroups(request);
      this.insertTargets(request);
    });
    return { value: request, etag };
  }

  async getRequest(id: string): Promise<Tagged<ApprovalRequest> | undefined> {
    this.forgetDue();
    const row = this.statement('SELECT etag, doc FROM requests WHERE id = ?').get(id) as DocRow | undefined;
    return row && tagged<ApprovalRequest>(row);
  }

  async listRequests(query: RequestQuery): Promise<Page<ApprovalRequest>> {
    this.forgetDue();
    const top = pageSize(query.top);
    const position = query.continuationToken === undefined ? undefined : decodeNewestFirst(query.continuationToken);
    const filters = filtersOf(query);
    const rows =
      query.view.kind === 'received'
        ? this.receivedRows(
            query.view.principalId,
            query.view.bootstrap ? [...query.view.groupIds, BOOTSTRAP_GROUP] : query.view.groupIds,
            filters,
            position,
            top + 1,
          )
        : this.requestRows(query.view.kind === 'mine' ? query.view.initiatorId : undefined, filters, position, top + 1);
    const page = toPage(rows, top, (last) => encodeNewestFirst({ createdAt: last.created_at, id: last.id }));
    return { ...page, items: page.items.map((row) => JSON.parse(row.doc) as ApprovalRequest) };
  }

  async recordStep(step: RequestStep): Promise<string | undefined> {
    return this.commits.write(() => {
      for (const record of step.records) this.insertAudit(record);
      const head = stepHead(step.records);
      if (step.request)
        return this.replaceRequest({ value: withHead(step.request.value, head), etag: step.request.etag }, head.seq);
      return this.advanceHead(step.records[0]!.requestId, head);
    });
  }

  async listAudit(requestId: string, page: PageRequest): Promise<Page<AuditRecord>> {
    const top = pageSize(page.top);
    const after = page.continuationToken === undefined ? -1 : decodeAuditPosition(page.continuationToken);
    const rows = this.statement('SELECT seq, doc FROM audit WHERE request_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(
      requestId,
      after,
      top + 1,
    ) as { seq: number; doc: string }[];
    const result = toPage(rows, top, (last) => encodeAuditPosition(last.seq));
    return { ...result, items: result.items.map((row) => JSON.parse(row.doc) as AuditRecord) };
  }

  async auditRecordAt(requestId: string, seq: number): Promise<AuditRecord | undefined> {
    // The primary key (request_id, seq): one index lookup.
    const doc = this.statement('SELECT doc FROM audit WHERE request_id = ? AND seq = ?').pluck().get(requestId, seq) as
      string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as AuditRecord);
  }

  async listAuditByTime(range: AuditRange, page: PageRequest): Promise<Page<AuditRecord>> {
    const top = pageSize(page.top);
    const position = page.continuationToken === undefined ? undefined : decodeAuditTimePosition(page.continuationToken);
    const after = position
      ? { sql: '(at, request_id, seq) > (?, ?, ?)', params: [position.at, position.requestId, position.seq] }
      : { sql: '', params: [] };
    const rows = this.statement(
      `SELECT at, request_id, seq, doc FROM audit ${where(['at >= ?', 'at < ?', after.sql])}
       ORDER BY at, request_id, seq LIMIT ?`,
    ).all(range.from, range.to, ...after.params, top + 1) as {
      at: string;
      request_id: string;
      seq: number;
      doc: string;
    }[];
    const result = toPage(rows, top, (last) =>
      encodeAuditTimePosition({ at: last.at, requestId: last.request_id, seq: last.seq }),
    );
    return { ...result, items: result.items.map((row) => JSON.parse(row.doc) as AuditRecord) };
  }

  async listTrailHeadsSince(since: string): Promise<DigestHead[]> {
    const rows = this.statement('SELECT id, doc FROM requests WHERE head_written_ms >= ?').all(Date.parse(since)) as {
      id: string;
      doc: string;
    }[];
    return rows.flatMap((row) => {
      const head = (JSON.parse(row.doc) as ApprovalRequest).trail;
      return head === undefined ? [] : [{ requestId: row.id, seq: head.seq, hash: head.hash }];
    });
  }

  async listTrailIds(): Promise<string[]> {
    return this.statement('SELECT DISTINCT request_id FROM audit ORDER BY request_id').pluck().all() as string[];
  }

  async appendCheckpoint(digest: AuditDigest): Promise<void> {
    await this.commits.write(() => {
      try {
        this.statement('INSERT INTO audit_checkpoints (sequence, doc) VALUES (?, ?)').run(
          digest.sequence,
          JSON.stringify(digest),
        );
      } catch (error) {
        if (isConstraintViolation(error))
          throw new StoreError('conflict', `audit checkpoint ${digest.sequence} exists`);
        throw error;
      }
    });
  }

  async listCheckpoints(afterSequence: number, top: number): Promise<AuditDigest[]> {
    const rows = this.statement('SELECT doc FROM audit_checkpoints WHERE sequence > ? ORDER BY sequence LIMIT ?')
      .pluck()
      .all(afterSequence, pageSize(top)) as string[];
    return rows.map((doc) => JSON.parse(doc) as AuditDigest);
  }

  async latestCheckpoint(): Promise<AuditDigest | undefined> {
    const doc = this.statement('SELECT doc FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1').pluck().get() as
      string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as AuditDigest);
  }

  async putIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord> {
    const now = this.nowMs();
    return this.commits.write(() => {
      this.statement('DELETE FROM idempotency_keys WHERE principal_id = ? AND key = ? AND expires_at_ms <= ?').run(
        record.principalId,
        record.key,
        now,
      );
      this.statement(
        'INSERT OR IGNORE INTO idempotency_keys (principal_id, key, doc, expires_at_ms) VALUES (?, ?, ?, ?)',
      ).run(record.principalId, record.key, JSON.stringify(record), now + IDEMPOTENCY_KEY_TTL_SECONDS * 1000);
      const row = this.statement('SELECT doc FROM idempotency_keys WHERE principal_id = ? AND key = ?').get(
        record.principalId,
        record.key,
      ) as { doc: string };
      return JSON.parse(row.doc) as IdempotencyRecord;
    });
  }

  async consumeLinkId(linkId: string, expiresAt: string): Promise<boolean> {
    const now = this.nowMs();
    return this.commits.write(() => {
      this.statement('DELETE FROM consumed_links WHERE forget_at_ms <= ?').run(now);
      const { changes } = this.statement(
        'INSERT OR IGNORE INTO consumed_links (link_id, forget_at_ms) VALUES (?, ?)',
      ).run(linkId, now + linkIdRetentionSeconds(expiresAt, now) * 1000);
      return changes === 1;
    });
  }

  /** Inserts `record` unless the same record is stored already; another one under its id or seq is `audit_mismatch`. */
  private insertAudit(record: AuditRecord): void {
    try {
      this.statement('INSERT INTO audit (request_id, seq, id, hash, doc, at) VALUES (?, ?, ?, ?, ?, ?)').run(
        record.requestId,
        record.seq,
        record.id,
        record.hash,
        JSON.stringify(record),
        record.at,
      );
    } catch (error) {
      if (!isConstraintViolation(error)) throw error;
      const stored = this.statement('SELECT hash FROM audit WHERE id = ? AND request_id = ? AND seq = ?').get(
        record.id,
        record.requestId,
        record.seq,
      ) as { hash: string } | undefined;
      if (stored?.hash !== record.hash) {
        throw new StoreError('audit_mismatch', `another record is stored as ${record.id} (or at seq ${record.seq})`);
      }
    }
  }

  /**
   * The read model of a step whose newest record is `newestSeq` (see {@link Store.recordStep}):
   * written under the given etag, or, when that is stale, left alone if it already shows this
   * step or a later one, otherwise written over the current version.
   */
  private replaceRequest(request: Tagged<ApprovalRequest>, newestSeq: number): string {
    const { value } = request;
    const doc = JSON.stringify(value);
    const written = this.updateRequest(value, doc, request.etag);
    if (written !== undefined) return written;
    const stored = this.statement('SELECT etag, doc FROM requests WHERE id = ?').get(value.id) as DocRow | undefined;
    if (!stored) throw new StoreError('not_found', `request ${value.id} has no read model`);
    const current = JSON.parse(stored.doc) as ApprovalRequest;
    let verdict = staleStepVerdict(current, value);
    if (verdict === 'readTrail') {
      const later =
        this.statement('SELECT 1 FROM audit WHERE request_id = ? AND seq > ? LIMIT 1').get(value.id, newestSeq) !==
        undefined;
      verdict = staleStepVerdict(current, value, later);
    }
    if (verdict === 'keep') return stored.etag;
    return this.updateRequest(value, doc, stored.etag)!;
  }

  /**
   * Moves the head of a read model forward to `head` (never back) and answers its etag after that;
   * undefined when the request has no read model.
   */
  private advanceHead(requestId: string, head: TrailHead): string | undefined {
    const stored = this.statement('SELECT etag, doc FROM requests WHERE id = ?').get(requestId) as DocRow | undefined;
    if (!stored) return undefined;
    const value = JSON.parse(stored.doc) as ApprovalRequest;
    if (headIsCurrent(value, head)) return stored.etag;
    const next = randomUUID();
    this.statement('UPDATE requests SET etag = ?, doc = ?, head_written_ms = ? WHERE id = ?').run(
      next,
      JSON.stringify(withHead(value, head)),
      this.nowMs(),
      requestId,
    );
    return next;
  }

  /** The version-3 migration: the head column, and each read model's head from the last record of its trail. */
  private addTrailHeads(): void {
    this.db.transaction(() => {
      this.db.exec('ALTER TABLE requests ADD COLUMN head_written_ms INTEGER');
      this.db
        .prepare(
          `UPDATE requests SET doc = json_set(doc, '$.trail', json_object('seq', last.seq, 'hash', last.hash)),
             etag = lower(hex(randomblob(16))), head_written_ms = ?
           FROM (SELECT a.request_id, a.seq, a.hash FROM audit a
                 WHERE a.seq = (SELECT MAX(b.seq) FROM audit b WHERE b.request_id = a.request_id)) AS last
           WHERE requests.id = last.request_id AND json_type(requests.doc, '$.trail') IS NULL`,
        )
        .run(this.nowMs());
    })();
  }

  /** Writes the read model if `etag` is current and resolves with its new etag; undefined when `etag` is stale. */
  private updateRequest(request: ApprovalRequest, doc: string, etag: string): string | undefined {
    const next = randomUUID();
    try {
      const { changes } = this.statement(
        `UPDATE requests SET status = ?, profile_type = ?, resource_id = ?, initiator_id = ?, created_at = ?, etag = ?, doc = ?, forget_at_ms = ?, head_written_ms = ?
         WHERE id = ? AND etag = ?`,
      ).run(
        request.status,
        request.profileType,
        lockedResource(request),
        request.initiator.id,
        request.createdAt,
        next,
        doc,
        this.forgetAt(request),
        this.nowMs(),
        request.id,
        etag,
      );
      if (changes === 0) return undefined;
    } catch (error) {
      if (isConstraintViolation(error) && this.isLockedByAnother(request)) throw entityLockedError(request);
      throw error;
    }
    if (!OPEN_STATUSES.has(request.status))
      this.statement('DELETE FROM entity_locks WHERE request_id = ?').run(request.id);
    this.statement('DELETE FROM request_groups WHERE request_id = ?').run(request.id);
    this.insertGroups(request);
    return next;
  }

  /** When a write of `request` makes it due to be forgotten: its TTL from now if closed, else never (null). */
  private forgetAt(request: ApprovalRequest): number | null {
    if (this.closedRequestTtlMs === undefined || !CLOSED_STATUSES.has(request.status)) return null;
    const at = this.nowMs() + this.closedRequestTtlMs;
    this.nextForgetMs = Math.min(this.nextForgetMs, at);
    return at;
  }

  /**
   * Deletes the closed requests whose TTL has run out (and their `received` rows), before a read.
   * Synchronous, between group commits: no transaction of theirs is open while JavaScript runs here.
   */
  private forgetDue(): void {
    const now = this.nowMs();
    if (this.readOnly || now < this.nextForgetMs) return;
    this.db.transaction(() => {
      this.statement(
        'DELETE FROM request_groups WHERE request_id IN (SELECT id FROM requests WHERE forget_at_ms <= ?)',
      ).run(now);
      this.statement(
        'DELETE FROM request_targets WHERE request_id IN (SELECT id FROM requests WHERE forget_at_ms <= ?)',
      ).run(now);
      this.statement('DELETE FROM requests WHERE forget_at_ms <= ?').run(now);
    })();
    this.nextForgetMs = this.earliestForget();
  }

  private earliestForget(): number {
    return (
      (this.statement('SELECT MIN(forget_at_ms) FROM requests').pluck().get() as number | null) ??
      Number.POSITIVE_INFINITY
    );
  }

  private insertGroups(request: ApprovalRequest): void {
    const insert = this.statement(
      'INSERT INTO request_groups (request_id, group_id, status, created_at, initiator_id) VALUES (?, ?, ?, ?, ?)',
    );
    const groups = isBootstrapSnapshot(request.policy) ? [BOOTSTRAP_GROUP] : new Set(request.policy.approverGroupIds);
    for (const groupId of groups)
      insert.run(request.id, groupId, request.status, request.createdAt, request.initiator.id);
  }

  private requestRows(
    initiatorId: string | undefined,
    filters: RequestFilters,
    position: NewestFirstPosition | undefined,
    limit: number,
  ): RequestRow[] {
    if (filters.target !== undefined) return this.targetRows(initiatorId, filters, position, limit);
    const after = afterPosition(position, 'created_at', 'id');
    const conditions: string[] = [];
    const params: string[] = [];
    const add = (sql: string, value: string | undefined) => {
      if (value === undefined) return;
      conditions.push(sql);
      params.push(value);
    };
    add('initiator_id = ?', initiatorId);
    add('initiator_id = ?', filters.initiatorId);
    add('profile_type = ?', filters.profileType);
    add('status = ?', filters.status);
    add('created_at >= ?', filters.createdFrom);
    add('created_at < ?', filters.createdTo);
    return this.statement(
      `SELECT id, created_at, etag, doc FROM requests ${where([...conditions, after.sql])} ORDER BY created_at DESC, id DESC LIMIT ?`,
    ).all(...params, ...after.params, limit) as RequestRow[];
  }

  // The target's rows of request_targets are read newest first, one index range, and joined to
  // their requests for the other filters: a device has few requests, so few rows are read.
  private targetRows(
    initiatorId: string | undefined,
    filters: RequestFilters,
    position: NewestFirstPosition | undefined,
    limit: number,
  ): RequestRow[] {
    const after = afterPosition(position, 't.created_at', 't.request_id');
    const conditions = ['t.target_id = ?'];
    const params: string[] = [searchTargetId(filters.target ?? '')];
    const add = (sql: string, value: string | undefined) => {
      if (value === undefined) return;
      conditions.push(sql);
      params.push(value);
    };
    add('t.created_at >= ?', filters.createdFrom);
    add('t.created_at < ?', filters.createdTo);
    add('r.initiator_id = ?', initiatorId);
    add('r.initiator_id = ?', filters.initiatorId);
    add('r.profile_type = ?', filters.profileType);
    add('r.status = ?', filters.status);
    return this.statement(
      `SELECT r.id, r.created_at, r.etag, r.doc FROM request_targets t JOIN requests r ON r.id = t.request_id
       ${where([...conditions, after.sql])} ORDER BY t.created_at DESC, t.request_id DESC LIMIT ?`,
    ).all(...params, ...after.params, limit) as RequestRow[];
  }

  // One index range per group, each already newest first and cut at `limit`, merged and
  // de-duplicated (a request can name several of the caller's groups): the newest `limit` distinct
  // requests are always among the newest `limit` of their own group. An IN list over the groups
  // would make SQLite sort every matching row instead. The filters request_groups does not copy
  // (profile type, target) are checked on the request and request_targets rows by primary key.
  private receivedRows(
    principalId: string,
    groupIds: string[],
    filters: RequestFilters,
    position: NewestFirstPosition | undefined,
    limit: number,
  ): RequestRow[] {
    const groups = this.approverGroupsAmong(groupIds);
    if (groups.length === 0) return [];
    const after = afterPosition(position, 'g.created_at', 'g.request_id');
    const conditions = ['g.group_id = ?'];
    const params: string[] = [];
    const add = (sql: string, value: string | undefined) => {
      if (value === undefined) return;
      conditions.push(sql);
      params.push(value);
    };
    add('g.status = ?', filters.status);
    add('g.initiator_id = ?', filters.initiatorId);
    add('g.created_at >= ?', filters.createdFrom);
    add('g.created_at < ?', filters.createdTo);
    add('EXISTS (SELECT 1 FROM requests r WHERE r.id = g.request_id AND r.profile_type = ?)', filters.profileType);
    add(
      'EXISTS (SELECT 1 FROM request_targets t WHERE t.target_id = ? AND t.created_at = g.created_at AND t.request_id = g.request_id)',
      filters.target === undefined ? undefined : searchTargetId(filters.target),
    );
    conditions.push('g.initiator_id <> ?');
    const perGroup = `SELECT * FROM (SELECT g.request_id, g.created_at FROM request_groups g
      ${where([...conditions, after.sql])}
      ORDER BY g.created_at DESC, g.request_id DESC LIMIT ?)`;
    const sql = `WITH picked (request_id, created_at) AS (
        SELECT DISTINCT request_id, created_at FROM (${groups.map(() => perGroup).join(' UNION ALL ')})
        ORDER BY created_at DESC, request_id DESC LIMIT ?)
      SELECT r.id, r.created_at, r.etag, r.doc FROM picked JOIN requests r ON r.id = picked.request_id
      ORDER BY picked.created_at DESC, picked.request_id DESC`;
    const bound = groups.flatMap((groupId) => [groupId, ...params, principalId, ...after.params, limit]);
    return this.statement(sql, groups.length <= 32).all(...bound, limit) as RequestRow[];
  }

  private insertTargets(request: ApprovalRequest): void {
    const insert = this.statement(
      'INSERT OR IGNORE INTO request_targets (target_id, created_at, request_id) VALUES (?, ?, ?)',
    );
    for (const targetId of searchTargetIds(request.operation)) insert.run(targetId, request.createdAt, request.id);
  }

  /** The version-4 migration: request_targets from the stored operations, and each audit record's `at`. */
  private addSearchIndexes(): void {
    this.db.transaction(() => {
      const insert = this.db.prepare(
        'INSERT OR IGNORE INTO request_targets (target_id, created_at, request_id) VALUES (?, ?, ?)',
      );
      const rows = this.db.prepare('SELECT id, created_at, doc FROM requests').all() as {
        id: string;
        created_at: string;
        doc: string;
      }[];
      for (const row of rows) {
        const request = JSON.parse(row.doc) as ApprovalRequest;
        for (const targetId of searchTargetIds(request.operation)) insert.run(targetId, row.created_at, row.id);
      }
      this.db.exec("UPDATE audit SET at = json_extract(doc, '$.at') WHERE at IS NULL");
    })();
  }

  /**
   * Takes the entity_locks rows of an open bulk request, one per device, or throws `entity_locked`
   * naming every device another open request holds (nothing is taken: the caller's savepoint rolls
   * back). A single-id request is checked against the devices bulk requests hold.
   */
  private takeDeviceLocks(request: ApprovalRequest): void {
    if (!OPEN_STATUSES.has(request.status)) return;
    if (request.operation.resourceIds === undefined) {
      const resourceId = lockedResource(request);
      if (resourceId === null) return;
      const held = this.statement(
        'SELECT 1 FROM entity_locks WHERE profile_type = ? AND resource_id = ? AND request_id <> ?',
      ).get(request.profileType, resourceId, request.id);
      if (held !== undefined) throw entityLockedError(request);
      return;
    }
    const devices = lockedResourceIds(request.operation);
    const taken = devices.filter(
      (resourceId) =>
        this.statement('SELECT 1 FROM entity_locks WHERE profile_type = ? AND resource_id = ? AND request_id <> ?').get(
          request.profileType,
          resourceId,
          request.id,
        ) !== undefined ||
        this.statement(
          `SELECT 1 FROM requests WHERE profile_type = ? AND resource_id = ? AND status IN (${openStatusList}) AND id <> ?`,
        ).get(request.profileType, resourceId, request.id) !== undefined,
    );
    if (taken.length > 0) throw entityLockedError(request, taken);
    const insert = this.statement('INSERT INTO entity_locks (profile_type, resource_id, request_id) VALUES (?, ?, ?)');
    for (const resourceId of devices) insert.run(request.profileType, resourceId, request.id);
  }

  /** Whether another open request holds `request`'s entity (what a unique violation on requests_entity_lock means). */
  private isLockedByAnother(request: ApprovalRequest): boolean {
    const resourceId = lockedResource(request);
    if (resourceId === null) return false;
    return (
      this.statement(
        `SELECT 1 FROM requests WHERE profile_type = ? AND resource_id = ? AND status IN (${openStatusList}) AND id <> ?`,
      ).get(request.profileType, resourceId, request.id) !== undefined
    );
  }

  // Callers can be in hundreds of groups while only a few approve anything; one probe per group
  // keeps the merge query (prepared per group count) small.
  private approverGroupsAmong(groupIds: string[]): string[] {
    const groups = [...new Set(groupIds)];
    if (groups.length <= 8) return groups;
    const rows = this.statement(
      'SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM request_groups WHERE group_id = value)',
    ).all(JSON.stringify(groups)) as { value: string }[];
    return rows.map((row) => row.value);
  }

  private missingOrStalePolicy(id: string): StoreError {
    const exists = this.statement('SELECT 1 FROM policies WHERE id = ?').get(id) !== undefined;
    return exists
      ? new StoreError('precondition_failed', `policy ${id} was changed since it was read`)
      : new StoreError('not_found', `policy ${id} does not exist`);
  }

  /** A prepared statement, cached unless `cache` is false (rare shapes, such as many groups). */
  private statement(sql: string, cache = true): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (cache) this.statements.set(sql, statement);
    }
    return statement;
  }
}
