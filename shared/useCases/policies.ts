import type { PolicyBody } from '../api/schemas';
import { DomainError } from '../domain/errors';
import type { AccessPolicy, ApprovalRequest } from '../domain/model';
import { assertValidPolicyDraft } from '../domain/policy';
import { HttpError } from '../http/problem';
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
export async function listPolicies(deps: UseCaseDeps, caller: Caller, page: { top: number; continuationToken?: string }): Promise<Page<AccessPolicy>> {
  const binding = { list: 'policies', callerId: caller.id };
  return sealPage(deps.appKeys, binding, await deps.store.listPolicies(storePaging(deps.appKeys, binding, page)));
}

export async function getPolicy(deps: UseCaseDeps, id: string): Promise<AccessPolicy> {
  const stored = await deps.store.getPolicy(id);
  if (!stored) throw new HttpError(404, 'not_found', 'Not found', `No policy '${id}'.`);
  return stored.value;
}

/**
 * Submits a policy change as an `operationApprovalPolicy` request: nothing changes until another
 * admin approves it and the initiator completes it. The entity lock is the profile type the
 * policy protects, so two changes to the same protection cannot be open at once.
 */
export async function requestPolicyChange(deps: UseCaseDeps, caller: Caller, change: PolicyChange, justification: string): Promise<ApprovalRequest> {
  if (!caller.roles.includes('MAA.PolicyAdmin')) throw new DomainError('forbidden', 'changing access policies needs MAA.PolicyAdmin');
  let profileType: string;
  if (change.action === 'create') {
    assertValidPolicyDraft(change.draft);
    profileType = change.draft.profileType;
  } else {
    const current = await getPolicy(deps, change.policyId);
    profileType = current.profileType;
    if (change.action === 'update') {
      assertValidPolicyDraft(change.draft);
      if (change.draft.profileType !== current.profileType) {
        throw new DomainError('invalid_policy', 'a policy cannot change the profile type it protects', {
          errors: [{ path: 'profileType', message: `must stay ${current.profileType}` }],
        });
      }
    }
  }
  return submitRequest(deps, caller, {
    profileType: 'operationApprovalPolicy',
    operation: { action: change.action, resourceType: POLICY_RESOURCE_TYPE, resourceId: profileType, payload: change as unknown as Record<string, never> },
    justification,
  });
}
