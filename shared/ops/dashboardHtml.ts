import { createHash } from 'node:crypto';
import { PROFILE_TYPES, REQUEST_STATUSES, type ApprovalRequest, type RequestStatus } from '../domain/model';
import { visibleText } from '../domain/text';
import { formatClock, formatInstant, timeHtml, zoneLabel } from '../views/time';
import type { RequestSummary } from './opsReader';
import type { ApproverPools } from './approverPools';
import type { HourBucket } from './summary';
import type { InstanceDetail, OpsOverview, StuckRequest } from './useCases';

// The operators' dashboard as server-rendered HTML: no script, no external asset, one inline
// stylesheet allowed by its hash, so the page works under `default-src 'none'`. The chart is
// inline SVG with presentation attributes and classes (style attributes would need
// 'unsafe-inline'). The only forms are GET forms to the dashboard itself (filters, time zone).

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
main{max-width:64rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.3rem 0 .6rem}h2{font-size:1.1rem;margin-top:1.5rem}
a{color:#0f4c9c}
nav.crumbs{margin:.2rem 0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f1f1f4}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:.6rem}
.tile{display:block;background:#fff;border:1px solid #ccd;border-radius:.4rem;padding:.5rem .8rem;color:inherit;text-decoration:none}
a.tile:hover,a.tile:focus{border-color:#0f4c9c;outline:2px solid #0f4c9c}
.tile b{display:block;font-size:1.6rem;line-height:1.2}.tile span{color:#0f4c9c;text-decoration:underline}
.bad{color:#b00020}.muted{color:#666}.tile.bad b{color:#b00020}
.warn{color:#8a5300}.alert{background:#fde7e9;border:2px solid #b00020;color:#b00020;padding:.6rem 1rem;font-weight:600}
ul.reasons{margin:0;padding-left:1.1rem}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.5rem .8rem;align-items:end;background:#fff;border:1px solid #ddd;padding:.6rem .8rem;margin:.6rem 0}
form label{display:block;font-weight:600;font-size:.9rem}
input,select,button{font:inherit;padding:.3rem .4rem;max-width:100%}
form.filters input,form.filters select{width:100%}
button{background:#0f4c9c;color:#fff;border:0;border-radius:.3rem;padding:.4rem .9rem;cursor:pointer}
form.zone{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.4rem 0}
.pager{display:flex;gap:1rem;margin:.8rem 0}
figure{margin:0;background:#fff;border:1px solid #ddd;padding:.5rem;max-width:48rem}
figure svg{width:100%;height:auto;display:block}
figcaption{font-size:.9rem}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;list-style:none;padding:0;margin:.3rem 0}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-.05rem}
.s-submitted{background:#3367d6}.s-decided{background:#f29900}.s-completed{background:#188038}
svg text{font-family:system-ui,sans-serif}
@media (max-width:40rem){
main{padding:.6rem}
svg .minor{display:none}svg text{font-size:27px}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;border:0}
table.stack tr:first-child{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.stack tr{border-bottom:1px solid #ccc;padding:.4rem .2rem;background:#fff}
table.stack td{padding:.1rem 0}
table.stack td[data-label]::before{content:attr(data-label) ": ";color:#666;font-weight:600}
}
`;

/** The response headers of every dashboard page: strict CSP with the stylesheet's hash, never cached, never framed. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** User text isolated (`<bdi>`) and escaped, with what a reader could not see shown as `<U+XXXX>`. */
const user = (text: string, kind: 'identifier' | 'text' = 'text') =>
  `<bdi>${escapeHtml(visibleText(text, kind))}</bdi>`;

/** Where the dashboard's pages live. */
export const DASHBOARD_PATH = '/api/ops/dashboard';
/** Where a request's own page lives (the portal's). */
export const REQUEST_PAGE_PATH = '/api/portal/requests';

const instanceHref = (id: string) => `${DASHBOARD_PATH}/instances/${encodeURIComponent(id)}`;
const instanceLink = (id: string) => `<a href="${escapeHtml(instanceHref(id))}">${escapeHtml(id)}</a>`;
const requestHref = (id: string) => `${REQUEST_PAGE_PATH}/${encodeURIComponent(id)}`;

/** The dashboard's request list with `filters` (empty values dropped), as a link. */
export function requestListHref(filters: Readonly<Record<string, string | number | undefined>> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters))
    if (value !== undefined && value !== '') query.set(key, String(value));
  const text = query.toString();
  return `${DASHBOARD_PATH}/requests${text ? `?${text}` : ''}`;
}

const time = (iso: string, zone: string) => timeHtml(iso, zone).text;

/** How the pages show a request's status. */
export const STATUS_LABELS: Readonly<Record<RequestStatus, string>> = {
  needsApproval: 'Waiting for approval',
  approved: 'Approved, not completed',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  completed: 'Completed',
  expired: 'Expired',
};

function page(title: string, body: string, refreshSeconds?: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${
    refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : ''
  }<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** Every IANA zone this runtime knows, for the time zone field's suggestions. */
const ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

/**
 * A small GET form choosing the zone times are shown in: it reloads `action` with `tz` (and
 * `keep`, the page's other query parameters), and the page remembers the choice in a cookie.
 */
export function timeZoneForm(action: string, zone: string, keep: Readonly<Record<string, string>> = {}): string {
  const hidden = Object.entries(keep)
    .filter(([name, value]) => name !== 'tz' && value !== '')
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<form class="zone" method="get" action="${escapeHtml(action)}" id="time-zone-form"><label for="tz">Time zone</label><input id="tz" name="tz" list="tz-zones" value="${escapeHtml(zone)}" size="22" autocomplete="off" spellcheck="false">${hidden}<button type="submit">Show times</button><datalist id="tz-zones">${ZONES.map((name) => `<option value="${escapeHtml(name)}">`).join('')}</datalist></form>`;
}

/** The y axis of a chart whose largest value is `max`: a round top, its step and the tick values. */
export function chartScale(max: number): { top: number; step: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, step: 1, ticks: [0, 1] };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude);
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let value = 0; value <= top; value += step) ticks.push(value);
  return { top, step, ticks };
}

const SERIES = [
  ['submitted', '#3367d6'],
  ['decided', '#f29900'],
  ['completed', '#188038'],
] as const;

/**
 * Bars per hour for submitted, decided and completed (three colours): a y axis with its values
 * and grid lines, hour labels on the viewer's clock, and a legend (HTML, readable at any width)
 * that names the time zone. On a phone every other hour label is hidden.
 */
export function activityChart(hours: readonly HourBucket[], zone = 'UTC', now = new Date()): string {
  const width = 640;
  const height = 290;
  const left = 56;
  const right = 8;
  const top = 20;
  const bottom = 252;
  const plot = bottom - top;
  const slot = (width - left - right) / Math.max(1, hours.length);
  const bar = slot / 4;
  const max = Math.max(0, ...hours.flatMap((h) => [h.submitted, h.decided, h.completed]));
  const scale = chartScale(max);
  const y = (value: number) => bottom - (value / scale.top) * plot;
  const grid = scale.ticks
    .map(
      (tick) =>
        `<line x1="${left}" y1="${y(tick).toFixed(1)}" x2="${width - right}" y2="${y(tick).toFixed(1)}" stroke="${tick === 0 ? '#777' : '#e2e2e8'}"/><text class="y-tick" x="${left - 6}" y="${y(tick).toFixed(1)}" font-size="15" fill="#444" text-anchor="end" dominant-baseline="middle">${tick}</text>`,
    )
    .join('');
  const bars = hours
    .flatMap((hour, index) =>
      SERIES.map(([key, colour], s) => {
        const h = (hour[key] / scale.top) * plot;
        const until = new Date(Date.parse(hour.hour) + 3_600_000).toISOString();
        return h === 0
          ? ''
          : `<rect x="${(left + index * slot + s * bar + bar / 2).toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"><title>${escapeHtml(`${formatClock(hour.hour, zone)}–${formatClock(until, zone)} ${key}: ${hour[key]}`)}</title></rect>`;
      }),
    )
    .join('');
  const labels = hours
    .map((hour, index) =>
      index % 3 === 0
        ? `<text class="x-tick${index % 6 === 0 ? '' : ' minor'}" x="${(left + index * slot + slot / 2).toFixed(1)}" y="${bottom + 8}" font-size="15" fill="#444" text-anchor="middle" dominant-baseline="hanging">${escapeHtml(formatClock(hour.hour, zone))}</text>`
        : '',
    )
    .join('');
  const zoneText = zoneLabel(zone, now);
  const first = hours[0];
  const range = first
    ? ` from ${escapeHtml(formatInstant(first.hour, zone))} to ${escapeHtml(formatInstant(new Date(Date.parse(hours[hours.length - 1]!.hour) + 3_600_000).toISOString(), zone))}`
    : '';
  const legend = `<ul class="legend" id="chart-legend">${SERIES.map(
    ([key]) => `<li><span class="swatch s-${key}"></span>${key}</li>`,
  ).join('')}<li id="chart-zone">Hours in ${escapeHtml(zoneText)}</li></ul>`;
  return `<figure id="activity-chart"><svg role="img" aria-label="Requests submitted, decided and completed per hour over the last 24 hours, hours in ${escapeHtml(zoneText)}; the scale runs from 0 to ${scale.top}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${grid}${bars}${labels}</svg><figcaption>Requests per hour (scale 0–${scale.top}, step ${scale.step})${range}.${legend}</figcaption></figure>`;
}

function requestRows(items: readonly RequestSummary[], zone: string): string {
  if (items.length === 0) return '<p class="muted">None.</p>';
  return `<div class="scroll"><table class="stack"><tr><th>request</th><th>type</th><th>status</th><th>expires</th></tr>${items
    .map(
      (r) =>
        `<tr><td data-label="request">${instanceLink(r.id)}</td><td data-label="type">${escapeHtml(r.profileType)}</td><td data-label="status">${escapeHtml(r.status)}</td><td data-label="expires">${time(r.expiresAt, zone)}</td></tr>`,
    )
    .join('')}</table></div>`;
}

function stuckRows(items: readonly StuckRequest[], zone: string): string {
  if (items.length === 0) return '<p class="muted">None.</p>';
  return `<div class="scroll"><table class="stack" id="stuck-table"><tr><th>request</th><th>status</th><th>created</th><th>orchestration</th><th>why</th></tr>${items
    .map(
      (s) =>
        `<tr data-request-id="${escapeHtml(s.request.id)}"><td data-label="request">${instanceLink(s.request.id)}</td><td data-label="status">${escapeHtml(s.request.status)}</td><td data-label="created">${time(s.request.createdAt, zone)}</td><td data-label="orchestration">${escapeHtml(s.runtimeStatus ?? 'missing')}</td><td data-label="why" class="bad">${escapeHtml(s.reason)}</td></tr>`,
    )
    .join('')}</table></div>`;
}

const POOL_CLASS: Record<string, string> = { unapprovable: 'bad', atRisk: 'warn', unknown: 'warn', ok: '' };

/** A prominent banner naming the policies nobody could approve under; empty when there are none. */
export function approverPoolsAlert(pools: ApproverPools): string {
  const stuck = pools.policies.filter((row) => row.status === 'unapprovable');
  if (stuck.length === 0) return '';
  return `<p class="alert" role="alert" id="unapprovable-alert">${stuck.length === 1 ? '1 policy cannot' : `${stuck.length} policies cannot`} be approved: ${stuck
    .map((row) => `${user(row.displayName)} (${escapeHtml(row.profileType)})`)
    .join(
      ', ',
    )}. A request under ${stuck.length === 1 ? 'it' : 'them'} may never reach its quorum: give more members of the approver groups MAA.Approver, or change the policy.</p>`;
}

/**
 * The "Approver pools" section: every active policy with its profile type, the approvers who hold
 * `MAA.Approver` against the approvals a request needs, the pool's status and why; and a note
 * when the directory could not be read (those policies show `unknown`, the page still renders).
 */
export function approverPoolsSection(pools: ApproverPools): string {
  const { counts } = pools;
  const heading = `<h2 id="approver-pools">Approver pools</h2><p>${(
    ['unapprovable', 'atRisk', 'unknown', 'ok'] as const
  )
    .map(
      (status) =>
        `<span data-pool-count="${status}"${counts[status] && status !== 'ok' ? ` class="${POOL_CLASS[status]}"` : ''}>${status}: <b>${counts[status]}</b></span>`,
    )
    .join(' · ')}</p>`;
  const unreadable = pools.directoryReadable
    ? ''
    : `<p class="warn" id="directory-unreadable">The directory could not be read for ${counts.unknown} ${counts.unknown === 1 ? 'policy' : 'policies'}: ${counts.unknown === 1 ? 'its' : 'their'} pool is shown as unknown.</p>`;
  if (pools.policies.length === 0) return `${heading}${unreadable}<p class="muted">No policies.</p>`;
  const rows = pools.policies
    .map((row) => {
      const cls = POOL_CLASS[row.status];
      return `<tr data-policy-id="${escapeHtml(row.policyId)}" data-pool-status="${row.status}"><td data-label="policy">${user(row.displayName)}</td><td data-label="profile type">${escapeHtml(row.profileType)}</td><td data-label="approvers / needed">${row.eligibleApprovers ?? '?'} / ${row.requiredApprovals}</td><td data-label="status"${cls ? ` class="${cls}"` : ''}><b>${escapeHtml(row.status)}</b></td><td data-label="why">${
        row.reasons.length === 0
          ? '<span class="muted">—</span>'
          : `<ul class="reasons">${row.reasons.map((reason) => `<li>${user(reason)}</li>`).join('')}</ul>`
      }</td></tr>`;
    })
    .join('');
  return `${heading}${unreadable}<div class="scroll"><table class="stack"><tr><th>policy</th><th>profile type</th><th>approvers / needed</th><th>status</th><th>why</th></tr>${rows}</table></div>`;
}

/** How the dashboard is shown: the viewer's time zone, and how many open requests the stuck check read. */
export interface DashboardView {
  zone: string;
  /** Open requests (oldest first) the stuck list checked; more may be stuck past them. */
  stuckScanned?: number;
  /** Whether more open requests remain past those checked. */
  stuckMore?: boolean;
}

function tile(attributes: string, count: number | string, label: string, href?: string, bad = false): string {
  const cls = `tile${bad ? ' bad' : ''}`;
  return href
    ? `<a class="${cls}" ${attributes} href="${escapeHtml(href)}"><b>${count}</b><span>${escapeHtml(label)}</span></a>`
    : `<div class="${cls}" ${attributes}><b>${count}</b>${escapeHtml(label)}</div>`;
}

/**
 * The dashboard: tiles (each status, stuck and expiring, each opening its list), approver pools,
 * the last 24 hours with their chart, what expires soon and what is stuck; refreshes every 10 s.
 * Times are in `view.zone`, with UTC on hover.
 */
export function renderDashboard(
  summary: OpsOverview,
  stuck: readonly StuckRequest[],
  operator: string,
  view: DashboardView = { zone: 'UTC' },
): string {
  const { zone } = view;
  const statusTiles = REQUEST_STATUSES.map((status) =>
    tile(`data-status="${status}"`, summary.counts[status], STATUS_LABELS[status], requestListHref({ status })),
  ).join('');
  const stuckLabel = view.stuckMore ? `Stuck (of the oldest ${view.stuckScanned ?? 0} open)` : 'Stuck';
  const extraTiles = [
    tile('data-tile="stuck"', stuck.length, stuckLabel, `${DASHBOARD_PATH}/stuck`, stuck.length > 0),
    tile('data-tile="expiring"', summary.expiringWithin24h.count, 'Expiring within 24 h', '#expiring', false),
    tile(
      'data-tile="failed-executions"',
      summary.last24h.failedExecutions,
      'Failed executions, 24 h',
      undefined,
      summary.last24h.failedExecutions > 0,
    ),
  ].join('');
  const { last24h, oldestOpen } = summary;
  return page(
    'Approvals — operations',
    `<h1>Approvals — operations</h1><p class="muted">Signed in as ${user(operator)} · ${time(summary.generatedAt, zone)} · refreshes every 10 s · <a href="${escapeHtml(requestListHref())}">all requests</a></p>
${timeZoneForm(DASHBOARD_PATH, zone)}
${approverPoolsAlert(summary.approverPools)}
<h2>Requests by status</h2><div class="tiles" id="tiles">${statusTiles}${extraTiles}</div>
${approverPoolsSection(summary.approverPools)}
<h2>Last 24 hours</h2>
<p>Failed executions: <b${last24h.failedExecutions ? ' class="bad"' : ''}>${last24h.failedExecutions}</b> · failed orchestrations: <b${last24h.failedOrchestrations ? ' class="bad"' : ''}>${last24h.failedOrchestrations}</b> · time to decision (${last24h.timeToDecision.decided} decided): median ${duration(last24h.timeToDecision.medianSeconds)}, p95 ${duration(last24h.timeToDecision.p95Seconds)}</p>
${activityChart(last24h.hourly, zone, new Date(summary.generatedAt))}
<p>Oldest open request: ${oldestOpen ? `${instanceLink(oldestOpen.id)}, created ${time(oldestOpen.createdAt, zone)}, ${duration(oldestOpen.ageSeconds)} old` : '<span class="muted">none</span>'}</p>
<h2 id="expiring">Expiring within 24 hours (${summary.expiringWithin24h.count})</h2>${requestRows(summary.expiringWithin24h.items, zone)}
<h2 id="stuck">Stuck</h2>${stuckRows(stuck, zone)}${stuck.length > 0 || view.stuckMore ? `<p><a href="${DASHBOARD_PATH}/stuck">The stuck list, page by page</a></p>` : ''}`,
    10,
  );
}

/** The request list's filters as the page shows them in its form (strings; empty when unset). */
export interface RequestListFilters {
  status: string;
  profileType: string;
  initiator: string;
  target: string;
  createdFrom: string;
  createdTo: string;
  top: string;
}

/** What a filtered list page shows. */
export interface RequestListView {
  zone: string;
  filters: RequestListFilters;
  items: readonly ApprovalRequest[];
  /** The next page's token, when there is one. */
  continuationToken?: string;
  /** Whether this page is past the first. */
  paged: boolean;
}

function targetOf(request: ApprovalRequest): string {
  const { operation } = request;
  if (operation.resourceIds && operation.resourceIds.length > 0) {
    const first = operation.resourceIds.slice(0, 3).map((id) => user(id, 'identifier'));
    const more = operation.resourceIds.length - first.length;
    return `${first.join(', ')}${more > 0 ? ` <span class="muted">and ${more} more</span>` : ''}`;
  }
  return operation.resourceId ? user(operation.resourceId, 'identifier') : '<span class="muted">—</span>';
}

const select = (
  name: string,
  label: string,
  values: readonly string[],
  chosen: string,
  labels: Readonly<Record<string, string>> = {},
) =>
  `<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">any</option>${values
    .map(
      (value) =>
        `<option value="${escapeHtml(value)}"${value === chosen ? ' selected' : ''}>${escapeHtml(labels[value] ?? value)}</option>`,
    )
    .join('')}</select></div>`;

const field = (name: string, label: string, value: string, type = 'text', extra = '') =>
  `<div><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${escapeHtml(value)}"${extra}></div>`;

/** A date field shows a day; an instant given in the query stays editable as text. */
const dateType = (value: string) => (value === '' || /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'date' : 'text');

/** The operators' request list: filters (a GET form), newest first, a page at a time, each row linking to the request. */
export function renderRequestList(view: RequestListView): string {
  const { zone, filters, items } = view;
  const chosen = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== '')) as Record<
    string,
    string
  >;
  const form = `<form class="filters" method="get" action="${DASHBOARD_PATH}/requests" id="filters">${select(
    'status',
    'Status',
    REQUEST_STATUSES,
    filters.status,
    STATUS_LABELS,
  )}${select('profileType', 'Profile type', PROFILE_TYPES, filters.profileType)}${field(
    'initiator',
    'Initiator (object id)',
    filters.initiator,
    'text',
    ' spellcheck="false" autocomplete="off"',
  )}${field('target', 'Target (resource id)', filters.target, 'text', ' spellcheck="false" autocomplete="off"')}${field(
    'createdFrom',
    `Created from (${escapeHtml(zone)})`,
    filters.createdFrom,
    dateType(filters.createdFrom),
  )}${field(
    'createdTo',
    `Created until, inclusive (${escapeHtml(zone)})`,
    filters.createdTo,
    dateType(filters.createdTo),
  )}${field(
    'top',
    'Per page',
    filters.top,
    'number',
    ' min="1" max="100" placeholder="25"',
  )}<input type="hidden" name="tz" value="${escapeHtml(zone)}"><div><button type="submit">Filter</button> <a href="${DASHBOARD_PATH}/requests">clear</a></div></form>`;
  const described = Object.keys(chosen).filter((key) => key !== 'top');
  const summaryLine = `<p id="list-summary">${items.length} ${items.length === 1 ? 'request' : 'requests'} on this page${
    described.length
      ? `, filtered by ${described.map((key) => `${escapeHtml(key)} = <b>${user(chosen[key]!, 'identifier')}</b>`).join(', ')}`
      : ''
  }; newest first.</p>`;
  const rows =
    items.length === 0
      ? '<p class="muted" id="no-requests">No requests match.</p>'
      : `<div class="scroll"><table class="stack" id="requests"><tr><th>created</th><th>request</th><th>profile type</th><th>status</th><th>initiator</th><th>target</th><th>expires</th><th>orchestration</th></tr>${items
          .map(
            (r) =>
              `<tr data-request-id="${escapeHtml(r.id)}" data-status="${escapeHtml(r.status)}" data-profile-type="${escapeHtml(r.profileType)}" data-initiator-id="${escapeHtml(r.initiator.id)}"><td data-label="created">${time(r.createdAt, zone)}</td><td data-label="request"><a class="request-link" href="${escapeHtml(requestHref(r.id))}">${user(r.operation.action, 'identifier')} ${escapeHtml(r.id.slice(0, 8))}</a></td><td data-label="profile type">${escapeHtml(r.profileType)}</td><td data-label="status">${escapeHtml(STATUS_LABELS[r.status] ?? r.status)}</td><td data-label="initiator"><a href="${escapeHtml(requestListHref({ ...chosen, initiator: r.initiator.id }))}" title="only this initiator's requests">${user(r.initiator.displayName)}</a></td><td data-label="target">${targetOf(r)}</td><td data-label="expires">${time(r.expiresAt, zone)}</td><td data-label="orchestration"><a href="${escapeHtml(instanceHref(r.id))}">instance</a></td></tr>`,
          )
          .join('')}</table></div>`;
  const pager = `<nav class="pager" aria-label="pages">${
    view.paged ? `<a id="first-page" href="${escapeHtml(requestListHref(chosen))}">← first page</a>` : ''
  }${
    view.continuationToken
      ? `<a id="next-page" rel="next" href="${escapeHtml(requestListHref({ ...chosen, continuationToken: view.continuationToken }))}">next page →</a>`
      : '<span class="muted">last page</span>'
  }</nav>`;
  return page(
    'Requests — operations',
    `<nav class="crumbs"><a href="${DASHBOARD_PATH}">← dashboard</a></nav><h1>Requests</h1>${timeZoneForm(`${DASHBOARD_PATH}/requests`, zone, chosen)}${form}${summaryLine}${rows}${pager}`,
  );
}

/** The stuck list, one page of open requests (oldest first) at a time. */
export function renderStuckList(view: {
  zone: string;
  items: readonly StuckRequest[];
  scanned: number;
  continuationToken?: string;
  paged: boolean;
  top: number;
}): string {
  const next = view.continuationToken
    ? `<a id="next-page" rel="next" href="${escapeHtml(`${DASHBOARD_PATH}/stuck?${new URLSearchParams({ top: String(view.top), continuationToken: view.continuationToken }).toString()}`)}">next ${view.top} open requests →</a>`
    : '<span class="muted">no more open requests</span>';
  return page(
    'Stuck requests — operations',
    `<nav class="crumbs"><a href="${DASHBOARD_PATH}">← dashboard</a></nav><h1>Stuck requests</h1>${timeZoneForm(`${DASHBOARD_PATH}/stuck`, view.zone)}<p id="stuck-summary">${view.items.length} stuck among ${view.scanned} open ${view.scanned === 1 ? 'request' : 'requests'} checked on this page (oldest first): an orchestration missing, failed or finished, a status disagreeing for over a minute, or open past expiry.</p>${stuckRows(view.items, view.zone)}<nav class="pager" aria-label="pages">${view.paged ? `<a id="first-page" href="${DASHBOARD_PATH}/stuck">← first page</a>` : ''}${next}</nav>`,
  );
}

/** One instance: its orchestration and history beside its request and audit trail, and the consistency verdict. */
export function renderInstance(detail: InstanceDetail, zone = 'UTC'): string {
  const { instance, request, audit, consistency } = detail;
  const verdict = consistency.consistent
    ? '<p>Consistent.</p>'
    : `<p class="bad">Inconsistent (${escapeHtml(consistency.code)}): ${escapeHtml(consistency.reason)}</p>`;
  const orchestration = instance
    ? `<p>${escapeHtml(instance.name)} · <b>${escapeHtml(instance.runtimeStatus)}</b> · created ${time(instance.createdTime, zone)} · updated ${time(instance.lastUpdatedTime, zone)}</p>
<p>Custom status: <code>${escapeHtml(JSON.stringify(instance.customStatus))}</code></p>
<div class="scroll"><table><tr><th>event</th><th>at</th><th>name</th><th>outcome</th></tr>${(instance.history ?? [])
        .map(
          (e) =>
            `<tr><td>${escapeHtml(e.eventType)}</td><td>${time(e.at, zone)}</td><td>${escapeHtml(e.name ?? '')}</td><td>${escapeHtml(e.outcome ?? '')}</td></tr>`,
        )
        .join('')}</table></div>`
    : '<p class="muted">No orchestration (never started, or its history was purged).</p>';
  const requestPart = request
    ? `<p><b id="request-status">${escapeHtml(request.status)}</b> · ${escapeHtml(request.profileType)} · ${user(request.operation.action, 'identifier')} ${user(request.operation.resourceType, 'identifier')} ${user(request.operation.resourceId ?? '', 'identifier')} · by ${user(request.initiator.displayName)} · created ${time(request.createdAt, zone)} · expires ${time(request.expiresAt, zone)}${
        request.execution
          ? ` · execution ${escapeHtml(request.execution.status)}: ${escapeHtml(request.execution.detail)}`
          : ''
      } · <a href="${escapeHtml(requestHref(request.id))}">the request's page</a></p>
<p>Audit trail (${audit.items.length} records, chain ${audit.chainValid ? 'valid' : '<span class="bad">BROKEN</span>'}):</p>
<div class="scroll"><table><tr><th>#</th><th>type</th><th>at</th><th>actor</th></tr>${audit.items
        .map(
          (r) =>
            `<tr><td>${r.seq}</td><td>${escapeHtml(r.type)}</td><td>${time(r.at, zone)}</td><td>${r.actor ? user(r.actor.displayName) : 'system'}</td></tr>`,
        )
        .join('')}</table></div>`
    : '<p class="muted">No request in the read model.</p>';
  return page(
    `Instance ${detail.instanceId}`,
    `<nav class="crumbs"><a href="${DASHBOARD_PATH}">← dashboard</a></nav><h1>Instance ${escapeHtml(detail.instanceId)}</h1>${timeZoneForm(instanceHref(detail.instanceId), zone)}${verdict}<h2>Orchestration</h2>${orchestration}<h2>Request</h2>${requestPart}`,
  );
}
