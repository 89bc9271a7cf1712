import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { bearerToken } from './bearer';
import { AuthError, IdentityUnavailableError } from './errors';
import { principalFromClaims, type AuthenticatedPrincipal } from './principal';

/** How access tokens are checked. */
export interface TokenValidatorOptions {
  /** Exact `iss` value required (Entra v2: `https://login.microsoftonline.com/{tenant}/v2.0`). */
  readonly issuer: string;
  /** Accepted `aud` values (the API's client id and/or its App ID URI); at least one. */
  readonly audiences: readonly string[];
  /** Where the issuer publishes its signing keys (JWKS). */
  readonly jwksUrl: string;
  /** Tolerance, in seconds, applied to `exp` and `nbf`. Default 300. */
  readonly clockSkewSeconds?: number;
  /** Minimum time after a key-set fetch before a token with an unknown `kid` triggers another. Default 30 000 ms. */
  readonly jwksCooldownMs?: number;
  /** How long a fetched key set is used before it is fetched again. Default 3 600 000 ms. */
  readonly jwksMaxAgeMs?: number;
  /** Key-set fetch timeout. Default 5 000 ms. */
  readonly jwksTimeoutMs?: number;
  /** The current time; default the process clock (which the local runtime moves in manual mode). */
  readonly now?: () => Date;
}

// Far larger than any Entra access token; refuses absurd input before any parsing.
const MAX_TOKEN_LENGTH = 16 * 1024;

const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX_ENTRIES = 10_000;

/**
 * Validates bearer access tokens: RS256 only, signature against the issuer's JWKS (cached; a token
 * whose `kid` is unknown makes it refetch the set, at most once per cooldown, which is how key
 * rotation is picked up), exact issuer, one of the audiences, and `exp` (required) / `nbf` within
 * the clock skew. Any failure is an {@link AuthError}; an unreachable key set is an
 * {@link IdentityUnavailableError} `signing_keys_unavailable` instead (the caller is not at fault).
 */
export class TokenValidator {
  private readonly keys: JWTVerifyGetKey;
  private readonly skew: number;
  private readonly now: () => Date;
  /** Tokens already verified, until they expire (at most {@link VERIFIED_TTL_MS}): every API call carries one. */
  private readonly verified = new Map<string, { principal: AuthenticatedPrincipal; untilMs: number }>();

  constructor(private readonly options: TokenValidatorOptions) {
    if (options.audiences.length === 0) throw new RangeError('TokenValidator needs at least one audience');
    this.skew = options.clockSkewSeconds ?? 300;
    this.now = options.now ?? (() => new Date());
    const jwksUrl = new URL(options.jwksUrl);
    const remote = createRemoteJWKSet(jwksUrl, {
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
      cacheMaxAge: options.jwksMaxAgeMs ?? 3_600_000,
      timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    });
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (hasCode(error, 'ERR_JWKS_NO_MATCHING_KEY') || hasCode(error, 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'))
          throw error;
        throw new IdentityUnavailableError(
          'signing_keys_unavailable',
          `signing keys could not be loaded from ${jwksUrl.href}: ${describe(error)}`,
        );
      }
    };
  }

  /** Validates a compact JWT and returns who it speaks for. */
  async validate(token: string): Promise<AuthenticatedPrincipal> {
    if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('invalid_token', 'the token is too large');
    const nowMs = this.now().getTime();
    const known = this.verified.get(token);
    if (known && nowMs < known.untilMs) return known.principal;
    this.verified.delete(token);
    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, this.keys, {
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: [...this.options.audiences],
        clockTolerance: this.skew,
        currentDate: this.now(),
        requiredClaims: ['exp'],
      });
      claims = verified.payload;
    } catch (error) {
      throw translate(error);
    }
    const principal = principalFromClaims(claims);
    // Remembered no longer than the token is valid (exp plus the tolerated skew), nor than a few minutes.
    const untilMs = Math.min((claims.exp as number) * 1000 + this.skew * 1000, nowMs + VERIFIED_TTL_MS);
    if (this.verified.size >= VERIFIED_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { principal, untilMs });
    return principal;
  }

  /** {@link bearerToken} then {@link validate}: the whole check for one `Authorization` header value. */
  async authenticate(authorization: string | null | undefined): Promise<AuthenticatedPrincipal> {
    return this.validate(bearerToken(authorization));
  }
}

const CLAIM_FAILURES: Record<string, string> = {
  iss: 'the token was not issued by the expected issuer',
  aud: 'the token is not meant for this API',
  nbf: 'the token is not valid yet',
  iat: 'the token was issued in the future',
};

function translate(error: unknown): Error {
  if (error instanceof IdentityUnavailableError || error instanceof AuthError) return error;
  const code = hasCode(error) ? error.code : undefined;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new AuthError('expired_token', 'the token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: string; reason?: string };
      if (reason === 'missing') return new AuthError('invalid_token', `the token has no "${claim}" claim`);
      if (reason === 'invalid') return new AuthError('invalid_token', `the token's "${claim}" claim is malformed`);
      return new AuthError(
        'invalid_token',
        CLAIM_FAILURES[claim ?? ''] ?? `the token's "${claim}" claim is not acceptable`,
      );
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new AuthError('invalid_token', 'the token is not signed with RS256');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new AuthError('invalid_token', 'the token signature is invalid');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new AuthError('invalid_token', 'the token is signed with an unknown key');
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new AuthError('invalid_token', 'the token does not say which key signed it');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new AuthError('invalid_token', 'the token is malformed');
    case undefined:
      return error instanceof Error ? error : new Error(String(error));
    default:
      return new AuthError('invalid_token', 'the token is not supported');
  }
}

function hasCode(error: unknown, code?: string): error is { code: string } {
  if (typeof error !== 'object' || error === null || typeof (error as { code?: unknown }).code !== 'string')
    return false;
  return code === undefined || (error as { code: string }).code === code;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
