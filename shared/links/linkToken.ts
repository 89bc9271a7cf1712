import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { MIN_SECRET_BYTES, parseKeySetting } from '../keys/appKey';

// Signed approval links. A link token is a capability: it names one request, one approver, the
// exact operation (by its hash), an expiry and a unique id, and is signed with HMAC-SHA256 under a
// key id so keys can rotate while links are in flight (the current key signs; the current and the
// previous key verify).
//
// Wire form: `v1.<kid>.<payload>.<signature>`, where `payload` is the base64url of the claims' JSON
// and `signature` is the base64url HMAC-SHA256 of `v1.<kid>.<payload>`. Only canonical base64url is
// accepted (no padding, no other alphabet, no trailing bits), so a token has exactly one spelling:
// a re-encoded or padded token is refused rather than treated as the same link.

/** A signing key: `id` travels in the token; `secret` never leaves the process. */
export interface LinkKey {
  readonly id: string;
  readonly secret: Buffer;
}

/** What a link binds. Times are epoch seconds, as in JWTs. */
export interface LinkClaims {
  readonly requestId: string;
  readonly approverId: string;
  /** The request's `operationHash` when the link was issued: a link never approves another operation. */
  readonly operationHash: string;
  /** Unique per link: the store remembers used ids, so a link decides once. */
  readonly linkId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Why a token is not a valid link. The reasons are safe to show: they reveal nothing about keys. */
export type LinkRefusal = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired';

export type LinkVerdict =
  { readonly ok: true; readonly claims: LinkClaims } | { readonly ok: false; readonly reason: LinkRefusal };

const VERSION = 'v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The longest token we parse; real ones are about 400 characters. */
export const MAX_LINK_TOKEN_LENGTH = 1024;
/** Length of an HMAC-SHA256. */
const SIGNATURE_BYTES = 32;
/** Shortest accepted secret: 256 bits, as HMAC-SHA256 needs no more and should get no less. */
export const MIN_LINK_SECRET_BYTES = MIN_SECRET_BYTES;

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/);
const epochSeconds = z.number().int().min(0).max(253_402_300_799);

// Short names keep links short; the schema is strict so a token carries nothing unverified.
const wireClaims = z.strictObject({
  rid: guid,
  sub: z.string().min(1).max(128),
  oph: z.string().regex(/^[0-9a-f]{64}$/),
  jti: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  iat: epochSeconds,
  exp: epochSeconds,
});

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Decodes canonical base64url only: re-encoding the result must give back the same text. */
function decodeCanonical(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function mac(key: LinkKey, signed: string): Buffer {
  return createHmac('sha256', key.secret).update(signed).digest();
}

/** Signs `claims` with `key`. Deterministic: the same claims and key give the same token. */
export function signLinkToken(key: LinkKey, claims: LinkClaims): string {
  const payload = base64url(
    JSON.stringify({
      rid: claims.requestId,
      sub: claims.approverId,
      oph: claims.operationHash,
      jti: claims.linkId,
      iat: claims.issuedAt,
      exp: claims.expiresAt,
    }),
  );
  const signed = `${VERSION}.${key.id}.${payload}`;
  return `${signed}.${base64url(mac(key, signed))}`;
}

/**
 * Checks a token against `keys` (current first, then previous) at `nowSeconds`. The signature is
 * checked before the claims are even parsed, so nothing an attacker wrote is interpreted unless a
 * key we hold signed it; the comparison is constant-time.
 */
export function verifyLinkToken(keys: readonly LinkKey[], token: string, nowSeconds: number): LinkVerdict {
  if (token.length > MAX_LINK_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [version, keyId, payload, signature] = parts as [string, string, string, string];
  if (version !== VERSION || !KEY_ID.test(keyId)) return { ok: false, reason: 'malformed' };
  const payloadBytes = decodeCanonical(payload);
  const signatureBytes = decodeCanonical(signature);
  // An HMAC-SHA256 is 32 bytes: any other length (a cut or padded token) is not a link, whatever its key.
  if (!payloadBytes || signatureBytes?.length !== SIGNATURE_BYTES) return { ok: false, reason: 'malformed' };
  const key = keys.find((candidate) => candidate.id === keyId);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const expected = mac(key, `${version}.${keyId}.${payload}`);
  if (!timingSafeEqual(signatureBytes, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  let parsed: z.infer<typeof wireClaims>;
  try {
    parsed = wireClaims.parse(JSON.parse(payloadBytes.toString('utf8')));
  } catch {
    // Signed by us but not a claim set we issue: treat as malformed rather than trust it.
    return { ok: false, reason: 'malformed' };
  }
  if (parsed.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    claims: {
      requestId: parsed.rid.toLowerCase(),
      approverId: parsed.sub,
      operationHash: parsed.oph,
      linkId: parsed.jti,
      issuedAt: parsed.iat,
      expiresAt: parsed.exp,
    },
  };
}

/**
 * Parses a key setting, `<kid>:<secret>`, where the secret is base64 or base64url of at least
 * {@link MIN_LINK_SECRET_BYTES} bytes (e.g. `openssl rand -base64 32`). Throws a message naming
 * what is wrong, never the secret.
 */
export function parseLinkKey(text: string): LinkKey {
  return parseKeySetting(text);
}

/**
 * When a link issued at `issuedAtSeconds` expires: `ttlSeconds` later, but never after the request
 * itself expires (a link must not outlive what it approves).
 */
export function linkExpiry(issuedAtSeconds: number, ttlSeconds: number, requestExpiresAt: string): number {
  return Math.min(issuedAtSeconds + ttlSeconds, Math.floor(Date.parse(requestExpiresAt) / 1000));
}
