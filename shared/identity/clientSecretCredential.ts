import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { IdentityUnavailableError } from './errors';

/** Where and as whom {@link ClientSecretPostCredential} asks for tokens. */
export interface ClientSecretPostOptions {
  /** OAuth2 token endpoint (Entra: `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`). */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Per-request timeout. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

interface CachedToken {
  token: AccessToken;
  refreshAt: number;
}

/**
 * A `TokenCredential` doing the OAuth2 client-credentials grant (RFC 6749 §4.4) with the secret in
 * the form body (`client_secret_post`), against any token endpoint: unlike MSAL it accepts plain
 * `http://` authorities such as a loopback development issuer. Tokens are cached per scope set and
 * fetched again when less than 5 minutes (or half their lifetime) remain; concurrent requests for
 * the same scopes share one fetch. Failures are {@link IdentityUnavailableError} `credential_failed`,
 * whose message never contains the secret.
 */
export class ClientSecretPostCredential implements TokenCredential {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<AccessToken>>();

  private readonly now: () => number;

  constructor(private readonly options: ClientSecretPostOptions) {
    this.now = options.now ?? Date.now;
    if (!URL.canParse(options.tokenUrl)) throw new RangeError('ClientSecretPostCredential needs an absolute token URL');
    if (!options.clientId || !options.clientSecret)
      throw new RangeError('ClientSecretPostCredential needs a client id and a secret');
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const scope = (Array.isArray(scopes) ? scopes : [scopes]).join(' ');
    const cached = this.cache.get(scope);
    if (cached && this.now() < cached.refreshAt) return cached.token;
    let pending = this.pending.get(scope);
    if (!pending) {
      pending = this.fetchToken(scope, options?.abortSignal).finally(() => this.pending.delete(scope));
      this.pending.set(scope, pending);
    }
    return pending;
  }

  private async fetchToken(scope: string, abortSignal: GetTokenOptions['abortSignal']): Promise<AccessToken> {
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    const signals = abortSignal ? [signal, toAbortSignal(abortSignal)] : [signal];
    // `expires_in` counts from when the endpoint answered, which is no earlier than the request:
    // counting from the request keeps a slow answer (or a clock that jumped meanwhile) from being
    // cached past the token's real expiry.
    const requestedAt = this.now();
    let response: Response;
    try {
      response = await fetch(this.options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: this.options.clientId,
          client_secret: this.options.clientSecret,
          scope,
        }).toString(),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      throw new IdentityUnavailableError(
        'credential_failed',
        `token endpoint ${this.options.tokenUrl} unreachable: ${(error as Error).message}`,
      );
    }
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!response.ok || typeof body?.access_token !== 'string') {
      const oauthError = typeof body?.error === 'string' ? ` ${body.error}` : '';
      const description = typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
      throw new IdentityUnavailableError(
        'credential_failed',
        `token endpoint ${this.options.tokenUrl} answered ${response.status}${oauthError}${description}`,
        {
          upstreamStatus: response.status,
        },
      );
    }
    const lifetimeMs = Math.max(0, Number(body.expires_in ?? 3600) * 1000);
    const refreshAt = requestedAt + lifetimeMs - Math.min(300_000, lifetimeMs / 2);
    const token: AccessToken = {
      token: body.access_token,
      expiresOnTimestamp: requestedAt + lifetimeMs,
      refreshAfterTimestamp: refreshAt,
      tokenType: 'Bearer',
    };
    this.cache.set(scope, { token, refreshAt });
    return token;
  }
}

function toAbortSignal(like: NonNullable<GetTokenOptions['abortSignal']>): AbortSignal {
  const controller = new AbortController();
  if (like.aborted) controller.abort();
  else like.addEventListener('abort', () => controller.abort(), { once: true });
  return controller.signal;
}
