import { app } from '@azure/functions';
import { takeCheckpoint } from '../shared/audit/checkpoints';
import { getServices } from '../shared/composition';
import { logEvent } from '../shared/telemetry/log';

/**
 * Audit checkpoints: on `MAA_AUDIT_CHECKPOINT_SCHEDULE` (hourly by default; Bicep and the local
 * runtime set it, `func start` reads it from local.settings.json), signs and stores a digest of
 * every trail head written since the previous checkpoint, chained to it (see
 * `shared/domain/auditDigest.ts`). Operators export them from `GET /api/ops/audit/checkpoints`.
 */
app.timer('auditCheckpoint', {
  schedule: '%MAA_AUDIT_CHECKPOINT_SCHEDULE%',
  handler: async (_timer, context) => {
    const { store, appKeys, now } = getServices();
    const digests = await takeCheckpoint(store, appKeys, now());
    const last = digests.at(-1);
    logEvent(context, 'audit.checkpoint', {
      digests: digests.length,
      heads: digests.reduce((total, digest) => total + digest.heads.length, 0),
      ...(last === undefined ? {} : { sequence: last.sequence, digestHash: last.digestHash, to: last.to }),
    });
  },
});
