import type { Cookie, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { config } from '../shared/config';
import { DomainError, isDomainError } from '../shared/domain/errors';
import { htmlResponse, timeZoneCookie } from '../shared/http/html';
import { assertDirectlySubmittable } from '../shared/domain/policy';
import { PROFILE_TYPES, REQUEST_STATUSES, type ProfileType, type RequestStatus } from '../shared/domain/model';
import { ERROR_CODES, isErrorCode, statusOf, type ErrorCode } from '../shared/errors/registry';
import { MAX_SEARCH_TEXT, type DeviceMatch } from '../shared/intune/targetSearch';
import { parseUrlEncoded, readUtf8Body, validate } from '../shared/http/body';
import { describeError } from '../shared/http/handler';
import { HttpError, problemFromError } from '../shared/http/problem';
import { principalFromPlatformHeaders } from '../shared/identity/platformPrincipal';
import type { AuthenticatedPrincipal } from '../shared/identity/principal';
import { cookieValue, sameOriginPost } from '../shared/links/csrf';
import { signInUrl } from '../shared/links/views';
import type { RequestFilters } from '../shared/store/store';
import { portalAuditCsv, portalHome, portalRequest } from '../shared/useCases/portal';
import {
  evaluateRequest,
  listRequests,
  sendCommand,
  submitRequest,
  type CommandInput,
} from '../shared/useCases/requests';
import { AUDIT_CSV_TYPE } from '../shared/views/auditExport';
import {
  fieldOf,
  newFormOf,
  portalCommandFormSchema,
  portalZoneFormSchema,
  startOfDay,
  submitBodyOf,
} from '../shared/views/portalForms';
import {
  homePage,
  listPage,
  newPage,
  portalProblemPage,
  previewPage,
  requestPage,
  requestPath,
  type CommandNotice,
  type FieldProblem,
  type ListForm,
  type NewForm,
} from '../shared/views/portal';
import {
  isPortalNonce,
  newPortalNonce,
  PORTAL_CSP,
  PORTAL_CSRF_COOKIE,
  outcomeSeal,
  PORTAL_PATH,
  portalCsrfField,
  verifyOutcomeSeal,
  verifyPortalCsrf,
  type Viewer,
} from '../shared/views/portalLayout';
import { validTimeZone, viewerTimeZone } from '../shared/views/time';
import { deps, MAX_ID, routeParam } from './support';
import { clientHttpRoute, httpRoute } from './routes';

// The portal: server-rendered pages under /api/portal for everyone who works with requests (see
// docs/portal.md). The person is the App Service Authentication user (`X-MS-CLIENT-PRINCIPAL`,
// trusted only when the platform's authentication is on; the local runtime's sign-in stands in for
// it); someone not signed in is sent to sign in and brought back. Every decision goes through the
// same use cases, rules and orchestration as the API. Forms post with a CSRF field bound to the
// person and a per-browser nonce cookie, and the provenance headers are checked.

/** Largest form accepted (the submit form carries an operation's options as JSON). */
const MAX_FORM_BYTES = 96 * 1024;
/** Requests per list page unless `top` says otherwise. */
const LIST_PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A signed-in person's call: who, how pages show them, and the CSRF cookie to set if the browser had none. */
interface PortalCall {
  readonly caller: AuthenticatedPrincipal;
  readonly viewer: Viewer;
  readonly nonce: string;
  readonly cookies: Cookie[];
}

type PortalHandler = (
  request: HttpRequest,
  call: PortalCall,
  client: df.DurableClient | undefined,
) => Promise<HttpResponseInit>;

function pageResponse(
  status: number,
  document: string,
  options: { code?: string; cookies?: Cookie[] } = {},
): HttpResponseInit {
  return htmlResponse(status, document, { ...options, csp: PORTAL_CSP });
}

function redirect(location: string, cookies: Cookie[] = []): HttpResponseInit {
  return {
    status: 303,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    ...(cookies.length > 0 ? { cookies } : {}),
  };
}

const isHttps = (request: HttpRequest) => (getServices().links?.publicBaseUrl ?? request.url).startsWith('https:');

/** The signed-in person, the viewer as pages show them and the browser's CSRF nonce (a new one set when it has none). */
function portalCall(request: HttpRequest, principal: AuthenticatedPrincipal): PortalCall {
  const url = new URL(request.url);
  const cookieHeader = request.headers.get('cookie');
  const existing = cookieValue(cookieHeader, PORTAL_CSRF_COOKIE);
  const nonce = isPortalNonce(existing) ? existing : newPortalNonce();
  const cookies: Cookie[] = isPortalNonce(existing)
    ? []
    : [
        {
          name: PORTAL_CSRF_COOKIE,
          value: nonce,
          path: PORTAL_PATH,
          httpOnly: true,
          // Lax, not Strict: a page opened from a mail or another site still gets the browser's
          // nonce (Strict would send none, and a new one would break the forms open in other tabs);
          // a post from another site carries no Lax cookie, so its field cannot match.
          sameSite: 'Lax',
          secure: isHttps(request),
        },
      ];
  const viewer: Viewer = {
    id: principal.id,
    displayName: principal.displayName,
    roles: principal.roles,
    zone: viewerTimeZone(url.searchParams, cookieHeader, config().ops.defaultTimeZone),
    csrf: portalCsrfField(getServices().appKeys, principal.id, nonce),
    here: `${url.pathname}${url.search}`,
  };
  return { caller: principal, viewer, nonce, cookies };
}

/** The App Service Authentication user, when the platform's authentication is on. */
function signedIn(request: HttpRequest): AuthenticatedPrincipal | undefined {
  return config().ops.trustClientPrincipal ? principalFromPlatformHeaders(request.headers) : undefined;
}

/** Runs `handler` for a signed-in person; sends anyone else to sign in; turns failures into pages. */
async function portal(
  request: HttpRequest,
  context: InvocationContext,
  client: df.DurableClient | undefined,
  handler: PortalHandler,
): Promise<HttpResponseInit> {
  const principal = signedIn(request);
  const url = new URL(request.url);
  if (!principal) {
    if (!config().ops.trustClientPrincipal)
      return pageResponse(
        401,
        portalProblemPage(undefined, 401, 'missing_token', 'Sign-in is not set up: turn on App Service Authentication'),
        { code: 'missing_token' },
      );
    // A post's fields are not kept: the person comes back to the page the form was on.
    const back = request.method === 'GET' ? `${url.pathname}${url.search}` : url.pathname;
    return redirect(signInUrl(back));
  }
  const call = portalCall(request, principal);
  try {
    const response = await handler(request, call, client);
    const cookies = [...call.cookies, ...((response.cookies as Cookie[] | undefined) ?? [])];
    return cookies.length > 0 ? { ...response, cookies } : response;
  } catch (error) {
    const problem = problemFromError(error);
    if (problem.status >= 500)
      context.error(`portal ${request.method} ${url.pathname} failed: ${describeError(error)}`);
    return pageResponse(problem.status, portalProblemPage(call.viewer, problem.status, problem.code, problem.title), {
      code: problem.code,
      cookies: call.cookies,
    });
  }
}

/** Reads a form post: URL-encoded UTF-8, small, each field once; its CSRF field and provenance checked. */
async function readForm(request: HttpRequest, call: PortalCall): Promise<Record<string, string>> {
  const publicBase = getServices().links?.publicBaseUrl ?? new URL(request.url).origin;
  if (!sameOriginPost(request.headers, publicBase)) throw new HttpError('csrf_failed');
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded'))
    throw new HttpError('validation_failed', 'The form is not valid', 'Send the page\u2019s form.');
  const text = await readUtf8Body(
    request,
    MAX_FORM_BYTES,
    () => new HttpError('validation_failed', 'The form is too large'),
  );
  const fields: Record<string, string> = {};
  for (const [name, value] of parseUrlEncoded(text, 'body')) {
    if (Object.hasOwn(fields, name))
      throw new HttpError('validation_failed', 'The form is not valid', `The field ${name} was sent twice.`);
    fields[name] = value;
  }
  const nonce = cookieValue(request.headers.get('cookie'), PORTAL_CSRF_COOKIE);
  if (!verifyPortalCsrf(getServices().appKeys, call.caller.id, nonce, fields.csrf)) throw new HttpError('csrf_failed');
  return fields;
}

function query(request: HttpRequest): URLSearchParams {
  // Bytes that are not UTF-8 are refused (the host would have replaced them).
  parseUrlEncoded(new URL(request.url).search.slice(1), 'query');
  return new URL(request.url).searchParams;
}

const text = (value: string | null | undefined) => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

// GET /api/portal: what waits for me, my open requests.
httpRoute('portalHome', {
  route: 'portal',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) =>
    portal(request, context, undefined, async (_request, call) =>
      pageResponse(200, homePage(call.viewer, await portalHome(deps(), call.caller))),
    ),
});

// GET /api/portal/requests?view=mine|received|all with filters and paging.
httpRoute('portalRequests', {
  route: 'portal/requests',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) =>
    portal(request, context, undefined, async (_request, call) => {
      const params = query(request);
      const errors: FieldProblem[] = [];
      const view = params.get('view') ?? 'mine';
      if (view !== 'mine' && view !== 'received' && view !== 'all')
        throw new HttpError('validation_failed', 'The request is not valid', 'view must be mine, received or all', [
          { path: 'view', message: 'must be mine, received or all' },
        ]);
      const form: ListForm = { view };
      const filters: RequestFilters = {};
      const status = text(params.get('status'));
      if (status !== undefined) {
        form.status = status;
        if ((REQUEST_STATUSES as readonly string[]).includes(status)) filters.status = status as RequestStatus;
        else errors.push({ field: 'status', message: 'Choose a status from the list.' });
      }
      const profileType = text(params.get('profileType'));
      if (profileType !== undefined) {
        form.profileType = profileType;
        if ((PROFILE_TYPES as readonly string[]).includes(profileType))
          filters.profileType = profileType as ProfileType;
        else errors.push({ field: 'profileType', message: 'Choose a profile type from the list.' });
      }
      for (const name of ['initiator', 'target'] as const) {
        const value = text(params.get(name));
        if (value === undefined) continue;
        form[name] = value;
        if (value.length > MAX_ID) errors.push({ field: name, message: `At most ${MAX_ID} characters.` });
        else if (name === 'initiator') filters.initiatorId = value;
        else filters.target = value;
      }
      const zone = call.viewer.zone;
      const from = text(params.get('from'));
      const to = text(params.get('to'));
      if (from !== undefined) {
        form.from = from;
        const instant = startOfDay(from, zone);
        if (instant) filters.createdFrom = instant;
        else errors.push({ field: 'from', message: 'A date such as 2026-12-07.' });
      }
      if (to !== undefined) {
        form.to = to;
        const instant = startOfDay(to, zone, 1);
        if (instant) filters.createdTo = instant;
        else errors.push({ field: 'to', message: 'A date such as 2026-12-07.' });
      }
      if (filters.createdFrom && filters.createdTo && filters.createdFrom >= filters.createdTo)
        errors.push({ field: 'to', message: 'The last day comes before the first.' });
      const topText = params.get('top');
      const top = topText === null ? LIST_PAGE_SIZE : Number(topText);
      if (!Number.isInteger(top) || top < 1 || top > 100)
        throw new HttpError('validation_failed', 'The request is not valid', 'top must be 1..100', [
          { path: 'top', message: 'must be an integer 1..100' },
        ]);
      if (errors.length > 0)
        return pageResponse(400, listPage(call.viewer, form, { items: [], errors }), { code: 'validation_failed' });
      const continuationToken = text(params.get('continuationToken'));
      const page = await listRequests(deps(), call.caller, {
        view,
        top,
        ...(continuationToken ? { continuationToken } : {}),
        ...filters,
      });
      let next: string | undefined;
      if (page.continuationToken) {
        const nextQuery = new URLSearchParams(params);
        nextQuery.set('continuationToken', page.continuationToken);
        next = `${PORTAL_PATH}/requests?${nextQuery.toString()}`;
      }
      return pageResponse(200, listPage(call.viewer, form, { items: page.items, errors, ...(next ? { next } : {}) }));
    }),
});

const COMMANDS = ['approve', 'reject', 'cancel', 'complete'] as const;
type PortalCommand = (typeof COMMANDS)[number];
const isCommand = (value: string | null | undefined): value is PortalCommand =>
  (COMMANDS as readonly string[]).includes(value ?? '');

/** The redirect back to request `id`'s page after `command`, naming its outcome under a seal for `caller`. */
function outcomeRedirect(caller: AuthenticatedPrincipal, id: string, outcome: string, command: string, code = '') {
  const seal = outcomeSeal(getServices().appKeys, caller.id, id, [outcome, command, code]);
  const query = new URLSearchParams({ outcome, command, ...(code ? { code } : {}), seal });
  return redirect(`${requestPath(id)}?${query.toString()}`);
}

/**
 * The outcome the redirect after a post names, as the page shows it: only under its seal (made for
 * this person and request), and only registry codes, with the registry's words.
 */
function noticeOf(params: URLSearchParams, caller: AuthenticatedPrincipal, id: string): CommandNotice | undefined {
  const outcome = params.get('outcome') ?? '';
  const command = params.get('command') ?? '';
  const code = params.get('code') ?? '';
  if (!verifyOutcomeSeal(getServices().appKeys, caller.id, id, [outcome, command, code], params.get('seal')))
    return undefined;
  if (outcome === 'submitted' && command === 'submit') return { kind: 'applied', command };
  if (!isCommand(command)) return undefined;
  if (outcome === 'applied' || outcome === 'pending') return { kind: outcome, command };
  if (outcome === 'refused')
    return isErrorCode(code)
      ? { kind: 'refused', command, reason: { title: ERROR_CODES[code].title, code } }
      : { kind: 'refused', command };
  return undefined;
}

// GET /api/portal/requests/{id}: the request in full, its trail and the viewer's actions.
httpRoute('portalRequest', {
  route: 'portal/requests/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) =>
    portal(request, context, undefined, async (_request, call) => {
      const id = routeParam(request, 'id', MAX_ID);
      const view = await portalRequest(deps(), call.caller, id);
      const notice = noticeOf(query(request), call.caller, id);
      return pageResponse(200, requestPage(call.viewer, view, notice ? { notice } : {}));
    }),
});

// POST /api/portal/requests/{id}: approve, reject (notes), cancel or complete; 303 back with the outcome.
clientHttpRoute('portalCommand', {
  route: 'portal/requests/{id}',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request, client, context) =>
    portal(request, context, client, async (_request, call) => {
      const id = routeParam(request, 'id', MAX_ID);
      const { command, notes } = validate(portalCommandFormSchema, await readForm(request, call), 'body');
      const input: CommandInput =
        command === 'approve' || command === 'reject'
          ? { kind: 'decide', decision: command, notes }
          : { kind: command };
      const back = (outcome: string, code?: string) => outcomeRedirect(call.caller, id, outcome, command, code);
      try {
        const outcome = await sendCommand(deps(client, request), call.caller, id, input);
        return back(outcome.kind);
      } catch (error) {
        if (!isDomainError(error) || error.code === 'not_found') throw error;
        if (error.code === 'notes_required') {
          const view = await portalRequest(deps(), call.caller, id);
          return pageResponse(
            statusOf('notes_required'),
            requestPage(call.viewer, view, {
              error: { message: 'Say why you reject it: notes are required to reject.', notes },
            }),
            { code: error.code },
          );
        }
        return back('refused', error.code);
      }
    }),
});

// GET /api/portal/requests/{id}/audit.csv: the trail as CSV, each row with the chain verdict.
httpRoute('portalAuditCsv', {
  route: 'portal/requests/{id}/audit.csv',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) =>
    portal(request, context, undefined, async (_request, call) => {
      const id = routeParam(request, 'id', MAX_ID);
      const csv = await portalAuditCsv(deps(), call.caller, id);
      return {
        status: 200,
        headers: {
          'content-type': AUDIT_CSV_TYPE,
          'content-disposition': `attachment; filename="audit-${id.replace(/[^A-Za-z0-9-]/g, '_')}.csv"`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        },
        body: csv,
      };
    }),
});

/** The form again with `error`'s field errors (or its message at the top). */
function formRefusal(call: PortalCall, form: NewForm, error: DomainError): HttpResponseInit {
  const errors = (error.errors ?? []).map((item) => ({ field: fieldOf(item.path.split('.')), message: item.message }));
  const title = ERROR_CODES[error.code as ErrorCode]?.title ?? 'Refused';
  return pageResponse(
    statusOf(error.code),
    newPage(call.viewer, form, {
      errors,
      ...(errors.length === 0 ? { error: `${title}: ${error.message}` } : {}),
    }),
    { code: error.code },
  );
}

// GET /api/portal/new: the submit form, and the device search (GET: it changes nothing).
httpRoute('portalNew', {
  route: 'portal/new',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) =>
    portal(request, context, undefined, async (_request, call) => {
      const form = newFormOf(query(request));
      if (form.q === undefined) return pageResponse(200, newPage(call.viewer, form));
      // The search reads the tenant's devices with the app's own Graph permission: only for those who may submit.
      if (!call.caller.roles.includes('MAA.Requester'))
        throw new DomainError('forbidden', 'Searching the tenant\u2019s devices needs the MAA.Requester role.');
      if (form.q.length > MAX_SEARCH_TEXT)
        return pageResponse(
          400,
          newPage(call.viewer, form, { searchError: `Search for at most ${MAX_SEARCH_TEXT} characters.` }),
          { code: 'validation_failed' },
        );
      let matches: DeviceMatch[];
      try {
        matches = await getServices().deviceSearch.find(form.q);
      } catch (error) {
        if (!isDomainError(error, 'graph_unavailable')) throw error;
        return pageResponse(
          200,
          newPage(call.viewer, form, {
            searchError: `The search failed: ${error.message} Type the device's id instead.`,
          }),
        );
      }
      return pageResponse(200, newPage(call.viewer, form, { matches }));
    }),
});

// POST /api/portal/new: step=preview (the dry run) or step=submit (idempotent by the preview's key).
clientHttpRoute('portalSubmit', {
  route: 'portal/new',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request, client, context) =>
    portal(request, context, client, async (_request, call) => {
      const fields = await readForm(request, call);
      const form = newFormOf({ get: (name) => fields[name] });
      delete form.q;
      const built = submitBodyOf(form);
      if ('errors' in built)
        return pageResponse(400, newPage(call.viewer, form, { errors: built.errors }), { code: 'validation_failed' });
      try {
        // Policy changes go through the policy pages of the API, as there.
        assertDirectlySubmittable(built.body.profileType);
        if (fields.step === 'submit') {
          const key = fields.idempotencyKey ?? '';
          if (!UUID.test(key))
            throw new HttpError('validation_failed', 'The request is not valid', 'Preview the request again.', [
              { path: 'idempotencyKey', message: 'must be the preview page\u2019s key' },
            ]);
          const submitted = await submitRequest(deps(client, request), call.caller, built.body, key);
          return outcomeRedirect(call.caller, submitted.id, 'submitted', 'submit');
        }
        const evaluation = await evaluateRequest(deps(), call.caller, built.body);
        return pageResponse(200, previewPage(call.viewer, form, evaluation, crypto.randomUUID()));
      } catch (error) {
        if (isDomainError(error)) return formRefusal(call, form, error);
        throw error;
      }
    }),
});

// POST /api/portal/zone: the viewer's time zone, kept in the maa-tz cookie.
clientHttpRoute('portalZone', {
  route: 'portal/zone',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request, client, context) =>
    portal(request, context, client, async (_request, call) => {
      const fields = validate(portalZoneFormSchema, await readForm(request, call), 'body');
      const zone = validTimeZone(fields.tz);
      if (!zone)
        throw new HttpError('validation_failed', 'The request is not valid', 'Choose a time zone from the list.', [
          { path: 'tz', message: 'must be an IANA time zone name' },
        ]);
      // Back to the portal page named, judged once resolved (`..` segments could leave the portal).
      const resolved = new URL(fields.returnTo ?? PORTAL_PATH, 'http://portal.invalid');
      const inPortal =
        resolved.origin === 'http://portal.invalid' &&
        (resolved.pathname === PORTAL_PATH || resolved.pathname.startsWith(`${PORTAL_PATH}/`)) &&
        !/[\\\p{Cc}]/u.test(fields.returnTo ?? '');
      // The zone the page named in its query would win over the cookie: it is dropped on the way back.
      const url = inPortal ? resolved : new URL(PORTAL_PATH, 'http://portal.invalid');
      url.searchParams.delete('tz');
      return redirect(`${url.pathname}${url.search}`, [timeZoneCookie(zone, isHttps(request))]);
    }),
});
