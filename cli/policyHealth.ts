import type { z } from 'zod';
import type { policyListItemSchema, policyViewSchema } from '../shared/api/schemas';
import { policyDetail } from './render';
import { renderFields, renderTable } from './table';

// Human views of policies with the health of their approver pools (`maa policies list` and
// `maa policies show`); `--json` bypasses them.

type PolicyListItem = z.infer<typeof policyListItemSchema>;
type PolicyView = z.infer<typeof policyViewSchema>;

/** The HEALTH cell: the pool's status, `unknown` when the service could not read the directory. */
export function healthCell(health: PolicyListItem['health']): string {
  return health === undefined ? 'unknown' : health.status;
}

/** `maa policies list`: one row per policy, with the health of its approver pool. */
export function policiesHealthTable(policies: readonly PolicyListItem[]): string {
  return renderTable(
    [
      { header: 'ID' },
      { header: 'PROFILE TYPE' },
      { header: 'NAME', maxWidth: 40 },
      { header: 'APPROVALS' },
      { header: 'TTL' },
      { header: 'VERSION' },
      { header: 'HEALTH' },
    ],
    policies.map((policy) => [
      policy.id,
      policy.profileType,
      policy.displayName,
      String(policy.requiredApprovals),
      policy.requestTtl,
      String(policy.version),
      healthCell(policy.health),
    ]),
  );
}

/** `maa policies show`: the policy's fields, then (a block of its own) its pool's health, eligible approvers and each reason. */
export function policyHealthDetail(policy: PolicyView): string {
  const { health } = policy;
  return (
    policyDetail(policy) +
    '\n' +
    renderFields([
      ['health', health.status],
      [
        'eligible approvers',
        health.eligibleApprovers.length === 0
          ? 'none'
          : `${health.eligibleApprovers.length}: ${health.eligibleApprovers.map((approver) => approver.displayName).join(', ')}`,
      ],
      ...health.reasons.map((reason) => ['why', reason] as const),
    ])
  );
}
