import { z } from 'zod';
import { healthSchema, problemSchema } from './schemas';

/** One operation of the public API, described by its zod schemas. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path, e.g. `/requests/{id}` (relative to the `/api` server). */
  path: string;
  summary: string;
  /** Who may call it. */
  security: 'none' | 'bearer';
  body?: z.ZodType;
  query?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Problem codes this operation can answer with (documented as problem+json responses). */
  problems?: string[];
}

/** The operations the API serves today; each new endpoint adds itself here. */
export const API_OPERATIONS: ApiOperation[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Whether the app and its store answer.',
    security: 'none',
    responses: { 200: { description: 'Healthy.', schema: healthSchema }, 503: { description: 'The store does not answer.' } },
    problems: ['store_unavailable'],
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document.',
    security: 'none',
    responses: { 200: { description: 'The OpenAPI 3.1 document.' } },
  },
];

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** The OpenAPI 3.1 document, generated from the zod schemas of {@link API_OPERATIONS}. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of API_OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } } : {}),
      };
    }
    if (operation.problems?.length) {
      responses.default = {
        description: `Problem details; code is one of: ${operation.problems.join(', ')}.`,
        content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output') } },
      };
    }
    const parameters = [...(operation.path.match(/\{(\w+)\}/g) ?? [])].map((part) => ({
      name: part.slice(1, -1),
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (operation.query) {
      const query = jsonSchema(operation.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: (query.required ?? []).includes(name), schema: schema as { type: string } });
      }
    }
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = {
      summary: operation.summary,
      ...(operation.security === 'bearer' ? { security: [{ entra: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(operation.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'multi-admin-approval',
      version,
      description: 'Four-eyes approval for privileged admin operations. Errors are RFC 9457 problem+json with a stable code.',
    },
    servers: [{ url: '/api' }],
    components: {
      securitySchemes: {
        entra: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Microsoft Entra ID access token for this API.' },
      },
    },
    paths,
  };
}
