import { approvalCount } from '../domain/lifecycle';
import { PROFILE_TYPES, REQUEST_STATUSES, type ApprovalRequest, type AuditRecord } from '../domain/model';
import { operationTitle, titleText } from '../domain/operationTitle';
import { visibleText } from '../domain/text';
import { CATALOGUE } from '../intune/catalogue';
import type { DeviceMatch } from '../intune/targetSearch';
import { whatChanges } from '../links/views';
import type { PortalHome, PortalRequest } from '../useCases/portal';
import type { Evaluation } from '../useCases/requests';
import { html, page, SafeHtml } from './html';
import type { FieldProblem, NewForm } from './portalForms';
import { PORTAL_PATH, portalPage, type PortalSection, type Viewer } from './portalLayout';
import { timeHtml } from './time';

export type { FieldProblem, NewForm } from './portalForms';

// The portal's pages (see docs/portal.md): home, the request lists, one request in full with the
// viewer's actions, and the submit form with its dry run. Everything the user typed or Graph named
// is escaped and isolated (`<bdi>`); times show in the viewer's zone with UTC on hover.

/** User text isolated from its surroundings with what a reader could not see escaped. */
function user(text: string, kind: 'identifier' | 'text' = 'text'): SafeHtml {
  return html`<bdi>${visibleText(text, kind)}</bdi>`;
}

function title(request: ApprovalRequest): { html: SafeHtml; text: string } {
  const parts = operationTitle(request);
  return {
    html: html`${parts.map((part) => (typeof part === 'string' ? html`${part}` : user(part.userText, 'identifier')))}`,
    text: titleText(parts, (text) => visibleText(text, 'identifier')),
  };
}

const STATUS_WORDS: Record<ApprovalRequest['status'], string> = {
  needsApproval: 'needs approval',
  approved: 'approved',
  rejected: 'rejected',
  cancelled: 'cancelled',
  completed: 'completed',
  expired: 'expired',
};

function statusTag(status: ApprovalRequest['status']): SafeHtml {
  return html`<span class="tag ${status}">${STATUS_WORDS[status]}</span>`;
}

export const requestPath = (id: string) => `${PORTAL_PATH}/requests/${encodeURIComponent(id)}`;

/** A request in a list: what it asks, its status, who asked and when. */
function card(request: ApprovalRequest, viewer: Viewer): SafeHtml {
  return html`<li><a href="${requestPath(request.id)}"><strong>${title(request).html}</strong></a> ${statusTag(request.status)}<br>
<span class="note">${request.profileType} · by ${user(request.initiator.displayName)} · ${timeHtml(request.createdAt, viewer.zone)} · ${approvalCount(request)} of ${request.policy.requiredApprovals} approval(s)</span></li>`;
}

/** `GET /api/portal`: what waits for the viewer, and their open requests. */
export function homePage(viewer: Viewer, home: PortalHome): string {
  return portalPage(
    'Home',
    viewer,
    'home',
    html`<h1>Multi Admin Approval</h1>
<p>Signed in as ${user(viewer.displayName)}.</p>
<h2>Waiting for your decision</h2>
${
  home.waiting.length === 0
    ? html`<p class="note">Nothing waits for you.</p>`
    : html`<ul class="cards" id="waiting">${home.waiting.map((request) => card(request, viewer))}</ul>`
}
<p><a href="${PORTAL_PATH}/requests?view=received">All received requests</a></p>
<h2>Your open requests</h2>
${
  home.mine.length === 0
    ? html`<p class="note">You have no open requests.</p>`
    : html`<ul class="cards" id="mine">${home.mine.map((request) => card(request, viewer))}</ul>`
}
<p><a href="${PORTAL_PATH}/requests?view=mine">All my requests</a> · <a class="button" href="${PORTAL_PATH}/new">New request</a></p>`,
  );
}

/** The list filters as the form holds them (text as typed; dates `YYYY-MM-DD` in the viewer's zone). */
export interface ListForm {
  view: 'mine' | 'received' | 'all';
  status?: string;
  profileType?: string;
  initiator?: string;
  target?: string;
  from?: string;
  to?: string;
}

const VIEW_TITLES: Record<ListForm['view'], string> = {
  mine: 'My requests',
  received: 'Received requests',
  all: 'All requests',
};

function fieldErrors(errors: readonly FieldProblem[], field: string): SafeHtml {
  const mine = errors.filter((error) => error.field === field);
  return html`${mine.map((error) => html`<p class="field-error" id="${field}-error" role="alert">${error.message}</p>`)}`;
}

function options(values: readonly string[], chosen: string | undefined, words?: Record<string, string>): SafeHtml {
  return html`<option value="">Any</option>${values.map(
    (value) =>
      html`<option value="${value}"${value === chosen ? html` selected` : ''}>${words?.[value] ?? value}</option>`,
  )}`;
}

/** `GET /api/portal/requests`: one page of a view, with the filter form and a Next link. */
export function listPage(
  viewer: Viewer,
  form: ListForm,
  result: { items: ApprovalRequest[]; next?: string; errors: FieldProblem[] },
): string {
  const heading = VIEW_TITLES[form.view];
  const section: PortalSection = form.view;
  return portalPage(
    heading,
    viewer,
    section,
    html`<h1>${heading}</h1>
<form method="get" action="${PORTAL_PATH}/requests" aria-label="Filters">
<input type="hidden" name="view" value="${form.view}">
<div class="grid">
<div><label for="status">Status</label><select id="status" name="status" class="wide">${options(REQUEST_STATUSES, form.status, STATUS_WORDS)}</select>${fieldErrors(result.errors, 'status')}</div>
<div><label for="profileType">Profile type</label><select id="profileType" name="profileType" class="wide">${options(PROFILE_TYPES, form.profileType)}</select>${fieldErrors(result.errors, 'profileType')}</div>
<div><label for="initiator">Initiator (object id)</label><input type="text" id="initiator" name="initiator" value="${form.initiator ?? ''}" maxlength="128">${fieldErrors(result.errors, 'initiator')}</div>
<div><label for="target">Target (resource id)</label><input type="text" id="target" name="target" value="${form.target ?? ''}" maxlength="128">${fieldErrors(result.errors, 'target')}</div>
<div><label for="from">Created from</label><input type="date" id="from" name="from" value="${form.from ?? ''}">${fieldErrors(result.errors, 'from')}</div>
<div><label for="to">Created to (inclusive)</label><input type="date" id="to" name="to" value="${form.to ?? ''}">${fieldErrors(result.errors, 'to')}</div>
</div>
<div class="actions"><button type="submit">Filter</button> <a class="button secondary" href="${PORTAL_PATH}/requests?view=${form.view}">Clear</a></div>
</form>
<p class="note">Dates are days in ${viewer.zone}.</p>
${
  result.items.length === 0
    ? html`<p class="note" id="none">No requests match.</p>`
    : html`<table class="stack requests">
<thead><tr><th>Request</th><th>Status</th><th>Profile type</th><th>Requested by</th><th>Created</th><th>Approvals</th></tr></thead>
<tbody>${result.items.map(
        (request) => html`<tr>
<td data-label="Request"><a href="${requestPath(request.id)}">${title(request).html}</a></td>
<td data-label="Status">${statusTag(request.status)}</td>
<td data-label="Profile type">${request.profileType}</td>
<td data-label="Requested by"><a href="${PORTAL_PATH}/requests?${new URLSearchParams({ view: form.view, initiator: request.initiator.id }).toString()}" title="Only this person's requests">${user(request.initiator.displayName)}</a></td>
<td data-label="Created" class="num">${timeHtml(request.createdAt, viewer.zone)}</td>
<td data-label="Approvals">${approvalCount(request)} of ${request.policy.requiredApprovals}</td>
</tr>`,
      )}</tbody>
</table>`
}
<div class="paging">${result.next ? html`<a class="button" rel="next" href="${result.next}">Next</a>` : html`<span class="note">No more requests.</span>`}</div>`,
  );
}

/** What happened to the viewer's last command on this request (from the redirect after the post). */
export interface CommandNotice {
  kind: 'applied' | 'pending' | 'refused';
  command: string;
  /** The refusal's title and code. */
  reason?: { title: string; code: string };
}

const COMMAND_WORDS: Record<string, string> = {
  approve: 'approval',
  reject: 'rejection',
  cancel: 'cancellation',
  complete: 'completion',
};

function notice(command: CommandNotice | undefined, request: ApprovalRequest): SafeHtml {
  if (!command) return html``;
  if (command.command === 'submit')
    return html`<p class="notice ok" role="status" id="outcome">Submitted. The request is now <strong>${STATUS_WORDS[request.status]}</strong>.</p>`;
  const what = COMMAND_WORDS[command.command] ?? 'command';
  if (command.kind === 'applied')
    return html`<p class="notice ok" role="status" id="outcome">Your ${what} was applied. The request is now <strong>${STATUS_WORDS[request.status]}</strong>.</p>`;
  if (command.kind === 'pending')
    return html`<p class="notice" role="status" id="outcome">Your ${what} was sent and is being applied; reload this page in a moment to see it.</p>`;
  return html`<p class="notice bad" role="alert" id="outcome">Your ${what} was refused${
    command.reason
      ? html`: ${command.reason.title} <span class="note">(<code>${command.reason.code}</code>)</span>`
      : ''
  }.</p>`;
}

function actionsSection(
  viewer: Viewer,
  view: PortalRequest,
  error: { message: string; notes: string } | undefined,
): SafeHtml {
  const { request, actions } = view;
  const action = requestPath(request.id);
  const parts: SafeHtml[] = [];
  if (actions.decide)
    parts.push(html`<h3>Your decision</h3>
${error ? html`<p class="notice bad" role="alert">${error.message}</p>` : ''}
<form method="post" action="${action}">
<input type="hidden" name="csrf" value="${viewer.csrf}">
<label for="notes">Notes <span class="note">(required to reject)</span></label>
<textarea id="notes" name="notes" maxlength="1024">${error?.notes ?? ''}</textarea>
<div class="actions">
<button class="approve" type="submit" name="command" value="approve">Approve</button>
<button class="reject" type="submit" name="command" value="reject">Reject</button>
</div>
</form>`);
  if (actions.complete || actions.cancel)
    parts.push(html`<h3>Your request</h3>
<form method="post" action="${action}">
<input type="hidden" name="csrf" value="${viewer.csrf}">
<div class="actions">
${actions.complete ? html`<button class="approve" type="submit" name="command" value="complete">Complete</button>` : ''}
${actions.cancel ? html`<button class="reject" type="submit" name="command" value="cancel">Cancel request</button>` : ''}
</div>
${actions.complete ? html`<p class="note">Complete runs the operation exactly as approved.</p>` : ''}
</form>`);
  if (parts.length === 0) return html`<p class="note">There is nothing you can do with this request now.</p>`;
  return html`<h2>Actions</h2>
${parts}`;
}

function executionSection(request: ApprovalRequest, zone: string): SafeHtml {
  const execution = request.execution;
  if (!execution)
    return request.status === 'completed'
      ? html`<h2>Execution</h2><p class="note">Running; the outcome shows here once it is recorded.</p>`
      : html``;
  return html`<h2>Execution</h2>
<dl id="execution">
<dt>Outcome</dt><dd><span class="tag ${execution.status}">${execution.status}</span>${execution.code ? html` <code>${execution.code}</code>` : ''}</dd>
<dt>At</dt><dd>${timeHtml(execution.at, zone)}</dd>
<dt>Detail</dt><dd>${user(execution.detail)}</dd>
${execution.device ? html`<dt>On the device</dt><dd>${execution.device.state}: ${user(execution.device.detail)} (${timeHtml(execution.device.at, zone)})</dd>` : ''}
${execution.graph ? html`<dt>Graph client-request-id</dt><dd><code>${execution.graph.clientRequestId}</code></dd>` : ''}
</dl>
${
  execution.devices
    ? html`<table class="stack devices-outcome">
<thead><tr><th>Device</th><th>Outcome</th><th>Detail</th><th>On the device</th></tr></thead>
<tbody>${execution.devices.map(
        (device) => html`<tr>
<td data-label="Device">${user(device.displayName ?? device.resourceId)} <span class="note">${user(device.resourceId, 'identifier')}</span></td>
<td data-label="Outcome"><span class="tag ${device.status}">${device.status}</span>${device.code ? html` <code>${device.code}</code>` : ''}</td>
<td data-label="Detail">${user(device.detail)}</td>
<td data-label="On the device">${device.device ? html`${device.device.state}: ${user(device.device.detail)}` : ''}</td>
</tr>`,
      )}</tbody>
</table>`
    : ''
}`;
}

/** The audit record's data in one short line (its type says what happened). */
function recordData(record: AuditRecord): SafeHtml {
  const data = record.data as unknown;
  if (data === null || data === undefined) return html``;
  const text = JSON.stringify(data);
  return html`<details><summary>data</summary><pre>${user(text.length > 4000 ? `${text.slice(0, 4000)}…` : text)}</pre></details>`;
}

function trailSection(view: PortalRequest, zone: string): SafeHtml {
  const { request, trail, verdict } = view;
  return html`<h2>Audit trail</h2>
<p class="${verdict.valid ? 'notice ok' : 'notice bad'}" id="chain">${
    verdict.valid
      ? html`Chain verified: all ${trail.length} records are linked by their hashes and end at the head the request keeps.`
      : html`Chain broken: ${verdict.problems.map((problem) => html`<code>${problem.code}</code> ${problem.message} `)}`
  }</p>
<p><a class="button secondary" href="${requestPath(request.id)}/audit.csv" download>Download the trail (CSV)</a></p>
<table class="stack trail">
<thead><tr><th>#</th><th>When</th><th>What</th><th>Who</th><th>Data</th></tr></thead>
<tbody>${trail.map(
    (record) => html`<tr>
<td data-label="#" class="num">${record.seq}</td>
<td data-label="When" class="num">${timeHtml(record.at, zone)}</td>
<td data-label="What"><code>${record.type}</code></td>
<td data-label="Who">${record.actor ? user(record.actor.displayName) : html`<span class="note">the service</span>`}</td>
<td data-label="Data">${recordData(record)}</td>
</tr>`,
  )}</tbody>
</table>`;
}

/** `GET /api/portal/requests/{id}`: the request in full, the viewer's actions, the trail. */
export function requestPage(
  viewer: Viewer,
  view: PortalRequest,
  options: { notice?: CommandNotice; error?: { message: string; notes: string } } = {},
): string {
  const { request } = view;
  const what = title(request);
  const zone = viewer.zone;
  const ids = request.operation.resourceIds;
  return portalPage(
    what.text,
    viewer,
    'other',
    html`<h1>${what.html} ${statusTag(request.status)}</h1>
${notice(options.notice, request)}
${actionsSection(viewer, view, options.error)}
<h2>The request</h2>
<dl id="facts">
<dt>Status</dt><dd>${STATUS_WORDS[request.status]}</dd>
<dt>Profile type</dt><dd>${request.profileType}</dd>
<dt>Action</dt><dd>${user(request.operation.action, 'identifier')} on ${user(request.operation.resourceType, 'identifier')}</dd>
<dt>Target</dt><dd>${
      ids !== undefined
        ? html`${ids.length} device(s)`
        : request.operation.resourceId === undefined
          ? html`<span class="note">none</span>`
          : html`${request.target ? html`${user(request.target.displayName)} ` : ''}<code>${user(request.operation.resourceId, 'identifier')}</code>`
    }</dd>
<dt>Requested by</dt><dd>${user(request.initiator.displayName)} <span class="note">(${user(request.initiator.id, 'identifier')})</span></dd>
<dt>Requested on</dt><dd>${timeHtml(request.createdAt, zone)}</dd>
<dt>Justification</dt><dd>${user(request.justification)}</dd>
<dt>Approvals</dt><dd>${approvalCount(request)} of ${request.policy.requiredApprovals} required</dd>
<dt>Expires</dt><dd>${timeHtml(request.expiresAt, zone)}</dd>
${request.completedAt ? html`<dt>Completed on</dt><dd>${timeHtml(request.completedAt, zone)}</dd>` : ''}
<dt>Operation hash</dt><dd><code>${request.operationHash}</code></dd>
<dt>Request id</dt><dd><code>${request.id}</code></dd>
</dl>
<h2>Decisions</h2>
${
  request.decisions.length === 0
    ? html`<p class="note">None yet.</p>`
    : html`<ul id="decisions">${request.decisions.map(
        (decision) =>
          html`<li><strong>${user(decision.approver.displayName)}</strong> ${decision.decision === 'approve' ? 'approved' : 'rejected'} on ${timeHtml(decision.at, zone)}${decision.notes ? html`: “${user(decision.notes)}”` : ''}</li>`,
      )}</ul>`
}
${executionSection(request, zone)}
${whatChanges(request, view.context)}
${
  view.context.preview === undefined && request.operation.payload !== undefined
    ? html`<h2>Payload</h2><pre>${user(JSON.stringify(request.operation.payload, null, 2))}</pre>`
    : ''
}
${trailSection(view, zone)}`,
  );
}

/** A catalogue entry's form value. */
export const operationKey = (entry: { profileType: string; resourceType: string; action: string }) =>
  `${entry.profileType}/${entry.resourceType}/${entry.action}`;

function operationSelect(chosen: string | undefined): SafeHtml {
  const groups = PROFILE_TYPES.filter((type) => CATALOGUE.some((entry) => entry.profileType === type));
  return html`<select id="operation" name="operation" class="wide">
<option value="">Choose an operation</option>
${groups.map(
  (type) =>
    html`<optgroup label="${type}">${CATALOGUE.filter((entry) => entry.profileType === type).map(
      (entry) =>
        html`<option value="${operationKey(entry)}"${operationKey(entry) === chosen ? html` selected` : ''}>${entry.summary} (${entry.action} ${entry.resourceType})</option>`,
    )}</optgroup>`,
)}
</select>`;
}

/** The submit form's values as query parameters (for links that keep what was typed). */
export function newFormQuery(form: NewForm, overrides: Partial<NewForm> = {}): string {
  const merged = { ...form, ...overrides };
  const query = new URLSearchParams();
  for (const name of ['operation', 'resourceId', 'payload', 'justification', 'q'] as const) {
    const value = merged[name];
    if (value) query.set(name, value);
  }
  return query.toString();
}

function hiddenFields(form: NewForm, names: readonly (keyof NewForm)[]): SafeHtml {
  return html`${names.map((name) => (form[name] ? html`<input type="hidden" name="${name}" value="${form[name]}">` : html``))}`;
}

/** `GET /api/portal/new`: the operation, the target (with a device search), the justification. */
export function newPage(
  viewer: Viewer,
  form: NewForm,
  extra: { errors?: FieldProblem[]; matches?: DeviceMatch[]; searchError?: string; error?: string } = {},
): string {
  const errors = extra.errors ?? [];
  const search = html`<form method="get" action="${PORTAL_PATH}/new" class="inline" role="search" aria-label="Find a device">
${hiddenFields(form, ['operation', 'resourceId', 'payload', 'justification'])}
<div><label for="q">Find a managed device by name or id</label>
<input type="search" id="q" name="q" value="${form.q ?? ''}" maxlength="64"></div>
<button type="submit" class="secondary">Search</button>
</form>
${extra.searchError ? html`<p class="notice bad" role="alert">${extra.searchError}</p>` : ''}
${
  extra.matches === undefined
    ? ''
    : extra.matches.length === 0
      ? html`<p class="note" id="matches">No managed device has a name that starts with that, or that id.</p>`
      : html`<table class="stack" id="matches">
<thead><tr><th>Device</th><th>Primary user</th><th>OS</th><th>Last check-in</th><th></th></tr></thead>
<tbody>${extra.matches.map(
          (device) => html`<tr>
<td data-label="Device"><strong>${user(device.deviceName)}</strong> <span class="note">${user(device.id, 'identifier')}</span></td>
<td data-label="Primary user">${device.userPrincipalName ? user(device.userPrincipalName, 'identifier') : ''}</td>
<td data-label="OS">${device.operatingSystem ? user(device.operatingSystem) : ''}</td>
<td data-label="Last check-in">${device.lastSyncDateTime ? timeHtml(device.lastSyncDateTime, viewer.zone) : ''}</td>
<td><a class="button" href="${PORTAL_PATH}/new?${newFormQuery(form, { resourceId: device.id, q: '' })}">Use ${user(device.deviceName)}</a></td>
</tr>`,
        )}</tbody>
</table>`
}`;
  return portalPage(
    'New request',
    viewer,
    'new',
    html`<h1>New request</h1>
<p>Pick the operation and its target, say why, and see what would happen before you submit.</p>
${extra.error ? html`<p class="notice bad" role="alert" id="form-error">${extra.error}</p>` : ''}
${search}
<form method="post" action="${PORTAL_PATH}/new">
<input type="hidden" name="csrf" value="${viewer.csrf}">
<input type="hidden" name="step" value="preview">
<label for="operation">Operation</label>
${operationSelect(form.operation)}
${fieldErrors(errors, 'operation')}
<label for="resourceId">Target id <span class="note">(a device found above, or the object's id; several devices for a bulk device action)</span></label>
<input type="text" id="resourceId" name="resourceId" value="${form.resourceId ?? ''}" maxlength="4000">
${fieldErrors(errors, 'resourceId')}
<label for="payload">Options <span class="note">(JSON, if the operation takes any; e.g. {"keepEnrollmentData": true} for a wipe)</span></label>
<textarea id="payload" name="payload" maxlength="60000">${form.payload ?? ''}</textarea>
${fieldErrors(errors, 'payload')}
<label for="justification">Justification</label>
<textarea id="justification" name="justification" maxlength="1024">${form.justification ?? ''}</textarea>
${fieldErrors(errors, 'justification')}
<div class="actions"><button type="submit">Preview</button></div>
</form>`,
  );
}

/** The catalogue's words for a form's operation (`<profileType>/<resourceType>/<action>`). */
function operationSummary(key: string | undefined): string {
  const entry = CATALOGUE.find((candidate) => operationKey(candidate) === key);
  return entry ? `${entry.summary} (${entry.profileType}: ${entry.action} ${entry.resourceType})` : (key ?? '');
}

/** The dry run's page: what the submit would do, with the Submit button (one request per key). */
export function previewPage(viewer: Viewer, form: NewForm, evaluation: Evaluation, idempotencyKey: string): string {
  const target = evaluation.target;
  return portalPage(
    'Preview',
    viewer,
    'new',
    html`<h1>Preview: nothing is submitted yet</h1>
${
  evaluation.protected
    ? html`<p class="notice" role="status" id="why">${evaluation.why}</p>`
    : html`<p class="notice bad" role="alert" id="why">${evaluation.why}</p>`
}
<dl>
<dt>Operation</dt><dd>${operationSummary(form.operation)}</dd>
${
  target
    ? html`<dt>Target</dt><dd><strong>${user(target.displayName)}</strong> <code>${user(target.id, 'identifier')}</code>${target.device?.userPrincipalName ? html` · ${user(target.device.userPrincipalName, 'identifier')}` : ''}${target.device?.operatingSystem ? html` · ${user(target.device.operatingSystem)}` : ''}</dd>`
    : ''
}
${evaluation.targets ? html`<dt>Targets</dt><dd>${evaluation.targets.map((item) => html`${user(item.displayName)} `)}</dd>` : ''}
<dt>Justification</dt><dd>${user(form.justification ?? '')}</dd>
<dt>Approvals needed</dt><dd>${evaluation.requiredApprovals}</dd>
<dt>Who can approve</dt><dd>${evaluation.approvers.length === 0 ? html`<span class="note">nobody</span>` : evaluation.approvers.map((approver, index) => html`${index > 0 ? ', ' : ''}${user(approver.displayName)}`)}</dd>
${evaluation.operationHash ? html`<dt>Operation hash</dt><dd><code>${evaluation.operationHash}</code></dd>` : ''}
</dl>
<h2>Exactly what completion would send to Microsoft Graph</h2>
${evaluation.calls.map(
  (call) =>
    html`<pre class="call">${call.method} ${user(call.path, 'identifier')}${
      call.body === undefined
        ? ''
        : html`
${user(JSON.stringify(call.body, null, 2))}`
    }</pre>`,
)}
<form method="post" action="${PORTAL_PATH}/new">
<input type="hidden" name="csrf" value="${viewer.csrf}">
<input type="hidden" name="step" value="submit">
<input type="hidden" name="idempotencyKey" value="${idempotencyKey}">
${hiddenFields(form, ['operation', 'resourceId', 'payload', 'justification'])}
<div class="actions">
${evaluation.protected ? html`<button class="approve" type="submit">Submit</button>` : ''}
<a class="button secondary" href="${PORTAL_PATH}/new?${newFormQuery(form)}">Change</a>
</div>
</form>`,
  );
}

/** Any refusal or failure of a portal page, with its code. */
export function portalProblemPage(viewer: Viewer | undefined, status: number, code: string, heading: string): string {
  const body = html`<h1>${heading}</h1>
<p class="notice bad" role="alert">${status >= 500 ? 'Nothing was changed. Try again in a moment.' : 'Nothing was changed.'}</p>
<p class="note">Reason code: <code>${code}</code></p>
<p><a href="${PORTAL_PATH}">Back to the portal</a></p>`;
  return viewer ? portalPage(heading, viewer, 'other', body) : page(heading, body);
}
