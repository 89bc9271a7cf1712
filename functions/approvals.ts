import type { Cookie, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { linkDecisionFormSchema, type LinkDecisionForm } from '../shared/api/schemas';
import { getServices } from '../shared/composition';
import { isDomainError } from '../shared/domain/errors';
import { parseUrlEncoded, readUtf8Body } from '../shared/http/body';
import { describeError } from '../shared/http/handler';
import { htmlResponse } from '../shared/http/html';
import { problemFromError } from '../shared/http/problem';
import { statusOf } from '../shared/errors/registry';
import { logEvent } from '../shared/telemetry/log';
import { principalFromPlatformHeaders } from '../shared/identity/platformPrincipal';
import {
  cookieValue,
  CSRF_COOKIE,
  CSRF_COOKIE_PATH,
  csrfField,
  isCsrfNonce,
  newCsrfNonce,
  sameOriginPost,
  verifyCsrfField,
} from '../shared/links/csrf';
import type { LinkClaims } from '../shared/links/linkToken';
import { isLinkError, isLinkRefusalCode, LinkError } from '../shared/links/refusals';
import type { LinksConfig } from '../shared/links/settings';
import { failurePage, outcomePage, refusalPage, reviewPage, signInUrl } from '../shared/links/views';
import {
  assertUsable,
  awaitOutcome,
  decideByLink,
  openLink,
  verifyLink,
  type OpenedLink,
} from '../shared/useCases/links';
import { reviewContext } from '../shared/useCases/review';
import { deps } from './support';
import { clientHttpRoute, httpRoute } from './routes';

// `GET` and `POST /api/approvals/{token}`: the approval link a notification carries. GET shows
// the request to the approver the link was issued to, with an approve/reject form, and changes
// nothing (mail scanners fetch links before people click them); POST decides once. Every answer is
// an HTML page (see shared/links/views.ts), refusals with their code in `x-error-code`.

/** Largest form accepted; the real one is notes (at most 1024 characters), a decision and a CSRF field. */
const MAX_FORM_BYTES = 8 * 1024;

/** The fields naming a link in its log lines. */
const linkOf = ({ requestId, approverId, linkId }: LinkClaims) => ({ requestId, approverId, linkId });

type LinkHandler = (
  links: LinksConfig,
  claims: LinkClaims,
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

/**
 * Runs `handler` for a genuine link and turns every refusal into its page. Bad tokens are logged
 * at information level with the reason only; refusals of genuine links as structured warnings
 * naming the request, approver and link, so they can be alerted on.
 */
async function withLink(
  request: HttpRequest,
  context: InvocationContext,
  handler: LinkHandler,
): Promise<HttpResponseInit> {
  const { links, now } = getServices();
  if (!links) return refusal(new LinkError('links_disabled'), request);
  let claims: LinkClaims;
  try {
    claims = verifyLink(links.keys, request.params.token ?? '', now());
  } catch (error) {
    logEvent(context, 'link.refused', { method: request.method, code: (error as LinkError).code });
    return refusal(error, request);
  }
  try {
    return await handler(links, claims, request, context);
  } catch (error) {
    const { requestId, linkId } = claims;
    if (isLinkError(error) || isDomainError(error))
      logEvent(context, 'link.refused', { method: request.method, code: error.code, ...linkOf(claims) }, 'warn');
    else context.error(`approval link ${linkId} of request ${requestId} failed: ${describeError(error)}`);
    return refusal(error, request);
  }
}

/** The page for any failure: a link refusal (with a sign-in link when that is the way on), or a bare failure page. */
function refusal(error: unknown, request: HttpRequest): HttpResponseInit {
  const code = isLinkError(error) || isDomainError(error) ? error.code : undefined;
  if (isLinkRefusalCode(code)) {
    const signIn = code === 'sign_in_required' ? signInUrl(new URL(request.url).pathname) : undefined;
    return htmlResponse(statusOf(code), refusalPage(code, isLinkError(error) ? error.detail : undefined, signIn), {
      code,
    });
  }
  const problem = problemFromError(error);
  return htmlResponse(problem.status, failurePage(problem.status, problem.code), { code: problem.code });
}

/** The signed-in user, when App Service Authentication (or the local runtime standing in for it) is in front. */
function principalOf(links: LinksConfig, request: HttpRequest) {
  return links.platformAuth ? principalFromPlatformHeaders(request.headers) : undefined;
}

function csrfCookie(links: LinksConfig, nonce: string): Cookie {
  return {
    name: CSRF_COOKIE,
    value: nonce,
    path: CSRF_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: links.publicBaseUrl.startsWith('https:'),
  };
}

/**
 * The review page with a CSRF field bound to the link, the actor and this browser's nonce (set if
 * it has none), and the target read again through Graph (a bounded wait; see `reviewContext`).
 */
async function review(
  links: LinksConfig,
  request: HttpRequest,
  link: OpenedLink,
  status = 200,
  error?: { message: string; notes: string; code: string },
): Promise<HttpResponseInit> {
  const existing = cookieValue(request.headers.get('cookie'), CSRF_COOKIE);
  const nonce = isCsrfNonce(existing) ? existing : newCsrfNonce();
  const form = {
    action: new URL(request.url).pathname,
    csrf: csrfField(links.keys[0]!, link.claims.linkId, link.actor.id, nonce),
    actor: link.actor,
    ...(error ? { error: error.message, notes: error.notes } : {}),
  };
  const context = await reviewContext(deps(), link.request);
  return htmlResponse(status, reviewPage(link.request, link.claims, form, context), {
    cookies: [csrfCookie(links, nonce)],
    ...(error ? { code: error.code } : {}),
  });
}

/** Reads the form post's fields: URL-encoded strict UTF-8, small, each field once (validated after the CSRF check). */
async function readForm(request: HttpRequest): Promise<Record<string, string>> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new LinkError('invalid_form');
  let pairs: [string, string][];
  try {
    pairs = parseUrlEncoded(await readUtf8Body(request, MAX_FORM_BYTES, () => new LinkError('invalid_form')), 'body');
  } catch (error) {
    // Bytes that are not UTF-8 would show the approver something else than what they typed.
    if (isLinkError(error)) throw error;
    throw new LinkError('invalid_form');
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (Object.hasOwn(fields, name)) throw new LinkError('invalid_form');
    fields[name] = value;
  }
  return fields;
}

/** The decision a form carries; `invalid_form` when it is not one. */
function decisionOf(fields: Record<string, string>): LinkDecisionForm {
  const parsed = linkDecisionFormSchema.safeParse(fields);
  if (!parsed.success) throw new LinkError('invalid_form');
  return parsed.data;
}

httpRoute('reviewApprovalLink', {
  route: 'approvals/{token}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) =>
    withLink(request, context, async (links, claims) => {
      const link = await openLink(deps(), claims, principalOf(links, request), links.allowLinkOnly);
      if (link.decided) return htmlResponse(200, outcomePage(link.request, claims, link.decided));
      await assertUsable(deps(), link);
      return review(links, request, link);
    }),
});

clientHttpRoute('decideApprovalLink', {
  route: 'approvals/{token}',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request, client, context) =>
    withLink(request, context, async (links, claims) => {
      if (!sameOriginPost(request.headers, links.publicBaseUrl)) throw new LinkError('csrf_failed');
      const link = await openLink(deps(client), claims, principalOf(links, request), links.allowLinkOnly);
      const fields = await readForm(request);
      if (
        !verifyCsrfField(
          links.keys,
          claims.linkId,
          link.actor.id,
          cookieValue(request.headers.get('cookie'), CSRF_COOKIE),
          fields.csrf,
        )
      ) {
        throw new LinkError('csrf_failed');
      }
      const form = decisionOf(fields);
      try {
        await decideByLink(deps(client), link, form.decision, form.notes);
      } catch (error) {
        if (isDomainError(error) && error.code === 'notes_required') {
          return review(links, request, link, statusOf('notes_required'), {
            message: 'Say why you reject it: notes are required to reject.',
            notes: form.notes,
            code: error.code,
          });
        }
        throw error;
      }
      logEvent(context, 'link.used', { decision: form.decision, ...linkOf(claims) });
      const outcome = await awaitOutcome(deps(client), link);
      if (outcome.kind === 'applied') return htmlResponse(200, outcomePage(outcome.request, claims, outcome.decision));
      if (outcome.kind === 'refused') {
        logEvent(
          context,
          'link.refused',
          {
            method: 'POST',
            code: outcome.code,
            ...linkOf(claims),
            by: 'orchestration',
          },
          'warn',
        );
        if (isLinkRefusalCode(outcome.code)) return refusal(new LinkError(outcome.code), request);
        // membership_unavailable: the directory stayed unreachable through the orchestration's retries.
        const status = statusOf('membership_unavailable');
        return htmlResponse(status, failurePage(status, outcome.code), { code: outcome.code });
      }
      return htmlResponse(202, outcomePage(link.request, claims, undefined));
    }),
});
