/**
 * How long the store keeps records whose only purpose is to refuse a repeat. Both adapters apply
 * the same periods (Cosmos DB through item TTLs, SQLite by treating older rows as gone).
 */

/** An idempotency key is honoured for this long after its first use, then the key may be reused. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;

/** A consumed link id is kept this long past the link's own expiry, to cover clock skew. */
export const LINK_ID_EXPIRY_MARGIN_SECONDS = 60 * 60;

/**
 * Seconds to keep a consumed link id from `nowMs`: until `expiresAt` plus the margin, at least one
 * margin (so an id whose link has already expired is still refused for a while).
 */
export function linkIdRetentionSeconds(expiresAt: string, nowMs: number): number {
  const expiresMs = Date.parse(expiresAt);
  const untilExpiry = Number.isNaN(expiresMs) ? 0 : Math.max(0, Math.ceil((expiresMs - nowMs) / 1000));
  return untilExpiry + LINK_ID_EXPIRY_MARGIN_SECONDS;
}
