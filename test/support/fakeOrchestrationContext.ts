import type { OrchestrationContext } from 'durable-functions';

/** What an activity answers in a {@link FakeOrchestration}: a value, or a thrown error (the failure after its retries). */
export type ActivityHandler = (input: unknown, call: ActivityCall) => unknown;

/** One activity the orchestrator scheduled, in order, with the orchestration time it was scheduled at. */
export interface ActivityCall {
  name: string;
  input: unknown;
  at: string;
}

/** One durable timer the orchestrator created. */
export interface TimerRecord {
  fireAt: string;
  createdAt: string;
  cancelled: boolean;
  fired: boolean;
}

/** An external event delivered at `at` (RFC 3339), or as soon as the orchestrator waits when `at` is absent. */
export interface ScriptedEvent {
  name: string;
  payload: unknown;
  at?: string;
}

interface FakeTask {
  readonly kind: 'activity' | 'timer' | 'event' | 'any';
  isCompleted: boolean;
  isFaulted: boolean;
  result?: unknown;
  cancel(): void;
}

interface ActivityTask extends FakeTask {
  kind: 'activity';
  call: ActivityCall;
}
interface TimerTask extends FakeTask {
  kind: 'timer';
  record: TimerRecord;
}
interface EventTask extends FakeTask {
  kind: 'event';
  name: string;
}
interface AnyTask extends FakeTask {
  kind: 'any';
  tasks: FakeTask[];
}

/**
 * A time-skipping stand-in for the parts of `context.df` the approval orchestrator uses, driving
 * the generator in-process: activities answer through handlers, external events arrive at
 * scripted times, and a `Task.any` of timers and events resolves to whichever comes first in
 * orchestration time (an event due at the same instant as a timer wins, as one already buffered
 * would); a timer yielded alone moves time to it. Every scheduled activity, timer and custom
 * status is recorded for the test to assert on.
 */
export class FakeOrchestration {
  readonly activities: ActivityCall[] = [];
  readonly timers: TimerRecord[] = [];
  readonly customStatuses: unknown[] = [];
  readonly logs: string[] = [];
  readonly errors: string[] = [];
  private nowMs: number;
  private guids = 0;
  private readonly pending: ScriptedEvent[];

  constructor(
    private readonly input: unknown,
    options: {
      start: string;
      handlers: Record<string, ActivityHandler>;
      events?: ScriptedEvent[];
      instanceId?: string;
    },
  ) {
    this.nowMs = Date.parse(options.start);
    this.handlers = options.handlers;
    this.pending = [...(options.events ?? [])];
    this.instanceId = options.instanceId ?? 'instance-1';
  }

  private readonly handlers: Record<string, ActivityHandler>;
  private readonly instanceId: string;

  /** The orchestration's current time. */
  get now(): string {
    return new Date(this.nowMs).toISOString();
  }

  /** Events scripted but never consumed by the orchestrator. */
  get unconsumedEvents(): readonly ScriptedEvent[] {
    return this.pending;
  }

  /** The activities scheduled, by name only, in order. */
  get activityNames(): string[] {
    return this.activities.map((call) => call.name);
  }

  /** Runs `orchestrator` to its end and answers its output; throws what it throws. */
  run(orchestrator: (context: OrchestrationContext) => unknown): unknown {
    const generator = orchestrator(this.context()) as Generator<unknown, unknown, unknown>;
    let step = generator.next();
    for (let guard = 0; !step.done; guard++) {
      if (guard > 10_000) throw new Error('the orchestrator did not finish after 10,000 steps');
      const outcome = this.resolve(step.value as FakeTask);
      step = outcome.ok ? generator.next(outcome.value) : generator.throw(outcome.error);
    }
    return step.value;
  }

  private resolve(task: FakeTask): { ok: true; value: unknown } | { ok: false; error: unknown } {
    switch (task.kind) {
      case 'activity': {
        this.deliverBuffered();
        this.runActivity(task as ActivityTask);
        return task.isFaulted ? { ok: false, error: task.result } : { ok: true, value: task.result };
      }
      case 'any':
        return { ok: true, value: this.race(task as AnyTask) };
      case 'timer': {
        // A timer waited on alone: time moves to it (never backwards).
        const { record } = task as TimerTask;
        this.nowMs = Math.max(this.nowMs, Date.parse(record.fireAt));
        record.fired = true;
        task.isCompleted = true;
        this.deliverBuffered();
        return { ok: true, value: undefined };
      }
      default:
        throw new Error(`the fake resolves only activities, timers and Task.any, not a bare ${task.kind}`);
    }
  }

  /** Runs an activity's handler once (a task yielded again keeps its first outcome). */
  private runActivity(task: ActivityTask): void {
    if (task.isCompleted) return;
    const handler = this.handlers[task.call.name];
    if (!handler) throw new Error(`no handler for activity ${task.call.name}`);
    try {
      Object.assign(task, { isCompleted: true, result: handler(task.call.input, task.call) });
    } catch (error) {
      Object.assign(task, { isCompleted: true, isFaulted: true, result: error });
    }
  }

  /**
   * Event waiters that lost a race stay open, as in the SDK: an event due by now goes to the
   * newest of them (whoever still looks at it sees it completed).
   */
  private readonly openWaiters: EventTask[] = [];

  private deliverBuffered(): void {
    for (let i = this.openWaiters.length - 1; i >= 0; i--) {
      const waiter = this.openWaiters[i]!;
      const index = this.pending.findIndex(
        (event) => event.name === waiter.name && (event.at === undefined || Date.parse(event.at) <= this.nowMs),
      );
      if (index < 0) continue;
      const [event] = this.pending.splice(index, 1);
      Object.assign(waiter, { isCompleted: true, result: event!.payload });
      this.openWaiters.splice(i, 1);
    }
  }

  /**
   * The first of `any`'s tasks in orchestration time; time moves to it. An activity in the race
   * takes no time: it wins unless an event is already due.
   */
  private race(any: AnyTask): FakeTask {
    const winner = this.firstOf(any);
    for (const task of any.tasks)
      if (task !== winner && task.kind === 'event' && !task.isCompleted) this.openWaiters.push(task as EventTask);
    return winner;
  }

  private firstOf(any: AnyTask): FakeTask {
    const done = any.tasks.find((task) => task.isCompleted);
    if (done) return done;
    const activity = any.tasks.find((task): task is ActivityTask => task.kind === 'activity');
    if (activity) {
      const events = any.tasks.filter((task): task is EventTask => task.kind === 'event');
      const index = this.pending.findIndex(
        (event) =>
          events.some((task) => task.name === event.name) &&
          (event.at === undefined || Date.parse(event.at) <= this.nowMs),
      );
      if (index >= 0) {
        const [event] = this.pending.splice(index, 1);
        const task = events.find((candidate) => candidate.name === event!.name)!;
        Object.assign(task, { isCompleted: true, result: event!.payload });
        return task;
      }
      this.runActivity(activity);
      return activity;
    }
    const timers = any.tasks.filter((task): task is TimerTask => task.kind === 'timer');
    const events = any.tasks.filter((task): task is EventTask => task.kind === 'event');
    const earliestTimer = timers.reduce<TimerTask | undefined>(
      (first, timer) => (!first || Date.parse(timer.record.fireAt) < Date.parse(first.record.fireAt) ? timer : first),
      undefined,
    );
    const index = this.pending.findIndex((event) => events.some((task) => task.name === event.name));
    const event = index >= 0 ? this.pending[index]! : undefined;
    const eventAt = event ? Math.max(this.nowMs, event.at ? Date.parse(event.at) : this.nowMs) : Infinity;
    const timerAt = earliestTimer ? Date.parse(earliestTimer.record.fireAt) : Infinity;
    if (event && eventAt <= timerAt) {
      this.pending.splice(index, 1);
      this.nowMs = eventAt;
      const task = events.find((candidate) => candidate.name === event.name)!;
      Object.assign(task, { isCompleted: true, result: event.payload });
      return task;
    }
    if (!earliestTimer) throw new Error(`the orchestrator waits at ${this.now} for an event that never comes`);
    this.nowMs = Math.max(this.nowMs, timerAt);
    earliestTimer.record.fired = true;
    earliestTimer.isCompleted = true;
    return earliestTimer;
  }

  private context(): OrchestrationContext {
    const task = <T extends FakeTask>(fields: Omit<T, 'isCompleted' | 'isFaulted' | 'cancel'>): T =>
      ({ isCompleted: false, isFaulted: false, cancel: () => undefined, ...fields }) as T;
    const now = () => new Date(this.nowMs);
    const df = {
      instanceId: this.instanceId,
      isReplaying: false,
      getInput: () => this.input,
      get currentUtcDateTime() {
        return now();
      },
      newGuid: (seed: string) => `00000000-0000-4000-8000-${String(++this.guids).padStart(12, '0')}:${seed}`,
      setCustomStatus: (status: unknown) => void this.customStatuses.push(status),
      callActivityWithRetry: (name: string, _retry: unknown, input: unknown): ActivityTask => {
        const call = { name, input: structuredClone(input), at: this.now };
        this.activities.push(call);
        return task<ActivityTask>({ kind: 'activity', call });
      },
      createTimer: (fireAt: Date): TimerTask => {
        const record: TimerRecord = {
          fireAt: fireAt.toISOString(),
          createdAt: this.now,
          cancelled: false,
          fired: false,
        };
        this.timers.push(record);
        const timer = task<TimerTask>({ kind: 'timer', record });
        timer.cancel = () => {
          record.cancelled = true;
        };
        return timer;
      },
      waitForExternalEvent: (name: string): EventTask => task<EventTask>({ kind: 'event', name }),
      Task: { any: (tasks: FakeTask[]): AnyTask => task<AnyTask>({ kind: 'any', tasks }) },
    };
    return {
      df,
      log: (...args: unknown[]) => void this.logs.push(args.map(String).join(' ')),
      error: (...args: unknown[]) => void this.errors.push(args.map(String).join(' ')),
    } as unknown as OrchestrationContext;
  }
}
