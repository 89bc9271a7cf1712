import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { localKey } from '../appSettings';

/** The host's name for the Durable extension's system key (`{extension}_extension`). */
export const SYSTEM_KEY_NAME = 'durabletask_extension';

/** Where the system key lives, relative to the data directory. */
export const SYSTEM_KEY_FILE = path.join('local-keys', SYSTEM_KEY_NAME);

/** The header that carries a key, as the Functions host reads it (it wins over the `code` query parameter). */
export const FUNCTIONS_KEY_HEADER = 'x-functions-key';

/** The absolute path of the system key file of `dataDir`. */
export function systemKeyPath(dataDir: string): string {
  return path.join(dataDir, SYSTEM_KEY_FILE);
}

/**
 * The Durable extension's system key of `dataDir`: 32 random bytes in base64url (safe in a query
 * string as is), generated on first start into {@link SYSTEM_KEY_FILE} (0600) and the same on
 * every later start over that data directory.
 */
export function loadSystemKey(dataDir: string): string {
  return localKey(dataDir, SYSTEM_KEY_FILE, () => randomBytes(32).toString('base64url'));
}

/**
 * The key a request presents, read as the Functions host reads it: the `x-functions-key` header
 * when the request has one (even an empty one), else the first `code` query parameter (its name
 * compared case-insensitively); `undefined` when it presents none.
 */
export function presentedKey(
  headers: Record<string, string | string[] | undefined>,
  query: URLSearchParams,
): string | undefined {
  const header = headers[FUNCTIONS_KEY_HEADER];
  if (header !== undefined) return Array.isArray(header) ? header[0] : header;
  for (const [name, value] of query) {
    if (name.toLowerCase() === 'code') return value;
  }
  return undefined;
}

/** Whether `presented` is `key`, compared in constant time (over digests, so lengths leak nothing either). */
export function keyMatches(presented: string | undefined, key: string): boolean {
  if (presented === undefined || presented === '') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(key));
}
