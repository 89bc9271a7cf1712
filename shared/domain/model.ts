/**
 * The approval domain's data: names follow Microsoft Graph (`operationApprovalPolicyType`,
 * `operationApprovalRequestStatus`) so Intune tooling maps 1:1. Pure types and constants only.
 */

/** What an access policy protects. */
export const PROFILE_TYPES = [
  'app',
  'script',
  'compliancePolicy',
  'configurationPolicy',
  'deviceWipe',
  'deviceRetire',
  'deviceDelete',
  'role',
  'tenantConfiguration',
  'operationApprovalPolicy',
] as const;
export type ProfileType = (typeof PROFILE_TYPES)[number];

/** A request's status. `completed` means the initiator completed it; the outcome is in `execution`. */
export const REQUEST_STATUSES = ['needsApproval', 'approved', 'rejected', 'cancelled', 'completed', 'expired'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses from which nothing can change any more. */
export const CLOSED_STATUSES: ReadonlySet<RequestStatus> = new Set(['rejected', 'cancelled', 'completed', 'expired']);
/** Statuses that hold the entity lock of their `(profileType, resourceId)`. */
export const OPEN_STATUSES: ReadonlySet<RequestStatus> = new Set(['needsApproval', 'approved']);

/** The app roles carried in access tokens. */
export const APP_ROLES = ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin', 'MAA.Operator'] as const;
export type AppRole = (typeof APP_ROLES)[number];

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Someone acting: an Entra object id and a display name. */
export interface Principal {
  id: string;
  displayName: string;
}

/** The protected operation, exactly as approvers see it and as completion executes it. */
export interface Operation {
  action: string;
  resourceType: string;
  resourceId?: string;
  /**
   * A bulk device action (`wipe`, `retire` or `delete` of `managedDevice`): 1..100 distinct device
   * ids in place of `resourceId` (never both). Each device is locked, snapshotted (`targets`) and
   * executed on its own; see docs/intune.md.
   */
  resourceIds?: string[];
  payload?: JsonValue;
}

/** The part of a policy a request keeps for its whole life (later policy changes do not touch it). */
export interface PolicySnapshot {
  id: string;
  version: number;
  approverGroupIds: string[];
  /** The request's effective quorum: the policy's, raised by a matching scope rule (see `quorum`). */
  requiredApprovals: number;
  /** The policy's scope rules as they were at submit (absent when it had none). */
  approvalsByScope?: ScopeRule[];
  /** Why `requiredApprovals` is what it is, when a scope rule raised it above the policy's own. */
  quorum?: QuorumReason;
  /** Who completes an approved request: its initiator (default) or the service on approval. */
  completion?: CompletionMode;
  /** ISO-8601 duration: once approved, the request must complete within it or it expires. */
  executeWithin?: string;
}

/**
 * A risk-based quorum rule of an access policy: a request whose operation touches at least
 * `minDevices` devices, or (`assignsToAll`) assigns to all users or all devices, needs
 * `requiredApprovals` approvals. The highest matching rule wins; never fewer than the policy's own.
 */
export type ScopeRule =
  { minDevices: number; requiredApprovals: number } | { assignsToAll: true; requiredApprovals: number };

/** How far an operation reaches, as the quorum rules weigh it (see `shared/intune/catalogue/scope.ts`). */
export interface OperationScope {
  /** Devices the operation acts on (a bulk action's count; 1 for a single device action; 0 otherwise). */
  devices: number;
  /** Whether it assigns something to all users or all devices. */
  assignsToAll: boolean;
}

/** The quorum a scope rule set: the policy's own number, the rule's and the scope it matched. */
export interface QuorumReason {
  baseApprovals: number;
  rule: ScopeRule;
  scope: OperationScope;
  /** In words, e.g. `needs 2 approvals because it affects 37 devices`. */
  text: string;
}

/** `initiator`: the initiator completes an approved request (as in Intune); `onApproval`: the service does as soon as the quorum is reached. */
export const COMPLETION_MODES = ['initiator', 'onApproval'] as const;
export type CompletionMode = (typeof COMPLETION_MODES)[number];

export type DecisionKind = 'approve' | 'reject';
export type DecisionSource = 'api' | 'link';

/** One approver's decision. */
export interface Decision {
  approver: Principal;
  decision: DecisionKind;
  notes: string;
  /** RFC 3339 */
  at: string;
  source: DecisionSource;
  /** The approval link the decision was made through (`source` is `link`); links decide once. */
  linkId?: string;
}

/** The outcome of executing a completed request's operation. */
export interface Execution {
  status: 'succeeded' | 'failed';
  at: string;
  detail: string;
  /**
   * A stable code for an outcome the executor recognised (`target_changed`, `graph_forbidden`,
   * `native_approval_required`, `daily_cap_reached`, `graph_rejected`, `already_applied`, ...);
   * see docs/intune.md. Absent for executors that give none.
   */
  code?: string;
  /** The Microsoft Graph calls made, when the Graph executor ran it. */
  graph?: GraphExecution;
  /** A device action's outcome on the device, observed after Graph accepted it. */
  device?: DeviceOutcome;
  /**
   * A bulk device action: one outcome per device, in `operation.resourceIds` order. `status` is
   * `succeeded` only when every device's is; `code` is then `accepted`, else `partially_applied`
   * (some succeeded) or the devices' common code.
   */
  devices?: DeviceExecution[];
}

/** One device's part of a bulk device action. */
export interface DeviceExecution {
  resourceId: string;
  /** The device's name as snapshotted at submit. */
  displayName?: string;
  status: 'succeeded' | 'failed';
  /** The executor's code for this device (`accepted`, `already_applied`, `target_changed`, ...). */
  code?: string;
  detail: string;
  /** What the device did with an accepted action, once observed. */
  device?: DeviceOutcome;
  /** The `client-request-id` this device's Graph calls sent (derived from the request id and the device id). */
  clientRequestId?: string;
}

/** What the Graph executor sent: one `client-request-id` per request (Microsoft support's "Activity ID") and each call. */
export interface GraphExecution {
  /** Derived from the request id: the same request always sends the same id. */
  clientRequestId: string;
  calls: GraphCallRecord[];
}

/** One Graph call the executor made (reads included), oldest first. */
export interface GraphCallRecord {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Version and path, e.g. `/v1.0/deviceManagement/managedDevices/{id}/wipe`. */
  path: string;
  /** The HTTP status Graph answered (0: no answer). */
  status: number;
  /** Graph's `request-id` of the answer, when it gave one. */
  requestId?: string;
  /** RFC 3339 */
  at: string;
}

/** What a device did with an accepted action: `pending` until it checks in; `gone` when the device record disappeared. */
export interface DeviceOutcome {
  state: 'pending' | 'done' | 'failed' | 'gone' | 'unknown';
  /** RFC 3339: when it was observed. */
  at: string;
  detail: string;
}

/**
 * The target of a request as Graph showed it at submit (`target` on the request). Holds what an
 * approver needs to recognise the object and nothing a decision does not need: never IMEI, MEID,
 * phone numbers, MAC addresses, unlock or bypass codes, or free-text notes.
 */
export interface TargetSnapshot {
  /** The catalogue's `resourceType`, e.g. `managedDevice`, `mobileApp`. */
  resourceType: string;
  id: string;
  displayName: string;
  /** RFC 3339: when it was read. */
  readAt: string;
  /** Graph's `lastModifiedDateTime`, where the object has one. */
  lastModifiedDateTime?: string;
  /** Graph's `version` (compliance policies, device configurations) or `displayVersion` (apps). */
  version?: string;
  /** A managed device's facts. */
  device?: DeviceFacts;
  /** Other objects: their current settings as Graph gives them, lazy and secret properties left out. */
  settings?: { [key: string]: JsonValue };
  /** The object's current assignments, with group names. */
  assignments?: AssignmentView[];
  /**
   * Hex SHA-256 over what counts as drift for this kind of object (see `shared/intune/drift.ts`):
   * the executor refuses with `target_changed` when a fresh read gives another value.
   */
  fingerprint: string;
}

/** A managed device as an approver sees it. */
export interface DeviceFacts {
  operatingSystem: string;
  osVersion: string;
  userPrincipalName: string;
  userDisplayName: string;
  /** Graph's `managedDeviceOwnerType`: corporate or personal. */
  ownership: 'company' | 'personal' | 'unknown';
  complianceState: string;
  /** RFC 3339: the device's last check-in. */
  lastSyncDateTime: string;
  managementState: string;
  model?: string;
  manufacturer?: string;
  serialNumber?: string;
}

/** One assignment of a policy, app or script, in an approver's terms. */
export interface AssignmentView {
  target: 'group' | 'exclusionGroup' | 'allDevices' | 'allLicensedUsers';
  groupId?: string;
  /** The group's display name when the directory knows it. */
  groupName?: string;
  /** Apps: `required`, `available`, `uninstall`, `availableWithoutEnrollment`. */
  intent?: string;
}

/** An approval request (the read model; the orchestration with the same id is the writer). */
export interface ApprovalRequest {
  id: string;
  profileType: ProfileType;
  operation: Operation;
  /** Hex SHA-256 of the canonical JSON of `operation`. */
  operationHash: string;
  justification: string;
  initiator: Principal;
  policy: PolicySnapshot;
  status: RequestStatus;
  decisions: Decision[];
  createdAt: string;
  expiresAt: string;
  lastModifiedAt: string;
  completedAt?: string;
  /** The target as Graph showed it at submit; absent for operations that create something or touch no Intune object. */
  target?: TargetSnapshot;
  /** A bulk device action's targets: one snapshot per device, in `operation.resourceIds` order. */
  targets?: TargetSnapshot[];
  execution?: Execution;
  /** Set when an operator cancelled the request (its orchestration was terminated). */
  cancellation?: OperatorCancellation;
  /** The latest operator re-drive of a failed execution, if any. */
  redrive?: Redrive;
  /**
   * The head of the request's audit trail (its last record) as the store wrote it with the last
   * step; absent until the first step is recorded. Written by the store only: what a caller
   * passes here is replaced. Verification holds the trail against it (see `trailVerification.ts`).
   */
  trail?: TrailHead;
}

/** A trail's head: the `seq` and `hash` of its last record. */
export interface TrailHead {
  seq: number;
  hash: string;
}

/** An operator's cancellation of a stuck request. */
export interface OperatorCancellation {
  by: Principal;
  reason: string;
  at: string;
}

/** An operator's re-run of a failed execution; `number` counts re-drives from 1. */
export interface Redrive {
  number: number;
  by: Principal;
  reason: string;
  /** RFC 3339: when it was requested. */
  at: string;
  /** True until its outcome is recorded in `execution`. */
  running: boolean;
}

/** An access policy: at most one active per profile type. */
export interface AccessPolicy {
  id: string;
  displayName: string;
  description: string;
  profileType: ProfileType;
  approverGroupIds: string[];
  requiredApprovals: number;
  /** ISO-8601 duration, PT1H..P90D. */
  requestTtl: string;
  /** Risk-based quorum: rules that raise `requiredApprovals` with the blast radius (absent: none). */
  approvalsByScope?: ScopeRule[];
  /** Who completes an approved request (absent: `initiator`). */
  completion?: CompletionMode;
  /** ISO-8601 duration PT5M..P30D: how long an approved request may wait for completion (absent: until `expiresAt`). */
  executeWithin?: string;
  version: number;
  createdBy: Principal;
  createdAt: string;
  lastModifiedAt: string;
}

/** Kinds of audit record. */
export const AUDIT_TYPES = [
  'request.submitted',
  'request.approved',
  'request.rejected',
  'request.statusChanged',
  'request.cancelled',
  'request.expired',
  'request.completed',
  'request.eventRefused',
  'request.orchestrationStarted',
  'execution.succeeded',
  'execution.failed',
  'execution.observed',
  'execution.redriveRequested',
  'policy.applied',
  'notification.sent',
  'notification.failed',
  'link.issued',
  'link.used',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

/** An audit record before it is chained. */
export interface AuditEntry {
  requestId: string;
  /** Position in the request's trail, from 0, assigned by the request's orchestration. */
  seq: number;
  type: AuditType;
  at: string;
  actor: Principal | null;
  data: { [key: string]: JsonValue };
}

/** An audit record as stored: append-only, id deterministic, chained to its predecessor. */
export interface AuditRecord extends AuditEntry {
  /** `<requestId>:<seq as 6 digits>`, so a retried write of the same step is the same record. */
  id: string;
  /** Hash of the previous record in this request's trail (64 zeros for the first). */
  prevHash: string;
  /** Hex SHA-256 over the canonical JSON of the entry and `prevHash`. */
  hash: string;
}
