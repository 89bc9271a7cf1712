import type { Cookie, HttpResponseInit } from '@azure/functions';
import { PAGE_CSP } from '../views/html';
import { TIME_ZONE_COOKIE } from '../views/time';

/**
 * An HTML response with the headers every page sends: the CSP (`PAGE_CSP` unless a page family
 * brings its own, as strict), no sniffing, no framing, no caching (pages show personal data) and no
 * referrer (page URLs may be capabilities). `code`, for refusals, is mirrored in `x-error-code` as
 * in problem responses.
 */
export function htmlResponse(
  status: number,
  document: string,
  options: { code?: string; cookies?: Cookie[]; csp?: string } = {},
): HttpResponseInit {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': options.csp ?? PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      ...(options.code ? { 'x-error-code': options.code } : {}),
    },
    body: document,
    ...(options.cookies && options.cookies.length > 0 ? { cookies: options.cookies } : {}),
  };
}

/**
 * The cookie that keeps a viewer's chosen time zone for a year, for every page under `/api` (the
 * portal and the operations dashboard read the same one): a display preference, not readable by
 * script, `Secure` on HTTPS.
 */
export function timeZoneCookie(zone: string, secure: boolean): Cookie {
  return {
    name: TIME_ZONE_COOKIE,
    value: encodeURIComponent(zone),
    path: '/api',
    httpOnly: true,
    sameSite: 'Lax',
    secure,
    maxAge: 365 * 24 * 60 * 60,
  };
}
