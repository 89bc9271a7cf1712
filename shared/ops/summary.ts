import { REQUEST_STATUSES, type RequestStatus } from '../domain/model';
import type { Activity, OpsReader, RequestSummary } from './opsReader';
import type { OpsOrchestrations } from './opsOrchestrations';

const HOUR_MS = 60 * 60 * 1000;
/** The summary's window: the last 24 hours. */
export const WINDOW_MS = 24 * HOUR_MS;

/** One hour of the activity series; `hour` is its start (RFC 3339). */
export interface HourBucket {
  hour: string;
  submitted: number;
  decided: number;
  completed: number;
}

export interface OpsSummary {
  generatedAt: string;
  counts: Record<RequestStatus, number>;
  oldestOpen: (RequestSummary & { ageSeconds: number }) | null;
  expiringWithin24h: { count: number; items: RequestSummary[] };
  last24h: {
    failedExecutions: number;
    failedOrchestrations: number;
    hourly: HourBucket[];
    /** Submitted -> first closing decision, over requests decided in the window; null without decisions. */
    timeToDecision: { decided: number; medianSeconds: number | null; p95Seconds: number | null };
  };
}

/** The operators' summary at `now`: counts, the oldest open request, what expires soon, and the last 24 hours. */
export async function opsSummary(
  reader: OpsReader,
  orchestrations: Pick<OpsOrchestrations, 'failedSince'>,
  now: Date,
): Promise<OpsSummary> {
  const since = new Date(now.getTime() - WINDOW_MS).toISOString();
  const until = new Date(now.getTime() + WINDOW_MS).toISOString();
  const [counts, oldest, expiring, failedExecutions, activity, failedOrchestrations] = await Promise.all([
    reader.statusCounts(),
    reader.oldestOpen(),
    reader.expiringBefore(until, 20),
    reader.failedExecutionsSince(since),
    reader.activitySince(since),
    orchestrations.failedSince(since),
  ]);
  const latencies = activity.decided.map(
    (decision) => (Date.parse(decision.at) - Date.parse(decision.createdAt)) / 1000,
  );
  return {
    generatedAt: now.toISOString(),
    counts: Object.fromEntries(REQUEST_STATUSES.map((status) => [status, counts[status] ?? 0])) as Record<
      RequestStatus,
      number
    >,
    oldestOpen: oldest
      ? { ...oldest, ageSeconds: Math.floor((now.getTime() - Date.parse(oldest.createdAt)) / 1000) }
      : null,
    expiringWithin24h: expiring,
    last24h: {
      failedExecutions,
      failedOrchestrations,
      hourly: hourlyBuckets(activity, now),
      timeToDecision: {
        decided: latencies.length,
        medianSeconds: percentile(latencies, 0.5),
        p95Seconds: percentile(latencies, 0.95),
      },
    },
  };
}

/** 24 hourly buckets, oldest first, the last one holding the current (partial) hour. */
export function hourlyBuckets(activity: Activity, now: Date): HourBucket[] {
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const first = currentHour - 23 * HOUR_MS;
  const buckets: HourBucket[] = Array.from({ length: 24 }, (_, index) => ({
    hour: new Date(first + index * HOUR_MS).toISOString(),
    submitted: 0,
    decided: 0,
    completed: 0,
  }));
  const add = (at: string, key: 'submitted' | 'decided' | 'completed') => {
    const index = Math.floor((Date.parse(at) - first) / HOUR_MS);
    if (index >= 0 && index < 24) buckets[index]![key] += 1;
  };
  activity.submitted.forEach((at) => add(at, 'submitted'));
  activity.decided.forEach((decision) => add(decision.at, 'decided'));
  activity.completed.forEach((at) => add(at, 'completed'));
  return buckets;
}

/** The nearest-rank percentile `p` (0..1] of `values`, rounded to seconds; null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!);
}
