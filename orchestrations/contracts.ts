import type { ApprovalRequest, AuditRecord, Execution } from '../shared/domain/model';
import type { CommandEvent } from '../shared/useCases/deps';

export type { CommandEvent };

/** What starts an approval orchestration: the request as submitted (already in the read model) and that version's etag. */
export interface ApprovalOrchestrationInput {
  request: ApprovalRequest;
  etag: string;
}

/** How the orchestration ended. */
export interface ApprovalOrchestrationOutput {
  requestId: string;
  status: ApprovalRequest['status'];
  execution?: Execution;
}

/**
 * Input of the `recordStep` activity (the store's `RequestStep`): the step's chained audit
 * records, and the read model after it with the etag of the version the last step wrote, when
 * the step changes it.
 */
export interface RecordStepInput {
  records: AuditRecord[];
  request?: { value: ApprovalRequest; etag: string };
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
