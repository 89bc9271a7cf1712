import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { Directory } from './directory';
import { IdentityUnavailableError } from './errors';

/** Where Graph is and how the app signs in to it. */
export interface GraphDirectoryOptions {
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

// Graph refuses checkMemberGroups calls with more than 20 group ids.
const CHECK_BATCH = 20;

/**
 * {@link Directory} over Microsoft Graph v1.0 with the app's own (application) permissions, e.g.
 * GroupMember.Read.All: `POST /users/{id}/checkMemberGroups` (batches of 20 candidates) and
 * `POST /users/{id}/getMemberGroups` with `securityEnabledOnly: false`, both transitive. A user
 * Graph does not know (404 `Request_ResourceNotFound`) is in no group, so authorization fails
 * closed. 429 and 5xx are retried a bounded number of times, honouring `Retry-After`; every other
 * failure is an {@link IdentityUnavailableError} with a `graph_*` or `credential_failed` code.
 */
export class GraphDirectory implements Directory {
  private readonly baseUrl: string;
  private readonly scope: string;

  constructor(private readonly options: GraphDirectoryOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    this.scope = options.scope ?? `${new URL(this.baseUrl).origin}/.default`;
  }

  async memberGroupsOf(userId: string, candidateGroupIds: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(candidateGroupIds)];
    const found = new Set<string>();
    for (let start = 0; start < wanted.length; start += CHECK_BATCH) {
      const groupIds = wanted.slice(start, start + CHECK_BATCH);
      const answer = await this.post(`/users/${encodeURIComponent(userId)}/checkMemberGroups`, { groupIds });
      for (const id of answer ?? []) found.add(id.toLowerCase());
    }
    return candidateGroupIds.filter((id) => found.has(id.toLowerCase()));
  }

  async allGroupsOf(userId: string): Promise<string[]> {
    return (await this.post(`/users/${encodeURIComponent(userId)}/getMemberGroups`, { securityEnabledOnly: false })) ?? [];
  }

  /** POSTs to a Graph action returning a string collection; `undefined` when the user is unknown. */
  private async post(path: string, body: unknown): Promise<string[] | undefined> {
    const url = `${this.baseUrl}/v1.0${path}`;
    const maxRetries = this.options.maxRetries ?? 2;
    const maxDelay = this.options.maxRetryDelayMs ?? 5_000;
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'client-request-id': randomUUID(),
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        if (attempt < maxRetries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new IdentityUnavailableError('graph_unavailable', `Graph POST ${url} failed: ${(error as Error).message}`);
      }
      if (response.ok) return collection(await response.json().catch(() => undefined), url);

      const error = await graphError(response);
      const described = `Graph POST ${url} answered ${response.status} ${error.code}: ${error.message}`;
      const status = response.status;
      if (status === 404 && error.code === 'Request_ResourceNotFound') return undefined;
      if (status === 401) throw new IdentityUnavailableError('graph_unauthorized', described, { upstreamStatus: status });
      if (status === 403) throw new IdentityUnavailableError('graph_forbidden', described, { upstreamStatus: status });
      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        const delay = retryAfterMs ?? backoff(attempt);
        if (attempt < maxRetries && delay <= maxDelay) {
          await sleep(delay);
          continue;
        }
        const details = { upstreamStatus: status, ...(retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) }) };
        throw new IdentityUnavailableError(status === 429 ? 'graph_throttled' : 'graph_unavailable', described, details);
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
      throw new IdentityUnavailableError('credential_failed', `no Graph token for ${this.scope}: ${(error as Error).message}`);
    }
    throw new IdentityUnavailableError('credential_failed', `no Graph token for ${this.scope}`);
  }
}

function collection(body: unknown, url: string): string[] {
  const value = (body as { value?: unknown } | undefined)?.value;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new IdentityUnavailableError('graph_bad_response', `Graph POST ${url} did not answer a string collection`);
  }
  return value;
}

async function graphError(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
  return {
    code: typeof body?.error?.code === 'string' ? body.error.code : 'unknown',
    message: typeof body?.error?.message === 'string' ? body.error.message : response.statusText,
  };
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
function parseRetryAfter(value: string | null): number | undefined {
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
