// The ops API's inputs, as zod schemas (strict, bounded, like the public API's); `GET /api/ops/stuck`
// takes the public API's page query.
import { z } from 'zod';
import { PROFILE_TYPES, REQUEST_STATUSES } from '../domain/model';
import { startOfDay, validTimeZone } from '../views/time';

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

// The dashboard pages' queries. A browser's GET form sends every field, empty when unset: an empty
// field is no filter.
const emptyIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `tz`: an IANA time zone the page shows times in (and remembers in the `maa-tz` cookie). */
const timeZoneField = z.preprocess(
  emptyIsUnset,
  z
    .string()
    .max(64)
    .refine((zone) => validTimeZone(zone) !== undefined, 'must be an IANA time zone such as Europe/Berlin or UTC')
    .transform((zone) => validTimeZone(zone)!)
    .optional()
    .describe('IANA time zone the page shows times in (remembered in the maa-tz cookie); UTC on hover.'),
);

/** A day (`2026-12-07`, in the viewer's time zone) or an RFC 3339 instant. */
const dayOrInstant = z.preprocess(
  emptyIsUnset,
  z
    .string()
    .trim()
    .refine(
      (text) =>
        DAY.test(text)
          ? startOfDay(text, 'UTC') !== undefined
          : z.iso.datetime({ offset: true }).safeParse(text).success,
      'must be a date (YYYY-MM-DD) or an RFC 3339 date-time',
    )
    .optional()
    .describe(
      "A day (YYYY-MM-DD) in the viewer's time zone (createdTo includes it) or an RFC 3339 date-time (createdTo excludes it).",
    ),
);

/** `GET /api/ops/dashboard` and `/api/ops/dashboard/instances/{id}`. */
export const dashboardQuerySchema = z.object({ tz: timeZoneField }).strict();

/** `GET /api/ops/dashboard/stuck`: a page of open requests checked against their orchestrations. */
export const dashboardStuckQuerySchema = z
  .object({
    tz: timeZoneField,
    top: z.coerce.number().int().min(1).max(100).default(50),
    continuationToken: z.string().max(2048).optional(),
  })
  .strict();

/**
 * `GET /api/ops/dashboard/requests`: every request, newest first, with the API's search filters.
 * `createdFrom`/`createdTo` take a day in the viewer's time zone (`createdTo` then includes that
 * day) or an RFC 3339 instant (`createdTo` then excludes it).
 */
export const dashboardRequestsQuerySchema = z
  .object({
    tz: timeZoneField,
    status: z.preprocess(emptyIsUnset, z.enum(REQUEST_STATUSES).optional()),
    profileType: z.preprocess(emptyIsUnset, z.enum(PROFILE_TYPES).optional()),
    initiator: z.preprocess(
      emptyIsUnset,
      z.string().trim().max(128).optional().describe("The initiator's object id (exact)."),
    ),
    target: z.preprocess(
      emptyIsUnset,
      z.string().trim().max(256).optional().describe('A resource id the operation targets (case-insensitive).'),
    ),
    createdFrom: dayOrInstant,
    createdTo: dayOrInstant,
    top: z.preprocess(emptyIsUnset, z.coerce.number().int().min(1).max(100).default(25)),
    continuationToken: z.string().max(2048).optional(),
  })
  .strict();
export type DashboardRequestsQuery = z.infer<typeof dashboardRequestsQuerySchema>;
