/**
 * The approval domain's and the use cases' refusals. Callers branch on `code` (stable, part of the
 * API; its status is the error registry's); they never rely on `instanceof`.
 */
import { statusOf, type ErrorCode } from '../errors/registry';

/**
 * The codes a domain error may carry (statuses and titles are in the error registry). Beyond the
 * lifecycle and policy rules, use cases refuse with these too: `not_found`, `idempotency_key_reused`,
 * `not_an_operator`, `orchestration_unavailable`, `conflict` (a write kept racing),
 * `terminate_pending` (a terminated orchestration has not stopped yet), `target_not_found` (Graph
 * does not know the operation's target), `no_eligible_approver` (nobody but the initiator could approve) `graph_unavailable` (Graph cannot be asked now) and `auto_complete_unavailable` (a policy completing on approval where nothing would run), and from a command's wait the orchestration's refusals: `membership_unavailable` (the directory could not be read to check the actor) and `command_refused` (its signature was refused: stale, replayed or not verifying).
 */
export const DOMAIN_ERROR_CODES = [
  'self_approval',
  'not_an_approver',
  'forbidden',
  'not_initiator',
  'invalid_state',
  'already_decided',
  'expired',
  'entity_locked',
  'operation_mismatch',
  'no_applicable_policy',
  'use_policies_api',
  'policy_exists',
  'unknown_group',
  'notes_required',
  'invalid_policy',
  'invalid_request',
  'not_found',
  'idempotency_key_reused',
  'not_an_operator',
  'orchestration_unavailable',
  'conflict',
  'terminate_pending',
  'target_not_found',
  'no_eligible_approver',
  'graph_unavailable',
  'auto_complete_unavailable',
  'membership_unavailable',
  'command_refused',
] as const satisfies readonly ErrorCode[];

/** A stable domain error code. */
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

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
 * A refusal by the domain or a use case. `code` is one of {@link DOMAIN_ERROR_CODES} and `status`
 * is always the registry's status for it; `message` is for people and may change (an empty one
 * adds nothing to the code's title).
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
    this.status = statusOf(code);
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
  if (!(DOMAIN_ERROR_CODES as readonly string[]).includes(candidate.code)) return false;
  return code === undefined || candidate.code === code;
}
