import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chainRecord, GENESIS_HASH } from '../../shared/domain/auditChain';
import { createRequest } from '../../shared/domain/lifecycle';
import { SqliteStore } from '../../shared/store/sqliteStore';
import { repoRoot } from '../support/runtime';

const cli = path.join(repoRoot, 'dist', 'scripts', 'auditVerify.js');

function verify(dataDir: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, MAA_DATA_DIR: dataDir, MAA_STORE: 'sqlite' }, encoding: 'utf8' });
  return { code: run.status, out: run.stdout + run.stderr };
}

describe('npm run audit:verify', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-verify-'));
  const file = path.join(dataDir, 'maa.sqlite');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(async () => {
    const store = new SqliteStore(file);
    for (const id of ['r-good', 'r-tampered']) {
      const request = createRequest({
        id,
        profileType: 'operationApprovalPolicy',
        operation: { action: 'create', resourceType: 'accessPolicy', resourceId: id },
        justification: 'first policy',
        initiator: { id: 'alice', displayName: 'Alice' },
        initiatorRoles: ['MAA.Requester', 'MAA.PolicyAdmin'],
        policy: undefined,
        now: '2026-01-01T00:00:00.000Z',
      });
      await store.createRequest(request);
      let prevHash = GENESIS_HASH;
      for (let seq = 0; seq < 3; seq++) {
        const record = chainRecord({ requestId: id, seq, type: 'request.statusChanged', at: `2026-01-01T00:0${seq}:00.000Z`, actor: null, data: { step: seq } }, prevHash);
        await store.recordStep({ records: [record] });
        prevHash = record.hash;
      }
    }
    await store.close();
  });

  it('reports every trail valid and exits 0 when nothing was touched', () => {
    const result = verify(dataDir, '--all');
    expect(result.out).toMatch(/r-good: ok \(3 records/);
    expect(result.out).toMatch(/2 of 2 trails verified/);
    expect(result.code).toBe(0);
  });

  it('names the broken link and exits 1 after a record is edited in the database', () => {
    const db = new Database(file);
    const row = db.prepare<[], { doc: string }>("SELECT doc FROM audit WHERE request_id = 'r-tampered' AND seq = 1").get()!;
    const doc = JSON.parse(row.doc) as { data: { step: number } };
    doc.data.step = 42;
    db.prepare("UPDATE audit SET doc = ? WHERE request_id = 'r-tampered' AND seq = 1").run(JSON.stringify(doc));
    db.close();

    const result = verify(dataDir, '--all');
    expect(result.out).toMatch(/r-tampered: BROKEN at record 1/);
    expect(result.out).toMatch(/r-good: ok/);
    expect(result.code).toBe(1);
    expect(verify(dataDir, 'r-good').code).toBe(0);
  });

  it('explains its usage and exits 2 without arguments', () => {
    const result = verify(dataDir);
    expect(result.code).toBe(2);
    expect(result.out).toMatch(/usage: npm run audit:verify/);
  });
});
