import { canonicalJson, operationHash } from './canonicalJson';
import { DomainError, type FieldError } from './errors';
import { formatInstant, normalizeInstant, parseInstant } from './instant';
import {
  OPEN_STATUSES,
  type AccessPolicy,
  type ApprovalRequest,
  type AppRole,
  type AuditEntry,
  type Decision,
  type DecisionKind,
  type DecisionSource,
  type DeviceOutcome,
  type Execution,
  type JsonValue,
  type Operation,
  type OperationScope,
  type Principal,
  type ProfileType,
  type RequestStatus,
  type TargetSnapshot,
} from './model';
import { applicablePolicy, approverRule, completesOnApproval, executeWithinMs } from './policy';
import { effectiveQuorum } from './quorum';
import { freeTextProblem, identifierProblem, isBlankText, jsonTextProblems, normalizeIdentifier } from './text';

/**
 * Every status change a request can make; nothing else is allowed. Closed statuses (rejected,
 * cancelled, completed, expired) lead nowhere, and staying in the same status is not a transition.
 */
export const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  needsApproval: ['approved', 'rejected', 'cancelled', 'expired'],
  approved: ['cancelled', 'completed', 'expired'],
  rejected: [],
  cancelled: [],
  completed: [],
  expired: [],
};

/** True when {@link TRANSITIONS} allows `from` to change to `to`. */
export function isValidTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A fact a command produced: an audit entry still without its `seq` (the orchestration numbers it). */
export type DomainEvent = Omit<AuditEntry, 'seq'>;

/** An approver's decision. `actorGroupIds` are the caller's group memberships (at least those among the snapshot's groups). */
export interface DecideCommand {
  kind: 'decide';
  actor: Principal;
  actorRoles: readonly string[];
  actorGroupIds: readonly string[];
  decision: DecisionKind;
  /** Required (not blank) to reject; optional to approve. */
  notes?: string;
  source: DecisionSource;
  /** The link decided through (with `source` `link`): kept in the decision and its audit record. */
  linkId?: string;
  /** RFC 3339 */
  at: string;
}

/** The initiator withdraws the request. */
export interface CancelCommand {
  kind: 'cancel';
  actor: Principal;
  at: string;
}

/** The initiator confirms that the approved operation should run now. */
export interface CompleteCommand {
  kind: 'complete';
  actor: Principal;
  /** The actor's app roles now: completing needs the roles submitting needs (see {@link requiredSubmitRoles}). */
  actorRoles: readonly string[];
  at: string;
}

/**
 * The service completes a request whose policy completes on approval (`completion: onApproval`),
 * right after the approval that reached the quorum. No actor: the approvals are the authority.
 */
export interface AutoCompleteCommand {
  kind: 'autoComplete';
  /**
   * The initiator's app roles now, read from the directory: the service completes on their
   * behalf only while they still hold the roles submitting needs ({@link requiredSubmitRoles}).
   */
  initiatorRoles: readonly string[];
  at: string;
}

/** The expiry timer fired. */
export interface ExpireCommand {
  kind: 'expire';
  at: string;
}

/** The outcome of running a completed request's operation. */
export interface RecordExecutionCommand {
  kind: 'recordExecution';
  execution: Execution;
}

/** What the device did with an action Graph accepted, observed by the execution's follow-up. */
export interface RecordObservationCommand {
  kind: 'recordObservation';
  /** The outcome (of a bulk action: the summary over its devices). */
  outcome: DeviceOutcome;
  /** A bulk action: each observed device's outcome (devices the executor did not accept are absent). */
  devices?: { resourceId: string; outcome: DeviceOutcome }[];
}

/** Anything that can happen to an existing request. */
export type Command =
  | DecideCommand
  | CancelCommand
  | CompleteCommand
  | AutoCompleteCommand
  | ExpireCommand
  | RecordExecutionCommand
  | RecordObservationCommand;
export type CommandKind = Command['kind'];

/** What an accepted command did: the request after it (a new object) and the facts to audit, in order. */
export interface CommandResult {
  request: ApprovalRequest;
  events: DomainEvent[];
}

/**
 * The status `request` has at instant `at`: its stored status, except that an open request
 * (needsApproval or approved) whose `expiresAt` is at or before `at` is `expired`, whether or not
 * the expiry timer has fired yet.
 */
export function effectiveStatus(request: Pick<ApprovalRequest, 'status' | 'expiresAt'>, at: string): RequestStatus {
  if (OPEN_STATUSES.has(request.status) && parseInstant(at, 'at') >= parseInstant(request.expiresAt, 'expiresAt'))
    return 'expired';
  return request.status;
}

/**
 * Applies `command` to `request` under the lifecycle rules and returns the new request and its
 * events, or throws a {@link DomainError}. `request` is never modified. Each accepted command sets
 * `lastModifiedAt` to its instant (never moving it backwards); every status change follows
 * {@link TRANSITIONS} and is announced by one `request.statusChanged` event `{from, to}` after the
 * command's own event. Timestamps in the result are in canonical form (UTC, ms, `Z`).
 *
 * Checks run in this order, the first failure winning: malformed input (`invalid_request`,
 * `notes_required`), who the actor is (`self_approval`, `forbidden`, `not_an_approver`,
 * `not_initiator`), whether they already decided (`already_decided`), then the request's state at
 * the command's instant (`expired` for an expired request or one at or past `expiresAt`, else
 * `invalid_state`), then integrity (`operation_mismatch`).
 *
 * - `decide`: the actor is not the initiator (approve or reject), holds the rule's role and (unless
 *   bootstrap) is in one of the snapshot's approver groups, has not decided yet, and the request
 *   needs approval and is not expired. An approval is recorded and `requiredApprovals` approvals by
 *   distinct approvers make it `approved`; a rejection (which needs notes) makes it `rejected`.
 *   When the snapshot has an `executeWithin` window, the approval that reaches the quorum moves
 *   `expiresAt` to the earlier of itself and the approval's instant plus the window (audited in
 *   the `request.approved` record as `expiresAt` and `executeWithin`).
 * - `cancel`: by the initiator, while needsApproval or approved and not expired; makes it `cancelled`.
 * - `complete`: by the initiator who still holds the roles submitting needs ({@link
 *   requiredSubmitRoles}), while approved and not expired, and only if the operation still hashes to
 *   `operationHash`; makes it `completed` with `completedAt`.
 * - `autoComplete`: only for a snapshot with `completion: onApproval`, while the initiator still
 *   holds the roles submitting needs (`initiatorRoles`, read from the directory), the request is
 *   approved and not expired, and only if the operation still hashes; makes it `completed`, audited as
 *   `request.completed` with no actor and `completion: onApproval`.
 * - `expire`: at or after `expiresAt`, while needsApproval or approved (`invalid_state` otherwise,
 *   also when early); makes it `expired`.
 * - `recordExecution`: once, on a completed request; sets `execution` (with its `code`, Graph calls
 *   and device outcome when given), status stays `completed`.
 * - `recordObservation`: once per execution, on a completed request whose execution succeeded
 *   (a bulk one: whose devices include an accepted one); sets `execution.device` (and, per device
 *   given, `execution.devices[i].device`), status stays `completed`.
 */
export function applyCommand(request: ApprovalRequest, command: Command): CommandResult {
  switch (command.kind) {
    case 'decide':
      return decide(request, command);
    case 'cancel':
      return cancel(request, command);
    case 'complete':
      return complete(request, command);
    case 'autoComplete':
      return autoComplete(request, command);
    case 'expire':
      return expire(request, command);
    case 'recordExecution':
      return recordExecution(request, command);
    case 'recordObservation':
      return recordObservation(request, command);
  }
}

/**
 * True when `principalId` may decide on `request` as far as who they are goes (not the initiator,
 * the rule's role, an approver group unless bootstrap), whatever the request's status.
 */
export function isEligibleApprover(
  request: ApprovalRequest,
  principalId: string,
  roles: readonly string[],
  groupIds: readonly string[],
): boolean {
  return principalId !== request.initiator.id && approverRefusal(request, roles, groupIds) === undefined;
}

/**
 * True when `principal` may see `request`: its initiator, anyone who could decide on it by role
 * and group (see {@link isEligibleApprover}), or an `MAA.Operator`.
 */
export function mayView(
  request: ApprovalRequest,
  principal: Pick<Principal, 'id'>,
  roles: readonly string[],
  groupIds: readonly string[],
): boolean {
  return (
    principal.id === request.initiator.id ||
    roles.includes('MAA.Operator') ||
    approverRefusal(request, roles, groupIds) === undefined
  );
}

/** The app roles needed to submit a request of `profileType`: `MAA.Requester`, plus `MAA.PolicyAdmin` for policy changes. */
export function requiredSubmitRoles(profileType: ProfileType): AppRole[] {
  return profileType === 'operationApprovalPolicy' ? ['MAA.Requester', 'MAA.PolicyAdmin'] : ['MAA.Requester'];
}

/** What a new request is made of. */
export interface NewRequestInput {
  id: string;
  profileType: ProfileType;
  operation: Operation;
  justification: string;
  initiator: Principal;
  initiatorRoles: readonly string[];
  /**
   * The active policy protecting `profileType` (`undefined` when there is none: then only an
   * `operationApprovalPolicy` request can be made, under the bootstrap rule).
   */
  policy: AccessPolicy | undefined;
  /** RFC 3339: the submission instant. */
  now: string;
  /** The target as Graph showed it just now; kept on the request as its `target`. */
  target?: TargetSnapshot;
  /**
   * How far the operation reaches (`scopeOf` in the catalogue): the policy's scope rules raise the
   * request's `requiredApprovals` with it. Absent: no rule applies.
   */
  scope?: OperationScope;
  /** A bulk operation's targets as Graph showed them just now, in `resourceIds` order; kept as `targets`. */
  targets?: TargetSnapshot[];
}

/**
 * A new request in `needsApproval`, governed by a snapshot of `input.policy` (or the bootstrap
 * snapshot, see `applicablePolicy`), with `operationHash` computed, `createdAt` =
 * `lastModifiedAt` = `now` and `expiresAt` = `now` + the policy's `requestTtl`. `operation` is
 * stored as its canonical JSON reads back (a deep copy without `undefined` members), so what is
 * hashed is exactly what is stored. The snapshot's `requiredApprovals` is the effective quorum:
 * the policy's, raised by the highest of its `approvalsByScope` rules that `scope` matches (with
 * `policy.quorum` saying why; see `quorum.ts`). `target`, when given, is kept as a copy; it is not hashed (the
 * operation is what is approved; the target is what it was shown against).
 *
 * Throws `forbidden` when `initiatorRoles` lacks a role of {@link requiredSubmitRoles};
 * `invalid_request` for a blank id or justification (blank once invisible characters are removed),
 * a blank `action` or `resourceType`, an empty `resourceId`, text that breaks the rules of
 * `text.ts` (identifiers in the operation, free text in the justification and payload strings),
 * an operation that is not JSON, or a bad `now`; identifiers are stored normalised (so the entity
 * lock sees one spelling); `no_applicable_policy` and
 * `invalid_policy` as `applicablePolicy` does. The entity lock is not checked here: the
 * store takes it atomically, keyed by `entityLock.ts`.
 */
export function createRequest(input: NewRequestInput): ApprovalRequest {
  const missing = requiredSubmitRoles(input.profileType).filter((role) => !input.initiatorRoles.includes(role));
  if (missing.length > 0)
    throw new DomainError('forbidden', `submitting a ${input.profileType} request needs ${missing.join(' and ')}`);

  if (input.id.trim() === '') throw new DomainError('invalid_request', 'a request needs an id');
  if (isBlankText(input.justification))
    throw new DomainError('invalid_request', 'a request needs a business justification');
  const { operation } = input;
  if (typeof operation.action !== 'string' || operation.action.trim() === '')
    throw new DomainError('invalid_request', 'operation.action must not be blank');
  if (typeof operation.resourceType !== 'string' || operation.resourceType.trim() === '') {
    throw new DomainError('invalid_request', 'operation.resourceType must not be blank');
  }
  if (operation.resourceId !== undefined && (typeof operation.resourceId !== 'string' || operation.resourceId === '')) {
    throw new DomainError('invalid_request', 'operation.resourceId must be a non-empty string when present');
  }
  assertBulkShape(operation);
  assertHonestText(input.justification, operation);
  const stored = storedOperation(operation);

  const governing = applicablePolicy(input.profileType, input.policy);
  const quorum = effectiveQuorum(
    governing.snapshot.requiredApprovals,
    governing.snapshot.approvalsByScope,
    input.scope,
  );
  const snapshot = {
    ...governing.snapshot,
    requiredApprovals: quorum.requiredApprovals,
    ...(quorum.quorum === undefined ? {} : { quorum: quorum.quorum }),
  };
  const createdMs = parseInstant(input.now, 'now');
  const createdAt = formatInstant(createdMs);
  return {
    id: input.id,
    profileType: input.profileType,
    operation: stored,
    operationHash: operationHash(stored),
    justification: input.justification,
    initiator: { ...input.initiator },
    policy: snapshot,
    status: 'needsApproval',
    decisions: [],
    createdAt,
    expiresAt: formatInstant(createdMs + governing.requestTtlMs),
    lastModifiedAt: createdAt,
    ...(input.target === undefined ? {} : { target: jsonCopy(input.target) }),
    ...(input.targets === undefined ? {} : { targets: jsonCopy(input.targets) }),
  };
}

/** The most devices one bulk request may name. */
export const MAX_BULK_DEVICES = 100;

/**
 * Throws `invalid_request` with field errors when `operation.resourceIds` is given but is not
 * 1..{@link MAX_BULK_DEVICES} distinct (case-insensitively) non-empty strings, or comes with a
 * `resourceId`. (Which actions allow bulk is the catalogue's to say, checked before.)
 */
function assertBulkShape(operation: Operation): void {
  const ids: unknown = operation.resourceIds;
  if (ids === undefined) return;
  const errors: FieldError[] = [];
  if (!Array.isArray(ids)) errors.push({ path: 'operation.resourceIds', message: 'must be a list of ids' });
  else {
    if (operation.resourceId !== undefined)
      errors.push({ path: 'operation.resourceId', message: 'must be absent when resourceIds is given' });
    if (ids.length === 0 || ids.length > MAX_BULK_DEVICES)
      errors.push({ path: 'operation.resourceIds', message: `must name 1..${MAX_BULK_DEVICES} ids` });
    const seen = new Set<string>();
    ids.forEach((id: unknown, index) => {
      if (typeof id !== 'string' || id === '')
        errors.push({ path: `operation.resourceIds.${index}`, message: 'must be a non-empty string' });
      else if (seen.has(id.toLowerCase()))
        errors.push({ path: `operation.resourceIds.${index}`, message: 'is named twice' });
      else seen.add(id.toLowerCase());
    });
  }
  if (errors.length > 0)
    throw new DomainError(
      'invalid_request',
      `operation.resourceIds: ${errors.map((error) => `${error.path} ${error.message}`).join('; ')}`,
      { errors },
    );
}

/** `operation` as a request stores it: identifiers normalised, as its canonical JSON reads back. */
export function storedOperation(operation: Operation): Operation {
  return JSON.parse(
    canonicalJson({
      ...operation,
      action: normalizeIdentifier(operation.action),
      resourceType: normalizeIdentifier(operation.resourceType),
      ...(operation.resourceId === undefined ? {} : { resourceId: normalizeIdentifier(operation.resourceId) }),
      ...(operation.resourceIds === undefined ? {} : { resourceIds: operation.resourceIds.map(normalizeIdentifier) }),
    }),
  ) as Operation;
}

/** Throws `invalid_request` with every field error when the justification or the operation breaks the text rules of `text.ts`. */
function assertHonestText(justification: string, operation: Operation): void {
  const errors: FieldError[] = [];
  const justificationProblem = freeTextProblem(justification);
  if (justificationProblem !== undefined) errors.push({ path: 'justification', message: justificationProblem });
  for (const field of ['action', 'resourceType', 'resourceId'] as const) {
    const value = operation[field];
    const problem = value === undefined ? undefined : identifierProblem(value);
    if (problem !== undefined) errors.push({ path: `operation.${field}`, message: problem });
  }
  (operation.resourceIds ?? []).forEach((value, index) => {
    const problem = identifierProblem(value);
    if (problem !== undefined) errors.push({ path: `operation.resourceIds.${index}`, message: problem });
  });
  for (const problem of jsonTextProblems(operation.payload))
    errors.push({ path: ['operation', 'payload', ...problem.path].join('.'), message: problem.message });
  if (errors.length > 0) {
    throw new DomainError(
      'invalid_request',
      `the request holds text that could mislead its reviewers: ${errors.map((error) => `${error.path} ${error.message}`).join('; ')}`,
      { errors },
    );
  }
}

/** How many of `request`'s decisions are approvals. */
export function approvalCount(request: Pick<ApprovalRequest, 'decisions'>): number {
  return request.decisions.filter((decision) => decision.decision === 'approve').length;
}

/** The `request.submitted` event of a request made by {@link createRequest}: what was submitted, under which policy, until when, and the target it was shown against. */
export function submittedEvent(request: ApprovalRequest): DomainEvent {
  return event(request, 'request.submitted', request.createdAt, request.initiator, {
    profileType: request.profileType,
    operation: JSON.parse(canonicalJson(request.operation)) as JsonValue,
    operationHash: request.operationHash,
    justification: request.justification,
    policyId: request.policy.id,
    policyVersion: request.policy.version,
    approverGroupIds: [...request.policy.approverGroupIds],
    requiredApprovals: request.policy.requiredApprovals,
    ...(request.policy.quorum === undefined ? {} : { quorum: jsonCopy(request.policy.quorum) as unknown as JsonValue }),
    ...(request.policy.completion === undefined ? {} : { completion: request.policy.completion }),
    ...(request.policy.executeWithin === undefined ? {} : { executeWithin: request.policy.executeWithin }),
    expiresAt: request.expiresAt,
    ...(request.target === undefined ? {} : { target: jsonCopy(request.target) as unknown as JsonValue }),
    ...(request.targets === undefined ? {} : { targets: jsonCopy(request.targets) as unknown as JsonValue }),
  });
}

function decide(request: ApprovalRequest, command: DecideCommand): CommandResult {
  const at = normalizeInstant(command.at, 'at');
  const notes = command.notes ?? '';
  if (command.decision !== 'approve' && command.decision !== 'reject')
    throw new DomainError('invalid_request', 'decision must be approve or reject');
  if (command.linkId !== undefined && command.source !== 'link')
    throw new DomainError('invalid_request', 'only a decision made through a link names a link');
  const notesProblem = freeTextProblem(notes);
  if (notesProblem !== undefined)
    throw new DomainError('invalid_request', `notes ${notesProblem}`, {
      errors: [{ path: 'notes', message: notesProblem }],
    });
  if (command.decision === 'reject' && isBlankText(notes))
    throw new DomainError('notes_required', 'a rejection needs notes saying why');

  if (command.actor.id === request.initiator.id)
    throw new DomainError('self_approval', 'the initiator cannot decide on their own request');
  const refusal = approverRefusal(request, command.actorRoles, command.actorGroupIds);
  if (refusal !== undefined) throw refusal;
  if (request.decisions.some((decision) => decision.approver.id === command.actor.id)) {
    throw new DomainError('already_decided', `${command.actor.id} already decided on request ${request.id}`);
  }
  requireStatus(request, at, 'needsApproval', 'decide on');

  const link: { [key: string]: JsonValue } = command.linkId === undefined ? {} : { linkId: command.linkId };
  const decision: Decision = {
    approver: { ...command.actor },
    decision: command.decision,
    notes,
    at,
    source: command.source,
  };
  if (command.linkId !== undefined) decision.linkId = command.linkId;
  const decisions = [...copyDecisions(request.decisions), decision];
  const approvals = approvalCount({ decisions });
  const facts: DomainEvent[] = [];
  let status: RequestStatus = request.status;
  const fields: Partial<ApprovalRequest> = { decisions };
  if (command.decision === 'reject') {
    status = 'rejected';
    facts.push(event(request, 'request.rejected', at, command.actor, { notes, source: command.source, ...link }));
  } else {
    const window: { [key: string]: JsonValue } = {};
    if (approvals >= request.policy.requiredApprovals) {
      status = 'approved';
      const withinMs = executeWithinMs(request.policy);
      if (withinMs !== undefined) {
        const windowEnd = parseInstant(at, 'at') + withinMs;
        if (windowEnd < parseInstant(request.expiresAt, 'expiresAt')) fields.expiresAt = formatInstant(windowEnd);
        window.executeWithin = request.policy.executeWithin!;
        window.expiresAt = fields.expiresAt ?? request.expiresAt;
      }
    }
    facts.push(
      event(request, 'request.approved', at, command.actor, {
        notes,
        source: command.source,
        ...link,
        approvals,
        requiredApprovals: request.policy.requiredApprovals,
        ...window,
      }),
    );
  }
  return changed(request, fields, status, at, command.actor, facts);
}

function cancel(request: ApprovalRequest, command: CancelCommand): CommandResult {
  const at = normalizeInstant(command.at, 'at');
  requireInitiator(request, command.actor, 'cancel');
  requireStatus(request, at, ['needsApproval', 'approved'], 'cancel');
  return changed(request, {}, 'cancelled', at, command.actor, [
    event(request, 'request.cancelled', at, command.actor, { from: request.status }),
  ]);
}

function complete(request: ApprovalRequest, command: CompleteCommand): CommandResult {
  const at = normalizeInstant(command.at, 'at');
  requireInitiator(request, command.actor, 'complete');
  const missing = requiredSubmitRoles(request.profileType).filter((role) => !command.actorRoles.includes(role));
  if (missing.length > 0)
    throw new DomainError('forbidden', `completing a ${request.profileType} request needs ${missing.join(' and ')}`);
  requireStatus(request, at, 'approved', 'complete');
  if (operationHash(request.operation) !== request.operationHash) {
    throw new DomainError(
      'operation_mismatch',
      `request ${request.id}: the operation no longer matches the approved hash`,
    );
  }
  return changed(request, { completedAt: at }, 'completed', at, command.actor, [
    event(request, 'request.completed', at, command.actor, { operationHash: request.operationHash }),
  ]);
}

function autoComplete(request: ApprovalRequest, command: AutoCompleteCommand): CommandResult {
  const at = normalizeInstant(command.at, 'at');
  if (!completesOnApproval(request.policy))
    throw new DomainError('invalid_state', `request ${request.id} is completed by its initiator, not on approval`);
  const missing = requiredSubmitRoles(request.profileType).filter((role) => !command.initiatorRoles.includes(role));
  if (missing.length > 0)
    throw new DomainError(
      'forbidden',
      `not completed on approval: the initiator no longer holds ${missing.join(' and ')}, which completing a ${request.profileType} request needs`,
    );
  requireStatus(request, at, 'approved', 'complete');
  if (operationHash(request.operation) !== request.operationHash) {
    throw new DomainError(
      'operation_mismatch',
      `request ${request.id}: the operation no longer matches the approved hash`,
    );
  }
  return changed(request, { completedAt: at }, 'completed', at, null, [
    event(request, 'request.completed', at, null, { operationHash: request.operationHash, completion: 'onApproval' }),
  ]);
}

function expire(request: ApprovalRequest, command: ExpireCommand): CommandResult {
  const at = normalizeInstant(command.at, 'at');
  if (!OPEN_STATUSES.has(request.status))
    throw new DomainError('invalid_state', `request ${request.id} is ${request.status} and cannot expire`);
  if (parseInstant(at, 'at') < parseInstant(request.expiresAt, 'expiresAt')) {
    throw new DomainError('invalid_state', `request ${request.id} expires at ${request.expiresAt}, not yet at ${at}`);
  }
  return changed(request, {}, 'expired', at, null, [
    event(request, 'request.expired', at, null, { from: request.status, expiresAt: request.expiresAt }),
  ]);
}

function recordExecution(request: ApprovalRequest, command: RecordExecutionCommand): CommandResult {
  const { execution } = command;
  const at = normalizeInstant(execution.at, 'execution.at');
  if (execution.status !== 'succeeded' && execution.status !== 'failed')
    throw new DomainError('invalid_request', 'execution.status must be succeeded or failed');
  if (request.status !== 'completed')
    throw new DomainError(
      'invalid_state',
      `request ${request.id} is ${request.status}: only completed requests execute`,
    );
  if (request.execution !== undefined)
    throw new DomainError('invalid_state', `request ${request.id} already has its execution recorded`);
  const recorded = recordedExecution(execution, at);
  return changed(request, { execution: recorded }, 'completed', at, null, [
    event(request, recorded.status === 'succeeded' ? 'execution.succeeded' : 'execution.failed', at, null, {
      operationHash: request.operationHash,
      ...executionAuditData(recorded),
    }),
  ]);
}

const DEVICE_STATES: ReadonlySet<DeviceOutcome['state']> = new Set(['pending', 'done', 'failed', 'gone', 'unknown']);

function recordObservation(request: ApprovalRequest, command: RecordObservationCommand): CommandResult {
  const { outcome } = command;
  const at = normalizeInstant(outcome.at, 'outcome.at');
  if (!DEVICE_STATES.has(outcome.state))
    throw new DomainError('invalid_request', 'outcome.state must be pending, done, failed, gone or unknown');
  const accepted = request.execution?.devices?.some((one) => one.status === 'succeeded') ?? false;
  if (
    request.status !== 'completed' ||
    request.execution === undefined ||
    !(request.execution.status === 'succeeded' || accepted)
  )
    throw new DomainError('invalid_state', `request ${request.id} has no accepted execution to observe`);
  if (request.execution.device !== undefined)
    throw new DomainError('invalid_state', `request ${request.id} already has its device outcome recorded`);
  const device: DeviceOutcome = { state: outcome.state, at, detail: outcome.detail };
  const execution: Execution = { ...jsonCopy(request.execution), device };
  const observed: { [key: string]: JsonValue }[] = [];
  if (command.devices !== undefined && execution.devices !== undefined) {
    const byId = new Map(execution.devices.map((one) => [one.resourceId, one]));
    for (const { resourceId, outcome: seen } of command.devices) {
      const one = byId.get(resourceId);
      if (one === undefined)
        throw new DomainError('invalid_request', `device ${resourceId} is not one of request ${request.id}'s`);
      if (!DEVICE_STATES.has(seen.state))
        throw new DomainError('invalid_request', 'outcome.state must be pending, done, failed, gone or unknown');
      one.device = { state: seen.state, at: normalizeInstant(seen.at, 'devices.outcome.at'), detail: seen.detail };
      observed.push({ resourceId, state: seen.state, detail: seen.detail });
    }
  }
  return changed(request, { execution }, 'completed', at, null, [
    event(request, 'execution.observed', at, null, {
      operationHash: request.operationHash,
      state: device.state,
      detail: device.detail,
      ...(observed.length === 0 ? {} : { devices: observed }),
      ...(request.execution.graph === undefined ? {} : { clientRequestId: request.execution.graph.clientRequestId }),
      ...(request.redrive === undefined ? {} : { redrive: request.redrive.number }),
    }),
  ]);
}

/**
 * The execution to store for an executor's outcome recorded at `at` (canonical): its status,
 * detail and, when given, `code`, Graph calls and device outcome, as plain JSON.
 */
export function recordedExecution(execution: Execution, at: string): Execution {
  const { code, graph, device, devices } = execution;
  return {
    status: execution.status,
    at,
    detail: execution.detail,
    ...(code === undefined ? {} : { code }),
    ...(graph === undefined ? {} : { graph: jsonCopy(graph) }),
    ...(device === undefined ? {} : { device: { ...device, at: normalizeInstant(device.at, 'execution.device.at') } }),
    ...(devices === undefined ? {} : { devices: jsonCopy(devices) }),
  };
}

/**
 * What an `execution.succeeded` or `execution.failed` record says beyond the operation hash: the
 * detail, and when the executor gave them the code, the `client-request-id` and every Graph call
 * (method, path, status, Graph's request id, time), so support can trace the change in Graph.
 */
export function executionAuditData(execution: Execution): { [key: string]: JsonValue } {
  return {
    detail: execution.detail,
    ...(execution.code === undefined ? {} : { code: execution.code }),
    ...(execution.graph === undefined
      ? {}
      : {
          clientRequestId: execution.graph.clientRequestId,
          calls: jsonCopy(execution.graph.calls) as unknown as JsonValue,
        }),
    ...(execution.device === undefined ? {} : { device: execution.device.state }),
    ...(execution.devices === undefined
      ? {}
      : {
          devices: execution.devices.map((one) => ({
            resourceId: one.resourceId,
            status: one.status,
            ...(one.code === undefined ? {} : { code: one.code }),
            detail: one.detail,
          })),
        }),
  };
}

/** A deep copy of plain data through JSON (members that are `undefined` dropped). */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The refusal for someone who is not an approver of `request` by role or group, if they are not. */
function approverRefusal(
  request: ApprovalRequest,
  roles: readonly string[],
  groupIds: readonly string[],
): DomainError | undefined {
  const rule = approverRule(request.policy);
  if (!roles.includes(rule.role))
    return new DomainError('forbidden', `deciding on request ${request.id} needs the ${rule.role} role`);
  if (rule.kind === 'otherPolicyAdmins') return undefined;
  // Group object ids are GUIDs, which compare case-insensitively.
  const memberOf = new Set(groupIds.map((groupId) => groupId.toLowerCase()));
  if (rule.approverGroupIds.some((groupId) => memberOf.has(groupId.toLowerCase()))) return undefined;
  return new DomainError('not_an_approver', `the caller is in none of the approver groups of request ${request.id}`);
}

function requireInitiator(request: ApprovalRequest, actor: Principal, verb: string): void {
  if (actor.id !== request.initiator.id)
    throw new DomainError('not_initiator', `only the initiator may ${verb} request ${request.id}`);
}

function requireStatus(
  request: ApprovalRequest,
  at: string,
  allowed: RequestStatus | RequestStatus[],
  verb: string,
): void {
  const status = effectiveStatus(request, at);
  if (status === 'expired') throw new DomainError('expired', `request ${request.id} expired at ${request.expiresAt}`);
  if (!(Array.isArray(allowed) ? allowed : [allowed]).includes(status)) {
    throw new DomainError('invalid_state', `cannot ${verb} request ${request.id}: it is ${status}`);
  }
}

/**
 * `request` with `fields` and `status` applied (a deep copy; `lastModifiedAt` never moves back),
 * and `facts` followed by `request.statusChanged` when the status changes under {@link TRANSITIONS}
 * (`invalid_state` otherwise). Shared with the operator actions in `operatorActions.ts`.
 */
export function changed(
  request: ApprovalRequest,
  fields: Partial<ApprovalRequest>,
  status: RequestStatus,
  at: string,
  actor: Principal | null,
  facts: DomainEvent[],
): CommandResult {
  const lastModifiedAt =
    parseInstant(at, 'at') > parseInstant(request.lastModifiedAt, 'lastModifiedAt') ? at : request.lastModifiedAt;
  const next: ApprovalRequest = {
    ...request,
    operation: JSON.parse(JSON.stringify(request.operation)) as Operation,
    initiator: { ...request.initiator },
    policy: { ...request.policy, approverGroupIds: [...request.policy.approverGroupIds] },
    decisions: copyDecisions(request.decisions),
    ...(request.execution === undefined ? {} : { execution: jsonCopy(request.execution) }),
    ...fields,
    status,
    lastModifiedAt,
  };
  if (status !== request.status) {
    if (!isValidTransition(request.status, status))
      throw new DomainError('invalid_state', `request ${request.id} cannot go from ${request.status} to ${status}`);
    facts.push(event(request, 'request.statusChanged', at, actor, { from: request.status, to: status }));
  }
  return { request: next, events: facts };
}

function copyDecisions(decisions: readonly Decision[]): Decision[] {
  return decisions.map((decision) => ({ ...decision, approver: { ...decision.approver } }));
}

/** A fact about `request` (the actor copied to id and display name only). */
export function event(
  request: ApprovalRequest,
  type: DomainEvent['type'],
  at: string,
  actor: Principal | null,
  data: { [key: string]: JsonValue },
): DomainEvent {
  return {
    requestId: request.id,
    type,
    at,
    actor: actor === null ? null : { id: actor.id, displayName: actor.displayName },
    data,
  };
}

/**
 * Why `requested` (the request an orchestration asks to execute) may not execute now, or
 * undefined when it may. Only the read model `stored` is believed: it must hold a completed request
 * with the same id whose operation still hashes to the approved `operationHash`, and, for a
 * re-drive (`requested.redrive` running), that same re-drive still running; otherwise no
 * execution recorded yet. What executes is then `stored`, never `requested`.
 */
export function executionRefusal(
  stored: ApprovalRequest | undefined,
  requested: Pick<ApprovalRequest, 'id' | 'operationHash' | 'redrive'>,
): string | undefined {
  if (!stored || stored.id !== requested.id) return `no stored request ${requested.id}`;
  if (stored.status !== 'completed') return `request ${stored.id} is ${stored.status}, not completed`;
  if (stored.operationHash !== requested.operationHash || operationHash(stored.operation) !== stored.operationHash) {
    return `request ${stored.id}: the operation is not the one approved`;
  }
  if (requested.redrive?.running) {
    if (!stored.redrive?.running || stored.redrive.number !== requested.redrive.number)
      return `re-drive ${requested.redrive.number} of request ${stored.id} is not running`;
    return undefined;
  }
  if (stored.execution !== undefined) return `request ${stored.id} already has its execution recorded`;
  return undefined;
}
