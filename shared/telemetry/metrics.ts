import type { AuditEntry } from '../domain/model';

/** The counters the app exports; names follow OpenTelemetry's dotted style. */
export const COUNTERS = {
  submitted: 'maa.requests.submitted',
  decided: 'maa.requests.decided',
  completed: 'maa.requests.completed',
  expired: 'maa.requests.expired',
  failed: 'maa.executions.failed',
} as const;
export type CounterName = (typeof COUNTERS)[keyof typeof COUNTERS];

/** Histogram of submitted -> first closing decision (approved or rejected), in milliseconds. */
export const DECISION_LATENCY = 'maa.decision.latency';

/** One observation: a counter increment or a decision latency. */
export type Observation = { counter: CounterName } | { latencyMs: number };

/**
 * What a recorded step means for the metrics: one increment per submitted, decided (the status
 * change to approved or rejected, with its latency from `createdAt`), completed, expired and
 * failed-execution entry. Pure, so the mapping is tested without an exporter.
 */
export function observationsOf(
  entries: readonly Pick<AuditEntry, 'type' | 'at' | 'data'>[],
  createdAt: string,
): Observation[] {
  const observations: Observation[] = [];
  for (const entry of entries) {
    if (entry.type === 'request.submitted') observations.push({ counter: COUNTERS.submitted });
    else if (entry.type === 'request.completed') observations.push({ counter: COUNTERS.completed });
    else if (entry.type === 'request.expired') observations.push({ counter: COUNTERS.expired });
    else if (entry.type === 'execution.failed') observations.push({ counter: COUNTERS.failed });
    else if (entry.type === 'request.statusChanged' && (entry.data.to === 'approved' || entry.data.to === 'rejected')) {
      observations.push(
        { counter: COUNTERS.decided },
        { latencyMs: Math.max(0, Date.parse(entry.at) - Date.parse(createdAt)) },
      );
    }
  }
  return observations;
}
