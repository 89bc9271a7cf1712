import { approvalCount } from '../domain/lifecycle';
import type { ApprovalRequest, AssignmentView, Decision, JsonValue, TargetSnapshot } from '../domain/model';
import { operationTitle, titleText } from '../domain/operationTitle';
import { visibleText } from '../domain/text';
import { html, page, SafeHtml } from '../views/html';
import type { LinkClaims } from './linkToken';
import { LINK_REFUSALS, type LinkRefusalCode } from './refusals';
import {
  previewOf,
  type AssignmentChange,
  type ChangeSet,
  type Freshness,
  type Preview,
  type SettingChange,
} from '../views/change';
import type { ReviewContext } from '../useCases/review';

// The approval link pages: the review form, a decision's result, and every refusal.

/** `2024-03-01 10:05:00 UTC` in a `<time>` element. */
function time(instant: string | number): SafeHtml {
  const date = new Date(typeof instant === 'number' ? instant * 1000 : instant);
  // Graph's times (a device's check-in) are shown as given when they are not times at all.
  if (Number.isNaN(date.getTime())) return user(String(instant));
  const iso = date.toISOString();
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
function summary(request: ApprovalRequest, claims: LinkClaims, preview: Preview | undefined): SafeHtml {
  const { operation } = request;
  const approvals = approvalCount(request);
  const ids = operation.resourceIds;
  return html`<h2>The request</h2>
<dl>
<dt>Profile type</dt><dd>${request.profileType}</dd>
<dt>Action</dt><dd>${user(operation.action, 'identifier')}</dd>
<dt>Resource type</dt><dd>${user(operation.resourceType, 'identifier')}</dd>
<dt>Resource id</dt><dd>${
    ids !== undefined
      ? html`${ids.length} device(s), listed above`
      : operation.resourceId === undefined
        ? html`<span class="note">none</span>`
        : user(operation.resourceId, 'identifier')
  }</dd>
<dt>Requested by</dt><dd>${person(request.initiator)}</dd>
<dt>Requested on</dt><dd>${time(request.createdAt)}</dd>
<dt>Justification</dt><dd>${user(request.justification)}</dd>
<dt>Approvals</dt><dd>${approvals} of ${request.policy.requiredApprovals} required</dd>
<dt>Request expires</dt><dd>${time(request.expiresAt)}</dd>
<dt>This link expires</dt><dd>${time(claims.expiresAt)}</dd>
<dt>Operation hash</dt><dd><code>${request.operationHash}</code></dd>
<dt>Request id</dt><dd><code>${request.id}</code></dd>
</dl>
${operation.payload === undefined || preview !== undefined ? '' : html`<h2>Payload</h2><pre>${user(JSON.stringify(operation.payload, null, 2))}</pre>`}
<h2>Decisions so far</h2>
${request.decisions.length === 0 ? html`<p class="note">None yet.</p>` : html`<ul>${request.decisions.map(decisionItem)}</ul>`}`;
}

/** A JSON value in a table cell or line: strings as they are, anything else as compact JSON. */
function value(item: JsonValue | undefined): SafeHtml {
  if (item === undefined) return html`<span class="note">(not set)</span>`;
  return user(typeof item === 'string' ? item : JSON.stringify(item));
}

/** What the operation does, in words: the catalogue's line, the quorum and who completes it. */
function whatHappens(request: ApprovalRequest, preview: Preview | undefined): SafeHtml {
  const { policy } = request;
  const quorum = policy.quorum?.text;
  return html`<p class="lead">${preview ? html`<strong>${preview.summary}</strong>` : html`<strong>${title(request).html}</strong>`}</p>
<ul class="facts">
<li>${quorum ? html`${user(quorum)} (the policy alone needs ${policy.quorum!.baseApprovals}).` : html`Needs ${policy.requiredApprovals} approval(s).`}</li>
<li>${
    policy.completion === 'onApproval'
      ? html`<strong>Runs as soon as approved</strong>: the service completes it on the last approval${policy.executeWithin ? html`, within ${policy.executeWithin}` : ''}.`
      : html`Runs when ${user(request.initiator.displayName)} completes it after approval.`
  }</li>
</ul>`;
}

/** Whether the target is as it was at submit: the live read's answer. */
function freshnessNotice(freshness: Freshness | undefined): SafeHtml {
  if (freshness === undefined) return html``;
  switch (freshness.state) {
    case 'unchanged':
      return html`<p class="notice ok" role="status"><strong>Unchanged since submit</strong>: read again from Intune at ${time(freshness.readAt)}.</p>`;
    case 'changed':
      return html`<p class="notice bad" role="alert"><strong>Changed since submit</strong>: ${user(freshness.differences.join('; '))}. Completing it will fail with <code>target_changed</code>; ask for a new request.</p>`;
    case 'gone':
      return html`<p class="notice bad" role="alert"><strong>Changed since submit</strong>: Intune no longer knows this object (read at ${time(freshness.readAt)}).</p>`;
    case 'unchecked':
      return html`<p class="notice" role="status"><strong>Could not be checked now</strong>: shown as of ${time(freshness.readAt)} (${user(freshness.reason)}).</p>`;
  }
}

function freshnessWord(freshness: Freshness | undefined): SafeHtml {
  if (freshness === undefined) return html`<span class="note">not checked now</span>`;
  switch (freshness.state) {
    case 'unchanged':
      return html`<span class="tag kept">unchanged</span>`;
    case 'changed':
      return html`<span class="tag removed">changed</span> ${user(freshness.differences.join('; '))}`;
    case 'gone':
      return html`<span class="tag removed">gone</span>`;
    case 'unchecked':
      return html`<span class="note">could not be checked now</span>`;
  }
}

const OWNERSHIP = { company: 'company-owned', personal: 'personal', unknown: 'unknown' } as const;

/** The target as the submit snapshotted it: a device's facts, or an object's name, version and assignments. */
function targetFacts(target: TargetSnapshot): SafeHtml {
  const { device } = target;
  if (device) {
    const owner = device.userPrincipalName
      ? html`${user(device.userDisplayName || device.userPrincipalName)} (${user(device.userPrincipalName, 'identifier')})`
      : html`<span class="note">no primary user</span>`;
    const model = [device.manufacturer, device.model].filter((part) => part).join(' ');
    return html`<dl class="target">
<dt>Device</dt><dd><strong>${user(target.displayName)}</strong></dd>
<dt>Owner</dt><dd>${owner}</dd>
<dt>Operating system</dt><dd>${user(`${device.operatingSystem} ${device.osVersion}`.trim())}</dd>
<dt>Ownership</dt><dd>${OWNERSHIP[device.ownership]}</dd>
<dt>Compliance</dt><dd>${user(device.complianceState)}</dd>
<dt>Last check-in</dt><dd>${device.lastSyncDateTime ? time(device.lastSyncDateTime) : html`<span class="note">never</span>`}</dd>
<dt>Management state</dt><dd>${user(device.managementState)}</dd>
${model ? html`<dt>Model</dt><dd>${user(model)}</dd>` : ''}
${device.serialNumber ? html`<dt>Serial number</dt><dd>${user(device.serialNumber, 'identifier')}</dd>` : ''}
<dt>Intune id</dt><dd><code>${user(target.id, 'identifier')}</code></dd>
<dt>Read at submit</dt><dd>${time(target.readAt)}</dd>
</dl>`;
  }
  return html`<dl class="target">
<dt>Name</dt><dd><strong>${user(target.displayName)}</strong></dd>
<dt>Kind</dt><dd>${user(target.resourceType, 'identifier')}</dd>
${target.version === undefined ? '' : html`<dt>Version</dt><dd>${user(target.version)}</dd>`}
${target.lastModifiedDateTime === undefined ? '' : html`<dt>Last modified</dt><dd>${time(target.lastModifiedDateTime)}</dd>`}
${
  target.assignments === undefined
    ? ''
    : html`<dt>Assigned to</dt><dd>${target.assignments.length === 0 ? html`<span class="note">nobody</span>` : target.assignments.map((view, index) => html`${index === 0 ? '' : html`<br>`}${assignmentWords(view)}`)}</dd>`
}
<dt>Intune id</dt><dd><code>${user(target.id, 'identifier')}</code></dd>
<dt>Read at submit</dt><dd>${time(target.readAt)}</dd>
</dl>`;
}

/** `the group Sales devices (a990…)`, `all devices`, `excluding the group …`, with an app's intent. */
function assignmentWords(view: AssignmentView): SafeHtml {
  const group =
    view.groupId === undefined
      ? ''
      : view.groupName === undefined
        ? user(view.groupId, 'identifier')
        : html`<strong>${user(view.groupName)}</strong> <span class="note">(${user(view.groupId, 'identifier')})</span>`;
  const who =
    view.target === 'allDevices'
      ? html`all devices`
      : view.target === 'allLicensedUsers'
        ? html`all users`
        : view.target === 'exclusionGroup'
          ? html`excluding the group ${group}`
          : html`the group ${group}`;
  return view.intent === undefined ? who : html`${who}, ${user(view.intent)}`;
}

/** A bulk action's devices: one row each, with whether it changed since submit. */
function deviceTable(
  targets: readonly TargetSnapshot[],
  devices: readonly (Freshness | undefined)[] | undefined,
): SafeHtml {
  const counts = { unchanged: 0, changed: 0, unchecked: 0 };
  for (let index = 0; index < targets.length; index++) {
    const state = devices?.[index]?.state;
    if (state === 'unchanged') counts.unchanged++;
    else if (state === 'changed' || state === 'gone') counts.changed++;
    else counts.unchecked++;
  }
  return html`<h2>The ${targets.length} devices</h2>
${
  devices === undefined
    ? ''
    : html`<p class="${counts.changed > 0 ? 'notice bad' : 'notice'}" role="status">Read again now: ${counts.unchanged} unchanged since submit, ${counts.changed} changed, ${counts.unchecked} not checked now (at most the first ${Math.min(targets.length, 20)} are read again when this page opens; completion reads every device again before it acts).</p>`
}
<table class="devices stack">
<thead><tr><th>Device</th><th>Owner</th><th>OS</th><th>Ownership</th><th>Compliance</th><th>Last check-in</th><th>Now</th></tr></thead>
<tbody>${targets.map((target, index) => {
    const device = target.device;
    return html`<tr>
<td data-label="Device"><strong>${user(target.displayName)}</strong>${device?.serialNumber ? html` <span class="note">${user(device.serialNumber, 'identifier')}</span>` : ''}</td>
<td data-label="Owner">${device?.userPrincipalName ? html`${user(device.userDisplayName)} (${user(device.userPrincipalName, 'identifier')})` : html`<span class="note">none</span>`}</td>
<td data-label="OS">${user(`${device?.operatingSystem ?? ''} ${device?.osVersion ?? ''}`.trim())}</td>
<td data-label="Ownership">${device ? OWNERSHIP[device.ownership] : ''}</td>
<td data-label="Compliance">${user(device?.complianceState ?? '')}</td>
<td data-label="Last check-in">${device?.lastSyncDateTime ? time(device.lastSyncDateTime) : ''}</td>
<td data-label="Now">${freshnessWord(devices?.[index])}</td>
</tr>`;
  })}</tbody>
</table>`;
}

const CHANGE_WORDS: Record<SettingChange['change'], string> = {
  changed: 'changed',
  added: 'set',
  removed: 'removed',
  unchanged: 'unchanged',
};

/** The diff of the object as it is against what the operation sets. */
function changeSection(changes: ChangeSet, target: TargetSnapshot | undefined): SafeHtml {
  const parts: SafeHtml[] = [];
  if (changes.kind === 'delete')
    parts.push(
      html`<p class="notice bad"><strong>Deletes</strong> ${target ? user(target.displayName) : 'the object'} and its assignments.</p>`,
    );
  if (changes.settings.length > 0)
    parts.push(html`<h3>Settings</h3>
<table class="diff stack">
<thead><tr><th>Setting</th><th>Now</th><th>Proposed</th><th>Change</th></tr></thead>
<tbody>${changes.settings.map(
      (change) => html`<tr class="${change.change}">
<td data-label="Setting"><code>${user(change.name, 'identifier')}</code></td>
<td data-label="Now">${
        changes.kind === 'create'
          ? html`<span class="note">(new)</span>`
          : change.current === undefined
            ? html`<span class="note">(not known)</span>`
            : value(change.current)
      }</td>
<td data-label="Proposed">${change.change === 'removed' ? html`<span class="note">(removed)</span>` : value(change.proposed)}</td>
<td data-label="Change"><span class="tag ${change.change}">${CHANGE_WORDS[change.change]}</span></td>
</tr>`,
    )}</tbody>
</table>
${changes.kind === 'update' ? html`<p class="note">Only the settings listed change; the others stay as they are.</p>` : ''}`);
  if (changes.assignments.length > 0 || changes.kind === 'assign')
    parts.push(html`<h3>Assignments</h3>
${changes.assignments.length === 0 ? html`<p>None now, none after: the list stays empty.</p>` : html`<ul class="assignments">${changes.assignments.map((change: AssignmentChange) => html`<li class="${change.change}"><span class="tag ${change.change}">${change.change}</span> ${assignmentWords(change)}</li>`)}</ul>`}
${changes.removesAssignmentId === undefined ? '' : html`<p>Removes the assignment with id <code>${user(changes.removesAssignmentId, 'identifier')}</code>.</p>`}`);
  for (const script of changes.scripts)
    parts.push(html`<h3>Script: <code>${script.name}</code></h3>
<p>${
      script.differs === undefined
        ? html`The current script is not known; the proposed one is below.`
        : script.differs
          ? html`<strong>Differs from the current script</strong> (current: SHA-256 <code>${script.current!.sha256.slice(0, 16)}…</code>, ${script.current!.length} Base64 characters; proposed: <code>${script.proposedSha256.slice(0, 16)}…</code>, ${script.proposedLength}).`
          : html`The same as the current script (SHA-256 <code>${script.proposedSha256.slice(0, 16)}…</code>).`
    }</p>
<p class="notice bad">Scripts may hold secrets (passwords, keys, tokens): check it holds none, and do not copy it elsewhere.</p>
<pre>${user(script.proposedText)}</pre>`);
  if (parts.length === 0) return html``;
  return html`<h2>What changes</h2>
${parts}`;
}

/** How many calls the page shows open; a bulk action's others are one click away (`<details>`, no script). */
const OPEN_CALLS = 3;

/** The calls completion will send, exactly, and the hash they are bound to. */
function callSection(request: ApprovalRequest, preview: Preview): SafeHtml {
  const block = (call: Preview['calls'][number]) =>
    html`<pre class="call">${call.method} ${user(call.path, 'identifier')}${
      call.body === undefined
        ? ''
        : html`
${user(JSON.stringify(call.body, null, 2))}`
    }</pre>`;
  const { calls } = preview;
  return html`<h2>Exactly what will be sent to Microsoft Graph</h2>
<p class="note">Completion sends ${calls.length === 1 ? 'this call' : html`these ${calls.length} calls`}, derived from the approved operation (operation hash <code>${request.operationHash}</code>); secret fields show as (sealed).</p>
${
  calls.length <= OPEN_CALLS
    ? calls.map(block)
    : html`${block(calls[0]!)}
<details><summary>Show all ${calls.length} calls</summary>
${calls.slice(1).map(block)}
</details>`
}`;
}

/** Everything the approver needs to recognise what will change: in words first, then exactly. */
export function whatChanges(request: ApprovalRequest, context: ReviewContext | undefined): SafeHtml {
  const preview = context?.preview ?? previewOf(request);
  const target = request.target;
  return html`<h2>What will happen</h2>
${whatHappens(request, preview)}
${
  request.targets !== undefined
    ? deviceTable(request.targets, context?.devices)
    : target !== undefined
      ? html`<h2>${target.device ? 'The device' : 'The target'}</h2>
${freshnessNotice(context?.freshness)}
${targetFacts(target)}`
      : ''
}
${preview ? changeSection(preview.changes, target) : ''}
${preview ? callSection(request, preview) : ''}`;
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
export function reviewPage(
  request: ApprovalRequest,
  claims: LinkClaims,
  form: ReviewForm,
  context?: ReviewContext,
): string {
  const what = title(request);
  const preview = context?.preview ?? previewOf(request);
  return page(
    `Approve or reject: ${what.text}`,
    html`<h1>Approve or reject: ${what.html}</h1>
<p>${user(request.initiator.displayName)} asks for a second admin's approval. Check that the operation below is what you expect before you decide.</p>
${whatChanges(request, context)}
${summary(request, claims, preview)}
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
${whatChanges(request, undefined)}
${summary(request, claims, previewOf(request))}`,
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
