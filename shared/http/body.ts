import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { HttpError, type FieldError } from './problem';

/** Largest JSON body the API accepts (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON body. Fails with 415 when it is not JSON, 413 when it is larger than
 * {@link MAX_BODY_BYTES}, 400 `invalid_json` when it does not parse, and 400 `validation_failed`
 * with field errors when it does not match `schema`. An empty body counts as `{}`.
 */
export async function readJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.infer<S>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
  let value: unknown = {};
  if (text.trim().length > 0) {
    const type = (request.headers.get('content-type') ?? '').toLowerCase();
    if (!type.startsWith('application/json') && !/\+json\b/.test(type)) {
      throw new HttpError(415, 'unsupported_media_type', 'The body must be application/json');
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, 'invalid_json', 'The body is not valid JSON', (error as Error).message);
    }
  }
  return validate(schema, value, 'body');
}

/** Validates the query string against `schema` (each parameter once). */
export function readQuery<S extends z.ZodType>(request: HttpRequest, schema: S): z.infer<S> {
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
  throw new HttpError(400, 'validation_failed', `The ${where} is not valid`, undefined, errors);
}

function tooLarge(): HttpError {
  return new HttpError(413, 'payload_too_large', 'The body is too large', `At most ${MAX_BODY_BYTES} bytes are accepted.`);
}
