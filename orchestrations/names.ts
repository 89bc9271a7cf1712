/** Every registered Durable name, in one place: registrations and callers use these constants. */

/** The per-request approval orchestrator; its instance id is the request id. */
export const APPROVAL_ORCHESTRATOR = 'approvalOrchestrator';

/** Re-runs a failed execution once, for an operator; instance id `<requestId>:redrive:<n>`. */
export const REDRIVE_ORCHESTRATOR = 'redriveExecution';

/** Activities of the approval orchestrator (and `recordRedrive`, of the re-drive orchestrator). */
export const Activities = {
  /**
   * One step of a request (idempotent): appends its audit entries and writes the read model, then
   * sends the step's notification, if any, and appends its outcomes.
   */
  recordStep: 'recordStep',
  /**
   * One command, one step (idempotent): authenticates it, reads the actor's rights, applies the
   * lifecycle rules, records the step and sends its notification.
   */
  commandStep: 'commandStep',
  /** Executes a completed request's stored operation and records the execution (and its notification) in one step. */
  executeStep: 'executeStep',
  /**
   * Verifies a command's signature and freshness and reads the actor's app roles and groups again
   * (a command step in parts, when `commandStep` keeps failing).
   */
  authorizeCommand: 'authorizeCommand',
  /** Executes a completed request's stored operation through its profile type's executor (a re-drive's execution). */
  executeOperation: 'executeOperation',
  /** Records a re-drive's outcome in the read model and the audit trail (idempotent). */
  recordRedrive: 'recordRedrive',
  /** Reads what the device did with an accepted device action, through the executor (a read only). */
  observeExecution: 'observeExecution',
  /** Records the device outcome of a re-drive's execution (idempotent). */
  recordObservation: 'recordObservation',
  /** Reads a principal's app roles now (the initiator's, before the service completes on approval; a command step in parts). */
  readAppRoles: 'readAppRoles',
} as const;

/**
 * External events the approval orchestrator waits for (PascalCase, matched case-sensitively).
 * Every command travels as one event name so they are applied strictly in arrival order.
 */
export const ApprovalEvents = {
  Command: 'Command',
} as const;
export type ApprovalEventName = (typeof ApprovalEvents)[keyof typeof ApprovalEvents];
