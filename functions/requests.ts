import type { HttpRequest } from '@azure/functions';
import {
  decisionBodySchema,
  emptyBodySchema,
  listRequestsQuerySchema,
  pageQuerySchema,
  submitRequestBodySchema,
} from '../shared/api/schemas';
import { assertDirectlySubmittable } from '../shared/domain/policy';
import { readJsonBody, readQuery } from '../shared/http/body';
import { authenticated, json } from '../shared/http/handler';
import { HttpError } from '../shared/http/problem';
import {
  auditTrail,
  evaluateRequest,
  getVisibleRequest,
  listRequests,
  sendCommand,
  submitRequest,
} from '../shared/useCases/requests';
import { previewOf } from '../shared/views/change';
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
    const current = await sendCommand(deps(client, request), caller, param(request, 'id'), {
      kind: 'decide',
      decision: kind,
      notes: body.notes,
    });
    return json(202, current, { location: `/api/requests/${current.id}` });
  });
}

for (const [name, kind] of [
  ['cancelRequest', 'cancel'],
  ['completeRequest', 'complete'],
] as const) {
  authenticatedClientRoute(name, `requests/{id}/${kind}`, 'POST', async (request, caller, client) => {
    await readJsonBody(request, emptyBodySchema);
    const current = await sendCommand(deps(client, request), caller, param(request, 'id'), { kind });
    return json(202, current, { location: `/api/requests/${current.id}` });
  });
}

httpRoute('listRequests', {
  route: 'requests',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) =>
    json(200, await listRequests(deps(), caller, readQuery(request, listRequestsQuerySchema))),
  ),
});

httpRoute('getRequest', {
  route: 'requests/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) =>
    json(200, withPreview(await getVisibleRequest(deps(), caller, param(request, 'id')))),
  ),
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
  handler: authenticated(authenticate, async (request, caller) =>
    json(200, await auditTrail(deps(), caller, param(request, 'id'), readQuery(request, pageQuerySchema))),
  ),
});
