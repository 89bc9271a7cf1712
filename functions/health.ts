import { app, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../shared/composition';
import { problemResponse } from '../shared/http/problem';

/** `GET /api/health`: 200 when the app and its store answer, 503 problem+json otherwise. */
export async function health(): Promise<HttpResponseInit> {
  try {
    await getServices().store.ping();
    return { status: 200, jsonBody: { status: 'ok' } };
  } catch {
    return problemResponse({ status: 503, code: 'store_unavailable', title: 'The store does not answer' });
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
