import { z } from 'zod';
import { parseIsoDuration } from '../domain/duration';
import { DEFAULT_TIME_ZONE, validTimeZone } from '../views/time';

/** Operations settings: Durable history retention, browser sign-in for the dashboard, telemetry. */
export interface OpsConfig {
  /** Durable history of finished instances created longer ago than this is purged (the audit trail stays). */
  readonly historyRetentionMs: number;
  /**
   * Whether `X-MS-CLIENT-PRINCIPAL` identifies dashboard users: only when App Service
   * Authentication is on (`WEBSITE_AUTH_ENABLED`, as the platform sets it; the local runtime's
   * sign-in sets it too), which strips the header from client requests. Anywhere else a caller
   * could forge it.
   */
  readonly trustClientPrincipal: boolean;
  /** Application Insights connection string; unset exports no telemetry. */
  readonly appInsightsConnectionString: string | undefined;
  /**
   * When audit checkpoints are taken: a six-field NCRONTAB expression (or `hh:mm:ss` TimeSpan). The
   * host reads it for the timer trigger (`%MAA_AUDIT_CHECKPOINT_SCHEDULE%`); parsing it here only
   * refuses a malformed value at start-up.
   */
  readonly auditCheckpointSchedule: string;
  /** The IANA time zone pages show times in when the viewer chose none (`UTC` by default). */
  readonly defaultTimeZone: string;
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** The operations settings' zod shape; shared/config.ts merges it into the app's settings schema. */
export const opsSettingsShape = {
  /** ISO-8601 age after which finished orchestrations' history is purged (`P90D`). */
  MAA_HISTORY_RETENTION: z.preprocess(blankIsUnset, z.string().default('P90D')),
  /** NCRONTAB schedule of the audit checkpoint timer (hourly by default). */
  MAA_AUDIT_CHECKPOINT_SCHEDULE: z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(
        /^(\S+\s+){5}\S+$|^\d{1,2}:\d{2}:\d{2}$/,
        'must be a six-field NCRONTAB expression such as "0 0 * * * *", or hh:mm:ss',
      )
      .default('0 0 * * * *'),
  ),
  /** IANA time zone the pages show times in until a viewer chooses one (`Europe/Berlin`). */
  MAA_DEFAULT_TIME_ZONE: z.preprocess(blankIsUnset, z.string().default(DEFAULT_TIME_ZONE)),
  /** Where traces and metrics go; the exporter is loaded only when this is set. */
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.preprocess(blankIsUnset, z.string().optional()),
};

export type OpsSettings = z.output<z.ZodObject<typeof opsSettingsShape>>;

/** Resolves parsed settings into an {@link OpsConfig}, or lists every problem as `SETTING: message`. */
export function resolveOpsConfig(settings: OpsSettings & { WEBSITE_AUTH_ENABLED?: string | undefined }): {
  config: OpsConfig;
  problems: string[];
} {
  const problems: string[] = [];
  let historyRetentionMs = 0;
  try {
    historyRetentionMs = parseIsoDuration(settings.MAA_HISTORY_RETENTION);
    if (historyRetentionMs < 60 * 60 * 1000) problems.push('MAA_HISTORY_RETENTION: must be at least PT1H');
  } catch (error) {
    problems.push(`MAA_HISTORY_RETENTION: ${(error as Error).message}`);
  }
  const defaultTimeZone = validTimeZone(settings.MAA_DEFAULT_TIME_ZONE.trim());
  if (!defaultTimeZone)
    problems.push('MAA_DEFAULT_TIME_ZONE: must be an IANA time zone name such as Europe/Berlin or UTC');
  return {
    config: Object.freeze({
      historyRetentionMs,
      trustClientPrincipal: settings.WEBSITE_AUTH_ENABLED?.toLowerCase() === 'true',
      appInsightsConnectionString: settings.APPLICATIONINSIGHTS_CONNECTION_STRING,
      auditCheckpointSchedule: settings.MAA_AUDIT_CHECKPOINT_SCHEDULE.trim(),
      defaultTimeZone: defaultTimeZone ?? DEFAULT_TIME_ZONE,
    }),
    problems,
  };
}
