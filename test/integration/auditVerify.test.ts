import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CosmosClient } from '@azure/cosmos';
import Database from 'better-sqlite3';
import { takeCheckpoint } from '../../shared/audit/checkpoints';
import { chainRecord, GENESIS_HASH } from '../../shared/domain/auditChain';
import type { AuditDigest } from '../../shared/domain/auditDigest';
import { createRequest } from '../../shared/domain/lifecycle';
import type { ApprovalRequest, AuditRecord } from '../../shared/domain/model';
import { parseKeySetting } from '../../shared/keys/appKey';
import { ensureCosmosSchema } from '../../shared/store/cosmosSchema';
import { CosmosStore, createCosmosClient } from '../../shared/store/cosmosStore';
import { SqliteStore } from '../../shared/store/sqliteStore';
import type { Store } from '../../shared/store/store';
import { TEST_APP_KEY } from '../support/appKey';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { runAuditVerify } from '../support/auditVerify';

const ring = { current: parseKeySetting(TEST_APP_KEY) };
const run = runAuditVerify;

function aRequest(id: string): ApprovalRequest {
  return createRequest({
    id,
    profileType: 'operationApprovalPolicy',
    operation: { action: 'create', resourceType: 'accessPolicy', resourceId: id },
    justification: 'first policy',
    initiator: { id: 'alice', displayName: 'Alice' },
    initiatorRoles: ['MAA.Requester', 'MAA.PolicyAdmin'],
    policy: undefined,
    now: '2026-01-01T00:00:00.000Z',
  });
}

/** Records steps `from`..`to` (inclusive) of request `id`'s trail, each chained after the stored head, one record per step. */
async function recordSteps(store: Store, id: string, from: number, to: number): Promise<void> {
  let prevHash = from === 0 ? GENESIS_HASH : (await store.getRequest(id))!.value.trail!.hash;
  for (let seq = from; seq <= to; seq++) {
    const record = chainRecord(
      {
        requestId: id,
        seq,
        type: 'request.statusChanged',
        at: `2026-01-01T00:0${seq}:00.000Z`,
        actor: null,
        data: { step: seq },
      },
      prevHash,
    );
    await store.recordStep({ records: [record] });
    prevHash = record.hash;
  }
}

/** Creates `ids`, each with a trail of `length` records. */
async function seed(store: Store, ids: string[], length = 4): Promise<void> {
  for (const id of ids) {
    await store.createRequest(aRequest(id));
    await recordSteps(store, id, 0, length - 1);
  }
}

describe('npm run audit:verify (SQLite store)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A data dir with a store holding `ids` (4 records each) and, with `checkpoint`, one checkpoint of them. */
  async function dataDirWith(
    ids: string[],
    checkpoint = false,
  ): Promise<{ dataDir: string; file: string; env: Record<string, string> }> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-verify-'));
    dirs.push(dataDir);
    const file = path.join(dataDir, 'maa.sqlite');
    const store = new SqliteStore(file);
    await seed(store, ids);
    if (checkpoint) await takeCheckpoint(store, ring, new Date());
    await store.close();
    return { dataDir, file, env: { MAA_DATA_DIR: dataDir, MAA_STORE: 'sqlite', MAA_APP_KEY: TEST_APP_KEY } };
  }

  const sql = (file: string, statement: string, ...params: string[]) => {
    const db = new Database(file);
    try {
      db.prepare(statement).run(...params);
    } finally {
      db.close();
    }
  };

  it('reports every trail valid and exits 0 when nothing was touched', async () => {
    const { env } = await dataDirWith(['r-1', 'r-2'], true);
    const result = await run(env, '--all');
    expect(result.out).toMatch(/r-1: ok \(4 records, head [0-9a-f]{12}\)/);
    expect(result.out).toMatch(/checkpoints: ok \(1 digests, latest 0 to .*, MACs checked\)/);
    expect(result.out).toMatch(/2 of 2 trails verified\n/);
    expect(result.code).toBe(0);
  });

  it('names the broken link and exits 1 after a record is edited in the database', async () => {
    const { env, file } = await dataDirWith(['r-good', 'r-tampered']);
    const db = new Database(file);
    const row = db
      .prepare<[], { doc: string }>("SELECT doc FROM audit WHERE request_id = 'r-tampered' AND seq = 1")
      .get()!;
    const doc = JSON.parse(row.doc) as { data: { step: number } };
    doc.data.step = 42;
    db.prepare("UPDATE audit SET doc = ? WHERE request_id = 'r-tampered' AND seq = 1").run(JSON.stringify(doc));
    db.close();

    const result = await run(env, '--all');
    expect(result.out).toMatch(/r-tampered: BROKEN at record 1/);
    expect(result.out).toMatch(/r-good: ok/);
    expect(result.code).toBe(1);
    expect((await run(env, 'r-good')).code).toBe(0);
  });

  it('reports a trail whose tail was deleted (hiding its last steps) and exits 1', async () => {
    const { env, file } = await dataDirWith(['r-1', 'r-2']);
    sql(file, "DELETE FROM audit WHERE request_id = 'r-2' AND seq >= 2");
    const result = await run(env, '--all');
    expect(result.out).toContain("r-2: trail shortened: it ends at record 1, but the request's head is record 3");
    expect(result.out).toMatch(/1 of 2 trails verified, 1 broken/);
    expect(result.code).toBe(1);
  });

  it('reports a trail deleted as a whole, and a store whose requests have no trails at all', async () => {
    const { env, file } = await dataDirWith(['r-1', 'r-2']);
    sql(file, "DELETE FROM audit WHERE request_id = 'r-1'");
    let result = await run(env, '--all');
    expect(result.out).toContain("r-1: trail deleted: the request's head is record 3, but the store holds no records");
    expect(result.code).toBe(1);

    sql(file, 'DELETE FROM audit');
    result = await run(env, '--all');
    expect(result.out).toContain('the store holds 2 requests but no audit trail at all');
    expect(result.code).toBe(1);
  });

  it('reports a trail whose request was deleted', async () => {
    const { env, file } = await dataDirWith(['r-1', 'r-2']);
    sql(file, "DELETE FROM requests WHERE id = 'r-2'");
    const result = await run(env, '--all');
    expect(result.out).toContain('r-2: orphaned trail: the store holds no request for it');
    expect(result.code).toBe(1);
  });

  it('refuses to run on a missing or mistyped data dir, creating nothing, and exits 2', async () => {
    const { dataDir } = await dataDirWith(['r-1']);
    const mistyped = `${dataDir}-typo`;
    const result = await run({ MAA_DATA_DIR: mistyped, MAA_STORE: 'sqlite', MAA_APP_KEY: TEST_APP_KEY }, '--all');
    expect(result.out).toContain(`no store at ${path.join(mistyped, 'maa.sqlite')}`);
    expect(result.code).toBe(2);
    expect(existsSync(mistyped)).toBe(false);
  });

  it('explains its usage and exits 2 without arguments or with an unknown option', async () => {
    const { env } = await dataDirWith([]);
    for (const args of [[], ['--everything'], ['--digest']]) {
      const result = await run(env, ...args);
      expect(result.code).toBe(2);
      expect(result.out).toMatch(/usage: npm run audit:verify/);
    }
  });

  it('checks checkpoint MACs with the local runtime key from the data dir when MAA_APP_KEY is unset, and without any key still checks the hashes', async () => {
    const { dataDir, env } = await dataDirWith(['r-1'], true);
    const { MAA_APP_KEY: _key, ...keyless } = env;
    let result = await run(keyless, '--all');
    expect(result.out).toMatch(/checkpoints: ok \(1 digests, .*MACs not checked: no app key\)/);
    expect(result.code).toBe(0);

    mkdirSync(path.join(dataDir, 'local-keys'));
    writeFileSync(path.join(dataDir, 'local-keys', 'app-key'), `${TEST_APP_KEY}\n`);
    result = await run(keyless, '--all');
    expect(result.out).toMatch(/MACs checked\)/);
    expect(result.code).toBe(0);

    writeFileSync(path.join(dataDir, 'local-keys', 'app-key'), `test-1:${Buffer.alloc(32, 7).toString('base64')}\n`);
    result = await run(keyless, '--all');
    expect(result.out).toContain('checkpoints: stored digest 0: its MAC does not verify under key test-1');
    expect(result.code).toBe(1);
  });

  it('keeps the checkpoint chain intact across several checkpoints, and exports and verifies the latest digest', async () => {
    const { dataDir, file, env } = await dataDirWith([]);
    const store = new SqliteStore(file);
    await seed(store, ['r-1']);
    await takeCheckpoint(store, ring, new Date());
    await seed(store, ['r-2']);
    await recordSteps(store, 'r-1', 4, 5);
    await takeCheckpoint(store, ring, new Date());
    // Nothing moved since: an empty digest, although the overlap reads the same heads again.
    await takeCheckpoint(store, ring, new Date());
    const digests = await store.listCheckpoints(-1, 10);
    await store.close();
    expect(
      digests.map((digest) => [digest.sequence, digest.heads.map((head) => `${head.requestId}:${head.seq}`)]),
    ).toEqual([
      [0, ['r-1:3']],
      [1, ['r-1:5', 'r-2:3']],
      [2, []],
    ]);

    const exported = path.join(dataDir, 'digest.json');
    let result = await run(env, '--export-digest', exported);
    expect(result.out).toMatch(/exported digest 2 /);
    expect(result.code).toBe(0);
    expect((JSON.parse(readFileSync(exported, 'utf8')) as AuditDigest).digestHash).toBe(digests[2]!.digestHash);

    result = await run(env, '--all', '--digest', exported);
    expect(result.out).toMatch(/checkpoints: ok \(3 digests, latest 2 /);
    expect(result.out).toMatch(/2 of 2 trails verified\n/);
    expect(result.code).toBe(0);

    sql(file, 'DELETE FROM audit_checkpoints WHERE sequence = 1');
    result = await run(env, '--all');
    expect(result.out).toContain(
      'checkpoints: stored checkpoints BROKEN at digest 1: digest 2 stands where digest 1 belongs',
    );
    expect(result.code).toBe(1);
  });

  it('detects a consistent rewrite of the whole store (trails re-chained, heads and checkpoints rewritten) against an exported digest', async () => {
    const { dataDir, file, env } = await dataDirWith(['r-1', 'r-2'], true);
    const exported = path.join(dataDir, 'digest.json');
    expect((await run(env, '--export-digest', exported)).code).toBe(0);

    // The attacker drops r-2's approval (seq 2) and re-chains everything after it, so every trail
    // verifies; then rewrites the heads and replaces the checkpoints with one of its own.
    const db = new Database(file);
    const records = (
      db.prepare("SELECT doc FROM audit WHERE request_id = 'r-2' ORDER BY seq").pluck().all() as string[]
    ).map((doc) => JSON.parse(doc) as AuditRecord);
    const kept = records.filter((record) => record.seq !== 2);
    let prevHash = GENESIS_HASH;
    const rewritten = kept.map((record, seq) => {
      const chained = chainRecord({ ...record, seq }, prevHash);
      prevHash = chained.hash;
      return chained;
    });
    db.prepare("DELETE FROM audit WHERE request_id = 'r-2'").run();
    for (const record of rewritten) {
      db.prepare('INSERT INTO audit (request_id, seq, id, hash, doc) VALUES (?, ?, ?, ?, ?)').run(
        record.requestId,
        record.seq,
        record.id,
        record.hash,
        JSON.stringify(record),
      );
    }
    const head = { seq: rewritten.at(-1)!.seq, hash: rewritten.at(-1)!.hash };
    db.prepare("UPDATE requests SET doc = json_set(doc, '$.trail', json(?)) WHERE id = 'r-2'").run(
      JSON.stringify(head),
    );
    db.prepare('DELETE FROM audit_checkpoints').run();
    db.close();
    const rebuilt = new SqliteStore(file);
    await takeCheckpoint(
      rebuilt,
      { current: parseKeySetting(`forged:${Buffer.alloc(32, 1).toString('base64')}`) },
      new Date(),
    );
    await rebuilt.close();

    const { MAA_APP_KEY: _key, ...keyless } = env;
    expect((await run(keyless, '--all')).code).toBe(0);
    const result = await run(keyless, '--all', '--digest', exported);
    expect(result.out).toContain('checkpoints: stored digest 0 is not the exported one');
    expect(result.out).toContain('r-2: record 3, a head the digest lists, is missing');
    expect(result.out).toMatch(/r-1: ok/);
    expect(result.code).toBe(1);
  });

  it('refuses an unreadable digest file with exit 2', async () => {
    const { dataDir, env } = await dataDirWith(['r-1'], true);
    const file = path.join(dataDir, 'digest.json');
    writeFileSync(file, '{"version":1}');
    expect(await run(env, '--all', '--digest', file)).toMatchObject({
      code: 2,
      out: expect.stringContaining('not an audit digest'),
    });
    expect(await run(env, '--all', '--digest', path.join(dataDir, 'none.json'))).toMatchObject({
      code: 2,
      out: expect.stringContaining('cannot read the digest file'),
    });
  });
});

describe('npm run audit:verify (Cosmos DB store, real SDK against a Cosmos wire-protocol server)', () => {
  let server: CosmosTestServer;
  let client: CosmosClient;
  let store: CosmosStore;
  let env: Record<string, string>;
  const database = 'verify';

  beforeAll(async () => {
    server = await startCosmosServer();
    client = createCosmosClient({ endpoint: server.endpoint, key: server.key, agent: server.agent });
    await ensureCosmosSchema(client, { database });
    store = new CosmosStore(client, { database });
    await seed(store, ['c-1', 'c-2', 'c-3']);
    await takeCheckpoint(store, ring, new Date());
    // The server's certificate is self-signed; only the script's process is told to accept it.
    env = {
      MAA_STORE: 'cosmos',
      COSMOS_ENDPOINT: server.endpoint,
      COSMOS_KEY: server.key,
      COSMOS_DATABASE: database,
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
      MAA_APP_KEY: TEST_APP_KEY,
    };
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  const audit = () => client.database(database).container('audit');

  it('verifies a valid store and exits 0', async () => {
    const result = await run(env, '--all');
    expect(result.out).toMatch(/3 of 3 trails verified\n/);
    expect(result.out).toMatch(/checkpoints: ok \(1 digests/);
    expect(result.code).toBe(0);
  });

  it('accepts a trail that extends its head, as a crash between the records and the read model leaves it', async () => {
    await seed(store, ['c-4']);
    const head = (await store.getRequest('c-4'))!.value.trail!;
    const record = chainRecord(
      {
        requestId: 'c-4',
        seq: 4,
        type: 'request.statusChanged',
        at: '2026-01-01T00:09:00.000Z',
        actor: null,
        data: { step: 4 },
      },
      head.hash,
    );
    await audit().items.create(record);
    const result = await run(env, 'c-4');
    expect(result.out).toContain("c-4: note: 1 records after the request's head (record 3)");
    expect(result.out).toMatch(/c-4: ok \(5 records/);
    expect(result.code).toBe(0);
  });

  it('reports a trail whose tail was deleted through the SDK, and one deleted as a whole', async () => {
    await audit().item('c-2:000003', 'c-2').delete();
    for (const seq of [0, 1, 2, 3]) await audit().item(`c-3:00000${seq}`, 'c-3').delete();
    const result = await run(env, '--all');
    expect(result.out).toContain("c-2: trail shortened: it ends at record 2, but the request's head is record 3");
    expect(result.out).toContain('c-2: record 3, a head the digest lists, is missing');
    expect(result.out).toContain("c-3: trail deleted: the request's head is record 3, but the store holds no records");
    expect(result.out).toMatch(/2 of 4 trails verified, 2 broken/);
    expect(result.code).toBe(1);
  });

  it('verifies a trail of multi-record step items after one-record items written before, and names a record edited inside a step item', async () => {
    await store.createRequest(aRequest('c-5'));
    const records: AuditRecord[] = [];
    for (let seq = 0; seq < 5; seq++)
      records.push(
        chainRecord(
          {
            requestId: 'c-5',
            seq,
            type: 'request.statusChanged',
            at: '2026-01-01T00:10:00.000Z',
            actor: null,
            data: { step: seq },
          },
          records[seq - 1]?.hash ?? GENESIS_HASH,
        ),
      );
    // Records 0 and 1 as trails were stored before (one item each), then a step of three records.
    for (const record of records.slice(0, 2)) await audit().items.create(record);
    await store.recordStep({ records: records.slice(2) });
    const { resources: items } = await audit()
      .items.query<{ id: string; records?: AuditRecord[] }>({
        query: 'SELECT * FROM c WHERE c.requestId = @id',
        parameters: [{ name: '@id', value: 'c-5' }],
      })
      .fetchAll();
    expect(items.map((item) => item.records?.length ?? 1).sort()).toEqual([1, 1, 3]);
    const valid = await run(env, 'c-5');
    expect(valid.out).toMatch(/c-5: ok \(5 records/);
    expect(valid.code).toBe(0);

    const step = items.find((item) => item.records !== undefined)!;
    step.records![1]!.data = { step: 42 };
    await audit().item(step.id, 'c-5').replace(step);
    const tampered = await run(env, 'c-5');
    expect(tampered.out).toMatch(/c-5: BROKEN at record 3/);
    expect(tampered.code).toBe(1);
  });

  it('refuses to run against a database that does not exist, creating nothing, and exits 2', async () => {
    const result = await run({ ...env, COSMOS_DATABASE: 'mistyped' }, '--all');
    expect(result.code).toBe(2);
    const { resources } = await client.databases.readAll().fetchAll();
    expect(resources.map((resource) => resource.id)).not.toContain('mistyped');
  });
});
