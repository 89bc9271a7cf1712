import type { AuditEntry, ApprovalRequest, DecisionKind, DecisionSource, Execution, Principal } from '../shared/domain/model';

/** What starts an approval orchestration: the request as submitted (already in the read model). */
export interface ApprovalOrchestrationInput {
  request: ApprovalRequest;
}

/** How the orchestration ended. */
export interface ApprovalOrchestrationOutput {
  requestId: string;
  status: ApprovalRequest['status'];
  execution?: Execution;
}

/** The `Command` event: what the HTTP layer let through, re-checked by the orchestration. */
export type CommandEvent =
  | { kind: 'decide'; actor: Principal; actorRoles: string[]; decision: DecisionKind; notes?: string; source: DecisionSource }
  | { kind: 'cancel'; actor: Principal }
  | { kind: 'complete'; actor: Principal };

/** Input of the `recordStep` activity. */
export interface RecordStepInput {
  request: ApprovalRequest;
  entries: AuditEntry[];
}

/** Input of the `checkMembership` activity: which of `groupIds` the user is in now. */
export interface CheckMembershipInput {
  userId: string;
  groupIds: string[];
}

/** Custom status for operators. */
export interface ApprovalCustomStatus {
  status: ApprovalRequest['status'];
  approvals: number;
  requiredApprovals: number;
  expiresAt: string;
}
