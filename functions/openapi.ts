import type { HttpResponseInit } from '@azure/functions';
import { openApiDocument } from '../shared/api/openapi';
import { httpRoute } from './routes';

const API_VERSION = '1.0.0';
let cached: string | undefined;

/** `GET /api/openapi.json`: the OpenAPI 3.1 document generated from the zod schemas. */
export async function openapi(): Promise<HttpResponseInit> {
  cached ??= JSON.stringify(openApiDocument(API_VERSION));
  return { status: 200, headers: { 'content-type': 'application/json' }, body: cached };
}

httpRoute('openapi', { route: 'openapi.json', methods: ['GET'], authLevel: 'anonymous', handler: openapi });
