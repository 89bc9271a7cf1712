import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HostResponse } from '../host/httpHost';
import type { LocalMailbox } from '../mailbox';
import { KeyRing } from './keyRing';
import { LOCAL_DIRECTORY_PREFIX, LocalDirectory } from './localDirectory';
import { LOCAL_GRAPH_BETA_PREFIX, LOCAL_GRAPH_PREFIX, localGraphRoute, type LocalGraphIntune } from './localGraph';
import { json, methodNotAllowed, oauthError, problem } from '../http/responses';
import { LocalSignIn } from './signIn';
import {
  LOCAL_API_APP,
  LOCAL_API_AUDIENCE,
  LOCAL_GRAPH_CLIENT,
  LOCAL_TENANT_ID,
  LOCAL_USERS,
  findUser,
  type LocalUser,
} from './seed';

/** A handler for one `/_local/...` path (the runtime's local-route signature). */
export type LocalIdentityRoute = (request: IncomingMessage, url: URL, body: Buffer) => HostResponse;

/** What the local identity provider needs from the runtime. */
export interface LocalIdentityOptions {
  /** The runtime data directory (signing keys live under `local-identity/`). */
  readonly dataDir: string;
  /** Epoch milliseconds on the runtime clock (moves with `POST /_local/clock` in manual mode). */
  readonly now: () => number;
  /** The runtime's public origin, e.g. `http://127.0.0.1:7071`; read when a token or document is made. */
  readonly origin: () => string;
  /** Where the local Graph's `sendMail` delivers, and the one sender it accepts. */
  readonly mailbox: LocalMailbox;
  readonly mailSender: () => string | undefined;
  /** The Graph application permissions the app's client is granted; {@link LOCAL_GRAPH_CLIENT}'s when omitted. */
  readonly graphPermissions?: readonly string[];
  /** The local Intune tenant the Graph routes `deviceManagement/` and `deviceAppManagement/` to. */
  readonly intune?: LocalGraphIntune;
}

/** Lifetime of every local token, as Entra's default. */
const TOKEN_SECONDS = 3600;
const TENANT_PATH = `/_local/entra/${LOCAL_TENANT_ID}`;
/** Graph's well-known application id, accepted as a Graph audience like in Entra. */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/**
 * A development stand-in for Entra ID and the slice of Microsoft Graph the app uses, served by the
 * local runtime under `/_local/`: an OpenID configuration and JWKS for the tenant
 * {@link LOCAL_TENANT_ID}, RS256 user tokens for the seeded users (`POST /_local/token`), the
 * client-credentials token endpoint for the app's own Graph credential, the seeded directory (whose
 * group memberships can change at run time, see {@link LocalDirectory}), and Graph under
 * `/_local/graph/v1.0/` and `/_local/graph/beta/` (with the local Intune tenant when given one). Token times come from the runtime clock; signing keys persist
 * in the data directory (and rotate with `POST /_local/identity/rotate-keys`), so tokens stay valid
 * across restarts on the same port.
 */
export class LocalIdentity {
  readonly keys: KeyRing;
  /** The seeded directory, whose group memberships `PUT`/`DELETE /_local/directory/groups/{id}/members/{member}` change (see {@link LocalDirectory}). */
  readonly directory = new LocalDirectory();
  /** The stand-in for App Service Authentication: sign-in pages and the `X-MS-CLIENT-PRINCIPAL*` headers (see {@link LocalSignIn}). */
  readonly signIn = new LocalSignIn();

  constructor(private readonly options: LocalIdentityOptions) {
    this.keys = new KeyRing(options.dataDir);
  }

  /** `http://<host>:<port>/_local/entra/<tenant>/v2.0`: the `iss` of every local token. */
  get issuer(): string {
    return `${this.options.origin()}${TENANT_PATH}/v2.0`;
  }

  /** The app settings that point the app's own validation and Graph code at this provider. */
  appSettings(): Record<string, string> {
    const origin = this.options.origin();
    return {
      MAA_AUTH_ISSUER: this.issuer,
      MAA_AUTH_AUDIENCE: LOCAL_API_AUDIENCE,
      MAA_AUTH_JWKS_URL: `${origin}${TENANT_PATH}/discovery/v2.0/keys`,
      MAA_GRAPH_BASE_URL: `${origin}/_local/graph`,
      MAA_GRAPH_TOKEN_URL: `${origin}${TENANT_PATH}/oauth2/v2.0/token`,
      MAA_GRAPH_CLIENT_ID: LOCAL_GRAPH_CLIENT.clientId,
      MAA_GRAPH_CLIENT_SECRET: LOCAL_GRAPH_CLIENT.clientSecret,
      MAA_API_APP_ID: LOCAL_API_APP.appId,
    };
  }

  /**
   * Puts {@link appSettings} into `env` the way Core Tools applies local.settings.json, one group at
   * a time: the token settings only when none of MAA_TENANT_ID / MAA_AUTH_ISSUER / MAA_AUTH_AUDIENCE
   * / MAA_AUTH_JWKS_URL is set, the Graph settings only when none of MAA_GRAPH_* is, so a
   * configuration pointing at a real tenant is never mixed with this one. Returns the names set.
   */
  applyAppSettings(env: NodeJS.ProcessEnv): string[] {
    const settings = this.appSettings();
    const groups = [
      {
        owns: ['MAA_TENANT_ID', 'MAA_AUTH_ISSUER', 'MAA_AUTH_AUDIENCE', 'MAA_AUTH_JWKS_URL'],
        sets: ['MAA_AUTH_ISSUER', 'MAA_AUTH_AUDIENCE', 'MAA_AUTH_JWKS_URL'],
      },
      {
        owns: [
          'MAA_GRAPH_BASE_URL',
          'MAA_GRAPH_TOKEN_URL',
          'MAA_GRAPH_CLIENT_ID',
          'MAA_GRAPH_CLIENT_SECRET',
          'MAA_API_APP_ID',
        ],
        sets: [
          'MAA_GRAPH_BASE_URL',
          'MAA_GRAPH_TOKEN_URL',
          'MAA_GRAPH_CLIENT_ID',
          'MAA_GRAPH_CLIENT_SECRET',
          'MAA_API_APP_ID',
        ],
      },
    ];
    const applied: string[] = [];
    for (const group of groups) {
      if (group.owns.some((name) => (env[name] ?? '').trim() !== '')) continue;
      for (const name of group.sets) {
        env[name] = settings[name];
        applied.push(name);
      }
    }
    return applied;
  }

  /** Every route, keyed by path; a key ending in `/*` serves the paths below it. */
  routes(): Map<string, LocalIdentityRoute> {
    const graph = localGraphRoute({
      keys: this.keys,
      issuer: () => this.issuer,
      audiences: () => this.graphAudiences(),
      now: this.options.now,
      directory: this.directory,
      mailbox: this.options.mailbox,
      mailSender: this.options.mailSender,
      ...(this.options.intune ? { intune: this.options.intune } : {}),
    });
    return new Map<string, LocalIdentityRoute>([
      ['/_local/token', (request, _url, body) => this.userToken(request, body)],
      [
        '/_local/directory',
        (request) => (isGet(request) ? json(200, this.directory.listing()) : methodNotAllowed('GET')),
      ],
      [`${LOCAL_DIRECTORY_PREFIX}*`, this.directory.membershipRoute()],
      ['/_local/identity/rotate-keys', (request) => this.rotate(request)],
      [
        `${TENANT_PATH}/v2.0/.well-known/openid-configuration`,
        (request) => (isGet(request) ? json(200, this.openIdConfiguration()) : methodNotAllowed('GET')),
      ],
      [
        `${TENANT_PATH}/discovery/v2.0/keys`,
        (request) =>
          isGet(request) ? json(200, this.keys.jwks(), [['cache-control', 'max-age=300']]) : methodNotAllowed('GET'),
      ],
      [`${TENANT_PATH}/oauth2/v2.0/token`, (request, _url, body) => this.clientCredentialsToken(request, body)],
      [`${LOCAL_GRAPH_PREFIX}*`, graph],
      [`${LOCAL_GRAPH_BETA_PREFIX}*`, graph],
      ...this.signIn.routes(),
    ]);
  }

  private userToken(request: IncomingMessage, body: Buffer): HostResponse {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    let reference: unknown;
    try {
      reference = (JSON.parse(body.toString('utf8') || '{}') as { user?: unknown }).user;
    } catch {
      return problem(400, 'invalid_json', 'Bad Request', 'The body must be JSON like {"user":"alice"}.');
    }
    if (typeof reference !== 'string' || reference.trim() === '')
      return problem(400, 'invalid_request', 'Bad Request', 'The body must name a user: {"user":"alice"}.');
    const user = findUser(reference.trim());
    if (!user) {
      const known = LOCAL_USERS.map((candidate) => candidate.name).join(', ');
      return problem(
        404,
        'unknown_user',
        'Not Found',
        `There is no local user "${reference}"; the seeded users are ${known}.`,
      );
    }
    return json(200, {
      access_token: this.keys.sign(this.userClaims(user)),
      token_type: 'Bearer',
      expires_in: TOKEN_SECONDS,
    });
  }

  private userClaims(user: LocalUser): Record<string, unknown> {
    return {
      ...this.timeClaims(),
      iss: this.issuer,
      aud: LOCAL_API_AUDIENCE,
      sub: user.id,
      oid: user.id,
      tid: LOCAL_TENANT_ID,
      name: user.displayName,
      preferred_username: user.userPrincipalName,
      // Entra leaves `roles` out when the user holds no app role.
      ...(this.directory.rolesOf(user.id).length > 0 ? { roles: this.directory.rolesOf(user.id) } : {}),
      uti: randomUUID(),
      ver: '2.0',
    };
  }

  private clientCredentialsToken(request: IncomingMessage, body: Buffer): HostResponse {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    const form = new URLSearchParams(body.toString('utf8'));
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(
        400,
        'unsupported_grant_type',
        'The local token endpoint only supports grant_type=client_credentials.',
      );
    }
    const basic = basicCredentials(request.headers.authorization);
    const clientId = form.get('client_id') ?? basic?.id;
    const clientSecret = form.get('client_secret') ?? basic?.secret;
    if (clientId !== LOCAL_GRAPH_CLIENT.clientId)
      return oauthError(
        400,
        'unauthorized_client',
        `Application with identifier '${clientId ?? ''}' was not found in the local tenant.`,
      );
    if (clientSecret !== LOCAL_GRAPH_CLIENT.clientSecret)
      return oauthError(401, 'invalid_client', 'Invalid client secret provided.');
    const scope = form.get('scope') ?? '';
    const resource = scope.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : undefined;
    if (resource === undefined || !this.graphAudiences().includes(resource)) {
      return oauthError(
        400,
        'invalid_scope',
        `The scope '${scope}' is not valid: the local tenant issues app tokens for Microsoft Graph only (${this.graphAudiences()[0]}/.default).`,
      );
    }
    const claims = {
      ...this.timeClaims(),
      iss: this.issuer,
      aud: resource,
      sub: LOCAL_GRAPH_CLIENT.servicePrincipalId,
      oid: LOCAL_GRAPH_CLIENT.servicePrincipalId,
      tid: LOCAL_TENANT_ID,
      azp: LOCAL_GRAPH_CLIENT.clientId,
      idtyp: 'app',
      roles: [...(this.options.graphPermissions ?? LOCAL_GRAPH_CLIENT.roles)],
      uti: randomUUID(),
      ver: '2.0',
    };
    return json(200, {
      token_type: 'Bearer',
      expires_in: TOKEN_SECONDS,
      ext_expires_in: TOKEN_SECONDS,
      access_token: this.keys.sign(claims),
    });
  }

  private rotate(request: IncomingMessage): HostResponse {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    const kid = this.keys.rotate();
    return json(200, { kid, keys: this.keys.jwks().keys.map((key) => key.kid) });
  }

  private openIdConfiguration(): Record<string, unknown> {
    const base = `${this.options.origin()}${TENANT_PATH}`;
    return {
      issuer: this.issuer,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      response_types_supported: ['token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: [
        'iss',
        'aud',
        'sub',
        'oid',
        'tid',
        'name',
        'preferred_username',
        'roles',
        'iat',
        'nbf',
        'exp',
        'ver',
      ],
      tenant_id: LOCAL_TENANT_ID,
    };
  }

  private timeClaims(): { iat: number; nbf: number; exp: number } {
    const now = Math.floor(this.options.now() / 1000);
    return { iat: now, nbf: now, exp: now + TOKEN_SECONDS };
  }

  /** Audiences the local Graph accepts: this runtime's origin (what `<origin>/.default` yields) and Graph's own ids. */
  private graphAudiences(): string[] {
    return [this.options.origin(), 'https://graph.microsoft.com', GRAPH_APP_ID];
  }
}

function isGet(request: IncomingMessage): boolean {
  return (request.method ?? 'GET').toUpperCase() === 'GET';
}

/** `client_secret_basic` (RFC 6749 §2.3.1): form-encoded id and secret in a Basic header. */
function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unescape = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
  try {
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
