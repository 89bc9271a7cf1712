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

/**
 * {@link WIPE_LIFECYCLE_TRAIL} once the follow-up has seen the device settle: the wipe Graph
 * accepted, then what the device did with it.
 */
export const WIPE_OBSERVED_TRAIL = [...WIPE_LIFECYCLE_TRAIL, 'execution.observed'] as const;
