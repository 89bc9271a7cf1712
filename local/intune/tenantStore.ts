import Database from 'better-sqlite3';
import { SqliteGroupCommit } from '../../lib/sqliteGroupCommit';
import { COLLECTION_NAMES, type StoredCollection } from './collections';
import type { SeedObject } from './seed';

/** An Intune object as stored: the Graph object and its navigation properties. */
export interface TenantObject {
  body: Record<string, unknown>;
  assignments?: Record<string, unknown>[];
  /** Settings catalog policies: their `settings`. */
  settings?: Record<string, unknown>[];
  /** Role assignments: the role definition they bind. */
  roleDefinitionId?: string;
}

/** One write the tenant received, as `GET /_local/intune/calls` lists it. */
export interface CallRecord {
  method: string;
  /** From the version on, without the query: `/v1.0/deviceManagement/managedDevices/{id}/wipe`. */
  path: string;
  body: unknown;
  status: number;
  clientRequestId: string | null;
  at: string;
}

/** A fault waiting for writes: the next `remaining` writes whose path contains `path` get `status`. */
export interface FaultRule {
  id: number;
  status: number;
  remaining: number;
  retryAfterSeconds?: number;
  path?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  record TEXT NOT NULL,
  UNIQUE (collection, id)
);
CREATE TABLE IF NOT EXISTS calls (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  call TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  status INTEGER NOT NULL,
  remaining INTEGER NOT NULL,
  retry_after INTEGER,
  path TEXT
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/**
 * The local Intune tenant's state in one SQLite file: objects, the writes received, pending
 * faults and the native approval settings. Every change is written synchronously before the
 * caller answers (WAL, `synchronous` as the runtime's), so the tenant survives `kill -9`; reads
 * come from memory, so a read by id costs a map lookup however many objects there are.
 */
export class TenantStore {
  private readonly db: Database.Database;
  private readonly objects = new Map<StoredCollection, Map<string, TenantObject>>();
  private readonly faultRules: FaultRule[] = [];
  private readonly native = new Set<string>();
  private readonly stmts;
  private readonly commits: SqliteGroupCommit;

  constructor(file: string, synchronous: 'FULL' | 'NORMAL', seed: () => Record<string, SeedObject[]>) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.pragma('busy_timeout = 5000');
    // Sorts, indexes built for a query and other temporary tables stay in memory (no temp files).
    this.db.pragma('temp_store = MEMORY');
    this.db.exec(SCHEMA);
    this.commits = new SqliteGroupCommit(this.db);
    const db = this.db;
    this.stmts = {
      upsert: db.prepare<[string, string, string]>(
        'INSERT INTO objects (collection, id, record) VALUES (?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET record = excluded.record',
      ),
      remove: db.prepare<[string, string]>('DELETE FROM objects WHERE collection = ? AND id = ?'),
      call: db.prepare<[string]>('INSERT INTO calls (call) VALUES (?)'),
      calls: db.prepare<[], { call: string }>('SELECT call FROM calls ORDER BY seq'),
      addFault: db.prepare<[number, number, number | null, string | null]>(
        'INSERT INTO faults (status, remaining, retry_after, path) VALUES (?, ?, ?, ?)',
      ),
      setFault: db.prepare<[number, number]>('UPDATE faults SET remaining = ? WHERE id = ?'),
      dropFault: db.prepare<[number]>('DELETE FROM faults WHERE id = ?'),
      clearFaults: db.prepare('DELETE FROM faults'),
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare<[string, string]>(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
    if (this.stmts.getMeta.get('seeded') === undefined) {
      this.transaction(() => {
        for (const [collection, objects] of Object.entries(seed()))
          for (const object of objects) this.put(collection as StoredCollection, { ...object });
        this.stmts.setMeta.run('seeded', new Date().toISOString());
      });
    }
    this.load();
  }

  /** Runs `unit` in one transaction: all of its writes are durable together, or none is made. */
  transaction<T>(unit: () => T): T {
    return this.db.transaction(unit)();
  }

  /**
   * Runs `unit` in the next group commit with the units other callers queue in the same turn,
   * resolving once that commit is durable (many devices added at once share one fsync).
   */
  transactionSoon<T>(unit: () => T): Promise<T> {
    return this.commits.write(unit);
  }

  /** The object with this id (case-insensitive), or undefined. */
  get(collection: StoredCollection, id: string): TenantObject | undefined {
    return this.collection(collection).get(id.toLowerCase());
  }

  /** Every object of a collection, oldest first. */
  list(collection: StoredCollection): TenantObject[] {
    return [...this.collection(collection).values()];
  }

  /** Stores the object (new, or replacing the one with its id). */
  put(collection: StoredCollection, object: TenantObject): void {
    const id = String(object.body.id).toLowerCase();
    this.stmts.upsert.run(collection, id, JSON.stringify(object));
    this.collection(collection).set(id, object);
  }

  /** Removes the object; false when there was none. */
  remove(collection: StoredCollection, id: string): boolean {
    const key = id.toLowerCase();
    this.stmts.remove.run(collection, key);
    return this.collection(collection).delete(key);
  }

  recordCall(call: CallRecord): void {
    this.stmts.call.run(JSON.stringify(call));
  }

  /** Every write received, oldest first. */
  calls(): CallRecord[] {
    return this.stmts.calls.all().map((row) => JSON.parse(row.call) as CallRecord);
  }

  addFault(rule: Omit<FaultRule, 'id'>): void {
    const info = this.stmts.addFault.run(
      rule.status,
      rule.remaining,
      rule.retryAfterSeconds ?? null,
      rule.path ?? null,
    );
    this.faultRules.push({ ...rule, id: Number(info.lastInsertRowid) });
  }

  /** The first fault matching `path`, counted down by one (gone once used up); undefined when none matches. */
  takeFault(path: string): FaultRule | undefined {
    const rule = this.faultRules.find((candidate) => candidate.path === undefined || path.includes(candidate.path));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) {
      this.stmts.dropFault.run(rule.id);
      this.faultRules.splice(this.faultRules.indexOf(rule), 1);
    } else {
      this.stmts.setFault.run(rule.remaining, rule.id);
    }
    return rule;
  }

  clearFaults(): void {
    this.stmts.clearFaults.run();
    this.faultRules.length = 0;
  }

  /** Whether native approval intercepts writes of this profile type. */
  intercepts(profileType: string): boolean {
    return this.native.has(profileType);
  }

  setNativeApproval(profileType: string, enabled: boolean): void {
    if (enabled) this.native.add(profileType);
    else this.native.delete(profileType);
    this.stmts.setMeta.run('nativeApproval', JSON.stringify([...this.native]));
  }

  close(): void {
    this.commits.flush();
    this.db.close();
  }

  private collection(name: StoredCollection): Map<string, TenantObject> {
    let objects = this.objects.get(name);
    if (!objects) {
      objects = new Map();
      this.objects.set(name, objects);
    }
    return objects;
  }

  private load(): void {
    this.objects.clear();
    for (const name of COLLECTION_NAMES) this.collection(name);
    const rows = this.db
      .prepare<[], { collection: string; id: string; record: string }>(
        'SELECT collection, id, record FROM objects ORDER BY seq',
      )
      .all();
    for (const row of rows)
      this.collection(row.collection as StoredCollection).set(row.id, JSON.parse(row.record) as TenantObject);
    const faults = this.db
      .prepare<[], { id: number; status: number; remaining: number; retry_after: number | null; path: string | null }>(
        'SELECT * FROM faults ORDER BY id',
      )
      .all();
    this.faultRules.push(
      ...faults.map((row) => ({
        id: row.id,
        status: row.status,
        remaining: row.remaining,
        ...(row.retry_after === null ? {} : { retryAfterSeconds: row.retry_after }),
        ...(row.path === null ? {} : { path: row.path }),
      })),
    );
    const native = this.stmts.getMeta.get('nativeApproval');
    for (const profileType of native ? (JSON.parse(native.value) as string[]) : []) this.native.add(profileType);
  }
}
