import type { HttpRequest } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { config } from '../shared/config';
import { opsOrchestrations } from '../shared/durable/client';
import type { OpsReader } from '../shared/ops/opsReader';
import type { OpsDeps } from '../shared/ops/useCases';
import { correlationIdOf } from '../shared/telemetry/correlation';

/** What the ops functions share: the ops reader, the Durable adapter and the use cases' dependencies. */

let reader: OpsReader | undefined;

/** The ops reader for the configured store, opened on first use (after the store, whose tables it reads). */
function opsReader(): OpsReader {
  if (!reader) {
    const { store } = config();
    getServices();
    if (store.kind === 'cosmos') {
      // Loaded only when configured, like the store adapter.
      const { createCosmosClient } =
        require('../shared/store/cosmosStore') as typeof import('../shared/store/cosmosStore');
      const { CosmosOpsReader } =
        require('../shared/ops/cosmosOpsReader') as typeof import('../shared/ops/cosmosOpsReader');
      reader = new CosmosOpsReader(createCosmosClient(store), store.database);
    } else {
      const { SqliteOpsReader } =
        require('../shared/ops/sqliteOpsReader') as typeof import('../shared/ops/sqliteOpsReader');
      reader = new SqliteOpsReader(store.file);
    }
  }
  return reader;
}

/** The ops use cases' dependencies for one invocation. */
export function opsDeps(client: df.DurableClient, request: HttpRequest): OpsDeps {
  return {
    store: getServices().store,
    reader: opsReader(),
    orchestrations: opsOrchestrations(client, config().appKeys),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    correlationId: correlationIdOf(request),
    appKeys: config().appKeys,
    reminderBeforeMs: config().notifications.reminderBeforeMs,
  };
}
