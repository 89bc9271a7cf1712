import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../shared/store/sqliteStore';
import { aRequest, describeStoreContract } from './contract';

const tempDirs: string[] = [];

function tempFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'maa-sqlite-store-'));
  tempDirs.push(dir);
  return path.join(dir, 'data', 'maa.sqlite');
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describeStoreContract('sqlite', async () => {
  const store = new SqliteStore(tempFile());
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
