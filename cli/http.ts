import type { z } from 'zod';
import { ApiError, CliError, type ApiProblem } from './errors';
import { ExitCode } from './exitCodes';

/** How long one HTTP call may take before it counts as a network failure. */
const CALL_TIMEOUT_MS = 30_000;

/** A response body: the parsed JSON `value` (for rendering) and what the API sent, as sent (for `--json`). */
export interface Answer<T> {
  value: T;
  json: unknown;
  /** The HTTP status (200 or 202 tell a command applied from one only sent). */
  status: number;
  headers: Headers;
}

/**
 * The public API at `baseUrl` with a bearer token. Every failure becomes a {@link CliError}: an
 * error status an {@link ApiError} carrying the problem document, no answer (refused connection,
 * DNS, timeout) a server/network error.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    /** Appended to the message of a 401, e.g. how to log in again. */
    private readonly onUnauthorized: (problem: ApiProblem) => string,
  ) {}

  /** `method /api/<route>` with an optional JSON body; the answer checked against `schema`. */
  async call<S extends z.ZodType>(
    schema: S,
    method: string,
    route: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer<z.infer<S>>> {
    const url = `${this.baseUrl}/api/${route}`;
    const { response, json } = await send(url, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${this.token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    if (!response.ok) {
      const problem = problemOf(response, json);
      throw new ApiError(problem, response.status === 401 ? this.onUnauthorized(problem) : undefined);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new CliError(
        ExitCode.server,
        `${method} ${url} answered ${response.status} with a body maa does not understand: ${parsed.error.issues[0]?.message ?? 'not JSON'}`,
      );
    }
    return { value: parsed.data as z.infer<S>, json, status: response.status, headers: response.headers };
  }

  /**
   * `GET /api/<route>` of a file of media type `accept`: the response once it answered 2xx, its
   * body unread (the caller streams it). The call timeout covers the wait for the answer's
   * headers, not the body, which may be long. An error status is an {@link ApiError}.
   */
  async download(route: string, accept: string): Promise<Response> {
    const url = `${this.baseUrl}/api/${route}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), CALL_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept, authorization: `Bearer ${this.token}` },
        signal: controller.signal,
      });
    } catch (error) {
      throw new CliError(ExitCode.server, `cannot reach ${new URL(url).origin}: ${networkReason(error)}`);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      const problem = problemOf(response, parseJson(await response.text()));
      throw new ApiError(problem, response.status === 401 ? this.onUnauthorized(problem) : undefined);
    }
    return response;
  }
}

/**
 * `fetch` with the call timeout; resolves with the response and its body parsed as JSON (undefined
 * when empty or not JSON). No answer at all is a server/network error naming `url`'s origin.
 */
export async function send(url: string, init: RequestInit): Promise<{ response: Response; json: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  } catch (error) {
    throw new CliError(ExitCode.server, `cannot reach ${new URL(url).origin}: ${networkReason(error)}`);
  }
  return { response, json: parseJson(await response.text()) };
}

/** The problem document of an error response; a bare status when the body is not one. */
export function problemOf(response: Response, json: unknown): ApiProblem {
  const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
  const errors = Array.isArray(body.errors)
    ? (body.errors as unknown[]).filter(
        (item): item is { path: string; message: string } =>
          typeof item === 'object' &&
          item !== null &&
          typeof (item as { path?: unknown }).path === 'string' &&
          typeof (item as { message?: unknown }).message === 'string',
      )
    : undefined;
  const detail = text('detail');
  const code = text('code') ?? response.headers.get('x-error-code') ?? undefined;
  return {
    status: response.status,
    title: text('title') ?? (response.statusText || `HTTP ${response.status}`),
    ...(detail !== undefined ? { detail } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The most specific reason `fetch` gives (its TypeError hides the socket error in `cause`). */
function networkReason(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `no answer within ${CALL_TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The pages of a list, from the one `first` names (the first page when undefined): one page, or
 * with `all` every page up to the end. `fetchPage` gets each page's continuation token.
 */
export async function readPages<T extends { continuationToken?: string | undefined }>(
  fetchPage: (token: string | undefined) => Promise<Answer<T>>,
  first: string | undefined,
  all: boolean,
): Promise<Answer<T>[]> {
  const pages: Answer<T>[] = [];
  let token = first;
  do {
    const page = await fetchPage(token);
    pages.push(page);
    token = page.value.continuationToken;
  } while (token !== undefined && all);
  return pages;
}

/** Pages as one document for `--json`: a single page exactly as sent; several with their `items` joined (and no continuation token). */
export function joinedJson(pages: readonly Answer<unknown>[]): unknown {
  if (pages.length === 1) return pages[0]!.json;
  const { continuationToken: _, ...last } = pages[pages.length - 1]!.json as { continuationToken?: string };
  return { ...last, items: pages.flatMap((page) => (page.json as { items: unknown[] }).items) };
}
