// What the HTTP functions share: authentication, route parameters, the authenticated Durable client
// route and the use cases' dependencies.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { approvalOrchestrations, noOrchestrations } from '../shared/durable/client';
import { authenticated } from '../shared/http/handler';
import { HttpError } from '../shared/http/problem';
import type { HttpMethod } from '../shared/http/routeTable';
import type { AuthenticatedPrincipal } from '../shared/identity/principal';
import { correlationIdOf } from '../shared/telemetry/correlation';
import type { UseCaseDeps } from '../shared/useCases/deps';
import { clientHttpRoute } from './routes';

/** Validates the caller's bearer token with the app's identity services. */
export const authenticate = () => (authorization: string | null) =>
  getServices().identity.tokens.authenticate(authorization);

/** Longest request or policy id a route accepts. */
export const MAX_ID = 128;

/** The route parameter `name`: `404 not_found` when it is missing or longer than `max` characters. */
export function routeParam(request: HttpRequest, name: string, max: number): string {
  const value = request.params[name];
  if (!value || value.length > max) throw new HttpError('not_found');
  return value;
}

/** A handler of {@link authenticatedClientRoute}: the request, its authenticated caller and the Durable client. */
export type AuthenticatedClientHandler = (
  request: HttpRequest,
  caller: AuthenticatedPrincipal,
  client: df.DurableClient,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

/** An anonymous-level Durable client HTTP function with bearer authentication and problem+json errors. */
export function authenticatedClientRoute(
  name: string,
  route: string,
  method: HttpMethod,
  handler: AuthenticatedClientHandler,
): void {
  clientHttpRoute(name, {
    route,
    methods: [method],
    authLevel: 'anonymous',
    handler: (request, client, context) =>
      authenticated(authenticate, (req, caller, ctx) => handler(req, caller, client, ctx))(request, context),
  });
}

/**
 * The use cases' dependencies, with the Durable client of this invocation when there is one;
 * orchestrations started or sent commands carry the correlation id of `request`.
 */
export function deps(client?: df.DurableClient, request?: HttpRequest): UseCaseDeps {
  const { store, steps, commandWaitMs, directory, now, appKeys, reminderBeforeMs, targets, executorKindOf } =
    getServices();
  return {
    store,
    steps,
    commandWaitMs,
    directory,
    orchestrations: client
      ? approvalOrchestrations(client, appKeys, request && correlationIdOf(request))
      : noOrchestrations,
    now,
    newId: () => crypto.randomUUID(),
    appKeys,
    reminderBeforeMs,
    targets,
    executorKindOf,
  };
}
