import { z } from 'zod';
import {
  policyListItemSchema,
  policyViewSchema,
  approvalRequestSchema,
  auditPageSchema,
  decisionBodySchema,
  healthSchema,
  linkDecisionFormSchema,
  getRequestQuerySchema,
  listRequestsQuerySchema,
  auditQuerySchema,
  auditRangeQuerySchema,
  pageQuerySchema,
  pageSchema,
  policyChangeBodySchema,
  policyDeleteBodySchema,
  catalogueRequestBodySchema,
  problemSchema,
  evaluationSchema,
} from './schemas';
import {
  checkpointsQuerySchema,
  dashboardQuerySchema,
  dashboardRequestsQuerySchema,
  dashboardStuckQuerySchema,
  instancesQuerySchema,
  operatorActionBodySchema,
} from '../ops/schemas';
import { statusOf, type ErrorCode } from '../errors/registry';
import { AUDIT_CSV_COLUMNS } from '../views/auditExport';
import {
  portalCommandFormSchema,
  portalListQuerySchema,
  portalNewQuerySchema,
  portalSubmitFormSchema,
  portalZoneFormSchema,
} from '../views/portalForms';

const applied = {
  description:
    'Applied: the orchestration applied the command within the wait (MAA_COMMAND_WAIT); the request as it now is.',
  schema: approvalRequestSchema,
};
const accepted = {
  description:
    'Sent, not yet applied within the wait (or no wait is set): the request as it stands, with Location and Retry-After.',
  schema: approvalRequestSchema,
};
/** What the orchestration may refuse a sent command with, heard within the wait. */
const ORCHESTRATION_REFUSALS: ErrorCode[] = ['command_refused', 'membership_unavailable', 'forbidden'];
const AUTH_PROBLEMS: ErrorCode[] = [
  'missing_token',
  'invalid_token',
  'expired_token',
  'forbidden',
  'validation_failed',
  'invalid_json',
  'invalid_utf8',
  'body_too_deep',
  'payload_too_large',
  'unsupported_media_type',
  'method_not_allowed',
  'store_unavailable',
];

/** What a link page may refuse with, whether it is shown or posted. */
const LINK_REFUSED: ErrorCode[] = [
  'link_malformed',
  'sign_in_required',
  'link_invalid',
  'wrong_approver',
  'not_an_approver',
  'forbidden',
  'self_approval',
  'links_disabled',
  'not_found',
  'already_decided',
  'invalid_state',
  'expired',
  'operation_mismatch',
];

/** One operation of the public API, described by its zod schemas. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path, e.g. `/requests/{id}` (relative to the `/api` server). */
  path: string;
  summary: string;
  /** Who may call it. */
  security: 'none' | 'bearer';
  body?: z.ZodType;
  /** How the body is encoded; JSON unless said otherwise. */
  bodyMediaType?: 'application/json' | 'application/x-www-form-urlencoded';
  query?: z.ZodType;
  /**
   * `html`: the response is a server-rendered page, not JSON. `files`: the response may also be
   * an audit export (`text/csv`, `application/x-ndjson`), chosen by `Accept` or `format`.
   */
  responses: Record<number, { description: string; schema?: z.ZodType; html?: true; files?: true }>;
  /** Problem codes this operation can answer with (problem+json responses, one per registry status). */
  problems?: ErrorCode[];
  /** Refusal codes of an HTML page (refusal pages with the code in `x-error-code`, one response per registry status). */
  refusals?: ErrorCode[];
}

/** The operations the API serves today; each new endpoint adds itself here. */
export const API_OPERATIONS: ApiOperation[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Whether the app and its store answer.',
    security: 'none',
    responses: {
      200: { description: 'Healthy.', schema: healthSchema },
      503: { description: 'The store does not answer a read or refuses a write; the detail names which.' },
    },
    problems: ['store_unavailable', 'method_not_allowed'],
  },
  {
    method: 'post',
    path: '/requests',
    summary:
      'Submit a request for a protected operation, one of the catalogue (docs/catalogue.md); optional Idempotency-Key header.',
    security: 'bearer',
    body: catalogueRequestBodySchema,
    responses: { 202: { description: 'Submitted; Location names the request.', schema: approvalRequestSchema } },
    problems: [
      ...AUTH_PROBLEMS,
      'no_applicable_policy',
      'use_policies_api',
      'entity_locked',
      'idempotency_key_reused',
      'invalid_request',
      'target_not_found',
      'graph_unavailable',
      'orchestration_unavailable',
    ],
  },
  {
    method: 'post',
    path: '/requests/evaluate',
    summary:
      'Dry run of a submit (same body): whether a policy protects it, approvals needed and why, who could approve, the target and the Graph calls; writes nothing.',
    security: 'bearer',
    body: catalogueRequestBodySchema,
    responses: { 200: { description: 'The evaluation.', schema: evaluationSchema } },
    problems: [...AUTH_PROBLEMS, 'use_policies_api', 'invalid_request', 'target_not_found', 'graph_unavailable'],
  },
  {
    method: 'get',
    path: '/requests',
    summary:
      'List requests: mine, received (I may decide on them) or all (operators); newest first; filtered by status, profileType, initiator, target (resource id) and createdFrom/createdTo.',
    security: 'bearer',
    query: listRequestsQuerySchema,
    responses: { 200: { description: 'A page of requests.', schema: pageSchema(approvalRequestSchema) } },
    problems: [...AUTH_PROBLEMS, 'invalid_continuation'],
  },
  {
    method: 'get',
    path: '/requests/{id}',
    summary:
      'One request (its initiator, eligible approvers and operators); with waitFor, a bounded long-poll (x-maa-wait: reached or timeout).',
    security: 'bearer',
    query: getRequestQuerySchema,
    responses: { 200: { description: 'The request.', schema: approvalRequestSchema } },
    problems: [...AUTH_PROBLEMS, 'not_found'],
  },
  ...(['approve', 'reject'] as const).map((kind): ApiOperation => ({
    method: 'post',
    path: `/requests/{id}/${kind}`,
    summary:
      kind === 'approve'
        ? 'Approve (eligible approvers; notes optional).'
        : 'Reject (eligible approvers; notes required).',
    security: 'bearer',
    body: decisionBodySchema,
    responses: { 200: applied, 202: accepted },
    problems: [
      ...AUTH_PROBLEMS,
      'not_found',
      'self_approval',
      'not_an_approver',
      'already_decided',
      'invalid_state',
      'expired',
      'notes_required',
      ...ORCHESTRATION_REFUSALS,
    ],
  })),
  ...(['cancel', 'complete'] as const).map((kind): ApiOperation => ({
    method: 'post',
    path: `/requests/{id}/${kind}`,
    summary:
      kind === 'cancel'
        ? 'Cancel (initiator; while needsApproval or approved).'
        : 'Complete (initiator; when approved): executes the stored operation.',
    security: 'bearer',
    responses: { 200: applied, 202: accepted },
    problems: [...AUTH_PROBLEMS, 'not_found', 'not_initiator', 'invalid_state', 'expired', ...ORCHESTRATION_REFUSALS],
  })),
  {
    method: 'get',
    path: '/requests/{id}/audit',
    summary:
      "The request's audit trail in order, and whether its hash chain verifies; the whole trail as CSV or JSON Lines with Accept: text/csv or application/x-ndjson (or format=csv|ndjson).",
    security: 'bearer',
    query: auditQuerySchema,
    responses: {
      200: {
        description:
          'A page of audit records (JSON), or the whole trail as CSV or JSON Lines, each record with chainValid.',
        schema: auditPageSchema,
        files: true,
      },
    },
    problems: [...AUTH_PROBLEMS, 'not_found', 'invalid_continuation'],
  },
  {
    method: 'get',
    path: '/audit',
    summary:
      "Operators: every audit record written in [from, to), across requests, in (at, requestId, seq) order, as CSV or JSON Lines (Accept or format; default JSON Lines), streamed; each record with its request's chainValid.",
    security: 'bearer',
    query: auditRangeQuerySchema,
    responses: { 200: { description: 'The records as CSV or JSON Lines.', files: true } },
    problems: [...AUTH_PROBLEMS],
  },
  {
    method: 'get',
    path: '/policies',
    summary: 'List access policies.',
    security: 'bearer',
    query: pageQuerySchema,
    responses: {
      200: {
        description: 'A page of policies, each with its approver-pool health.',
        schema: pageSchema(policyListItemSchema),
      },
    },
    problems: [...AUTH_PROBLEMS, 'invalid_continuation'],
  },
  {
    method: 'get',
    path: '/policies/{id}',
    summary: 'One access policy.',
    security: 'bearer',
    responses: { 200: { description: 'The policy and its approver-pool health.', schema: policyViewSchema } },
    problems: [...AUTH_PROBLEMS, 'not_found'],
  },
  {
    method: 'post',
    path: '/policies',
    summary: 'Request a new policy (an operationApprovalPolicy request, applied on completion).',
    security: 'bearer',
    body: policyChangeBodySchema,
    responses: { 202: { description: 'The policy change request.', schema: approvalRequestSchema } },
    problems: [
      ...AUTH_PROBLEMS,
      'invalid_policy',
      'policy_exists',
      'unknown_group',
      'entity_locked',
      'orchestration_unavailable',
    ],
  },
  {
    method: 'put',
    path: '/policies/{id}',
    summary: 'Request a change to a policy (applied on completion).',
    security: 'bearer',
    body: policyChangeBodySchema,
    responses: { 202: { description: 'The policy change request.', schema: approvalRequestSchema } },
    problems: [
      ...AUTH_PROBLEMS,
      'not_found',
      'invalid_policy',
      'unknown_group',
      'entity_locked',
      'orchestration_unavailable',
    ],
  },
  {
    method: 'delete',
    path: '/policies/{id}',
    summary: 'Request the deletion of a policy (applied on completion).',
    security: 'bearer',
    body: policyDeleteBodySchema,
    responses: { 202: { description: 'The policy change request.', schema: approvalRequestSchema } },
    problems: [...AUTH_PROBLEMS, 'not_found', 'entity_locked', 'orchestration_unavailable'],
  },
  {
    method: 'get',
    path: '/approvals/{token}',
    summary:
      'The approval link of a notification: an HTML review page for the approver it was issued to (signed in through App Service Authentication), with an approve/reject form. Changes nothing. Refusals are HTML pages with their code in x-error-code.',
    security: 'none',
    responses: {
      200: { description: 'The review page, or the decision already made through this link.', html: true },
    },
    refusals: [...LINK_REFUSED, 'link_expired'],
  },
  {
    method: 'post',
    path: '/approvals/{token}',
    summary:
      "Decide through an approval link, once: the review page's form post (CSRF-protected). Answers with an HTML result page.",
    security: 'none',
    body: linkDecisionFormSchema,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: {
      200: { description: 'The decision was applied; the page shows the request as it now stands.', html: true },
      202: { description: 'The decision was sent and is not visible yet.', html: true },
    },
    refusals: [
      ...LINK_REFUSED,
      'invalid_form',
      'notes_required',
      'csrf_failed',
      'link_expired',
      'link_used',
      'membership_unavailable',
    ],
  },
  // The operators' API (MAA.Operator only); its JSON answers are described in docs/operations.md.
  {
    method: 'get',
    path: '/ops/summary',
    summary:
      "Operators: counts by status, oldest open request, expiring within 24 h, failures, hourly activity, time to decision, and every policy's approver-pool health (approverPools).",
    security: 'bearer',
    responses: { 200: { description: 'The summary.' } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator'],
  },
  {
    method: 'get',
    path: '/ops/instances',
    summary: 'Operators: Durable instances, newest first, filtered by runtime status and creation time.',
    security: 'bearer',
    query: instancesQuerySchema,
    responses: { 200: { description: '{ items, continuationToken? }.' } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'invalid_continuation'],
  },
  {
    method: 'get',
    path: '/ops/instances/{id}',
    summary: 'Operators: one instance with its history summary, its request and audit trail, and whether they agree.',
    security: 'bearer',
    responses: { 200: { description: 'The instance, request, trail and consistency verdict.' } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'not_found'],
  },
  {
    method: 'get',
    path: '/ops/stuck',
    summary:
      'Operators: open requests whose orchestration is missing, failed, terminated, finished early, disagrees, or is past expiry.',
    security: 'bearer',
    query: pageQuerySchema,
    responses: { 200: { description: '{ items, scanned, continuationToken? }.' } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'invalid_continuation'],
  },
  {
    method: 'get',
    path: '/ops/audit/checkpoints',
    summary:
      'Operators: stored audit checkpoint digests after sequence number `after`, oldest first (the digest format is in docs/audit-trail.md).',
    security: 'bearer',
    query: checkpointsQuerySchema,
    responses: { 200: { description: '{ items, nextAfter? }.' } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator'],
  },
  {
    method: 'get',
    path: '/ops/audit/checkpoints/latest',
    summary: 'Operators: the newest audit checkpoint digest, to keep outside the store.',
    security: 'bearer',
    responses: { 200: { description: 'The digest.' } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'not_found'],
  },
  {
    method: 'post',
    path: '/ops/instances/{id}/terminate',
    summary: 'Operators: stop the orchestration and cancel the request, with the reason in its trail.',
    security: 'bearer',
    body: operatorActionBodySchema,
    responses: { 200: { description: 'The cancelled request.', schema: approvalRequestSchema } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'not_found', 'invalid_state', 'terminate_pending'],
  },
  {
    method: 'post',
    path: '/ops/requests/{id}/redrive',
    summary: 'Operators: start a request that never got its orchestration, or run a failed execution again.',
    security: 'bearer',
    body: operatorActionBodySchema,
    responses: {
      202: {
        description: 'Started or claimed; the outcome shows in the request and its trail.',
        schema: approvalRequestSchema,
      },
    },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'not_found', 'invalid_state'],
  },
  {
    method: 'get',
    path: '/ops/dashboard',
    summary:
      'Operators: the dashboard page (App Service Authentication sign-in, or a bearer token); `tz` shows times in that zone and remembers it in the `maa-tz` cookie.',
    security: 'bearer',
    query: dashboardQuerySchema,
    responses: { 200: { description: 'The dashboard.', html: true } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'validation_failed'],
  },
  {
    method: 'get',
    path: '/ops/dashboard/requests',
    summary: 'Operators: every request, newest first, filtered as the API filters, a page at a time (HTML).',
    security: 'bearer',
    query: dashboardRequestsQuerySchema,
    responses: { 200: { description: 'The request list page.', html: true } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'validation_failed', 'invalid_continuation'],
  },
  {
    method: 'get',
    path: '/ops/dashboard/stuck',
    summary: 'Operators: the stuck requests among a page of open requests, oldest first (HTML).',
    security: 'bearer',
    query: dashboardStuckQuerySchema,
    responses: { 200: { description: 'The stuck list page.', html: true } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'validation_failed', 'invalid_continuation'],
  },
  {
    method: 'get',
    path: '/ops/dashboard/instances/{id}',
    summary: "Operators: one instance's page.",
    security: 'bearer',
    query: dashboardQuerySchema,
    responses: { 200: { description: 'The instance page.', html: true } },
    problems: [...AUTH_PROBLEMS, 'not_an_operator', 'not_found', 'validation_failed'],
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document.',
    security: 'none',
    responses: { 200: { description: 'The OpenAPI 3.1 document.' } },
  },
  // The portal's pages (docs/portal.md): signed in through App Service Authentication; someone not
  // signed in is redirected (303) to sign in and back. Refusals are HTML pages with x-error-code.
  {
    method: 'get',
    path: '/portal',
    summary: "The portal's home: what waits for the signed-in person's decision, and their open requests.",
    security: 'none',
    responses: { 200: { description: 'The home page.', html: true }, 303: { description: 'Sign in first.' } },
    refusals: ['missing_token'],
  },
  {
    method: 'get',
    path: '/portal/requests',
    summary: 'A page of My requests, Received requests or (operators) All requests, filtered, with a Next link.',
    security: 'none',
    query: portalListQuerySchema,
    responses: { 200: { description: 'The list.', html: true }, 303: { description: 'Sign in first.' } },
    refusals: ['validation_failed', 'invalid_continuation', 'forbidden'],
  },
  {
    method: 'get',
    path: '/portal/requests/{id}',
    summary:
      'A request in full: target, changes, exact calls, decisions, execution, the audit trail with its chain verdict, and the forms of what the viewer may do.',
    security: 'none',
    responses: { 200: { description: 'The request page.', html: true }, 303: { description: 'Sign in first.' } },
    refusals: ['not_found'],
  },
  {
    method: 'post',
    path: '/portal/requests/{id}',
    summary:
      "Approve or reject (with notes), cancel or complete, through the same rules and orchestration as the API; 303 back to the request's page with the outcome.",
    security: 'none',
    body: portalCommandFormSchema,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: { 303: { description: "Back to the request's page, the outcome named in its query." } },
    refusals: ['validation_failed', 'csrf_failed', 'notes_required', 'not_found'],
  },
  {
    method: 'get',
    path: '/portal/requests/{id}/audit.csv',
    summary: "The request's audit trail as CSV, each row with the chain verdict (chainValid).",
    security: 'none',
    responses: { 200: { description: 'text/csv; charset=utf-8, as an attachment.' } },
    refusals: ['not_found'],
  },
  {
    method: 'get',
    path: '/portal/new',
    summary:
      'The submit form: an operation of the catalogue, its target (with a managed-device search), the justification.',
    security: 'none',
    query: portalNewQuerySchema,
    responses: { 200: { description: 'The form, with the devices found.', html: true } },
    refusals: ['validation_failed'],
  },
  {
    method: 'post',
    path: '/portal/new',
    summary:
      "step=preview: the dry run of the submit; step=submit: the submit (one request per idempotency key), 303 to the new request's page. Bad input: the form with its field errors.",
    security: 'none',
    body: portalSubmitFormSchema,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: {
      200: { description: 'The preview.', html: true },
      303: { description: "The new request's page." },
    },
    refusals: [
      'validation_failed',
      'csrf_failed',
      'no_applicable_policy',
      'forbidden',
      'target_not_found',
      'entity_locked',
      'no_eligible_approver',
      'graph_unavailable',
      'idempotency_key_reused',
    ],
  },
  {
    method: 'post',
    path: '/portal/zone',
    summary: 'The time zone the pages show times in, kept in the maa-tz cookie; 303 back.',
    security: 'none',
    body: portalZoneFormSchema,
    bodyMediaType: 'application/x-www-form-urlencoded',
    responses: { 303: { description: 'Back to the page the setting was changed on.' } },
    refusals: ['validation_failed', 'csrf_failed'],
  },
];

/**
 * Turns zod schemas into the document's JSON schemas. zod gives a recursive schema (a JSON value)
 * its own `$defs` with `#/$defs/...` references, which inside an OpenAPI document would resolve
 * against the document's root; so the definitions move to `components.schemas`, each distinct one
 * once, and the references follow them.
 */
class SchemaWriter {
  readonly components: Record<string, unknown> = {};
  private readonly names = new Map<string, string>();

  write(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
    const {
      $schema: _ignored,
      $defs,
      ...rest
    } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      // zod leaves out the examples of a schema that transforms when it describes the input; the
      // examples given through .meta() are request bodies, so they belong there.
      override: ({ zodSchema, jsonSchema }) => {
        const examples = z.globalRegistry.get(zodSchema)?.examples;
        if (examples !== undefined && jsonSchema.examples === undefined) jsonSchema.examples = examples as unknown[];
      },
    }) as Record<string, unknown>;
    const definitions = Object.entries(($defs ?? {}) as Record<string, unknown>);
    if (definitions.length === 0) return rest;
    const local = new Map<string, string>();
    for (const [name, definition] of definitions) {
      const text = JSON.stringify(definition);
      const taken = new Set(this.names.values());
      const named = name.startsWith('__') || taken.has(name) ? `Schema${this.names.size + 1}` : name;
      const shared = this.names.get(text) ?? named;
      this.names.set(text, shared);
      local.set(name, shared);
    }
    const moved = (value: unknown) =>
      JSON.parse(
        JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_, name: string) =>
          JSON.stringify(`#/components/schemas/${local.get(name) ?? name}`),
        ),
      ) as Record<string, unknown>;
    for (const [name, definition] of definitions) this.components[local.get(name)!] ??= moved(definition);
    return moved(rest);
  }
}

/** `codes` grouped by their registry status, in ascending status order. */
function byStatus(codes: readonly ErrorCode[]): [string, ErrorCode[]][] {
  const groups = new Map<number, ErrorCode[]>();
  for (const code of codes) groups.set(statusOf(code), [...(groups.get(statusOf(code)) ?? []), code]);
  return [...groups].sort(([a], [b]) => a - b).map(([status, group]) => [String(status), group]);
}

/** The OpenAPI 3.1 document, generated from the zod schemas of {@link API_OPERATIONS}. */
export function openApiDocument(version: string): Record<string, unknown> {
  const schemas = new SchemaWriter();
  const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => schemas.write(schema, io);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of API_OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema
          ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
          : {}),
        ...(response.html ? { content: { 'text/html': { schema: { type: 'string' } } } } : {}),
      };
      if (response.files) {
        const file = (description: string) => ({ schema: { type: 'string', description } });
        (responses[status] as { content?: Record<string, unknown> }).content = {
          ...(responses[status] as { content?: Record<string, unknown> }).content,
          'text/csv': file(`RFC 4180 CSV with a header row: ${AUDIT_CSV_COLUMNS.join(', ')}.`),
          'application/x-ndjson': file('JSON Lines: one audit record per line, with chainValid.'),
        };
      }
    }
    for (const [status, codes] of byStatus(operation.problems ?? [])) {
      const own = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: `${own ? `${own.description} ` : ''}Problem details; code is one of: ${codes.join(', ')}.`,
        content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output') } },
      };
    }
    for (const [status, codes] of byStatus(operation.refusals ?? [])) {
      responses[status] = {
        description: `A refusal page; x-error-code is one of: ${codes.join(', ')}.`,
        content: { 'text/html': { schema: { type: 'string' } } },
      };
    }
    const parameters = [...(operation.path.match(/\{(\w+)\}/g) ?? [])].map((part) => ({
      name: part.slice(1, -1),
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (operation.query) {
      const query = jsonSchema(operation.query, 'input') as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({
          name,
          in: 'query',
          required: (query.required ?? []).includes(name),
          schema: schema as { type: string },
        });
      }
    }
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = {
      summary: operation.summary,
      ...(operation.security === 'bearer' ? { security: [{ entra: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(operation.body
        ? {
            requestBody: {
              required: true,
              content: {
                [operation.bodyMediaType ?? 'application/json']: { schema: jsonSchema(operation.body, 'input') },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'multi-admin-approval',
      version,
      description:
        'Four-eyes approval for privileged admin operations. Errors are RFC 9457 problem+json with a stable code.',
    },
    servers: [{ url: '/api' }],
    components: {
      schemas: schemas.components,
      securitySchemes: {
        entra: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Microsoft Entra ID access token for this API.',
        },
      },
    },
    paths,
  };
}
