import { randomUUID } from 'node:crypto';
import { CosmosClient, type Plugin, type PluginConfig } from '@azure/cosmos';
import { COSMOS_CONTAINERS, ensureCosmosSchema, REQUESTS_CONTAINER } from '../../../shared/store/cosmosSchema';
import { CosmosStore, createCosmosClient } from '../../../shared/store/cosmosStore';
import { startCosmosServer, type CosmosTestServer } from '../../support/cosmosServer';
import { aRequest, anAuditRecord, describeStoreContract, headAt } from './contract';

let server: CosmosTestServer;

beforeAll(async () => {
  server = await startCosmosServer();
});

afterAll(async () => {
  await server.stop();
});

async function freshStore(options: { closedRequestTtlSeconds?: number; now?: () => Date } = {}) {
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, agent: server.agent });
  const database = `maa-${randomUUID()}`;
  await ensureCosmosSchema(client, { database });
  const store = new CosmosStore(client, { database, ...options });
  return { client, database, store, dispose: () => store.close() };
}

describeStoreContract('cosmos', freshStore);

describe('CosmosStore', () => {
  it('creates every container of the schema, and leaves them alone when run again', async () => {
    const { client, database, store } = await freshStore();
    try {
      await ensureCosmosSchema(client, { database });
      const { resources } = await client.database(database).containers.readAll().fetchAll();
      expect(resources.map((container) => container.id).sort()).toEqual(
        COSMOS_CONTAINERS.map((spec) => spec.id).sort(),
      );
      const requests = resources.find((container) => container.id === REQUESTS_CONTAINER.id);
      expect(requests?.partitionKey?.paths).toEqual(['/id']);
      expect(requests?.defaultTtl).toBe(-1);
    } finally {
      await store.close();
    }
  });

  it('gives a closed request the configured retention TTL and keeps open ones forever', async () => {
    const { client, database, store } = await freshStore({ closedRequestTtlSeconds: 86_400 });
    try {
      const created = await store.createRequest(aRequest({ id: 'r1' }));
      const raw = () => client.database(database).container('requests').item('r1', 'r1').read<{ ttl?: number }>();
      expect((await raw()).resource?.ttl).toBeUndefined();
      await store.recordStep({
        records: [anAuditRecord('r1', 0)],
        request: { value: aRequest({ id: 'r1', status: 'cancelled' }), etag: created.etag },
      });
      expect((await raw()).resource?.ttl).toBe(86_400);
      expect((await store.getRequest('r1'))?.value).toStrictEqual({
        ...aRequest({ id: 'r1', status: 'cancelled' }),
        trail: headAt('r1', 0),
      });
    } finally {
      await store.close();
    }
  });

  it('runs a request lifecycle with point operations and single-partition queries only, reading only for a step that changes just the trail head', async () => {
    const { store } = await freshStore();
    try {
      // Warm the client's metadata caches so that only the lifecycle's own calls are counted.
      await store.createRequest(aRequest({ id: 'warm-up' }));
      await store.recordStep({ records: [anAuditRecord('warm-up', 0), anAuditRecord('warm-up', 1)] });
      server.requests.length = 0;

      await store.createRequest(aRequest({ id: 'r1' }));
      const headOnly = await store.recordStep({ records: [anAuditRecord('r1', 0)] });
      const approved = await store.recordStep({
        records: [anAuditRecord('r1', 1), anAuditRecord('r1', 2)],
        request: { value: aRequest({ id: 'r1', status: 'approved' }), etag: headOnly! },
      });
      const completed = {
        records: [anAuditRecord('r1', 3)],
        request: { value: aRequest({ id: 'r1', status: 'completed' }), etag: approved! },
      };
      await store.recordStep(completed);
      await store.recordStep(completed);
      await store.listAudit('r1', { top: 50 });

      const documents = server.requests.filter((request) => request.path.includes('/docs') && !request.queryPlan);
      expect(documents.filter((request) => request.partitionKey === undefined)).toEqual([]);
      const calls = documents.map(
        (request) =>
          `${request.query ? 'QUERY' : request.batch ? 'BATCH' : request.method} ${request.path.split('/')[4]}`,
      );
      expect(calls).toEqual([
        'POST locks', // the entity lock
        'POST requests',
        'POST audit', // the first step: one item
        'GET requests', // a step that changes only the trail head: read, then replaced under its etag
        'PUT requests',
        'BATCH audit', // two records in one item, created in a batch that reads the item before it
        'PUT requests',
        'BATCH audit',
        'PUT requests', // closed: the lock is deleted under the etag it was read with
        'GET locks',
        'DELETE locks',
        'BATCH audit', // the retried step: the item is refused, and the trail compared,
        'QUERY audit',
        'PUT requests', // the etag is stale, and the read model already shows the step
        'GET requests',
        'QUERY audit',
      ]);
    } finally {
      await store.close();
    }
  });

  it('stores a step of three records as one audit item with one write, and reads it back as three records', async () => {
    const { client, database, store } = await freshStore();
    try {
      await store.recordStep({ records: [anAuditRecord('warm-up', 0)] });
      await store.recordStep({ records: [anAuditRecord('r1', 0)] });
      server.requests.length = 0;
      // A step's records share its time.
      const step = [1, 2, 3].map((seq) => ({ ...anAuditRecord('r1', seq), at: anAuditRecord('r1', 1).at }));
      await store.recordStep({ records: step });
      const writes = server.requests.filter((request) => request.path.includes('/audit/docs') && !request.queryPlan);
      expect(writes.map((request) => (request.batch ? 'BATCH' : request.method))).toEqual(['BATCH']);

      const { resources } = await client
        .database(database)
        .container('audit')
        .items.query<{ id: string; seq: number; records?: unknown[] }>("SELECT * FROM c WHERE c.requestId = 'r1'")
        .fetchAll();
      expect(resources.map(({ id, seq, records }) => ({ id, seq, records: records?.length }))).toEqual(
        expect.arrayContaining([
          { id: 'r1:000000', seq: 0, records: 1 },
          { id: 'r1:000003', seq: 1, records: 3 },
        ]),
      );
      expect(resources).toHaveLength(2);
      expect((await store.listAudit('r1', { top: 10 })).items).toStrictEqual([anAuditRecord('r1', 0), ...step]);
    } finally {
      await store.close();
    }
  });

  it('stores a step whose records carry two times as one item per time, in one batch, and a retry of it changes nothing', async () => {
    const { client, database, store } = await freshStore();
    const timed = (seq: number, at: string) => ({ ...anAuditRecord('r1', seq), at });
    try {
      await store.recordStep({ records: [anAuditRecord('warm-up', 0)] });
      await store.recordStep({ records: [timed(0, '2025-03-01T08:00:00.000Z')] });
      const step = [1, 2, 3].map((seq) =>
        timed(seq, seq < 3 ? '2025-03-01T08:01:00.000Z' : '2025-03-01T08:02:00.000Z'),
      );
      server.requests.length = 0;
      await store.recordStep({ records: step });
      const writes = server.requests.filter((request) => request.path.includes('/audit/docs') && !request.queryPlan);
      expect(writes.map((request) => (request.batch ? 'BATCH' : request.method))).toEqual(['BATCH']);
      await store.recordStep({ records: step });
      expect(
        await store
          .recordStep({ records: [{ ...timed(3, '2025-03-01T08:02:00.000Z'), hash: 'f'.repeat(64) }] })
          .catch((error: { code?: string }) => error.code),
      ).toBe('audit_mismatch');
      await store.recordStep({ records: [timed(4, '2025-03-01T08:02:00.000Z')] });

      const { resources } = await client
        .database(database)
        .container('audit')
        .items.query<{ id: string; seq: number; at: string; records: { at: string }[] }>(
          "SELECT * FROM c WHERE c.requestId = 'r1'",
        )
        .fetchAll();
      expect(
        resources
          .map(({ id, seq, at, records }) => ({ id, seq, at, times: [...new Set(records.map((r) => r.at))] }))
          .sort((a, b) => a.seq - b.seq),
      ).toEqual([
        { id: 'r1:000000', seq: 0, at: '2025-03-01T08:00:00.000Z', times: ['2025-03-01T08:00:00.000Z'] },
        { id: 'r1:000002', seq: 1, at: '2025-03-01T08:01:00.000Z', times: ['2025-03-01T08:01:00.000Z'] },
        { id: 'r1:000003', seq: 3, at: '2025-03-01T08:02:00.000Z', times: ['2025-03-01T08:02:00.000Z'] },
        { id: 'r1:000004', seq: 4, at: '2025-03-01T08:02:00.000Z', times: ['2025-03-01T08:02:00.000Z'] },
      ]);
      expect((await store.listAudit('r1', { top: 10 })).items.map((record) => record.seq)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await store.close();
    }
  });

  it('reads, extends and guards a trail stored one record per item before, next to step items', async () => {
    const { client, database, store } = await freshStore();
    try {
      const audit = client.database(database).container('audit');
      for (const seq of [0, 1, 2]) await audit.items.create(anAuditRecord('r1', seq));
      await store.recordStep({ records: [3, 4].map((seq) => anAuditRecord('r1', seq)) });
      await store.recordStep({ records: [2, 3, 4].map((seq) => anAuditRecord('r1', seq)) });
      await store.recordStep({ records: [4, 5].map((seq) => anAuditRecord('r1', seq)) });
      const forged = [anAuditRecord('r1', 1, 'f'.repeat(64)), anAuditRecord('r1', 2)];
      expect(await store.recordStep({ records: forged }).catch((error: { code?: string }) => error.code)).toBe(
        'audit_mismatch',
      );
      const pages = [];
      let continuationToken: string | undefined;
      do {
        const page = await store.listAudit('r1', { top: 2, ...(continuationToken ? { continuationToken } : {}) });
        pages.push(page.items.map((record) => record.seq));
        continuationToken = page.continuationToken;
      } while (continuationToken !== undefined);
      expect(pages).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      expect((await store.listAudit('r1', { top: 10 })).items).toStrictEqual(
        [0, 1, 2, 3, 4, 5].map((seq) => anAuditRecord('r1', seq)),
      );
      expect(await store.listTrailIds()).toEqual(['r1']);
    } finally {
      await store.close();
    }
  });

  it('answers the record at a position with one single-partition query, on a trail stored one record per item before and on step items', async () => {
    const { client, database, store } = await freshStore();
    try {
      const audit = client.database(database).container('audit');
      const old = [0, 1, 2].map((seq) => anAuditRecord('r1', seq));
      for (const record of old) await audit.items.create(record);
      const step = [3, 4, 5].map((seq) => ({ ...anAuditRecord('r1', seq), at: anAuditRecord('r1', 3).at }));
      await store.recordStep({ records: step });
      await store.auditRecordAt('warm-up', 0);
      const written = [...old, ...step];
      for (const seq of [0, 1, 2, 3, 4, 5, 6]) {
        server.requests.length = 0;
        expect(await store.auditRecordAt('r1', seq)).toStrictEqual(written[seq]);
        const reads = server.requests.filter((request) => request.path.includes('/docs') && !request.queryPlan);
        expect(reads.map(({ query, partitionKey }) => ({ query, partitionKey }))).toEqual([
          { query: true, partitionKey: '["r1"]' },
        ]);
      }
    } finally {
      await store.close();
    }
  });

  it("a release of a closed request's lock that arrives after another request took the lock over leaves that lock alone", async () => {
    // The closing step's lock delete is held back on the wire (a throttled or paused call) until
    // the test lets it go, after the next request of the device has taken the lock over.
    let holdDeletes = true;
    const held: (() => void)[] = [];
    const plugins: PluginConfig[] = [];
    const deleteHeld = new Promise<void>((resolve) => {
      const plugin: Plugin<unknown> = async (context, _diagnostics, next) => {
        if (holdDeletes && context.method === 'DELETE' && context.path?.includes('/colls/locks/')) {
          resolve();
          await new Promise<void>((release) => held.push(release));
        }
        return next(context);
      };
      plugins.push({ on: 'request', plugin });
    });
    // `plugins` is the SDK's request pipeline hook (not in its public option type).
    const options = { endpoint: server.endpoint, key: server.key, agent: server.agent, plugins };
    const client = new CosmosClient(options);
    const database = `maa-${randomUUID()}`;
    await ensureCosmosSchema(client, { database });
    let now = Date.now();
    const store = new CosmosStore(client, { database, now: () => new Date(now) });
    try {
      const created = await store.createRequest(aRequest({ id: 'r1', resourceId: 'device-1' }));
      const closing = store.recordStep({
        records: [anAuditRecord('r1', 0)],
        request: { value: aRequest({ id: 'r1', resourceId: 'device-1', status: 'cancelled' }), etag: created.etag },
      });
      await deleteHeld;
      now += 60_000;
      holdDeletes = false;
      await expect(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' }))).resolves.toBeDefined();
      for (const release of held) release();
      await closing;
      expect(
        await store
          .createRequest(aRequest({ id: 'r3', resourceId: 'device-1' }))
          .catch((error: { code?: string }) => error.code),
      ).toBe('entity_locked');
    } finally {
      await store.close();
    }
  });

  it('takes over a lock whose holder closed without releasing it', async () => {
    const { client, database, store } = await freshStore();
    try {
      const created = await store.createRequest(aRequest({ id: 'r1', resourceId: 'device-1' }));
      // Close r1 behind the adapter's back, as if the process died before releasing the lock.
      await client
        .database(database)
        .container('requests')
        .item('r1', 'r1')
        .replace(
          { ...aRequest({ id: 'r1', resourceId: 'device-1', status: 'completed' }) },
          { accessCondition: { type: 'IfMatch', condition: created.etag } },
        );
      await expect(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' }))).resolves.toBeDefined();
      expect(
        await store
          .createRequest(aRequest({ id: 'r3', resourceId: 'device-1' }))
          .catch((error: { code?: string }) => error.code),
      ).toBe('entity_locked');
    } finally {
      await store.close();
    }
  });

  it('respects a lock whose holder request has not appeared yet, for a grace period only', async () => {
    const { client, database, store } = await freshStore();
    try {
      await store.createRequest(aRequest({ id: 'r1', resourceId: 'device-1' }));
      // As if r1's create died between writing the lock and writing the request.
      const container = (id: string) => client.database(database).container(id);
      await container('requests').item('r1', 'r1').delete();
      expect(
        await store
          .createRequest(aRequest({ id: 'r2', resourceId: 'device-1' }))
          .catch((error: { code?: string }) => error.code),
      ).toBe('entity_locked');

      const {
        resources: [lock],
      } = await container('locks').items.query<{ id: string; claimedAt: string }>('SELECT * FROM c').fetchAll();
      expect(lock).toBeDefined();
      const old = new Date(Date.now() - 5 * 60_000).toISOString();
      await container('locks')
        .item(lock?.id ?? '', lock?.id)
        .replace({ ...lock, claimedAt: old });
      await expect(store.createRequest(aRequest({ id: 'r2', resourceId: 'device-1' }))).resolves.toBeDefined();
    } finally {
      await store.close();
    }
  });

  it('lets exactly one of several concurrent creates on one entity win', async () => {
    const { store } = await freshStore();
    try {
      const results = await Promise.allSettled(
        ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => store.createRequest(aRequest({ id, resourceId: 'device-1' }))),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect((result.reason as { code?: string }).code).toBe('entity_locked');
      }
    } finally {
      await store.close();
    }
  });

  it('builds a managed-identity client when no key is configured', () => {
    const client = createCosmosClient({ endpoint: 'https://account.documents.azure.com:443/' });
    expect(client).toBeInstanceOf(CosmosClient);
    client.dispose();
  });
});
