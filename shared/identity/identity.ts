import type { TokenCredential } from '@azure/identity';
import { ConfigError } from '../config';
import { CachedDirectory, type Directory } from './directory';
import { createGraphCredential } from './graphCredential';
import { GraphDirectory } from './graphDirectory';
import type { AuthConfig, GraphConfig, IdentityConfig } from './settings';
import { TokenValidator } from './tokenValidator';

/** What the app authenticates callers and resolves their groups with. */
export interface Identity {
  /** Checks `Authorization: Bearer` access tokens. */
  readonly tokens: TokenValidator;
  /** Group membership and app roles through Graph, cached for `groupCacheSeconds`. */
  readonly directory: Directory;
}

export { createGraphCredential } from './graphCredential';

/** The cached Graph directory described by `config`, its cache entries aging by `now`. */
export function createDirectory(
  config: GraphConfig,
  credential: TokenCredential = createGraphCredential(config.credential),
  now: () => Date = () => new Date(),
): Directory {
  const graph = new GraphDirectory({
    baseUrl: config.baseUrl,
    credential,
    ...(config.apiAppId === undefined ? {} : { apiAppId: config.apiAppId }),
  });
  return new CachedDirectory(graph, { ttlMs: config.groupCacheSeconds * 1000, now: () => now().getTime() });
}

/** The token validator described by `auth`, checking expiry at `now`; a {@link ConfigError} when authentication is not configured. */
export function createTokenValidator(auth: AuthConfig | undefined, now: () => Date = () => new Date()): TokenValidator {
  if (auth === undefined) {
    throw new ConfigError(
      'authentication is not configured: set MAA_TENANT_ID and MAA_AUTH_AUDIENCE, or MAA_AUTH_ISSUER, MAA_AUTH_AUDIENCE and MAA_AUTH_JWKS_URL',
    );
  }
  return new TokenValidator({ ...auth, now });
}

/** Builds the identity services from configuration, reading time from `now`; a {@link ConfigError} when authentication is not configured. */
export function createIdentity(config: IdentityConfig, now: () => Date = () => new Date()): Identity {
  return Object.freeze({
    tokens: createTokenValidator(config.auth, now),
    directory: createDirectory(config.graph, undefined, now),
  });
}
