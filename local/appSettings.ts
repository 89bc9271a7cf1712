import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The audit checkpoint timer's schedule when none is set (hourly, as in Azure by default). */
const AUDIT_CHECKPOINT_SCHEDULE_DEFAULT = '0 0 * * * *';

/** The mailbox local notifications are sent from (the local Graph accepts `sendMail` for it). */
export const LOCAL_MAIL_SENDER = 'maa-notifications@maa.test';

/**
 * The app settings the local runtime supplies for keys, links and notifications, the way Core Tools
 * applies local.settings.json: the app key in `<dataDir>/local-keys/app-key` and a link-signing key
 * in `<dataDir>/local-links/link-key` (0600, so commands and links survive restarts), links pointing at this runtime, App Service Authentication marked on
 * (the runtime plays it, see local/identity/signIn.ts), and email sent from
 * {@link LOCAL_MAIL_SENDER} into the local mailbox, and audit checkpoints hourly. Each setting is applied only when unset, so a
 * real configuration is never overridden. Returns the names set.
 */
export function applyLocalAppSettings(env: NodeJS.ProcessEnv, dataDir: string, origin: string): string[] {
  const applied: string[] = [];
  const set = (name: string, value: () => string) => {
    if ((env[name] ?? '').trim() !== '') return;
    env[name] = value();
    applied.push(name);
  };
  set('MAA_APP_KEY', () => localKey(dataDir, 'local-keys/app-key'));
  set('MAA_LINK_KEY', () => localKey(dataDir, 'local-links/link-key'));
  set('MAA_PUBLIC_BASE_URL', () => origin);
  // The runtime strips and sets the X-MS-CLIENT-PRINCIPAL* headers like App Service Authentication (local/identity/signIn.ts).
  set('WEBSITE_AUTH_ENABLED', () => 'True');
  set('MAA_MAIL_SENDER', () => LOCAL_MAIL_SENDER);
  set('MAA_AUDIT_CHECKPOINT_SCHEDULE', () => AUDIT_CHECKPOINT_SCHEDULE_DEFAULT);
  return applied;
}

/**
 * A persisted local key in `<dataDir>/<relative>` (0600), created on first use by `generate`
 * (by default `local-1:<base64 of 32 random bytes>`, the app's key-ring format); the same value on every later call.
 */
export function localKey(
  dataDir: string,
  relative: string,
  generate = () => `local-1:${randomBytes(32).toString('base64')}`,
): string {
  const file = path.join(dataDir, relative);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = generate();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${key}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return key;
}
