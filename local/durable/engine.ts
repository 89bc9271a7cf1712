import { randomUUID } from 'node:crypto';
import type { RuntimeClock } from '../clock';
import type { HostedFunction } from '../host/appLoader';
import type { RpcTypedData } from '../host/functionsCore';
import type { Invoker } from '../host/invoker';
import type { Logger } from '../log';
import { EventType, OrchestrationStatusCode, historyEvent, type HistoryEvent } from './history';
import {
  TERMINAL_STATUSES,
  type DurableStore,
  type InboxRow,
  type InstanceRow,
  type RuntimeStatus,
  type WorkRow,
} from './store';
import { Fifo } from './fifo';

/** Timer settings passed to the SDK, like the Azure Storage backend. */
export const MAXIMUM_SHORT_TIMER_MS = 6 * 24 * 3600 * 1000;
export const LONG_TIMER_INTERVAL_MS = 3 * 24 * 3600 * 1000;
const MAXIMUM_SHORT_TIMER = '6.00:00:00';
const LONG_TIMER_INTERVAL = '3.00:00:00';
const CUSTOM_STATUS_LIMIT_KB = 16;

/** Action types in the orchestrator's returned state. */
const Action = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const UNSUPPORTED_ACTIONS: Record<number, string> = {
  [Action.CallEntity]: 'durable entities (callEntity)',
  [Action.SignalEntity]: 'durable entities (signalEntity)',
  [Action.LockEntities]: 'durable entities (lock)',
  [Action.ReleaseEntities]: 'durable entities (lock release)',
  [Action.CallHttp]: 'durable HTTP (callHttp)',
};

interface OrchestratorAction {
  actionType: number;
  functionName?: string;
  externalEventName?: string;
  input?: unknown;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  retryOptions?: RetryOptions;
  compoundActions?: OrchestratorAction[];
}

interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
}

interface OrchestratorState {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** One leaf action already applied to history, in depth-first order. */
interface LeafRecord {
  /** actionType */
  t: number;
  /** function or event name */
  n?: string;
  /** sequence id of the current task/sub-timer */
  id?: number;
  canceled?: boolean;
}

interface RetryRecord {
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
interface EngineState {
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

interface ParentLink {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
}

function freshState(): EngineState {
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

/** Errors the management API maps to HTTP statuses. */
export class EngineError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict' | 'gone',
    message: string,
  ) {
    super(message);
  }
}

/** Outcome of a request addressed to an instance. */
export type DeliveryResult = 'accepted' | 'notFound' | 'gone';

export interface EngineOptions {
  store: DurableStore;
  clock: RuntimeClock;
  invoker: Invoker;
  functions: HostedFunction[];
  log: Logger;
  maxConcurrentOrchestrations: number;
  maxConcurrentActivities: number;
}

class StaleEpisodeError extends Error {}

/** An instance row and its history as the last committed step left them. */
interface CachedInstance {
  row: InstanceRow;
  history: string[];
}

/** What a step did: `cached` is set when the next step may reuse the committed row and history. */
interface StepResult {
  cached?: CachedInstance;
}

/** What an episode decided, applied in one store unit. */
interface EpisodePlan {
  append: HistoryEvent[];
  status: RuntimeStatus;
  output: string | null;
  customStatus: string | null;
  executionId: string;
  input: string | null;
  state: EngineState;
  consumedMessages: number[];
  timersToCancel: number[];
  messages: {
    instanceId: string;
    executionId: string | null;
    event: HistoryEvent;
    visibleMs: number;
    timerId: number | null;
  }[];
  work: { taskId: number; name: string; input: string | null }[];
  children: { instanceId: string; name: string; version: string; input: string | null; taskId: number }[];
  /** Drop the whole execution's inbox, work and (optionally) history. */
  finish?: 'completed' | 'continuedAsNew';
  resetHistory?: boolean;
  /** Only complete if no live timer is pending (the SDK's "pending timers keep it running" rule). */
  completeUnlessTimers?: boolean;
}

/**
 * The Durable backend: keeps instances, histories, inboxes and activity work in SQLite, runs one
 * orchestrator episode at a time per instance (many instances in parallel), delivers one inbound
 * message per episode so sequence ids line up with the SDK's, and executes activities at least once.
 * Every state change is one atomic store unit; in-memory state is only a cache of what is ready.
 */
export class DurableEngine {
  private readonly store: DurableStore;
  private readonly clock: RuntimeClock;
  private readonly invoker: Invoker;
  private readonly log: Logger;
  private readonly orchestrators = new Map<string, HostedFunction>();
  private readonly activities = new Map<string, HostedFunction>();

  private readonly readyQueue = new Fifo<string>();
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly rerun = new Set<string>();
  private activeEpisodes = 0;

  private readonly workQueue = new Fifo<WorkRow>();
  private readonly workInFlight = new Set<number>();
  private activeActivities = 0;

  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private scannedUpTo = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stopClockListener: () => void;

  constructor(private readonly options: EngineOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.invoker = options.invoker;
    this.log = options.log;
    for (const fn of options.functions) {
      if (fn.kind === 'orchestration') this.orchestrators.set(fn.name.toLowerCase(), fn);
      if (fn.kind === 'activity') this.activities.set(fn.name.toLowerCase(), fn);
    }
    this.stopClockListener = this.clock.onAdvance(() => this.wake());
  }

  /** Picks up everything the store says is pending (after a restart or a crash). */
  recover(): void {
    const now = this.clock.now();
    this.scannedUpTo = now;
    const ready = new Set<string>([
      ...(this.store.statements.pendingInstances.all() as unknown as string[]),
      ...(this.store.statements.readyInstances.all(now) as unknown as string[]),
    ]);
    for (const row of this.store.db
      .prepare<[], string>("SELECT instance_id FROM instances WHERE runtime_status = 'ContinuedAsNew'")
      .pluck()
      .all() as unknown as string[]) {
      ready.add(row);
    }
    for (const id of ready) this.markReady(id);
    for (const work of this.store.statements.allWork.all()) this.enqueueWork(work);
    this.scheduleWake(this.store.statements.nextVisible.get(now) as number | null);
  }

  /** Stops taking new work and waits for running episodes and activities to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopClockListener();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.activeEpisodes > 0 || this.activeActivities > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  // ------------------------------------------------------------------ client operations

  /** Starts an orchestration; rejects when the function is unknown, the id is invalid or in use. */
  async startNew(name: string, instanceId: string | undefined, input: string | null, version = ''): Promise<string> {
    const fn = this.orchestrators.get(name.toLowerCase());
    if (!fn) {
      throw new EngineError(
        'bad_request',
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: the app registers ${[...this.orchestrators.values()].map((f) => f.name).join(', ') || 'no orchestrators'}.`,
      );
    }
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    validateInstanceId(id);
    const now = this.clock.now();
    await this.store.write(() => {
      const existing = this.store.getInstance(id);
      if (existing && !TERMINAL_STATUSES.has(existing.runtime_status)) {
        throw new EngineError(
          'conflict',
          `An Orchestration instance with the ID '${id}' already exists and is in the ${existing.runtime_status} state.`,
        );
      }
      if (existing) this.deleteInstanceRows(id);
      this.store.statements.insertInstance.run({
        instance_id: id,
        name: fn.name,
        version,
        execution_id: randomUUID().replace(/-/g, ''),
        runtime_status: 'Pending',
        input,
        output: null,
        custom_status: null,
        created_ms: now,
        updated_ms: now,
        parent: null,
        state: JSON.stringify(freshState()),
        rev: 0,
      });
    });
    this.markReady(id);
    return id;
  }

  /** Queues an external event. */
  raiseEvent(instanceId: string, eventName: string, input: string): Promise<DeliveryResult> {
    const now = this.clock.now();
    const event = historyEvent(EventType.EventRaised, now, { Name: eventName, Input: input });
    return this.deliver(instanceId, 'event', JSON.stringify(event));
  }

  terminate(instanceId: string, reason: string): Promise<DeliveryResult> {
    return this.deliver(instanceId, 'terminate', JSON.stringify(reason));
  }

  suspend(instanceId: string, reason: string): Promise<DeliveryResult> {
    return this.deliver(instanceId, 'suspend', JSON.stringify(reason));
  }

  resume(instanceId: string, reason: string): Promise<DeliveryResult> {
    return this.deliver(instanceId, 'resume', JSON.stringify(reason));
  }

  private async deliver(instanceId: string, kind: InboxRow['kind'], body: string): Promise<DeliveryResult> {
    const now = this.clock.now();
    const result = await this.store.write((): DeliveryResult => {
      const instance = this.store.getInstance(instanceId);
      if (!instance) return 'notFound';
      if (TERMINAL_STATUSES.has(instance.runtime_status)) return 'gone';
      this.store.statements.insertMessage.run(instanceId, null, kind, body, now, null);
      return 'accepted';
    });
    if (result === 'accepted') this.markReady(instanceId);
    return result;
  }

  /** Deletes a finished instance and everything it left; false when there is none to delete. */
  async purge(instanceId: string): Promise<boolean> {
    return this.store.write(() => {
      const instance = this.store.getInstance(instanceId);
      if (!instance || !TERMINAL_STATUSES.has(instance.runtime_status)) return false;
      this.deleteInstanceRows(instanceId);
      return true;
    });
  }

  /** Deletes every finished instance matching the filter; resolves with the count. */
  async purgeWhere(filter: {
    createdFrom: number;
    createdTo: number;
    runtimeStatus?: RuntimeStatus[];
  }): Promise<number> {
    const statuses = (filter.runtimeStatus?.length ? filter.runtimeStatus : [...TERMINAL_STATUSES]).filter((s) =>
      TERMINAL_STATUSES.has(s),
    );
    if (statuses.length === 0) return 0;
    return this.store.write(() => {
      const ids = this.store.db
        .prepare<unknown[], string>(
          `SELECT instance_id FROM instances WHERE created_ms >= ? AND created_ms <= ? AND runtime_status IN (${statuses.map(() => '?').join(', ')})`,
        )
        .pluck()
        .all(filter.createdFrom, filter.createdTo, ...statuses) as unknown as string[];
      for (const id of ids) this.deleteInstanceRows(id);
      return ids.length;
    });
  }

  private deleteInstanceRows(instanceId: string): void {
    const s = this.store.statements;
    s.deleteInstance.run(instanceId);
    s.deleteHistory.run(instanceId);
    s.deleteInbox.run(instanceId);
    s.deleteWorkOfInstance.run(instanceId);
  }

  // ------------------------------------------------------------------ scheduling

  /** Notes that `instanceId` may have work; runs it as soon as a slot is free. */
  markReady(instanceId: string): void {
    if (this.stopping) return;
    if (this.running.has(instanceId)) {
      this.rerun.add(instanceId);
      return;
    }
    if (this.queued.has(instanceId)) return;
    this.queued.add(instanceId);
    this.readyQueue.push(instanceId);
    this.pump();
  }

  private pump(): void {
    while (
      !this.stopping &&
      this.activeEpisodes < this.options.maxConcurrentOrchestrations &&
      this.readyQueue.length > 0
    ) {
      const id = this.readyQueue.shift()!;
      this.queued.delete(id);
      if (this.running.has(id)) {
        this.rerun.add(id);
        continue;
      }
      this.running.add(id);
      this.activeEpisodes++;
      void this.runInstance(id).finally(() => {
        this.running.delete(id);
        this.activeEpisodes--;
        if (this.rerun.delete(id)) this.markReady(id);
        this.pump();
        this.checkIdle();
      });
    }
  }

  private checkIdle(): void {
    if (this.activeEpisodes === 0 && this.activeActivities === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async runInstance(instanceId: string): Promise<void> {
    // Bounded so one busy instance cannot starve the others; it requeues itself if more is waiting.
    let cached: CachedInstance | undefined;
    for (let steps = 0; steps < 16 && !this.stopping; steps++) {
      let result: StepResult | undefined;
      try {
        result = await this.step(instanceId, cached);
      } catch (error) {
        cached = undefined;
        if (error instanceof StaleEpisodeError) continue;
        this.log.error('durable', `instance ${instanceId}: ${describe(error)}`);
        setTimeout(() => this.markReady(instanceId), 1000).unref();
        return;
      }
      if (!result) return;
      cached = result.cached;
    }
    if (!this.stopping) this.rerun.add(instanceId);
  }

  private wake(): void {
    if (this.stopping) return;
    const now = this.clock.now();
    for (const id of this.store.statements.dueInstances.all(this.scannedUpTo, now) as unknown as string[])
      this.markReady(id);
    this.scannedUpTo = Math.max(this.scannedUpTo, now);
    this.wakeAt = Number.POSITIVE_INFINITY;
    this.scheduleWake(this.store.statements.nextVisible.get(now) as number | null);
  }

  private scheduleWake(at: number | null | undefined): void {
    if (at === null || at === undefined || this.stopping) return;
    if (at <= this.scannedUpTo) {
      // Already behind the scanned window, so no later scan would find it: rescan from there.
      this.scannedUpTo = at - 1;
      this.wake();
      return;
    }
    if (at >= this.wakeAt) return;
    this.wakeAt = at;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    // Re-check at least hourly: long sleeps drift, and the clock may jump.
    const delay = Math.min(Math.max(0, at - this.clock.now()), 3_600_000);
    this.wakeTimer = setTimeout(() => this.wake(), delay);
    this.wakeTimer.unref();
  }

  // ------------------------------------------------------------------ episodes

  /**
   * Runs the next step for an instance: `undefined` when it has nothing to do now, otherwise what
   * the step committed (the instance row and history after it, when an episode can reuse them).
   */
  private async step(instanceId: string, cached: CachedInstance | undefined): Promise<StepResult | undefined> {
    const instance = cached?.row ?? this.store.getInstance(instanceId);
    if (!instance || TERMINAL_STATUSES.has(instance.runtime_status)) return undefined;
    const state = JSON.parse(instance.state) as EngineState;
    const now = this.clock.now();
    const s = this.store.statements;
    const messages =
      instance.runtime_status === 'Suspended'
        ? s.nextControlMessage.all(instanceId, now)
        : s.nextMessages.all(instanceId, now);

    const stale = messages.filter((m) => m.execution_id !== null && m.execution_id !== instance.execution_id);
    if (stale.length > 0) {
      // Results for an older generation (before continueAsNew or a restart): dropped, like DTFx.
      await this.store.write(() => stale.forEach((m) => s.deleteMessage.run(m.id)));
      return {};
    }
    const first = messages[0];
    if (first?.kind === 'terminate') {
      await this.terminateNow(instance, state, first, now);
      return {};
    }
    if (first && (first.kind === 'suspend' || first.kind === 'resume')) {
      await this.suspendOrResume(instance, first, now);
      return {};
    }
    if (!state.started)
      return this.runEpisode(instance, state, this.deliverable(messages, state, true), now, cached?.history);
    if (!first) return undefined;
    return this.runEpisode(instance, state, this.deliverable(messages, state, false), now, cached?.history);
  }

  /**
   * The leading events that one episode can take together. The SDK allocates sequence ids while it
   * processes some completions (a failed attempt's retry timer, a re-attempt, a long timer's next
   * sub-timer); such an event may only come first, so that its ids precede any the orchestrator
   * yields in the same episode, exactly as when they arrive one by one.
   */
  private deliverable(messages: InboxRow[], state: EngineState, starting: boolean): InboxRow[] {
    const batch: InboxRow[] = [];
    for (const message of messages) {
      if (message.kind !== 'event') break;
      if ((batch.length > 0 || starting) && allocatesIds(JSON.parse(message.body) as HistoryEvent, state)) break;
      batch.push(message);
    }
    return batch;
  }

  private async suspendOrResume(instance: InstanceRow, message: InboxRow, now: number): Promise<void> {
    const suspending = message.kind === 'suspend';
    const reason = JSON.parse(message.body) as string;
    const applicable = suspending ? instance.runtime_status !== 'Suspended' : instance.runtime_status === 'Suspended';
    const s = this.store.statements;
    await this.store.write(() => {
      s.deleteMessage.run(message.id);
      if (!applicable) return;
      const count = s.historyCount.get(instance.instance_id) as number;
      const event = historyEvent(suspending ? EventType.ExecutionSuspended : EventType.ExecutionResumed, now, {
        Reason: reason,
      });
      event.IsPlayed = true;
      s.appendHistory.run(instance.instance_id, count, JSON.stringify(event));
      const state = JSON.parse(instance.state) as EngineState;
      this.updateInstance(instance, {
        status: suspending ? 'Suspended' : state.started ? 'Running' : 'Pending',
        now,
      });
    });
  }

  private async terminateNow(instance: InstanceRow, state: EngineState, message: InboxRow, now: number): Promise<void> {
    const reason = JSON.parse(message.body) as string;
    const s = this.store.statements;
    const parent = instance.parent ? (JSON.parse(instance.parent) as ParentLink) : undefined;
    await this.store.write(() => {
      let index = s.historyCount.get(instance.instance_id) as number;
      const append = (event: HistoryEvent) => {
        event.IsPlayed = true;
        s.appendHistory.run(instance.instance_id, index++, JSON.stringify(event));
      };
      append(historyEvent(EventType.ExecutionTerminated, now, { Input: reason }));
      append(
        historyEvent(EventType.ExecutionCompleted, now, {
          OrchestrationStatus: OrchestrationStatusCode.Terminated,
          Result: reason,
          FailureDetails: null,
        }),
      );
      s.deleteInbox.run(instance.instance_id);
      s.deleteWorkOfInstance.run(instance.instance_id);
      this.updateInstance(instance, { status: 'Terminated', output: JSON.stringify(reason), now, state });
      if (parent) {
        const text = `Sub-orchestration '${instance.instance_id}' was terminated: ${reason}`;
        this.insertMessage(
          parent.instanceId,
          parent.executionId,
          failureEvent(EventType.SubOrchestrationInstanceFailed, parent.taskId, text, text, now),
          now,
          null,
        );
      }
    });
    if (parent) this.markReady(parent.instanceId);
  }

  private updateInstance(
    instance: InstanceRow,
    change: {
      status: RuntimeStatus;
      now: number;
      output?: string | null;
      customStatus?: string | null;
      state?: EngineState;
      executionId?: string;
      input?: string | null;
    },
  ): InstanceRow {
    const row: InstanceRow = {
      ...instance,
      execution_id: change.executionId ?? instance.execution_id,
      runtime_status: change.status,
      input: change.input !== undefined ? change.input : instance.input,
      output: change.output !== undefined ? change.output : instance.output,
      custom_status: change.customStatus !== undefined ? change.customStatus : instance.custom_status,
      updated_ms: change.now,
      state: change.state ? JSON.stringify(change.state) : instance.state,
    };
    const result = this.store.statements.updateInstance.run(row);
    if (result.changes !== 1) throw new StaleEpisodeError(`instance ${instance.instance_id} changed underneath`);
    return { ...row, rev: instance.rev + 1 };
  }

  private insertMessage(
    instanceId: string,
    executionId: string | null,
    event: HistoryEvent,
    visibleMs: number,
    timerId: number | null,
  ): void {
    this.store.statements.insertMessage.run(
      instanceId,
      executionId,
      'event',
      JSON.stringify(event),
      visibleMs,
      timerId,
    );
  }

  private async runEpisode(
    instance: InstanceRow,
    state: EngineState,
    messages: InboxRow[],
    now: number,
    cachedHistory: string[] | undefined,
  ): Promise<StepResult> {
    const instanceId = instance.instance_id;
    const fn = this.orchestrators.get(instance.name.toLowerCase());
    const delivered = messages.map((message) => JSON.parse(message.body) as HistoryEvent);
    let episodeMs = Math.max(now, state.lastEpisodeMs);
    for (const event of delivered) {
      // The SDK compares the episode time with the timer's FireAt (long timers): never deliver early.
      if (event.EventType === EventType.TimerFired) episodeMs = Math.max(episodeMs, Date.parse(event.FireAt as string));
    }

    const oldHistory = state.started ? (cachedHistory ?? this.store.history(instanceId)) : [];
    const parent = instance.parent ? (JSON.parse(instance.parent) as ParentLink) : undefined;
    const newEvents: HistoryEvent[] = [historyEvent(EventType.OrchestratorStarted, episodeMs)];
    if (!state.started) {
      newEvents.push(
        historyEvent(EventType.ExecutionStarted, episodeMs, {
          OrchestrationInstance: { InstanceId: instanceId, ExecutionId: instance.execution_id },
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
    newEvents.push(...delivered);

    const plan: EpisodePlan = {
      append: [],
      status: 'Running',
      output: instance.output,
      customStatus: instance.custom_status,
      executionId: instance.execution_id,
      input: instance.input,
      state: { ...state, started: true, lastEpisodeMs: episodeMs },
      consumedMessages: messages.map((message) => message.id),
      timersToCancel: [],
      messages: [],
      work: [],
      children: [],
    };
    plan.append.push(...newEvents);

    let failure: string | undefined;
    let result: OrchestratorState | undefined;
    if (!fn) {
      failure = `The function '${instance.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    } else {
      const payload =
        `{"history":[${oldHistory.join(',')}${oldHistory.length > 0 ? ',' : ''}${newEvents.map((e) => JSON.stringify(e)).join(',')}],` +
        `"input":${instance.input === null || instance.input === '' ? 'null' : instance.input},` +
        `"instanceId":${JSON.stringify(instanceId)},"isReplaying":${oldHistory.length > 0},` +
        `"parentInstanceId":${parent ? JSON.stringify(parent.instanceId) : 'null'},` +
        `"upperSchemaVersion":1,"upperSchemaVersionNew":2,` +
        `"longRunningTimerIntervalDuration":"${LONG_TIMER_INTERVAL}","maximumShortTimerDuration":"${MAXIMUM_SHORT_TIMER}",` +
        `"defaultHttpAsyncRequestSleepTimeMillseconds":30000}`;
      try {
        const response = await this.invoker.invoke(fn.registered, [
          { name: fn.triggerBindingName, data: { string: payload } },
        ]);
        result = parseOrchestratorState(response.returnValue);
      } catch (error) {
        failure = orchestratorFailureMessage(instance.name, error);
      }
    }

    if (result) {
      this.applyDeliveredEvent(plan, delivered[0], episodeMs);
      failure = this.applyActions(plan, instance, result, episodeMs);
    }

    if (failure !== undefined) {
      this.planFailure(plan, instance, failure, episodeMs);
    } else if (result) {
      if (result.customStatus !== undefined) {
        const text = JSON.stringify(result.customStatus);
        const kb = Math.floor(Buffer.byteLength(text, 'utf16le') / 1024);
        if (kb > CUSTOM_STATUS_LIMIT_KB) {
          this.planFailure(
            plan,
            instance,
            `Orchestrator function '${instance.name}' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${kb} KB.`,
            episodeMs,
          );
        } else {
          plan.customStatus = text;
        }
      }
      if (plan.status === 'Running' && result.isDone) this.planDone(plan, instance, result, episodeMs);
    }
    plan.append.push(historyEvent(EventType.OrchestratorCompleted, episodeMs));

    const committed = await this.commitEpisode(instance, plan, episodeMs, oldHistory.length);
    this.afterCommit(instanceId, plan, committed.workIds);
    if (plan.finish !== undefined || !committed.row) return {};
    return { cached: { row: committed.row, history: oldHistory.concat(committed.appended) } };
  }

  /** Internal scheduling that the SDK expects while it processes the delivered event (retries, long timers). */
  private applyDeliveredEvent(plan: EpisodePlan, event: HistoryEvent | undefined, episodeMs: number): void {
    if (!event) return;
    const state = plan.state;
    if (
      event.EventType === EventType.TaskCompleted ||
      event.EventType === EventType.SubOrchestrationInstanceCompleted
    ) {
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
      this.planTimer(plan, timerId, episodeMs + delay);
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
          if (record.sub)
            this.planChild(plan, taskId, record.name, record.version ?? '', record.input, record.instanceId);
          else this.planActivity(plan, taskId, record.name, record.input, episodeMs);
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
          this.planTimer(plan, nextId, fireMs);
        }
      }
    }
  }

  /** Checks replayed actions against history and schedules the new ones. Returns a failure message, if any. */
  private applyActions(
    plan: EpisodePlan,
    instance: InstanceRow,
    result: OrchestratorState,
    episodeMs: number,
  ): string | undefined {
    const state = plan.state;
    const leaves: OrchestratorAction[] = [];
    const walk = (action: OrchestratorAction) => {
      if (action.actionType === Action.WhenAll || action.actionType === Action.WhenAny)
        (action.compoundActions ?? []).forEach(walk);
      else leaves.push(action);
    };
    for (const group of result.actions ?? []) for (const action of group ?? []) walk(action);

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
          if (!this.activities.has(fnName.toLowerCase())) {
            return `Orchestrator function '${instance.name}' failed: The function '${fnName}' doesn't exist, is disabled, or is not an activity function.`;
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
          this.planActivity(plan, id, fnName, input, episodeMs);
          break;
        }
        case Action.CallSubOrchestrator:
        case Action.CallSubOrchestratorWithRetry: {
          const fnName = action.functionName ?? '';
          if (!this.orchestrators.has(fnName.toLowerCase())) {
            return `Orchestrator function '${instance.name}' failed: The function '${fnName}' doesn't exist, is disabled, or is not an orchestrator function.`;
          }
          if (
            action.instanceId !== undefined &&
            (action.instanceId === instance.instance_id || action.instanceId.startsWith('@'))
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
          this.planChild(plan, id, fnName, action.version ?? '', input, action.instanceId);
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
            this.planTimer(plan, id, fireMs);
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

  private planTimer(plan: EpisodePlan, timerId: number, fireMs: number): void {
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

  private planActivity(plan: EpisodePlan, taskId: number, name: string, input: string | null, episodeMs: number): void {
    plan.append.push(
      historyEvent(EventType.TaskScheduled, episodeMs, { Name: name, Version: '', Input: input }, taskId),
    );
    plan.work.push({ taskId, name, input });
  }

  private planChild(
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

  private planFailure(plan: EpisodePlan, instance: InstanceRow, message: string, episodeMs: number): void {
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
    const parent = instance.parent ? (JSON.parse(instance.parent) as ParentLink) : undefined;
    if (parent) {
      plan.messages.push({
        instanceId: parent.instanceId,
        executionId: parent.executionId,
        event: failureEvent(EventType.SubOrchestrationInstanceFailed, parent.taskId, message, message, episodeMs),
        visibleMs: episodeMs,
        timerId: null,
      });
    }
  }

  private planDone(plan: EpisodePlan, instance: InstanceRow, result: OrchestratorState, episodeMs: number): void {
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
      plan.executionId = randomUUID().replace(/-/g, '');
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
    const parent = instance.parent ? (JSON.parse(instance.parent) as ParentLink) : undefined;
    if (parent) {
      plan.messages.push({
        instanceId: parent.instanceId,
        executionId: parent.executionId,
        event: historyEvent(EventType.SubOrchestrationInstanceCompleted, episodeMs, {
          TaskScheduledId: parent.taskId,
          Result: output ?? 'null',
        }),
        visibleMs: episodeMs,
        timerId: null,
      });
    }
  }

  /** Applies the plan atomically; resolves with the activity work it created and the row and history after it. */
  private commitEpisode(
    instance: InstanceRow,
    plan: EpisodePlan,
    episodeMs: number,
    historyLength: number,
  ): Promise<{ workIds: number[]; row: InstanceRow | undefined; appended: string[] }> {
    const s = this.store.statements;
    const instanceId = instance.instance_id;
    return this.store.write(() => {
      const workIds: number[] = [];
      const appended: string[] = [];
      for (const id of plan.consumedMessages) s.deleteMessage.run(id);
      for (const timerId of plan.timersToCancel) s.deleteTimer.run(instanceId, instance.execution_id, timerId);

      let status = plan.status;
      let append = plan.append;
      const ownMessages = plan.messages.filter((m) => m.instanceId === '' || m.instanceId === instanceId);
      const otherMessages = plan.messages.filter((m) => m.instanceId !== '' && m.instanceId !== instanceId);
      let parentMessages = otherMessages;

      if (plan.completeUnlessTimers) {
        const pendingTimers =
          (s.pendingTimers.get(instanceId, instance.execution_id) as number) +
          ownMessages.filter((m) => m.timerId !== null).length;
        if (pendingTimers > 0) {
          // The orchestrator returned, but a live timer keeps the instance running until it fires.
          append = append.filter((e) => e.EventType !== EventType.ExecutionCompleted);
          parentMessages = otherMessages.filter(
            (m) => m.event.EventType !== EventType.SubOrchestrationInstanceCompleted,
          );
          status = 'Running';
        } else {
          status = 'Completed';
          plan.finish = 'completed';
        }
      }

      if (plan.finish === 'continuedAsNew') {
        s.deleteHistory.run(instanceId);
        s.deleteInboxOfExecution.run(instanceId, instance.execution_id);
        s.deleteWorkOfInstance.run(instanceId);
      } else {
        let index = historyLength;
        for (const event of append) {
          event.IsPlayed = true;
          const text = JSON.stringify(event);
          s.appendHistory.run(instanceId, index++, text);
          appended.push(text);
        }
        if (plan.finish === 'completed') {
          s.deleteInboxOfExecution.run(instanceId, instance.execution_id);
          s.deleteWorkOfInstance.run(instanceId);
        }
      }

      const row = this.updateInstance(instance, {
        status,
        now: episodeMs,
        output: status === 'Running' ? instance.output : plan.output,
        customStatus: plan.customStatus,
        state: plan.state,
        executionId: plan.executionId,
        input: plan.input,
      });

      if (plan.finish !== 'completed') {
        for (const m of ownMessages) this.insertMessage(instanceId, plan.executionId, m.event, m.visibleMs, m.timerId);
      }
      for (const m of parentMessages) this.insertMessage(m.instanceId, m.executionId, m.event, m.visibleMs, m.timerId);

      for (const work of plan.work) {
        const inserted = s.insertWork.run(instanceId, plan.executionId, work.taskId, work.name, work.input);
        if (inserted.changes === 1) workIds.push(Number(inserted.lastInsertRowid));
      }
      for (const child of plan.children) this.createChild(instance, plan.executionId, child, episodeMs);
      return { workIds, row: status === 'Running' ? row : undefined, appended };
    });
  }

  private createChild(
    parent: InstanceRow,
    parentExecutionId: string,
    child: EpisodePlan['children'][number],
    now: number,
  ): void {
    const existing = this.store.getInstance(child.instanceId);
    if (existing && !TERMINAL_STATUSES.has(existing.runtime_status)) {
      const text = `An orchestration with the instance ID '${child.instanceId}' already exists and is in the ${existing.runtime_status} state.`;
      this.insertMessage(
        parent.instance_id,
        parentExecutionId,
        failureEvent(EventType.SubOrchestrationInstanceFailed, child.taskId, text, text, now),
        now,
        null,
      );
      return;
    }
    if (existing) this.deleteInstanceRows(child.instanceId);
    const link: ParentLink = {
      instanceId: parent.instance_id,
      executionId: parentExecutionId,
      taskId: child.taskId,
      name: parent.name,
    };
    this.store.statements.insertInstance.run({
      instance_id: child.instanceId,
      name: this.orchestrators.get(child.name.toLowerCase())?.name ?? child.name,
      version: child.version,
      execution_id: randomUUID().replace(/-/g, ''),
      runtime_status: 'Pending',
      input: child.input,
      output: null,
      custom_status: null,
      created_ms: now,
      updated_ms: now,
      parent: JSON.stringify(link),
      state: JSON.stringify(freshState()),
      rev: 0,
    });
  }

  private afterCommit(instanceId: string, plan: EpisodePlan, workIds: number[]): void {
    const now = this.clock.now();
    for (const id of workIds) {
      const work = this.store.statements.getWork.get(id);
      if (work) this.enqueueWork(work);
    }
    for (const child of plan.children) this.markReady(child.instanceId);
    for (const m of plan.messages) {
      const target = m.instanceId === '' ? instanceId : m.instanceId;
      if (m.visibleMs <= now) this.markReady(target);
      else this.scheduleWake(m.visibleMs);
    }
    if (plan.finish === 'continuedAsNew') this.markReady(instanceId);
  }

  // ------------------------------------------------------------------ activities

  private enqueueWork(work: WorkRow): void {
    if (this.workInFlight.has(work.id) || this.stopping) return;
    this.workInFlight.add(work.id);
    this.workQueue.push(work);
    this.pumpWork();
  }

  private pumpWork(): void {
    while (
      !this.stopping &&
      this.activeActivities < this.options.maxConcurrentActivities &&
      this.workQueue.length > 0
    ) {
      const work = this.workQueue.shift()!;
      this.activeActivities++;
      void this.runActivity(work).finally(() => {
        this.activeActivities--;
        this.workInFlight.delete(work.id);
        this.pumpWork();
        this.checkIdle();
      });
    }
  }

  private async runActivity(work: WorkRow): Promise<void> {
    const fn = this.activities.get(work.name.toLowerCase());
    let event: HistoryEvent;
    try {
      if (!fn)
        throw new Error(`The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`);
      const response = await this.invoker.invoke(
        fn.registered,
        [{ name: fn.triggerBindingName, data: work.input === null ? {} : { string: work.input } }],
        { instanceId: { string: work.instance_id } },
      );
      event = historyEvent(EventType.TaskCompleted, this.clock.now(), {
        TaskScheduledId: work.task_id,
        Result: activityResultText(response.returnValue),
      });
    } catch (error) {
      if (this.stopping) return; // the work row stays; it runs again after the restart
      const message = error instanceof Error ? error.message : String(error);
      const details = JSON.stringify({
        Message: message,
        ClassName: error instanceof Error ? error.name : 'Error',
        StackTrace: error instanceof Error ? (error.stack ?? null) : null,
      });
      event = failureEvent(
        EventType.TaskFailed,
        work.task_id,
        `Activity function '${work.name}' failed: ${message}`,
        details,
        this.clock.now(),
      );
    }
    try {
      const recorded = await this.store.write(() => {
        // Exactly one result per scheduled task: a duplicate run finds its work row gone.
        if (this.store.statements.deleteWork.run(work.id).changes !== 1) return false;
        this.insertMessage(work.instance_id, work.execution_id, event, this.clock.now(), null);
        return true;
      });
      if (recorded) this.markReady(work.instance_id);
    } catch (error) {
      this.log.error(
        'durable',
        `could not record the result of activity ${work.name} for ${work.instance_id}: ${describe(error)}`,
      );
      setTimeout(() => {
        this.workInFlight.delete(work.id);
        const again = this.store.statements.getWork.get(work.id);
        if (again) this.enqueueWork(again);
      }, 1000).unref();
    }
  }
}

/** Whether the SDK allocates sequence ids while it processes `event` (see {@link DurableEngine.deliverable}). */
function allocatesIds(event: HistoryEvent, state: EngineState): boolean {
  if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
    return state.retryByTask[String(event.TaskScheduledId)] !== undefined;
  }
  if (event.EventType === EventType.TimerFired) {
    const id = String(event.TimerId);
    return state.retryByTimer[id] !== undefined || state.longTimers[id] !== undefined;
  }
  return false;
}

function validateInstanceId(id: string): void {
  // eslint-disable-next-line no-control-regex
  if (id.length === 0 || id.length > 256 || id.startsWith('@') || /[/\\#?\u0000-\u001f\u007f]/.test(id)) {
    throw new EngineError(
      'bad_request',
      `Instance ID '${id}' is invalid: it must be 1-256 characters, not start with '@', and not contain '/', '\\', '#', '?' or control characters.`,
    );
  }
}

/** Input of activity and continueAsNew actions is JSON text already when it is a string (the SDK pre-encodes strings). */
function preEncodedInput(input: unknown): string | null {
  if (input === undefined) return null;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

function retryDelay(options: RetryOptions, attempt: number): number {
  const backoff = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(backoff, attempt - 1);
  if (options.maxRetryIntervalInMilliseconds !== undefined && options.maxRetryIntervalInMilliseconds > 0) {
    delay = Math.min(delay, options.maxRetryIntervalInMilliseconds);
  }
  return Math.max(0, Math.round(delay));
}

function failureEvent(type: number, taskId: number, reason: string, details: string, atMs: number): HistoryEvent {
  return historyEvent(type, atMs, { TaskScheduledId: taskId, Reason: reason, Details: details, FailureDetails: null });
}

function parseOrchestratorState(value: RpcTypedData | undefined): OrchestratorState {
  const text = value?.json ?? value?.string;
  if (text === undefined) throw new Error('the orchestrator returned no state');
  return JSON.parse(text) as OrchestratorState;
}

function orchestratorFailureMessage(name: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const label = '$OutOfProcData$:';
  const at = message.indexOf(label);
  if (at >= 0) {
    try {
      const state = JSON.parse(message.slice(at + label.length)) as { error?: string };
      if (state.error !== undefined) return `Orchestrator function '${name}' failed: ${state.error}`;
    } catch {
      // fall through to the thrown message
    }
  }
  return `Orchestrator function '${name}' failed: ${message}`;
}

/** The JSON text the extension records for an activity's return value. */
function activityResultText(value: RpcTypedData | undefined): string {
  if (!value) return 'null';
  if (value.json !== undefined) return value.json;
  if (value.string !== undefined) return JSON.stringify(value.string);
  if (value.int !== undefined) return String(value.int);
  if (value.double !== undefined) return String(value.double);
  if (value.bytes !== undefined) return JSON.stringify(Buffer.from(value.bytes).toString('base64'));
  return 'null';
}

function describeAction(type: number, name: string | undefined): string {
  const kinds: Record<number, string> = {
    [Action.CallActivity]: 'an activity task',
    [Action.CallActivityWithRetry]: 'an activity task with retry',
    [Action.CallSubOrchestrator]: 'a sub-orchestration',
    [Action.CallSubOrchestratorWithRetry]: 'a sub-orchestration with retry',
    [Action.CreateTimer]: 'a timer',
    [Action.WaitForExternalEvent]: 'a wait for an external event',
    [Action.ContinueAsNew]: 'continue-as-new',
  };
  return `${kinds[type] ?? `action type ${type}`}${name ? ` named '${name}'` : ''}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
