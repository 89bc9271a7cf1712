import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore, sqliteUnavailable } from '../../../shared/store/sqliteStore';
import { reportingUnavailable } from '../../../shared/store/unavailable';
import { mountSmallDisk } from '../../support/tmpfs';
import { aRequest, anAuditRecord, describeStoreContract, headAt } from './contract';

const tempDirs: string[] = [];

function tempFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'maa-sqlite-store-'));
  tempDirs.push(dir);
  return path.join(dir, 'data', 'maa.sqlite');
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describeStoreContract('sqlite', async (options = {}) => {
  const store = new SqliteStore(tempFile(), options);
  return { store, dispose: () => store.close() };
});

describe('SqliteStore', () => {
  it('opens the file in WAL mode with full synchronous commits', async () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('keeps its data when the file is opened again', async () => {
    const file = tempFile();
    const first = new SqliteStore(file);
    const created = await first.createRequest(aRequest({ id: 'r1' }));
    await first.close();
    const second = new SqliteStore(file);
    try {
      expect(await second.getRequest('r1')).toStrictEqual(created);
    } finally {
      await second.close();
    }
  });

  it('forgets closed requests their TTL after their last write, by the clock it was given, like Cosmos DB: gone from every read and from the file, audit trails kept', async () => {
    const file = tempFile();
    let nowMs = Date.parse('2040-06-01T12:00:00.000Z');
    const store = new SqliteStore(file, { closedRequestTtlSeconds: 3600, now: () => new Date(nowMs) });
    try {
      const open = await store.createRequest(aRequest({ id: 'open', minute: 1 }));
      const closing = await store.createRequest(aRequest({ id: 'closing', minute: 2 }));
      await store.recordStep({
        records: [anAuditRecord('closing', 0)],
        request: { value: { ...closing.value, status: 'rejected' }, etag: closing.etag },
      });
      const listed = async () =>
        (await store.listRequests({ view: { kind: 'all' }, top: 10 })).items.map((request) => request.id);
      const received = async () =>
        (
          await store.listRequests({
            view: { kind: 'received', principalId: 'nobody', groupIds: ['group-a'], bootstrap: false },
            top: 10,
          })
        ).items.map((request) => request.id);
      expect([await listed(), await received(), (await store.getRequest('closing'))?.value.status]).toEqual([
        ['closing', 'open'],
        ['closing', 'open'],
        'rejected',
      ]);

      nowMs += 3_599_000;
      expect(await store.getRequest('closing')).toBeDefined();
      nowMs += 1_000;
      expect([await listed(), await received(), await store.getRequest('closing')]).toEqual([
        ['open'],
        ['open'],
        undefined,
      ]);
      expect((await store.getRequest('open'))?.etag).toBe(open.etag);
      expect((await store.listAudit('closing', { top: 10 })).items.map((record) => record.seq)).toEqual([0]);
      const db = new Database(file, { readonly: true });
      try {
        expect(db.prepare("SELECT request_id FROM request_groups WHERE request_id = 'closing'").all()).toEqual([]);
        expect(db.prepare("SELECT id FROM requests WHERE id = 'closing'").all()).toEqual([]);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  });

  it('keeps closed requests without a TTL, and adds the retention column to a version 1 file', async () => {
    const file = tempFile();
    const first = new SqliteStore(file);
    const created = await first.createRequest(aRequest({ id: 'r1' }));
    await first.recordStep({
      records: [anAuditRecord('r1', 0)],
      request: { value: { ...created.value, status: 'cancelled' }, etag: created.etag },
    });
    await first.close();
    // A file from before retention existed: no forget_at_ms column.
    const legacy = new Database(file);
    legacy.exec('DROP INDEX requests_forget; ALTER TABLE requests DROP COLUMN forget_at_ms; PRAGMA user_version = 1');
    legacy.close();
    const second = new SqliteStore(file, { closedRequestTtlSeconds: 3600 });
    try {
      expect((await second.getRequest('r1'))?.value.status).toBe('cancelled');
    } finally {
      await second.close();
    }
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma('user_version', { simple: true })).toBe(4);
      expect(
        (check.prepare("SELECT name FROM pragma_table_info('requests')").all() as { name: string }[]).map(
          (column) => column.name,
        ),
      ).toContain('forget_at_ms');
    } finally {
      check.close();
    }
  });

  it('adds trail heads to a version 2 file, each from the last record of its trail', async () => {
    const file = tempFile();
    const first = new SqliteStore(file);
    for (const id of ['r1', 'r2']) await first.createRequest(aRequest({ id }));
    await first.recordStep({ records: [anAuditRecord('r1', 0), anAuditRecord('r1', 1)] });
    await first.close();
    // A file from before trail heads: no head_written_ms column, no head in the read models.
    const legacy = new Database(file);
    legacy.exec(`DROP INDEX requests_head_written; ALTER TABLE requests DROP COLUMN head_written_ms;
      UPDATE requests SET doc = json_remove(doc, '$.trail'); PRAGMA user_version = 2`);
    legacy.close();
    expect(() => new SqliteStore(file, { readOnly: true })).toThrow(/schema version 4 \(it has version 2\)/);
    const second = new SqliteStore(file);
    try {
      expect((await second.getRequest('r1'))?.value.trail).toStrictEqual(headAt('r1', 1));
      expect((await second.getRequest('r2'))?.value.trail).toBeUndefined();
      expect(
        (await second.listTrailHeadsSince(new Date(Date.now() - 60_000).toISOString())).map((head) => head.requestId),
      ).toEqual(['r1']);
    } finally {
      await second.close();
    }
  });

  it('adds the search indexes to a version 3 file: targets from the stored operations, audit times from the records', async () => {
    const file = tempFile();
    const first = new SqliteStore(file);
    await first.createRequest(aRequest({ id: 'r1', resourceId: 'Device-One' }));
    await first.createRequest(aRequest({ id: 'r2', resourceIds: ['dev-2', 'DEV-3'] }));
    await first.recordStep({ records: [anAuditRecord('r1', 0), anAuditRecord('r1', 1)] });
    await first.close();
    // A file from before search: no request_targets, no audit time column or index.
    const legacy = new Database(file);
    legacy.exec(`DROP TABLE request_targets; DROP INDEX audit_at; ALTER TABLE audit DROP COLUMN at;
      DROP INDEX requests_profile_type; DROP INDEX requests_profile_type_status; PRAGMA user_version = 3`);
    legacy.close();
    const second = new SqliteStore(file);
    try {
      const found = async (target: string) =>
        (await second.listRequests({ view: { kind: 'all' }, top: 10, target })).items.map((request) => request.id);
      expect(await found('device-one')).toEqual(['r1']);
      expect(await found('dev-3')).toEqual(['r2']);
      const records = await second.listAuditByTime(
        { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' },
        { top: 10 },
      );
      expect(records.items.map((record) => record.seq)).toEqual([0, 1]);
    } finally {
      await second.close();
    }
  });

  it('serves every search filter from an index, never scanning the requests or the audit trail', () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    void store.close();
    const db = new Database(file, { readonly: true });
    try {
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((row) => row.detail).join('; ');
      const list = (conditions: string) =>
        plan(`SELECT id FROM requests WHERE ${conditions} ORDER BY created_at DESC, id DESC LIMIT 5`);
      for (const conditions of [
        "status = 'approved'",
        "profile_type = 'deviceWipe'",
        "profile_type = 'deviceWipe' AND status = 'approved'",
        "initiator_id = 'a'",
        "initiator_id = 'a' AND status = 'approved'",
        "created_at >= '2025' AND created_at < '2026'",
      ]) {
        const detail = list(conditions);
        expect(detail).toMatch(/USING (COVERING )?INDEX/);
        expect(detail).not.toMatch(/TEMP B-TREE/);
      }
      const target = plan(`SELECT r.id FROM request_targets t JOIN requests r ON r.id = t.request_id
        WHERE t.target_id = 'x' AND r.status = 'approved' ORDER BY t.created_at DESC, t.request_id DESC LIMIT 5`);
      expect(target).toMatch(/SEARCH t USING PRIMARY KEY \(target_id=\?\)/);
      expect(target).not.toMatch(/SCAN|TEMP B-TREE/);
      const audit = plan(
        "SELECT doc FROM audit WHERE at >= '2025' AND at < '2026' ORDER BY at, request_id, seq LIMIT 5",
      );
      expect(audit).toMatch(/USING INDEX audit_at/);
      expect(audit).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  it('opens read-only without creating or changing anything', async () => {
    const missing = path.join(tempFile(), 'nowhere.sqlite');
    expect(() => new SqliteStore(missing, { readOnly: true })).toThrow();
    expect(existsSync(missing)).toBe(false);
    const file = tempFile();
    const writer = new SqliteStore(file);
    await writer.createRequest(aRequest({ id: 'r1' }));
    await writer.close();
    const before = readFileSync(file);
    const reader = new SqliteStore(file, { readOnly: true });
    try {
      expect((await reader.getRequest('r1'))?.value.id).toBe('r1');
      expect(await reader.listTrailIds()).toEqual([]);
    } finally {
      await reader.close();
    }
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('answers the received view from per-group index ranges', () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    const db = new Database(file);
    try {
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT request_id, created_at FROM request_groups
           WHERE group_id = ? AND status = ? AND initiator_id <> ? AND (created_at, request_id) < (?, ?)
           ORDER BY created_at DESC, request_id DESC LIMIT 51`,
        )
        .all('g', 'needsApproval', 'u', 'c', 'r') as { detail: string }[];
      const details = plan.map((row) => row.detail).join('\n');
      expect(details).toContain('USING COVERING INDEX request_groups_status');
      expect(details).not.toContain('TEMP B-TREE');
    } finally {
      db.close();
      void store.close();
    }
  });
});

describe('SqliteStore on a full disk', () => {
  const disk = mountSmallDisk(4);
  const maybe = disk ? it : it.skip;
  afterAll(() => disk?.unmount());

  maybe(
    'refuses writes and write probes with store_unavailable, keeps answering reads, and recovers when space returns',
    async () => {
      const store = reportingUnavailable(new SqliteStore(path.join(disk!.dir, 'maa.sqlite')), sqliteUnavailable);
      try {
        await store.createRequest(aRequest({ id: 'req-before' }));
        await store.probeWrite();
        disk!.fill();
        await expect(store.probeWrite()).rejects.toMatchObject({
          name: 'StoreError',
          code: 'store_unavailable',
          details: { retryAfterSeconds: 5 },
        });
        await expect(store.createRequest(aRequest({ id: 'req-full', resourceId: 'dev-full' }))).rejects.toMatchObject({
          code: 'store_unavailable',
        });
        await expect(store.ping()).resolves.toBeUndefined();
        expect(await store.getRequest('req-full')).toBeUndefined();
        expect((await store.getRequest('req-before'))?.value.id).toBe('req-before');
        disk!.free();
        await expect(store.probeWrite()).resolves.toBeUndefined();
        await store.createRequest(aRequest({ id: 'req-full', resourceId: 'dev-full' }));
        expect((await store.getRequest('req-full'))?.value.id).toBe('req-full');
      } finally {
        disk!.free();
        await store.close();
      }
    },
  );
});
