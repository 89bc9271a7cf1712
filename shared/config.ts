import path from 'node:path';
import { z } from 'zod';
import { parseIsoDuration } from './domain/duration';
import { isDomainError } from './domain/errors';
import { PROFILE_TYPES, type ProfileType } from './domain/model';
import { appKeySettingsShape, resolveAppKeys } from './keys/settings';
import type { AppKeyRing } from './keys/appKey';
import { identitySettingsShape, resolveIdentityConfig, type IdentityConfig } from './identity/settings';
import { intuneSettingsShape, resolveIntuneConfig, type IntuneConfig } from './intune/settings';
import { linkSettingsShape, resolveLinksConfig, type LinksConfig } from './links/settings';
import { notificationSettingsShape, resolveNotificationsConfig, type NotificationsConfig } from './notify/settings';
import { opsSettingsShape, resolveOpsConfig, type OpsConfig } from './ops/settings';

/** The longest TTL Cosmos DB accepts on an item, in seconds. */
const MAX_TTL_SECONDS = 2_147_483_647;

/**
 * Whole seconds in a retention period (`P1Y`, `P90D`, `PT12H`...), read by the domain's duration
 * parser with nominal years (365 days) and months (30 days), since a retention period needs no
 * calendar. Undefined when `text` is not such a duration, is zero or has a fraction of a second.
 */
function retentionSeconds(text: string): number | undefined {
  let ms: number;
  try {
    ms = parseIsoDuration(text, { calendar: 'nominal' });
  } catch (error) {
    if (isDomainError(error)) return undefined;
    throw error;
  }
  return ms > 0 && ms % 1000 === 0 ? ms / 1000 : undefined;
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const settingsSchema = z
  .object({
    ...appKeySettingsShape,
    ...identitySettingsShape,
    ...linkSettingsShape,
    ...notificationSettingsShape,
    ...opsSettingsShape,
    ...intuneSettingsShape,
    /** How long a command waits for its orchestration to apply or refuse it (ISO-8601, at most PT60S; PT0S answers 202 at once). */
    MAA_COMMAND_WAIT: z.preprocess(blankIsUnset, z.string().default('PT10S')),
    /** Which store adapter holds requests, policies and the audit trail (cosmos when only COSMOS_ENDPOINT is set). */
    MAA_STORE: z.enum(['sqlite', 'cosmos']).optional(),
    /** Folder for the SQLite store file (embedded default). */
    MAA_DATA_DIR: z.string().min(1).default('.data'),
    /** Cosmos DB account endpoint, e.g. `https://<account>.documents.azure.com:443/`. */
    COSMOS_ENDPOINT: z.url().optional(),
    /** Cosmos DB account key, for emulators only; without it the app authenticates with its managed identity. */
    COSMOS_KEY: z.string().min(1).optional(),
    /** Cosmos DB database name. */
    COSMOS_DATABASE: z.string().min(1).max(255).default('maa'),
    /** Where the webhook executor POSTs completed operations (for the profile types in MAA_WEBHOOK_PROFILE_TYPES). */
    MAA_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** HMAC-SHA256 key the webhook executor signs with (a Key Vault reference in Azure). */
    MAA_WEBHOOK_SECRET: z.string().min(16).optional(),
    /** Comma-separated profile types executed by the webhook; the others use the `none` executor. */
    MAA_WEBHOOK_PROFILE_TYPES: z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(PROFILE_TYPES).exclude(['operationApprovalPolicy'])))
      .default([]),
    /** How long closed requests stay in the read model after their last change (ISO-8601 duration); unset keeps them. */
    MAA_CLOSED_REQUEST_TTL: z
      .string()
      .refine((text) => (retentionSeconds(text) ?? 0) <= MAX_TTL_SECONDS && retentionSeconds(text) !== undefined, {
        message: 'must be a positive ISO-8601 duration such as P90D or P1Y, at most about 68 years',
      })
      .optional(),
  })
  .superRefine((settings, context) => {
    if (settings.MAA_WEBHOOK_PROFILE_TYPES.length > 0 && (!settings.MAA_WEBHOOK_URL || !settings.MAA_WEBHOOK_SECRET)) {
      context.addIssue({
        code: 'custom',
        path: ['MAA_WEBHOOK_URL'],
        message: 'MAA_WEBHOOK_URL and MAA_WEBHOOK_SECRET are required when MAA_WEBHOOK_PROFILE_TYPES is set',
      });
    }
    const both = settings.MAA_WEBHOOK_PROFILE_TYPES.filter((type) =>
      settings.MAA_RELEASE_ONLY_PROFILE_TYPES.includes(type),
    );
    if (both.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['MAA_RELEASE_ONLY_PROFILE_TYPES'],
        message: `${both.join(', ')} cannot be both executed by the webhook and only released`,
      });
    }
    if (settings.MAA_STORE === 'cosmos' && !settings.COSMOS_ENDPOINT) {
      context.addIssue({ code: 'custom', path: ['COSMOS_ENDPOINT'], message: 'is required when MAA_STORE is cosmos' });
    }
  });

/** Where the SQLite store keeps its file. */
export interface SqliteStoreConfig {
  readonly kind: 'sqlite';
  readonly file: string;
  /** Retention of closed requests in seconds; undefined keeps them forever. */
  readonly closedRequestTtlSeconds?: number;
}

/** How to reach the Cosmos DB store. `key` is set only for emulators; otherwise managed identity is used. */
export interface CosmosStoreConfig {
  readonly kind: 'cosmos';
  /** No file: the data lives in Cosmos DB (present so `store.file` reads without narrowing). */
  readonly file?: undefined;
  readonly endpoint: string;
  readonly key?: string;
  readonly database: string;
  /** Retention of closed requests in seconds; undefined keeps them forever. */
  readonly closedRequestTtlSeconds?: number;
}

/** The app's configuration, parsed once from the environment. */
export interface AppConfig {
  readonly store: SqliteStoreConfig | CosmosStoreConfig;
  /** Authentication and group-membership settings (see shared/identity/settings.ts). */
  readonly identity: IdentityConfig;
  /** Executors by profile type: the webhook for the listed types, `none` for the release-only ones, Graph for the rest. */
  readonly executors: ExecutorsConfig;
  /** The Graph executor's caps, follow-up and retry bounds, and the release-only types (see shared/intune/settings.ts). */
  readonly intune: IntuneConfig;
  /** The app's own key ring: signs commands, continuation tokens and audit checkpoints (see shared/keys/appKey.ts). */
  readonly appKeys: AppKeyRing;
  /** Signed approval links (see shared/links/settings.ts); undefined when no link key is set. */
  readonly links: LinksConfig | undefined;
  /** Notification channels (see shared/notify/settings.ts). */
  readonly notifications: NotificationsConfig;
  /** History retention, dashboard sign-in and telemetry (see shared/ops/settings.ts). */
  readonly ops: OpsConfig;
  /** How long a command waits for its orchestration to apply or refuse it, in ms (0: answer 202 at once). */
  readonly commandWaitMs: number;
}

/** The webhook target and the profile types it executes. */
export interface ExecutorsConfig {
  readonly webhook?: { readonly url: string; readonly secret: string; readonly profileTypes: readonly ProfileType[] };
}

/** Thrown when the environment does not describe a valid configuration. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `env` into a frozen configuration; throws {@link ConfigError} naming every bad setting. */
export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid settings: ${problems.join('; ')}`);
  }
  const settings = parsed.data;
  const identity = resolveIdentityConfig(settings);
  const links = resolveLinksConfig(settings);
  const notifications = resolveNotificationsConfig(settings);
  const ops = resolveOpsConfig(settings);
  const appKeys = resolveAppKeys(settings);
  const intune = resolveIntuneConfig(settings);
  const problems = [
    ...intune.problems,
    ...appKeys.problems,
    ...identity.problems,
    ...links.problems,
    ...notifications.problems,
    ...ops.problems,
  ];
  const commandWait = commandWaitMs(settings.MAA_COMMAND_WAIT);
  if (typeof commandWait === 'string') problems.push(`MAA_COMMAND_WAIT: ${commandWait}`);
  if (problems.length > 0) throw new ConfigError(`invalid settings: ${problems.join('; ')}`);
  const executors: ExecutorsConfig = Object.freeze(
    settings.MAA_WEBHOOK_URL && settings.MAA_WEBHOOK_SECRET && settings.MAA_WEBHOOK_PROFILE_TYPES.length > 0
      ? {
          webhook: Object.freeze({
            url: settings.MAA_WEBHOOK_URL,
            secret: settings.MAA_WEBHOOK_SECRET,
            profileTypes: Object.freeze([...settings.MAA_WEBHOOK_PROFILE_TYPES]),
          }),
        }
      : {},
  );
  const common = {
    appKeys: appKeys.config!,
    identity: identity.config,
    executors,
    intune: intune.config,
    links: links.config,
    notifications: notifications.config,
    ops: ops.config,
    commandWaitMs: commandWait as number,
  };
  const kind = settings.MAA_STORE ?? (settings.COSMOS_ENDPOINT ? 'cosmos' : 'sqlite');
  const ttl =
    settings.MAA_CLOSED_REQUEST_TTL === undefined ? undefined : retentionSeconds(settings.MAA_CLOSED_REQUEST_TTL);
  if (kind === 'cosmos' && settings.COSMOS_ENDPOINT) {
    const store: CosmosStoreConfig = {
      kind,
      endpoint: settings.COSMOS_ENDPOINT,
      database: settings.COSMOS_DATABASE,
      ...(settings.COSMOS_KEY === undefined ? {} : { key: settings.COSMOS_KEY }),
      ...(ttl === undefined ? {} : { closedRequestTtlSeconds: ttl }),
    };
    return Object.freeze({ store: Object.freeze(store), ...common });
  }
  return Object.freeze({
    store: Object.freeze({
      kind: 'sqlite' as const,
      file: path.resolve(settings.MAA_DATA_DIR, 'maa.sqlite'),
      ...(ttl === undefined ? {} : { closedRequestTtlSeconds: ttl }),
    }),
    ...common,
  });
}

/** The longest a command may wait for its orchestration: a client's own timeout is usually longer. */
/** Below the 30 s the `maa` CLI and most HTTP clients wait for an answer. */
const MAX_COMMAND_WAIT_MS = 25_000;

/** `MAA_COMMAND_WAIT` in milliseconds, or what is wrong with it. */
function commandWaitMs(text: string): number | string {
  let ms: number;
  try {
    ms = parseIsoDuration(text);
  } catch (error) {
    if (isDomainError(error)) return error.message;
    throw error;
  }
  return ms <= MAX_COMMAND_WAIT_MS ? ms : 'must be at most PT25S (clients such as maa give up after 30 s)';
}

let cached: AppConfig | undefined;

/** The process's configuration (read from `process.env` on first use, then fixed). */
export function config(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
