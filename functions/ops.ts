// The operators' API under `/api/ops/`: bearer tokens with `MAA.Operator` only (`403 not_an_operator` otherwise).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { pageQuerySchema } from '../shared/api/schemas';
import { readJsonBody, readQuery } from '../shared/http/body';
import { json } from '../shared/http/handler';
import type { AuthenticatedPrincipal } from '../shared/identity/principal';
import { checkpointsQuerySchema, instancesQuerySchema, operatorActionBodySchema } from '../shared/ops/schemas';
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
import { MAX_OPS_ID, opsDeps } from './opsSupport';
import { authenticatedClientRoute, routeParam } from './support';

type OpsHandler = (request: HttpRequest, caller: AuthenticatedPrincipal, deps: OpsDeps) => Promise<HttpResponseInit>;

function opsRoute(name: string, route: string, method: 'GET' | 'POST', handler: OpsHandler): void {
  authenticatedClientRoute(name, `ops/${route}`, method, (request, caller, client) => {
    requireOperator(caller);
    return handler(request, caller, opsDeps(client, request));
  });
}

const param = (request: HttpRequest, name: string) => routeParam(request, name, MAX_OPS_ID);

opsRoute('opsSummary', 'summary', 'GET', async (_request, _caller, deps) => json(200, await summary(deps)));

opsRoute('opsInstances', 'instances', 'GET', async (request, caller, deps) =>
  json(200, await listInstances(deps, caller, readQuery(request, instancesQuerySchema))),
);

opsRoute('opsInstance', 'instances/{id}', 'GET', async (request, _caller, deps) =>
  json(200, await instanceDetail(deps, param(request, 'id'))),
);

opsRoute('opsStuck', 'stuck', 'GET', async (request, caller, deps) =>
  json(200, await stuckRequests(deps, caller, readQuery(request, pageQuerySchema))),
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
