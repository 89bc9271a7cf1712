import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';

/** One request the server received, as far as the tests need to classify it. */
export interface RecordedCosmosRequest {
  method: string;
  path: string;
  /** The `x-ms-documentdb-partitionkey` header: absent on cross-partition queries. */
  partitionKey?: string;
  /** A query that returns data (the SDK marks it `x-ms-documentdb-isquery`). */
  query: boolean;
  /**
   * A query plan lookup: the SDK asks the gateway for one alongside every query, even a
   * single-partition one; it reads no data.
   */
  queryPlan: boolean;
  /** A transactional batch (`x-ms-cosmos-is-batch-request`). */
  batch: boolean;
}

/** An in-process Cosmos DB wire-protocol server for tests. */
export interface CosmosTestServer {
  endpoint: string;
  /** Any key works: the server does not check signatures. */
  key: string;
  /** Trusts the server's self-signed certificate; pass it to the client (tests only). */
  agent: https.Agent;
  /** Every request received since start (or since the array was emptied). */
  requests: RecordedCosmosRequest[];
  stop(): Promise<void>;
}

function header(request: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Starts `@vercel/cosmosdb-server` on 127.0.0.1 with an ephemeral port. It keeps everything in
 * memory and starts empty; differences from the service that matter to the store tests:
 * - item `ttl` is stored but never expires anything;
 * - `OFFSET … LIMIT` is not parsed (the store uses `TOP`);
 * - multi-property `ORDER BY` needs a matching composite index, as in the service, so the
 *   schema's composite indexes are exercised;
 * - no RU accounting, consistency levels or throttling.
 */
export async function startCosmosServer(): Promise<CosmosTestServer> {
  const server = createHttpsServer({ keepAlive: true } as https.ServerOptions);
  const requests: RecordedCosmosRequest[] = [];
  server.on('request', (request) => {
    const partitionKey = header(request, 'x-ms-documentdb-partitionkey');
    requests.push({
      method: request.method ?? '',
      path: (request.url ?? '').split('?')[0] ?? '',
      ...(partitionKey === undefined ? {} : { partitionKey }),
      query: header(request, 'x-ms-documentdb-isquery')?.toLowerCase() === 'true',
      queryPlan: header(request, 'x-ms-cosmos-is-query-plan-request')?.toLowerCase() === 'true',
      batch: header(request, 'x-ms-cosmos-is-batch-request')?.toLowerCase() === 'true',
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  return {
    endpoint: `https://127.0.0.1:${port}/`,
    key: Buffer.from('cosmosdb-server test key').toString('base64'),
    agent,
    requests,
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
