import { randomUUID } from 'node:crypto';

/** The header a caller may send to tie its request to our logs; we echo it (or the id we made) back. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** What a caller-supplied id may look like: short, no spaces or control characters (it ends up in logs). */
const ACCEPTABLE = /^[A-Za-z0-9._:@-]{1,128}$/;

const assigned = new WeakMap<object, string>();

/**
 * The correlation id of an HTTP request: its `x-correlation-id` when acceptable, else a new UUID.
 * Remembered per request object, so the invocation hook and the handler see the same id.
 */
export function correlationIdOf(request: { headers: { get(name: string): string | null } }): string {
  let id = assigned.get(request);
  if (id === undefined) {
    const sent = request.headers.get(CORRELATION_HEADER)?.trim();
    id = sent !== undefined && ACCEPTABLE.test(sent) ? sent : randomUUID();
    assigned.set(request, id);
  }
  return id;
}

/** Activity inputs and orchestration inputs carry the id of the HTTP request that caused them. */
export interface Correlated {
  correlationId?: string;
}

/** The correlation id an activity or orchestration input carries, if any. */
export function correlationIdIn(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const id = (input as Correlated).correlationId;
  return typeof id === 'string' ? id : undefined;
}
