/**
 * Every error code the service answers with, once: its HTTP status, its title and where a client
 * may meet it. The codes and statuses are API contract (clients branch on `code`, sent in the body
 * and in `x-error-code`). The problem mapper, the approval link pages, the OpenAPI document and the
 * error tables in docs/api.md and docs/approval-links.md all follow this table; a unit test holds
 * those tables to it.
 *
 * Where a code may occur:
 * - `api`: a problem+json answer of `/api` (requests, policies, health, OpenAPI);
 * - `ops`: a problem+json answer of the operators' API and dashboard (`/api/ops/...`);
 * - `links`: a refusal page of an approval link (`/api/approvals/{token}`); any other failure of a
 *   link shows a bare failure page with its status and code.
 */

/** Where a client may meet an error code. */
export type ErrorSurface = 'api' | 'ops' | 'links';

/** What the registry says about one code. */
export interface ErrorCodeInfo {
  readonly status: number;
  /** The problem's title unless the raiser gives a more precise one; link pages have their own wording. */
  readonly title: string;
  readonly surfaces: readonly ErrorSurface[];
}

const API = ['api', 'ops'] as const;
const EVERYWHERE = ['api', 'ops', 'links'] as const;
const DIRECTORY_UNAVAILABLE = 'A service this depends on is unavailable';

/** The registry: each code once. */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'The request is not valid', surfaces: API },
  invalid_json: { status: 400, title: 'The body is not valid JSON', surfaces: API },
  invalid_utf8: { status: 400, title: 'The request is not valid UTF-8', surfaces: API },
  body_too_deep: { status: 400, title: 'The body is nested too deeply', surfaces: API },
  invalid_request: { status: 400, title: 'The request is not valid', surfaces: ['api'] },
  invalid_policy: { status: 400, title: 'The policy is not valid', surfaces: ['api'] },
  notes_required: { status: 400, title: 'Notes are required', surfaces: ['api', 'links'] },
  invalid_continuation: { status: 400, title: 'The continuation token is not valid', surfaces: API },
  link_malformed: { status: 400, title: 'This is not a valid approval link', surfaces: ['links'] },
  invalid_form: { status: 400, title: 'The form is not valid', surfaces: ['links'] },
  missing_token: { status: 401, title: 'A bearer token is required', surfaces: API },
  invalid_token: { status: 401, title: 'The bearer token is not valid', surfaces: API },
  expired_token: { status: 401, title: 'The bearer token has expired', surfaces: API },
  sign_in_required: { status: 401, title: 'Sign in to continue', surfaces: ['links'] },
  forbidden: { status: 403, title: 'The caller lacks the role this needs', surfaces: EVERYWHERE },
  not_an_operator: { status: 403, title: 'Operations need the MAA.Operator role', surfaces: ['ops'] },
  self_approval: { status: 403, title: 'Initiators cannot approve their own requests', surfaces: ['api', 'links'] },
  not_an_approver: { status: 403, title: 'The caller is not an approver of this request', surfaces: ['api', 'links'] },
  not_initiator: { status: 403, title: 'Only the initiator may do this', surfaces: ['api'] },
  link_invalid: { status: 403, title: 'This approval link is not valid', surfaces: ['links'] },
  wrong_approver: { status: 403, title: 'This link was sent to someone else', surfaces: ['links'] },
  csrf_failed: { status: 403, title: 'The form could not be verified', surfaces: ['links'] },
  not_found: { status: 404, title: 'Not found', surfaces: EVERYWHERE },
  links_disabled: { status: 404, title: 'Approval links are not enabled', surfaces: ['links'] },
  method_not_allowed: { status: 405, title: 'The method is not allowed here', surfaces: API },
  invalid_state: { status: 409, title: 'The request is not in a state that allows this', surfaces: EVERYWHERE },
  already_decided: { status: 409, title: 'The caller has already decided on this request', surfaces: ['api', 'links'] },
  expired: { status: 409, title: 'The request has expired', surfaces: ['api', 'links'] },
  entity_locked: { status: 409, title: 'Another open request exists for this resource', surfaces: ['api'] },
  idempotency_key_reused: {
    status: 409,
    title: 'The Idempotency-Key was used with a different body',
    surfaces: ['api'],
  },
  operation_mismatch: {
    status: 409,
    title: 'The operation is not the one that was approved',
    surfaces: ['api', 'links'],
  },
  conflict: { status: 409, title: 'Conflict', surfaces: API },
  command_refused: { status: 409, title: 'The orchestration refused the command', surfaces: ['api'] },
  policy_exists: { status: 409, title: 'Another access policy already protects this profile type', surfaces: ['api'] },
  link_expired: { status: 410, title: 'This approval link has expired', surfaces: ['links'] },
  link_used: { status: 410, title: 'This approval link has already been used', surfaces: ['links'] },
  precondition_failed: { status: 412, title: 'The item changed since it was read', surfaces: ['api'] },
  payload_too_large: { status: 413, title: 'The body is too large', surfaces: API },
  unsupported_media_type: { status: 415, title: 'The body must be application/json', surfaces: API },
  no_applicable_policy: { status: 422, title: 'No access policy protects this profile type', surfaces: ['api'] },
  use_policies_api: { status: 422, title: 'Policy changes are submitted through /api/policies', surfaces: ['api'] },
  unknown_group: { status: 422, title: 'The directory does not know these approver groups', surfaces: ['api'] },
  no_eligible_approver: {
    status: 422,
    title: 'Too few approvers other than the initiator could approve this request',
    surfaces: ['api'],
  },
  auto_complete_unavailable: {
    status: 422,
    title: 'Nothing would run on approval: this profile type has no executor',
    surfaces: ['api'],
  },
  target_not_found: { status: 422, title: 'Intune does not know the target of this operation', surfaces: ['api'] },
  internal_error: { status: 500, title: 'Something went wrong on our side', surfaces: API },
  terminate_pending: { status: 503, title: 'The orchestration has not stopped yet', surfaces: ['ops'] },
  orchestration_unavailable: {
    status: 503,
    title: 'The request was stored but its orchestration could not be started',
    surfaces: ['api'],
  },
  membership_unavailable: {
    status: 503,
    title: 'The directory could not be read to check the approver',
    surfaces: ['api', 'links'],
  },
  store_unavailable: { status: 503, title: 'The store cannot take this now', surfaces: API },
  signing_keys_unavailable: { status: 503, title: DIRECTORY_UNAVAILABLE, surfaces: API },
  credential_failed: { status: 503, title: DIRECTORY_UNAVAILABLE, surfaces: API },
  graph_unauthorized: { status: 503, title: DIRECTORY_UNAVAILABLE, surfaces: API },
  graph_forbidden: { status: 503, title: DIRECTORY_UNAVAILABLE, surfaces: API },
  graph_throttled: { status: 503, title: DIRECTORY_UNAVAILABLE, surfaces: API },
  graph_unavailable: { status: 503, title: DIRECTORY_UNAVAILABLE, surfaces: API },
  graph_bad_response: { status: 503, title: DIRECTORY_UNAVAILABLE, surfaces: API },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A code of the registry. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `code` is one of the registry's codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The HTTP status of `code`. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
