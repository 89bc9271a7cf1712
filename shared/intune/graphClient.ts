import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { GraphCallRecord } from '../domain/model';
import type { GraphMethod, GraphVersion } from './catalogue/types';

/** Where Intune's Graph is and how the app signs in to it. */
export interface IntuneGraphClientOptions {
  /** Graph root without the version segment. Default `https://graph.microsoft.com`. */
  readonly baseUrl?: string;
  /** The app's own credential (managed identity in Azure, client secret locally). */
  readonly credential: TokenCredential;
  /** Token scope. Default `<origin of baseUrl>/.default`. */
  readonly scope?: string;
  /** Per-request timeout. Default 20 000 ms. */
  readonly timeoutMs?: number;
}

/** One request to Graph: below the version segment, or an absolute `@odata.nextLink` of the same Graph. */
export interface IntuneGraphRequest {
  readonly method: GraphMethod;
  readonly version: GraphVersion;
  /** `/deviceManagement/managedDevices/{id}`, with a query string if any; or an absolute next link. */
  readonly path: string;
  readonly body?: unknown;
  /** Sent as `client-request-id` on every attempt (Microsoft support's "Activity ID"). */
  readonly clientRequestId: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Graph's answer, whatever its status: a status of 0 means no answer (network failure or timeout). */
export interface IntuneGraphResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; the text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  /** `error.code` of Graph's error body, when there is one. */
  readonly errorCode?: string;
  /** `error.message` of Graph's error body, or the network failure. */
  readonly errorMessage?: string;
  /** Graph's `request-id` header. */
  readonly requestId?: string;
  /** `Retry-After` in milliseconds (delay-seconds or an HTTP date), when sent. */
  readonly retryAfterMs?: number;
  /** Version and path as called, without the query: `/v1.0/deviceManagement/managedDevices/{id}/wipe`. */
  readonly path: string;
}

/** The app could not get a Graph token: nothing was sent. */
export class GraphTokenError extends Error {
  override name = 'GraphTokenError';
}

/**
 * Microsoft Graph (v1.0 and beta) with the app's own token and plain `fetch`: one attempt per
 * call, no retries (the caller decides, per operation, what may be sent again). It never throws
 * on an HTTP status: every answer, and a network failure or timeout as status 0, comes back as an
 * {@link IntuneGraphResponse}. It throws only {@link GraphTokenError} when no token can be had.
 */
export class IntuneGraphClient {
  readonly baseUrl: string;
  private readonly scope: string;

  constructor(private readonly options: IntuneGraphClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    this.scope = options.scope ?? `${new URL(this.baseUrl).origin}/.default`;
  }

  async send(request: IntuneGraphRequest): Promise<IntuneGraphResponse> {
    const url = this.urlOf(request);
    if (url === undefined) {
      // A next link to another host is never followed with the app's token.
      return {
        status: 0,
        headers: new Headers(),
        body: undefined,
        errorMessage: `not a link of ${this.baseUrl}`,
        path: request.path,
      };
    }
    const token = await this.token();
    const path = new URL(url).pathname.slice(new URL(this.baseUrl).pathname.replace(/\/+$/, '').length);
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'client-request-id': request.clientRequestId,
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...request.headers,
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 20_000),
      });
    } catch (error) {
      return { status: 0, headers: new Headers(), body: undefined, errorMessage: (error as Error).message, path };
    }
    const text = await response.text().catch(() => '');
    let body: unknown = undefined;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    const requestId = response.headers.get('request-id') ?? undefined;
    return {
      status: response.status,
      headers: response.headers,
      body,
      path,
      ...(typeof error?.code === 'string' ? { errorCode: error.code } : {}),
      ...(typeof error?.message === 'string' ? { errorMessage: error.message } : {}),
      ...(requestId === undefined ? {} : { requestId }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }

  /** The URL to call; undefined for an absolute link outside the Graph this client signs in to. */
  private urlOf(request: IntuneGraphRequest): string | undefined {
    if (/^https?:\/\//i.test(request.path))
      return request.path.startsWith(`${this.baseUrl}/`) ? request.path : undefined;
    if (!request.path.startsWith('/')) throw new RangeError('a Graph path starts with /');
    return `${this.baseUrl}/${request.version}${request.path}`;
  }

  private async token(): Promise<string> {
    let token: { token: string } | null;
    try {
      token = await this.options.credential.getToken(this.scope);
    } catch (error) {
      throw new GraphTokenError(`no Graph token for ${this.scope}: ${(error as Error).message}`);
    }
    if (!token) throw new GraphTokenError(`no Graph token for ${this.scope}`);
    return token.token;
  }
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

// A fixed namespace for the request ids of this service (RFC 9562 name-based UUIDs).
const CLIENT_REQUEST_NAMESPACE = Buffer.from('6d61612d-6578-4563-a375-746f72000001'.replace(/-/g, ''), 'hex');

/**
 * The `client-request-id` of every Graph call made for request `requestId`: a name-based (version
 * 5, SHA-1) UUID of the request id, so each attempt, retry and follow-up read of the same request
 * sends the same id and Microsoft's logs can be matched to the request's audit trail.
 */
export function clientRequestIdFor(requestId: string): string {
  const hash = createHash('sha1').update(CLIENT_REQUEST_NAMESPACE).update(requestId, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The outcome of reading every page of a collection. */
export type ListResult =
  | { readonly ok: true; readonly items: Record<string, unknown>[] }
  | { readonly ok: false; readonly response: IntuneGraphResponse };

/**
 * The Graph calls made on behalf of one request: each sends the request's `client-request-id`
 * and is recorded (method, version and path without the query, status, Graph's `request-id`).
 */
export class GraphSession {
  readonly calls: GraphCallRecord[] = [];

  constructor(
    private readonly client: IntuneGraphClient,
    readonly clientRequestId: string,
    private readonly now: () => Date,
  ) {}

  /** One call; its answer whatever the status (0: no answer). Throws only {@link GraphTokenError}. */
  async send(
    method: GraphMethod,
    version: GraphVersion,
    path: string,
    body?: unknown,
    headers?: Readonly<Record<string, string>>,
  ): Promise<IntuneGraphResponse> {
    const at = this.now().toISOString();
    const response = await this.client.send({
      method,
      version,
      path,
      clientRequestId: this.clientRequestId,
      ...(body === undefined ? {} : { body }),
      ...(headers === undefined ? {} : { headers }),
    });
    this.calls.push({
      method,
      path: response.path,
      status: response.status,
      at,
      ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
    });
    return response;
  }

  /**
   * Every item of a collection, following `@odata.nextLink` verbatim, at most `maxPages` pages;
   * it stops early once `enough` holds for the items read so far.
   */
  async list(
    version: GraphVersion,
    path: string,
    maxPages = 50,
    enough: (items: readonly Record<string, unknown>[]) => boolean = () => false,
  ): Promise<ListResult> {
    const items: Record<string, unknown>[] = [];
    let next: string | undefined = path;
    for (let page = 0; next !== undefined && page < maxPages && !enough(items); page++) {
      const response = await this.send('GET', version, next);
      if (response.status !== 200) return { ok: false, response };
      const body = response.body as { value?: unknown; '@odata.nextLink'?: unknown } | undefined;
      if (Array.isArray(body?.value)) items.push(...(body.value as Record<string, unknown>[]));
      next = typeof body?.['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined;
    }
    return { ok: true, items };
  }
}
