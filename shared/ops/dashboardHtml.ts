import { createHash } from 'node:crypto';
import { REQUEST_STATUSES } from '../domain/model';
import { visibleText } from '../domain/text';
import type { RequestSummary } from './opsReader';
import type { ApproverPools } from './approverPools';
import type { HourBucket } from './summary';
import type { InstanceDetail, OpsOverview, StuckRequest } from './useCases';

// The operators' dashboard as server-rendered HTML: no script, no external asset, one inline
// stylesheet allowed by its hash, so the page works under `default-src 'none'`. The chart is
// inline SVG with presentation attributes (style attributes would need 'unsafe-inline').

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1b1b;background:#fafafa}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left}
.counts{display:flex;gap:.8rem;flex-wrap:wrap}.count{background:#fff;border:1px solid #ddd;padding:.5rem 1rem;min-width:7rem}
.count b{display:block;font-size:1.6rem}.bad{color:#b00020}.muted{color:#666}
.warn{color:#8a5300}.alert{background:#fde7e9;border:2px solid #b00020;color:#b00020;padding:.6rem 1rem;font-weight:600}
ul.reasons{margin:0;padding-left:1.1rem}
`;

/** The response headers of every dashboard page: strict CSP with the stylesheet's hash, never cached, never framed. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
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

const instanceLink = (id: string) =>
  `<a href="/api/ops/dashboard/instances/${encodeURIComponent(id)}">${escapeHtml(id)}</a>`;

function page(title: string, body: string, refreshSeconds?: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${
    refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : ''
  }<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** Bars per hour for submitted, decided and completed (three colours), with a legend. */
export function activityChart(hours: readonly HourBucket[]): string {
  const width = 720;
  const height = 160;
  const slot = width / hours.length;
  const bar = slot / 4;
  const max = Math.max(1, ...hours.flatMap((h) => [h.submitted, h.decided, h.completed]));
  const series = [
    ['submitted', '#3367d6'],
    ['decided', '#f29900'],
    ['completed', '#188038'],
  ] as const;
  const bars = hours
    .flatMap((hour, index) =>
      series.map(([key, colour], s) => {
        const h = Math.round((hour[key] / max) * (height - 20));
        return h === 0
          ? ''
          : `<rect x="${(index * slot + s * bar + bar / 2).toFixed(1)}" y="${height - h}" width="${bar.toFixed(1)}" height="${h}" fill="${colour}"><title>${escapeHtml(`${hour.hour.slice(11, 16)} ${key}: ${hour[key]}`)}</title></rect>`;
      }),
    )
    .join('');
  const labels = hours
    .map((hour, index) =>
      index % 3 === 0
        ? `<text x="${(index * slot).toFixed(1)}" y="${height + 14}" font-size="10" fill="#666">${hour.hour.slice(11, 16)}</text>`
        : '',
    )
    .join('');
  const legend = series
    .map(
      ([key, colour], s) =>
        `<rect x="${s * 110}" y="${height + 22}" width="10" height="10" fill="${colour}"/><text x="${s * 110 + 14}" y="${height + 31}" font-size="11">${key}</text>`,
    )
    .join('');
  return `<svg role="img" aria-label="Requests submitted, decided and completed per hour over the last 24 hours (max ${max})" width="${width}" height="${height + 36}" viewBox="0 0 ${width} ${height + 36}" xmlns="http://www.w3.org/2000/svg"><line x1="0" y1="${height}" x2="${width}" y2="${height}" stroke="#999"/>${bars}${labels}${legend}</svg>`;
}

function requestRows(items: readonly RequestSummary[]): string {
  if (items.length === 0) return '<p class="muted">None.</p>';
  return `<table><tr><th>request</th><th>type</th><th>status</th><th>expires</th></tr>${items
    .map(
      (r) =>
        `<tr><td>${instanceLink(r.id)}</td><td>${escapeHtml(r.profileType)}</td><td>${escapeHtml(r.status)}</td><td>${escapeHtml(r.expiresAt)}</td></tr>`,
    )
    .join('')}</table>`;
}

function stuckRows(items: readonly StuckRequest[]): string {
  if (items.length === 0) return '<p class="muted">None.</p>';
  return `<table><tr><th>request</th><th>status</th><th>orchestration</th><th>why</th></tr>${items
    .map(
      (s) =>
        `<tr><td>${instanceLink(s.request.id)}</td><td>${escapeHtml(s.request.status)}</td><td>${escapeHtml(s.runtimeStatus ?? 'missing')}</td><td class="bad">${escapeHtml(s.reason)}</td></tr>`,
    )
    .join('')}</table>`;
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
      return `<tr data-policy-id="${escapeHtml(row.policyId)}" data-pool-status="${row.status}"><td>${user(row.displayName)}</td><td>${escapeHtml(row.profileType)}</td><td>${row.eligibleApprovers ?? '?'} / ${row.requiredApprovals}</td><td${cls ? ` class="${cls}"` : ''}><b>${escapeHtml(row.status)}</b></td><td>${
        row.reasons.length === 0
          ? '<span class="muted">—</span>'
          : `<ul class="reasons">${row.reasons.map((reason) => `<li>${user(reason)}</li>`).join('')}</ul>`
      }</td></tr>`;
    })
    .join('');
  return `${heading}${unreadable}<table><tr><th>policy</th><th>profile type</th><th>approvers / needed</th><th>status</th><th>why</th></tr>${rows}</table>`;
}

/** The dashboard: status counts, approver pools, the last 24 hours, what expires soon and what is stuck; refreshes every 10 s. */
export function renderDashboard(summary: OpsOverview, stuck: readonly StuckRequest[], operator: string): string {
  const counts = REQUEST_STATUSES.map(
    (status) => `<div class="count" data-status="${status}"><b>${summary.counts[status]}</b>${status}</div>`,
  ).join('');
  const { last24h, oldestOpen } = summary;
  return page(
    'Approvals — operations',
    `<h1>Approvals — operations</h1><p class="muted">Signed in as ${user(operator)} · ${escapeHtml(summary.generatedAt)} · refreshes every 10 s</p>
${approverPoolsAlert(summary.approverPools)}
<h2>Requests by status</h2><div class="counts">${counts}</div>
${approverPoolsSection(summary.approverPools)}
<h2>Last 24 hours</h2>
<p>Failed executions: <b${last24h.failedExecutions ? ' class="bad"' : ''}>${last24h.failedExecutions}</b> · failed orchestrations: <b${last24h.failedOrchestrations ? ' class="bad"' : ''}>${last24h.failedOrchestrations}</b> · time to decision (${last24h.timeToDecision.decided} decided): median ${duration(last24h.timeToDecision.medianSeconds)}, p95 ${duration(last24h.timeToDecision.p95Seconds)}</p>
${activityChart(last24h.hourly)}
<p>Oldest open request: ${oldestOpen ? `${instanceLink(oldestOpen.id)}, ${duration(oldestOpen.ageSeconds)} old` : '<span class="muted">none</span>'}</p>
<h2>Expiring within 24 hours (${summary.expiringWithin24h.count})</h2>${requestRows(summary.expiringWithin24h.items)}
<h2>Stuck</h2>${stuckRows(stuck)}`,
    10,
  );
}

/** One instance: its orchestration and history beside its request and audit trail, and the consistency verdict. */
export function renderInstance(detail: InstanceDetail): string {
  const { instance, request, audit, consistency } = detail;
  const verdict = consistency.consistent
    ? '<p>Consistent.</p>'
    : `<p class="bad">Inconsistent (${escapeHtml(consistency.code)}): ${escapeHtml(consistency.reason)}</p>`;
  const orchestration = instance
    ? `<p>${escapeHtml(instance.name)} · <b>${escapeHtml(instance.runtimeStatus)}</b> · created ${escapeHtml(instance.createdTime)} · updated ${escapeHtml(instance.lastUpdatedTime)}</p>
<p>Custom status: <code>${escapeHtml(JSON.stringify(instance.customStatus))}</code></p>
<table><tr><th>event</th><th>at</th><th>name</th><th>outcome</th></tr>${(instance.history ?? [])
        .map(
          (e) =>
            `<tr><td>${escapeHtml(e.eventType)}</td><td>${escapeHtml(e.at)}</td><td>${escapeHtml(e.name ?? '')}</td><td>${escapeHtml(e.outcome ?? '')}</td></tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">No orchestration (never started, or its history was purged).</p>';
  const requestPart = request
    ? `<p><b id="request-status">${escapeHtml(request.status)}</b> · ${escapeHtml(request.profileType)} · ${user(request.operation.action, 'identifier')} ${user(request.operation.resourceType, 'identifier')} ${user(request.operation.resourceId ?? '', 'identifier')} · by ${user(request.initiator.displayName)} · expires ${escapeHtml(request.expiresAt)}${
        request.execution
          ? ` · execution ${escapeHtml(request.execution.status)}: ${escapeHtml(request.execution.detail)}`
          : ''
      }</p>
<p>Audit trail (${audit.items.length} records, chain ${audit.chainValid ? 'valid' : '<span class="bad">BROKEN</span>'}):</p>
<table><tr><th>#</th><th>type</th><th>at</th><th>actor</th></tr>${audit.items
        .map(
          (r) =>
            `<tr><td>${r.seq}</td><td>${escapeHtml(r.type)}</td><td>${escapeHtml(r.at)}</td><td>${r.actor ? user(r.actor.displayName) : 'system'}</td></tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">No request in the read model.</p>';
  return page(
    `Instance ${detail.instanceId}`,
    `<p><a href="/api/ops/dashboard">← dashboard</a></p><h1>Instance ${escapeHtml(detail.instanceId)}</h1>${verdict}<h2>Orchestration</h2>${orchestration}<h2>Request</h2>${requestPart}`,
  );
}
