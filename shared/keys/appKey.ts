import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

// The app's own secret, `MAA_APP_KEY` (`<key id>:<base64 secret>`, at least 32 bytes; a Key Vault
// reference in Azure, generated in the data dir locally), with the key it replaced,
// `MAA_APP_KEY_PREVIOUS`, still accepted so a rotation breaks nothing in flight. Each use gets its
// own subkey (HKDF-SHA256 with the purpose as info), so a MAC made for one purpose never verifies
// for another. MACs carry the key id; the current key makes them, the current or the previous
// verifies them.

/** One key: `id` travels with what it signs; `secret` never leaves the process. */
export interface AppKey {
  readonly id: string;
  readonly secret: Buffer;
}

/** The signing key first, then the previous key (verification only). */
export interface AppKeyRing {
  readonly current: AppKey;
  readonly previous?: AppKey;
}

/** What a MAC is for; each purpose has its own derived subkey. */
export type KeyPurpose = 'command' | 'continuation' | 'audit-checkpoint' | 'secret-seal';

/** A MAC and the id of the key that made it. */
export interface KeyedMac {
  readonly kid: string;
  /** base64url HMAC-SHA256 */
  readonly mac: string;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** Shortest accepted secret: 256 bits. */
export const MIN_SECRET_BYTES = 32;

/** Parses `<key id>:<base64 secret>`; the message names what is wrong, never the secret. */
export function parseKeySetting(text: string): AppKey {
  const colon = text.indexOf(':');
  if (colon < 0) throw new Error('must be "<key id>:<base64 secret>"');
  const id = text.slice(0, colon);
  const encoded = text.slice(colon + 1).trim();
  if (!KEY_ID.test(id)) throw new Error('key id must be 1-32 letters, digits, "-" or "_"');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new Error('secret must be base64');
  const secret = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (secret.length < MIN_SECRET_BYTES) throw new Error(`secret must be at least ${MIN_SECRET_BYTES} bytes`);
  return { id, secret };
}

const subkeys = new WeakMap<Buffer, Map<KeyPurpose, Buffer>>();

/** The HKDF subkey of `key` for `purpose` (32 bytes). */
export function subkey(key: AppKey, purpose: KeyPurpose): Buffer {
  let byPurpose = subkeys.get(key.secret);
  if (!byPurpose) subkeys.set(key.secret, (byPurpose = new Map()));
  let derived = byPurpose.get(purpose);
  if (!derived) {
    derived = Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), `multi-admin-approval/${purpose}`, 32));
    byPurpose.set(purpose, derived);
  }
  return derived;
}

function hmac(key: AppKey, purpose: KeyPurpose, message: string): Buffer {
  return createHmac('sha256', subkey(key, purpose)).update(message, 'utf8').digest();
}

/** The MAC of `message` for `purpose` under the ring's current key. */
export function macFor(ring: AppKeyRing, purpose: KeyPurpose, message: string): KeyedMac {
  return { kid: ring.current.id, mac: hmac(ring.current, purpose, message).toString('base64url') };
}

/**
 * Whether `mac` is the MAC of `message` for `purpose` under the ring's key `kid` (current or
 * previous). Compares in constant time; an unknown key id or a malformed MAC is simply false.
 */
export function verifyMac(ring: AppKeyRing, purpose: KeyPurpose, message: string, mac: KeyedMac): boolean {
  const key = [ring.current, ring.previous].find((candidate) => candidate?.id === mac.kid);
  if (!key || !/^[A-Za-z0-9_-]{43}$/.test(mac.mac)) return false;
  const given = Buffer.from(mac.mac, 'base64url');
  const expected = hmac(key, purpose, message);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
