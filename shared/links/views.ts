import { approvalCount } from '../domain/lifecycle';
import type { ApprovalRequest, Decision } from '../domain/model';
import { operationTitle, titleText } from '../domain/operationTitle';
import { visibleText } from '../domain/text';
import { html, page, SafeHtml } from '../views/html';
import type { LinkClaims } from './linkToken';
import { LINK_REFUSALS, type LinkRefusalCode } from './refusals';

// The approval link pages: the review form, a decision's result, and every refusal.

/** `2024-03-01 10:05:00 UTC` in a `<time>` element. */
function time(instant: string | number): SafeHtml {
  const iso = new Date(typeof instant === 'number' ? instant * 1000 : instant).toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>`;
}

/** User text isolated from its surroundings (`<bdi>`) with what a reader could not see escaped (`visibleText`). */
function user(text: string, kind: 'identifier' | 'text' = 'text'): SafeHtml {
  return html`<bdi>${visibleText(text, kind)}</bdi>`;
}

const person = (who: { id: string; displayName: string }) =>
  who.displayName === who.id
    ? user(who.id, 'identifier')
    : html`${user(who.displayName)} (${user(who.id, 'identifier')})`;

/** What the request asks for (see `operationTitle`): as page text with user parts isolated, and as plain text for `<title>`. */
function title(request: ApprovalRequest): { html: SafeHtml; text: string } {
  const parts = operationTitle(request);
  return {
    html: html`${parts.map((part) => (typeof part === 'string' ? html`${part}` : user(part.userText, 'identifier')))}`,
    text: titleText(parts, (text) => visibleText(text, 'identifier')),
  };
}

function decisionItem(decision: Decision): SafeHtml {
  const verb = decision.decision === 'approve' ? 'approved' : 'rejected';
  return html`<li><strong>${user(decision.approver.displayName)}</strong> ${verb} on ${time(decision.at)}${decision.source === 'link' ? ' through an approval link' : ''}${
    decision.notes ? html`: “${user(decision.notes)}”` : ''
  }</li>`;
}

/** What is requested, by whom, why, and how far it got. */
function summary(request: ApprovalRequest, claims: LinkClaims): SafeHtml {
  const { operation } = request;
  const approvals = approvalCount(request);
  return html`<dl>
<dt>Profile type</dt><dd>${request.profileType}</dd>
<dt>Action</dt><dd>${user(operation.action, 'identifier')}</dd>
<dt>Resource type</dt><dd>${user(operation.resourceType, 'identifier')}</dd>
<dt>Resource id</dt><dd>${operation.resourceId === undefined ? html`<span class="note">none</span>` : user(operation.resourceId, 'identifier')}</dd>
<dt>Requested by</dt><dd>${person(request.initiator)}</dd>
<dt>Requested on</dt><dd>${time(request.createdAt)}</dd>
<dt>Justification</dt><dd>${user(request.justification)}</dd>
<dt>Approvals</dt><dd>${approvals} of ${request.policy.requiredApprovals} required</dd>
<dt>Request expires</dt><dd>${time(request.expiresAt)}</dd>
<dt>This link expires</dt><dd>${time(claims.expiresAt)}</dd>
<dt>Operation hash</dt><dd><code>${request.operationHash}</code></dd>
<dt>Request id</dt><dd><code>${request.id}</code></dd>
</dl>
${operation.payload === undefined ? '' : html`<h2>Payload</h2><pre>${user(JSON.stringify(operation.payload, null, 2))}</pre>`}
<h2>Decisions so far</h2>
${request.decisions.length === 0 ? html`<p class="note">None yet.</p>` : html`<ul>${request.decisions.map(decisionItem)}</ul>`}`;
}

/** What the review form needs besides the request. */
export interface ReviewForm {
  /** Where the form posts (this page's path). */
  readonly action: string;
  readonly csrf: string;
  /** Who is deciding, as shown to them. */
  readonly actor: { id: string; displayName: string };
  /** A refusal of the last post to show above the form (e.g. notes missing), and the notes to keep. */
  readonly error?: string;
  readonly notes?: string;
}

/** The review page: the request in full and the approve/reject form. */
export function reviewPage(request: ApprovalRequest, claims: LinkClaims, form: ReviewForm): string {
  const what = title(request);
  return page(
    `Approve or reject: ${what.text}`,
    html`<h1>Approve or reject: ${what.html}</h1>
<p>${user(request.initiator.displayName)} asks for a second admin's approval. Check that the operation below is what you expect before you decide.</p>
${summary(request, claims)}
<h2>Your decision</h2>
${form.error ? html`<p class="notice bad" role="alert">${form.error}</p>` : ''}
<form method="post" action="${form.action}">
<input type="hidden" name="csrf" value="${form.csrf}">
<label for="notes">Notes <span class="note">(required to reject)</span></label>
<textarea id="notes" name="notes" maxlength="1024">${form.notes ?? ''}</textarea>
<div class="actions">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</div>
</form>
<p class="note">Deciding as ${person(form.actor)}. This link decides once.</p>`,
  );
}

/** The page after a decision: applied (with the request as it now stands), or sent and not yet visible. */
export function outcomePage(request: ApprovalRequest, claims: LinkClaims, decision: Decision | undefined): string {
  const title = decision
    ? `You ${decision.decision === 'approve' ? 'approved' : 'rejected'} this request`
    : 'Your decision was sent';
  return page(
    title,
    html`<h1>${title}</h1>
${
  decision
    ? html`<p class="notice ok" role="status">Recorded on ${time(decision.at)}. The request is now <strong>${request.status}</strong>. This link has been used and cannot decide again.</p>`
    : html`<p class="notice" role="status">It is being applied and shows in the request within moments. Open this link again to see the result.</p>`
}
${summary(request, claims)}`,
  );
}

/** A refusal: what went wrong and what to do, with a sign-in link when signing in would help. */
export function refusalPage(code: LinkRefusalCode, detail: string | undefined, signInUrl?: string): string {
  const refusal = LINK_REFUSALS[code];
  return page(
    refusal.title,
    html`<h1>${refusal.title}</h1>
<p class="notice bad" role="alert">${detail ?? refusal.message}</p>
${signInUrl ? html`<p><a class="button" href="${signInUrl}">Sign in</a></p>` : ''}
<p class="note">Reason code: <code>${code}</code></p>`,
  );
}

/** Any other failure (on our side, of a service we depend on, or a refusal links never meet): nothing about it is shown. */
export function failurePage(status: number, code: string): string {
  const title =
    status === 503
      ? 'The service is busy or a service it depends on is unavailable'
      : status >= 500
        ? 'Something went wrong on our side'
        : 'This cannot be done';
  return page(
    title,
    html`<h1>${title}</h1>
<p class="notice bad" role="alert">Nothing was changed. Try again in a moment, or decide in the portal.</p>
<p class="note">Reason code: <code>${code}</code></p>`,
  );
}

/**
 * Where the platform signs users in and brings them back to `path`: App Service Authentication's
 * login endpoint (the local runtime serves the same path with its development sign-in).
 */
export function signInUrl(path: string): string {
  return `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(path)}`;
}
