import type { CosmosClient, IndexingPolicy } from '@azure/cosmos';

/**
 * The Cosmos DB containers of the store, as data: the adapter, {@link ensureCosmosSchema} and the
 * infrastructure templates all follow these definitions (a consistency test compares them).
 *
 * Every container indexes only the paths its queries filter or sort on (`/*` excluded), and has a
 * composite index for each `ORDER BY` it runs. `defaultTtl: -1` means "items never expire unless
 * they carry their own `ttl`"; without a container default, item TTLs would be ignored.
 */
export interface CosmosContainerSpec {
  readonly id: string;
  readonly partitionKeyPath: string;
  /** Unique keys are enforced within one logical partition. */
  readonly uniqueKeyPaths: readonly (readonly string[])[];
  readonly indexingPolicy: IndexingPolicy;
  /** Container default TTL in seconds; -1 enables per-item `ttl` without expiring anything else. */
  readonly defaultTtl?: number;
}

/** Constant partition key value of every policy document (see {@link POLICIES_CONTAINER}). */
export const POLICY_PARTITION = 'policies';

const newestFirst = [
  { path: '/createdAt', order: 'descending' },
  { path: '/id', order: 'descending' },
] as const;

function onlyPaths(
  paths: readonly string[],
  compositeIndexes: IndexingPolicy['compositeIndexes'] = [],
): IndexingPolicy {
  return {
    indexingMode: 'consistent',
    automatic: true,
    includedPaths: paths.map((path) => ({ path })),
    excludedPaths: [{ path: '/*' }],
    compositeIndexes,
  };
}

/**
 * Access policies, all in ONE logical partition (`/partition` = {@link POLICY_PARTITION}). There
 * are at most one per profile type (a dozen documents), and unique keys only hold within a
 * logical partition: a single partition lets the unique key on `/profileType` enforce "one policy
 * per profile type" atomically, on create and on a replace that changes the profile type. Point
 * reads by id and the lookup by profile type stay single-partition.
 */
export const POLICIES_CONTAINER: CosmosContainerSpec = {
  id: 'policies',
  partitionKeyPath: '/partition',
  uniqueKeyPaths: [['/profileType']],
  indexingPolicy: onlyPaths(['/profileType/?', '/createdAt/?', '/id/?'], [[...newestFirst]]),
};

/**
 * The request read model, one document per request (`/id`): every lifecycle write is a point
 * operation. The list views are cross-partition queries ordered newest first; each filter
 * combination has its composite index (an equality filter is served by a composite index that
 * starts with the filtered path, so those queries also order by it).
 */
export const REQUESTS_CONTAINER: CosmosContainerSpec = {
  id: 'requests',
  partitionKeyPath: '/id',
  uniqueKeyPaths: [],
  indexingPolicy: onlyPaths(
    [
      '/status/?',
      '/createdAt/?',
      '/id/?',
      '/initiator/id/?',
      '/profileType/?',
      '/policy/approverGroupIds/[]/?',
      '/policy/id/?',
      '/headWrittenMs/?',
      // The `target` search: the operation's resource ids, lower-cased, written by the adapter.
      '/searchTargets/[]/?',
    ],
    [
      [...newestFirst],
      // One per combination of equality filters (initiator, profile type, status), in that order.
      ...equalityPrefixes(['/initiator/id', '/profileType', '/status']).map((paths) => [
        ...paths.map((path) => ({ path, order: 'ascending' as const })),
        ...newestFirst,
      ]),
      // The operators' stuck list pages open requests oldest first.
      [
        { path: '/createdAt', order: 'ascending' },
        { path: '/id', order: 'ascending' },
      ],
    ],
  ),
  defaultTtl: -1,
};

/**
 * Every non-empty subsequence of `paths`, keeping their order: the equality filters a request list
 * may combine, each served by the composite index that starts with exactly those paths.
 */
export function equalityPrefixes(paths: readonly string[]): string[][] {
  const result: string[][] = [];
  for (let mask = 1; mask < 1 << paths.length; mask += 1)
    result.push(paths.filter((_, index) => (mask & (1 << index)) !== 0));
  return result;
}

/**
 * The audit trail: a request's trail is ONE logical partition (`/requestId`). A step's records are
 * ONE item per run of records with one `at`, normally one (`{ id, requestId, seq, lastSeq, at,
 * records }`: `id` the last record's id, `seq` the first record's), created by a point write or a
 * transactional batch that also reads the item before it; trails written before hold one item per
 * record (`seq` its own). Reading a trail is a
 * single-partition query by `seq`. The unique key on `/seq` refuses a second item starting at the
 * same position. The record at a position (and the item a page of the trail starts inside) is in
 * the item with the highest `seq` at or before it: `TOP 1 … ORDER BY c.seq DESC` in the trail's
 * partition, served by the range index on `/seq` (an `ORDER BY` on one path needs no composite
 * index). Records never expire.
 */
export const AUDIT_CONTAINER: CosmosContainerSpec = {
  id: 'audit',
  partitionKeyPath: '/requestId',
  uniqueKeyPaths: [['/seq']],
  // `/at` with its composite index serves the export of a time range across trails.
  indexingPolicy: onlyPaths(
    ['/requestId/?', '/seq/?', '/lastSeq/?', '/at/?'],
    [
      [
        { path: '/at', order: 'ascending' },
        { path: '/requestId', order: 'ascending' },
        { path: '/seq', order: 'ascending' },
      ],
    ],
  ),
};

/** Constant partition key value of every audit checkpoint (see {@link CHECKPOINTS_CONTAINER}). */
export const CHECKPOINT_PARTITION = 'checkpoints';

/**
 * Audit checkpoints (signed digests of trail heads), all in ONE logical partition (`/partition` =
 * {@link CHECKPOINT_PARTITION}): one document an hour, read in sequence order by single-partition
 * queries; the unique key on `/sequence` refuses a second digest with the same number. Never expire.
 */
export const CHECKPOINTS_CONTAINER: CosmosContainerSpec = {
  id: 'checkpoints',
  partitionKeyPath: '/partition',
  uniqueKeyPaths: [['/sequence']],
  indexingPolicy: onlyPaths(['/sequence/?']),
};

/**
 * Entity locks: one document per `(profileType, resourceId)` that has (or had) an open request
 * (a bulk device action holds one per device, taken in sorted order),
 * naming its holder. Only point operations; nothing is queried.
 */
export const LOCKS_CONTAINER: CosmosContainerSpec = {
  id: 'locks',
  partitionKeyPath: '/id',
  uniqueKeyPaths: [],
  indexingPolicy: onlyPaths([]),
};

/** Idempotency keys of submits; each item carries a `ttl`. Only point operations. */
export const IDEMPOTENCY_CONTAINER: CosmosContainerSpec = {
  id: 'idempotency',
  partitionKeyPath: '/id',
  uniqueKeyPaths: [],
  indexingPolicy: onlyPaths([]),
  defaultTtl: -1,
};

/** Consumed approval-link ids; each item carries a `ttl` past the link's expiry. Only point operations. */
export const LINKS_CONTAINER: CosmosContainerSpec = {
  id: 'links',
  partitionKeyPath: '/id',
  uniqueKeyPaths: [],
  indexingPolicy: onlyPaths([]),
  defaultTtl: -1,
};

/** Every container of the store database. */
export const COSMOS_CONTAINERS: readonly CosmosContainerSpec[] = [
  POLICIES_CONTAINER,
  REQUESTS_CONTAINER,
  AUDIT_CONTAINER,
  LOCKS_CONTAINER,
  IDEMPOTENCY_CONTAINER,
  LINKS_CONTAINER,
  CHECKPOINTS_CONTAINER,
];

/** The part of the store configuration the schema needs. */
export interface CosmosSchemaConfig {
  readonly database: string;
}

/**
 * Creates the database and any missing container (for emulators and tests; in Azure the
 * infrastructure templates create them). Existing containers are left as they are.
 */
export async function ensureCosmosSchema(client: CosmosClient, config: CosmosSchemaConfig): Promise<void> {
  const { database } = await client.databases.createIfNotExists({ id: config.database });
  for (const spec of COSMOS_CONTAINERS) {
    await database.containers.createIfNotExists({
      id: spec.id,
      partitionKey: { paths: [spec.partitionKeyPath] },
      uniqueKeyPolicy: { uniqueKeys: spec.uniqueKeyPaths.map((paths) => ({ paths: [...paths] })) },
      indexingPolicy: spec.indexingPolicy,
      ...(spec.defaultTtl === undefined ? {} : { defaultTtl: spec.defaultTtl }),
    });
  }
}
