import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { subkey, type AppKeyRing } from './appKey';

// Secrets inside an approved operation (a macOS unlock code) are stored sealed: AES-256-GCM under
// the app key's `secret-seal` subkey, a random 96-bit IV, and the request id and field name as
// associated data, so a sealed value opens only for the request and field it was sealed for. The
// sealed text (random per seal) is what the operation hash covers: the clear value is never hashed.

/** A sealed secret as it sits in a stored operation's payload. */
export interface SealedSecret {
  /** `<key id>.<base64url iv>.<base64url ciphertext+tag>` */
  sealed: string;
}

/** Whether `value` has the shape of a {@link SealedSecret}. */
export function isSealedSecret(value: unknown): value is SealedSecret {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { sealed?: unknown }).sealed === 'string'
  );
}

const aad = (requestId: string, field: string) => Buffer.from(`${requestId}\n${field}`, 'utf8');

/** Seals `clear` for field `field` of request `requestId` under the ring's current key. */
export function sealSecret(ring: AppKeyRing, requestId: string, field: string, clear: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', subkey(ring.current, 'secret-seal'), iv);
  cipher.setAAD(aad(requestId, field));
  const body = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { sealed: `${ring.current.id}.${iv.toString('base64url')}.${body.toString('base64url')}` };
}

/**
 * Opens a secret sealed by {@link sealSecret} for the same request and field, with the ring's
 * current or previous key; undefined when it does not open (another request or field, an unknown
 * key, a forged or damaged value).
 */
export function openSecret(
  ring: AppKeyRing,
  requestId: string,
  field: string,
  secret: SealedSecret,
): string | undefined {
  const [kid, iv, body, ...rest] = secret.sealed.split('.');
  const key = [ring.current, ring.previous].find((candidate) => candidate?.id === kid);
  if (!key || iv === undefined || body === undefined || rest.length > 0) return undefined;
  try {
    const ivBytes = Buffer.from(iv, 'base64url');
    const data = Buffer.from(body, 'base64url');
    if (ivBytes.length !== 12 || data.length < 16) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', subkey(key, 'secret-seal'), ivBytes);
    decipher.setAAD(aad(requestId, field));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
