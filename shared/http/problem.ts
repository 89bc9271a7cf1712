import type { HttpResponseInit } from '@azure/functions';

/** One field error of a validation problem. */
export interface FieldError {
  path: string;
  message: string;
}

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

/** An error the HTTP layer itself raises (bad body, unknown route parameter, ...). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }
}

/** Status and title for error codes raised below the HTTP layer (domain, store, identity). */
const KNOWN_CODES: Record<string, { status: number; title: string }> = {
  missing_token: { status: 401, title: 'A bearer token is required' },
  invalid_token: { status: 401, title: 'The bearer token is not valid' },
  expired_token: { status: 401, title: 'The bearer token has expired' },
  forbidden: { status: 403, title: 'The caller lacks the role this needs' },
  self_approval: { status: 403, title: 'Initiators cannot approve their own requests' },
  not_an_approver: { status: 403, title: 'The caller is not an approver of this request' },
  not_initiator: { status: 403, title: 'Only the initiator may do this' },
  not_found: { status: 404, title: 'Not found' },
  invalid_state: { status: 409, title: 'The request is not in a state that allows this' },
  already_decided: { status: 409, title: 'The caller has already decided on this request' },
  expired: { status: 409, title: 'The request has expired' },
  entity_locked: { status: 409, title: 'Another open request exists for this resource' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_key_reused: { status: 409, title: 'The Idempotency-Key was used with a different body' },
  precondition_failed: { status: 412, title: 'The item changed since it was read' },
  operation_mismatch: { status: 409, title: 'The operation is not the one that was approved' },
  invalid_request: { status: 400, title: 'The request is not valid' },
  invalid_continuation: { status: 400, title: 'The continuation token is not valid' },
  no_applicable_policy: { status: 422, title: 'No access policy protects this profile type' },
  use_policies_api: { status: 422, title: 'Policy changes are submitted through /api/policies' },
  policy_exists: { status: 409, title: 'Another access policy already protects this profile type' },
  unknown_group: { status: 422, title: 'The directory does not know these approver groups' },
  notes_required: { status: 400, title: 'Notes are required' },
  invalid_policy: { status: 400, title: 'The policy is not valid' },
  store_unavailable: { status: 503, title: 'The store cannot take this now' },
};

/**
 * Maps any thrown value to a problem: HTTP errors as raised, typed errors by their stable `code`,
 * everything else to a 500 that reveals nothing about the failure.
 */
export function problemFromError(error: unknown): Problem {
  if (error instanceof HttpError) {
    return omitUndefined({
      status: error.status,
      code: error.code,
      title: error.title,
      detail: error.detail,
      errors: error.errors,
    });
  }
  const coded = error as {
    name?: unknown;
    code?: unknown;
    status?: unknown;
    message?: unknown;
    errors?: unknown;
    details?: { retryAfterSeconds?: unknown };
  } | null;
  const code = typeof coded?.code === 'string' ? coded.code : undefined;
  // Typed errors of the domain and identity layers carry their own status.
  const ownStatus =
    typeof coded?.status === 'number' && TYPED_ERRORS.has(String(coded?.name)) ? coded.status : undefined;
  const known = code
    ? ownStatus
      ? { status: ownStatus, title: KNOWN_CODES[code]?.title ?? titleFor(ownStatus) }
      : KNOWN_CODES[code]
    : undefined;
  if (code && known) {
    const detail = typeof coded?.message === 'string' && coded.message.length > 0 ? coded.message : undefined;
    const errors = Array.isArray(coded?.errors) ? (coded.errors as FieldError[]) : undefined;
    const retryAfter = coded?.details?.retryAfterSeconds;
    const retryAfterSeconds = typeof retryAfter === 'number' && retryAfter > 0 ? Math.ceil(retryAfter) : undefined;
    return omitUndefined({ status: known.status, code, title: known.title, detail, errors, retryAfterSeconds });
  }
  return { status: 500, code: 'internal_error', title: 'Something went wrong on our side' };
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

const TYPED_ERRORS = new Set(['DomainError', 'AuthError', 'IdentityUnavailableError']);

function titleFor(status: number): string {
  if (status === 401) return 'The caller is not authenticated';
  if (status === 403) return 'The caller may not do this';
  if (status === 503) return 'A service this depends on is unavailable';
  return 'The request cannot be served';
}

function omitUndefined(problem: Problem): Problem {
  return Object.fromEntries(Object.entries(problem).filter(([, value]) => value !== undefined)) as unknown as Problem;
}
