import type { PoolStatus } from '../domain/approverPool';
import type { AccessPolicy, ProfileType } from '../domain/model';
import type { Directory } from '../identity/directory';
import type { Store } from '../store/store';
import { readPoolHealth, type HealthReading } from '../useCases/policyHealth';

// The approver pools of every active policy, for the operators' summary and dashboard: whether a
// request under each policy can be approved at all (see shared/domain/approverPool.ts).

/** A pool's status, or `unknown` when the directory could not be read for it. */
export type PoolRowStatus = PoolStatus | 'unknown';

/** One policy's approver pool as the operators see it. */
export interface ApproverPoolRow {
  policyId: string;
  displayName: string;
  profileType: ProfileType;
  requiredApprovals: number;
  /** Members of the approver groups who hold `MAA.Approver`; null when the directory could not be read. */
  eligibleApprovers: number | null;
  status: PoolRowStatus;
  /** Why the status is not `ok` (for `unknown`: why the directory could not tell). */
  reasons: string[];
}

/** The `approverPools` part of `GET /api/ops/summary`. */
export interface ApproverPools {
  /** Policies by pool status; monitoring alerts on `unapprovable` (and on `unknown`). */
  counts: Record<PoolRowStatus, number>;
  /** False when the directory did not answer for some policy (its row is `unknown`). */
  directoryReadable: boolean;
  /** Every active policy: unapprovable first, then atRisk, unknown, ok; by profile type within each. */
  policies: ApproverPoolRow[];
}

const ORDER: readonly PoolRowStatus[] = ['unapprovable', 'atRisk', 'unknown', 'ok'];

/** Most policies the summary reads (one per profile type exists at most; this bounds a broken store). */
const MAX_POLICIES = 1000;

/** The operators' view of each policy's pool, from the directory's readings (pure). */
export function approverPoolRows(
  policies: readonly AccessPolicy[],
  readings: ReadonlyMap<string, HealthReading>,
): ApproverPools {
  const rows = policies.map((policy): ApproverPoolRow => {
    const reading = readings.get(policy.id) ?? { unreadable: 'the directory was not asked' };
    const base = {
      policyId: policy.id,
      displayName: policy.displayName,
      profileType: policy.profileType,
      requiredApprovals: policy.requiredApprovals,
    };
    return 'health' in reading
      ? {
          ...base,
          eligibleApprovers: reading.health.eligibleApprovers.length,
          status: reading.health.status,
          reasons: reading.health.reasons,
        }
      : { ...base, eligibleApprovers: null, status: 'unknown', reasons: [reading.unreadable] };
  });
  rows.sort(
    (a, b) =>
      ORDER.indexOf(a.status) - ORDER.indexOf(b.status) ||
      a.profileType.localeCompare(b.profileType) ||
      a.policyId.localeCompare(b.policyId),
  );
  const counts = Object.fromEntries(ORDER.map((status) => [status, 0])) as Record<PoolRowStatus, number>;
  for (const row of rows) counts[row.status] += 1;
  return { counts, directoryReadable: counts.unknown === 0, policies: rows };
}

/** Every active policy's approver pool, read through the (cached) directory port. */
export async function approverPools(
  store: Pick<Store, 'listPolicies'>,
  directory: Pick<Directory, 'approverCandidates'>,
): Promise<ApproverPools> {
  const policies: AccessPolicy[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listPolicies({ top: 100, ...(continuationToken ? { continuationToken } : {}) });
    policies.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken && policies.length < MAX_POLICIES);
  return approverPoolRows(policies, await readPoolHealth(directory, policies));
}
