import { applyCommand, createRequest, type CommandResult } from '../../../shared/domain/lifecycle';
import type { ApprovalRequest, Principal } from '../../../shared/domain/model';

export const GROUP = 'a9900000-0000-4000-8000-000000000101';
export const NESTED = 'a9900000-0000-4000-8000-000000000102';
export const alice: Principal = { id: 'a11ce000-0000-4000-8000-000000000001', displayName: 'Alice' };
export const bob: Principal = { id: 'b0b00000-0000-4000-8000-000000000002', displayName: 'Bob' };
export const carol: Principal = { id: 'ca401000-0000-4000-8000-000000000003', displayName: 'Carol' };

/** A wipe alice submitted at 2026-01-01T09:00Z, needing `requiredApprovals` from GROUP, expiring 30 days later. */
export function wipe(requiredApprovals = 2): ApprovalRequest {
  return createRequest({
    id: '0e0e0e0e-0000-4000-8000-000000000001',
    profileType: 'deviceWipe',
    operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: 'laptop-42' },
    justification: 'Reported stolen <INC-4711>',
    initiator: alice,
    initiatorRoles: ['MAA.Requester'],
    policy: {
      id: '11111111-1111-4111-8111-111111111111',
      displayName: 'Wipes',
      description: '',
      profileType: 'deviceWipe',
      approverGroupIds: [GROUP],
      requiredApprovals,
      requestTtl: 'P30D',
      version: 1,
      createdBy: bob,
      createdAt: '2025-01-01T00:00:00.000Z',
      lastModifiedAt: '2025-01-01T00:00:00.000Z',
    },
    now: '2026-01-01T09:00:00.000Z',
  });
}

/** `actor` decides on `request` through the real lifecycle rules. */
export function decide(
  request: ApprovalRequest,
  actor: Principal,
  decision: 'approve' | 'reject',
  notes = '',
): CommandResult {
  return applyCommand(request, {
    kind: 'decide',
    actor,
    actorRoles: ['MAA.Approver'],
    actorGroupIds: [GROUP],
    decision,
    notes,
    source: 'api',
    at: '2026-01-02T10:00:00.000Z',
  });
}
