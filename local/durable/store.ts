import Database from 'better-sqlite3';
import { SqliteGroupCommit } from '../../lib/sqliteGroupCommit';
import type { HistoryEvent } from './history';

/** Runtime statuses as the Durable extension reports them. */
export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

/** Statuses an instance never leaves (except by being restarted or purged). */
export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** The orchestration instance row. JSON columns hold JSON text exactly as it travels. */
export interface InstanceRow {
  instance_id: string;
  name: string;
  version: string;
  execution_id: string;
  runtime_status: RuntimeStatus;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  created_ms: number;
  updated_ms: number;
  parent: string | null;
  state: string;
  rev: number;
}

/** Kinds of inbox message: a history event to deliver, or a control message. */
export type MessageKind = 'event' | 'terminate' | 'suspend' | 'resume';

/** A message waiting for an instance. */
export interface InboxRow {
  id: number;
  instance_id: string;
  execution_id: string | null;
  kind: MessageKind;
  body: string;
  visible_ms: number;
  timer_id: number | null;
}

/** A scheduled activity execution (deleted when its result is recorded). */
export interface WorkRow {
  id: number;
  instance_id: string;
  execution_id: string;
  task_id: number;
  name: string;
  input: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL DEFAULT '',
  execution_id TEXT NOT NULL,
  runtime_status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  custom_status TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  parent TEXT,
  state TEXT NOT NULL,
  rev INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_by_created ON instances (created_ms, instance_id);
-- Status filters (e.g. runtimeStatus=Pending among 100k running instances) need not scan every instance.
CREATE INDEX IF NOT EXISTS instances_by_status ON instances (runtime_status, created_ms, instance_id);
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (instance_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  visible_ms INTEGER NOT NULL,
  timer_id INTEGER
);
CREATE INDEX IF NOT EXISTS inbox_by_instance ON inbox (instance_id, id);
CREATE INDEX IF NOT EXISTS inbox_by_visible ON inbox (visible_ms);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS work (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  input TEXT,
  UNIQUE (instance_id, execution_id, task_id)
);
`;

/** Filters for instance queries (all optional). */
export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdFrom?: number;
  createdTo?: number;
  instanceIdPrefix?: string;
  /** Page size. */
  top: number;
  /** Opaque position from the previous page. */
  after?: { created: number; id: string };
}

/**
 * The durable backend's SQLite file: instances, their histories, inboxes and activity work items.
 * Writes go through {@link DurableStore.write}, which commits many callers' units in one transaction
 * (group commit): each unit is all-or-nothing, and one failing unit does not fail the others.
 */
export class DurableStore {
  readonly db: Database.Database;
  private readonly stmts;
  private readonly commits: SqliteGroupCommit;

  constructor(file: string, synchronous: 'FULL' | 'NORMAL' = 'FULL') {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.pragma('busy_timeout = 5000');
    // Sorts, indexes built for a query and other temporary tables stay in memory (no temp files).
    this.db.pragma('temp_store = MEMORY');
    // 32 MiB of page cache (the default is 2 MiB): with 100k instances the file is gigabytes, and
    // every episode's writes land on pages all over it.
    this.db.pragma('cache_size = -32768');
    this.db.exec(SCHEMA);
    this.commits = new SqliteGroupCommit(this.db);
    const db = this.db;
    this.stmts = {
      getInstance: db.prepare<[string], InstanceRow>('SELECT * FROM instances WHERE instance_id = ?'),
      insertInstance: db.prepare(
        `INSERT INTO instances (instance_id, name, version, execution_id, runtime_status, input, output, custom_status, created_ms, updated_ms, parent, state, rev)
         VALUES (@instance_id, @name, @version, @execution_id, @runtime_status, @input, @output, @custom_status, @created_ms, @updated_ms, @parent, @state, @rev)`,
      ),
      updateInstance: db.prepare(
        `UPDATE instances SET execution_id = @execution_id, runtime_status = @runtime_status, input = @input, output = @output,
           custom_status = @custom_status, updated_ms = @updated_ms, state = @state, rev = rev + 1
         WHERE instance_id = @instance_id AND rev = @rev`,
      ),
      deleteInstance: db.prepare('DELETE FROM instances WHERE instance_id = ?'),
      history: db
        .prepare<[string], { event: string }>('SELECT event FROM history WHERE instance_id = ? ORDER BY idx')
        .pluck(),
      historyCount: db.prepare<[string], number>('SELECT COUNT(*) FROM history WHERE instance_id = ?').pluck(),
      appendHistory: db.prepare('INSERT INTO history (instance_id, idx, event) VALUES (?, ?, ?)'),
      deleteHistory: db.prepare('DELETE FROM history WHERE instance_id = ?'),
      insertMessage: db.prepare(
        'INSERT INTO inbox (instance_id, execution_id, kind, body, visible_ms, timer_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      nextMessages: db.prepare<[string, number], InboxRow>(
        `SELECT * FROM inbox WHERE instance_id = ? AND visible_ms <= ?
         ORDER BY CASE kind WHEN 'terminate' THEN 0 ELSE 1 END, id LIMIT 32`,
      ),
      nextControlMessage: db.prepare<[string, number], InboxRow>(
        `SELECT * FROM inbox WHERE instance_id = ? AND visible_ms <= ? AND kind IN ('terminate', 'suspend', 'resume')
         ORDER BY CASE kind WHEN 'terminate' THEN 0 ELSE 1 END, id LIMIT 1`,
      ),
      deleteMessage: db.prepare('DELETE FROM inbox WHERE id = ?'),
      deleteTimer: db.prepare('DELETE FROM inbox WHERE instance_id = ? AND execution_id = ? AND timer_id = ?'),
      pendingTimers: db
        .prepare<[string, string], number>(
          'SELECT COUNT(*) FROM inbox WHERE instance_id = ? AND execution_id = ? AND timer_id IS NOT NULL',
        )
        .pluck(),
      deleteInbox: db.prepare('DELETE FROM inbox WHERE instance_id = ?'),
      deleteInboxOfExecution: db.prepare('DELETE FROM inbox WHERE instance_id = ? AND execution_id = ?'),
      dueInstances: db
        .prepare<[number, number], string>(
          'SELECT DISTINCT instance_id FROM inbox WHERE visible_ms > ? AND visible_ms <= ?',
        )
        .pluck(),
      readyInstances: db
        .prepare<[number], string>('SELECT DISTINCT instance_id FROM inbox WHERE visible_ms <= ?')
        .pluck(),
      pendingInstances: db
        .prepare<[], string>("SELECT instance_id FROM instances WHERE runtime_status = 'Pending'")
        .pluck(),
      nextVisible: db
        .prepare<[number], number | null>('SELECT MIN(visible_ms) FROM inbox WHERE visible_ms > ?')
        .pluck(),
      insertWork: db.prepare(
        'INSERT OR IGNORE INTO work (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)',
      ),
      getWork: db.prepare<[number], WorkRow>('SELECT * FROM work WHERE id = ?'),
      workOf: db.prepare<[string, string, number], WorkRow>(
        'SELECT * FROM work WHERE instance_id = ? AND execution_id = ? AND task_id = ?',
      ),
      deleteWork: db.prepare('DELETE FROM work WHERE id = ?'),
      deleteWorkOfInstance: db.prepare('DELETE FROM work WHERE instance_id = ?'),
      allWork: db.prepare<[], WorkRow>('SELECT * FROM work ORDER BY id'),
    };
  }

  get statements(): typeof this.stmts {
    return this.stmts;
  }

  /**
   * Runs `unit` inside the next group commit and resolves with its result once that commit is
   * durable. A unit that throws is rolled back alone and its promise rejects.
   */
  write<T>(unit: () => T): Promise<T> {
    return this.commits.write(unit);
  }

  getInstance(instanceId: string): InstanceRow | undefined {
    return this.stmts.getInstance.get(instanceId);
  }

  /** Queues `event` for an instance (inside a {@link DurableStore.write} unit); `timerId` marks a durable timer. */
  insertEvent(
    instanceId: string,
    executionId: string | null,
    event: HistoryEvent,
    visibleMs: number,
    timerId: number | null,
  ): void {
    this.stmts.insertMessage.run(instanceId, executionId, 'event', JSON.stringify(event), visibleMs, timerId);
  }

  /** Deletes an instance with its history, inbox and work (inside a {@link DurableStore.write} unit). */
  deleteInstanceRows(instanceId: string): void {
    const s = this.stmts;
    s.deleteInstance.run(instanceId);
    s.deleteHistory.run(instanceId);
    s.deleteInbox.run(instanceId);
    s.deleteWorkOfInstance.run(instanceId);
  }

  /** The current execution's history, as stored JSON texts, oldest first. */
  history(instanceId: string): string[] {
    return this.stmts.history.all(instanceId) as unknown as string[];
  }

  /** Instances matching `query`, ordered by creation time then id, at most `top`. */
  queryInstances(query: InstanceQuery): InstanceRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.runtimeStatus && query.runtimeStatus.length > 0) {
      where.push(`runtime_status IN (${query.runtimeStatus.map(() => '?').join(', ')})`);
      params.push(...query.runtimeStatus);
    }
    if (query.createdFrom !== undefined) {
      where.push('created_ms >= ?');
      params.push(query.createdFrom);
    }
    if (query.createdTo !== undefined) {
      where.push('created_ms <= ?');
      params.push(query.createdTo);
    }
    if (query.instanceIdPrefix) {
      where.push('instance_id >= ? AND instance_id < ?');
      params.push(query.instanceIdPrefix, `${query.instanceIdPrefix}\uffff`);
    }
    if (query.after) {
      where.push('(created_ms > ? OR (created_ms = ? AND instance_id > ?))');
      params.push(query.after.created, query.after.created, query.after.id);
    }
    const sql = `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY created_ms, instance_id LIMIT ?`;
    return this.db.prepare<unknown[], InstanceRow>(sql).all(...params, query.top);
  }

  /** Reads a runtime setting kept with the data (e.g. the manual clock's offset). */
  getMeta(key: string): string | undefined {
    return this.db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck().get(key) as
      string | undefined;
  }

  /** Writes a runtime setting durably, at once (outside the group commit). */
  setMeta(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  close(): void {
    this.commits.flush();
    this.db.close();
  }
}
