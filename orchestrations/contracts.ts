import type { ChainStart } from '../shared/domain/auditChain';
import type { ApprovalRequest, AuditRecord, DeviceOutcome, Execution } from '../shared/domain/model';
import type { Command, DomainEvent } from '../shared/domain/lifecycle';
import type { NotificationKind, NotificationOutcome } from '../shared/domain/notifications';
import type { Correlated } from '../shared/telemetry/correlation';
import type { CommandSignature, SignatureRefusal } from '../shared/keys/commandSignature';
import type { ActorCommand } from '../shared/domain/commands';

/**
 * A command as it travels to the orchestration (the `Command` external event): the command, the
 * signature the Durable client adapter adds (see `shared/keys/commandSignature.ts`; the
 * orchestration refuses an event without a valid one) and `correlationId`, naming the HTTP request
 * that sent it (telemetry only, not signed).
 */
export type CommandEvent = ActorCommand & { signature?: CommandSignature; correlationId?: string };

/** What starts an approval orchestration: the request as submitted (already in the read model) and that version's etag. */
export interface ApprovalOrchestrationInput extends Correlated {
  request: ApprovalRequest;
  etag: string;
  /** When an operator started a request that never got its orchestration: `request.orchestrationStarted`, recorded after `request.submitted`. */
  operatorStart?: DomainEvent;
  /**
   * How long before expiry approvers are reminded (0: never), from the app settings of whoever
   * started it: orchestrations read no settings. Absent: no reminder.
   */
  reminderBeforeMs?: number;
  /** Made by the Durable client adapter over everything above but the correlation id (`signStart`); the first step checks it. */
  signature?: CommandSignature;
}

/** How the orchestration ended. */
export interface ApprovalOrchestrationOutput {
  requestId: string;
  status: ApprovalRequest['status'];
  execution?: Execution;
  /** Why the orchestration refused its input (a start signature that does not verify); nothing was recorded. */
  startRefused?: string;
}

/**
 * Input of the `recordStep` activity, one step of the request: the step's chained audit records
 * (the store's `RequestStep`), the read model after it with the etag of the version the last step
 * wrote (when the step changes it, or when it notifies: the messages are about the request as it
 * now is), and the notification the step sends, if any. A step is one activity: its records, its
 * messages and their outcomes' records.
 */
export interface RecordStepInput extends Correlated {
  /**
   * The step's own records, chained by the orchestration; empty for a step that only notifies (the
   * reminder), and on the first step, whose records the activity derives from `start`
   * (`startRecords` in `steps.ts`: the start input is in the history already, not sent twice).
   */
  records: AuditRecord[];
  request?: { value: ApprovalRequest; etag: string };
  /**
   * On the first step only: the orchestration's input, whose start signature the activity checks
   * before it writes or sends anything (an orchestration started through the Durable API with an
   * input the app did not sign records nothing and ends).
   */
  start?: ApprovalOrchestrationInput;
  /** The notification this step sends once its records are written (needs `request`, or on the first step `start`). */
  notify?: StepNotification;
  /**
   * Instead of `request`: the read model after the step is the stored one at `etag` with `command`
   * applied (none: unchanged, e.g. a reminder), the same rules the orchestration applied to its
   * copy; when the store holds another version the activity records nothing and answers `stale`,
   * and the orchestration sends its copy.
   */
  derive?: { requestId: string; etag: string; command?: Command };
  /**
   * On a refusal of the command with this nonce recorded where its own step goes (the step in
   * parts, when the directory or the store stayed unreadable): when the store refuses the records
   * (`audit_mismatch`) because an earlier attempt of that command's step wrote its first record
   * there (it names this nonce: `yieldsTo` in `steps.ts`), the activity writes and sends nothing
   * and answers `superseded`; the orchestration then completes that step instead.
   */
  yieldTo?: string;
}

/**
 * A step's notification: what to tell whom is derived from `kind` and the step's request. Its
 * outcomes (`link.issued`, `notification.sent`, `notification.failed`) are chained at `after`, the
 * trail's end after the step's own records, so their `seq` is fixed by the orchestration's trail.
 */
export interface StepNotification {
  kind: NotificationKind;
  /**
   * A GUID from `context.df.newGuid`: message (CloudEvent) ids and approval link ids derive from
   * it, so a re-run activity sends the same ids and the same links.
   */
  notificationId: string;
  /** The orchestration's current time (RFC 3339): when links are issued, the messages dated and the outcomes audited. */
  at: string;
  after: ChainStart;
}

/**
 * What the `recordStep` activity answers: the read model's etag after the step (null without one)
 * for a step that notifies nothing; for one that notifies, that etag and where the trail continues
 * after the outcomes' records (`next`), with `unrecorded`, the outcomes' records, chained, when
 * writing them failed after the messages went out (the orchestration then records them as a step
 * of their own, so a passing store outage never sends a message twice); or why the start was refused; or `stale` (see `derive`);
 * or `superseded` (see `yieldTo`).
 */
export type RecordStepOutput =
  string | null | { startRefused: string } | { stale: true } | { superseded: true } | NotifiedStepOutput;

/** The `recordStep` output of a step that notified (see {@link RecordStepOutput}). */
export interface NotifiedStepOutput {
  etag: string | null;
  next: ChainStart;
  unrecorded?: AuditRecord[];
}

/**
 * Input of the `authorizeCommand` activity: a command event as it arrived (unverified), for the
 * orchestration `instanceId`, at the orchestration's current time `at`.
 */
export interface AuthorizeCommandInput extends Correlated {
  instanceId: string;
  event: unknown;
  /** RFC 3339: the orchestration's time, against which the command's issue time must be fresh. */
  at: string;
  /** The approver groups to check the actor against (a decision's snapshot groups; otherwise none). */
  groupIds: string[];
  /** False: only authenticate (a command refused whatever the actor's rights, e.g. after the request closed). */
  readDirectory: boolean;
  /**
   * Where the command's step goes on the trail: when an earlier `commandStep` attempt wrote the
   * step's first record there with this command's nonce, the rights it recorded are answered
   * instead of the directory's (the step then writes the records that attempt wrote).
   */
  after?: ChainStart;
}

/**
 * Output of the `authorizeCommand` activity: a genuine, fresh command with its nonce and issue
 * time and the actor's app roles and groups (among `groupIds`) read from the directory now
 * (empty when `readDirectory` was false); or why its signature is refused.
 */
export type AuthorizeCommandOutput =
  | {
      ok: true;
      nonce: string;
      issuedAt: string;
      actorRoles: string[];
      actorGroupIds: string[];
      /** Recorded by an earlier attempt of the step (see `after`): the initiator's roles it read. */
      initiatorRoles?: string[] | null;
    }
  | { ok: false; code: SignatureRefusal; reason: string };

/** The actor's rights as the directory gave them when a command was applied (see `commandStep`). */
export interface StepRights {
  actorRoles: string[];
  actorGroupIds: string[];
  /**
   * For an approval that completes the request on approval: the initiator's app roles, or null
   * when they could not be read (then not completed, audited). Absent otherwise.
   */
  initiatorRoles?: string[] | null;
}

/**
 * Input of the `commandStep` activity: one command event as it arrived (unverified), for the
 * request `requestId`, at the orchestration's time `at`, made one step: authenticated, the actor's
 * rights read from the directory, the lifecycle rules applied, recorded at `after` and notified.
 * The request is read from the store (a point read) when its read model is at `etag`, the version
 * the orchestration last wrote; `request` carries it only when it was not (`stale`).
 */
export interface CommandStepInput extends Correlated {
  requestId: string;
  event: unknown;
  /** RFC 3339: the orchestration's time, against which the command's issue time must be fresh and at which it applies. */
  at: string;
  etag: string;
  after: ChainStart;
  /** From `context.df.newGuid`: the ids of the messages and links the step sends derive from it. */
  notificationId: string;
  /** The orchestration applied or refused the nonce the event claims already: a genuine event is refused as `command_replayed`. */
  replayed?: true;
  /** Refuse a genuine event with this code and reason whatever the actor's rights (a command after the request closed). */
  refuse?: { code: string; reason: string };
  /** The request as the orchestration holds it: only when the store's copy was not at `etag`. */
  request?: ApprovalRequest;
  /**
   * For the execution the step runs when it completes the request (see `executeStep`):
   * `notificationId` (from `context.df.newGuid`) is the id of the initiator's `executed` message
   * after a completion on approval. Absent (an input an earlier version made): a completion on
   * approval is not executed in the step, but by the orchestration's `executeStep`, which sends it.
   */
  execution?: { notificationId: string };
}

/**
 * Output of the `commandStep` activity: `verified` when the signature verified (the orchestration
 * remembers the nonce), `rights` when the lifecycle rules were applied (the orchestration applies
 * them again to its copy with these rights, `commandStep` in `steps.ts`: the same request and
 * records); then the read model's etag after the step, where the trail continues, and any
 * notification outcomes left unrecorded (as `recordStep`); `executed` when the step completed the
 * request and executed it too. `stale`: the store's copy was not at the
 * input's etag, nothing was recorded: call again with `request`. `adopted`: other records stand at
 * the step's place (written before steps recorded the rights they read) and the read model shows
 * the whole trail: the read model as stored, for the orchestration to take.
 */
export interface CommandStepOutput {
  verified?: { nonce: string; issuedAt: string };
  rights?: StepRights;
  /** With `rights`: the request's status as the step left it (the orchestration checks its own copy agrees). */
  status?: ApprovalRequest['status'];
  etag: string | null;
  next: ChainStart;
  unrecorded?: AuditRecord[];
  stale?: true;
  adopted?: { request: ApprovalRequest; etag: string };
  /**
   * The step completed the request and executed it in the same run: what `executeStep` answers
   * (the execution, and where it was recorded unless handed back). Absent after a completing step:
   * the execution is still to run (it threw, or the step could not go on to it).
   */
  executed?: ExecuteStepOutput;
  /**
   * The step completed the request and its execution in the same run threw (a retryable failure,
   * nothing recorded): the orchestration waits one retry interval before `executeStep` tries again.
   */
  executionFailed?: true;
}

/**
 * Input of the `executeStep` activity: execute the completed request `requestId` (its stored
 * operation, which must still hash to `operationHash`) and record the execution at `after` under
 * `etag`, the read model's version the orchestration last wrote; `notify` sends the initiator the
 * `executed` notification in the same step (a request completed on approval).
 */
export interface ExecuteStepInput extends Correlated {
  requestId: string;
  operationHash: string;
  etag: string;
  after: ChainStart;
  notify?: { notificationId: string; at: string };
  /**
   * The execution failed for good (its retries ran out): record this failure instead of executing,
   * unless an earlier attempt recorded an execution at this place, which is answered instead.
   */
  gaveUp?: ExecuteOperationOutput;
}

/**
 * Output of the `executeStep` activity: the execution (with its follow-up) and, when the activity
 * recorded it, where (`recorded`, as `recordStep` answers a step that notified); without
 * `recorded` the orchestration records it as a step of its own (the read model was not at the
 * input's etag, or the write failed: never executed twice for it). A run after an earlier one
 * that wrote the execution record answers that execution (its follow-up included) as `recorded`.
 * `adopted` (the read model as stored, for the orchestration to take) is no longer answered; a
 * history written before may hold it.
 */
export interface ExecuteStepOutput {
  execution: ExecuteOperationOutput;
  recorded?: NotifiedStepOutput;
  adopted?: { request: ApprovalRequest; etag: string; next: ChainStart };
}

/** What a step's sender (`makeNotify`) is given: what to tell whom is derived from `kind` and `request`. */
export interface NotifyInput {
  kind: NotificationKind;
  request: ApprovalRequest;
  /**
   * A GUID from `context.df.newGuid`: message (CloudEvent) ids and approval link ids derive from
   * it, so a re-run activity sends the same ids and the same links.
   */
  notificationId: string;
  /** The orchestration's current time (RFC 3339): when links are issued and the messages dated. */
  at: string;
}

/** What a step's sender reports. */
export interface NotifyOutput {
  /** One per recipient and channel, in a stable order. */
  outcomes: NotificationOutcome[];
  /** Failures before anything was sent (e.g. the approvers could not be read from the directory). */
  problems: string[];
}

/** Input of the `executeOperation` activity: the request (with the correlation id, which executors ignore). */
export type ExecuteOperationInput = ApprovalRequest & Correlated;

/**
 * A device action Graph accepted: observe the device every `everyMs` until its outcome is no
 * longer `pending` or `until` (RFC 3339) passes.
 */
export interface FollowUp {
  everyMs: number;
  until: string;
}

/**
 * Output of the `executeOperation` activity: the execution to record and, for a device action
 * Graph accepted, its follow-up (never recorded itself). Outputs recorded before follow-ups
 * existed are plain executions.
 */
export type ExecuteOperationOutput = Execution & { followUp?: FollowUp };

/** Input of the `readAppRoles` activity: whose app roles to read now (output: the roles). */
export interface ReadAppRolesInput extends Correlated {
  principalId: string;
}

/** Input of the `observeExecution` activity: the request whose accepted device action to look at now. */
export interface ObserveExecutionInput extends Correlated {
  requestId: string;
}

/** Output of the `observeExecution` activity: the device's outcome as read now (a bulk action's summary, and each accepted device's in `devices`). */
export type ObserveExecutionOutput = DeviceOutcome & { devices?: { resourceId: string; outcome: DeviceOutcome }[] };

/** Input of the `recordObservation` activity: the device outcome of re-drive `number`'s execution. */
export interface RecordObservationInput extends Correlated {
  requestId: string;
  number: number;
  outcome: DeviceOutcome;
  /** A bulk action: each accepted device's outcome. */
  devices?: { resourceId: string; outcome: DeviceOutcome }[];
}

/** Custom status for operators. */
export interface ApprovalCustomStatus {
  status: ApprovalRequest['status'];
  approvals: number;
  requiredApprovals: number;
  expiresAt: string;
}

/** Input of the approval orchestration when an operator starts a request that never got one. */
export type OperatorStartInput = Omit<ApprovalOrchestrationInput, 'signature'> & { operatorStart: DomainEvent };

/** Input of the re-drive orchestration (instance id {@link redriveInstanceId}). */
export interface RedriveInput {
  /** The request as claimed (completed; its operation is the approved one). */
  request: ApprovalRequest;
  number: number;
  correlationId?: string;
}

/** Input of the `recordRedrive` activity: re-drive `number`'s outcome. */
export interface RecordRedriveInput {
  requestId: string;
  number: number;
  execution: Execution;
  correlationId?: string;
}

/** The re-drive orchestration's instance id: one per request and re-drive number, so each runs once. */
export function redriveInstanceId(requestId: string, number: number): string {
  return `${requestId}:redrive:${number}`;
}
