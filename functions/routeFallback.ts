import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { problemOf, problemResponse } from '../shared/http/problem';
import { HTTP_METHODS } from '../shared/http/routeTable';
import { APP_ROUTES } from './routes';

/**
 * The catch-all under the route prefix: what no other function took. The host hands a request to
 * the first route whose template and method both match, trying routes in order; a route whose
 * template matches but whose method does not is passed over. So this function sees unknown paths
 * and known paths with another method, and answers them from the route table: 405
 * `method_not_allowed` with `Allow`, or 404 `not_found`, both problem+json (the host itself would
 * answer a plain-text 404).
 */
export async function routeFallback(request: HttpRequest): Promise<HttpResponseInit> {
  const allowed = APP_ROUTES.allowedAt(request.params.path ?? '');
  if (allowed.length === 0) {
    return problemResponse(problemOf('not_found', 'No API route has this path.'));
  }
  const response = problemResponse(problemOf('method_not_allowed', `This path accepts ${allowed.join(', ')}.`));
  return { ...response, headers: { ...(response.headers as Record<string, string>), allow: allowed.join(', ') } };
}

// The host tries routes in the order of its function list, not by how specific they are, and that
// order follows the names (or registration) of functions: the name sorts after every other
// function's, and this file registers after the others (a unit test checks both), so the
// catch-all is tried last.
app.http('zzRouteFallback', {
  route: '{*path}',
  methods: [...HTTP_METHODS],
  authLevel: 'anonymous',
  handler: routeFallback,
});
