import type { HttpResponseInit } from '@azure/functions';
import type { FieldError } from '../domain/errors';
import { ERROR_CODES, isErrorCode, statusOf, type ErrorCode } from '../errors/registry';

export type { FieldError };

/** Fields of an RFC 9457 problem document, plus the stable `code` clients branch on. */
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: FieldError[];
  /** Sent as `Retry-After` (seconds) when the failure is temporary and the upstream said when to retry. */
  retryAfterSeconds?: number;
}

/**
 * An error the HTTP layer itself raises (bad body, unknown route parameter, ...): a registry code
 * (whose status it answers with), and a title more precise than the registry's when given.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    title?: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title ?? ERROR_CODES[code].title);
    this.status = statusOf(code);
    this.title = title ?? ERROR_CODES[code].title;
  }
}

/** The problem of `code`: the registry's status and title (unless `title` is given), and `detail` when given. */
export function problemOf(code: ErrorCode, detail?: string, title?: string): Problem {
  return omitUndefined({ status: statusOf(code), code, title: title ?? ERROR_CODES[code].title, detail });
}

/**
 * Maps any thrown value to a problem: HTTP errors as raised; the named typed errors (domain,
 * store, identity, link; judged by `name`, so it holds across module copies) by their stable
 * `code`, with the registry's status and title; everything else, including an error of another
 * kind that merely carries a known `code`, to a 500 that reveals nothing about the failure.
 */
export function problemFromError(error: unknown): Problem {
  if (isHttpError(error)) {
    return omitUndefined({
      status: statusOf(error.code),
      code: error.code,
      title: error.title,
      detail: error.detail,
      errors: error.errors,
    });
  }
  const typed = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    details?: { retryAfterSeconds?: unknown };
  } | null;
  if (typeof typed === 'object' && typed !== null && TYPED_ERRORS.has(String(typed.name)) && isErrorCode(typed.code)) {
    const detail = typeof typed.message === 'string' && typed.message.length > 0 ? typed.message : undefined;
    const errors = Array.isArray(typed.errors) ? (typed.errors as FieldError[]) : undefined;
    const retryAfter = typed.details?.retryAfterSeconds;
    const retryAfterSeconds = typeof retryAfter === 'number' && retryAfter > 0 ? Math.ceil(retryAfter) : undefined;
    return omitUndefined({ ...problemOf(typed.code, detail), errors, retryAfterSeconds });
  }
  return problemOf('internal_error');
}

/** An `application/problem+json` response whose `code` is mirrored in `x-error-code`. */
export function problemResponse(problem: Problem): HttpResponseInit {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json', 'x-error-code': problem.code };
  if (problem.status === 401) headers['www-authenticate'] = 'Bearer';
  const { retryAfterSeconds, ...document } = problem;
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  return {
    status: problem.status,
    headers,
    body: JSON.stringify({ type: `urn:maa:problem:${problem.code}`, ...document }),
  };
}

/** The typed errors whose `code` the mapper trusts (each raises only registry codes a client may see). */
const TYPED_ERRORS = new Set(['DomainError', 'StoreError', 'AuthError', 'IdentityUnavailableError', 'LinkError']);

/** Whether `error` is an {@link HttpError} (by name and a known code, like the other typed errors). */
export function isHttpError(error: unknown): error is HttpError {
  const candidate = error as { name?: unknown; code?: unknown; status?: unknown; title?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.name === 'HttpError' &&
    isErrorCode(candidate.code) &&
    typeof candidate.title === 'string'
  );
}

function omitUndefined(problem: Problem): Problem {
  return Object.fromEntries(Object.entries(problem).filter(([, value]) => value !== undefined)) as unknown as Problem;
}
