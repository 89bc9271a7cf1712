import { randomUUID } from 'node:crypto';
import type { RuntimeClock } from '../clock';
import type { HostedFunction } from '../host/appLoader';
import type { AppInvoker } from '../host/invoker';
import { describeError, type Logger } from '../log';
import { ActivityWorker } from './activityWorker';
import {
  deliverable,
  episodeTime,
  freshState,
  openingEvents,
  parentOf,
  planEpisode,
  settlePlan,
  type EngineState,
  type EpisodeInstance,
  type EpisodePlan,
  type SdkOutcome,
} from './episodePlanner';
import { FunctionRegistry, missingFunctionMessage } from './functionRegistry';
import { EventType, OrchestrationStatusCode, failureEvent, historyEvent, type HistoryEvent } from './history';
import { InstanceScheduler } from './scheduler';
import { buildOrchestratorPayload, orchestratorFailureMessage, parseOrchestratorState } from './sdkProtocol';
import { TERMINAL_STATUSES, type DurableStore, type InboxRow, type InstanceRow, type RuntimeStatus } from './store';

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

/** What the engine runs on: its store and clock, the app's functions and how to invoke them, and its concurrency limits. */
export interface EngineOptions {
  store: DurableStore;
  clock: RuntimeClock;
  invoker: AppInvoker;
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

/** How many steps one instance takes before it lets the others run. */
const STEPS_PER_TURN = 16;

/**
 * The Durable backend: keeps instances, histories, inboxes and activity work in SQLite, runs one
 * orchestrator episode at a time per instance (many instances in parallel), delivers one inbound
 * message per episode so sequence ids line up with the SDK's, and executes activities at least once.
 * Every state change is one atomic store unit; in-memory state is only a cache of what is ready.
 *
 * It composes the {@link InstanceScheduler} (when an instance runs), the episode planner (what an
 * episode decides), the SDK protocol (the trigger payload and its answer) and the
 * {@link ActivityWorker}; it owns the client operations and the store units that commit each step.
 */
export class DurableEngine {
  private readonly store: DurableStore;
  private readonly clock: RuntimeClock;
  private readonly invoker: AppInvoker;
  private readonly log: Logger;
  private readonly functions: FunctionRegistry;
  private readonly scheduler: InstanceScheduler;
  private readonly worker: ActivityWorker;
  private stopping = false;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.invoker = options.invoker;
    this.log = options.log;
    this.functions = new FunctionRegistry(options.functions);
    this.scheduler = new InstanceScheduler({
      store: options.store,
      clock: options.clock,
      maxConcurrent: options.maxConcurrentOrchestrations,
      runInstance: (id) => this.runInstance(id),
    });
    this.worker = new ActivityWorker({
      store: options.store,
      clock: options.clock,
      invoker: options.invoker,
      functions: this.functions,
      log: options.log,
      maxConcurrent: options.maxConcurrentActivities,
      onResult: (id) => this.scheduler.markReady(id),
    });
  }

  /** Picks up everything the store says is pending (after a restart or a crash). */
  recover(): void {
    this.scheduler.recover();
    this.worker.recover();
  }

  /** Stops taking new work and waits for running episodes and activities to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.scheduler.stop(), this.worker.stop()]);
  }

  // ------------------------------------------------------------------ client operations

  /** Starts an orchestration; rejects when the function is unknown, the id is invalid or in use. */
  async startNew(name: string, instanceId: string | undefined, input: string | null, version = ''): Promise<string> {
    const fn = this.functions.get('orchestrator', name);
    if (!fn) {
      throw new EngineError(
        'bad_request',
        `${missingFunctionMessage(name, 'orchestrator')} Additional info: the app registers ${this.functions.names('orchestrator').join(', ') || 'no orchestrators'}.`,
      );
    }
    const id = instanceId ?? newId();
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
      if (existing) this.store.deleteInstanceRows(id);
      this.store.statements.insertInstance.run({
        instance_id: id,
        name: fn.name,
        version,
        execution_id: newId(),
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
    this.scheduler.markReady(id);
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
    if (result === 'accepted') this.scheduler.markReady(instanceId);
    return result;
  }

  /** Deletes a finished instance and everything it left; false when there is none to delete. */
  async purge(instanceId: string): Promise<boolean> {
    return this.store.write(() => {
      const instance = this.store.getInstance(instanceId);
      if (!instance || !TERMINAL_STATUSES.has(instance.runtime_status)) return false;
      this.store.deleteInstanceRows(instanceId);
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
      for (const id of ids) this.store.deleteInstanceRows(id);
      return ids.length;
    });
  }

  // ------------------------------------------------------------------ steps

  /** Runs up to {@link STEPS_PER_TURN} steps; resolves true when the instance may have more to do. */
  private async runInstance(instanceId: string): Promise<boolean> {
    // Bounded so one busy instance cannot starve the others; it requeues itself if more is waiting.
    let cached: CachedInstance | undefined;
    for (let steps = 0; steps < STEPS_PER_TURN && !this.stopping; steps++) {
      let result: StepResult | undefined;
      try {
        result = await this.step(instanceId, cached);
      } catch (error) {
        cached = undefined;
        if (error instanceof StaleEpisodeError) continue;
        this.log.error('durable', `instance ${instanceId}: ${describeError(error)}`);
        setTimeout(() => this.scheduler.markReady(instanceId), 1000).unref();
        return false;
      }
      if (!result) return false;
      cached = result.cached;
    }
    return true;
  }

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
      return this.runEpisode(instance, state, deliverable(messages, state, true), now, cached?.history);
    if (!first) return undefined;
    return this.runEpisode(instance, state, deliverable(messages, state, false), now, cached?.history);
  }

  /** Applies a suspend or resume request: recorded in history when it changes the status, dropped otherwise. */
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

  /** Terminates the instance at once and tells its parent, if any. */
  private async terminateNow(instance: InstanceRow, state: EngineState, message: InboxRow, now: number): Promise<void> {
    const reason = JSON.parse(message.body) as string;
    const s = this.store.statements;
    const parent = parentOf(instance.parent);
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
        this.store.insertEvent(
          parent.instanceId,
          parent.executionId,
          failureEvent(EventType.SubOrchestrationInstanceFailed, parent.taskId, text, text, now),
          now,
          null,
        );
      }
    });
    if (parent) this.scheduler.markReady(parent.instanceId);
  }

  /** Writes the instance row if nobody else changed it since it was read (else the episode is stale). */
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

  /** One episode: the SDK replays the history with the delivered events, the planner decides, one store unit commits. */
  private async runEpisode(
    instance: InstanceRow,
    state: EngineState,
    messages: InboxRow[],
    now: number,
    cachedHistory: string[] | undefined,
  ): Promise<StepResult> {
    const instanceId = instance.instance_id;
    const delivered = messages.map((message) => JSON.parse(message.body) as HistoryEvent);
    const episodeMs = episodeTime(now, state, delivered);
    const oldHistory = state.started ? (cachedHistory ?? this.store.history(instanceId)) : [];
    const view = episodeInstance(instance);
    const opening = openingEvents(view, state, delivered, episodeMs);
    const outcome = await this.invokeOrchestrator(view, oldHistory, opening);
    const plan = planEpisode({
      instance: view,
      state,
      opening,
      delivered,
      consumedMessages: messages.map((message) => message.id),
      episodeMs,
      outcome,
      names: this.functions,
      newExecutionId: newId,
    });

    const committed = await this.commitEpisode(instance, plan, episodeMs, oldHistory.length);
    this.afterCommit(instanceId, plan, committed.finish, committed.workIds);
    if (committed.finish !== undefined || !committed.row) return {};
    return { cached: { row: committed.row, history: oldHistory.concat(committed.appended) } };
  }

  /** Runs the orchestrator function over the history plus the opening events. */
  private async invokeOrchestrator(
    instance: EpisodeInstance,
    oldHistory: string[],
    opening: HistoryEvent[],
  ): Promise<SdkOutcome> {
    const fn = this.functions.get('orchestrator', instance.name);
    if (!fn) return { failure: missingFunctionMessage(instance.name, 'orchestrator') };
    const payload = buildOrchestratorPayload(oldHistory, opening, {
      instanceId: instance.instanceId,
      input: instance.input,
      parentInstanceId: instance.parent?.instanceId,
    });
    try {
      const response = await this.invoker.invoke(fn.registered, [
        { name: fn.triggerBindingName, data: { string: payload } },
      ]);
      return { state: parseOrchestratorState(response.returnValue) };
    } catch (error) {
      return { failure: orchestratorFailureMessage(instance.name, error) };
    }
  }

  /** Applies the plan atomically; resolves with the activity work it created and the row and history after it. */
  private commitEpisode(
    instance: InstanceRow,
    plan: EpisodePlan,
    episodeMs: number,
    historyLength: number,
  ): Promise<{
    workIds: number[];
    row: InstanceRow | undefined;
    appended: string[];
    finish: EpisodePlan['finish'];
  }> {
    const s = this.store.statements;
    const instanceId = instance.instance_id;
    return this.store.write(() => {
      const workIds: number[] = [];
      const appended: string[] = [];
      for (const id of plan.consumedMessages) s.deleteMessage.run(id);
      for (const timerId of plan.timersToCancel) s.deleteTimer.run(instanceId, instance.execution_id, timerId);

      const storedTimers = plan.completeUnlessTimers
        ? (s.pendingTimers.get(instanceId, instance.execution_id) as number)
        : 0;
      const { status, append, ownMessages, otherMessages, finish } = settlePlan(plan, instanceId, storedTimers);

      if (finish === 'continuedAsNew') {
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
        if (finish === 'completed') {
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

      if (finish !== 'completed') {
        for (const m of ownMessages)
          this.store.insertEvent(instanceId, plan.executionId, m.event, m.visibleMs, m.timerId);
      }
      for (const m of otherMessages)
        this.store.insertEvent(m.instanceId, m.executionId, m.event, m.visibleMs, m.timerId);

      for (const work of plan.work) {
        const inserted = s.insertWork.run(instanceId, plan.executionId, work.taskId, work.name, work.input);
        if (inserted.changes === 1) workIds.push(Number(inserted.lastInsertRowid));
      }
      for (const child of plan.children) this.createChild(instance, plan.executionId, child, episodeMs);
      return { workIds, row: status === 'Running' ? row : undefined, appended, finish };
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
      this.store.insertEvent(
        parent.instance_id,
        parentExecutionId,
        failureEvent(EventType.SubOrchestrationInstanceFailed, child.taskId, text, text, now),
        now,
        null,
      );
      return;
    }
    if (existing) this.store.deleteInstanceRows(child.instanceId);
    this.store.statements.insertInstance.run({
      instance_id: child.instanceId,
      name: this.functions.get('orchestrator', child.name)?.name ?? child.name,
      version: child.version,
      execution_id: newId(),
      runtime_status: 'Pending',
      input: child.input,
      output: null,
      custom_status: null,
      created_ms: now,
      updated_ms: now,
      parent: JSON.stringify({
        instanceId: parent.instance_id,
        executionId: parentExecutionId,
        taskId: child.taskId,
        name: parent.name,
      }),
      state: JSON.stringify(freshState()),
      rev: 0,
    });
  }

  /** Hands the committed step's consequences to the worker and the scheduler. */
  private afterCommit(instanceId: string, plan: EpisodePlan, finish: EpisodePlan['finish'], workIds: number[]): void {
    const now = this.clock.now();
    this.worker.enqueueIds(workIds);
    for (const child of plan.children) this.scheduler.markReady(child.instanceId);
    for (const m of plan.messages) {
      const target = m.instanceId === '' ? instanceId : m.instanceId;
      if (m.visibleMs <= now) this.scheduler.markReady(target);
      else this.scheduler.scheduleWake(m.visibleMs);
    }
    if (finish === 'continuedAsNew') this.scheduler.markReady(instanceId);
  }
}

/** A fresh instance or execution id (32 hex digits, like the extension's). */
function newId(): string {
  return randomUUID().replace(/-/g, '');
}

/** The planner's view of an instance row. */
function episodeInstance(row: InstanceRow): EpisodeInstance {
  return {
    instanceId: row.instance_id,
    name: row.name,
    version: row.version,
    executionId: row.execution_id,
    input: row.input,
    output: row.output,
    customStatus: row.custom_status,
    parent: parentOf(row.parent),
  };
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
