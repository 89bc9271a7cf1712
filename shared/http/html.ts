import type { Cookie, HttpResponseInit } from '@azure/functions';
import { PAGE_CSP } from '../views/html';

/**
 * An HTML response with the headers every page sends: the CSP, no sniffing, no framing, no
 * caching (pages show personal data) and no referrer (page URLs may be capabilities). `code`, for
 * refusals, is mirrored in `x-error-code` as in problem responses.
 */
export function htmlResponse(
  status: number,
  document: string,
  options: { code?: string; cookies?: Cookie[] } = {},
): HttpResponseInit {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      ...(options.code ? { 'x-error-code': options.code } : {}),
    },
    body: document,
    ...(options.cookies ? { cookies: options.cookies } : {}),
  };
}
