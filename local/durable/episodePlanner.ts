import { missingFunctionMessage, type RegisteredNames } from './functionRegistry';
import { EventType, OrchestrationStatusCode, failureEvent, historyEvent, type HistoryEvent } from './history';
import {
  Action,
  LONG_TIMER_INTERVAL_MS,
  MAXIMUM_SHORT_TIMER_MS,
  UNSUPPORTED_ACTIONS,
  describeAction,
  leafActions,
  preEncodedInput,
  type OrchestratorState,
  type RetryOptions,
} from './sdkProtocol';
import type { InboxRow, RuntimeStatus } from './store';

/** The largest custom status the extension accepts, in KB of UTF-16. */
const CUSTOM_STATUS_LIMIT_KB = 16;

/** One leaf action already applied to history, in depth-first order. */
export interface LeafRecord {
  /** actionType */
  t: number;
  /** function or event name */
  n?: string;
  /** sequence id of the current task/sub-timer */
  id?: number;
  canceled?: boolean;
}

/** A task scheduled with retry options, while it still has attempts or a final timer to wait for. */
export interface RetryRecord {
  leaf: number;
  attempt: number;
  options: RetryOptions;
  name: string;
  input: string | null;
  sub: boolean;
  instanceId?: string;
  version?: string;
}

/** Per-instance bookkeeping the engine keeps beside the history (persisted with the instance). */
export interface EngineState {
  started: boolean;
  nextSeq: number;
  lastEpisodeMs: number;
  leaves: LeafRecord[];
  retries: Record<string, RetryRecord>;
  /** attempt task id -> leaf index of its retry record */
  retryByTask: Record<string, number>;
  /** retry timer id -> leaf index of its retry record */
  retryByTimer: Record<string, number>;
  /** current sub-timer id -> long timer */
  longTimers: Record<string, { leaf: number; finalMs: number }>;
}

/** The state of an instance that has not run yet. */
export function freshState(): EngineState {
  return {
    started: false,
    nextSeq: 0,
    lastEpisodeMs: 0,
    leaves: [],
    retries: {},
    retryByTask: {},
    retryByTimer: {},
    longTimers: {},
  };
}

/** Where a sub-orchestration reports its outcome. */
export interface ParentLink {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
}

/** The parent link stored with an instance row (JSON text or null). */
export function parentOf(stored: string | null): ParentLink | undefined {
  return stored ? (JSON.parse(stored) as ParentLink) : undefined;
}

/** An instance as the planner sees it. */
export interface EpisodeInstance {
  instanceId: string;
  name: string;
  version: string;
  executionId: string;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  parent: ParentLink | undefined;
}

/** A history event to deliver later; `instanceId` '' means the instance itself. */
export interface PlannedMessage {
  instanceId: string;
  executionId: string | null;
  event: HistoryEvent;
  visibleMs: number;
  timerId: number | null;
}

/** A sub-orchestration to create. */
export interface PlannedChild {
  instanceId: string;
  name: string;
  version: string;
  input: string | null;
  taskId: number;
}

/** What an episode decided, applied in one store unit. */
export interface EpisodePlan {
  append: HistoryEvent[];
  status: RuntimeStatus;
  output: string | null;
  customStatus: string | null;
  executionId: string;
  input: string | null;
  state: EngineState;
  consumedMessages: number[];
  timersToCancel: number[];
  messages: PlannedMessage[];
  work: { taskId: number; name: string; input: string | null }[];
  children: PlannedChild[];
  /** Drop the whole execution's inbox, work and (for continue-as-new) history. */
  finish?: 'completed' | 'continuedAsNew';
  /** Only complete if no live timer is pending (the SDK's "pending timers keep it running" rule). */
  completeUnlessTimers?: boolean;
}

/** What the SDK answered for the episode: its state, or why the episode failed before it could. */
export type SdkOutcome = { state: OrchestratorState } | { failure: string };

/** Everything one episode's plan depends on. */
export interface EpisodeInput {
  instance: EpisodeInstance;
  /** The state as the last episode left it (not modified). */
  state: EngineState;
  /** The events the episode opened with (see {@link openingEvents}), as the SDK saw them. */
  opening: HistoryEvent[];
  /** The delivered inbox events (the tail of `opening`). */
  delivered: HistoryEvent[];
  consumedMessages: number[];
  episodeMs: number;
  outcome: SdkOutcome;
  names: RegisteredNames;
  /** A new execution id, asked for only on continue-as-new. */
  newExecutionId: () => string;
}

/**
 * The leading events that one episode can take together. The SDK allocates sequence ids while it
 * processes some completions (a failed attempt's retry timer, a re-attempt, a long timer's next
 * sub-timer); such an event may only come first, so that its ids precede any the orchestrator
 * yields in the same episode, exactly as when they arrive one by one.
 */
export function deliverable(messages: readonly InboxRow[], state: EngineState, starting: boolean): InboxRow[] {
  const batch: InboxRow[] = [];
  for (const message of messages) {
    if (message.kind !== 'event') break;
    if ((batch.length > 0 || starting) && allocatesIds(JSON.parse(message.body) as HistoryEvent, state)) break;
    batch.push(message);
  }
  return batch;
}

/** Whether the SDK allocates sequence ids while it processes `event` (see {@link deliverable}). */
export function allocatesIds(event: HistoryEvent, state: EngineState): boolean {
  if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
    return state.retryByTask[String(event.TaskScheduledId)] !== undefined;
  }
  if (event.EventType === EventType.TimerFired) {
    const id = String(event.TimerId);
    return state.retryByTimer[id] !== undefined || state.longTimers[id] !== undefined;
  }
  return false;
}

/** The episode's time: never before the last episode, nor before a delivered timer's FireAt. */
export function episodeTime(nowMs: number, state: EngineState, delivered: readonly HistoryEvent[]): number {
  let episodeMs = Math.max(nowMs, state.lastEpisodeMs);
  for (const event of delivered) {
    // The SDK compares the episode time with the timer's FireAt (long timers): never deliver early.
    if (event.EventType === EventType.TimerFired) episodeMs = Math.max(episodeMs, Date.parse(event.FireAt as string));
  }
  return episodeMs;
}

/** The events an episode adds before the SDK runs: OrchestratorStarted, ExecutionStarted (first episode), the delivered ones. */
export function openingEvents(
  instance: EpisodeInstance,
  state: EngineState,
  delivered: readonly HistoryEvent[],
  episodeMs: number,
): HistoryEvent[] {
  const events: HistoryEvent[] = [historyEvent(EventType.OrchestratorStarted, episodeMs)];
  if (!state.started) {
    const parent = instance.parent;
    events.push(
      historyEvent(EventType.ExecutionStarted, episodeMs, {
        OrchestrationInstance: { InstanceId: instance.instanceId, ExecutionId: instance.executionId },
        ParentInstance: parent
          ? {
              Name: parent.name,
              Version: '',
              TaskScheduleId: parent.taskId,
              OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
            }
          : null,
        Name: instance.name,
        Version: instance.version,
        Input: instance.input,
        Tags: null,
        Correlation: null,
        ScheduledStartTime: null,
        Generation: 0,
      }),
    );
  }
  events.push(...delivered);
  return events;
}

/**
 * Decides an episode: the history events to append, timers, activity work, sub-orchestrations,
 * messages to the parent, and the instance's next status and state. Pure: reads no clock and no
 * store; the same input gives the same plan.
 */
export function planEpisode(input: EpisodeInput): EpisodePlan {
  const { instance, episodeMs, outcome } = input;
  const plan: EpisodePlan = {
    append: [...input.opening],
    status: 'Running',
    output: instance.output,
    customStatus: instance.customStatus,
    executionId: instance.executionId,
    input: instance.input,
    state: { ...structuredClone(input.state), started: true, lastEpisodeMs: episodeMs },
    consumedMessages: [...input.consumedMessages],
    timersToCancel: [],
    messages: [],
    work: [],
    children: [],
  };

  let failure: string | undefined;
  if ('failure' in outcome) {
    failure = outcome.failure;
  } else {
    applyDeliveredEvent(plan, input.delivered[0], episodeMs);
    failure = applyActions(plan, instance, outcome.state, episodeMs, input.names);
  }

  if (failure !== undefined) {
    planFailure(plan, instance, failure, episodeMs);
  } else if ('state' in outcome) {
    const result = outcome.state;
    if (result.customStatus !== undefined) {
      const text = JSON.stringify(result.customStatus);
      const kb = Math.floor(Buffer.byteLength(text, 'utf16le') / 1024);
      if (kb > CUSTOM_STATUS_LIMIT_KB) {
        planFailure(
          plan,
          instance,
          `Orchestrator function '${instance.name}' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${kb} KB.`,
          episodeMs,
        );
      } else {
        plan.customStatus = text;
      }
    }
    if (plan.status === 'Running' && result.isDone) planDone(plan, instance, result, episodeMs, input.newExecutionId);
  }
  plan.append.push(historyEvent(EventType.OrchestratorCompleted, episodeMs));
  return plan;
}

/** How a plan lands, given how many of the execution's timers the store still holds. */
export interface SettledPlan {
  status: RuntimeStatus;
  append: HistoryEvent[];
  /** Messages to the instance itself. */
  ownMessages: PlannedMessage[];
  /** Messages to other instances (the parent). */
  otherMessages: PlannedMessage[];
  finish: EpisodePlan['finish'];
}

/**
 * Applies the SDK's "pending timers keep it running" rule: an orchestrator that returned while a
 * timer is still live stays Running, and neither records its completion nor tells its parent.
 */
export function settlePlan(plan: EpisodePlan, instanceId: string, storedPendingTimers: number): SettledPlan {
  const ownMessages = plan.messages.filter((m) => m.instanceId === '' || m.instanceId === instanceId);
  const others = plan.messages.filter((m) => m.instanceId !== '' && m.instanceId !== instanceId);
  if (!plan.completeUnlessTimers) {
    return { status: plan.status, append: plan.append, ownMessages, otherMessages: others, finish: plan.finish };
  }
  const pendingTimers = storedPendingTimers + ownMessages.filter((m) => m.timerId !== null).length;
  if (pendingTimers > 0) {
    return {
      status: 'Running',
      append: plan.append.filter((e) => e.EventType !== EventType.ExecutionCompleted),
      ownMessages,
      otherMessages: others.filter((m) => m.event.EventType !== EventType.SubOrchestrationInstanceCompleted),
      finish: plan.finish,
    };
  }
  return { status: 'Completed', append: plan.append, ownMessages, otherMessages: others, finish: 'completed' };
}

/** Delay before retry attempt `attempt + 1`, as DTFx computes it. */
export function retryDelay(options: RetryOptions, attempt: number): number {
  const backoff = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(backoff, attempt - 1);
  if (options.maxRetryIntervalInMilliseconds !== undefined && options.maxRetryIntervalInMilliseconds > 0) {
    delay = Math.min(delay, options.maxRetryIntervalInMilliseconds);
  }
  return Math.max(0, Math.round(delay));
}

/** Internal scheduling that the SDK expects while it processes the delivered event (retries, long timers). */
function applyDeliveredEvent(plan: EpisodePlan, event: HistoryEvent | undefined, episodeMs: number): void {
  if (!event) return;
  const state = plan.state;
  if (event.EventType === EventType.TaskCompleted || event.EventType === EventType.SubOrchestrationInstanceCompleted) {
    const taskId = String(event.TaskScheduledId);
    const leaf = state.retryByTask[taskId];
    delete state.retryByTask[taskId];
    // Done with its retries: the record (which holds the input) is no longer needed.
    if (leaf !== undefined) delete state.retries[String(leaf)];
    return;
  }
  if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
    const taskId = String(event.TaskScheduledId);
    const leaf = state.retryByTask[taskId];
    if (leaf === undefined) return;
    delete state.retryByTask[taskId];
    const record = state.retries[String(leaf)]!;
    const exhausted = record.attempt >= record.options.maxNumberOfAttempts;
    // After the last attempt DTFx still creates a timer that fires at once, and the SDK waits for it.
    const delay = exhausted ? 0 : retryDelay(record.options, record.attempt);
    record.attempt++;
    const timerId = state.nextSeq++;
    state.retryByTimer[String(timerId)] = leaf;
    planTimer(plan, timerId, episodeMs + delay);
  } else if (event.EventType === EventType.TimerFired) {
    const timerId = String(event.TimerId);
    const retryLeaf = state.retryByTimer[timerId];
    if (retryLeaf !== undefined) {
      delete state.retryByTimer[timerId];
      const record = state.retries[String(retryLeaf)]!;
      if (record.attempt <= record.options.maxNumberOfAttempts) {
        const taskId = state.nextSeq++;
        state.retryByTask[String(taskId)] = retryLeaf;
        state.leaves[retryLeaf]!.id = taskId;
        if (record.sub) planChild(plan, taskId, record.name, record.version ?? '', record.input, record.instanceId);
        else planActivity(plan, taskId, record.name, record.input, episodeMs);
      } else {
        // The final timer after the last attempt: the task has failed for good.
        delete state.retries[String(retryLeaf)];
      }
      return;
    }
    const long = state.longTimers[timerId];
    if (long !== undefined) {
      delete state.longTimers[timerId];
      if (long.finalMs > episodeMs) {
        const nextId = state.nextSeq++;
        const fireMs =
          long.finalMs - episodeMs > MAXIMUM_SHORT_TIMER_MS ? episodeMs + LONG_TIMER_INTERVAL_MS : long.finalMs;
        state.longTimers[String(nextId)] = long;
        state.leaves[long.leaf]!.id = nextId;
        planTimer(plan, nextId, fireMs);
      }
    }
  }
}

/** Checks replayed actions against history and schedules the new ones. Returns a failure message, if any. */
function applyActions(
  plan: EpisodePlan,
  instance: EpisodeInstance,
  result: OrchestratorState,
  episodeMs: number,
  names: RegisteredNames,
): string | undefined {
  const state = plan.state;
  const leaves = leafActions(result);

  for (let index = 0; index < leaves.length; index++) {
    const action = leaves[index]!;
    const name = action.functionName ?? action.externalEventName;
    const recorded = state.leaves[index];
    if (recorded) {
      if (recorded.t !== action.actionType || (recorded.n ?? undefined) !== (name ?? undefined)) {
        return (
          `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled ${describeAction(recorded.t, recorded.n)} ` +
          `at position ${index}, but the current replay instead scheduled ${describeAction(action.actionType, name)}. ` +
          'Was a change made to the orchestrator code after this instance had already started running?'
        );
      }
      if (recorded.t === Action.CreateTimer && action.isCanceled && !recorded.canceled) {
        recorded.canceled = true;
        if (recorded.id !== undefined) {
          plan.timersToCancel.push(recorded.id);
          delete state.longTimers[String(recorded.id)];
        }
      }
      continue;
    }

    const unsupported = UNSUPPORTED_ACTIONS[action.actionType];
    if (unsupported)
      return `Orchestrator function '${instance.name}' failed: ${unsupported} is not supported by the local runtime.`;
    const leaf: LeafRecord = { t: action.actionType };
    if (name !== undefined) leaf.n = name;
    state.leaves.push(leaf);
    const leafIndex = state.leaves.length - 1;

    switch (action.actionType) {
      case Action.CallActivity:
      case Action.CallActivityWithRetry: {
        const fnName = action.functionName ?? '';
        if (!names.has('activity', fnName)) {
          return `Orchestrator function '${instance.name}' failed: ${missingFunctionMessage(fnName, 'activity')}`;
        }
        const id = state.nextSeq++;
        leaf.id = id;
        const input = preEncodedInput(action.input);
        if (action.actionType === Action.CallActivityWithRetry) {
          state.retries[String(leafIndex)] = {
            leaf: leafIndex,
            attempt: 1,
            options: action.retryOptions!,
            name: fnName,
            input,
            sub: false,
          };
          state.retryByTask[String(id)] = leafIndex;
        }
        planActivity(plan, id, fnName, input, episodeMs);
        break;
      }
      case Action.CallSubOrchestrator:
      case Action.CallSubOrchestratorWithRetry: {
        const fnName = action.functionName ?? '';
        if (!names.has('orchestrator', fnName)) {
          return `Orchestrator function '${instance.name}' failed: ${missingFunctionMessage(fnName, 'orchestrator')}`;
        }
        if (
          action.instanceId !== undefined &&
          (action.instanceId === instance.instanceId || action.instanceId.startsWith('@'))
        ) {
          return `Orchestrator function '${instance.name}' failed: A sub-orchestration cannot use the instance ID '${action.instanceId}'.`;
        }
        const id = state.nextSeq++;
        leaf.id = id;
        const input = action.input === undefined ? null : JSON.stringify(action.input);
        if (action.actionType === Action.CallSubOrchestratorWithRetry) {
          const record: RetryRecord = {
            leaf: leafIndex,
            attempt: 1,
            options: action.retryOptions!,
            name: fnName,
            input,
            sub: true,
          };
          if (action.instanceId !== undefined) record.instanceId = action.instanceId;
          if (action.version !== undefined) record.version = action.version;
          state.retries[String(leafIndex)] = record;
          state.retryByTask[String(id)] = leafIndex;
        }
        planChild(plan, id, fnName, action.version ?? '', input, action.instanceId);
        break;
      }
      case Action.CreateTimer: {
        const id = state.nextSeq++;
        leaf.id = id;
        const finalMs = Date.parse(action.fireAt!);
        let fireMs = finalMs;
        if (finalMs - episodeMs > MAXIMUM_SHORT_TIMER_MS) {
          // The SDK splits long timers into sub-timers (LongTimerTask); mirror its arithmetic exactly.
          fireMs = episodeMs + LONG_TIMER_INTERVAL_MS;
          state.longTimers[String(id)] = { leaf: leafIndex, finalMs };
        }
        if (action.isCanceled) {
          leaf.canceled = true;
          delete state.longTimers[String(id)];
          plan.append.push(
            historyEvent(EventType.TimerCreated, episodeMs, { FireAt: new Date(fireMs).toISOString() }, id),
          );
        } else {
          planTimer(plan, id, fireMs);
        }
        break;
      }
      default:
        // WaitForExternalEvent and ContinueAsNew consume no sequence id.
        break;
    }
  }
  return undefined;
}

function planTimer(plan: EpisodePlan, timerId: number, fireMs: number): void {
  const fireAt = new Date(fireMs).toISOString();
  plan.append.push(historyEvent(EventType.TimerCreated, plan.state.lastEpisodeMs, { FireAt: fireAt }, timerId));
  plan.messages.push({
    instanceId: '',
    executionId: plan.executionId,
    event: historyEvent(EventType.TimerFired, fireMs, { TimerId: timerId, FireAt: fireAt }),
    visibleMs: fireMs,
    timerId,
  });
}

function planActivity(plan: EpisodePlan, taskId: number, name: string, input: string | null, episodeMs: number): void {
  plan.append.push(historyEvent(EventType.TaskScheduled, episodeMs, { Name: name, Version: '', Input: input }, taskId));
  plan.work.push({ taskId, name, input });
}

function planChild(
  plan: EpisodePlan,
  taskId: number,
  name: string,
  version: string,
  input: string | null,
  instanceId: string | undefined,
): void {
  const childId = instanceId ?? `${plan.executionId}:${taskId}`;
  plan.append.push(
    historyEvent(
      EventType.SubOrchestrationInstanceCreated,
      plan.state.lastEpisodeMs,
      { Name: name, Version: version, InstanceId: childId, Input: input },
      taskId,
    ),
  );
  plan.children.push({ instanceId: childId, name, version, input, taskId });
}

function planFailure(plan: EpisodePlan, instance: EpisodeInstance, message: string, episodeMs: number): void {
  plan.status = 'Failed';
  plan.output = JSON.stringify(message);
  plan.work = [];
  plan.children = [];
  plan.messages = plan.messages.filter((m) => m.timerId === null);
  plan.finish = 'completed';
  plan.append.push(
    historyEvent(EventType.ExecutionCompleted, episodeMs, {
      OrchestrationStatus: OrchestrationStatusCode.Failed,
      Result: message,
      FailureDetails: {
        ErrorType: 'OrchestrationFailure',
        ErrorMessage: message,
        StackTrace: null,
        IsNonRetriable: false,
        Properties: null,
        InnerFailure: null,
      },
    }),
  );
  tellParent(plan, instance, episodeMs, (parent) =>
    failureEvent(EventType.SubOrchestrationInstanceFailed, parent.taskId, message, message, episodeMs),
  );
}

function planDone(
  plan: EpisodePlan,
  instance: EpisodeInstance,
  result: OrchestratorState,
  episodeMs: number,
  newExecutionId: () => string,
): void {
  const continueAsNew = (result.actions ?? []).flat().find((a) => a?.actionType === Action.ContinueAsNew);
  if (continueAsNew) {
    const input = preEncodedInput(continueAsNew.input);
    plan.append.push(
      historyEvent(EventType.ContinueAsNew, episodeMs, {
        OrchestrationStatus: OrchestrationStatusCode.ContinuedAsNew,
        Result: input,
      }),
    );
    plan.status = 'ContinuedAsNew';
    plan.finish = 'continuedAsNew';
    plan.executionId = newExecutionId();
    plan.input = input;
    plan.work = [];
    plan.messages = plan.messages.filter((m) => m.timerId === null);
    plan.state = { ...freshState(), lastEpisodeMs: episodeMs };
    return;
  }
  const output = result.output === undefined ? null : JSON.stringify(result.output);
  plan.completeUnlessTimers = true;
  plan.output = output;
  plan.append.push(
    historyEvent(EventType.ExecutionCompleted, episodeMs, {
      OrchestrationStatus: OrchestrationStatusCode.Completed,
      Result: output,
      FailureDetails: null,
    }),
  );
  tellParent(plan, instance, episodeMs, (parent) =>
    historyEvent(EventType.SubOrchestrationInstanceCompleted, episodeMs, {
      TaskScheduledId: parent.taskId,
      Result: output ?? 'null',
    }),
  );
}

/** Queues the sub-orchestration's outcome for its parent, if it has one. */
function tellParent(
  plan: EpisodePlan,
  instance: EpisodeInstance,
  episodeMs: number,
  outcome: (parent: ParentLink) => HistoryEvent,
): void {
  const parent = instance.parent;
  if (!parent) return;
  plan.messages.push({
    instanceId: parent.instanceId,
    executionId: parent.executionId,
    event: outcome(parent),
    visibleMs: episodeMs,
    timerId: null,
  });
}
