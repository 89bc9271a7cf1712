// The request charge of each request search filter on Cosmos DB: seeds a requests container, then
// runs the exact query the store sends for each filter (`requestListQuery`) and prints the
// `x-ms-request-charge` the account answers with, summed over the query's pages and partitions.
//
//   node dist/bench/searchCharges.js                 # the in-process wire-protocol server
//   MAA_COSMOS_ENDPOINT=https://<account>.documents.azure.com:443/ [MAA_COSMOS_KEY=...] \
//     node dist/bench/searchCharges.js               # a real account (or the emulator)
//
// The in-process server (`@vercel/cosmosdb-server`) does no RU accounting: it answers every call
// with a charge of 1, so its numbers only show that each query runs against the schema's indexes
// (it refuses an ORDER BY that no composite index serves, as the service does).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import type { ApprovalRequest, ProfileType, RequestStatus } from '../shared/domain/model';
import { ensureCosmosSchema, REQUESTS_CONTAINER } from '../shared/store/cosmosSchema';
import { CosmosStore, createCosmosClient, requestListQuery } from '../shared/store/cosmosStore';
import type { RequestQuery } from '../shared/store/store';

const REQUESTS = Number(process.env.SEARCH_BENCH_REQUESTS ?? 1000);
const PAGE = 50;
const BASE = Date.parse('2026-11-01T00:00:00.000Z');

function aRequest(n: number): ApprovalRequest {
  const createdAt = new Date(BASE + n * 60_000).toISOString();
  const profileType: ProfileType = n % 3 === 0 ? 'deviceRetire' : 'deviceWipe';
  const statuses: RequestStatus[] = ['completed', 'completed', 'cancelled', 'rejected', 'expired'];
  // A few open requests, each on a device of its own (open requests lock their devices).
  const open = n % 50 === 5;
  const status = open ? 'needsApproval' : statuses[n % statuses.length]!;
  const bulk = n % 10 === 0;
  return {
    id: `req-${String(n).padStart(6, '0')}`,
    profileType,
    operation: {
      action: profileType === 'deviceWipe' ? 'wipe' : 'retire',
      resourceType: 'managedDevice',
      ...(bulk
        ? { resourceIds: [`dev-${n % 400}`, `dev-${(n + 1) % 400}`, `dev-${(n + 2) % 400}`] }
        : { resourceId: open ? `dev-open-${n}` : `dev-${n % 400}` }),
    },
    operationHash: 'a'.repeat(64),
    justification: 'Search charge measurement',
    initiator: { id: `user-${n % 20}`, displayName: `User ${n % 20}` },
    policy: { id: 'policy-1', version: 1, approverGroupIds: [`group-${n % 4}`], requiredApprovals: 1 },
    status,
    decisions: [],
    createdAt,
    expiresAt: new Date(BASE + (n + 43_200) * 60_000).toISOString(),
    lastModifiedAt: createdAt,
  };
}

const all = { kind: 'all' } as const;
const CASES: [string, Omit<RequestQuery, 'top'>][] = [
  ['no filter (all)', { view: all }],
  ['status', { view: all, status: 'needsApproval' }],
  ['profileType', { view: all, profileType: 'deviceRetire' }],
  ['initiator', { view: all, initiatorId: 'user-7' }],
  ['target (resource id or bulk device)', { view: all, target: 'DEV-42' }],
  [
    'createdFrom..createdTo (one day)',
    { view: all, createdFrom: '2026-11-01T06:00:00.000Z', createdTo: '2026-11-02T06:00:00.000Z' },
  ],
  ['profileType + status', { view: all, profileType: 'deviceWipe', status: 'completed' }],
  [
    'initiator + profileType + status',
    { view: all, initiatorId: 'user-3', profileType: 'deviceWipe', status: 'rejected' },
  ],
  ['target + createdFrom', { view: all, target: 'dev-42', createdFrom: '2026-11-01T06:00:00.000Z' }],
  ['mine + target', { view: { kind: 'mine', initiatorId: 'user-2' }, target: 'dev-42' }],
  [
    'received + profileType',
    {
      view: { kind: 'received', principalId: 'user-1', groupIds: ['group-2'], bootstrap: false },
      profileType: 'deviceRetire',
    },
  ],
];

async function localServer(): Promise<{ endpoint: string; key: string; agent: https.Agent; stop(): Promise<void> }> {
  const server = createHttpsServer({ keepAlive: true } as https.ServerOptions);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    key: Buffer.from('local').toString('base64'),
    agent,
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const remote = process.env.MAA_COSMOS_ENDPOINT;
  const local = remote === undefined ? await localServer() : undefined;
  const client = createCosmosClient(
    local ?? { endpoint: remote!, ...(process.env.MAA_COSMOS_KEY ? { key: process.env.MAA_COSMOS_KEY } : {}) },
  );
  const database = `maa-search-bench-${randomUUID().slice(0, 8)}`;
  try {
    await ensureCosmosSchema(client, { database });
    const store = new CosmosStore(client, { database });
    for (let n = 0; n < REQUESTS; n += 1) await store.createRequest(aRequest(n));
    const container = client.database(database).container(REQUESTS_CONTAINER.id);
    console.log(
      `${REQUESTS} requests on ${local ? 'the in-process server (charges are a constant 1)' : remote}; pages of ${PAGE}`,
    );
    console.log('| filter | items | RU (first page) |');
    console.log('|---|---|---|');
    for (const [label, query] of CASES) {
      const spec = requestListQuery({ ...query, top: PAGE }, PAGE + 1);
      if (spec === undefined) continue;
      const answer = await container.items.query(spec).fetchAll();
      console.log(`| ${label} | ${Math.min(answer.resources.length, PAGE)} | ${answer.requestCharge.toFixed(2)} |`);
    }
  } finally {
    await client
      .database(database)
      .delete()
      .catch(() => undefined);
    await local?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
