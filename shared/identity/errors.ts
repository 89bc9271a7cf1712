/**
 * The identity layer's failures. Callers branch on `code` (stable) and map `status` to the HTTP
 * status of the problem response; they never rely on `instanceof` or on `message`.
 */

/** Why a caller could not be authenticated; each maps to 401 with `WWW-Authenticate: Bearer`. */
export const AUTH_ERROR_CODES = ['missing_token', 'invalid_token', 'expired_token'] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/**
 * The caller's credentials were absent or not acceptable. `reason` (also the `message`) is safe to
 * show the caller: it names which check failed (issuer, audience, signature...) but never echoes
 * token contents, expected values or key material.
 */
export class AuthError extends Error {
  override name = 'AuthError';
  readonly status = 401;

  constructor(
    readonly code: AuthErrorCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** What the app's own identity dependencies (signing keys, Microsoft Graph, its credential) failed at. */
export const IDENTITY_UNAVAILABLE_CODES = [
  /** The JWKS endpoint did not answer with a usable key set (network, timeout, non-200, bad JSON). */
  'signing_keys_unavailable',
  /** The app's credential could not obtain a Graph token. */
  'credential_failed',
  /** Graph answered 401 to the app's token. */
  'graph_unauthorized',
  /** Graph answered 403: the app lacks a Graph permission such as GroupMember.Read.All. */
  'graph_forbidden',
  /** Graph kept answering 429 (see `retryAfterSeconds`). */
  'graph_throttled',
  /** Graph kept answering 5xx, timed out or could not be reached. */
  'graph_unavailable',
  /** Graph answered something this client does not understand. */
  'graph_bad_response',
] as const;
export type IdentityUnavailableCode = (typeof IDENTITY_UNAVAILABLE_CODES)[number];

// What a caller may be told: nothing about URLs, upstream messages or configuration.
const PUBLIC_MESSAGES: Record<IdentityUnavailableCode, string> = {
  signing_keys_unavailable: 'The token signing keys could not be loaded; try again later.',
  credential_failed: 'The app could not sign in to the directory; try again later.',
  graph_unauthorized: 'The directory refused the app’s credentials.',
  graph_forbidden: 'The directory refused the app’s request.',
  graph_throttled: 'The directory is throttling requests; try again later.',
  graph_unavailable: 'The directory is unavailable; try again later.',
  graph_bad_response: 'The directory answered unexpectedly.',
};

/**
 * A dependency of authentication or authorization failed; not the caller's fault, so it maps to
 * 503 (with `Retry-After` when `retryAfterSeconds` is set). `message` is a fixed sentence per code,
 * safe to show; `diagnostic` is for logs: it may name URLs and upstream error codes and messages,
 * never secrets or tokens.
 */
export class IdentityUnavailableError extends Error {
  override name = 'IdentityUnavailableError';
  readonly status = 503;

  constructor(
    readonly code: IdentityUnavailableCode,
    readonly diagnostic: string,
    readonly details: { upstreamStatus?: number; retryAfterSeconds?: number } = {},
  ) {
    super(PUBLIC_MESSAGES[code]);
  }

  /** Seconds the caller may be told to wait, when the upstream said so. */
  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }
}
