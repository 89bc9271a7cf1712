import type { RuntimeClock } from '../clock';
import type { Logger } from '../log';
import { parseSchedule, type Schedule } from '../timer/schedule';
import type { HostedFunction } from './appLoader';
import type { AppInvoker } from './invoker';

interface TimerJob {
  fn: HostedFunction;
  schedule: Schedule;
  runOnStartup: boolean;
  next: number;
  last: number | undefined;
  running: boolean;
}

/**
 * Runs timer-triggered functions on their NCRONTAB (or TimeSpan) schedules against the runtime
 * clock. A clock jump past an occurrence runs the function once, with `isPastDue: true`.
 */
export class TimerHost {
  private readonly jobs: TimerJob[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    functions: HostedFunction[],
    private readonly clock: RuntimeClock,
    private readonly invoker: AppInvoker,
    private readonly log: Logger,
    env: NodeJS.ProcessEnv,
    private readonly durableClientInput: () => string,
  ) {
    const now = clock.now();
    this.jobs = functions
      .filter((fn) => fn.kind === 'timer')
      .map((fn) => {
        const expression = resolveSetting(String(fn.trigger.schedule ?? ''), env, fn.name);
        const schedule = parseSchedule(expression);
        return {
          fn,
          schedule,
          runOnStartup: fn.trigger.runOnStartup === true,
          next: schedule.next(new Date(now)).getTime(),
          last: undefined,
          running: false,
        };
      });
    this.unsubscribe = clock.onAdvance(() => this.tick());
  }

  /** Schedules for the start-up banner. */
  describe(): { name: string; schedule: string; next: string }[] {
    return this.jobs.map((job) => ({
      name: job.fn.name,
      schedule: job.schedule.expression,
      next: new Date(job.next).toISOString(),
    }));
  }

  start(): void {
    for (const job of this.jobs) if (job.runOnStartup) void this.run(job, false);
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  private tick(): void {
    if (this.stopped || this.jobs.length === 0) return;
    const now = this.clock.now();
    for (const job of this.jobs) {
      if (job.next <= now) {
        // More than one interval late means the occurrence was missed (e.g. the clock jumped).
        const pastDue = job.schedule.next(new Date(job.next)).getTime() <= now;
        job.next = job.schedule.next(new Date(now)).getTime();
        void this.run(job, pastDue);
      }
    }
    const soonest = Math.min(...this.jobs.map((job) => job.next));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.min(Math.max(0, soonest - now), 3_600_000));
    this.timer.unref();
  }

  private async run(job: TimerJob, isPastDue: boolean): Promise<void> {
    if (job.running) return; // like the host's singleton lock: no overlapping runs of one timer
    job.running = true;
    const payload = {
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: new Date(job.last ?? 0).toISOString(),
        next: new Date(job.next).toISOString(),
        lastUpdated: new Date(this.clock.now()).toISOString(),
      },
      isPastDue,
    };
    job.last = this.clock.now();
    try {
      const inputs = [{ name: job.fn.triggerBindingName, data: { json: JSON.stringify(payload) } }];
      for (const binding of job.fn.durableClientBindings)
        inputs.push({ name: binding, data: { json: this.durableClientInput() } });
      await this.invoker.invoke(job.fn.registered, inputs);
    } catch (error) {
      this.log.error(
        job.fn.name,
        `timer function failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    } finally {
      job.running = false;
    }
  }
}

/** Resolves `%NAME%` app-setting references in a schedule, as the host does. */
function resolveSetting(expression: string, env: NodeJS.ProcessEnv, functionName: string): string {
  const match = /^%([^%]+)%$/.exec(expression.trim());
  if (!match) return expression;
  const value = env[match[1]!];
  if (value === undefined) throw new Error(`function "${functionName}": the schedule setting ${match[1]} is not set`);
  return value;
}
