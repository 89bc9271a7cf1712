import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { config } from '../shared/config';
import { describeError } from '../shared/http/handler';
import { HttpError, problemFromError, problemResponse } from '../shared/http/problem';
import { principalFromPlatformHeaders } from '../shared/identity/platformPrincipal';
import type { AuthenticatedPrincipal } from '../shared/identity/principal';
import { DASHBOARD_HEADERS, renderDashboard, renderInstance } from '../shared/ops/dashboardHtml';
import { instanceDetail, requireOperator, stuckRequests, summary, type OpsDeps } from '../shared/ops/useCases';
import { MAX_OPS_ID, opsDeps } from './opsSupport';
import { routeParam } from './support';
import { clientHttpRoute } from './routes';

// The operators' dashboard pages (read-only HTML). A browser cannot send a bearer token, so the
// caller is, in order: the bearer token when there is one (curl), else the App Service
// Authentication user in `X-MS-CLIENT-PRINCIPAL`, trusted only when App Service Authentication is
// on (`WEBSITE_AUTH_ENABLED`: it strips the header from client requests; without it anyone could
// forge it). Locally, `/_local/signin` stands in for it.
// The pages change nothing, so a signed-in browser cannot be tricked into acting (no CSRF surface).

async function browserCaller(request: HttpRequest): Promise<AuthenticatedPrincipal> {
  const authorization = request.headers.get('authorization');
  if (authorization) return getServices().identity.tokens.authenticate(authorization);
  if (config().ops.trustClientPrincipal) {
    const principal = principalFromPlatformHeaders(request.headers);
    if (principal) return principal;
  }
  throw new HttpError(
    'missing_token',
    'Sign in first',
    'Sign in through App Service Authentication, or send a bearer token.',
  );
}

function page(
  name: string,
  route: string,
  render: (request: HttpRequest, deps: OpsDeps, caller: AuthenticatedPrincipal) => Promise<string>,
): void {
  clientHttpRoute(name, {
    route: `ops/dashboard${route}`,
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: async (
      request: HttpRequest,
      client: df.DurableClient,
      context: InvocationContext,
    ): Promise<HttpResponseInit> => {
      try {
        const caller = await browserCaller(request);
        requireOperator(caller);
        return {
          status: 200,
          headers: { ...DASHBOARD_HEADERS },
          body: await render(request, opsDeps(client, request), caller),
        };
      } catch (error) {
        const problem = problemFromError(error);
        if (problem.status >= 500) context.error(`dashboard failed: ${describeError(error)}`);
        const response = problemResponse(problem);
        return {
          ...response,
          headers: { ...(response.headers as Record<string, string>), 'cache-control': 'no-store' },
        };
      }
    },
  });
}

page('opsDashboard', '', async (_request, deps, caller) => {
  const [overview, stuck] = await Promise.all([summary(deps), stuckRequests(deps, caller, { top: 50 })]);
  return renderDashboard(overview, stuck.items, caller.displayName);
});

page('opsDashboardInstance', '/instances/{id}', async (request, deps) => {
  return renderInstance(await instanceDetail(deps, routeParam(request, 'id', MAX_OPS_ID)));
});
