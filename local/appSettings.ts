import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The mailbox local notifications are sent from (the local Graph accepts `sendMail` for it). */
export const LOCAL_MAIL_SENDER = 'maa-notifications@maa.test';

/**
 * The app settings the local runtime supplies for links and notifications, the way Core Tools
 * applies local.settings.json: a link-signing key kept in `<dataDir>/local-links/link-key` (0600,
 * so links survive restarts), links pointing at this runtime, and email sent from
 * {@link LOCAL_MAIL_SENDER} into the local mailbox. Each setting is applied only when unset, so a
 * real configuration is never overridden. Returns the names set.
 */
export function applyLocalAppSettings(env: NodeJS.ProcessEnv, dataDir: string, origin: string): string[] {
  const applied: string[] = [];
  const set = (name: string, value: () => string) => {
    if ((env[name] ?? '').trim() !== '') return;
    env[name] = value();
    applied.push(name);
  };
  set('MAA_LINK_KEY', () => localLinkKey(dataDir));
  set('MAA_PUBLIC_BASE_URL', () => origin);
  set('MAA_MAIL_SENDER', () => LOCAL_MAIL_SENDER);
  return applied;
}

/** The persisted local link key (`local-1:<base64 of 32 random bytes>`), created on first use. */
function localLinkKey(dataDir: string): string {
  const file = path.join(dataDir, 'local-links', 'link-key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `local-1:${randomBytes(32).toString('base64')}`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${key}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return key;
}
