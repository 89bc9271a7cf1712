import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { config } from '../shared/config';
import { describeError } from '../shared/http/handler';
import { HttpError, problemFromError, problemResponse } from '../shared/http/problem';
import { principalFromPlatformHeaders } from '../shared/identity/platformPrincipal';
import type { AuthenticatedPrincipal } from '../shared/identity/principal';
import { readQuery } from '../shared/http/body';
import {
  DASHBOARD_HEADERS,
  renderDashboard,
  renderInstance,
  renderRequestList,
  renderStuckList,
} from '../shared/ops/dashboardHtml';
import { formFiltersOf, requestFiltersOf } from '../shared/ops/requestList';
import { dashboardQuerySchema, dashboardRequestsQuerySchema, dashboardStuckQuerySchema } from '../shared/ops/schemas';
import { instanceDetail, requireOperator, stuckRequests, summary, type OpsDeps } from '../shared/ops/useCases';
import { listRequests } from '../shared/useCases/requests';
import { viewerTimeZone } from '../shared/views/time';
import { timeZoneCookie } from '../shared/http/html';
import { MAX_OPS_ID, opsDeps } from './opsSupport';
import { deps as useCaseDeps, routeParam } from './support';
import { clientHttpRoute } from './routes';

// The operators' dashboard pages (read-only HTML). A browser cannot send a bearer token, so the
// caller is, in order: the bearer token when there is one (curl), else the App Service
// Authentication user in `X-MS-CLIENT-PRINCIPAL`, trusted only when App Service Authentication is
// on (`WEBSITE_AUTH_ENABLED`: it strips the header from client requests; without it anyone could
// forge it). Locally, `/_local/signin` stands in for it.
// The pages change nothing, so a signed-in browser cannot be tricked into acting (no CSRF surface):
// their only forms are GET forms back to the dashboard (list filters, the time zone). A time zone
// chosen with `tz` is remembered in the `maa-tz` cookie, a display preference only.

/** What a page render gets: the request, the use cases' dependencies, the caller and the zone to show times in. */
interface PageContext {
  request: HttpRequest;
  client: df.DurableClient;
  deps: OpsDeps;
  caller: AuthenticatedPrincipal;
  zone: string;
}

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

function page(name: string, route: string, render: (context: PageContext) => Promise<string>): void {
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
        const chosen = readQuery(request, dashboardQuerySchema.loose()).tz;
        const zone = viewerTimeZone(
          new URLSearchParams(chosen ? { tz: chosen } : {}),
          request.headers.get('cookie'),
          config().ops.defaultTimeZone,
        );
        const body = await render({ request, client, deps: opsDeps(client, request), caller, zone });
        return {
          status: 200,
          headers: { ...DASHBOARD_HEADERS },
          body,
          ...(chosen ? { cookies: [timeZoneCookie(zone, new URL(request.url).protocol === 'https:')] } : {}),
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

page('opsDashboard', '', async ({ request, deps, caller, zone }) => {
  readQuery(request, dashboardQuerySchema);
  const [overview, stuck] = await Promise.all([summary(deps), stuckRequests(deps, caller, { top: 50 })]);
  return renderDashboard(overview, stuck.items, caller.displayName, {
    zone,
    stuckScanned: stuck.scanned,
    stuckMore: stuck.continuationToken !== undefined,
  });
});

page('opsDashboardRequests', '/requests', async ({ request, client, caller, zone }) => {
  const query = readQuery(request, dashboardRequestsQuerySchema);
  const list = await listRequests(useCaseDeps(client, request), caller, {
    view: 'all',
    top: query.top,
    ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
    ...requestFiltersOf(query, zone),
  });
  return renderRequestList({
    zone,
    filters: formFiltersOf(query),
    items: list.items,
    ...(list.continuationToken ? { continuationToken: list.continuationToken } : {}),
    paged: query.continuationToken !== undefined,
  });
});

page('opsDashboardStuck', '/stuck', async ({ request, deps, caller, zone }) => {
  const query = readQuery(request, dashboardStuckQuerySchema);
  const stuck = await stuckRequests(deps, caller, {
    top: query.top,
    ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
  });
  return renderStuckList({
    zone,
    items: stuck.items,
    scanned: stuck.scanned,
    ...(stuck.continuationToken ? { continuationToken: stuck.continuationToken } : {}),
    paged: query.continuationToken !== undefined,
    top: query.top,
  });
});

page('opsDashboardInstance', '/instances/{id}', async ({ request, deps, zone }) => {
  readQuery(request, dashboardQuerySchema);
  return renderInstance(await instanceDetail(deps, routeParam(request, 'id', MAX_OPS_ID)), zone);
});
