import type { HttpRequest } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { opsOrchestrations } from '../shared/durable/client';
import type { OpsDeps } from '../shared/ops/useCases';
import { correlationIdOf } from '../shared/telemetry/correlation';

/** What the ops functions share: the ops reader, the Durable adapter and the use cases' dependencies. */

/** The ops use cases' dependencies for one invocation. */
export function opsDeps(client: df.DurableClient, request: HttpRequest): OpsDeps {
  const { store, opsReader, now, appKeys } = getServices();
  return {
    store,
    reader: opsReader,
    orchestrations: opsOrchestrations(client, appKeys),
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    correlationId: correlationIdOf(request),
    appKeys,
    reminderBeforeMs: getServices().reminderBeforeMs,
  };
}
