import { AuthError } from './errors';

// RFC 6750 b64token: the only characters a bearer token may contain.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Extracts the token from an `Authorization` header value (scheme case-insensitive, RFC 6750).
 * Throws {@link AuthError} `missing_token` when the header is absent or blank and `invalid_token`
 * when it is present but not a single well-formed bearer token (another scheme, no token, spaces).
 */
export function bearerToken(authorization: string | null | undefined): string {
  if (authorization === null || authorization === undefined || authorization.trim() === '') {
    throw new AuthError('missing_token', 'no bearer token in the Authorization header');
  }
  const match = BEARER.exec(authorization.trim());
  if (!match) throw new AuthError('invalid_token', 'the Authorization header is not "Bearer <token>"');
  return match[1]!;
}
