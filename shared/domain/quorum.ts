import type { OperationScope, QuorumReason, ScopeRule } from './model';

/** The quorum a request needs: its number and, when a scope rule raised it, why. */
export interface EffectiveQuorum {
  requiredApprovals: number;
  quorum?: QuorumReason;
}

/** True when `rule` matches `scope`: enough devices, or an assignment to all users or all devices. */
export function ruleMatches(rule: ScopeRule, scope: OperationScope): boolean {
  if ('assignsToAll' in rule) return rule.assignsToAll === true && scope.assignsToAll;
  return scope.devices >= rule.minDevices;
}

/** `rule`'s reason in words, e.g. `needs 2 approvals because it affects 37 devices`. */
export function quorumText(requiredApprovals: number, rule: ScopeRule, scope: OperationScope): string {
  const approvals = `${requiredApprovals} approval${requiredApprovals === 1 ? '' : 's'}`;
  if ('assignsToAll' in rule) return `needs ${approvals} because it assigns to all users or all devices`;
  return `needs ${approvals} because it affects ${scope.devices} device${scope.devices === 1 ? '' : 's'}`;
}

/**
 * The approvals a request whose operation reaches `scope` needs under a policy asking for
 * `baseApprovals` with scope rules `rules`: the highest `requiredApprovals` of the matching rules
 * (the first such rule in list order when two ask for the same), never fewer than `baseApprovals`.
 * `quorum` says why, only when a rule raised the number above `baseApprovals`.
 */
export function effectiveQuorum(
  baseApprovals: number,
  rules: readonly ScopeRule[] | undefined,
  scope: OperationScope | undefined,
): EffectiveQuorum {
  let winner: ScopeRule | undefined;
  if (scope !== undefined)
    for (const rule of rules ?? [])
      if (ruleMatches(rule, scope) && rule.requiredApprovals > (winner?.requiredApprovals ?? baseApprovals))
        winner = rule;
  if (winner === undefined) return { requiredApprovals: baseApprovals };
  return {
    requiredApprovals: winner.requiredApprovals,
    quorum: {
      baseApprovals,
      rule: { ...winner },
      scope: { devices: scope!.devices, assignsToAll: scope!.assignsToAll },
      text: quorumText(winner.requiredApprovals, winner, scope!),
    },
  };
}
