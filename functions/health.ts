import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices } from '../shared/composition';
import { describeError } from '../shared/http/handler';
import { problemOf, problemResponse } from '../shared/http/problem';
import { httpRoute } from './routes';

const FAILURES = {
  'store.read': 'The store does not answer reads.',
  'store.write': 'The store answers reads but refuses writes (full, read-only or throttled).',
} as const;

/**
 * `GET /api/health`: 200 `{"status":"ok"}` when the store answers a read and takes a write, 503
 * problem+json `store_unavailable` otherwise, its detail naming the part that failed. The verdict
 * is reused for a few seconds, so polling it costs the store at most one small write that often.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { storeHealth } = getServices();
  const verdict = await storeHealth.check();
  if (verdict.ok) return { status: 200, jsonBody: { status: 'ok' } };
  context.warn(`health: ${verdict.failed} failed: ${describeError(storeHealth.lastError)}`);
  return problemResponse({
    ...problemOf(
      'store_unavailable',
      `${verdict.failed}: ${FAILURES[verdict.failed]}`,
      'The store cannot serve requests',
    ),
    retryAfterSeconds: 5,
  });
}

httpRoute('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
