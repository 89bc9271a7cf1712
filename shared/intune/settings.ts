import { z } from 'zod';
import { parseIsoDuration } from '../domain/duration';
import { PROFILE_TYPES, type ProfileType } from '../domain/model';
import type { DeviceAction } from './catalogue/types';

/** The profile types the Graph executor performs in Intune unless configured otherwise. */
export const INTUNE_PROFILE_TYPES = [
  'deviceWipe',
  'deviceRetire',
  'deviceDelete',
  'app',
  'script',
  'compliancePolicy',
  'configurationPolicy',
  'role',
  'tenantConfiguration',
] as const satisfies readonly ProfileType[];

/** How the Graph executor runs (see docs/intune.md). */
export interface IntuneConfig {
  /** Daily caps per device action, per UTC day, for the whole tenant. */
  readonly dailyCaps: Readonly<Record<DeviceAction, number>>;
  /** How often an accepted device action is observed on the device (ms). */
  readonly followUpEveryMs: number;
  /** How long it is observed (ms). */
  readonly followUpForMs: number;
  /** The longest single `Retry-After` waited inside one execution (ms). */
  readonly maxRetryAfterMs: number;
  /** Profile types the service only releases (the `none` executor): the initiator performs them. */
  readonly releaseOnly: readonly ProfileType[];
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const CAPS = /^\s*(wipe|retire|delete)\s*=\s*(\d{1,6})\s*$/;

/** The Graph executor's settings' zod shape; shared/config.ts merges it into the app's settings schema. */
export const intuneSettingsShape = {
  /** `wipe=500,retire=1000,delete=1000`: the tenant's daily device-action caps (any subset; the rest keep Intune's). */
  MAA_DEVICE_ACTION_DAILY_CAPS: z.preprocess(blankIsUnset, z.string().optional()),
  /** ISO-8601: how often an accepted device action is observed on the device. */
  MAA_DEVICE_FOLLOW_UP_INTERVAL: z.preprocess(blankIsUnset, z.string().default('PT15M')),
  /** ISO-8601: how long an accepted device action is observed before its outcome is recorded as it stands. */
  MAA_DEVICE_FOLLOW_UP_DURATION: z.preprocess(blankIsUnset, z.string().default('P7D')),
  /** ISO-8601: the longest Graph `Retry-After` waited inside one execution; longer ones are retried later. */
  MAA_GRAPH_MAX_RETRY_AFTER: z.preprocess(blankIsUnset, z.string().default('PT30S')),
  /** Comma-separated profile types the service only releases (no executor acts; the initiator performs them). */
  MAA_RELEASE_ONLY_PROFILE_TYPES: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default('')
      .transform((text) =>
        text
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(PROFILE_TYPES).exclude(['operationApprovalPolicy']))),
  ),
};

export type IntuneSettings = z.output<z.ZodObject<typeof intuneSettingsShape>>;

/** Intune's own daily caps: 500 wipes, 1,000 retires, 1,000 deletes per tenant. */
export const INTUNE_DAILY_CAPS: Readonly<Record<DeviceAction, number>> = Object.freeze({
  wipe: 500,
  retire: 1000,
  delete: 1000,
});

/** Resolves parsed settings into an {@link IntuneConfig}, or lists every problem as `SETTING: message`. */
export function resolveIntuneConfig(settings: IntuneSettings): { config: IntuneConfig; problems: string[] } {
  const problems: string[] = [];
  const caps: Record<DeviceAction, number> = { ...INTUNE_DAILY_CAPS };
  for (const part of (settings.MAA_DEVICE_ACTION_DAILY_CAPS ?? '').split(',').filter((p) => p.trim() !== '')) {
    const match = CAPS.exec(part);
    if (!match) {
      problems.push(`MAA_DEVICE_ACTION_DAILY_CAPS: "${part.trim()}" is not <wipe|retire|delete>=<count>`);
      continue;
    }
    caps[match[1] as DeviceAction] = Number(match[2]);
  }
  const duration = (name: keyof IntuneSettings & `MAA_${string}`, value: string, min: number): number => {
    try {
      const ms = parseIsoDuration(value);
      if (ms >= min) return ms;
      problems.push(`${name}: must be at least ${min / 1000} s`);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
    return min;
  };
  const config: IntuneConfig = Object.freeze({
    dailyCaps: Object.freeze(caps),
    followUpEveryMs: duration('MAA_DEVICE_FOLLOW_UP_INTERVAL', settings.MAA_DEVICE_FOLLOW_UP_INTERVAL, 1000),
    followUpForMs: duration('MAA_DEVICE_FOLLOW_UP_DURATION', settings.MAA_DEVICE_FOLLOW_UP_DURATION, 1000),
    maxRetryAfterMs: duration('MAA_GRAPH_MAX_RETRY_AFTER', settings.MAA_GRAPH_MAX_RETRY_AFTER, 0),
    releaseOnly: Object.freeze([...settings.MAA_RELEASE_ONLY_PROFILE_TYPES]),
  });
  return { config, problems };
}
