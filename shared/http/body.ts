import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { HttpError, type FieldError } from './problem';

/** Largest JSON body the API accepts (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Deepest nesting of arrays and objects a JSON body may have (the top-level value is depth 1).
 * Schema validation, hashing and storage all recurse over a body; nothing deeper ever reaches them.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * Reads and validates a JSON body. Fails with 415 when it is not JSON, 413 when it is larger than
 * {@link MAX_BODY_BYTES}, 400 `invalid_utf8` when its bytes are not UTF-8, 400 `invalid_json` when
 * it does not parse, 400 `body_too_deep` when it nests deeper than {@link MAX_BODY_DEPTH}, and 400
 * `validation_failed` with field errors when it does not match `schema`. An empty body counts as `{}`.
 */
export async function readJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.infer<S>> {
  const text = await readUtf8Body(request, MAX_BODY_BYTES, tooLarge);
  let value: unknown = {};
  if (text.trim().length > 0) {
    const type = (request.headers.get('content-type') ?? '').toLowerCase();
    if (!type.startsWith('application/json') && !/\+json\b/.test(type)) {
      throw new HttpError('unsupported_media_type');
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new HttpError('invalid_json', 'The body is not valid JSON', (error as Error).message);
    }
    if (jsonDepth(value) > MAX_BODY_DEPTH) {
      throw new HttpError(
        'body_too_deep',
        'The body is nested too deeply',
        `At most ${MAX_BODY_DEPTH} levels of arrays and objects are accepted.`,
      );
    }
  }
  return validate(schema, value, 'body');
}

/**
 * Reads a body of at most `maxBytes` as strict UTF-8: `tooLarge()` is thrown for a longer one
 * (declared or actual), 400 `invalid_utf8` for bytes that are not UTF-8 (never replaced by U+FFFD).
 */
export async function readUtf8Body(request: HttpRequest, maxBytes: number, tooLarge: () => Error): Promise<string> {
  if (Number(request.headers.get('content-length') ?? '0') > maxBytes) throw tooLarge();
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw tooLarge();
  return decodeUtf8(bytes);
}

/** Decodes strict UTF-8; 400 `invalid_utf8` otherwise. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidUtf8('body');
  }
}

/**
 * Splits `application/x-www-form-urlencoded` text (a form body or a query string) into its pairs,
 * in order. A percent-encoded sequence that is not UTF-8 is 400 `invalid_utf8` (URLSearchParams
 * would silently turn it into U+FFFD).
 */
export function parseUrlEncoded(text: string, where: 'body' | 'query'): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const [name, value] = equals < 0 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)];
    pairs.push([decodeComponent(name, where), decodeComponent(value, where)]);
  }
  return pairs;
}

function decodeComponent(text: string, where: 'body' | 'query'): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // A '%' not followed by two hex digits stays as it is (as URLSearchParams keeps it); only bytes
    // that are not UTF-8 are refused.
    const lenient = text.replace(/\+/g, ' ').replace(/%(?![0-9A-Fa-f]{2})/g, '%25');
    try {
      return decodeURIComponent(lenient);
    } catch {
      throw invalidUtf8(where);
    }
  }
}

function invalidUtf8(where: 'body' | 'query'): HttpError {
  return new HttpError('invalid_utf8', `The ${where} is not valid UTF-8`);
}

/**
 * The nesting depth of a parsed JSON value (a scalar is 0, `[]` and `{}` are 1), computed without
 * recursion so that any depth JSON.parse accepts is measured, never overflowing the stack.
 */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    const inner = depth + 1;
    if (inner > deepest) deepest = inner;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) pending.push([child, inner]);
    }
  }
  return deepest;
}

/**
 * Validates the query string against `schema` (each parameter once). A query whose percent-encoded
 * bytes are not UTF-8 is 400 `invalid_utf8` (the host would have replaced them with U+FFFD).
 */
export function readQuery<S extends z.ZodType>(request: HttpRequest, schema: S): z.infer<S> {
  parseUrlEncoded(new URL(request.url).search.slice(1), 'query');
  const query: Record<string, string> = {};
  for (const [key, value] of request.query.entries()) query[key] = value;
  return validate(schema, query, 'query');
}

/** Validates `value`, turning zod issues into field errors. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [undefined];
    return keys.map((key) => ({
      path: [where, ...issue.path.map(String), ...(key === undefined ? [] : [key])].join('.'),
      message: key === undefined ? issue.message : 'is not a known field',
    }));
  });
  throw new HttpError('validation_failed', `The ${where} is not valid`, undefined, errors);
}

function tooLarge(): HttpError {
  return new HttpError('payload_too_large', 'The body is too large', `At most ${MAX_BODY_BYTES} bytes are accepted.`);
}
