import { GENESIS_HASH } from './auditChain';
import { canonicalJson, sha256Hex } from './canonicalJson';

/** Format version of {@link AuditDigest}. */
export const DIGEST_VERSION = 1;

/** Most heads in one digest (a stored document stays well under Cosmos DB's 2 MB item limit). */
export const MAX_DIGEST_HEADS = 5_000;

/** One trail's head as a digest lists it. */
export interface DigestHead {
  requestId: string;
  seq: number;
  hash: string;
}

/** What a digest's hash covers. */
export interface DigestBody {
  version: typeof DIGEST_VERSION;
  /** 0 for the first digest of the store, then one more for each. */
  sequence: number;
  /** RFC 3339: the `to` of the previous digest; null for the first. */
  from: string | null;
  /** RFC 3339: when the checkpoint was taken. */
  to: string;
  /** `digestHash` of the previous digest ({@link GENESIS_HASH} for the first). */
  previousDigestHash: string;
  /** The trail heads written since the previous checkpoint, by `requestId`. */
  heads: DigestHead[];
}

/**
 * A tenant-wide audit checkpoint: the heads of every trail that moved since the previous one,
 * chained to it by `previousDigestHash`, identified by `digestHash` and signed (HMAC-SHA256 of
 * `digestHash` with the app key's `audit-checkpoint` subkey; `kid` names the key).
 */
export interface AuditDigest extends DigestBody {
  /** Hex SHA-256 of the canonical JSON of the {@link DigestBody} fields. */
  digestHash: string;
  signature: { kid: string; mac: string };
}

/** The hash of a digest's body: hex SHA-256 of the canonical JSON of its {@link DigestBody} fields. */
export function digestHash(body: DigestBody): string {
  const { version, sequence, from, to, previousDigestHash, heads } = body;
  return sha256Hex(
    canonicalJson({
      version,
      sequence,
      from,
      to,
      previousDigestHash,
      heads: heads.map(({ requestId, seq, hash }) => ({ requestId, seq, hash })),
    }),
  );
}

/**
 * The bodies of the digests that follow `previous` at time `to`: `heads` without those `previous`
 * lists unchanged, one per `requestId` (the highest `seq`), sorted by `requestId` and cut into
 * digests of at most {@link MAX_DIGEST_HEADS}, each chained to the one before. Always at least one
 * (an empty digest still says that nothing moved until `to`). The digests of one checkpoint share
 * `from` and `to`.
 */
export function nextDigestBodies(
  previous: AuditDigest | undefined,
  heads: readonly DigestHead[],
  to: string,
): DigestBody[] {
  const listed = new Map((previous?.heads ?? []).map((head) => [head.requestId, head]));
  const newest = new Map<string, DigestHead>();
  for (const head of heads) {
    const known = listed.get(head.requestId);
    if (known?.seq === head.seq && known.hash === head.hash) continue;
    const seen = newest.get(head.requestId);
    if (seen === undefined || seen.seq < head.seq)
      newest.set(head.requestId, { requestId: head.requestId, seq: head.seq, hash: head.hash });
  }
  const sorted = [...newest.values()].sort((a, b) =>
    a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0,
  );
  const bodies: DigestBody[] = [];
  let sequence = previous === undefined ? 0 : previous.sequence + 1;
  let previousDigestHash = previous?.digestHash ?? GENESIS_HASH;
  const from = previous?.to ?? null;
  for (let start = 0; start === 0 || start < sorted.length; start += MAX_DIGEST_HEADS) {
    const body: DigestBody = {
      version: DIGEST_VERSION,
      sequence,
      from,
      to,
      previousDigestHash,
      heads: sorted.slice(start, start + MAX_DIGEST_HEADS),
    };
    bodies.push(body);
    previousDigestHash = digestHash(body);
    sequence += 1;
  }
  return bodies;
}

/** The outcome of {@link verifyDigestChain}. */
export interface DigestChainVerification {
  valid: boolean;
  /** Index of the first bad digest. */
  brokenAt?: number;
  reason?: string;
}

/**
 * Checks stored digests from the first (sequence 0), in order: each has the next sequence number,
 * chains to the previous digest's hash ({@link GENESIS_HASH} for the first), starts where the
 * previous one ended, and has a `digestHash` that recomputes. MACs are checked elsewhere (they need
 * the key). An empty list is valid.
 */
export function verifyDigestChain(digests: readonly AuditDigest[]): DigestChainVerification {
  let previous: AuditDigest | undefined;
  for (const [index, digest] of digests.entries()) {
    const reason = digestProblem(digest, previous);
    if (reason !== undefined) return { valid: false, brokenAt: index, reason };
    previous = digest;
  }
  return { valid: true };
}

function digestProblem(digest: AuditDigest, previous: AuditDigest | undefined): string | undefined {
  const sequence = previous === undefined ? 0 : previous.sequence + 1;
  if (digest.version !== DIGEST_VERSION)
    return `digest ${digest.sequence} has version ${String(digest.version)}, not ${DIGEST_VERSION}`;
  if (digest.sequence !== sequence)
    return `digest ${digest.sequence} stands where digest ${sequence} belongs (a digest is missing, extra or out of order)`;
  if (digest.previousDigestHash !== (previous?.digestHash ?? GENESIS_HASH))
    return `digest ${sequence} does not chain to the digest before it`;
  if (previous !== undefined && digest.from !== previous.to && digest.from !== previous.from)
    return `digest ${sequence} does not start where digest ${previous.sequence} ended`;
  if (digest.digestHash !== digestHash(digest)) return `digest ${sequence}'s hash does not match its content`;
  return undefined;
}

/**
 * Reads an exported digest (parsed JSON). Throws TypeError naming the first field that is not as
 * {@link AuditDigest} says; the hash is not checked here.
 */
export function parseDigest(value: unknown): AuditDigest {
  const fail = (field: string): never => {
    throw new TypeError(`not an audit digest: ${field} is missing or malformed`);
  };
  if (typeof value !== 'object' || value === null) fail('the document');
  const digest = value as Record<string, unknown>;
  const hex64 = (text: unknown) => typeof text === 'string' && /^[0-9a-f]{64}$/.test(text);
  const time = (text: unknown) => typeof text === 'string' && !Number.isNaN(Date.parse(text));
  if (digest.version !== DIGEST_VERSION) fail('version');
  if (!Number.isInteger(digest.sequence) || (digest.sequence as number) < 0) fail('sequence');
  if (digest.from !== null && !time(digest.from)) fail('from');
  if (!time(digest.to)) fail('to');
  if (!hex64(digest.previousDigestHash)) fail('previousDigestHash');
  if (!hex64(digest.digestHash)) fail('digestHash');
  const signature = digest.signature as Record<string, unknown> | undefined;
  if (typeof signature?.kid !== 'string' || typeof signature.mac !== 'string') fail('signature');
  if (!Array.isArray(digest.heads)) fail('heads');
  for (const head of digest.heads as unknown[]) {
    const entry = head as Record<string, unknown> | null;
    if (typeof entry?.requestId !== 'string' || !Number.isInteger(entry.seq) || !hex64(entry.hash)) fail('heads');
  }
  return value as AuditDigest;
}
