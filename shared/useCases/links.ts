import { effectiveStatus } from '../domain/lifecycle';
import type { ApprovalRequest, Decision, DecisionKind } from '../domain/model';
import { approverRule } from '../domain/policy';
import type { AuthenticatedPrincipal } from '../identity/principal';
import { verifyLinkToken, type LinkClaims, type LinkKey, type LinkRefusal } from '../links/linkToken';
import { LinkError } from '../links/refusals';
import { RequestWatch } from './awaitRequest';
import { checkCommand } from './requests';
import type { Caller, UseCaseDeps } from './deps';

// Approval links, opened and used: the token names the request, the approver, the operation and
// the link; the person acting must be that approver (signed in through the platform), unless the
// app allows links alone; the decision goes through the same rules and orchestration as the API's,
// with source `link` and the link id, and each link decides once.

const TOKEN_REFUSALS: Record<LinkRefusal, LinkError['code']> = {
  malformed: 'link_malformed',
  unknown_key: 'link_invalid',
  bad_signature: 'link_invalid',
  expired: 'link_expired',
};

/** How long a decision's result page waits for the orchestration to apply it. */
export const OUTCOME_WAIT_MS = 5_000;

/** A link whose token and actor checked out, with the request it names. */
export interface OpenedLink {
  readonly claims: LinkClaims;
  readonly request: ApprovalRequest;
  /** Who acts: the signed-in approver, or (links alone allowed) the approver the link names. */
  readonly actor: Caller;
  /** The decision already made through this link, if any. */
  readonly decided: Decision | undefined;
}

/** The claims of a genuine, unexpired link token; a {@link LinkError} otherwise (nothing else is read). */
export function verifyLink(keys: readonly LinkKey[], token: string, now: Date): LinkClaims {
  const verdict = verifyLinkToken(keys, token, Math.floor(now.getTime() / 1000));
  if (!verdict.ok) throw new LinkError(TOKEN_REFUSALS[verdict.reason]);
  return verdict.claims;
}

/**
 * Decides who acts on a verified link and loads its request. A signed-in `principal` must be the
 * link's approver (`wrong_approver` otherwise, even when links alone are allowed: then someone
 * else is clearly at the keyboard). Without one, `allowLinkOnly` lets the link's approver act
 * with the role the request's approver rule needs (group membership is still read from the
 * directory); otherwise `sign_in_required`. The request is read only after that.
 */
export async function openLink(
  deps: UseCaseDeps,
  claims: LinkClaims,
  principal: AuthenticatedPrincipal | undefined,
  allowLinkOnly: boolean,
): Promise<OpenedLink> {
  if (principal && principal.id.toLowerCase() !== claims.approverId.toLowerCase())
    throw new LinkError('wrong_approver');
  if (!principal && !allowLinkOnly) throw new LinkError('sign_in_required');
  const stored = await deps.store.getRequest(claims.requestId);
  if (!stored) throw new LinkError('not_found');
  const request = stored.value;
  const actor: Caller = principal ?? {
    id: claims.approverId,
    displayName: claims.approverId,
    tenantId: '',
    roles: [approverRule(request.policy).role],
  };
  return { claims, request, actor, decided: request.decisions.find((decision) => decision.linkId === claims.linkId) };
}

/**
 * Throws why `link` cannot decide now, first the link's own state, then the request's, then the
 * rules about the actor (role, approver groups read afresh): used, already decided, expired,
 * closed or approved, operation changed, not an approver, no role. Changes nothing.
 */
export async function assertUsable(deps: UseCaseDeps, link: OpenedLink): Promise<void> {
  assertOpen(deps, link);
  await checkCommand(deps, link.actor, link.request, {
    kind: 'decide',
    decision: 'approve',
    notes: '',
    linkId: link.claims.linkId,
  });
}

/** The link's and the request's state checks of {@link assertUsable}. */
function assertOpen(deps: UseCaseDeps, link: OpenedLink): void {
  const { request, claims, actor } = link;
  if (link.decided) throw new LinkError('link_used');
  if (request.decisions.some((decision) => decision.approver.id.toLowerCase() === actor.id.toLowerCase()))
    throw new LinkError('already_decided');
  const status = effectiveStatus(request, deps.now().toISOString());
  if (status === 'expired') throw new LinkError('expired');
  if (status !== 'needsApproval')
    throw new LinkError('invalid_state', `It is ${STATUS_WORDS[status]}. Nothing was changed.`);
  if (request.operationHash !== claims.operationHash) throw new LinkError('operation_mismatch');
}

const STATUS_WORDS: Record<ApprovalRequest['status'], string> = {
  needsApproval: 'still waiting for approval',
  approved: 'already approved by enough approvers',
  rejected: 'rejected',
  cancelled: 'cancelled by its initiator',
  completed: 'approved and completed',
  expired: 'expired',
};

/**
 * Decides through `link`: checks it as {@link assertUsable} does and the decision with the rules
 * (notes are required to reject), then marks the link used and sends the decision to the
 * request's orchestration. The link is consumed after every check passed and before the decision
 * is sent, so of two concurrent posts exactly one is sent (the other gets `link_used`); if sending
 * then fails, the link stays used and the approver decides in the portal.
 */
export async function decideByLink(
  deps: UseCaseDeps,
  link: OpenedLink,
  decision: DecisionKind,
  notes: string,
): Promise<void> {
  const { request, claims, actor } = link;
  assertOpen(deps, link);
  const event = await checkCommand(deps, actor, request, { kind: 'decide', decision, notes, linkId: claims.linkId });
  if (!(await deps.store.consumeLinkId(claims.linkId, new Date(claims.expiresAt * 1000).toISOString())))
    throw new LinkError('link_used');
  await deps.orchestrations.raise(request.id, event);
}

/** What became of a decision sent through a link. */
export type LinkOutcome =
  | { readonly kind: 'applied'; readonly request: ApprovalRequest; readonly decision: Decision }
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'pending' };

/**
 * Waits up to {@link OUTCOME_WAIT_MS} for the orchestration to apply the decision made through
 * `link` (it shows in the read model with the link id) or to refuse it (a `request.eventRefused`
 * naming the link id), watching the request's steps as the API's commands do (see
 * `awaitRequest.ts`: told at once of the steps this process writes, the store read now and then
 * for the others); `pending` when neither showed in time.
 */
export async function awaitOutcome(deps: UseCaseDeps, link: OpenedLink): Promise<LinkOutcome> {
  const { linkId } = link.claims;
  // The request as the link opened it, before the decision was sent: every later step is looked at.
  const watch = new RequestWatch(deps, link.request.id, link.request);
  try {
    const found = await watch.until<LinkOutcome>((step) => {
      const refused = step.records.find(
        (record) => record.type === 'request.eventRefused' && record.data.linkId === linkId,
      );
      if (refused) return { kind: 'refused', code: String(refused.data.code) };
      const decision = step.request?.decisions.find((candidate) => candidate.linkId === linkId);
      return step.request && decision ? { kind: 'applied', request: step.request, decision } : undefined;
    }, performance.now() + OUTCOME_WAIT_MS);
    return found ?? { kind: 'pending' };
  } finally {
    watch.close();
  }
}
