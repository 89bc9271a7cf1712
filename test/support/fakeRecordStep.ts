import { stepOutput } from '../../orchestrations/activities/commandStep';
import type {
  AuthorizeCommandInput,
  AuthorizeCommandOutput,
  CommandEvent,
  CommandStepInput,
  CommandStepOutput,
  ExecuteOperationOutput,
  ExecuteStepInput,
  ExecuteStepOutput,
  NotifyInput,
  NotifyOutput,
  RecordStepInput,
  RecordStepOutput,
  StepRights,
} from '../../orchestrations/contracts';
import { Activities } from '../../orchestrations/names';
import {
  claimedNonce,
  commandOf,
  commandStep,
  completesNow,
  executionStep,
  forgeryEvent,
  inStepExecution,
  recordedRights,
  refusalEvent,
  startRecords,
  withNonce,
  withStepData,
  yieldsTo,
} from '../../orchestrations/steps';
import { chainEvents } from '../../shared/domain/auditChain';
import { applyCommand, type DomainEvent } from '../../shared/domain/lifecycle';
import type { ApprovalRequest, AuditRecord } from '../../shared/domain/model';
import { notificationEvents, type NotificationKind } from '../../shared/domain/notifications';
import { alice } from './builders';
import type { ActivityCall, ActivityHandler, FakeOrchestration } from './fakeOrchestrationContext';

const {
  recordStep,
  commandStep: commandStepName,
  executeStep,
  authorizeCommand,
  readAppRoles,
  executeOperation,
} = Activities;

/** What a step's sender reports for a notification (what it sends is the notify tests' business). */
export type Sender = (input: NotifyInput) => NotifyOutput;

/** One message per notification, by email to the initiator, delivered. */
export const delivers: Sender = () => ({
  outcomes: [{ channel: 'email', recipient: alice, ok: true, detail: '202' }],
  problems: [],
});

/** Each step as the fake wrote it: the first step's records derived from its start input, a derived step's request from the store. */
const STEP = new WeakMap<ActivityCall, RecordStepInput>();
/** The steps that answered stale or superseded and wrote nothing. */
const STALE = new WeakSet<ActivityCall>();
/** The parts that threw (and so wrote nothing). */
const FAILED = new WeakSet<ActivityCall>();

/** What each step answered, and the outcome records a notifying step wrote. */
export const OUTCOMES = new WeakMap<ActivityCall, { records: AuditRecord[]; output: RecordStepOutput }>();

/**
 * The recordStep activity over a store whose etags count up (`etag-1` after the first write of
 * the read model) and that holds the trail by `seq`: it writes the step, then, for a step that
 * notifies, sends through `send` and writes the outcomes chained where the orchestration said, as
 * the real activity does (its own tests hold that); `unrecorded` makes the outcomes' write fail.
 * A record already stored is skipped, and another record at a taken `seq` fails the step with
 * `audit_mismatch`, as the store does; unless the step yields to that record's command
 * (`yieldTo`, the rule in `steps.ts`), which answers `superseded` and writes nothing. `outage`
 * (asked once per step): the store appends the step's records, then fails the read model's write.
 */
export function recordStepInStore(
  send: Sender = delivers,
  options: { unrecorded?: boolean; outage?: (step: RecordStepInput) => boolean } = {},
): StepRecorder {
  let version = 0;
  const model: FakeReadModel = { etag: '', trail: new Map() };
  /** Appends `records` as the store does: the same record again is skipped, another at its `seq` refused. */
  const append = (records: AuditRecord[]) => {
    for (const record of records) {
      const held = model.trail.get(record.seq);
      if (held !== undefined && held.hash !== record.hash)
        throw new Error(`audit_mismatch: another record stands at seq ${record.seq}`);
    }
    for (const record of records) model.trail.set(record.seq, jsonCopy(record));
  };
  const handler: ActivityHandler = (raw, call) => {
    const sent = raw as RecordStepInput;
    // The first step's records derive from its start input, as the real activity derives them.
    // (Through JSON: the fake clones activity inputs with structuredClone, into another realm.)
    let step: RecordStepInput =
      sent.start && sent.records.length === 0 ? { ...sent, records: startRecords(jsonCopy(sent.start)).records } : sent;
    // A derived step: the stored read model with the command applied, as the real activity derives it.
    if (step.derive) {
      const { derive, ...rest } = step;
      if (derive.etag !== model.etag) {
        STALE.add(call);
        return { stale: true } satisfies RecordStepOutput;
      }
      const value = derive.command ? applyCommand(model.value!, jsonCopy(derive.command)).request : model.value!;
      step = { ...rest, request: { value, etag: model.etag } };
    }
    const first = step.records[0];
    const taken = first && model.trail.get(first.seq);
    if (taken && taken.hash !== first.hash && step.yieldTo !== undefined && yieldsTo(taken, step.yieldTo)) {
      STALE.add(call);
      return { superseded: true } satisfies RecordStepOutput;
    }
    append(step.records);
    if (step.records.length > 0 && options.outage?.(step)) throw new Error('the read model write failed');
    STEP.set(call, step);
    // Held as the store holds it: JSON (the inputs come cloned into another realm).
    if (step.start) Object.assign(model, { value: jsonCopy(step.start.request), etag: step.start.etag });
    if (step.request) model.value = jsonCopy(step.request.value);
    const answer = (output: RecordStepOutput) => {
      if (typeof output === 'string') model.etag = output;
      else if (output && typeof output === 'object' && 'etag' in output && output.etag !== null)
        model.etag = output.etag;
      return output;
    };
    if (!step.notify) {
      const output = step.request ? `etag-${++version}` : null;
      OUTCOMES.set(call, { records: [], output });
      return answer(output);
    }
    const { kind, notificationId, at, after: start } = step.notify;
    const request = step.request?.value ?? step.start!.request;
    const etag = step.records.length > 0 ? `etag-${++version}` : (step.request ?? step.start)!.etag;
    const { outcomes, problems } = send({ kind, request, notificationId, at });
    const { records, next } = chainEvents(notificationEvents(request, kind, outcomes, problems, at), start);
    let output: RecordStepOutput = { etag, next };
    if (records.length > 0 && options.unrecorded) output = { etag, next, unrecorded: records };
    else if (records.length > 0) {
      append(records);
      output = { etag: `etag-${++version}`, next };
    }
    OUTCOMES.set(call, { records: records.length > 0 && !options.unrecorded ? records : [], output });
    return answer(output);
  };
  return Object.assign(handler, { model });
}

const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The read model as the fake store holds it (the start input's, then each step's). */
export interface FakeReadModel {
  value?: ApprovalRequest;
  etag: string;
  /** The trail as stored, by `seq`. */
  trail: Map<number, AuditRecord>;
}

/** A recordStep handler over a {@link FakeReadModel}, which the one-activity steps below read as the real ones read the store. */
export type StepRecorder = ActivityHandler & { model: FakeReadModel };

/**
 * `authorize` (an authorizeCommand handler) as the real activity answers over `record`'s store:
 * when an earlier command step wrote the step's first record at `after` with the command's nonce,
 * the rights it recorded there instead of the directory's.
 */
export function authorizeOverTrail(record: StepRecorder, authorize: ActivityHandler): ActivityHandler {
  return (raw, call) => {
    const input = raw as AuthorizeCommandInput;
    const answer = authorize(raw, call) as AuthorizeCommandOutput;
    if (!answer.ok || !input.readDirectory || !input.after) return answer;
    const recorded = recordedRights(record.model.trail.get(input.after.seq), answer.nonce);
    return recorded ? { ...answer, ...recorded } : answer;
  };
}

/**
 * The parts each one-activity step was made of, as the activities the orchestration scheduled
 * before a step was one activity (`authorizeCommand`, `readAppRoles`, `recordStep`;
 * `executeOperation`, `recordStep`), each with its input: the tests hold the steps to what those
 * parts did.
 */
export const PARTS = new WeakMap<ActivityCall, ActivityCall[]>();

function partRunner(call: ActivityCall) {
  const parts: ActivityCall[] = [];
  PARTS.set(call, parts);
  return (name: string, handler: ActivityHandler, input: unknown) => {
    const part: ActivityCall = { name, input, at: call.at };
    parts.push(part);
    try {
      return handler(input, part);
    } catch (error) {
      FAILED.add(part);
      throw error;
    }
  };
}

/**
 * The commandStep activity as the real one works (see its tests), over the fake store of `record`:
 * the signature and the actor's rights as `authorize` (an authorizeCommand handler) answers them,
 * the initiator's roles as `readRoles` (a readAppRoles handler) does, the rules from `steps.ts`, and
 * the step recorded through `record`. A part that throws fails the step, but for the execution:
 * a step that completes the request executes it through `execute` (an executeOperation handler),
 * as {@link executeStepIn} does, and answers it as `executed`; an execution that throws is left
 * out of the answer (the orchestration runs executeStep).
 */
export function commandStepIn(
  record: StepRecorder,
  authorize: ActivityHandler,
  readRoles?: ActivityHandler,
  execute?: ActivityHandler,
): ActivityHandler {
  return (raw, call) => {
    const input = raw as CommandStepInput;
    const part = partRunner(call);
    const { requestId, event, at, after } = input;
    const genuine = event as CommandEvent;
    const screening = Boolean(input.replayed || input.refuse);
    const request = input.request ? jsonCopy(input.request) : record.model.value!;
    const groupIds = !screening && genuine?.kind === 'decide' ? request.policy.approverGroupIds : [];
    const auth = part(authorizeCommand, authorize, {
      instanceId: requestId,
      event,
      at,
      groupIds,
      readDirectory: !screening,
      ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId }),
    } satisfies AuthorizeCommandInput) as AuthorizeCommandOutput;
    let events: DomainEvent[];
    let changed: ApprovalRequest | undefined;
    let kind: NotificationKind | undefined;
    let rights: StepRights | undefined;
    let status: ApprovalRequest['status'] | undefined;
    let autoCompleted = false;
    if (!auth.ok) events = withNonce([forgeryEvent(requestId, event, auth.code, auth.reason, at)], claimedNonce(event));
    else if (input.replayed)
      events = withNonce(
        [
          refusalEvent(
            requestId,
            genuine,
            'command_replayed',
            `the command with nonce ${auth.nonce} was already applied or refused`,
            at,
          ),
        ],
        auth.nonce,
      );
    else if (input.refuse)
      events = withNonce([refusalEvent(requestId, genuine, input.refuse.code, input.refuse.reason, at)], auth.nonce);
    else {
      rights = { actorRoles: auth.actorRoles, actorGroupIds: auth.actorGroupIds };
      const command = commandOf(genuine, rights, at);
      if (completesNow(request, command)) {
        if (!readRoles) throw new Error('no readAppRoles handler for an approval that completes on approval');
        rights.initiatorRoles = part(readAppRoles, readRoles, {
          principalId: request.initiator.id,
          ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId }),
        }) as string[];
      }
      const step = commandStep(request, command, rights.initiatorRoles ?? null, at);
      events = withStepData(step.result.events, auth.nonce, rights);
      kind = step.kind;
      status = step.result.request.status;
      autoCompleted = step.autoCompleted;
      if (step.result.request !== request) changed = step.result.request;
    }
    const { records, next } = chainEvents(events, after);
    const output = part(recordStep, record, {
      records,
      ...(changed ? { request: { value: changed, etag: record.model.etag } } : {}),
      ...(kind === undefined ? {} : { notify: { kind, notificationId: input.notificationId, at, after: next } }),
      ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId }),
    } satisfies RecordStepInput) as RecordStepOutput;
    const recorded = stepOutput(output, next);
    const answer: CommandStepOutput = {
      ...(auth.ok ? { verified: { nonce: auth.nonce, issuedAt: auth.issuedAt } } : {}),
      ...(rights ? { rights, status } : {}),
      ...recorded,
    };
    const executeInput = inStepExecution(input, changed, recorded, autoCompleted);
    if (!execute || !executeInput) return answer;
    try {
      return { ...answer, executed: executeWith(record, execute, executeInput, part) };
    } catch {
      return { ...answer, executionFailed: true };
    }
  };
}

/**
 * The executeStep activity as the real one works (see its tests), over the fake store of
 * `record`: the stored request executed by `execute` (an executeOperation handler, given the
 * request), then its execution recorded through `record`, with the `executed` notification when
 * asked. A refused execution, or one whose write throws, goes back unrecorded; an execute that
 * throws fails the step.
 */
export function executeStepIn(record: StepRecorder, execute: ActivityHandler): ActivityHandler {
  return (raw, call) => executeWith(record, execute, raw as ExecuteStepInput, partRunner(call));
}

/** The execution step's work (see {@link executeStepIn}), its parts run through `part`. */
function executeWith(
  record: StepRecorder,
  execute: ActivityHandler,
  input: ExecuteStepInput,
  part: ReturnType<typeof partRunner>,
): ExecuteStepOutput {
  const stored = record.model.value!;
  const correlation = input.correlationId === undefined ? {} : { correlationId: input.correlationId };
  const execution =
    input.gaveUp ?? (part(executeOperation, execute, { ...stored, ...correlation }) as ExecuteOperationOutput);
  if (stored.status !== 'completed' || execution.detail.startsWith('execution_refused:'))
    return { execution } satisfies ExecuteStepOutput;
  const result = executionStep(stored, execution);
  const { records, next } = chainEvents(result.events, input.after);
  let output: RecordStepOutput;
  try {
    output = part(recordStep, record, {
      records,
      request: { value: result.request, etag: record.model.etag },
      ...(input.notify ? { notify: { kind: 'executed', ...input.notify, after: next } } : {}),
      ...correlation,
    } satisfies RecordStepInput) as RecordStepOutput;
  } catch {
    // Executed, not recorded: handed back for the orchestration to record.
    return { execution } satisfies ExecuteStepOutput;
  }
  return { execution, recorded: stepOutput(output, next) } satisfies ExecuteStepOutput;
}

/**
 * The handlers of the one-activity steps over the parts' handlers in `handlers` (recordStep,
 * authorizeCommand, readAppRoles, executeOperation: the command step that completes a request
 * executes it with it), unless `handlers` has its own: what a test says the parts answer, the
 * steps answer.
 */
export function withSteps(handlers: Record<string, ActivityHandler>): Record<string, ActivityHandler> {
  const record = handlers[recordStep] as StepRecorder;
  return {
    ...(handlers[authorizeCommand] && record.model
      ? {
          [commandStepName]: commandStepIn(
            record,
            handlers[authorizeCommand],
            handlers[readAppRoles],
            handlers[executeOperation],
          ),
        }
      : {}),
    ...(handlers[executeOperation] && record.model
      ? { [executeStep]: executeStepIn(record, handlers[executeOperation]) }
      : {}),
    ...handlers,
  };
}

/**
 * The activities in the order their work ran, each one-activity step as its parts (see
 * {@link PARTS}), each other activity as itself.
 */
export const partsOf = (fake: FakeOrchestration): ActivityCall[] =>
  fake.activities.flatMap((call) => PARTS.get(call) ?? [call]);
export const partNames = (fake: FakeOrchestration): string[] => partsOf(fake).map((call) => call.name);

/** Every step written (recordStep, and the recordStep part of the one-activity steps), in order. */
export const stepCalls = (fake: FakeOrchestration) =>
  partsOf(fake).filter((call) => call.name === recordStep && !STALE.has(call) && !FAILED.has(call));
/** Each step as written: its input, with the records it wrote of its own. */
export const stepsOf = (fake: FakeOrchestration): RecordStepInput[] =>
  stepCalls(fake).map((call) => {
    const input = call.input as RecordStepInput;
    return STEP.get(call) ?? input;
  });
/** Every audit record the orchestration's steps wrote, in order: each step's own, then its notification's outcomes. */
export const trailOf = (fake: FakeOrchestration): AuditRecord[] =>
  stepCalls(fake).flatMap((call) => [
    ...(STEP.get(call) ?? (call.input as RecordStepInput)).records,
    ...(OUTCOMES.get(call)?.records ?? []),
  ]);
export const typesOf = (fake: FakeOrchestration) => trailOf(fake).map((record) => record.type);
/** The steps that notified, as [kind, when]. */
export const notifications = (fake: FakeOrchestration) =>
  stepsOf(fake).flatMap((step) => (step.notify ? [[step.notify.kind, step.notify.at] as const] : []));
export const notifiedKinds = (fake: FakeOrchestration) => notifications(fake).map(([kind]) => kind);
