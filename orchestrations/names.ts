/** Every registered Durable name, in one place: registrations and callers use these constants. */

/** The per-request approval orchestrator; its instance id is the request id. */
export const APPROVAL_ORCHESTRATOR = 'approvalOrchestrator';

/** External events the approval orchestrator waits for (PascalCase, matched case-sensitively). */
export const ApprovalEvents = {
  Decision: 'Decision',
  Cancel: 'Cancel',
  Complete: 'Complete',
} as const;
export type ApprovalEventName = (typeof ApprovalEvents)[keyof typeof ApprovalEvents];
