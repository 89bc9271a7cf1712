// The ops API's inputs, as zod schemas (strict, bounded, like the public API's); `GET /api/ops/stuck`
// takes the public API's page query.
import { z } from 'zod';

const RUNTIME_STATUSES = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
] as const;

/** `GET /api/ops/instances` */
export const instancesQuerySchema = z
  .object({
    runtimeStatus: z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(RUNTIME_STATUSES)).min(1))
      .optional(),
    createdFrom: z.iso.datetime({ offset: true }).optional(),
    createdTo: z.iso.datetime({ offset: true }).optional(),
    top: z.coerce.number().int().min(1).max(100).default(50),
    // The extension's token (up to 4 KB) sealed to its query (see shared/useCases/continuation.ts).
    continuationToken: z
      .string()
      .max(4096 + 128)
      .optional(),
  })
  .strict();

/** `GET /api/ops/audit/checkpoints`: digests after sequence number `after`, oldest first. */
export const checkpointsQuerySchema = z
  .object({
    after: z.coerce.number().int().min(-1).default(-1),
    top: z.coerce.number().int().min(1).max(100).default(100),
  })
  .strict();

/** Body of the operator actions: why (kept in the audit trail). */
export const operatorActionBodySchema = z.object({ reason: z.string().trim().min(1).max(1024) }).strict();
