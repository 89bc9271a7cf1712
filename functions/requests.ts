import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import {
  auditQuerySchema,
  auditRangeQuerySchema,
  decisionBodySchema,
  emptyBodySchema,
  getRequestQuerySchema,
  listRequestsQuerySchema,
  submitRequestBodySchema,
  type AuditFormat,
} from '../shared/api/schemas';
import { assertDirectlySubmittable } from '../shared/domain/policy';
import { preferredMediaType } from '../shared/http/accept';
import { readJsonBody, readQuery } from '../shared/http/body';
import { authenticated, json } from '../shared/http/handler';
import { HttpError, problemFromError, problemResponse } from '../shared/http/problem';
import {
  auditTrail,
  awaitVisibleRequest,
  evaluateRequest,
  getVisibleRequest,
  listRequests,
  sendCommand,
  submitRequest,
} from '../shared/useCases/requests';
import { exportAuditRange, exportRequestAudit, type AuditExport } from '../shared/useCases/auditExport';
import { AUDIT_NDJSON_TYPE } from '../shared/views/auditExport';
import { previewOf } from '../shared/views/change';
import { isOrchestrationRefusal, type CommandOutcome } from '../shared/useCases/awaitRequest';
import type { ApprovalRequest } from '../shared/domain/model';
import { authenticate, authenticatedClientRoute, deps, MAX_ID, routeParam } from './support';
import { httpRoute } from './routes';

const param = (request: HttpRequest, name: string) => routeParam(request, name, MAX_ID);

authenticatedClientRoute('submitRequest', 'requests', 'POST', async (request, caller, client) => {
  const body = await readJsonBody(request, submitRequestBodySchema);
  assertDirectlySubmittable(body.profileType);
  const key = request.headers.get('idempotency-key') ?? undefined;
  if (key !== undefined && (key.length === 0 || key.length > 256)) {
    throw new HttpError('validation_failed', 'The Idempotency-Key header is not valid', undefined, [
      { path: 'header.idempotency-key', message: 'must be 1..256 characters' },
    ]);
  }
  const submitted = await submitRequest(deps(client, request), caller, body, key);
  return json(202, submitted, { location: `/api/requests/${submitted.id}` });
});

httpRoute('evaluateRequest', {
  route: 'requests/evaluate',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) => {
    const body = await readJsonBody(request, submitRequestBodySchema);
    assertDirectlySubmittable(body.profileType);
    return json(200, await evaluateRequest(deps(undefined, request), caller, body));
  }),
});

for (const [name, kind] of [
  ['approveRequest', 'approve'],
  ['rejectRequest', 'reject'],
] as const) {
  authenticatedClientRoute(name, `requests/{id}/${kind}`, 'POST', async (request, caller, client) => {
    const body = await readJsonBody(request, decisionBodySchema);
    return commandAnswer(() =>
      sendCommand(deps(client, request), caller, param(request, 'id'), {
        kind: 'decide',
        decision: kind,
        notes: body.notes,
      }),
    );
  });
}

for (const [name, kind] of [
  ['cancelRequest', 'cancel'],
  ['completeRequest', 'complete'],
] as const) {
  authenticatedClientRoute(name, `requests/{id}/${kind}`, 'POST', async (request, caller, client) => {
    await readJsonBody(request, emptyBodySchema);
    return commandAnswer(() => sendCommand(deps(client, request), caller, param(request, 'id'), { kind }));
  });
}

/** How soon a client whose command is still pending should look again (seconds). */
const RETRY_AFTER_SECONDS = 1;

/**
 * A command's answer (`x-maa-command` says which): 200 with the request once the orchestration
 * applied it (`applied`); its refusal as problem+json (`refused`); 202 with the request as it
 * stands, `Location` and `Retry-After`, when it had done neither within the wait, or no wait is
 * set (`pending`). The API's own refusals, before anything was sent, carry no such header.
 */
async function commandAnswer(send: () => Promise<CommandOutcome>): Promise<HttpResponseInit> {
  let outcome: CommandOutcome;
  try {
    outcome = await send();
  } catch (error) {
    if (!isOrchestrationRefusal(error)) throw error;
    const refused = problemResponse(problemFromError(error));
    return { ...refused, headers: { ...(refused.headers as Record<string, string>), 'x-maa-command': 'refused' } };
  }
  const { request } = outcome;
  if (outcome.kind === 'applied') return json(200, request, { 'x-maa-command': 'applied' });
  return json(202, request, {
    location: `/api/requests/${request.id}`,
    'retry-after': String(RETRY_AFTER_SECONDS),
    'x-maa-command': 'pending',
  });
}

httpRoute('listRequests', {
  route: 'requests',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) => {
    const { initiator, ...query } = readQuery(request, listRequestsQuerySchema);
    return json(
      200,
      await listRequests(deps(), caller, { ...query, ...(initiator === undefined ? {} : { initiatorId: initiator }) }),
    );
  }),
});

httpRoute('getRequest', {
  route: 'requests/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) => {
    const query = readQuery(request, getRequestQuerySchema);
    const id = param(request, 'id');
    if (query.waitFor === undefined || query.timeoutMs === undefined)
      return json(200, withPreview(await getVisibleRequest(deps(), caller, id)));
    // A bounded long-poll: the answer says whether the request got there or the timeout passed.
    const waited = await awaitVisibleRequest(deps(), caller, id, query.waitFor, query.timeoutMs);
    return json(200, withPreview(waited.request), { 'x-maa-wait': waited.reached ? 'reached' : 'timeout' });
  }),
});

/** One request as `GET /api/requests/{id}` shows it: with `preview`, what completion will send and change. */
function withPreview(request: ApprovalRequest): ApprovalRequest & { preview?: ReturnType<typeof previewOf> } {
  const preview = previewOf(request);
  return preview === undefined ? request : { ...request, preview };
}

httpRoute('getRequestAudit', {
  route: 'requests/{id}/audit',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) => {
    const { format, ...page } = readQuery(request, auditQuerySchema);
    const id = param(request, 'id');
    const chosen = format ?? formatFromAccept(request, ['application/json', 'text/csv', AUDIT_NDJSON_TYPE]) ?? 'json';
    if (chosen === 'json') return json(200, await auditTrail(deps(), caller, id, page));
    return exportResponse(await exportRequestAudit(deps(), caller, id, chosen));
  }),
});

httpRoute('exportAudit', {
  route: 'audit',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) => {
    const { format, from, to } = readQuery(request, auditRangeQuerySchema);
    const chosen = format ?? formatFromAccept(request, ['text/csv', AUDIT_NDJSON_TYPE]) ?? 'ndjson';
    return exportResponse(await exportAuditRange(deps(), caller, { from, to }, chosen === 'json' ? 'ndjson' : chosen));
  }),
});

/** The audit format the request's `Accept` header prefers among `offered`, if it names one. */
function formatFromAccept(request: HttpRequest, offered: string[]): AuditFormat | undefined {
  switch (preferredMediaType(request.headers.get('accept'), offered)) {
    case 'application/json':
      return 'json';
    case 'text/csv':
      return 'csv';
    case AUDIT_NDJSON_TYPE:
      return 'ndjson';
    default:
      return undefined;
  }
}

/** An export as a streamed body: its pieces are read (and the store paged) as the body is sent. */
function exportResponse(file: AuditExport): HttpResponseInit {
  async function* bytes(): AsyncGenerator<Buffer> {
    for await (const chunk of file.chunks) yield Buffer.from(chunk, 'utf8');
  }
  return {
    status: 200,
    body: Readable.from(bytes()),
    headers: {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'cache-control': 'no-store',
    },
  };
}
