import { digestHash, nextDigestBodies, type AuditDigest, type DigestBody } from '../domain/auditDigest';
import { macFor, verifyMac, type AppKeyRing } from '../keys/appKey';
import { isStoreError, type Store } from '../store/store';

/**
 * How far before the previous checkpoint a new one looks for written heads: writers' clocks and
 * steps committing while a checkpoint runs may stamp a head slightly before the checkpoint's
 * time. A head listed unchanged by the previous digest is not listed again.
 */
export const CHECKPOINT_OVERLAP_MS = 5 * 60_000;

/** `body` with its `digestHash` and the MAC of that hash under the ring's current key (purpose `audit-checkpoint`). */
export function signDigest(ring: AppKeyRing, body: DigestBody): AuditDigest {
  const hash = digestHash(body);
  return { ...body, digestHash: hash, signature: macFor(ring, 'audit-checkpoint', hash) };
}

/**
 * Whether a digest's MAC holds: `valid`, `invalid` (made with a key the ring knows, but wrong),
 * `unknown_key` (its key is neither the current nor the previous one) or `unchecked` (no ring).
 */
export function digestMacStatus(
  ring: AppKeyRing | undefined,
  digest: AuditDigest,
): 'valid' | 'invalid' | 'unknown_key' | 'unchecked' {
  if (ring === undefined) return 'unchecked';
  if (![ring.current.id, ring.previous?.id].includes(digest.signature.kid)) return 'unknown_key';
  return verifyMac(ring, 'audit-checkpoint', digest.digestHash, digest.signature) ? 'valid' : 'invalid';
}

/**
 * Takes a checkpoint at `now`: signs and stores the digest(s) of every trail head written since
 * the previous checkpoint (see {@link nextDigestBodies}), chained to it. Resolves with what it
 * stored; with nothing when another instance stored the same sequence number first.
 */
export async function takeCheckpoint(store: Store, ring: AppKeyRing, now: Date): Promise<AuditDigest[]> {
  const previous = await store.latestCheckpoint();
  const since = previous === undefined ? new Date(0) : new Date(Date.parse(previous.to) - CHECKPOINT_OVERLAP_MS);
  const heads = await store.listTrailHeadsSince(since.toISOString());
  const stored: AuditDigest[] = [];
  for (const body of nextDigestBodies(previous, heads, now.toISOString())) {
    const digest = signDigest(ring, body);
    try {
      await store.appendCheckpoint(digest);
    } catch (error) {
      if (isStoreError(error, 'conflict')) return stored;
      throw error;
    }
    stored.push(digest);
  }
  return stored;
}

/** Every stored digest, oldest first, up to `lastSequence` when given. */
export async function readCheckpoints(store: Store, lastSequence = Number.POSITIVE_INFINITY): Promise<AuditDigest[]> {
  const digests: AuditDigest[] = [];
  for (;;) {
    const page = await store.listCheckpoints(digests.at(-1)?.sequence ?? -1, 100);
    for (const digest of page) {
      if (digest.sequence > lastSequence) return digests;
      digests.push(digest);
    }
    if (page.length < 100) return digests;
  }
}
