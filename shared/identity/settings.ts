import { z } from 'zod';

/** Where access tokens come from and how they are checked. */
export interface AuthConfig {
  readonly issuer: string;
  /** Accepted `aud` values, at least one. */
  readonly audiences: readonly string[];
  readonly jwksUrl: string;
  readonly clockSkewSeconds: number;
}

/** How the app signs in to Microsoft Graph. */
export type GraphCredentialConfig =
  /** OAuth2 client credentials (secret in the form body) against `tokenUrl`. */
  | {
      readonly kind: 'clientSecret';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
    }
  /** `DefaultAzureCredential`: the managed identity in Azure, a developer sign-in elsewhere. */
  | { readonly kind: 'default' };

/** How the app reads group membership. */
export interface GraphConfig {
  /** Graph root without the version segment. */
  readonly baseUrl: string;
  readonly credential: GraphCredentialConfig;
  /** How long group and app-role answers are remembered; 0 disables the cache. */
  readonly groupCacheSeconds: number;
  /** The API app's application (client) id, whose app roles the directory reads; undefined when none is known. */
  readonly apiAppId: string | undefined;
}

/**
 * The identity part of the app's configuration. `auth` is `undefined` when none of MAA_TENANT_ID,
 * MAA_AUTH_ISSUER, MAA_AUTH_AUDIENCE, MAA_AUTH_JWKS_URL is set: the app still starts (health needs
 * no identity) and building the identity services then fails with a ConfigError naming them.
 * When any of them is set, all of issuer, audience and JWKS URL must resolve at parse time.
 */
export interface IdentityConfig {
  readonly auth: AuthConfig | undefined;
  readonly graph: GraphConfig;
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const httpUrl = z.url({ protocol: /^https?$/ });
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The identity settings' zod shape; shared/config.ts merges it into the app's settings schema.
 * Blank values count as unset. Issuer and JWKS URL default from MAA_TENANT_ID (Entra v2 endpoints).
 */
export const identitySettingsShape = {
  /** Entra tenant id; derives MAA_AUTH_ISSUER and MAA_AUTH_JWKS_URL when they are not set. */
  MAA_TENANT_ID: z.preprocess(blankIsUnset, z.guid().optional()),
  /** Exact `iss` of accepted tokens. */
  MAA_AUTH_ISSUER: z.preprocess(blankIsUnset, z.string().optional()),
  /** Accepted `aud` values, comma-separated (the API's client id and/or App ID URI). */
  MAA_AUTH_AUDIENCE: z.preprocess(blankIsUnset, z.string().optional()),
  /** The issuer's JWKS endpoint. */
  MAA_AUTH_JWKS_URL: z.preprocess(blankIsUnset, httpUrl.optional()),
  /** Seconds of tolerance on `exp` and `nbf`. */
  MAA_AUTH_CLOCK_SKEW: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(3600).default(300)),
  /** Microsoft Graph root. */
  MAA_GRAPH_BASE_URL: z.preprocess(blankIsUnset, httpUrl.default('https://graph.microsoft.com')),
  /** OAuth2 token endpoint for a client-secret Graph credential; unset means DefaultAzureCredential. */
  MAA_GRAPH_TOKEN_URL: z.preprocess(blankIsUnset, httpUrl.optional()),
  MAA_GRAPH_CLIENT_ID: z.preprocess(blankIsUnset, z.string().optional()),
  MAA_GRAPH_CLIENT_SECRET: z.preprocess(blankIsUnset, z.string().optional()),
  /** The API app registration's application (client) id, whose app roles are read from Graph; default: the first GUID in MAA_AUTH_AUDIENCE. */
  MAA_API_APP_ID: z.preprocess(blankIsUnset, z.guid().optional()),
  /** Seconds group-membership and app-role answers are cached (0 disables). */
  MAA_GROUP_CACHE_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(86_400).default(60)),
};

/** The parsed identity settings. */
export type IdentitySettings = z.output<z.ZodObject<typeof identitySettingsShape>>;

/**
 * Resolves parsed settings into an {@link IdentityConfig} (frozen), or lists every problem as
 * `SETTING: message` (never echoing the client secret).
 */
export function resolveIdentityConfig(settings: IdentitySettings): { config: IdentityConfig; problems: string[] } {
  const problems: string[] = [];
  const tenant = settings.MAA_TENANT_ID;
  const entra = tenant === undefined ? undefined : `https://login.microsoftonline.com/${tenant}`;
  const issuer = settings.MAA_AUTH_ISSUER ?? (entra && `${entra}/v2.0`);
  const jwksUrl = settings.MAA_AUTH_JWKS_URL ?? (entra && `${entra}/discovery/v2.0/keys`);
  const audiences = (settings.MAA_AUTH_AUDIENCE ?? '')
    .split(',')
    .map((audience) => audience.trim())
    .filter((audience) => audience !== '');
  let auth: AuthConfig | undefined;
  if (
    tenant !== undefined ||
    settings.MAA_AUTH_ISSUER !== undefined ||
    settings.MAA_AUTH_AUDIENCE !== undefined ||
    settings.MAA_AUTH_JWKS_URL !== undefined
  ) {
    if (issuer === undefined)
      problems.push('MAA_AUTH_ISSUER: required when authentication is configured (or set MAA_TENANT_ID)');
    if (jwksUrl === undefined)
      problems.push('MAA_AUTH_JWKS_URL: required when authentication is configured (or set MAA_TENANT_ID)');
    if (audiences.length === 0) problems.push('MAA_AUTH_AUDIENCE: required when authentication is configured');
    if (issuer !== undefined && jwksUrl !== undefined && audiences.length > 0) {
      auth = Object.freeze({
        issuer,
        audiences: Object.freeze(audiences),
        jwksUrl,
        clockSkewSeconds: settings.MAA_AUTH_CLOCK_SKEW,
      });
    }
  }

  const {
    MAA_GRAPH_TOKEN_URL: tokenUrl,
    MAA_GRAPH_CLIENT_ID: clientId,
    MAA_GRAPH_CLIENT_SECRET: clientSecret,
  } = settings;
  let credential: GraphCredentialConfig = Object.freeze({ kind: 'default' });
  if (tokenUrl !== undefined) {
    if (clientId === undefined) problems.push('MAA_GRAPH_CLIENT_ID: required with MAA_GRAPH_TOKEN_URL');
    if (clientSecret === undefined) problems.push('MAA_GRAPH_CLIENT_SECRET: required with MAA_GRAPH_TOKEN_URL');
    if (clientId !== undefined && clientSecret !== undefined)
      credential = Object.freeze({ kind: 'clientSecret', tokenUrl, clientId, clientSecret });
  } else if (clientId !== undefined || clientSecret !== undefined) {
    problems.push('MAA_GRAPH_TOKEN_URL: required with MAA_GRAPH_CLIENT_ID / MAA_GRAPH_CLIENT_SECRET');
  }
  const graph: GraphConfig = Object.freeze({
    baseUrl: settings.MAA_GRAPH_BASE_URL.replace(/\/+$/, ''),
    credential,
    groupCacheSeconds: settings.MAA_GROUP_CACHE_SECONDS,
    apiAppId: settings.MAA_API_APP_ID ?? audiences.find((audience) => GUID.test(audience)),
  });
  return { config: Object.freeze({ auth, graph }), problems };
}
