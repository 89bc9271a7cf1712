import type { HttpRequest } from '@azure/functions';
import { pageQuerySchema, policyChangeBodySchema, policyDeleteBodySchema } from '../shared/api/schemas';
import { readJsonBody, readQuery } from '../shared/http/body';
import { authenticated, json } from '../shared/http/handler';
import { getPolicyView, requestPolicyChange, type PolicyChange } from '../shared/useCases/policies';
import { listPoliciesWithHealth } from '../shared/useCases/policyHealth';
import { authenticate, authenticatedClientRoute, deps, MAX_ID, routeParam } from './support';
import { httpRoute } from './routes';

const policyId = (request: HttpRequest) => routeParam(request, 'id', MAX_ID);

httpRoute('listPolicies', {
  route: 'policies',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) =>
    json(200, await listPoliciesWithHealth(deps(), caller, readQuery(request, pageQuerySchema))),
  ),
});

httpRoute('getPolicy', {
  route: 'policies/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request) => json(200, await getPolicyView(deps(), policyId(request)))),
});

/** Registers a policy change endpoint: the body becomes an `operationApprovalPolicy` request. */
function changeRoute(
  name: string,
  route: string,
  method: 'POST' | 'PUT' | 'DELETE',
  change: (request: HttpRequest) => Promise<{ change: PolicyChange; justification: string }>,
): void {
  authenticatedClientRoute(name, route, method, async (request, caller, client) => {
    const { change: requested, justification } = await change(request);
    const submitted = await requestPolicyChange(deps(client, request), caller, requested, justification);
    return json(202, submitted, { location: `/api/requests/${submitted.id}` });
  });
}

changeRoute('createPolicy', 'policies', 'POST', async (request) => {
  const { justification, ...draft } = await readJsonBody(request, policyChangeBodySchema);
  return { change: { action: 'create', draft }, justification };
});

changeRoute('updatePolicy', 'policies/{id}', 'PUT', async (request) => {
  const { justification, ...draft } = await readJsonBody(request, policyChangeBodySchema);
  return { change: { action: 'update', policyId: policyId(request), draft }, justification };
});

changeRoute('deletePolicy', 'policies/{id}', 'DELETE', async (request) => {
  const { justification } = await readJsonBody(request, policyDeleteBodySchema);
  return { change: { action: 'delete', policyId: policyId(request) }, justification };
});
