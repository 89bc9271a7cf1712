import type { PolicyBody } from '../api/schemas';
import { DomainError } from '../domain/errors';
import type { AccessPolicy, ApprovalRequest, ProfileType } from '../domain/model';
import { assessApproverPool, type PoolHealth } from '../domain/approverPool';
import {
  assertCompletionRuns,
  assertKnownGroups,
  assertNoActivePolicy,
  assertValidPolicyDraft,
} from '../domain/policy';
import type { Page } from '../store/store';
import { sealPage, storePaging } from './continuation';
import type { Caller, UseCaseDeps } from './deps';
import { submitRequest } from './requests';

/** The operation of a policy change request; what its executor applies on completion. */
export type PolicyChange =
  | { action: 'create'; draft: PolicyBody }
  | { action: 'update'; policyId: string; draft: PolicyBody }
  | { action: 'delete'; policyId: string };

/** The resource type of policy change operations. */
export const POLICY_RESOURCE_TYPE = 'accessPolicy';

/** One page of the policies, newest first; its continuation token continues only this list for this caller. */
export async function listPolicies(
  deps: UseCaseDeps,
  caller: Caller,
  page: { top: number; continuationToken?: string },
): Promise<Page<AccessPolicy>> {
  const binding = { list: 'policies', callerId: caller.id };
  return sealPage(deps.appKeys, binding, await deps.store.listPolicies(storePaging(deps.appKeys, binding, page)));
}

export async function getPolicy(deps: UseCaseDeps, id: string): Promise<AccessPolicy> {
  const stored = await deps.store.getPolicy(id);
  if (!stored) throw new DomainError('not_found', `No policy '${id}'.`);
  return stored.value;
}

/** A policy as `GET /api/policies/{id}` shows it: with the health of its approver pool. */
export type PolicyView = AccessPolicy & { health: PoolHealth };

/**
 * The policy with `health`: who in its approver groups holds `MAA.Approver` (read from the
 * directory now, briefly cached), and whether a request under it can reach its quorum (see
 * {@link assessApproverPool}). Not on the list, which stays a store read.
 */
export async function getPolicyView(deps: UseCaseDeps, id: string): Promise<PolicyView> {
  const policy = await getPolicy(deps, id);
  const candidates = await deps.directory.approverCandidates(policy.approverGroupIds);
  return { ...policy, health: assessApproverPool(candidates, policy.requiredApprovals, policy.approvalsByScope) };
}

/**
 * Submits a policy change as an `operationApprovalPolicy` request: nothing changes until another
 * admin approves it and the initiator completes it. Refused at submit, so that nothing fails only
 * at completion: a draft that breaks the policy rules (`invalid_policy`), a new policy for a
 * profile type another policy already protects (`policy_exists`), approver groups the directory
 * does not know (`unknown_group`), an update that changes the profile type, `completion:
 * onApproval` for a profile type whose executor is `none` (`auto_complete_unavailable`: nothing
 * would run on approval). The entity lock is the
 * profile type the policy protects, so two changes to the same protection cannot be open at once.
 * The request's operation is built from the validated change alone (defaults filled in).
 */
export async function requestPolicyChange(
  deps: UseCaseDeps,
  caller: Caller,
  change: PolicyChange,
  justification: string,
): Promise<ApprovalRequest> {
  if (!caller.roles.includes('MAA.PolicyAdmin'))
    throw new DomainError('forbidden', 'changing access policies needs MAA.PolicyAdmin');
  let profileType: ProfileType;
  let validated: PolicyChange;
  if (change.action === 'create') {
    const draft = assertValidPolicyDraft(change.draft);
    profileType = draft.profileType;
    assertCompletionRuns(draft, deps.executorKindOf(draft.profileType));
    assertNoActivePolicy(profileType, (await deps.store.findPolicyByProfileType(profileType))?.value);
    await assertGroupsExist(deps, draft.approverGroupIds);
    validated = { action: 'create', draft };
  } else {
    const current = await getPolicy(deps, change.policyId);
    profileType = current.profileType;
    if (change.action === 'update') {
      const draft = assertValidPolicyDraft(change.draft);
      if (draft.profileType !== current.profileType) {
        throw new DomainError('invalid_policy', 'a policy cannot change the profile type it protects', {
          errors: [{ path: 'profileType', message: `must stay ${current.profileType}` }],
        });
      }
      assertCompletionRuns(draft, deps.executorKindOf(draft.profileType));
      await assertGroupsExist(deps, draft.approverGroupIds);
      validated = { action: 'update', policyId: current.id, draft };
    } else {
      validated = { action: 'delete', policyId: current.id };
    }
  }
  return submitRequest(deps, caller, {
    profileType: 'operationApprovalPolicy',
    operation: {
      action: validated.action,
      resourceType: POLICY_RESOURCE_TYPE,
      resourceId: profileType,
      payload: validated as unknown as Record<string, never>,
    },
    justification,
  });
}

async function assertGroupsExist(deps: UseCaseDeps, approverGroupIds: readonly string[]): Promise<void> {
  assertKnownGroups(approverGroupIds, await deps.directory.existingGroups(approverGroupIds));
}
