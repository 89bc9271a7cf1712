import { canonicalJson, sha256Hex } from './canonicalJson';
import type { AuditEntry, AuditRecord } from './model';

/** The `prevHash` of the first record of every trail: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Largest `seq` that fits the 6-digit id. */
export const MAX_AUDIT_SEQ = 999_999;

/** The deterministic id of a trail's record: `<requestId>:<seq as 6 digits>`. Throws RangeError for a `seq` outside 0..999999. */
export function auditRecordId(requestId: string, seq: number): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_AUDIT_SEQ)
    throw new RangeError(`audit seq must be an integer from 0 to ${MAX_AUDIT_SEQ}, not ${seq}`);
  return `${requestId}:${String(seq).padStart(6, '0')}`;
}

/**
 * The hash of `entry` chained after `prevHash`: hex SHA-256 of the canonical JSON of
 * `{requestId, seq, type, at, actor, data, prevHash}`. Any change to any of them changes it.
 */
export function auditHash(entry: AuditEntry, prevHash: string): string {
  const { requestId, seq, type, at, actor, data } = entry;
  return sha256Hex(canonicalJson({ requestId, seq, type, at, actor, data, prevHash }));
}

/**
 * `entry` as a stored record chained after the record whose hash is `prevHash` ({@link GENESIS_HASH}
 * for seq 0): same fields (copied through canonical JSON, so the stored data is exactly what was
 * hashed), its {@link auditRecordId}, `prevHash` and {@link auditHash}. Deterministic: chaining the
 * same entry after the same hash again gives an equal record. Throws RangeError for a bad `seq` or
 * a `prevHash` that is not 64 lower-case hex digits, and `invalid_request` for data that is not JSON.
 */
export function chainRecord(entry: AuditEntry, prevHash: string): AuditRecord {
  if (!/^[0-9a-f]{64}$/.test(prevHash)) throw new RangeError('prevHash must be 64 lower-case hex digits');
  const id = auditRecordId(entry.requestId, entry.seq);
  // The text hashed (see auditHash) is computed once; the stored fields are read back from it.
  const text = canonicalJson({
    requestId: entry.requestId,
    seq: entry.seq,
    type: entry.type,
    at: entry.at,
    actor: entry.actor,
    data: entry.data,
    prevHash,
  });
  const { prevHash: _hashed, ...copy } = JSON.parse(text) as AuditEntry & { prevHash: string };
  return { id, ...copy, prevHash, hash: sha256Hex(text) };
}

/** Where a trail starts: the first record's `seq` and the hash it must chain to. */
export interface ChainStart {
  seq: number;
  prevHash: string;
}

/** Where a trail whose last record is `last` continues: the next `seq` and `last`'s hash (the start of a trail when there is none). */
export function chainStartAfter(last: Pick<AuditRecord, 'seq' | 'hash'> | undefined): ChainStart {
  return last === undefined ? { seq: 0, prevHash: GENESIS_HASH } : { seq: last.seq + 1, prevHash: last.hash };
}

/**
 * A step's `entries` (in order, without `seq`) chained onto a trail at `start`: record `i` gets
 * `seq` = `start.seq + i` and chains to the one before it (the first to `start.prevHash`), as
 * {@link chainRecord} makes them; `next` is where the trail continues after them (`start` when
 * there are none). Deterministic, and throws as {@link chainRecord} does.
 */
export function chainEvents(
  entries: readonly Omit<AuditEntry, 'seq'>[],
  start: ChainStart,
): { records: AuditRecord[]; next: ChainStart } {
  let { seq, prevHash } = start;
  const records = entries.map((entry) => {
    const record = chainRecord({ ...entry, seq: seq++ }, prevHash);
    prevHash = record.hash;
    return record;
  });
  return { records, next: { seq, prevHash } };
}

/** The outcome of {@link verifyChain}; when invalid, `brokenAt` is the index of the first bad record and `reason` says what is wrong. */
export interface ChainVerification {
  valid: boolean;
  brokenAt?: number;
  reason?: string;
}

/**
 * Checks one request's trail, in order. Record `i` must belong to the first record's request, have
 * `seq` = `start.seq + i`, the id {@link auditRecordId} gives, `prevHash` equal to the previous
 * record's `hash` ({@link GENESIS_HASH}, or `start.prevHash`, for the first) and a `hash` that
 * recomputes. So it catches modified fields or hashes, removed, inserted or reordered records and
 * wrong ids. A trail cut short at its end still verifies: compare its length or last hash with a
 * trusted one to catch that. `start` lets a page that begins mid-trail be checked against the
 * record before it. An empty trail is valid.
 */
export function verifyChain(
  records: readonly AuditRecord[],
  start: ChainStart = { seq: 0, prevHash: GENESIS_HASH },
): ChainVerification {
  const requestId = records[0]?.requestId;
  let prevHash = start.prevHash;
  for (const [index, record] of records.entries()) {
    const problem = recordProblem(record, requestId ?? record.requestId, start.seq + index, prevHash);
    if (problem !== undefined) return { valid: false, brokenAt: index, reason: problem };
    prevHash = record.hash;
  }
  return { valid: true };
}

function recordProblem(record: AuditRecord, requestId: string, seq: number, prevHash: string): string | undefined {
  if (record.requestId !== requestId) return `belongs to request ${record.requestId}, not ${requestId}`;
  if (seq > MAX_AUDIT_SEQ) return `seq ${seq} is beyond ${MAX_AUDIT_SEQ}`;
  if (record.seq !== seq)
    return `has seq ${record.seq} where ${seq} belongs (a record is missing, extra or out of order)`;
  if (record.id !== auditRecordId(requestId, seq))
    return `has id ${record.id}, expected ${auditRecordId(requestId, seq)}`;
  if (record.prevHash !== prevHash) return 'prevHash does not match the previous record';
  let recomputed: string;
  try {
    recomputed = auditHash(record, record.prevHash);
  } catch {
    return 'its content is not canonical JSON';
  }
  if (record.hash !== recomputed) return 'hash does not match its content';
  return undefined;
}
