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
import { CLOSED_STATUSES, type ApprovalRequest, type AuditRecord } from '../shared/domain/model';
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
  CommandStepInput,
  CommandStepOutput,
  ExecuteOperationOutput,
  ExecuteStepInput,
  ExecuteStepOutput,
  NotifiedStepOutput,
  ReadAppRolesInput,
  RecordStepInput,
  RecordStepOutput,
  StepRights,
} from './contracts';
import {
  COMMAND_STEP_RETRY,
  EXECUTION_RETRY,
  EXECUTION_RETRY_INTERVAL_MS,
  failureDetail,
  observable,
  observeDevice,
  STEP_RETRY,
} from './execution';
import { APPROVAL_ORCHESTRATOR, Activities, ApprovalEvents } from './names';
import {
  claimedNonce,
  closedRefusal,
  commandOf,
  commandStep,
  completesNow,
  executionStep,
  forgeryEvent,
  refusalEvent,
  withNonce,
  withStepData,
} from './steps';

/** What a command the orchestration applied did: whether it completed the request on approval. */
interface Applied {
  autoCompleted: boolean;
}

/**
 * A command the orchestration applied, with what its execution needs should it have completed
 * the request: the notice of the initiator's `executed` message (the id the command step was
 * given, at its time) and, when the command step executed it in the same activity, its answer.
 */
interface CommandOutcome extends Applied {
  notice: { notificationId: string; at: string };
  executed?: ExecuteStepOutput;
  /** The command step's own execution threw: `executeStep` waits a retry interval first. */
  executionFailed?: true;
}

/**
 * How long an applied or refused command's nonce is remembered: as long as its signature is fresh
 * (a command issued up to the skew in the future stays fresh that much longer).
 */
const NONCE_MEMORY_MS = COMMAND_FRESHNESS_MS + COMMAND_FUTURE_SKEW_MS;

/**
 * How many times a command runs in parts when its refusal keeps yielding to the step an earlier
 * attempt of it recorded (see `authorize`): past that the orchestration fails loudly.
 */
const IN_PARTS_ROUNDS = 3;

/** What `record` answers: why the start was refused, or that the step yielded to another at its place (`yieldTo`). */
type Recorded = { startRefused: string } | { superseded: true } | undefined;

/** `authorize`'s answer when the refusal it was to record yielded to the command's own recorded step. */
const SUPERSEDED = 'superseded';

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
 * A step is one activity (one episode): `recordStep` for a step it computes itself, `commandStep`
 * for a command (the one that completes the request executes it too, in the same activity), and
 * `executeStep` for an execution the command step did not run; the last two carry no copy of the request (the
 * activity reads it from the store when its etag is the one the orchestration last wrote), and the
 * orchestration applies the same pure rules (`steps.ts`) with what the activity read, to its own
 * copy. Commands are applied only when they are genuine: `commandStep` checks each one's signature
 * (made by the app's HTTP layer) and freshness and reads the actor's app roles and groups again
 * from the directory, and each signature's nonce is applied once. A command that fails any of this
 * is audited as `request.eventRefused` (`command_unauthenticated`, `command_stale`,
 * `command_replayed`) and changes nothing else; nothing about the actor's rights is taken from the
 * event. A command that comes while a step runs is caught by a spare waiter (see `spares`).
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
   * Command waiters listened to while the orchestration works rather than waits (spares), oldest
   * first. The SDK hands an event to the newest open waiter of its name, and a waiter is open from
   * the first time it is yielded until an event completes it, yielded or not. So the first step
   * yielded while no spare exists races a fresh one (see {@link settle}), which then stays open:
   * a command that arrives while a step runs (the step that closes the request included) lands in
   * it, and is taken as the next command before the orchestration waits again, or, once the
   * request is closed, audited as refused before it ends. A wait's own waiter that lost to a timer
   * stays open too and joins them. Events go to the newest open waiter, so the completed spares are
   * always the newest ones and are taken newest first, which is their arrival order; no new spare is
   * made while one exists (an event with no open waiter is buffered, in order, for the next).
   * Costs nothing when no command comes: no timer, no extra episode, no history event.
   */
  const spares: df.Task[] = [];
  /** The command a spare caught, if the newest one did (taken: the spare is done). */
  const caught = (): { event: unknown } | undefined => {
    const newest = spares.at(-1);
    if (!newest?.isCompleted) return undefined;
    spares.pop();
    return { event: newest.result };
  };
  /** Yields `task` and answers its result; with no spare open, the task races a fresh one (see {@link spares}). */
  function* settle(task: df.Task): Generator<df.Task, unknown, unknown> {
    if (spares.length === 0) {
      const spare = context.df.waitForExternalEvent(ApprovalEvents.Command);
      spares.push(spare);
      yield context.df.Task.any([spare, task]);
    }
    // Yielded again when the command won the race: a task already scheduled is not scheduled twice.
    return yield task;
  }
  /**
   * Records a step, and sends its notification `kind` about the request as the step leaves it,
   * auditing the outcomes, in one activity; the first step (`start`) also has the start input's
   * signature checked, and answers why it was refused. `yieldTo`: a refusal of the command with
   * that nonce, which yields to the command's own step when an earlier attempt of it recorded its
   * records at this place: then nothing is recorded, the request and the trail's end stay as they
   * were, and it answers `superseded`.
   */
  function* record(
    result: CommandResult,
    start?: ApprovalOrchestrationInput,
    kind?: NotificationKind,
    derive?: { command?: Command },
    notice?: { notificationId: string; at: string },
    yieldTo?: string,
  ): Generator<df.Task, Recorded, unknown> {
    // `derive`: `result` is `command` applied to the request as the last step stored it (none: unchanged).
    const derivable = derive !== undefined && request === stored.value;
    const before = { request, trailEnd };
    request = result.request;
    // The step that applies or refuses a command names its nonce: the HTTP layer that sent it waits for it.
    const events = withNonce(result.events, commandNonce);
    commandNonce = undefined;
    const records = chain(events);
    // The first step's records are derived from the start input by the activity: not carried twice.
    const step: RecordStepInput = {
      records: start ? [] : records,
      ...correlation,
      ...(start ? { start } : {}),
      ...(yieldTo === undefined ? {} : { yieldTo }),
    };
    // Every change makes a new request object (see lifecycle's `changed`): the same one means no change.
    // A step that notifies carries the request too: the messages tell of it as it now is.
    // The first step's request and etag are its start input's: not carried twice.
    // A step the activity can derive from the stored read model carries no request (a point read instead).
    const carried = { value: request, etag: stored.etag };
    if (request !== stored.value || (kind !== undefined && !start)) {
      if (derivable) step.derive = { requestId: request.id, etag: stored.etag, ...derive };
      else step.request = carried;
    }
    if (kind !== undefined)
      step.notify = {
        kind,
        ...(notice ?? { notificationId: context.df.newGuid(request.id), at: now() }),
        after: trailEnd,
      };
    let output = (yield* settle(
      context.df.callActivityWithRetry(Activities.recordStep, STEP_RETRY, step),
    )) as RecordStepOutput;
    if (output !== null && typeof output === 'object' && 'stale' in output) {
      // The store held another version: the same step again, with the orchestration's copy.
      const { derive: _derived, ...rest } = step;
      output = (yield* settle(
        context.df.callActivityWithRetry(Activities.recordStep, STEP_RETRY, {
          ...rest,
          request: carried,
        } satisfies RecordStepInput),
      )) as RecordStepOutput;
      if (output !== null && typeof output === 'object' && 'stale' in output)
        throw new Error(`request ${request.id}: a step carrying its request answered stale`);
    }
    if (output === null) return undefined;
    if (typeof output === 'string') {
      stored = { value: request, etag: output };
      return undefined;
    }
    if ('superseded' in output) {
      // The SDK matches results to tasks by position: only a step that yields may answer this.
      if (yieldTo === undefined)
        throw new Error(
          `request ${request.id}: its history predates refusals that yield to a recorded step; terminate it (POST /api/ops/instances/${request.id}/terminate) and submit again`,
        );
      ({ request, trailEnd } = before);
      return output;
    }
    if ('startRefused' in output) return output;
    const notified: NotifiedStepOutput = output;
    trailEnd = notified.next;
    if (notified.etag !== null) stored = { value: request, etag: notified.etag };
    // The messages went out but their outcomes were not written: recorded as a step of their own, never sent again.
    yield* recordUnrecorded(notified.unrecorded);
    return undefined;
  }
  const refusal = (command: Command | CommandEvent, code: string, reason: string, at = now()): DomainEvent =>
    refusalEvent(request.id, command, code, reason, at);
  /** The audit entry of an event whose signature is refused; names the nonce it claims for the step. */
  const forgery = (event: unknown, code: string, reason: string, at = now()): DomainEvent => {
    const nonce = claimedNonce(event);
    if (nonce !== undefined) commandNonce = nonce;
    return forgeryEvent(request.id, event, code, reason, at);
  };
  /** Nonces of the authenticated commands applied or refused (replayed state: the same events rebuild it). */
  const nonces = new CommandNonces(NONCE_MEMORY_MS);
  /**
   * The step in parts (when `commandStep` kept failing): authenticates `event` and reads the
   * actor's rights (see `authorizeCommand`; the rights an earlier `commandStep` attempt recorded
   * at `notice`'s place, when it wrote its records); on refusal records it and answers undefined.
   * A nonce is remembered once its signature verified. `notice`: the `commandStep` input's time,
   * message id and place, so the step's records and messages are the ones it would have made.
   */
  function* authorize(
    event: unknown,
    groupIds: string[],
    readDirectory: boolean,
    notice: { notificationId: string; at: string },
  ): Generator<df.Task, Extract<AuthorizeCommandOutput, { ok: true }> | typeof SUPERSEDED | undefined, unknown> {
    const { at } = notice;
    const input: AuthorizeCommandInput = {
      instanceId: request.id,
      event,
      at,
      groupIds,
      readDirectory,
      after: trailEnd,
      ...correlation,
    };
    let auth: AuthorizeCommandOutput;
    try {
      auth = (yield* settle(
        context.df.callActivityWithRetry(Activities.authorizeCommand, STEP_RETRY, input),
      )) as AuthorizeCommandOutput;
    } catch {
      // The directory (or the store) stayed unreadable: the command is refused (and audited), not
      // guessed. Unless an earlier `commandStep` attempt wrote the command's step at this very place
      // and then failed its read model write through every retry (a store outage): its records
      // stand, so the refusal yields (`yieldTo`, checked by the store only when the place is taken)
      // and the caller completes that step. The other refusals below cannot meet such records: a
      // refused signature and a replayed nonce are decided as `commandStep` decided them (the same
      // signature check at the same time under the same app keys; a nonce remembered now was
      // remembered when the command step ran, which then recorded the same refusal), and a refusal
      // whatever the actor's rights (`refuse`) is the one it recorded: the same records, which the
      // store skips. Only an app key dropped from the ring between the two would refuse a signature
      // the command step accepted; the store then refuses that record (`audit_mismatch`), loudly.
      const recorded = yield* record(
        {
          request,
          events: [
            forgery(
              event,
              'membership_unavailable',
              'the command could not be checked: the directory could not be read',
              at,
            ),
          ],
        },
        undefined,
        undefined,
        undefined,
        undefined,
        claimedNonce(event),
      );
      return recorded && 'superseded' in recorded ? SUPERSEDED : undefined;
    }
    // The SDK matches results to tasks by position, not name: a history recorded before commands
    // were signed holds another activity's result here. Fail loudly rather than apply it.
    if (typeof auth !== 'object' || auth === null || typeof (auth as { ok?: unknown }).ok !== 'boolean') {
      throw new Error(
        `request ${request.id}: its history predates authenticated commands; terminate it (POST /api/ops/instances/${request.id}/terminate) and submit again`,
      );
    }
    if (!auth.ok) {
      yield* record({ request, events: [forgery(event, auth.code, auth.reason, at)] });
      return undefined;
    }
    commandNonce = auth.nonce;
    // At the command step's time, as it decided (the signature, too, is checked at `at`): after
    // the retries, now, a nonce it remembered may be forgotten, and the records differ from its.
    if (!nonces.admit(auth.nonce, Date.parse(auth.issuedAt), Date.parse(at))) {
      yield* record({
        request,
        events: [
          refusal(
            event as CommandEvent,
            'command_replayed',
            `the command with nonce ${auth.nonce} was already applied or refused`,
            at,
          ),
        ],
      });
      return undefined;
    }
    return auth;
  }
  /**
   * The step in parts, as the fallback of {@link command}: `authorizeCommand`, then (an approval
   * that completes the request on approval) `readAppRoles`, then `recordStep`, each with its own
   * retries; a directory that stays unreachable is audited (`membership_unavailable`). It applies
   * the command at the `commandStep` input's time with its message id (`notice`), and with the
   * rights an earlier `commandStep` attempt recorded when there was one (`authorizeCommand` reads
   * them from the trail), so it writes the records such an attempt wrote, which the store skips.
   * When the directory or the store stays unreadable but such an attempt's records stand at the
   * step's place, the `membership_unavailable` refusal yields to them and the step runs in parts
   * again (the store answered meanwhile, and the recorded rights need no directory), at most
   * {@link IN_PARTS_ROUNDS} times, then the orchestration fails loudly: never a refusal recorded
   * over the step, never a second record at its place.
   */
  function* commandInParts(
    event: unknown,
    refuse: { code: string; reason: string } | undefined,
    notice: { notificationId: string; at: string },
  ): Generator<df.Task, Applied | undefined, unknown> {
    const { at } = notice;
    const decide = (event as { kind?: unknown } | null)?.kind === 'decide';
    const groupIds = decide && !refuse ? request.policy.approverGroupIds : [];
    let auth = yield* authorize(event, groupIds, !refuse, notice);
    for (let round = 1; auth === SUPERSEDED; round++) {
      if (round >= IN_PARTS_ROUNDS)
        throw new Error(
          `request ${request.id}: the step of command ${claimedNonce(event)} stands on its trail at seq ${trailEnd.seq} but could not be completed in ${IN_PARTS_ROUNDS} rounds (the store or the directory stayed unreadable); its read model lags its trail: terminate it (POST /api/ops/instances/${request.id}/terminate) once the store answers`,
        );
      auth = yield* authorize(event, groupIds, !refuse, notice);
    }
    if (!auth) return undefined;
    if (refuse) {
      yield* record({ request, events: [refusal(event as CommandEvent, refuse.code, refuse.reason, at)] });
      return undefined;
    }
    const rights: StepRights = { actorRoles: auth.actorRoles, actorGroupIds: auth.actorGroupIds };
    const command = commandOf(event as CommandEvent, rights, at);
    if (completesNow(request, command)) {
      if (auth.initiatorRoles !== undefined) rights.initiatorRoles = auth.initiatorRoles;
      else
        try {
          const input: ReadAppRolesInput = { principalId: request.initiator.id, ...correlation };
          rights.initiatorRoles = (yield context.df.callActivityWithRetry(
            Activities.readAppRoles,
            STEP_RETRY,
            input,
          )) as string[];
        } catch {
          // The directory stayed unreachable: not completed (audited); the initiator still may.
          rights.initiatorRoles = null;
        }
    }
    const step = commandStep(request, command, rights.initiatorRoles ?? null, at);
    // The nonce and the rights read, in the first record, as `commandStep` records them.
    const events = withStepData(step.result.events, commandNonce, rights);
    yield* record({ request: step.result.request, events }, undefined, step.kind, undefined, notice);
    return step.applied ? { autoCompleted: step.autoCompleted } : undefined;
  }
  /**
   * One command, one step: the `commandStep` activity authenticates `event`, reads the actor's
   * rights, applies the lifecycle rules, records the step and notifies; the orchestration then
   * applies the same rules with the rights it answered to its own copy (`commandStep` in
   * `steps.ts`). `refuse`: a genuine event is refused with it whatever the actor's rights. A nonce
   * the orchestration remembers is flagged, so a genuine replay is refused as such. When the
   * activity keeps failing, the step runs in parts ({@link commandInParts}). Answers whether the
   * command was applied (and completed the request on approval), with what its execution needs
   * (the command step executes the request it completed: `executed`); a refusal answers undefined.
   */
  function* command(
    event: unknown,
    refuse?: { code: string; reason: string },
  ): Generator<df.Task, CommandOutcome | undefined, unknown> {
    const at = now();
    const atMs = context.df.currentUtcDateTime.getTime();
    const claimed = claimedNonce(event);
    const notificationId = context.df.newGuid(request.id);
    // The initiator's `executed` message, should this command complete the request on approval:
    // the same id whichever activity sends it (a channel that deduplicates drops a repeat).
    const notice = { notificationId: context.df.newGuid(request.id), at };
    const input: CommandStepInput = {
      requestId: request.id,
      event,
      at,
      etag: stored.etag,
      after: trailEnd,
      notificationId,
      execution: { notificationId: notice.notificationId },
      ...(claimed !== undefined && nonces.remembers(claimed, atMs) ? { replayed: true as const } : {}),
      ...(refuse ? { refuse } : {}),
      ...correlation,
    };
    let output: CommandStepOutput;
    try {
      output = (yield* settle(
        context.df.callActivityWithRetry(Activities.commandStep, COMMAND_STEP_RETRY, input),
      )) as CommandStepOutput;
      // The store's copy was another version (a re-run, a stale read): the step again, with ours.
      if (output.stale)
        output = (yield* settle(
          context.df.callActivityWithRetry(Activities.commandStep, COMMAND_STEP_RETRY, {
            ...input,
            request,
          } satisfies CommandStepInput),
        )) as CommandStepOutput;
    } catch {
      const applied = yield* commandInParts(event, refuse, { notificationId, at });
      return applied && { ...applied, notice };
    }
    // The SDK matches results to tasks by position, not name: a history recorded with another
    // shape of step holds another activity's result here. Fail loudly rather than apply it.
    if (
      typeof output !== 'object' ||
      output === null ||
      typeof (output as { next?: unknown }).next !== 'object' ||
      !('etag' in output)
    ) {
      throw new Error(
        `request ${request.id}: its history predates one-activity command steps; terminate it (POST /api/ops/instances/${request.id}/terminate) and submit again`,
      );
    }
    if (output.verified) nonces.admit(output.verified.nonce, Date.parse(output.verified.issuedAt), atMs);
    trailEnd = output.next;
    if (output.adopted) {
      // An earlier run of the step recorded it otherwise: the request is as stored.
      request = output.adopted.request;
      stored = { value: request, etag: output.adopted.etag };
      return {
        autoCompleted:
          (event as { kind?: unknown }).kind === 'decide' &&
          request.status === 'completed' &&
          completesOnApproval(request.policy),
        notice,
      };
    }
    let outcome: CommandOutcome | undefined;
    if (output.rights) {
      const step = commandStep(
        request,
        commandOf(event as CommandEvent, output.rights, at),
        output.rights.initiatorRoles ?? null,
        at,
      );
      // The same rules on the same request with the same rights: a different outcome is a defect, not a state to keep.
      if (output.status !== undefined && step.result.request.status !== output.status)
        throw new Error(
          `request ${request.id}: the command step left it ${output.status}, the orchestration's copy ${step.result.request.status}`,
        );
      request = step.result.request;
      if (step.applied)
        outcome = {
          autoCompleted: step.autoCompleted,
          notice,
          ...(output.executed ? { executed: output.executed } : {}),
          ...(output.executionFailed ? { executionFailed: true as const } : {}),
        };
    }
    if (output.etag !== null) stored = { value: request, etag: output.etag };
    yield* recordUnrecorded(output.unrecorded);
    return outcome;
  }
  /** Outcomes of messages that went out but whose write failed: recorded as a step of their own, never sent again. */
  function* recordUnrecorded(unrecorded: AuditRecord[] | undefined): Generator<df.Task, void, unknown> {
    if (!unrecorded?.length) return;
    const retried = (yield* settle(
      context.df.callActivityWithRetry(Activities.recordStep, STEP_RETRY, {
        records: unrecorded,
        ...correlation,
      } satisfies RecordStepInput),
    )) as RecordStepOutput;
    if (typeof retried === 'string') stored = { value: request, etag: retried };
  }
  /**
   * Executes the completed request and records the execution in one step: takes the answer of the
   * command step that completed it and executed it in the same activity (`executed`), or else runs
   * `executeStep` at the trail's end under the last etag. Either answer is taken the same way: the
   * execution as adopted, as recorded (with any outcomes left unrecorded recorded as a step of their
   * own), or handed back unrecorded and then recorded as a step of its own (`executionStep`), as is
   * a failed execution once `executeStep` gave up; with the initiator's `executed` message (`notice`)
   * when the request completed on approval.
   */
  function* executeAndRecord(completion: CommandOutcome): Generator<df.Task, ExecuteOperationOutput, unknown> {
    const notify = completion.autoCompleted ? completion.notice : undefined;
    let output = completion.executed;
    if (output === undefined) {
      // The command step's own attempt just failed: the first retry waits, as a retried activity would.
      if (completion.executionFailed)
        yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + EXECUTION_RETRY_INTERVAL_MS));
      const input: ExecuteStepInput = {
        requestId: request.id,
        operationHash: request.operationHash,
        etag: stored.etag,
        after: trailEnd,
        ...(notify ? { notify } : {}),
        ...correlation,
      };
      try {
        output = (yield* settle(
          context.df.callActivityWithRetry(Activities.executeStep, EXECUTION_RETRY, input),
        )) as ExecuteStepOutput;
      } catch (error) {
        const gaveUp: ExecuteOperationOutput = {
          status: 'failed',
          at: context.df.currentUtcDateTime.toISOString(),
          detail: `gave up after retries: ${failureDetail(error)}`,
        };
        // Recorded by the execution step, which first looks at the trail's place: an attempt whose
        // execution record was written (then its read model write failed, through all retries) is
        // taken as it was, not recorded over with this failure.
        try {
          output = (yield* settle(
            context.df.callActivityWithRetry(Activities.executeStep, STEP_RETRY, { ...input, gaveUp }),
          )) as ExecuteStepOutput;
        } catch {
          output = { execution: gaveUp };
        }
      }
    }
    // The SDK matches results to tasks by position: a history recorded with another shape of
    // execution step holds another task's result here. Fail loudly rather than apply it.
    if (
      typeof output !== 'object' ||
      output === null ||
      typeof (output as { execution?: unknown }).execution !== 'object'
    )
      throw new Error(
        `request ${request.id}: its history predates this shape of execution step; terminate it (POST /api/ops/instances/${request.id}/terminate) and submit again`,
      );
    const { execution } = output;
    if (output.adopted) {
      request = output.adopted.request;
      stored = { value: request, etag: output.adopted.etag };
      trailEnd = output.adopted.next;
      return execution;
    }
    if (output.recorded) {
      request = executionStep(request, execution).request;
      trailEnd = output.recorded.next;
      if (output.recorded.etag !== null) stored = { value: request, etag: output.recorded.etag };
      yield* recordUnrecorded(output.recorded.unrecorded);
      return execution;
    }
    // The record the execution step makes (the whole execution in its data), with its message id.
    yield* record(executionStep(request, execution), undefined, notify ? 'executed' : undefined, undefined, notify);
    return execution;
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

  const started = yield* record(
    {
      request,
      events: input.operatorStart ? [submittedEvent(request), input.operatorStart] : [submittedEvent(request)],
    },
    input,
    'submitted',
  );
  const startRefused = started && 'startRefused' in started ? started.startRefused : undefined;
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
    let applied: CommandOutcome | undefined;
    let arrived: { event: unknown } | undefined;
    // A command that came while the last step ran is the next one: no wait.
    const early = caught();
    if (early) arrived = early;
    else {
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
      // A waiter that lost to a timer stays open: a spare, so what it catches is not lost.
      if (winner !== next) spares.push(next);
      if (winner === reminder) {
        expiry.cancel();
        reminded = true;
        yield* record({ request, events: [] }, undefined, 'reminder', {});
        continue;
      }
      reminder?.cancel();
      if (winner === expiry) {
        const expire: Command = { kind: 'expire', at: now() };
        let result: CommandResult;
        try {
          result = applyCommand(request, expire);
        } catch (error) {
          if (!isDomainError(error)) throw error;
          yield* record({ request, events: [refusal(expire, error.code, error.message)] });
          continue;
        }
        yield* record(result, undefined, notificationFor(result), { command: expire });
      } else {
        expiry.cancel();
        arrived = { event: next.result };
      }
    }
    if (arrived) {
      const raw = arrived.event;
      const correlationId = (raw as { correlationId?: unknown } | null)?.correlationId;
      if (typeof correlationId === 'string') correlation = { correlationId };
      // Roles and membership are read again now, for every command: the HTTP layer's view may be stale.
      applied = yield* command(raw);
      if (!applied) continue;
    }
    publish();

    if (request.status === 'completed' && request.execution === undefined) {
      // Only a command completes a request; the default keeps a request completed otherwise executing.
      const { followUp } = yield* executeAndRecord(
        applied ?? { autoCompleted: false, notice: { notificationId: context.df.newGuid(request.id), at: now() } },
      );
      publish();
      if (followUp && observable(request.execution)) {
        const { devices, ...outcome } = yield* observeDevice(context, request.id, followUp, correlation);
        try {
          const observed: Command = {
            kind: 'recordObservation',
            outcome,
            ...(devices === undefined ? {} : { devices }),
          };
          yield* record(applyCommand(request, observed), undefined, undefined, { command: observed });
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
  for (let late = caught(); late; late = caught()) yield* command(late.event, closedRefusal(request.status));

  const output: ApprovalOrchestrationOutput = { requestId: request.id, status: request.status };
  if (request.execution) output.execution = request.execution;
  return output;
};

df.app.orchestration(APPROVAL_ORCHESTRATOR, approvalOrchestrator);
