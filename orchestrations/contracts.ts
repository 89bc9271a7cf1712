import type { AuditEntry, ApprovalRequest, Execution } from '../shared/domain/model';
import type { Correlated } from '../shared/telemetry/correlation';
import type { CommandEvent } from '../shared/useCases/deps';

export type { CommandEvent };

/** What starts an approval orchestration: the request as submitted (already in the read model). */
export interface ApprovalOrchestrationInput extends Correlated {
  request: ApprovalRequest;
}

/** How the orchestration ended. */
export interface ApprovalOrchestrationOutput {
  requestId: string;
  status: ApprovalRequest['status'];
  execution?: Execution;
}


/** Input of the `recordStep` activity. */
export interface RecordStepInput extends Correlated {
  request: ApprovalRequest;
  entries: AuditEntry[];
}

/** Input of the `checkMembership` activity: which of `groupIds` the user is in now. */
export interface CheckMembershipInput extends Correlated {
  userId: string;
  groupIds: string[];
}

/** Input of the `executeOperation` activity: the request (with the correlation id, which executors ignore). */
export type ExecuteOperationInput = ApprovalRequest & Correlated;

/** Custom status for operators. */
export interface ApprovalCustomStatus {
  status: ApprovalRequest['status'];
  approvals: number;
  requiredApprovals: number;
  expiresAt: string;
}
