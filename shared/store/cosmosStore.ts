import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import {
  CosmosClient,
  type Container,
  type ItemDefinition,
  type JSONObject,
  type OperationInput,
  type SqlParameter,
  type SqlQuerySpec,
} from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import type { AuditDigest, DigestHead } from '../domain/auditDigest';
import { entityLockKeys, heldEntityLocks } from '../domain/entityLock';
import { BOOTSTRAP_POLICY_ID } from '../domain/policy';
import { searchTargetId, searchTargetIds } from '../domain/requestSearch';
import {
  CLOSED_STATUSES,
  type AccessPolicy,
  type ApprovalRequest,
  type AuditRecord,
  type ProfileType,
  type TrailHead,
} from '../domain/model';
import {
  decodeAuditPosition,
  decodeAuditTimePosition,
  decodeNewestFirst,
  encodeAuditTimePosition,
  encodeAuditPosition,
  encodeNewestFirst,
  pageSize,
  toPage,
} from './continuationToken';
import {
  AUDIT_CONTAINER,
  CHECKPOINT_PARTITION,
  CHECKPOINTS_CONTAINER,
  IDEMPOTENCY_CONTAINER,
  LINKS_CONTAINER,
  LOCKS_CONTAINER,
  POLICIES_CONTAINER,
  POLICY_PARTITION,
  REQUESTS_CONTAINER,
} from './cosmosSchema';
import { headIsCurrent, staleStepVerdict } from './recordStep';
import { IDEMPOTENCY_KEY_TTL_SECONDS, linkIdRetentionSeconds } from './retention';
import { storeUnavailable } from './unavailable';
import {
  entityLockedError,
  isStoreError,
  stepHead,
  StoreError,
  withHead,
  type IdempotencyRecord,
  type Page,
  type AuditRange,
  type PageRequest,
  type RequestQuery,
  type RequestStep,
  type Store,
  type Tagged,
} from './store';

/** How to reach the account. */
export interface CosmosConnectionOptions {
  endpoint: string;
  /** Account key (emulators only). Without it the client authenticates with `DefaultAzureCredential`. */
  key?: string;
  /** HTTP agent for the client's connections, e.g. one that trusts a local emulator's certificate. */
  agent?: Agent;
}

/** What the adapter needs besides a client. */
export interface CosmosStoreOptions {
  database: string;
  /** Seconds a closed request stays in the read model; undefined keeps it forever. */
  closedRequestTtlSeconds?: number;
  /** The clock for lock claims, link retention and trail-head times; default the system clock. */
  now?: () => Date;
}

/**
 * A client for the store's account: key auth when a key is given (emulators), otherwise
 * `DefaultAzureCredential` (managed identity in Azure, developer credentials elsewhere).
 */
export function createCosmosClient(options: CosmosConnectionOptions): CosmosClient {
  return new CosmosClient({
    endpoint: options.endpoint,
    ...(options.key === undefined ? { aadCredentials: new DefaultAzureCredential() } : { key: options.key }),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
  });
}

// A lock whose holder request does not exist yet may belong to a create that is between writing
// the lock and writing its request: it is respected for this long, then taken over.
const LOCK_CLAIM_GRACE_MS = 60_000;

/** Attempts at taking a lock that keeps changing under us before answering `entity_locked`. */
const LOCK_ATTEMPTS = 5;

/** Operations a transactional batch may hold. */
const MAX_BATCH_OPERATIONS = 100;

/** Attempts at replacing a read model whose etag keeps changing before answering `precondition_failed`. */
const REPLACE_ATTEMPTS = 5;

type Stored<T> = T & { _etag: string };

type PolicyDocument = AccessPolicy & { partition: string };
/**
 * `headWrittenMs`: when a step last wrote the trail head (the writer's clock), for audit checkpoints.
 * `searchTargets`: the operation's resource ids as the `target` search compares them (lower-cased).
 */
type RequestDocument = ApprovalRequest & { ttl?: number; headWrittenMs?: number; searchTargets?: string[] };
type CheckpointDocument = AuditDigest & { id: string; partition: string };

interface LockDocument extends ItemDefinition {
  id: string;
  profileType: ProfileType;
  resourceId: string;
  requestId: string;
  claimedAt: string;
}

interface IdempotencyDocument extends ItemDefinition {
  id: string;
  record: IdempotencyRecord;
  ttl: number;
}

/**
 * A run of a step's audit records that share one `at`, as one item of the audit container, so a
 * step costs one write however many records it has (a step's records normally share its time; one
 * whose records carry several times is one item per run of equal `at`). `id` is the id of its LAST
 * record (`<requestId>:<seq as 6 digits>`), so the item that ends just before a step is found by id
 * whatever its shape; `seq` is its FIRST record's, so the container's unique key on `/seq` refuses
 * a second item starting at one position; `at` is every one of its records' `at`, so a time range
 * selects whole items by `at` alone. Trails written before hold one item per record (an
 * {@link AuditRecord} as is); both shapes are read side by side.
 */
interface RunDocument {
  id: string;
  requestId: string;
  seq: number;
  lastSeq: number;
  at: string;
  records: AuditRecord[];
}

/** An item of the audit container: a run of a step, or one record as trails were stored before. */
type AuditItem = RunDocument | AuditRecord;

/** The id of a record at `seq`, and of the item that ends with it. */
export function auditItemId(requestId: string, seq: number): string {
  return `${requestId}:${String(seq).padStart(6, '0')}`;
}

/** The records an audit item holds, either shape, without system properties. */
function recordsOf(item: AuditItem): AuditRecord[] {
  return 'records' in item && Array.isArray(item.records)
    ? item.records.map((record) => domainOf<AuditRecord>(record))
    : [domainOf<AuditRecord>(item)];
}

/**
 * The items of `records` (in `seq` order): one per run of consecutive positions that share one
 * `at`, a new one where a position is skipped or the time changes.
 */
function runDocuments(records: readonly AuditRecord[]): RunDocument[] {
  const runs: AuditRecord[][] = [];
  for (const record of records) {
    const run = runs[runs.length - 1];
    const previous = run?.[run.length - 1];
    if (run && previous!.seq === record.seq - 1 && previous!.at === record.at) run.push(record);
    else runs.push([record]);
  }
  return runs.map((run) => {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    return {
      id: auditItemId(first.requestId, last.seq),
      requestId: first.requestId,
      seq: first.seq,
      lastSeq: last.seq,
      at: first.at,
      records: run,
    };
  });
}

/** Properties the adapter adds to domain objects; never part of a returned value. */
const ADAPTER_PROPERTIES = new Set(['partition', 'ttl', 'headWrittenMs', 'searchTargets']);

/** The domain object inside a stored document: system (`_…`) and adapter properties removed. */
function domainOf<T>(document: object): T {
  const value: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(document)) {
    if (!name.startsWith('_') && !ADAPTER_PROPERTIES.has(name)) value[name] = property;
  }
  return value as T;
}

function taggedOf<T>(document: Stored<object>): Tagged<T> {
  return { value: domainOf<T>(document), etag: document._etag };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/**
 * Cosmos DB's answers that mean "not now" rather than "this call is wrong": 408 (timed out),
 * 429 (throttled; the SDK has already retried it for up to 30 s), 503 (service unavailable), 507
 * (out of storage), and failures to reach the account at all.
 */
const UNAVAILABLE_STATUSES = new Set([408, 429, 503, 507]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'TimeoutError',
]);

/** Classifies a failure of {@link CosmosStore} for {@link reportingUnavailable}. */
export function cosmosUnavailable(error: unknown): StoreError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = statusOf(error);
  if (status !== undefined && UNAVAILABLE_STATUSES.has(status)) {
    const retryAfterMs = (error as { retryAfterInMs?: unknown }).retryAfterInMs;
    const hint = typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs / 1000 : undefined;
    return hint === undefined ? storeUnavailable(error) : storeUnavailable(error, hint);
  }
  const code = (error as { code?: unknown; name?: unknown }).code ?? (error as { name?: unknown }).name;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code) ? storeUnavailable(error) : undefined;
}

/** Id of the one document {@link CosmosStore.probeWrite} replaces (no link id hashes to it). */
const PROBE_ID = 'write-probe';

/**
 * Whether a failed batch was refused for what it holds (a conflict fails it as a whole), rather
 * than for throttling or a service fault, which the caller's retries are for.
 */
function isRefusal(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
}

/** A document id for arbitrary text (ids may not contain `/ \ ? #`), stable for the same parts. */
function hashedId(kind: string, ...parts: string[]): string {
  return `${kind}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
}

function checkpointOf(document: CheckpointDocument): AuditDigest {
  const { id: _id, partition: _partition, ...rest } = domainOf<CheckpointDocument>(document);
  return rest;
}

function ifMatch(etag: string) {
  return { accessCondition: { type: 'IfMatch', condition: etag } };
}

/**
 * The lock documents of the request's entities (one, or one per device of a bulk action), keyed
 * as the domain keys locks (GUIDs case-insensitive), in sorted order: two bulk creates that share
 * devices take them in the same order, so one of them finds the first shared lock held.
 */
function lockIdsOf(request: ApprovalRequest): { lockId: string; resourceId: string }[] {
  return entityLockKeys(request.profileType, request.operation)
    .map((key) => ({ lockId: hashedId('lock', key), resourceId: key.slice(request.profileType.length + 1) }))
    .sort((a, b) => (a.lockId < b.lockId ? -1 : a.lockId > b.lockId ? 1 : 0));
}

/** `c.createdAt, c.id` strictly after the position, newest first. */
const AFTER_POSITION = '(c.createdAt < @afterCreatedAt OR (c.createdAt = @afterCreatedAt AND c.id < @afterId))';

/**
 * The query of a request list page over the requests container: the view's and the filters'
 * conditions, `limit` rows newest first, ordered so that a composite index of the schema serves it
 * (the equality-filtered paths lead the ORDER BY, in the schema's order); undefined when the view
 * can match nothing. Exported so that the request charge of each filter can be measured on an
 * account (`bench/searchCharges.ts`).
 */
export function requestListQuery(query: RequestQuery, limit: number): SqlQuerySpec | undefined {
  const conditions: string[] = [];
  const parameters: SqlParameter[] = [];
  // The equality-filtered paths, in the order of the schema's composite indexes.
  const equal = new Map<string, string>();
  const { view } = query;
  if (view.kind === 'mine') {
    if (query.initiatorId !== undefined && query.initiatorId !== view.initiatorId) return undefined;
    equal.set('c.initiator.id', view.initiatorId);
  } else if (view.kind === 'received') {
    const eligible: string[] = [];
    if (view.groupIds.length > 0) {
      eligible.push('EXISTS(SELECT VALUE g FROM g IN c.policy.approverGroupIds WHERE ARRAY_CONTAINS(@groupIds, g))');
      parameters.push({ name: '@groupIds', value: [...new Set(view.groupIds)] });
    }
    if (view.bootstrap) {
      eligible.push('c.policy.id = @bootstrapPolicyId');
      parameters.push({ name: '@bootstrapPolicyId', value: BOOTSTRAP_POLICY_ID });
    }
    if (eligible.length === 0) return undefined;
    conditions.push(
      eligible.length === 1 ? eligible[0]! : `(${eligible.join(' OR ')})`,
      'c.initiator.id != @principalId',
    );
    parameters.push({ name: '@principalId', value: view.principalId });
  }
  if (query.initiatorId !== undefined) equal.set('c.initiator.id', query.initiatorId);
  if (query.profileType !== undefined) equal.set('c.profileType', query.profileType);
  if (query.status !== undefined) equal.set('c.status', query.status);
  const orderBy: string[] = [];
  for (const [path, name] of [
    ['c.initiator.id', '@initiatorId'],
    ['c.profileType', '@profileType'],
    ['c.status', '@status'],
  ] as const) {
    const value = equal.get(path);
    if (value === undefined) continue;
    conditions.push(`${path} = ${name}`);
    parameters.push({ name, value });
    orderBy.push(path);
  }
  if (query.target !== undefined) {
    conditions.push('ARRAY_CONTAINS(c.searchTargets, @target)');
    parameters.push({ name: '@target', value: searchTargetId(query.target) });
  }
  if (query.createdFrom !== undefined) {
    conditions.push('c.createdAt >= @createdFrom');
    parameters.push({ name: '@createdFrom', value: query.createdFrom });
  }
  if (query.createdTo !== undefined) {
    conditions.push('c.createdAt < @createdTo');
    parameters.push({ name: '@createdTo', value: query.createdTo });
  }
  if (query.continuationToken !== undefined) {
    const position = decodeNewestFirst(query.continuationToken);
    conditions.push(AFTER_POSITION);
    parameters.push({ name: '@afterCreatedAt', value: position.createdAt }, { name: '@afterId', value: position.id });
  }
  // Equality-filtered paths lead the ORDER BY so that the matching composite index serves it.
  orderBy.push('c.createdAt DESC', 'c.id DESC');
  const whereClause = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return { query: `SELECT TOP ${limit} * FROM c ${whereClause} ORDER BY ${orderBy.join(', ')}`, parameters };
}

/**
 * The store on Azure Cosmos DB (NoSQL API), in the containers of `cosmosSchema.ts`.
 *
 * Invariants: etags are the documents' `_etag`, checked by the service (`IfMatch`), so a stale
 * write fails with `precondition_failed` however many instances run. The lifecycle of a request
 * (create with its lock, steps, reads) uses only point operations, transactional batches in one
 * trail's partition and single-partition queries; only the list views query across partitions.
 * A step is not atomic across containers: its records are written first, then the read model, so
 * a retried step completes one that was cut short between the two. The entity lock is a
 * document per `(profileType, resourceId)` written before the request: whoever creates it holds
 * it; a lock whose holder is closed (or never appeared) is taken over with `IfMatch`, so exactly
 * one of several racing creates wins. Every step writes the trail head into the read model after
 * its records, so after a crash between the two the head lags behind the trail (never ahead of it)
 * until the retried step writes it. A step's records are ONE audit item per run of equal `at`
 * (see {@link RunDocument}): normally one.
 * Closing a request releases its lock only while the lock still names it (read, then delete with
 * `IfMatch`), so a release however late never removes a lock another request has taken over; a
 * release that does not happen (a crash) leaves a lock whose holder is closed, which the next
 * create takes over at once.
 */
export class CosmosStore implements Store {
  private readonly policies: Container;
  private readonly requests: Container;
  private readonly audit: Container;
  private readonly locks: Container;
  private readonly idempotency: Container;
  private readonly links: Container;
  private readonly checkpoints: Container;
  private readonly now: () => Date;

  constructor(
    private readonly client: CosmosClient,
    private readonly options: CosmosStoreOptions,
  ) {
    const database = client.database(options.database);
    this.policies = database.container(POLICIES_CONTAINER.id);
    this.requests = database.container(REQUESTS_CONTAINER.id);
    this.audit = database.container(AUDIT_CONTAINER.id);
    this.locks = database.container(LOCKS_CONTAINER.id);
    this.idempotency = database.container(IDEMPOTENCY_CONTAINER.id);
    this.links = database.container(LINKS_CONTAINER.id);
    this.checkpoints = database.container(CHECKPOINTS_CONTAINER.id);
    this.now = options.now ?? (() => new Date());
  }

  async ping(): Promise<void> {
    await this.client.database(this.options.database).read();
  }

  async probeWrite(): Promise<void> {
    // A small document is enough here (a full partition, throttling or an outage refuses any
    // write) and costs a few RU. In the links container: partitioned by id and with TTL on, so
    // the probe expires on its own.
    await this.links.items.upsert({ id: PROBE_ID, ttl: 3600, at: this.now().toISOString() });
  }

  async close(): Promise<void> {
    this.client.dispose();
  }

  async getPolicy(id: string): Promise<Tagged<AccessPolicy> | undefined> {
    const { resource } = await this.policies.item(id, POLICY_PARTITION).read<Stored<PolicyDocument>>();
    return resource && taggedOf<AccessPolicy>(resource);
  }

  async findPolicyByProfileType(profileType: ProfileType): Promise<Tagged<AccessPolicy> | undefined> {
    const [found] = await this.query<Stored<PolicyDocument>>(
      this.policies,
      {
        query: 'SELECT * FROM c WHERE c.partition = @partition AND c.profileType = @profileType',
        parameters: [
          { name: '@partition', value: POLICY_PARTITION },
          { name: '@profileType', value: profileType },
        ],
      },
      POLICY_PARTITION,
    );
    return found && taggedOf<AccessPolicy>(found);
  }

  async listPolicies(page: PageRequest): Promise<Page<AccessPolicy>> {
    const top = pageSize(page.top);
    const conditions = ['c.partition = @partition'];
    const parameters: SqlParameter[] = [{ name: '@partition', value: POLICY_PARTITION }];
    if (page.continuationToken !== undefined) {
      const position = decodeNewestFirst(page.continuationToken);
      conditions.push(AFTER_POSITION);
      parameters.push({ name: '@afterCreatedAt', value: position.createdAt }, { name: '@afterId', value: position.id });
    }
    const rows = await this.query<Stored<PolicyDocument>>(
      this.policies,
      {
        query: `SELECT TOP ${top + 1} * FROM c WHERE ${conditions.join(' AND ')} ORDER BY c.createdAt DESC, c.id DESC`,
        parameters,
      },
      POLICY_PARTITION,
    );
    const result = toPage(rows, top, (last) => encodeNewestFirst(last));
    return { ...result, items: result.items.map((row) => domainOf<AccessPolicy>(row)) };
  }

  async createPolicy(policy: AccessPolicy): Promise<Tagged<AccessPolicy>> {
    try {
      const { resource } = await this.policies.items.create<PolicyDocument>({ ...policy, partition: POLICY_PARTITION });
      return { value: policy, etag: (resource as Stored<PolicyDocument>)._etag };
    } catch (error) {
      if (statusOf(error) === 409) {
        throw new StoreError(
          'conflict',
          `policy ${policy.id} exists, or another policy protects ${policy.profileType}`,
        );
      }
      throw error;
    }
  }

  async replacePolicy(policy: AccessPolicy, etag: string): Promise<Tagged<AccessPolicy>> {
    try {
      const { resource } = await this.policies
        .item(policy.id, POLICY_PARTITION)
        .replace<PolicyDocument>({ ...policy, partition: POLICY_PARTITION }, ifMatch(etag));
      return { value: policy, etag: (resource as Stored<PolicyDocument>)._etag };
    } catch (error) {
      throw this.writeError(error, `policy ${policy.id}`, `another policy protects ${policy.profileType}`);
    }
  }

  async deletePolicy(id: string, etag: string): Promise<void> {
    try {
      await this.policies.item(id, POLICY_PARTITION).delete(ifMatch(etag));
    } catch (error) {
      throw this.writeError(error, `policy ${id}`);
    }
  }

  async createRequest(request: ApprovalRequest): Promise<Tagged<ApprovalRequest>> {
    const locks = heldEntityLocks(request).length > 0 ? lockIdsOf(request) : [];
    const taken: string[] = [];
    try {
      for (const { lockId, resourceId } of locks) {
        await this.takeLock(lockId, resourceId, request);
        taken.push(lockId);
      }
    } catch (error) {
      // All or nothing: the locks taken before the one refused are released.
      for (const lockId of taken) await this.releaseLock(lockId, request.id);
      if (isStoreError(error, 'entity_locked') && request.operation.resourceIds !== undefined)
        throw entityLockedError(request, await this.devicesHeldByOthers(request));
      throw error;
    }
    try {
      const { resource } = await this.requests.items.create<RequestDocument>(this.requestDocument(request));
      return { value: request, etag: (resource as Stored<RequestDocument>)._etag };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      const { resource: existing } = await this.requests.item(request.id, request.id).read<RequestDocument>();
      if (existing) {
        const kept = new Set(lockIdsOf(existing).map((lock) => lock.lockId));
        for (const lockId of taken) if (!kept.has(lockId)) await this.releaseLock(lockId, request.id);
      }
      throw new StoreError('conflict', `request ${request.id} exists`);
    }
  }

  async getRequest(id: string): Promise<Tagged<ApprovalRequest> | undefined> {
    const { resource } = await this.requests.item(id, id).read<Stored<RequestDocument>>();
    return resource && taggedOf<ApprovalRequest>(resource);
  }

  async listRequests(query: RequestQuery): Promise<Page<ApprovalRequest>> {
    const top = pageSize(query.top);
    const spec = requestListQuery(query, top + 1);
    if (spec === undefined) return { items: [] };
    const rows = await this.query<Stored<RequestDocument>>(this.requests, spec);
    const result = toPage(rows, top, (last) => encodeNewestFirst(last));
    return { ...result, items: result.items.map((row) => domainOf<ApprovalRequest>(row)) };
  }

  async recordStep(step: RequestStep): Promise<string | undefined> {
    await this.appendRecords(step.records);
    const head = stepHead(step.records);
    if (step.request)
      return this.replaceRequest({ value: withHead(step.request.value, head), etag: step.request.etag }, head.seq);
    return this.advanceHead(step.records[0]!.requestId, head);
  }

  async listAudit(requestId: string, page: PageRequest): Promise<Page<AuditRecord>> {
    const top = pageSize(page.top);
    const after = page.continuationToken === undefined ? -1 : decodeAuditPosition(page.continuationToken);
    const parameters = [
      { name: '@requestId', value: requestId },
      { name: '@after', value: after },
    ];
    // Every item holds at least one record, so top + 1 items hold at least top + 1 records.
    const items = await this.query<Stored<AuditItem>>(
      this.audit,
      {
        query: `SELECT TOP ${top + 1} * FROM c WHERE c.requestId = @requestId AND c.seq > @after ORDER BY c.seq ASC`,
        parameters,
      },
      requestId,
    );
    if (after >= 0) {
      // A page may end inside a step: the item that starts at or before the position may hold more.
      const [straddling] = await this.query<Stored<AuditItem>>(
        this.audit,
        {
          query: 'SELECT TOP 1 * FROM c WHERE c.requestId = @requestId AND c.seq <= @after ORDER BY c.seq DESC',
          parameters,
        },
        requestId,
      );
      if (straddling) items.unshift(straddling);
    }
    const rows = items
      .flatMap(recordsOf)
      .filter((record) => record.seq > after)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, top + 1);
    return toPage(rows, top, (last) => encodeAuditPosition(last.seq));
  }

  async auditRecordAt(requestId: string, seq: number): Promise<AuditRecord | undefined> {
    // The item that starts at or before `seq` is the one that holds it, if any does: items hold
    // runs of consecutive positions and never overlap (the unique key on `/seq`, each step created
    // on top of its predecessor). One single-partition query, served by the range indexes on
    // `/requestId` and `/seq` (the straddling item of `listAudit` is read the same way).
    const [item] = await this.query<Stored<AuditItem>>(
      this.audit,
      {
        query: 'SELECT TOP 1 * FROM c WHERE c.requestId = @requestId AND c.seq <= @seq ORDER BY c.seq DESC',
        parameters: [
          { name: '@requestId', value: requestId },
          { name: '@seq', value: seq },
        ],
      },
      requestId,
    );
    return item === undefined ? undefined : recordsOf(item).find((record) => record.seq === seq);
  }

  async listAuditByTime(range: AuditRange, page: PageRequest): Promise<Page<AuditRecord>> {
    const top = pageSize(page.top);
    // Every record of an item has the item's `at` (see RunDocument), so items in (at, requestId,
    // seq) order hold the records in that order: the first top + 1 items in the range after the
    // position hold the first top + 1 records after it (each holds at least one), together with
    // the rest of the item that holds the position (a page may end inside an item).
    const conditions = ['c.at >= @from', 'c.at < @to'];
    const parameters: SqlParameter[] = [
      { name: '@from', value: range.from },
      { name: '@to', value: range.to },
    ];
    const position = page.continuationToken === undefined ? undefined : decodeAuditTimePosition(page.continuationToken);
    if (position !== undefined) {
      conditions.push(
        '(c.at > @afterAt OR (c.at = @afterAt AND (c.requestId > @afterRequestId OR (c.requestId = @afterRequestId AND c.seq > @afterSeq))))',
      );
      parameters.push(
        { name: '@afterAt', value: position.at },
        { name: '@afterRequestId', value: position.requestId },
        { name: '@afterSeq', value: position.seq },
      );
    }
    // Cross-partition (a range spans trails), ordered by the `(at, requestId, seq)` composite index.
    const items = await this.query<Stored<AuditItem>>(this.audit, {
      query: `SELECT TOP ${top + 1} * FROM c WHERE ${conditions.join(' AND ')} ORDER BY c.at ASC, c.requestId ASC, c.seq ASC`,
      parameters,
    });
    if (position !== undefined) {
      const [straddling] = await this.query<Stored<AuditItem>>(
        this.audit,
        {
          query: 'SELECT TOP 1 * FROM c WHERE c.requestId = @requestId AND c.seq <= @after ORDER BY c.seq DESC',
          parameters: [
            { name: '@requestId', value: position.requestId },
            { name: '@after', value: position.seq },
          ],
        },
        position.requestId,
      );
      if (straddling) items.unshift(straddling);
    }
    const rows = items
      .flatMap(recordsOf)
      .filter((record) => record.at >= range.from && record.at < range.to)
      .filter((record) => position === undefined || compareAuditTime(record, position) > 0)
      .sort(compareAuditTime)
      .slice(0, top + 1);
    return toPage(rows, top, (last) =>
      encodeAuditTimePosition({ at: last.at, requestId: last.requestId, seq: last.seq }),
    );
  }

  async listTrailHeadsSince(since: string): Promise<DigestHead[]> {
    const rows = await this.query<{ id: string; trail?: TrailHead }>(this.requests, {
      query: 'SELECT c.id, c.trail FROM c WHERE c.headWrittenMs >= @since',
      parameters: [{ name: '@since', value: Date.parse(since) }],
    });
    return rows.flatMap((row) =>
      row.trail === undefined ? [] : [{ requestId: row.id, seq: row.trail.seq, hash: row.trail.hash }],
    );
  }

  async listTrailIds(): Promise<string[]> {
    // Every record's request id, de-duplicated here: a full scan, which only verification runs.
    const ids = await this.query<string>(this.audit, { query: 'SELECT VALUE c.requestId FROM c' });
    return [...new Set(ids)].sort();
  }

  async appendCheckpoint(digest: AuditDigest): Promise<void> {
    const document: CheckpointDocument = {
      ...digest,
      id: String(digest.sequence).padStart(12, '0'),
      partition: CHECKPOINT_PARTITION,
    };
    try {
      await this.checkpoints.items.create(document);
    } catch (error) {
      if (statusOf(error) === 409) throw new StoreError('conflict', `audit checkpoint ${digest.sequence} exists`);
      throw error;
    }
  }

  async listCheckpoints(afterSequence: number, top: number): Promise<AuditDigest[]> {
    const rows = await this.query<CheckpointDocument>(
      this.checkpoints,
      {
        query: `SELECT TOP ${pageSize(top)} * FROM c WHERE c.partition = @partition AND c.sequence > @after ORDER BY c.sequence ASC`,
        parameters: [
          { name: '@partition', value: CHECKPOINT_PARTITION },
          { name: '@after', value: afterSequence },
        ],
      },
      CHECKPOINT_PARTITION,
    );
    return rows.map(checkpointOf);
  }

  async latestCheckpoint(): Promise<AuditDigest | undefined> {
    const [row] = await this.query<CheckpointDocument>(
      this.checkpoints,
      {
        query: 'SELECT TOP 1 * FROM c WHERE c.partition = @partition ORDER BY c.sequence DESC',
        parameters: [{ name: '@partition', value: CHECKPOINT_PARTITION }],
      },
      CHECKPOINT_PARTITION,
    );
    return row && checkpointOf(row);
  }

  async putIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord> {
    const id = hashedId('idempotency', record.principalId, record.key);
    // Two rounds: a stored key can expire between the refused create and the read.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await this.idempotency.items.create<IdempotencyDocument>({ id, record, ttl: IDEMPOTENCY_KEY_TTL_SECONDS });
        return record;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
      const { resource } = await this.idempotency.item(id, id).read<IdempotencyDocument>();
      if (resource) return resource.record;
    }
    throw new StoreError('conflict', `idempotency key ${record.key} is being written concurrently`);
  }

  async consumeLinkId(linkId: string, expiresAt: string): Promise<boolean> {
    const id = hashedId('link', linkId);
    try {
      await this.links.items.create({ id, expiresAt, ttl: linkIdRetentionSeconds(expiresAt, this.now().getTime()) });
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
  }

  /**
   * Appends a step's records as its audit items (see {@link RunDocument}; normally one). A first
   * step of one item is a plain create; any other step is a transactional batch that reads the item
   * ending just before the step (unless it is the first) and creates the step's items, so it
   * commits only on top of its predecessor, all or nothing, in one round trip. Anything else (a
   * retried step, a step written before its predecessor, a trail of older one-record items, another
   * record at a stored position) takes {@link appendSlowly}. Items never overlap: one that starts
   * inside a stored item has no predecessor and is compared; one that starts or ends where a stored
   * item does is refused by the unique key or the id. The one case the batch does not see is an
   * item stored ahead of a gap inside the new step's range, which only a writer that skips
   * positions leaves (the orchestration writes each step after the last).
   */
  private async appendRecords(records: AuditRecord[]): Promise<void> {
    const requestId = records[0]!.requestId;
    const documents = runDocuments(records);
    const first = records[0]!.seq;
    if (first === 0 && documents.length === 1) {
      try {
        await this.audit.items.create(documents[0]!);
        return;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    } else if (documents.length < MAX_BATCH_OPERATIONS) {
      const operations: OperationInput[] = [
        ...(first === 0
          ? []
          : [{ operationType: 'Read' as const, id: auditItemId(requestId, first - 1), partitionKey: requestId }]),
        // A run document is plain JSON; its interface just lacks the SDK type's index signature.
        ...documents.map((document) => ({
          operationType: 'Create' as const,
          resourceBody: document as unknown as JSONObject,
        })),
      ];
      let statuses: number[];
      try {
        const { result } = await this.audit.items.batch(operations, requestId);
        statuses = (result ?? []).map((operation) => operation.statusCode);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        statuses = [statusOf(error) ?? 400];
      }
      if (statuses.length === operations.length && statuses.every((status) => status < 400)) return;
      const unavailable = statuses.find((status) => UNAVAILABLE_STATUSES.has(status) || status >= 500);
      if (unavailable !== undefined)
        throw Object.assign(new Error(`the audit batch of ${requestId} answered ${unavailable}`), {
          code: unavailable,
        });
    }
    await this.appendSlowly(records);
  }

  /**
   * Compares the step with what the trail holds at its positions (either item shape): a different
   * record at any of them is `audit_mismatch`; the records not stored yet are created, each run of
   * consecutive positions with one `at` as one item. A concurrent writer that gets in between is
   * met on the next round.
   */
  private async appendSlowly(records: AuditRecord[]): Promise<void> {
    const requestId = records[0]!.requestId;
    const first = records[0]!.seq;
    const last = records[records.length - 1]!.seq;
    for (let attempt = 0; attempt < REPLACE_ATTEMPTS; attempt += 1) {
      // Items that start after the step cannot hold its records; an item starting before it may.
      const items = await this.query<Stored<AuditItem>>(
        this.audit,
        {
          query: 'SELECT * FROM c WHERE c.requestId = @requestId AND c.seq <= @last',
          parameters: [
            { name: '@requestId', value: requestId },
            { name: '@last', value: last },
          ],
        },
        requestId,
      );
      const stored = new Map<number, AuditRecord>();
      for (const item of items)
        for (const record of recordsOf(item)) if (record.seq >= first) stored.set(record.seq, record);
      const missing: AuditRecord[] = [];
      for (const record of records) {
        const held = stored.get(record.seq);
        if (held === undefined) missing.push(record);
        else if (held.id !== record.id || held.hash !== record.hash)
          throw new StoreError('audit_mismatch', `another record is stored as ${record.id} (or at seq ${record.seq})`);
      }
      if (missing.length === 0) return;
      try {
        for (const document of runDocuments(missing)) await this.audit.items.create(document);
        return;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    }
    throw new StoreError('audit_mismatch', `the trail of ${requestId} kept changing at seq ${first}..${last}`);
  }

  /**
   * The read model of a step whose newest record is `newestSeq` (see {@link Store.recordStep}):
   * replaced under the given etag with no read first; when that etag is stale, left alone if it
   * already shows this step or a later one, otherwise replaced over the version just read.
   */
  private async replaceRequest(request: Tagged<ApprovalRequest>, newestSeq: number): Promise<string> {
    const { value } = request;
    const item = this.requests.item(value.id, value.id);
    let etag = request.etag;
    for (let attempt = 0; attempt < REPLACE_ATTEMPTS; attempt += 1) {
      try {
        const { resource } = await item.replace<RequestDocument>(this.requestDocument(value, true), ifMatch(etag));
        // A completed request's execution is recorded by a later step; the locks went with the first.
        if (CLOSED_STATUSES.has(value.status) && value.execution === undefined)
          for (const { lockId } of lockIdsOf(value)) await this.releaseLock(lockId, value.id);
        return (resource as Stored<RequestDocument>)._etag;
      } catch (error) {
        if (statusOf(error) !== 412) throw this.writeError(error, `request ${value.id}`);
      }
      const { resource: stored } = await item.read<Stored<RequestDocument>>();
      if (!stored) throw new StoreError('not_found', `request ${value.id} has no read model`);
      const current = domainOf<ApprovalRequest>(stored);
      let verdict = staleStepVerdict(current, value);
      if (verdict === 'readTrail')
        verdict = staleStepVerdict(current, value, await this.hasRecordAfter(value.id, newestSeq));
      if (verdict === 'keep') return stored._etag;
      etag = stored._etag;
    }
    throw new StoreError('precondition_failed', `request ${value.id} kept changing while it was written`);
  }

  /**
   * Moves the head of a read model forward to `head` (never back) and answers its etag after that;
   * undefined when the request has no read model.
   */
  private async advanceHead(requestId: string, head: TrailHead): Promise<string | undefined> {
    const item = this.requests.item(requestId, requestId);
    for (let attempt = 0; attempt < REPLACE_ATTEMPTS; attempt += 1) {
      const { resource: stored } = await item.read<Stored<RequestDocument>>();
      if (!stored) return undefined;
      const value = domainOf<ApprovalRequest>(stored);
      if (headIsCurrent(value, head)) return stored._etag;
      try {
        const { resource } = await item.replace<RequestDocument>(
          this.requestDocument(withHead(value, head), true),
          ifMatch(stored._etag),
        );
        return (resource as Stored<RequestDocument>)._etag;
      } catch (error) {
        if (statusOf(error) !== 412) throw this.writeError(error, `request ${requestId}`);
      }
    }
    throw new StoreError('precondition_failed', `request ${requestId} kept changing while its trail head was written`);
  }

  /** Whether the trail holds a record after `seq`: the item that starts last ends the trail. */
  private async hasRecordAfter(requestId: string, seq: number): Promise<boolean> {
    const [last] = await this.query<{ seq: number; lastSeq?: number }>(
      this.audit,
      {
        query: 'SELECT TOP 1 c.seq, c.lastSeq FROM c WHERE c.requestId = @requestId ORDER BY c.seq DESC',
        parameters: [{ name: '@requestId', value: requestId }],
      },
      requestId,
    );
    return last !== undefined && (last.lastSeq ?? last.seq) > seq;
  }

  /** The stored document of `request`; `headWritten` stamps it as writing the trail head now. */
  private requestDocument(request: ApprovalRequest, headWritten = false): RequestDocument {
    const ttl = this.options.closedRequestTtlSeconds;
    return {
      ...request,
      searchTargets: searchTargetIds(request.operation),
      ...(ttl !== undefined && CLOSED_STATUSES.has(request.status) ? { ttl } : {}),
      ...(headWritten ? { headWrittenMs: this.now().getTime() } : {}),
    };
  }

  /** The devices of bulk `request` whose locks another open request holds now (for the refusal's message). */
  private async devicesHeldByOthers(request: ApprovalRequest): Promise<string[]> {
    const held: string[] = [];
    for (const { lockId, resourceId } of lockIdsOf(request)) {
      const { resource: lock } = await this.locks.item(lockId, lockId).read<Stored<LockDocument>>();
      if (lock && lock.requestId !== request.id && (await this.holderStillHolds(lock))) held.push(resourceId);
    }
    return held;
  }

  private async takeLock(lockId: string, resourceId: string, request: ApprovalRequest): Promise<void> {
    const lock = this.locks.item(lockId, lockId);
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt += 1) {
      const claim: LockDocument = {
        id: lockId,
        profileType: request.profileType,
        resourceId,
        requestId: request.id,
        claimedAt: this.now().toISOString(),
      };
      try {
        await this.locks.items.create(claim);
        return;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
      const { resource: held } = await lock.read<Stored<LockDocument>>();
      if (!held) continue;
      // A retried create of the same request already holds it.
      if (held.requestId === request.id) return;
      if (await this.holderStillHolds(held)) throw entityLockedError(request);
      try {
        await lock.replace(claim, ifMatch(held._etag));
        return;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 404 && status !== 412) throw error;
      }
    }
    throw entityLockedError(request);
  }

  private async holderStillHolds(lock: LockDocument): Promise<boolean> {
    const { resource: holder } = await this.requests.item(lock.requestId, lock.requestId).read<RequestDocument>();
    if (holder) {
      // A holder of another entity is a create that was refused for its id after taking this lock.
      return heldEntityLocks(holder).some((held) => hashedId('lock', held) === lock.id);
    }
    return this.now().getTime() - Date.parse(lock.claimedAt) < LOCK_CLAIM_GRACE_MS;
  }

  /**
   * Deletes the lock `lockId` if `requestId` still holds it: read, then delete under the etag read,
   * so a release delayed past another request's takeover (throttling retries, a pause, a bulk
   * close working through many locks) fails with 412 instead of deleting that request's lock. A
   * patch with a condition on `requestId` would save the read but cost a write, more than the read
   * and the delete together.
   */
  private async releaseLock(lockId: string, requestId: string): Promise<void> {
    const lock = this.locks.item(lockId, lockId);
    try {
      const { resource: held } = await lock.read<Stored<LockDocument>>();
      if (held?.requestId === requestId) await lock.delete(ifMatch(held._etag));
    } catch {
      // Best effort: the replace that closed the request has committed, and a lock left behind
      // names a closed holder, which the next create of that entity takes over.
    }
  }

  private async query<T>(container: Container, spec: SqlQuerySpec, partitionKey?: string): Promise<T[]> {
    const { resources } = await container.items
      .query<T>(spec, partitionKey === undefined ? {} : { partitionKey })
      .fetchAll();
    return resources;
  }

  private writeError(error: unknown, what: string, conflict = `${what} conflicts with another item`): unknown {
    switch (statusOf(error)) {
      case 404:
        return new StoreError('not_found', `${what} does not exist`);
      case 409:
        return new StoreError('conflict', conflict);
      case 412:
        return new StoreError('precondition_failed', `${what} was changed since it was read`);
      default:
        return error;
    }
  }
}

/** The order of a time-range export: `at`, then `requestId`, then `seq`. */
function compareAuditTime(
  a: Pick<AuditRecord, 'at' | 'requestId' | 'seq'>,
  b: Pick<AuditRecord, 'at' | 'requestId' | 'seq'>,
): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.requestId !== b.requestId) return a.requestId < b.requestId ? -1 : 1;
  return a.seq - b.seq;
}
