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

  it('serves every search filter from an index, never scanning the requests or the audit trail', async () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    // The statements the store itself runs, with their parameters, are explained: not SQL written here.
    const statement = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as Record<
      'all' | 'get' | 'iterate',
      (this: Database.Statement, ...params: unknown[]) => unknown
    >;
    const ran: { source: string; params: unknown[] }[] = [];
    const spies = (['all', 'get', 'iterate'] as const).map((method) => {
      const original = statement[method];
      return jest.spyOn(statement, method).mockImplementation(function (this: Database.Statement, ...params) {
        ran.push({ source: this.source, params });
        return original.apply(this, params);
      });
    });
    const explained = new Database(file, { readonly: true });
    const plansOf = async (run: () => Promise<unknown>) => {
      ran.length = 0;
      await run();
      const reads = ran.filter((statement) => /^\s*(SELECT|WITH)\b/i.test(statement.source));
      expect(reads.length).toBeGreaterThan(0);
      return reads.map(({ source, params }) => ({
        source,
        plan: (explained.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...params) as { detail: string }[])
          .map((row) => row.detail)
          .join('; '),
      }));
    };
    const expectIndexed = (plans: { source: string; plan: string }[]) => {
      for (const { source, plan } of plans) {
        // A full scan of the requests or the audit trail, or a sort of the rows it found, grows with
        // the store. (The received view's merge de-duplicates at most a page per group: bounded.)
        expect({ source, plan }).toEqual({ source, plan: expect.not.stringMatching(/SCAN (requests|audit|r|t)\b/) });
        expect({ source, plan }).toEqual({
          source,
          plan: expect.not.stringMatching(/TEMP B-TREE FOR (ORDER BY|RIGHT PART)/),
        });
      }
    };
    try {
      const request = aRequest({ id: 'r1' });
      await store.createRequest(request);
      const position = { continuationToken: undefined };
      for (const filters of [
        { status: 'approved' as const },
        { profileType: 'deviceWipe' as const },
        { profileType: 'deviceWipe' as const, status: 'approved' as const },
        { initiatorId: 'a' },
        { initiatorId: 'a', status: 'approved' as const },
        { createdFrom: '2025-01-01T00:00:00.000Z', createdTo: '2026-01-01T00:00:00.000Z' },
        { target: 'device-one' },
        { target: 'device-one', status: 'approved' as const },
      ]) {
        expectIndexed(
          await plansOf(() => store.listRequests({ view: { kind: 'all' }, top: 5, ...position, ...filters })),
        );
      }
      expectIndexed(
        await plansOf(() =>
          store.listAuditByTime({ from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }, { top: 5 }),
        ),
      );
      for (const status of [undefined, 'needsApproval' as const]) {
        const received = await plansOf(() =>
          store.listRequests({
            view: { kind: 'received', principalId: 'u', groupIds: request.policy.approverGroupIds, bootstrap: false },
            top: 5,
            continuationToken: undefined,
            ...(status ? { status } : {}),
          }),
        );
        expectIndexed(received);
        // One index range per group.
        expect(received.map(({ plan }) => plan).join('\n')).toMatch(
          /SEARCH g USING COVERING INDEX request_groups_\w+ \(group_id=\?/,
        );
      }
      const targeted = await plansOf(() => store.listRequests({ view: { kind: 'all' }, top: 5, target: 'device-one' }));
      expect(targeted.map(({ plan }) => plan).join('\n')).toMatch(/USING PRIMARY KEY \(target_id=\?\)/);
    } finally {
      for (const spy of spies) spy.mockRestore();
      explained.close();
      await store.close();
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
