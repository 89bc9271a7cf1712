import type { HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
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
export async function health(): Promise<HttpResponseInit> {
  const verdict = await getServices().storeHealth.check();
  if (verdict.ok) return { status: 200, jsonBody: { status: 'ok' } };
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
