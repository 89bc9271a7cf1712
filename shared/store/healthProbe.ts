import type { Store } from './store';

/** The part of the store a health check found failing. */
export type FailedCheck = 'store.read' | 'store.write';

/** A health verdict: ok, or the first part that failed. */
export type HealthVerdict = { ok: true } | { ok: false; failed: FailedCheck };

/** How long a verdict is reused (ms): probes run at most this often, however many checks arrive. */
export const HEALTH_VERDICT_TTL_MS = 5_000;

/**
 * Checks that the store answers a read ({@link Store.ping}) and takes a write
 * ({@link Store.probeWrite}). Verdicts are reused for {@link HEALTH_VERDICT_TTL_MS}, and
 * concurrent checks share one probe, so a busy health endpoint costs at most one small write
 * every few seconds.
 */
export class StoreHealth {
  private cached: { verdict: HealthVerdict; at: number } | undefined;
  private running: Promise<HealthVerdict> | undefined;
  private failure: unknown;

  constructor(
    private readonly store: () => Store,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = HEALTH_VERDICT_TTL_MS,
  ) {}

  /** The current verdict, probing the store when the last one is older than the TTL. */
  check(): Promise<HealthVerdict> {
    const cached = this.cached;
    if (cached && this.now() - cached.at < this.ttlMs) return Promise.resolve(cached.verdict);
    this.running ??= this.probe().then((verdict) => {
      this.cached = { verdict, at: this.now() };
      this.running = undefined;
      return verdict;
    });
    return this.running;
  }

  /** The error behind the newest failing verdict (undefined once a probe succeeds), for the log. */
  get lastError(): unknown {
    return this.failure;
  }

  private async probe(): Promise<HealthVerdict> {
    let store: Store;
    try {
      store = this.store();
      await store.ping();
    } catch (error) {
      return this.failed('store.read', error);
    }
    try {
      await store.probeWrite();
    } catch (error) {
      return this.failed('store.write', error);
    }
    this.failure = undefined;
    return { ok: true };
  }

  private failed(failed: FailedCheck, error: unknown): HealthVerdict {
    this.failure = error;
    return { ok: false, failed };
  }
}
