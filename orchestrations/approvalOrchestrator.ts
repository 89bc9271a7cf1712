import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { chainEvents, chainStartAfter } from '../shared/domain/auditChain';
import { COMMAND_FRESHNESS_MS, COMMAND_FUTURE_SKEW_MS, CommandNonces } from '../shared/domain/commandNonces';
import { isDomainError } from '../shared/domain/errors';
import {
  applyCommand,
  approvalCount,
  submittedEvent,
  type Command,
  type CommandResult,
  type DomainEvent,
} from '../shared/domain/lifecycle';
import {
  CLOSED_STATUSES,
  type ApprovalRequest,
  type AuditRecord,
  type JsonValue,
  type Principal,
} from '../shared/domain/model';
import { completesOnApproval } from '../shared/domain/policy';
import { notificationFor, type NotificationKind } from '../shared/domain/notifications';
import type { Correlated } from '../shared/telemetry/correlation';
import type {
  ApprovalCustomStatus,
  ApprovalOrchestrationInput,
  ApprovalOrchestrationOutput,
  AuthorizeCommandInput,
  AuthorizeCommandOutput,
  CommandEvent,
  NotifiedStepOutput,
  ReadAppRolesInput,
  RecordStepInput,
  RecordStepOutput,
} from './contracts';
import { execute, observable, observeDevice, STEP_RETRY } from './execution';
import { APPROVAL_ORCHESTRATOR, Activities, ApprovalEvents } from './names';

/**
 * How long an applied or refused command's nonce is remembered: as long as its signature is fresh
 * (a command issued up to the skew in the future stays fresh that much longer).
 */
const NONCE_MEMORY_MS = COMMAND_FRESHNESS_MS + COMMAND_FUTURE_SKEW_MS;

/**
 * One orchestration per request (instance id = request id). It records the submission, then
 * waits for commands raced against the durable expiry timer, applies each through the pure
 * lifecycle rules (refusals are audited, not applied), executes the stored operation once the
 * initiator completes it (and, for a device action Graph accepted, follows the device up until its
 * outcome settles, recording it once as `execution.observed`) — or, under a policy that completes
 * on approval, completes it itself right after the approval that reached the quorum and tells the
 * initiator what ran (`executed`) — and records every step in the read model and the audit trail. It
 * notifies the approvers of a new request (and reminds those who have not decided, once, shortly
 * before it expires) and the initiator of every decision, cancellation and expiry, auditing each
 * outcome; a notification that fails is recorded and never stops the request.
 *
 * It is the only writer of its request's trail and, after the submit, of its read model, so it
 * chains the audit records itself (chaining is pure) and carries the read model's etag from step
 * to step: recording a step then needs no reads.
 *
 * Commands are applied only when they are genuine: the `authorizeCommand` activity checks each
 * one's signature (made by the app's HTTP layer) and freshness and reads the actor's app roles and
 * groups again from the directory, and each signature's nonce is applied once. A command that
 * fails any of this is audited as `request.eventRefused` (`command_unauthenticated`,
 * `command_stale`, `command_replayed`) and changes nothing else; nothing about the actor's rights
 * is taken from the event.
 */
export const approvalOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ApprovalOrchestrationInput>();
  let request: ApprovalRequest = input.request;
  /** The read model as the last recorded step left it. */
  let stored = { value: input.request, etag: input.etag };
  // Activity inputs carry the correlation id of the HTTP request behind the current step, for their logs.
  let correlation: Correlated = input.correlationId ? { correlationId: input.correlationId } : {};
  /** Where the next step's records go on the trail. */
  let trailEnd = chainStartAfter(undefined);
  const now = () => context.df.currentUtcDateTime.toISOString();
  const chain = (events: DomainEvent[]): AuditRecord[] => {
    const { records, next } = chainEvents(events, trailEnd);
    trailEnd = next;
    return records;
  };
  /** The nonce of the command the next recorded step applies or refuses (set just before recording it). */
  let commandNonce: string | undefined;
  /**
   * The waiter for commands that come once the request is closed: made and listened to with the
   * first task yielded after it closed (see {@link settle}), and left open after that, so a command
   * that arrives while the orchestration finishes its work (executing, following the device up,
   * recording) lands in it and is audited as refused before the orchestration ends.
   */
  let late: df.Task | undefined;
  /**
   * Yields `task` and answers its result; once the request is closed, the first such task races
   * the {@link late} waiter, which costs nothing when no command comes (no timer, no extra episode).
   */
  function* settle(task: df.Task): Generator<df.Task, unknown, unknown> {
    if (late === undefined && CLOSED_STATUSES.has(request.status)) {
      late = context.df.waitForExternalEvent(ApprovalEvents.Command);
      yield context.df.Task.any([late, task]);
    }
    // Yielded again when the command won the race: a task already scheduled is not scheduled twice.
    return yield task;
  }
  /**
   * Records a step, and sends its notification `kind` about the request as the step leaves it,
   * auditing the outcomes, in one activity; the first step (`start`) also has the start input's
   * signature checked, and answers why it was refused.
   */
  function* record(
    result: CommandResult,
    start?: ApprovalOrchestrationInput,
    kind?: NotificationKind,
  ): Generator<df.Task, string | undefined, unknown> {
    request = result.request;
    // The step that applies or refuses a command names its nonce: the HTTP layer that sent it waits for it.
    const [first, ...rest] = result.events;
    const events =
      commandNonce && first ? [{ ...first, data: { ...first.data, nonce: commandNonce } }, ...rest] : result.events;
    commandNonce = undefined;
    const step: RecordStepInput = { records: chain(events), ...correlation, ...(start ? { start } : {}) };
    // Every change makes a new request object (see lifecycle's `changed`): the same one means no change.
    // A step that notifies carries the request too: the messages tell of it as it now is.
    // The first step's request and etag are its start input's: not carried twice.
    if (request !== stored.value || (kind !== undefined && !start))
      step.request = { value: request, etag: stored.etag };
    if (kind !== undefined)
      step.notify = { kind, notificationId: context.df.newGuid(request.id), at: now(), after: trailEnd };
    const output = (yield* settle(
      context.df.callActivityWithRetry(Activities.recordStep, STEP_RETRY, step),
    )) as RecordStepOutput;
    if (output === null) return undefined;
    if (typeof output === 'string') {
      stored = { value: request, etag: output };
      return undefined;
    }
    if ('startRefused' in output) return output.startRefused;
    const notified: NotifiedStepOutput = output;
    trailEnd = notified.next;
    if (notified.etag !== null) stored = { value: request, etag: notified.etag };
    if (notified.unrecorded?.length) {
      // The messages went out but their outcomes were not written: recorded as a step of their own, never sent again.
      const retried = (yield* settle(
        context.df.callActivityWithRetry(Activities.recordStep, STEP_RETRY, {
          records: notified.unrecorded,
          ...correlation,
        } satisfies RecordStepInput),
      )) as RecordStepOutput;
      if (typeof retried === 'string') stored = { value: request, etag: retried };
    }
    return undefined;
  }
  /** The audit entry of a refused command; a decision made through a link names it, so the link's page can say what became of it. */
  const refusal = (command: Command | CommandEvent, code: string, reason: string): DomainEvent => ({
    requestId: request.id,
    type: 'request.eventRefused',
    at: now(),
    actor: 'actor' in command ? { id: command.actor.id, displayName: command.actor.displayName } : null,
    data: {
      command: command.kind,
      code,
      reason,
      ...('linkId' in command && command.linkId !== undefined ? { linkId: command.linkId } : {}),
    },
  });
  /**
   * The audit entry of an event whose signature is refused: it names no actor (the event's claim
   * is not believed) and no link; what the event claimed is kept, shortened, for investigation.
   */
  const forgery = (event: unknown, code: string, reason: string): DomainEvent => {
    const claimed = event as { kind?: unknown; actor?: { id?: unknown; displayName?: unknown } } | null;
    const data: { [key: string]: JsonValue } = {
      command: typeof claimed?.kind === 'string' ? claimed.kind.slice(0, 32) : 'unknown',
      code,
      reason,
    };
    const nonce = (event as { signature?: { nonce?: unknown } } | null)?.signature?.nonce;
    if (typeof nonce === 'string') commandNonce = nonce.slice(0, 64);
    const actor = claimed?.actor;
    if (typeof actor?.id === 'string')
      data.claimedActor = {
        id: actor.id.slice(0, 64),
        displayName: typeof actor.displayName === 'string' ? actor.displayName.slice(0, 128) : '',
      };
    return { requestId: request.id, type: 'request.eventRefused', at: now(), actor: null, data };
  };
  /** Nonces of the authenticated commands applied or refused (replayed state: the same events rebuild it). */
  const nonces = new CommandNonces(NONCE_MEMORY_MS);
  /**
   * Authenticates `event` and reads the actor's rights (see `authorizeCommand`); on refusal records
   * it and answers undefined. A nonce is remembered once its signature verified.
   */
  function* authorize(
    event: unknown,
    groupIds: string[],
    readDirectory: boolean,
  ): Generator<df.Task, Extract<AuthorizeCommandOutput, { ok: true }> | undefined, unknown> {
    const input: AuthorizeCommandInput = {
      instanceId: request.id,
      event,
      at: now(),
      groupIds,
      readDirectory,
      ...correlation,
    };
    let auth: AuthorizeCommandOutput;
    try {
      auth = (yield* settle(
        context.df.callActivityWithRetry(Activities.authorizeCommand, STEP_RETRY, input),
      )) as AuthorizeCommandOutput;
    } catch {
      // The directory stayed unreachable: the command is refused (and audited), not guessed.
      yield* record({
        request,
        events: [
          forgery(event, 'membership_unavailable', 'the command could not be checked: the directory could not be read'),
        ],
      });
      return undefined;
    }
    // The SDK matches results to tasks by position, not name: a history recorded before commands
    // were signed holds another activity's result here. Fail loudly rather than apply it.
    if (typeof auth !== 'object' || auth === null || typeof (auth as { ok?: unknown }).ok !== 'boolean') {
      throw new Error(
        `request ${request.id}: its history predates authenticated commands; terminate it (POST /api/ops/instances/${request.id}/terminate) and submit again`,
      );
    }
    if (!auth.ok) {
      yield* record({ request, events: [forgery(event, auth.code, auth.reason)] });
      return undefined;
    }
    commandNonce = auth.nonce;
    if (!nonces.admit(auth.nonce, Date.parse(auth.issuedAt), context.df.currentUtcDateTime.getTime())) {
      yield* record({
        request,
        events: [
          refusal(
            event as CommandEvent,
            'command_replayed',
            `the command with nonce ${auth.nonce} was already applied or refused`,
          ),
        ],
      });
      return undefined;
    }
    return auth;
  }
  const publish = () => {
    const status: ApprovalCustomStatus = {
      status: request.status,
      approvals: approvalCount(request),
      requiredApprovals: request.policy.requiredApprovals,
      expiresAt: request.expiresAt,
    };
    context.df.setCustomStatus(status);
  };
  // The reminder lead comes in the input (orchestrators read no settings).
  const reminderBeforeMs = input.reminderBeforeMs ?? 0;
  let reminded = false;

  const startRefused = yield* record(
    {
      request,
      events: input.operatorStart ? [submittedEvent(request), input.operatorStart] : [submittedEvent(request)],
    },
    input,
    'submitted',
  );
  if (startRefused !== undefined) {
    // Started through the Durable API with an input the app did not sign: nothing was written, nothing runs.
    if (!context.df.isReplaying)
      context.error(`orchestration ${context.df.instanceId} refused its input: ${startRefused}`);
    const refused: ApprovalOrchestrationOutput = {
      requestId: input.request?.id ?? context.df.instanceId,
      status: 'needsApproval',
      startRefused,
    };
    return refused;
  }
  publish();

  while (!CLOSED_STATUSES.has(request.status)) {
    // A fresh timer per wait: re-yielding a scheduled timer in a new Task.any would desynchronise
    // the sequence numbers the backend and the SDK assign.
    const expiry = context.df.createTimer(new Date(request.expiresAt));
    const next = context.df.waitForExternalEvent(ApprovalEvents.Command);
    // The reminder races too, once, while approvals are still wanted; a request whose whole life is
    // shorter than the reminder lead gets none (its approvers were just notified).
    const remindAt = Date.parse(request.expiresAt) - reminderBeforeMs;
    const remind =
      !reminded &&
      reminderBeforeMs > 0 &&
      request.status === 'needsApproval' &&
      remindAt > Date.parse(request.createdAt);
    const reminder = remind ? context.df.createTimer(new Date(remindAt)) : undefined;
    const winner = yield context.df.Task.any(reminder ? [expiry, next, reminder] : [expiry, next]);
    if (winner === reminder) {
      expiry.cancel();
      reminded = true;
      yield* record({ request, events: [] }, undefined, 'reminder');
      continue;
    }
    reminder?.cancel();

    let command: Command;
    if (winner === expiry) {
      command = { kind: 'expire', at: now() };
    } else {
      expiry.cancel();
      const raw: unknown = next.result;
      const correlationId = (raw as { correlationId?: unknown } | null)?.correlationId;
      if (typeof correlationId === 'string') correlation = { correlationId };
      const decide = (raw as { kind?: unknown } | null)?.kind === 'decide';
      // Roles and membership are read again now, for every command: the HTTP layer's view may be stale.
      const auth = yield* authorize(raw, decide ? request.policy.approverGroupIds : [], true);
      if (!auth) continue;
      command = commandOf(raw as CommandEvent, auth, now());
    }

    let result: CommandResult;
    try {
      result = applyCommand(request, command);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      yield* record({ request, events: [refusal(command, error.code, error.message)] });
      continue;
    }
    let kind = notificationFor(result);
    // A policy that completes on approval: the approval that reached the quorum completes the
    // request at once (no actor), in the same step, and the initiator hears what ran instead of
    // "complete it now".
    let autoCompleted = false;
    if (
      command.kind === 'decide' &&
      result.request.status === 'approved' &&
      completesOnApproval(result.request.policy)
    ) {
      const approved = result.request;
      // On the initiator's behalf, only while they still hold the roles submitting needs: read now.
      let initiatorRoles: string[] | undefined;
      try {
        const input: ReadAppRolesInput = { principalId: approved.initiator.id, ...correlation };
        initiatorRoles = (yield context.df.callActivityWithRetry(
          Activities.readAppRoles,
          STEP_RETRY,
          input,
        )) as string[];
      } catch {
        // The directory stayed unreachable: not completed (audited); the initiator still may.
        const unread: Command = { kind: 'autoComplete', initiatorRoles: [], at: now() };
        result = {
          request: approved,
          events: [
            ...result.events,
            refusal(
              unread,
              'membership_unavailable',
              "not completed on approval: the initiator's roles could not be read from the directory",
            ),
          ],
        };
      }
      if (initiatorRoles !== undefined) {
        const autoComplete: Command = { kind: 'autoComplete', initiatorRoles, at: now() };
        try {
          const completed = applyCommand(approved, autoComplete);
          result = { request: completed.request, events: [...result.events, ...completed.events] };
          autoCompleted = true;
          kind = undefined;
        } catch (error) {
          if (!isDomainError(error)) throw error;
          result = { request: approved, events: [...result.events, refusal(autoComplete, error.code, error.message)] };
        }
      }
    }
    yield* record(result, undefined, kind);
    publish();

    if (request.status === 'completed') {
      const { followUp, ...execution } = yield* execute(context, request, correlation);
      yield* record(
        applyCommand(request, { kind: 'recordExecution', execution }),
        undefined,
        autoCompleted ? 'executed' : undefined,
      );
      publish();
      if (followUp && observable(request.execution)) {
        const { devices, ...outcome } = yield* observeDevice(context, request.id, followUp, correlation);
        try {
          yield* record(
            applyCommand(request, {
              kind: 'recordObservation',
              outcome,
              ...(devices === undefined ? {} : { devices }),
            }),
          );
        } catch (error) {
          // An outcome the rules refuse (a malformed state) is left unrecorded, not a failed orchestration.
          if (!isDomainError(error)) throw error;
          if (!context.df.isReplaying)
            context.error(`request ${request.id}: the device outcome was not recorded: ${error.message}`);
        }
      }
    }
  }

  // Commands that came while the closed request finished its work are audited as refused, not
  // dropped; the orchestration then ends at once (a command raised after that finds it finished).
  while (late?.isCompleted) {
    const event: unknown = late.result;
    late = undefined;
    if (!(yield* authorize(event, [], false))) continue;
    yield* record({
      request,
      events: [refusal(event as CommandEvent, 'invalid_state', `the request is already ${request.status}`)],
    });
  }

  const output: ApprovalOrchestrationOutput = { requestId: request.id, status: request.status };
  if (request.execution) output.execution = request.execution;
  return output;
};

/**
 * The domain command of an authenticated event, at `at`, with the actor's roles and groups as the
 * directory gave them: only the fields a command has are taken from the event.
 */
function commandOf(event: CommandEvent, auth: Extract<AuthorizeCommandOutput, { ok: true }>, at: string): Command {
  const actor: Principal = { id: event.actor.id, displayName: event.actor.displayName };
  switch (event.kind) {
    case 'decide': {
      const { decision, notes, source, linkId } = event;
      return {
        kind: 'decide',
        actor,
        actorRoles: auth.actorRoles,
        actorGroupIds: auth.actorGroupIds,
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
      return { kind: 'complete', actor, actorRoles: auth.actorRoles, at };
  }
}

df.app.orchestration(APPROVAL_ORCHESTRATOR, approvalOrchestrator);
