import { batchPartsRu, sizeFactor, type BatchOperation } from '../test/support/azureCost';

/** The kinds of Cosmos DB REST call the `cosmos` section tells apart. */
export const COSMOS_OPERATIONS = [
  'point read',
  'create',
  'transactional batch',
  'replace',
  'upsert',
  'delete',
  'query, single partition',
  'query, cross partition',
  'query plan',
  'metadata',
] as const;
export type CosmosOperation = (typeof COSMOS_OPERATIONS)[number];

/**
 * Modelled request charge per call, in RU, for an item of about 1 KB with indexing restricted to
 * a few paths (as in the store's schema); larger items are scaled by {@link sizeFactor}. These are planning figures from Cosmos DB's documented
 * costs, not measured charges: the test server answers every call with a charge of 1.
 * A cross-partition query costs about this much per partition range it visits. Query plans and
 * metadata reads (account, container, partition key ranges: the SDK caches them) are not charged
 * to the container's throughput and count 0.
 */
export const MODELLED_RU: Readonly<Record<CosmosOperation, number>> = {
  'point read': 1,
  // Documented as roughly 5.6 to 7 RU for 1 KB with restricted indexing: the model takes the top.
  create: 7,
  // Charged as the sum of its operations (see callRu): the store's batches read the audit item
  // before a step (1) and create the step's item (7, sized). This figure is for a batch of unknown parts.
  'transactional batch': 7,
  replace: 10,
  // An upsert of an existing item is a replace; the store does not upsert.
  upsert: 10,
  delete: 5,
  'query, single partition': 3,
  'query, cross partition': 3,
  'query plan': 0,
  metadata: 0,
};

/** The low end of the documented cost of a 1 KB create, printed alongside the model's total. */
export const CREATE_RU_LOW = 5.6;

/** One REST call the Cosmos DB test server received. */
export interface CosmosCall {
  /** Milliseconds since the counting window opened. */
  atMs: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Container id, for calls on documents. */
  container?: string;
  operation: CosmosOperation;
  /** For a transactional batch: how many operations it carried. */
  batchOperations?: number;
  /** For a transactional batch: its operations, from the request body. */
  batchParts?: BatchOperation[];
  status: number;
  requestBytes: number;
  responseBytes: number;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isTrue(headers: Headers, name: string): boolean {
  return header(headers, name)?.toLowerCase() === 'true';
}

const DOCUMENTS = /^\/dbs\/[^/]+\/colls\/([^/]+)\/docs(?:\/([^/]+))?\/?$/;

/**
 * What a call is, from its method, path and headers: reads, replaces and deletes address one
 * document (`…/docs/{id}`); creates, upserts and queries POST to `…/docs`. A query with a
 * partition key header is single-partition; without one it fans out over partition key ranges.
 * The SDK asks for a query plan before each query, single-partition ones included. A
 * transactional batch also POSTs to `…/docs`, marked `x-ms-cosmos-is-batch-request`.
 */
export function classifyCosmosCall(
  method: string,
  path: string,
  headers: Headers,
): { operation: CosmosOperation; container?: string } {
  const match = DOCUMENTS.exec(path);
  if (!match) return { operation: 'metadata' };
  const container = decodeURIComponent(match[1]!);
  const verb = method.toUpperCase();
  if (match[2] !== undefined) {
    if (verb === 'GET') return { operation: 'point read', container };
    if (verb === 'PUT') return { operation: 'replace', container };
    if (verb === 'DELETE') return { operation: 'delete', container };
    return { operation: 'metadata', container };
  }
  if (verb !== 'POST') return { operation: 'metadata', container };
  if (isTrue(headers, 'x-ms-cosmos-is-query-plan-request')) return { operation: 'query plan', container };
  if (isTrue(headers, 'x-ms-cosmos-is-batch-request')) return { operation: 'transactional batch', container };
  const query =
    isTrue(headers, 'x-ms-documentdb-isquery') ||
    (header(headers, 'content-type') ?? '').startsWith('application/query+json');
  if (query) {
    // The SDK sends x-ms-documentdb-query-enablecrosspartition: true on every query, so only the
    // partition key header tells a single-partition query apart.
    const single = header(headers, 'x-ms-documentdb-partitionkey') !== undefined;
    return { operation: single ? 'query, single partition' : 'query, cross partition', container };
  }
  return { operation: isTrue(headers, 'x-ms-documentdb-is-upsert') ? 'upsert' : 'create', container };
}

/** Calls of one kind on one container, with their modelled charge (`ruEach` the 1 KB figure, `ru` sized). */
export interface CosmosOperationGroup {
  operation: CosmosOperation;
  container: string;
  count: number;
  /** Operations the calls carried: one each, except for transactional batches. */
  operations: number;
  /** Statuses answered, e.g. `201×2, 409×1`. */
  statuses: string;
  meanBytes: number;
  ruEach: number;
  ru: number;
}

/** Groups calls by kind and container, in the order of {@link COSMOS_OPERATIONS}. */
export function groupCosmosCalls(calls: readonly CosmosCall[]): CosmosOperationGroup[] {
  const groups = new Map<string, CosmosCall[]>();
  for (const call of calls) {
    const key = `${call.operation}\u0000${call.container ?? '-'}`;
    groups.set(key, [...(groups.get(key) ?? []), call]);
  }
  return [...groups.values()]
    .map((members) => {
      const { operation, container = '-' } = members[0]!;
      const ruEach = MODELLED_RU[operation];
      const operations = members.reduce((sum, call) => sum + operationsOf(call), 0);
      return {
        operation,
        container,
        count: members.length,
        operations,
        statuses: statusCounts(members),
        meanBytes: meanBytes(members),
        ruEach,
        ru: members.reduce((sum, call) => sum + callRu(call), 0),
      };
    })
    .sort(
      (a, b) =>
        COSMOS_OPERATIONS.indexOf(a.operation) - COSMOS_OPERATIONS.indexOf(b.operation) ||
        a.container.localeCompare(b.container),
    );
}

/** Operations a call carried: one, or a transactional batch's count. */
export function operationsOf(call: CosmosCall): number {
  return call.batchOperations ?? 1;
}

/**
 * The modelled charge of `calls`, with creates at `createRu` for 1 KB: each call's 1 KB figure
 * scaled by its item's size ({@link sizeFactor}); a transactional batch costs the sum of its
 * operations (a read 1 RU, a create `createRu` for its item's size).
 */
export function modelledRu(calls: readonly CosmosCall[], createRu = MODELLED_RU.create): number {
  return calls.reduce((sum, call) => sum + callRu(call, createRu), 0);
}

/** The modelled charge of one call (see {@link modelledRu}). */
export function callRu(call: CosmosCall, createRu = MODELLED_RU.create): number {
  if (call.operation === 'transactional batch') {
    if (call.batchParts === undefined) return createRu * operationsOf(call);
    return batchPartsRu(call.batchParts, {
      read: MODELLED_RU['point read'],
      create: createRu,
      replace: MODELLED_RU.replace,
      delete: MODELLED_RU.delete,
    });
  }
  const base = call.operation === 'create' ? createRu : MODELLED_RU[call.operation];
  if (call.operation === 'point read') return base * sizeFactor(call.responseBytes, 1);
  if (call.operation === 'create' || call.operation === 'replace' || call.operation === 'upsert')
    return base * sizeFactor(call.requestBytes, 2);
  return base;
}

/** The bytes of the item a call carries: the request body of a write, the response body otherwise. */
export function itemBytes(call: CosmosCall): number {
  const write =
    call.operation === 'create' ||
    call.operation === 'transactional batch' ||
    call.operation === 'replace' ||
    call.operation === 'upsert';
  return write ? call.requestBytes : call.responseBytes;
}

function meanBytes(calls: readonly CosmosCall[]): number {
  return calls.reduce((sum, call) => sum + itemBytes(call), 0) / calls.length;
}

function statusCounts(calls: readonly CosmosCall[]): string {
  const counts = new Map<number, number>();
  for (const call of calls) counts.set(call.status, (counts.get(call.status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${status}×${count}`).join(', ');
}
