// Imported by the benchmarks too (they check their trails against it), so it imports nothing.

/**
 * The audit record types of a wipe that one approver approves and its initiator completes, in
 * order (submit, approve, complete, executed): the approvers (bob, carol) are mailed their own
 * links after the submission, and the initiator hears of the approval.
 */
export const WIPE_LIFECYCLE_TRAIL = [
  'request.submitted',
  'link.issued',
  'link.issued',
  'notification.sent',
  'notification.sent',
  'request.approved',
  'request.statusChanged',
  'notification.sent',
  'request.completed',
  'request.statusChanged',
  'execution.succeeded',
] as const;
