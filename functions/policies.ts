import { app, type HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { pageQuerySchema, policyBodySchema } from '../shared/api/schemas';
import { readJsonBody, readQuery } from '../shared/http/body';
import { authenticated, json } from '../shared/http/handler';
import { HttpError } from '../shared/http/problem';
import { getPolicy, listPolicies, requestPolicyChange } from '../shared/useCases/policies';
import { authenticate, deps } from './support';

/** A policy change carries the policy and the justification approvers see. */
const changeBodySchema = policyBodySchema.extend({ justification: z.string().trim().min(1).max(1024) });
const deleteBodySchema = z.object({ justification: z.string().trim().min(1).max(1024) }).strict();

function policyId(request: HttpRequest): string {
  const id = request.params.id;
  if (!id || id.length > 128) throw new HttpError(404, 'not_found', 'Not found');
  return id;
}

app.http('listPolicies', {
  route: 'policies',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request) => json(200, await listPolicies(deps(), readQuery(request, pageQuerySchema)))),
});

app.http('getPolicy', {
  route: 'policies/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: authenticated(authenticate, async (request) => json(200, await getPolicy(deps(), policyId(request)))),
});

df.app.client.http('createPolicy', {
  route: 'policies',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request, client, context) =>
    authenticated(authenticate, async (req, caller) => {
      const { justification, ...draft } = await readJsonBody(req, changeBodySchema);
      const submitted = await requestPolicyChange(deps(client), caller, { action: 'create', draft }, justification);
      return json(202, submitted, { location: `/api/requests/${submitted.id}` });
    })(request, context),
});

df.app.client.http('updatePolicy', {
  route: 'policies/{id}',
  methods: ['PUT'],
  authLevel: 'anonymous',
  handler: (request, client, context) =>
    authenticated(authenticate, async (req, caller) => {
      const { justification, ...draft } = await readJsonBody(req, changeBodySchema);
      const submitted = await requestPolicyChange(deps(client), caller, { action: 'update', policyId: policyId(req), draft }, justification);
      return json(202, submitted, { location: `/api/requests/${submitted.id}` });
    })(request, context),
});

df.app.client.http('deletePolicy', {
  route: 'policies/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: (request, client, context) =>
    authenticated(authenticate, async (req, caller) => {
      const { justification } = await readJsonBody(req, deleteBodySchema);
      const submitted = await requestPolicyChange(deps(client), caller, { action: 'delete', policyId: policyId(req) }, justification);
      return json(202, submitted, { location: `/api/requests/${submitted.id}` });
    })(request, context),
});
