import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LinkKey } from './linkToken';

// Cross-site request forgery protection of the approval form. Three layers, each enough against a
// plain cross-site form post:
//
// 1. A hidden form field: HMAC-SHA256 (under the link-signing key, in its own domain) of the link
// id, the person acting and a per-browser nonce. Another site can neither read it from the page
// nor compute it.
// 2. The nonce lives in a `SameSite=Strict`, `HttpOnly` cookie, set when the page is shown: a post
// started on another site carries no cookie, so its field cannot match.
// 3. The browser's own provenance headers: `Origin` (when it names one) must be this service's
// public origin, and `Sec-Fetch-Site` (when sent) must be `same-origin`. The page sends
// `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` on form posts, so
// `null` is left to the other layers.

/** The cookie holding the nonce; scoped to the approval pages. */
export const CSRF_COOKIE = 'maa_link_csrf';
export const CSRF_COOKIE_PATH = '/api/approvals';
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/** A fresh nonce for a browser that has none (256 bits, base64url). */
export function newCsrfNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `value` looks like a nonce this module made (cookies are client-controlled). */
export function isCsrfNonce(value: string | undefined): value is string {
  return value !== undefined && NONCE.test(value);
}

/** The form field value binding `linkId`, the acting principal `subject` and the browser's `nonce`. */
export function csrfField(key: LinkKey, linkId: string, subject: string, nonce: string): string {
  return createHmac('sha256', key.secret)
    .update(`maa-link-csrf\n${linkId}\n${subject.toLowerCase()}\n${nonce}`)
    .digest('base64url');
}

/** Whether `field` is what {@link csrfField} gives under one of `keys` (so a key rotation between page and post does no harm). */
export function verifyCsrfField(
  keys: readonly LinkKey[],
  linkId: string,
  subject: string,
  nonce: string | undefined,
  field: string | undefined,
): boolean {
  if (!isCsrfNonce(nonce) || field === undefined) return false;
  const given = Buffer.from(field);
  return keys.some((key) => {
    const expected = Buffer.from(csrfField(key, linkId, subject, nonce));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/**
 * Whether the browser's provenance headers allow a post to `publicBaseUrl`: `Origin`, unless
 * absent or `null`, must be that origin, and `Sec-Fetch-Site`, when present, `same-origin`.
 */
export function sameOriginPost(headers: { get(name: string): string | null }, publicBaseUrl: string): boolean {
  const origin = headers.get('origin');
  if (origin !== null && origin !== 'null' && origin.toLowerCase() !== new URL(publicBaseUrl).origin.toLowerCase())
    return false;
  const site = headers.get('sec-fetch-site');
  return site === null || site === 'same-origin';
}

/** The value of cookie `name` in a `Cookie` header. */
export function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
