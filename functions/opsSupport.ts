import type { HttpRequest } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { opsOrchestrations } from '../shared/durable/client';
import type { OpsDeps } from '../shared/ops/useCases';
import { correlationIdOf } from '../shared/telemetry/correlation';

// What the ops functions share: the use cases' dependencies and the longest id a route takes.

/** Longest instance or request id an ops route accepts (an instance id is longer than a request id). */
export const MAX_OPS_ID = 160;

/** The ops use cases' dependencies for one invocation. */
export function opsDeps(client: df.DurableClient, request: HttpRequest): OpsDeps {
  const { store, opsReader, now, appKeys, reminderBeforeMs, directory } = getServices();
  return {
    store,
    reader: opsReader,
    orchestrations: opsOrchestrations(client, appKeys),
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    correlationId: correlationIdOf(request),
    appKeys,
    reminderBeforeMs,
    directory,
  };
}
