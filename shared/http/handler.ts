import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { AuthenticatedPrincipal } from '../identity/principal';
import { problemFromError, problemResponse } from './problem';

/** Authenticates a request's bearer token. */
export type Authenticate = (authorization: string | null) => Promise<AuthenticatedPrincipal>;

/**
 * Wraps an API handler: authenticates the caller, runs the handler, and turns every failure into
 * problem+json (unknown failures are logged and answered with a bare 500).
 */
export function authenticated(
  authenticate: () => Authenticate,
  handler: (
    request: HttpRequest,
    caller: AuthenticatedPrincipal,
    context: InvocationContext,
  ) => Promise<HttpResponseInit>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    try {
      const caller = await authenticate()(request.headers.get('authorization'));
      return await handler(request, caller, context);
    } catch (error) {
      const problem = problemFromError(error);
      if (problem.status >= 500) context.error(`request failed: ${describeError(error)}`);
      return problemResponse(problem);
    }
  };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers };
}

/** An error for the log: its stack, and its cause's (a store error wraps the adapter's). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const own = error.stack ?? error.message;
  return error.cause === undefined ? own : `${own}\ncaused by: ${describeError(error.cause)}`;
}
