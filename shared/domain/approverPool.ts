/**
 * Approver-pool health: whether a policy's requests can be approved at all, from the users in its
 * approver groups and the app roles they hold. Pure: the directory is read by the use case.
 */

import type { ScopeRule } from './model';

/** A transitive member of one of a policy's approver groups, with the API app roles they hold. */
export interface PoolCandidate {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly string[];
}

/** `ok`, `atRisk` (one departure away from trouble) or `unapprovable` (some request cannot reach its quorum). */
export type PoolStatus = 'ok' | 'atRisk' | 'unapprovable';

/** What {@link assessApproverPool} finds. */
export interface PoolHealth {
  /** The candidates who hold `MAA.Approver`, once each, in the order given. */
  readonly eligibleApprovers: { id: string; displayName: string }[];
  readonly status: PoolStatus;
  /** Why the status is not `ok`, in plain words; empty when it is. */
  readonly reasons: string[];
}

const APPROVER = 'MAA.Approver';
const REQUESTER = 'MAA.Requester';

/** The candidates who hold `MAA.Approver`, each id once (ids compare case-insensitively). */
function approvers(candidates: readonly PoolCandidate[]): PoolCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((candidate) => {
    const key = candidate.id.toLowerCase();
    if (!candidate.roles.includes(APPROVER) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The requests a scope rule raises the quorum of, in words. */
function scopeWords(rule: ScopeRule): string {
  return 'minDevices' in rule
    ? `a request that affects ${rule.minDevices} or more devices`
    : 'a request that assigns to all users or all devices';
}

/**
 * The health of an approver pool for a policy needing `requiredApprovals`. An approver who also
 * holds `MAA.Requester` may initiate, and cannot approve their own request: the worst case is such
 * an initiator, leaving one approver fewer. `unapprovable` when the worst case leaves fewer than
 * `requiredApprovals`; `atRisk` when it leaves exactly `requiredApprovals`, or the pool holds a
 * single approver; `ok` otherwise. The policy's risk-based quorum rules (`scopeRules`) are weighed
 * the same way: a rule asking more approvals than the worst case leaves makes the pool
 * `unapprovable` (the requests it covers could never be approved), one asking exactly as many
 * makes it `atRisk`; each says so in the reasons.
 */
export function assessApproverPool(
  candidates: readonly PoolCandidate[],
  requiredApprovals: number,
  scopeRules: readonly ScopeRule[] = [],
): PoolHealth {
  const pool = approvers(candidates);
  const initiators = pool.filter((candidate) => candidate.roles.includes(REQUESTER));
  const worst = pool.length - (initiators.length > 0 ? 1 : 0);
  const eligibleApprovers = pool.map(({ id, displayName }) => ({ id, displayName }));
  const reasons: string[] = [];
  if (pool.length === 0) reasons.push('no member of the approver groups holds MAA.Approver');
  else if (worst < requiredApprovals) {
    reasons.push(
      initiators.length > 0
        ? `a request from ${initiators[0]!.displayName} could get ${worst} of the ${requiredApprovals} approvals it needs`
        : `${pool.length} approver(s) cannot give the ${requiredApprovals} approvals a request needs`,
    );
  } else {
    if (worst === requiredApprovals)
      reasons.push(`exactly ${requiredApprovals} approver(s) would remain for some initiator: nobody may be away`);
    if (pool.length === 1) reasons.push(`${pool[0]!.displayName} is the only approver`);
  }
  let scopeUnapprovable = false;
  if (pool.length > 0 && worst >= requiredApprovals) {
    for (const rule of scopeRules) {
      if (rule.requiredApprovals <= requiredApprovals || rule.requiredApprovals < worst) continue;
      if (rule.requiredApprovals > worst) {
        scopeUnapprovable = true;
        reasons.push(
          `${scopeWords(rule)} needs ${rule.requiredApprovals} approvals, and only ${worst} approver(s) could give them`,
        );
      } else
        reasons.push(
          `${scopeWords(rule)} needs ${rule.requiredApprovals} approvals: exactly that many approver(s) would remain, nobody may be away`,
        );
    }
  }
  const status: PoolStatus =
    pool.length === 0 || worst < requiredApprovals || scopeUnapprovable
      ? 'unapprovable'
      : reasons.length > 0
        ? 'atRisk'
        : 'ok';
  return { eligibleApprovers, status, reasons };
}

/** How many of `candidates` other than `initiatorId` hold `MAA.Approver` (ids compared case-insensitively). */
export function approversOtherThan(candidates: readonly PoolCandidate[], initiatorId: string): number {
  const initiator = initiatorId.toLowerCase();
  return approvers(candidates).filter((candidate) => candidate.id.toLowerCase() !== initiator).length;
}
