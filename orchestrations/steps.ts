import { chainEvents, chainStartAfter, type ChainStart } from '../shared/domain/auditChain';
import { isDomainError } from '../shared/domain/errors';
import {
  applyCommand,
  submittedEvent,
  type Command,
  type CommandResult,
  type DomainEvent,
} from '../shared/domain/lifecycle';
import type { AuditRecord, JsonValue, Principal } from '../shared/domain/model';
import { notificationFor, type NotificationKind } from '../shared/domain/notifications';
import { completesOnApproval } from '../shared/domain/policy';
import type {
  ApprovalOrchestrationInput,
  CommandEvent,
  CommandStepInput,
  ExecuteOperationOutput,
  ExecuteStepInput,
  StepRights,
} from './contracts';

// The pure parts of a step that both the orchestration and its activities compute: an activity
// applies them to record a step, and the orchestration applies them again, with what the activity
// read (the actor's rights), to its own copy of the request. The same code on the same inputs
// gives the same request and the same records, so the orchestration keeps its state without the
// activity sending the request back.

/** The records of the first step (the submission, and an operator's start when there is one), chained from the trail's start. */
export function startRecords(input: Pick<ApprovalOrchestrationInput, 'request' | 'operatorStart'>): {
  records: AuditRecord[];
  next: ChainStart;
} {
  const events = input.operatorStart
    ? [submittedEvent(input.request), input.operatorStart]
    : [submittedEvent(input.request)];
  return chainEvents(events, chainStartAfter(undefined));
}

/** `events` with the nonce of the command they apply or refuse in `data.nonce` of the first one (the HTTP layer that sent it waits for it). */
export function withNonce(events: DomainEvent[], nonce: string | undefined): DomainEvent[] {
  const [first, ...rest] = events;
  return nonce && first ? [{ ...first, data: { ...first.data, nonce } }, ...rest] : events;
}

/**
 * `events` with what the step's nondeterministic reads answered in `data` of the first one: the
 * command's nonce (`data.nonce`, see {@link withNonce}) and the actor's rights as the directory
 * gave them (`data.rights`). A retry of the step finds them on the trail and applies the same
 * rules with the same rights, so it writes the same records (see {@link recordedRights}).
 */
export function withStepData(events: DomainEvent[], nonce: string | undefined, rights?: StepRights): DomainEvent[] {
  const [first, ...rest] = events;
  if (!first || (!nonce && rights === undefined)) return events;
  const data: { [key: string]: JsonValue } = { ...first.data };
  if (nonce) data.nonce = nonce;
  if (rights !== undefined)
    data.rights = {
      actorRoles: [...rights.actorRoles],
      actorGroupIds: [...rights.actorGroupIds],
      ...(rights.initiatorRoles === undefined
        ? {}
        : { initiatorRoles: rights.initiatorRoles === null ? null : [...rights.initiatorRoles] }),
    };
  return [{ ...first, data }, ...rest];
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((one) => typeof one === 'string');

/**
 * The rights an earlier attempt of the step applying the command `nonce` recorded in `record`
 * (its first record, see {@link withStepData}); undefined when `record` is not that.
 */
export function recordedRights(record: AuditRecord | undefined, nonce: string): StepRights | undefined {
  if (record?.data?.nonce !== nonce) return undefined;
  const rights = record.data.rights as { [key: string]: unknown } | null | undefined;
  if (typeof rights !== 'object' || rights === null) return undefined;
  const { actorRoles, actorGroupIds, initiatorRoles } = rights;
  if (!isStrings(actorRoles) || !isStrings(actorGroupIds)) return undefined;
  if (initiatorRoles !== undefined && initiatorRoles !== null && !isStrings(initiatorRoles)) return undefined;
  return {
    actorRoles: [...actorRoles],
    actorGroupIds: [...actorGroupIds],
    ...(initiatorRoles === undefined ? {} : { initiatorRoles: initiatorRoles === null ? null : [...initiatorRoles] }),
  };
}

/**
 * Whether `record`, found at the place where a refusal of the command `nonce` was to be recorded,
 * is the first record of an earlier attempt of that command's own step (it names the nonce, see
 * {@link withStepData}): that step's records stand there, so the refusal yields to them and the
 * step is completed instead (see `yieldTo` in `RecordStepInput`).
 */
export function yieldsTo(record: AuditRecord | undefined, nonce: string): boolean {
  return record !== undefined && record.data?.nonce === nonce;
}

/**
 * The execution step on `request`: `recordExecution` with `execution` (its follow-up is not part
 * of the request), and the whole execution, follow-up included, in `data.executed` of its record,
 * so a retry of the step finds what ran on the trail and never executes again (see {@link executedIn}).
 */
export function executionStep(request: CommandResult['request'], execution: ExecuteOperationOutput): CommandResult {
  const copy = JSON.parse(JSON.stringify(execution)) as ExecuteOperationOutput;
  const { followUp: _followUp, ...recorded } = copy;
  const result = applyCommand(request, { kind: 'recordExecution', execution: recorded });
  const [first, ...rest] = result.events;
  if (!first) return result;
  return {
    request: result.request,
    events: [{ ...first, data: { ...first.data, executed: copy as unknown as JsonValue } }, ...rest],
  };
}

/** The execution an earlier attempt of the execution step recorded in `record` (see {@link executionStep}). */
export function executedIn(record: AuditRecord | undefined): ExecuteOperationOutput | undefined {
  if (!record?.type.startsWith('execution.')) return undefined;
  const executed = record.data?.executed as { status?: unknown; at?: unknown } | null | undefined;
  if (typeof executed !== 'object' || executed === null) return undefined;
  if ((executed.status !== 'succeeded' && executed.status !== 'failed') || typeof executed.at !== 'string')
    return undefined;
  return JSON.parse(JSON.stringify(executed)) as ExecuteOperationOutput;
}

/** The audit entry of a refused command; a decision made through a link names it, so the link's page can say what became of it. */
export function refusalEvent(
  requestId: string,
  command: Command | CommandEvent,
  code: string,
  reason: string,
  at: string,
): DomainEvent {
  return {
    requestId,
    type: 'request.eventRefused',
    at,
    actor: 'actor' in command ? { id: command.actor.id, displayName: command.actor.displayName } : null,
    data: {
      command: command.kind,
      code,
      reason,
      ...('linkId' in command && command.linkId !== undefined ? { linkId: command.linkId } : {}),
    },
  };
}

/**
 * Why a command is refused once its request closed (`invalid_state`): the orchestration records it
 * for a command that came while the closed request finished its work, the API for one the
 * finished instance never took.
 */
export function closedRefusal(status: string): { code: 'invalid_state'; reason: string } {
  return { code: 'invalid_state', reason: `the request is already ${status}` };
}

/** The nonce an event claims (unverified), shortened; undefined when it claims none. */
export function claimedNonce(event: unknown): string | undefined {
  const nonce = (event as { signature?: { nonce?: unknown } } | null)?.signature?.nonce;
  return typeof nonce === 'string' ? nonce.slice(0, 64) : undefined;
}

/**
 * The audit entry of an event whose signature is refused (or that could not be checked): it names
 * no actor (the event's claim is not believed) and no link; what the event claimed is kept,
 * shortened, for investigation.
 */
export function forgeryEvent(requestId: string, event: unknown, code: string, reason: string, at: string): DomainEvent {
  const claimed = event as { kind?: unknown; actor?: { id?: unknown; displayName?: unknown } } | null;
  const data: { [key: string]: JsonValue } = {
    command: typeof claimed?.kind === 'string' ? claimed.kind.slice(0, 32) : 'unknown',
    code,
    reason,
  };
  const actor = claimed?.actor;
  if (typeof actor?.id === 'string')
    data.claimedActor = {
      id: actor.id.slice(0, 64),
      displayName: typeof actor.displayName === 'string' ? actor.displayName.slice(0, 128) : '',
    };
  return { requestId, type: 'request.eventRefused', at, actor: null, data };
}

/**
 * The domain command of an authenticated event, at `at`, with the actor's roles and groups as the
 * directory gave them: only the fields a command has are taken from the event.
 */
export function commandOf(event: CommandEvent, rights: StepRights, at: string): Command {
  const actor: Principal = { id: event.actor.id, displayName: event.actor.displayName };
  switch (event.kind) {
    case 'decide': {
      const { decision, notes, source, linkId } = event;
      return {
        kind: 'decide',
        actor,
        actorRoles: rights.actorRoles,
        actorGroupIds: rights.actorGroupIds,
        decision,
        ...(notes === undefined ? {} : { notes }),
        source,
        ...(linkId === undefined ? {} : { linkId }),
        at,
      };
    }
    case 'cancel':
      return { kind: 'cancel', actor, at };
    case 'complete':
      return { kind: 'complete', actor, actorRoles: rights.actorRoles, at };
  }
}

/** What a genuine command does to a request: the result to record, the notification it sends, and whether it was applied and completed the request on approval. */
export interface CommandStep {
  result: CommandResult;
  kind?: NotificationKind;
  applied: boolean;
  autoCompleted: boolean;
}

/** Whether `command` is an approval that brings `request` to its quorum under a policy that completes on approval (the initiator's roles are then read). */
export function completesNow(request: CommandResult['request'], command: Command): boolean {
  if (command.kind !== 'decide') return false;
  try {
    const decided = applyCommand(request, command).request;
    return decided.status === 'approved' && completesOnApproval(decided.policy);
  } catch (error) {
    if (isDomainError(error)) return false;
    throw error;
  }
}

/**
 * The step a genuine command makes on `request` at `at`: the lifecycle rules applied (a refusal is
 * the command's `request.eventRefused`); under a policy that completes on approval, the approval
 * that reached the quorum completes the request at once, with no actor, in the same step, on the
 * initiator's behalf while they hold the roles submitting needs (`initiatorRoles`; null: they
 * could not be read, so it is not completed and that is audited), and the initiator then hears
 * what ran instead of "complete it now".
 */
export function commandStep(
  request: CommandResult['request'],
  command: Command,
  initiatorRoles: readonly string[] | null,
  at: string,
): CommandStep {
  let result: CommandResult;
  try {
    result = applyCommand(request, command);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    return {
      result: { request, events: [refusalEvent(request.id, command, error.code, error.message, at)] },
      applied: false,
      autoCompleted: false,
    };
  }
  let kind = notificationFor(result);
  if (command.kind !== 'decide' || result.request.status !== 'approved' || !completesOnApproval(result.request.policy))
    return { result, ...(kind === undefined ? {} : { kind }), applied: true, autoCompleted: false };
  const approved = result.request;
  if (initiatorRoles === null) {
    const unread: Command = { kind: 'autoComplete', initiatorRoles: [], at };
    const refused = refusalEvent(
      approved.id,
      unread,
      'membership_unavailable',
      "not completed on approval: the initiator's roles could not be read from the directory",
      at,
    );
    return {
      result: { request: approved, events: [...result.events, refused] },
      ...(kind === undefined ? {} : { kind }),
      applied: true,
      autoCompleted: false,
    };
  }
  const autoComplete: Command = { kind: 'autoComplete', initiatorRoles: [...initiatorRoles], at };
  try {
    const completed = applyCommand(approved, autoComplete);
    kind = undefined;
    return {
      result: { request: completed.request, events: [...result.events, ...completed.events] },
      applied: true,
      autoCompleted: true,
    };
  } catch (error) {
    if (!isDomainError(error)) throw error;
    const refused = refusalEvent(approved.id, autoComplete, error.code, error.message, at);
    return {
      result: { request: approved, events: [...result.events, refused] },
      ...(kind === undefined ? {} : { kind }),
      applied: true,
      autoCompleted: false,
    };
  }
}

/**
 * The execution the command step runs in the same activity after recording a step that left the
 * request `completed` (`completed`: the request as the step left it, none when unchanged), at the
 * trail position after the step and under the etag its write answered, with the initiator's
 * `executed` message after a completion on approval; undefined when the step leaves it to
 * `executeStep`: the request is not completed or already executed, the write answered no etag or
 * left records unrecorded, or a completion on approval names no message id (an input made by an
 * earlier version).
 */
export function inStepExecution(
  input: Pick<CommandStepInput, 'requestId' | 'at' | 'execution' | 'correlationId'>,
  completed: CommandResult['request'] | undefined,
  recorded: { etag: string | null; next: ChainStart; unrecorded?: AuditRecord[] },
  autoCompleted: boolean,
): ExecuteStepInput | undefined {
  if (completed?.status !== 'completed' || completed.execution !== undefined) return undefined;
  if (recorded.etag === null || recorded.unrecorded || (autoCompleted && !input.execution)) return undefined;
  return {
    requestId: input.requestId,
    operationHash: completed.operationHash,
    etag: recorded.etag,
    after: recorded.next,
    ...(autoCompleted && input.execution
      ? { notify: { notificationId: input.execution.notificationId, at: input.at } }
      : {}),
    ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId }),
  };
}
