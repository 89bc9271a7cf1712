import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { IdentityUnavailableError } from './errors';

/** Where Graph is and how the app signs in to it. */
export interface GraphClientOptions {
  /** Graph root without the version segment. Default `https://graph.microsoft.com`. */
  readonly baseUrl?: string;
  /** The app's own credential (managed identity in Azure). */
  readonly credential: TokenCredential;
  /** Token scope. Default `<origin of baseUrl>/.default`, which is right for every Graph cloud. */
  readonly scope?: string;
  /** Attempts after the first on 429, 5xx and network failures. Default 2. */
  readonly maxRetries?: number;
  /** Longest wait between attempts; a longer `Retry-After` fails at once, carrying it. Default 5 000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Per-request timeout. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** How one {@link GraphClient.request} call may be retried. */
export interface GraphRequestOptions {
  /**
   * Whether a call whose outcome is unknown (a network failure, a timeout or a 5xx: Graph may have
   * carried it out) is sent again. Default true; false for a call that must not run twice, such as
   * a JSON batch of `sendMail` requests: it then fails at once with `graph_unavailable`. A 429 is
   * retried either way (Graph refused the call without running it).
   */
  readonly retryUnknownOutcome?: boolean;
}

/**
 * Microsoft Graph v1.0 calls with the app's own token: a bounded number of retries on 429 (honouring
 * `Retry-After`), 5xx and network failures; every other failure is an
 * {@link IdentityUnavailableError} with a `graph_*` or `credential_failed` code whose diagnostic
 * names the call and Graph's error code, never the token.
 */
export class GraphClient {
  readonly baseUrl: string;
  private readonly scope: string;

  constructor(private readonly options: GraphClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    this.scope = options.scope ?? `${new URL(this.baseUrl).origin}/.default`;
  }

  /**
   * Sends `method` to `path` (below `/v1.0`, e.g. `/users/{id}`, or an absolute `@odata.nextLink`)
   * and answers the parsed JSON body of a 2xx (`null` when it has none, as for `202 Accepted`), or
   * `undefined` for 404 `Request_ResourceNotFound` (an object Graph does not know).
   */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: GraphRequestOptions = {},
  ): Promise<unknown> {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}/v1.0${path}`;
    const maxRetries = this.options.maxRetries ?? 2;
    const retryUnknown = options.retryUnknownOutcome ?? true;
    const maxDelay = this.options.maxRetryDelayMs ?? 5_000;
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'client-request-id': randomUUID(),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        if (retryUnknown && attempt < maxRetries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new IdentityUnavailableError(
          'graph_unavailable',
          `Graph ${method} ${url} failed: ${(error as Error).message}`,
        );
      }
      if (response.ok) {
        const text = await response.text().catch(() => '');
        if (text.trim() === '') return null;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new IdentityUnavailableError(
            'graph_bad_response',
            `Graph ${method} ${url} answered ${response.status} with a body that is not JSON`,
          );
        }
      }

      const error = await graphError(response);
      const described = `Graph ${method} ${url} answered ${response.status} ${error.code}: ${error.message}`;
      const status = response.status;
      if (status === 404 && error.code === 'Request_ResourceNotFound') return undefined;
      if (status === 401)
        throw new IdentityUnavailableError('graph_unauthorized', described, { upstreamStatus: status });
      if (status === 403) throw new IdentityUnavailableError('graph_forbidden', described, { upstreamStatus: status });
      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        const delay = retryAfterMs ?? backoff(attempt);
        if ((status === 429 || retryUnknown) && attempt < maxRetries && delay <= maxDelay) {
          await sleep(delay);
          continue;
        }
        const details = {
          upstreamStatus: status,
          ...(retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) }),
        };
        throw new IdentityUnavailableError(
          status === 429 ? 'graph_throttled' : 'graph_unavailable',
          described,
          details,
        );
      }
      throw new IdentityUnavailableError('graph_bad_response', described, { upstreamStatus: status });
    }
  }

  private async token(): Promise<string> {
    try {
      const token = await this.options.credential.getToken(this.scope);
      if (token) return token.token;
    } catch (error) {
      if (error instanceof IdentityUnavailableError) throw error;
      throw new IdentityUnavailableError(
        'credential_failed',
        `no Graph token for ${this.scope}: ${(error as Error).message}`,
      );
    }
    throw new IdentityUnavailableError('credential_failed', `no Graph token for ${this.scope}`);
  }
}

async function graphError(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json().catch(() => undefined)) as
    { error?: { code?: unknown; message?: unknown } } | undefined;
  return {
    code: typeof body?.error?.code === 'string' ? body.error.code : 'unknown',
    message: typeof body?.error?.message === 'string' ? body.error.message : response.statusText,
  };
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function backoff(attempt: number): number {
  return 200 * 2 ** attempt;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
