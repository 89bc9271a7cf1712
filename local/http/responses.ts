import { randomUUID } from 'node:crypto';
import type { HostResponse } from '../host/httpHost';

/** A plain-text response. */
export function text(status: number, body: string): HostResponse {
  return { status, headers: [['content-type', 'text/plain; charset=utf-8']], body: Buffer.from(body) };
}

/** A JSON response. */
export function json(status: number, value: unknown, headers: [string, string][] = []): HostResponse {
  return {
    status,
    headers: [['content-type', 'application/json; charset=utf-8'], ...headers],
    body: Buffer.from(JSON.stringify(value)),
  };
}

/** An RFC 9457 problem with a stable `code` (mirrored in `x-error-code`), like the runtime's other local endpoints. */
export function problem(status: number, code: string, title: string, detail: string): HostResponse {
  return {
    status,
    headers: [
      ['content-type', 'application/problem+json'],
      ['x-error-code', code],
    ],
    body: Buffer.from(JSON.stringify({ type: 'about:blank', title, status, code, detail })),
  };
}

/** An OAuth 2.0 error response (RFC 6749 §5.2), as the Entra token endpoint sends it. */
export function oauthError(status: number, error: string, description: string): HostResponse {
  return json(status, {
    error,
    error_description: description,
    timestamp: new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z'),
    trace_id: randomUUID(),
  });
}

/** A Microsoft Graph error response: `{ error: { code, message, innerError } }`. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: [string, string][] = [],
): HostResponse {
  const requestId = randomUUID();
  return json(
    status,
    { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': requestId } } },
    [['request-id', requestId], ...headers],
  );
}

/** 405 naming the allowed methods. */
export function methodNotAllowed(allowed: string): HostResponse {
  return {
    status: 405,
    headers: [
      ['allow', allowed],
      ['content-type', 'text/plain; charset=utf-8'],
    ],
    body: Buffer.from('Method Not Allowed'),
  };
}
