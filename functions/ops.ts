import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { readJsonBody, readQuery } from '../shared/http/body';
import { authenticated, json } from '../shared/http/handler';
import { HttpError } from '../shared/http/problem';
import type { AuthenticatedPrincipal } from '../shared/identity/principal';
import {
  checkpointsQuerySchema,
  instancesQuerySchema,
  operatorActionBodySchema,
  stuckQuerySchema,
} from '../shared/ops/schemas';
import {
  instanceDetail,
  listInstances,
  redriveRequest,
  requireOperator,
  stuckRequests,
  summary,
  terminateRequest,
  type OpsDeps,
} from '../shared/ops/useCases';
import { auditCheckpoints, latestAuditCheckpoint } from '../shared/ops/auditCheckpoints';
import { opsDeps } from './opsSupport';
import { authenticate } from './support';
import { clientHttpRoute } from './routes';

/** The operators' API under `/api/ops/`: bearer tokens with `MAA.Operator` only (`403 not_an_operator` otherwise). */

type OpsHandler = (request: HttpRequest, caller: AuthenticatedPrincipal, deps: OpsDeps) => Promise<HttpResponseInit>;

function opsRoute(name: string, route: string, method: 'GET' | 'POST', handler: OpsHandler): void {
  clientHttpRoute(name, {
    route: `ops/${route}`,
    methods: [method],
    authLevel: 'anonymous',
    handler: (request, client, context) =>
      authenticated(authenticate, (req, caller) => {
        requireOperator(caller);
        return handler(req, caller, opsDeps(client, req));
      })(request, context),
  });
}

function param(request: HttpRequest, name: string): string {
  const value = request.params[name];
  if (!value || value.length > 160) throw new HttpError('not_found');
  return value;
}

opsRoute('opsSummary', 'summary', 'GET', async (_request, _caller, deps) => json(200, await summary(deps)));

opsRoute('opsInstances', 'instances', 'GET', async (request, caller, deps) =>
  json(200, await listInstances(deps, caller, readQuery(request, instancesQuerySchema))),
);

opsRoute('opsInstance', 'instances/{id}', 'GET', async (request, _caller, deps) =>
  json(200, await instanceDetail(deps, param(request, 'id'))),
);

opsRoute('opsStuck', 'stuck', 'GET', async (request, caller, deps) =>
  json(200, await stuckRequests(deps, caller, readQuery(request, stuckQuerySchema))),
);

opsRoute('opsTerminate', 'instances/{id}/terminate', 'POST', async (request, caller, deps) => {
  const { reason } = await readJsonBody(request, operatorActionBodySchema);
  return json(200, await terminateRequest(deps, caller, param(request, 'id'), reason));
});

opsRoute('opsRedrive', 'requests/{id}/redrive', 'POST', async (request, caller, deps) => {
  const { reason } = await readJsonBody(request, operatorActionBodySchema);
  const claimed = await redriveRequest(deps, caller, param(request, 'id'), reason);
  return json(202, claimed, { location: `/api/requests/${claimed.id}` });
});

opsRoute('opsAuditCheckpoints', 'audit/checkpoints', 'GET', async (request, _caller, deps) =>
  json(200, await auditCheckpoints(deps, readQuery(request, checkpointsQuerySchema))),
);

opsRoute('opsAuditCheckpointLatest', 'audit/checkpoints/latest', 'GET', async (_request, _caller, deps) =>
  json(200, await latestAuditCheckpoint(deps)),
);
