import type { AuditDigest, DigestHead } from '../domain/auditDigest';
import type {
  AccessPolicy,
  ApprovalRequest,
  AuditRecord,
  ProfileType,
  RequestStatus,
  TrailHead,
} from '../domain/model';

/** A page of results; `continuationToken` is present when there are more. */
export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

/** Paging input shared by every list. */
export interface PageRequest {
  /** 1..100 */
  top: number;
  continuationToken?: string;
}

/** A stored item with its optimistic-concurrency tag. */
export interface Tagged<T> {
  value: T;
  etag: string;
}

/** Which requests a list shows. */
export type RequestView =
  | { kind: 'mine'; initiatorId: string }
  /**
   * Requests the caller may decide on: one of `groupIds` approves them (or, with `bootstrap`, they
   * are policy changes under the bootstrap rule, which any other policy admin decides), and the
   * caller did not initiate them.
   */
  | { kind: 'received'; principalId: string; groupIds: string[]; bootstrap: boolean }
  | { kind: 'all' };

/**
 * Search filters of a request list; every filter given must match. Both adapters serve each from
 * an index (see docs/api.md for the Cosmos DB request units of each).
 */
export interface RequestFilters {
  status?: RequestStatus;
  profileType?: ProfileType;
  /** The initiator's principal id (exact). */
  initiatorId?: string;
  /** A resource id the operation targets: its `resourceId` or one of its `resourceIds` (case-insensitive). */
  target?: string;
  /** RFC 3339: requests created at or after it. */
  createdFrom?: string;
  /** RFC 3339: requests created before it. */
  createdTo?: string;
}

/** A time range of audit records, by their `at`: RFC 3339 instants as the records carry them (UTC, `Z`). */
export interface AuditRange {
  /** Records at or after it. */
  from: string;
  /** Records before it. */
  to: string;
}

export interface RequestQuery extends PageRequest, RequestFilters {
  view: RequestView;
}

/** The idempotency record of a submit. */
export interface IdempotencyRecord {
  key: string;
  principalId: string;
  /** Hash of the submitted body: the same key with another body is a conflict. */
  bodyHash: string;
  requestId: string;
  createdAt: string;
}

/** One step of a request's lifecycle, as {@link Store.recordStep} writes it. */
export interface RequestStep {
  /** The step's audit records (at least one), in `seq` order, each chained to the one before it. */
  records: AuditRecord[];
  /**
   * The read model after the step, with the etag of the version the caller last wrote; absent when
   * the step changes nothing in it but its trail head.
   */
  request?: Tagged<ApprovalRequest>;
}

/** The head a step leaves: its last record's `seq` and `hash` (the records come in `seq` order). */
export function stepHead(records: readonly AuditRecord[]): TrailHead {
  const last = records.reduce((newest, record) => (record.seq > newest.seq ? record : newest));
  return { seq: last.seq, hash: last.hash };
}

/** `request` with `trail` set to `head`, placed last so equal read models serialise equally. */
export function withHead(request: ApprovalRequest, head: TrailHead): ApprovalRequest {
  const { trail: _previous, ...rest } = request;
  return { ...rest, trail: { seq: head.seq, hash: head.hash } };
}

/** The codes a {@link StoreError} may carry. */
export const STORE_ERROR_CODES = [
  'conflict',
  'precondition_failed',
  'not_found',
  'entity_locked',
  'audit_mismatch',
  'invalid_continuation',
  'store_unavailable',
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/**
 * Store errors, told apart by `code`. `invalid_continuation` means a continuation token that no
 * list of this store issued (a client error, not a store fault). `store_unavailable` means the
 * store refused or could not take the operation for now (disk full, read-only, I/O error, busy
 * or throttled past its retries, unreachable): nothing was written, and the same call may succeed
 * later; `details.retryAfterSeconds` says when to try again.
 */
export class StoreError extends Error {
  override name = 'StoreError';
  declare readonly details?: { retryAfterSeconds: number };
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.retryAfterSeconds !== undefined) this.details = { retryAfterSeconds: options.retryAfterSeconds };
  }
}

/** The `entity_locked` refusal of `request`: another open request holds the lock of its entity (of `resourceIds`, the devices of a bulk action held by others). */
export function entityLockedError(request: ApprovalRequest, resourceIds?: readonly string[]): StoreError {
  const named = resourceIds && resourceIds.length > 0 ? resourceIds.join(', ') : (request.operation.resourceId ?? '');
  return new StoreError('entity_locked', `another open request exists for ${request.profileType} ${named}`.trimEnd());
}

/**
 * True when `error` is a store error (judged by its `name` and a known `code`, so it holds across
 * module copies), and, when `code` is given, has that code.
 */
export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  const candidate = error as { name?: unknown; code?: unknown } | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.name !== 'StoreError') return false;
  if (!(STORE_ERROR_CODES as readonly unknown[]).includes(candidate.code)) return false;
  return code === undefined || candidate.code === code;
}

/**
 * The store port: policies with etags, the request read model (with its trail head) and its list
 * views, the append-only audit trail, audit checkpoints, idempotency keys and consumed link ids. The Cosmos DB and SQLite adapters both pass
 * the same contract suite. Lists are newest first.
 */
export interface Store {
  /** Resolves when the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Resolves when the store durably takes a small write, as large as the adapter needs to see
   * that real writes would fit, replacing the previous probe's (probes never accumulate); rejects
   * otherwise, with `store_unavailable` once wrapped by `reportingUnavailable`. Changes nothing
   * any other method reads.
   */
  probeWrite(): Promise<void>;
  close(): Promise<void>;

  getPolicy(id: string): Promise<Tagged<AccessPolicy> | undefined>;
  /** The active policy protecting `profileType`, if any. */
  findPolicyByProfileType(profileType: ProfileType): Promise<Tagged<AccessPolicy> | undefined>;
  listPolicies(page: PageRequest): Promise<Page<AccessPolicy>>;
  /** Fails with `conflict` when the id exists or another policy protects the same profile type. */
  createPolicy(policy: AccessPolicy): Promise<Tagged<AccessPolicy>>;
  /** Fails with `precondition_failed` when `etag` is stale, `not_found` when it is gone. */
  replacePolicy(policy: AccessPolicy, etag: string): Promise<Tagged<AccessPolicy>>;
  deletePolicy(id: string, etag: string): Promise<void>;

  /**
   * Creates the read model of a new request. Fails with `entity_locked` when another open request
   * (needsApproval or approved) exists for the same `(profileType, operation.resourceId)`, and with
   * `conflict` when the id exists.
   */
  createRequest(request: ApprovalRequest): Promise<Tagged<ApprovalRequest>>;
  getRequest(id: string): Promise<Tagged<ApprovalRequest> | undefined>;
  listRequests(query: RequestQuery): Promise<Page<ApprovalRequest>>;

  /**
   * Records one step of a request: appends its audit records, then replaces the read model with
   * `step.request`, and resolves with the read model's etag after the step. Every step also moves
   * the read model's trail head (`trail`, see {@link stepHead}) forward to the step's last record,
   * whatever `step.request` says about it; a head never moves back. A step without a read model
   * writes only the head (undefined when the request has no read model: then only the records are
   * written). SQLite writes records and read model in one transaction; Cosmos DB writes the
   * records first, so after a crash between the two the head can lag behind the trail until the
   * step is retried. Idempotent under at-least-once callers: a record stored already
   * (same id and hash) is skipped, and a different record under an existing id or `seq` fails
   * with `audit_mismatch`. The etag spares a read on the usual path; when it is stale, a read
   * model that already shows this step, or a trail that already holds a later record (a late
   * duplicate of an older step), is left as it is, and otherwise the current version is
   * replaced. Fails with `not_found` when the request has no read model. Closing a request
   * releases its entity lock.
   */
  recordStep(step: RequestStep): Promise<string | undefined>;
  /** The request's trail in `seq` order. */
  listAudit(requestId: string, page: PageRequest): Promise<Page<AuditRecord>>;
  /**
   * The record at position `seq` of the request's trail, undefined when the trail holds none there
   * (past its end, or no trail). One read, however the records were written: what a retried step
   * asks to learn whether an earlier attempt wrote its first record (SQLite: a primary-key lookup;
   * Cosmos DB: one single-partition query for the item that starts at or before `seq`).
   */
  auditRecordAt(requestId: string, seq: number): Promise<AuditRecord | undefined>;
  /**
   * The audit records of every request written in `range` (by their `at`), ordered by
   * `(at, requestId, seq)`, from an index on `at`: what a bulk audit export pages through.
   */
  listAuditByTime(range: AuditRange, page: PageRequest): Promise<Page<AuditRecord>>;
  /**
   * The trail heads of the read models whose head was written at or after `since` (RFC 3339, by
   * the writers' clock), in no particular order: what an audit checkpoint lists.
   */
  listTrailHeadsSince(since: string): Promise<DigestHead[]>;
  /** The id of every request that has an audit trail, with or without a read model (a full scan, for verification). */
  listTrailIds(): Promise<string[]>;

  /** Stores an audit checkpoint digest; fails with `conflict` when its sequence number is taken. */
  appendCheckpoint(digest: AuditDigest): Promise<void>;
  /** Stored digests with a sequence number above `afterSequence`, oldest first, at most `top` (1..100). */
  listCheckpoints(afterSequence: number, top: number): Promise<AuditDigest[]>;
  /** The digest with the highest sequence number, if any. */
  latestCheckpoint(): Promise<AuditDigest | undefined>;

  /** Stores `record` unless the key exists for that principal; returns what is stored now. */
  putIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord>;

  /** Marks a link id used; false when it was already used. `expiresAt` allows expiry-based cleanup. */
  consumeLinkId(linkId: string, expiresAt: string): Promise<boolean>;
}
