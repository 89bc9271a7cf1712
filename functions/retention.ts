import * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { config } from '../shared/config';
import { logEvent } from '../shared/telemetry/log';

/**
 * Durable history retention: daily at 02:30 UTC (a fixed schedule: a `%SETTING%` schedule would
 * make the app fail to index wherever the setting is missing), purges the history of finished instances (Completed, Failed, Terminated) created longer ago than
 * `MAA_HISTORY_RETENTION` (default P90D). Open requests' instances are running and never match;
 * the store's read model and audit trail are not touched.
 */
df.app.client.timer('purgeDurableHistory', {
  schedule: '0 30 2 * * *',
  handler: async (_timer, client, context) => {
    const createdTimeTo = new Date(getServices().now().getTime() - config().ops.historyRetentionMs);
    const result = await client.purgeInstanceHistoryBy({
      createdTimeFrom: new Date(0),
      createdTimeTo,
      runtimeStatus: [
        df.OrchestrationRuntimeStatus.Completed,
        df.OrchestrationRuntimeStatus.Failed,
        df.OrchestrationRuntimeStatus.Terminated,
      ],
    });
    logEvent(context, 'retention.purged', {
      instancesDeleted: result.instancesDeleted,
      createdBefore: createdTimeTo.toISOString(),
    });
  },
});
