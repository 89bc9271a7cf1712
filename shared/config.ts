import path from 'node:path';
import { z } from 'zod';

const settingsSchema = z.object({
  /** Which store adapter holds requests, policies and the audit trail. */
  MAA_STORE: z.enum(['sqlite']).default('sqlite'),
  /** Folder for the SQLite store file (embedded default). */
  MAA_DATA_DIR: z.string().min(1).default('.data'),
});

/** The app's configuration, parsed once from the environment. */
export interface AppConfig {
  readonly store: { readonly kind: 'sqlite'; readonly file: string };
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
  return Object.freeze({
    store: Object.freeze({ kind: settings.MAA_STORE, file: path.resolve(settings.MAA_DATA_DIR, 'maa.sqlite') }),
  });
}

let cached: AppConfig | undefined;

/** The process's configuration (read from `process.env` on first use, then fixed). */
export function config(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
