import { StoreError, type Page } from './store';

/** Where a newest-first list stopped: the last item returned, by `(createdAt, id)`. */
export interface NewestFirstPosition {
  createdAt: string;
  id: string;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw invalid();
  }
}

function invalid(): StoreError {
  return new StoreError('invalid_continuation', 'the continuation token was not issued by this list');
}

/**
 * The opaque token of a newest-first list (requests, policies): base64url JSON of the last item's
 * `(createdAt, id)`. Keyset positions stay valid while items are added or change status: the next
 * page starts strictly after the position, so pages never repeat an item.
 */
export function encodeNewestFirst(position: NewestFirstPosition): string {
  return encode(['n', position.createdAt, position.id]);
}

/** Reads {@link encodeNewestFirst}'s token; throws `invalid_continuation` for anything else. */
export function decodeNewestFirst(token: string): NewestFirstPosition {
  const value = decode(token);
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    value[0] === 'n' &&
    typeof value[1] === 'string' &&
    typeof value[2] === 'string'
  ) {
    return { createdAt: value[1], id: value[2] };
  }
  throw invalid();
}

/** The opaque token of an audit trail page: base64url JSON of the last `seq` returned. */
export function encodeAuditPosition(seq: number): string {
  return encode(['a', seq]);
}

/** Reads {@link encodeAuditPosition}'s token; throws `invalid_continuation` for anything else. */
export function decodeAuditPosition(token: string): number {
  const value = decode(token);
  if (Array.isArray(value) && value.length === 2 && value[0] === 'a' && Number.isSafeInteger(value[1])) {
    return value[1] as number;
  }
  throw invalid();
}

/** Where a list of audit records by time stopped: the last record returned, by `(at, requestId, seq)`. */
export interface AuditTimePosition {
  at: string;
  requestId: string;
  seq: number;
}

/** The opaque token of an audit list by time: base64url JSON of the last record's `(at, requestId, seq)`. */
export function encodeAuditTimePosition(position: AuditTimePosition): string {
  return encode(['t', position.at, position.requestId, position.seq]);
}

/** Reads {@link encodeAuditTimePosition}'s token; throws `invalid_continuation` for anything else. */
export function decodeAuditTimePosition(token: string): AuditTimePosition {
  const value = decode(token);
  if (
    Array.isArray(value) &&
    value.length === 4 &&
    value[0] === 't' &&
    typeof value[1] === 'string' &&
    typeof value[2] === 'string' &&
    Number.isSafeInteger(value[3])
  ) {
    return { at: value[1], requestId: value[2], seq: value[3] as number };
  }
  throw invalid();
}

/**
 * Turns the `top + 1` rows a list fetched into a page: the extra row only says that more exist,
 * and the token points after the last row kept.
 */
export function toPage<T>(rows: T[], top: number, tokenOf: (last: T) => string): Page<T> {
  if (rows.length <= top) return { items: rows };
  const items = rows.slice(0, top);
  return { items, continuationToken: tokenOf(items[items.length - 1] as T) };
}

/** The page size of a list, checked: the port allows 1..100. */
export function pageSize(top: number): number {
  if (!Number.isInteger(top) || top < 1 || top > 100)
    throw new RangeError(`top must be an integer in 1..100, got ${top}`);
  return top;
}
