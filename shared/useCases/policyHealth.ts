import { assessApproverPool, type PoolHealth } from '../domain/approverPool';
import type { AccessPolicy } from '../domain/model';
import type { Directory } from '../identity/directory';
import type { Page } from '../store/store';
import { listPolicies } from './policies';
import type { Caller, UseCaseDeps } from './deps';

/** The health of each policy's approver pool, or why the directory could not tell. */
export type HealthReading = { health: PoolHealth } | { unreadable: string };

/** A policy in the list: with `health` when the directory answered for its approver groups. */
export type PolicyListItem = AccessPolicy & { health?: PoolHealth };

/** The words for a directory that did not answer; never the error's own text (it may name endpoints). */
export function unreadableReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return `the directory could not be read${typeof code === 'string' ? ` (${code})` : ''}`;
}

const groupKey = (groupIds: readonly string[]) => [...new Set(groupIds.map((id) => id.toLowerCase()))].sort().join(',');

/**
 * The approver-pool health of every policy in `policies`, by policy id: one directory read per
 * distinct set of approver groups (the directory port caches those reads briefly, so a dashboard
 * refresh or a list costs Graph nothing within the cache lifetime). A read that fails marks only
 * the policies with those groups `unreadable`; the others are still assessed.
 */
export async function readPoolHealth(
  directory: Pick<Directory, 'approverCandidates'>,
  policies: readonly AccessPolicy[],
): Promise<Map<string, HealthReading>> {
  const reads = new Map<string, Promise<Awaited<ReturnType<Directory['approverCandidates']>> | { failed: unknown }>>();
  for (const policy of policies) {
    const key = groupKey(policy.approverGroupIds);
    if (!reads.has(key))
      reads.set(
        key,
        directory.approverCandidates(policy.approverGroupIds).catch((error: unknown) => ({ failed: error })),
      );
  }
  const readings = new Map<string, HealthReading>();
  for (const policy of policies) {
    const answer = await reads.get(groupKey(policy.approverGroupIds))!;
    readings.set(
      policy.id,
      'failed' in answer
        ? { unreadable: unreadableReason(answer.failed) }
        : { health: assessApproverPool(answer, policy.requiredApprovals, policy.approvalsByScope) },
    );
  }
  return readings;
}

/**
 * One page of the policies (see {@link listPolicies}), each with `health` as `GET
 * /api/policies/{id}` shows it. A policy whose approver groups the directory could not read comes
 * without `health` rather than failing the list: the list stays usable while Graph is away.
 */
export async function listPoliciesWithHealth(
  deps: UseCaseDeps,
  caller: Caller,
  page: { top: number; continuationToken?: string },
): Promise<Page<PolicyListItem>> {
  const listed = await listPolicies(deps, caller, page);
  const readings = await readPoolHealth(deps.directory, listed.items);
  return {
    ...listed,
    items: listed.items.map((policy) => {
      const reading = readings.get(policy.id);
      return reading && 'health' in reading ? { ...policy, health: reading.health } : policy;
    }),
  };
}
