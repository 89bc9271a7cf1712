import type { AccessPolicy, ApprovalRequest } from '../domain/model';
import { OPTIONAL_POLICY_FIELDS, assertValidPolicyDraft } from '../domain/policy';
import { isStoreError, type Store } from '../store/store';
import type { PolicyChange } from '../useCases/policies';
import type { ExecutionOutcome, Executor } from './executor';

/**
 * Applies a completed `operationApprovalPolicy` request: creates, replaces or deletes the access
 * policy exactly as approved. Idempotent: a created policy's id is derived from the request id, and
 * a change already applied (the policy already matches, or is already gone) is reported as done.
 */
export class PolicyExecutor implements Executor {
  readonly kind = 'policy';

  constructor(
    private readonly store: Pick<Store, 'getPolicy' | 'createPolicy' | 'replacePolicy' | 'deletePolicy'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(request: ApprovalRequest): Promise<ExecutionOutcome> {
    const change = request.operation.payload as unknown as PolicyChange;
    const at = request.completedAt ?? this.now().toISOString();
    try {
      if (change.action === 'create') {
        const draft = assertValidPolicyDraft(change.draft);
        const id = `pol-${request.id}`;
        if (await this.store.getPolicy(id)) return { status: 'succeeded', detail: `policy ${id} created` };
        const policy: AccessPolicy = {
          id,
          ...draft,
          version: 1,
          createdBy: request.initiator,
          createdAt: at,
          lastModifiedAt: at,
        };
        await this.store.createPolicy(policy);
        return { status: 'succeeded', detail: `policy ${id} created` };
      }
      const current = await this.store.getPolicy(change.policyId);
      if (change.action === 'delete') {
        if (!current) return { status: 'succeeded', detail: `policy ${change.policyId} deleted` };
        await this.store.deletePolicy(change.policyId, current.etag);
        return { status: 'succeeded', detail: `policy ${change.policyId} deleted` };
      }
      if (!current) return { status: 'failed', retryable: false, detail: `policy ${change.policyId} no longer exists` };
      const draft = assertValidPolicyDraft(change.draft);
      // The optional fields count when absent too: a draft without them removes them.
      const keys = [...new Set([...Object.keys(draft), ...OPTIONAL_POLICY_FIELDS])] as (keyof typeof draft)[];
      if (keys.every((key) => JSON.stringify(current.value[key]) === JSON.stringify(draft[key]))) {
        return { status: 'succeeded', detail: `policy ${change.policyId} already matches the approved change` };
      }
      const kept: Partial<AccessPolicy> = { ...current.value };
      for (const field of OPTIONAL_POLICY_FIELDS) delete kept[field];
      const updated: AccessPolicy = {
        ...(kept as AccessPolicy),
        ...draft,
        version: current.value.version + 1,
        lastModifiedAt: at,
      };
      await this.store.replacePolicy(updated, current.etag);
      return { status: 'succeeded', detail: `policy ${change.policyId} updated to version ${updated.version}` };
    } catch (error) {
      if (isStoreError(error)) {
        const retryable = error.code === 'precondition_failed';
        return { status: 'failed', retryable, detail: `policy change not applied: ${error.code}: ${error.message}` };
      }
      throw error;
    }
  }
}
