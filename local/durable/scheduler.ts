import type { RuntimeClock } from '../clock';
import { Fifo } from './fifo';
import type { DurableStore } from './store';

/** What the scheduler needs to run instances. */
export interface SchedulerOptions {
  store: DurableStore;
  clock: RuntimeClock;
  maxConcurrent: number;
  /**
   * Runs a bounded batch of an instance's work; resolves true when it stopped with more possibly
   * waiting (the instance is then queued again behind the others).
   */
  runInstance: (instanceId: string) => Promise<boolean>;
}

/**
 * Decides when each instance runs: a FIFO of ready instances, at most one batch per instance at a
 * time, at most `maxConcurrent` instances at once, and a wake-up when the earliest future inbox
 * message (a timer) becomes visible or the clock is advanced.
 */
export class InstanceScheduler {
  private readonly store: DurableStore;
  private readonly clock: RuntimeClock;
  private readonly readyQueue = new Fifo<string>();
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly rerun = new Set<string>();
  private active = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private scannedUpTo = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stopClockListener: () => void;

  constructor(private readonly options: SchedulerOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.stopClockListener = this.clock.onAdvance(() => this.wake());
  }

  /** Queues every instance the store says has work (after a restart or a crash) and arms the next wake-up. */
  recover(): void {
    const now = this.clock.now();
    this.scannedUpTo = now;
    const s = this.store.statements;
    const ready = new Set<string>([
      ...(s.pendingInstances.all() as unknown as string[]),
      ...(s.readyInstances.all(now) as unknown as string[]),
    ]);
    for (const row of this.store.db
      .prepare<[], string>("SELECT instance_id FROM instances WHERE runtime_status = 'ContinuedAsNew'")
      .pluck()
      .all() as unknown as string[]) {
      ready.add(row);
    }
    for (const id of ready) this.markReady(id);
    this.scheduleWake(s.nextVisible.get(now) as number | null);
  }

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

  /** Arms a wake-up for an inbox message that becomes visible at `at` (ms). */
  scheduleWake(at: number | null | undefined): void {
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

  /** Stops starting instances; resolves when the running ones are done. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopClockListener();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopping && this.active < this.options.maxConcurrent && this.readyQueue.length > 0) {
      const id = this.readyQueue.shift()!;
      this.queued.delete(id);
      if (this.running.has(id)) {
        this.rerun.add(id);
        continue;
      }
      this.running.add(id);
      this.active++;
      void this.options
        .runInstance(id)
        .then((more) => {
          if (more && !this.stopping) this.rerun.add(id);
        })
        .finally(() => {
          this.running.delete(id);
          this.active--;
          if (this.rerun.delete(id)) this.markReady(id);
          this.pump();
          if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    }
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
}
