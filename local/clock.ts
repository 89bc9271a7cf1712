/**
 * The runtime's single notion of "now". Durable timers, history timestamps, timer triggers and (in
 * manual mode) the app's own `Date` all read it, so moving it moves everything together.
 *
 * Manual mode is real time plus an offset that only grows: time keeps flowing (retry back-offs and
 * short waits still elapse), and `advance` jumps it forward.
 */
export class RuntimeClock {
  private offsetMs = 0;
  private readonly listeners = new Set<() => void>();
  /** Called with the new offset before listeners hear of an advance. */
  persist: ((offsetMs: number) => void) | undefined;

  constructor(readonly manual: boolean) {}

  /** How far manual time is ahead of real time (persist it to keep time monotonic across restarts). */
  get offset(): number {
    return this.offsetMs;
  }

  /** Restores a persisted offset; never moves time backwards. */
  restoreOffset(ms: number): void {
    if (this.manual && Number.isFinite(ms) && ms > this.offsetMs) this.offsetMs = ms;
  }

  /** Milliseconds since the epoch, as the runtime sees it. */
  now(): number {
    return realNow() + this.offsetMs;
  }

  /** Moves time forward by `ms` (manual mode only) and tells every listener. */
  advance(ms: number): number {
    if (!this.manual) throw new Error('the clock can only be moved in manual mode (MAA_LOCAL_CLOCK=manual)');
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
    this.persist?.(this.offsetMs);
    for (const listener of this.listeners) listener();
    return this.now();
  }

  /** Calls `listener` after every `advance`. */
  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);

/**
 * Makes the process-wide `Date` (no-argument construction and `Date.now()`) follow `clock`, so the
 * app's own timestamps move with the runtime clock. Dates built from explicit values are unchanged,
 * and `instanceof Date` keeps working for dates made before or after the swap.
 */
export function installProcessClock(clock: Pick<RuntimeClock, 'now'>): void {
  class RuntimeDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock.now());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return clock.now();
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof RealDate;
    }
  }
  // Calling Date() without `new` returns a string in JS; keep that behaviour for the shifted clock.
  const callable = new Proxy(RuntimeDate, {
    apply: () => new RealDate(clock.now()).toString(),
  });
  (globalThis as { Date: DateConstructor }).Date = callable as unknown as DateConstructor;
}

// Not the app's duration parser on purpose: the offline runtime depends on nothing of the app but
// its built output, and an advance may be any fraction of any unit a test needs.
/**
 * Milliseconds in a clock advance given as an ISO-8601 duration (`P30D`, `PT1H30M`, `P1DT2.5S`,
 * `P2W`); throws RangeError for anything else.
 */
export function parseClockAdvance(text: string): number {
  const match =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text,
    );
  if (!match || text === 'P' || text.endsWith('T'))
    throw new RangeError(`"${text}" is not an ISO-8601 duration such as P30D or PT1H`);
  const [, weeks, days, hours, minutes, seconds] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return ((((weeks! * 7 + days!) * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000;
}
