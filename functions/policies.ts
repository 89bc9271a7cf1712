import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { justificationSchema, pageQuerySchema, policyBodySchema } from '../shared/api/schemas';
import { readJsonBody, readQuery } from '../shared/http/body';
import { authenticated, json } from '../shared/http/handler';
import { HttpError } from '../shared/http/problem';
import { getPolicy, listPolicies, requestPolicyChange, type PolicyChange } from '../shared/useCases/policies';
import { authenticate, deps } from './support';
import { clientHttpRoute, httpRoute } from './routes';

/** A policy change carries the policy and the justification approvers see. */
const changeBodySchema = policyBodySchema.extend({ justification: justificationSchema });
const deleteBodySchema = z.object({ justification: justificationSchema }).strict();

function policyId(request: HttpRequest): string {
  const id = request.params.id;
  if (!id || id.length > 128) throw new HttpError('not_found');
  return id;
}

httpRoute('listPolicies', {
  route: 'policies',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request, caller) =>
    json(200, await listPolicies(deps(), caller, readQuery(request, pageQuerySchema))),
  ),
});

httpRoute('getPolicy', {
  route: 'policies/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request) => json(200, await getPolicy(deps(), policyId(request)))),
});

/** Registers a policy change endpoint: the body becomes an `operationApprovalPolicy` request. */
function changeRoute(
  name: string,
  route: string,
  method: 'POST' | 'PUT' | 'DELETE',
  change: (request: HttpRequest) => Promise<{ change: PolicyChange; justification: string }>,
): void {
  clientHttpRoute(name, {
    route,
    methods: [method],
    authLevel: 'anonymous',
    handler: (request, client, context) =>
      authenticated(authenticate, async (req, caller) => {
        const { change: requested, justification } = await change(req);
        const submitted = await requestPolicyChange(deps(client, req), caller, requested, justification);
        return json(202, submitted, { location: `/api/requests/${submitted.id}` });
      })(request, context),
  });
}

changeRoute('createPolicy', 'policies', 'POST', async (request) => {
  const { justification, ...draft } = await readJsonBody(request, changeBodySchema);
  return { change: { action: 'create', draft }, justification };
});

changeRoute('updatePolicy', 'policies/{id}', 'PUT', async (request) => {
  const { justification, ...draft } = await readJsonBody(request, changeBodySchema);
  return { change: { action: 'update', policyId: policyId(request), draft }, justification };
});

changeRoute('deletePolicy', 'policies/{id}', 'DELETE', async (request) => {
  const { justification } = await readJsonBody(request, deleteBodySchema);
  return { change: { action: 'delete', policyId: policyId(request) }, justification };
});
