/**
 * The approval domain's refusals. Callers branch on `code` (stable, part of the API) and map
 * `status` to the HTTP status of the problem response; they never rely on `instanceof`.
 */

/** Every domain error code and the HTTP status it suggests. */
export const DOMAIN_ERROR_STATUS = {
  /** The initiator tried to decide on their own request (refused even when in an approver group). */
  self_approval: 403,
  /** The caller is in none of the request's approver groups. */
  not_an_approver: 403,
  /** The caller lacks the app role the action needs. */
  forbidden: 403,
  /** Only the initiator may cancel or complete a request. */
  not_initiator: 403,
  /** The request's status does not allow the command. */
  invalid_state: 409,
  /** This approver already decided on the request. */
  already_decided: 409,
  /** The request expired (or the command arrived at or after `expiresAt`). */
  expired: 409,
  /** Another open request holds the entity lock of the same `(profileType, resourceId)`. */
  entity_locked: 409,
  /** The operation about to execute is not the one that was approved (its hash differs). */
  operation_mismatch: 409,
  /** No active access policy protects the request's profile type. */
  no_applicable_policy: 422,
  /** A policy change (`operationApprovalPolicy`) was submitted as a plain request: it goes through `/api/policies`. */
  use_policies_api: 422,
  /** A new policy names a profile type that another active policy already protects. */
  policy_exists: 409,
  /** A policy names approver groups the directory does not know; `errors` names each. */
  unknown_group: 422,
  /** A rejection needs notes. */
  notes_required: 400,
  /** A policy draft (or a stored policy) breaks the policy rules; `errors` names each field. */
  invalid_policy: 400,
  /** An input is malformed: a bad timestamp or duration, an empty justification, a value that is not JSON. */
  invalid_request: 400,
} as const;

/** A stable domain error code. */
export type DomainErrorCode = keyof typeof DOMAIN_ERROR_STATUS;

/** One problem with one field; `path` is dotted (`approverGroupIds.1`), like a problem's `errors`. */
export interface FieldError {
  path: string;
  message: string;
}

/** Extra facts about a refusal; all optional. */
export interface DomainErrorOptions {
  /** Per-field problems (always present, possibly empty, for `invalid_policy`). */
  errors?: FieldError[];
}

/**
 * A refusal by the domain. `code` is one of {@link DOMAIN_ERROR_STATUS}'s keys and `status` is
 * always the status listed for it; `message` is for people and may change.
 */
export class DomainError extends Error {
  override name = 'DomainError' as const;
  readonly status: number;
  declare readonly errors?: FieldError[];

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message);
    this.status = DOMAIN_ERROR_STATUS[code];
    if (options.errors !== undefined) this.errors = options.errors;
  }
}

/**
 * True when `error` is a domain error (judged by its `name` and a known `code`, so it holds across
 * module copies), and, when `code` is given, has that code.
 */
export function isDomainError(error: unknown, code?: DomainErrorCode): error is DomainError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'DomainError' || typeof candidate.code !== 'string') return false;
  if (!Object.hasOwn(DOMAIN_ERROR_STATUS, candidate.code)) return false;
  return code === undefined || candidate.code === code;
}
