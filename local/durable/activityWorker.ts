import type { RuntimeClock } from '../clock';
import type { AppInvoker } from '../host/invoker';
import { describeError, type Logger } from '../log';
import { Fifo } from './fifo';
import { missingFunctionMessage, type FunctionRegistry } from './functionRegistry';
import { EventType, failureEvent, historyEvent, type HistoryEvent } from './history';
import { activityResultText } from './sdkProtocol';
import type { DurableStore, WorkRow } from './store';

/** What the worker needs to run activities. */
export interface ActivityWorkerOptions {
  store: DurableStore;
  clock: RuntimeClock;
  invoker: AppInvoker;
  functions: FunctionRegistry;
  log: Logger;
  maxConcurrent: number;
  /** Called once an activity's result is in its instance's inbox. */
  onResult: (instanceId: string) => void;
}

/**
 * Runs scheduled activities at least once, at most `maxConcurrent` at a time, and records exactly
 * one result (TaskCompleted or TaskFailed) per work row: the row is deleted in the same store unit
 * that queues the result, so a duplicate run finds it gone. Retries are the orchestrator's
 * (`callActivityWithRetry`), planned from the failure like any other event.
 */
export class ActivityWorker {
  private readonly queue = new Fifo<WorkRow>();
  private readonly inFlight = new Set<number>();
  private active = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: ActivityWorkerOptions) {}

  /** Queues every work row the store holds (after a restart or a crash). */
  recover(): void {
    for (const work of this.options.store.statements.allWork.all()) this.enqueue(work);
  }

  /** Queues the work rows with these ids (just committed). */
  enqueueIds(ids: readonly number[]): void {
    for (const id of ids) {
      const work = this.options.store.statements.getWork.get(id);
      if (work) this.enqueue(work);
    }
  }

  /** Stops starting activities; resolves when the running ones are done. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(work: WorkRow): void {
    if (this.inFlight.has(work.id) || this.stopping) return;
    this.inFlight.add(work.id);
    this.queue.push(work);
    this.pump();
  }

  private pump(): void {
    while (!this.stopping && this.active < this.options.maxConcurrent && this.queue.length > 0) {
      const work = this.queue.shift()!;
      this.active++;
      void this.run(work).finally(() => {
        this.active--;
        this.inFlight.delete(work.id);
        this.pump();
        if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  private async run(work: WorkRow): Promise<void> {
    const { store, clock, log } = this.options;
    const event = await this.execute(work);
    if (!event) return; // stopping: the work row stays; it runs again after the restart
    try {
      const recorded = await store.write(() => {
        // Exactly one result per scheduled task: a duplicate run finds its work row gone.
        if (store.statements.deleteWork.run(work.id).changes !== 1) return false;
        store.insertEvent(work.instance_id, work.execution_id, event, clock.now(), null);
        return true;
      });
      if (recorded) this.options.onResult(work.instance_id);
    } catch (error) {
      log.error(
        'durable',
        `could not record the result of activity ${work.name} for ${work.instance_id}: ${describeError(error)}`,
      );
      setTimeout(() => {
        this.inFlight.delete(work.id);
        const again = store.statements.getWork.get(work.id);
        if (again) this.enqueue(again);
      }, 1000).unref();
    }
  }

  /** Invokes the activity; its result event, or undefined when it failed because the runtime is stopping. */
  private async execute(work: WorkRow): Promise<HistoryEvent | undefined> {
    const { invoker, clock } = this.options;
    const fn = this.options.functions.get('activity', work.name);
    try {
      if (!fn) throw new Error(missingFunctionMessage(work.name, 'activity'));
      const response = await invoker.invoke(
        fn.registered,
        [{ name: fn.triggerBindingName, data: work.input === null ? {} : { string: work.input } }],
        { instanceId: { string: work.instance_id } },
      );
      return historyEvent(EventType.TaskCompleted, clock.now(), {
        TaskScheduledId: work.task_id,
        Result: activityResultText(response.returnValue),
      });
    } catch (error) {
      if (this.stopping) return undefined;
      const message = error instanceof Error ? error.message : String(error);
      const details = JSON.stringify({
        Message: message,
        ClassName: error instanceof Error ? error.name : 'Error',
        StackTrace: error instanceof Error ? (error.stack ?? null) : null,
      });
      return failureEvent(
        EventType.TaskFailed,
        work.task_id,
        `Activity function '${work.name}' failed: ${message}`,
        details,
        clock.now(),
      );
    }
  }
}
