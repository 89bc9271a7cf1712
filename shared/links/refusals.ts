import { statusOf, type ErrorCode } from '../errors/registry';

/**
 * Why an approval link cannot be shown or used: the words the page uses. Each code and its HTTP
 * status are the error registry's (sent in `x-error-code`, like the API's problem codes); the ones
 * the lifecycle rules raise are the API's codes. None of them reveals anything about the request
 * to a token that does not check out.
 */
export const LINK_REFUSALS = {
  links_disabled: {
    title: 'Approval links are not enabled',
    message: 'This service does not accept approval links. Decide in the portal or through the API.',
  },
  link_malformed: {
    title: 'This is not a valid approval link',
    message: 'The link is incomplete or was altered. Open it again from the original message, copying it whole.',
  },
  link_invalid: {
    title: 'This approval link is not valid',
    message:
      'It was not issued by this service, was altered, or was signed with a key that has since been retired. Decide in the portal or ask for a new link.',
  },
  link_expired: {
    title: 'This approval link has expired',
    message: 'Links work for a limited time. Decide in the portal, where the request is still listed if it is open.',
  },
  link_used: {
    title: 'This approval link has already been used',
    message: 'Each link decides once; nothing was changed now.',
  },
  sign_in_required: {
    title: 'Sign in to continue',
    message: 'Sign in as the approver this link was sent to, then the request is shown.',
  },
  wrong_approver: {
    title: 'This link was sent to someone else',
    message:
      'You are signed in as another person than the approver it was issued to. Sign in as that approver, or decide in the portal.',
  },
  csrf_failed: {
    title: 'The form could not be verified',
    message:
      'The decision did not come from this page. Open the link again and decide from the page it shows. Nothing was changed.',
  },
  invalid_form: {
    title: 'The form is not valid',
    message: 'Choose approve or reject, with notes of at most 1024 characters. Nothing was changed.',
  },
  not_found: {
    title: 'The request no longer exists',
    message: 'It may have been removed after it closed.',
  },
  already_decided: {
    title: 'You have already decided on this request',
    message: 'An approver decides once; nothing was changed now.',
  },
  invalid_state: { title: 'This request no longer needs your decision', message: 'Nothing was changed.' },
  expired: {
    title: 'This request has expired',
    message: 'It was not decided in time; the initiator has to submit it again.',
  },
  operation_mismatch: {
    title: 'The request changed since this link was sent',
    message: 'The link approves only the operation it was issued for. Review the request in the portal.',
  },
  not_an_approver: {
    title: 'You are not an approver of this request',
    message:
      'You are in none of its approver groups, perhaps because you left the group after the link was sent. Nothing was changed.',
  },
  forbidden: {
    title: 'You lack the approver role',
    message: 'Deciding on this request needs an approver role you do not hold. Nothing was changed.',
  },
  self_approval: {
    title: 'You cannot decide on your own request',
    message: 'Another approver has to decide. Nothing was changed.',
  },
} as const satisfies Partial<Record<ErrorCode, { title: string; message: string }>>;

export type LinkRefusalCode = keyof typeof LINK_REFUSALS;

/** Whether `code` is one of {@link LINK_REFUSALS}. */
export function isLinkRefusalCode(code: unknown): code is LinkRefusalCode {
  return typeof code === 'string' && Object.hasOwn(LINK_REFUSALS, code);
}

/** A refusal of a link, with the registry's status for its code and an optional detail that replaces the standard message. */
export class LinkError extends Error {
  override name = 'LinkError';
  readonly status: number;
  constructor(
    readonly code: LinkRefusalCode,
    readonly detail?: string,
  ) {
    super(detail ?? LINK_REFUSALS[code].message);
    this.status = statusOf(code);
  }
}

/** Whether `error` is a {@link LinkError} (by name and code, like the other typed errors, not `instanceof`). */
export function isLinkError(error: unknown): error is LinkError {
  const candidate = error as { name?: unknown; code?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.name === 'LinkError' &&
    isLinkRefusalCode(candidate.code)
  );
}
