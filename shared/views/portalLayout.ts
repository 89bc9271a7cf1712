import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppKey, AppKeyRing } from '../keys/appKey';
import { html, page, PAGE_CSP, SafeHtml } from './html';

// The portal's frame: the shared page layout with the portal's navigation and its own few extra
// styles (a second inline style sheet, allowed by its hash beside the shared one), and the CSRF
// protection of its forms.

/** What the portal adds to the shared style sheet: navigation, form fields, lists and tags. */
const PORTAL_STYLE = `
nav.portal{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;padding:.5rem 0;border-bottom:1px solid var(--line);margin-bottom:.5rem}
nav.portal a{color:var(--accent);text-decoration:none;font-weight:600}
nav.portal a[aria-current]{text-decoration:underline}
nav.portal .who{margin-left:auto;color:var(--muted);font-size:.9rem}
input,select{font:inherit;padding:.45rem .5rem;border:1px solid var(--line);border-radius:.4rem;background:var(--bg);color:var(--fg);max-width:100%}
input[type=text],input[type=search],select.wide{width:100%}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:0 1rem}
.grid label{margin-top:.5rem}
.field-error{color:var(--bad);font-weight:600;margin:.25rem 0}
.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
.inline label{margin:0}
.inline button,.inline .button{flex:0 0 auto;padding:.45rem 1rem}
button{background:var(--accent)}
button.secondary,.button.secondary{background:var(--muted)}
.tag.needsApproval{color:var(--accent)}
.tag.approved,.tag.completed,.tag.succeeded{color:var(--ok)}
.tag.rejected,.tag.expired,.tag.failed,.tag.cancelled{color:var(--bad)}
.paging{display:flex;gap:1rem;margin:1rem 0}
.cards{list-style:none;padding:0}
.cards li{border:1px solid var(--line);border-radius:.4rem;padding:.5rem .75rem;margin:.5rem 0}
footer.zone{margin-top:2rem;border-top:1px solid var(--line);padding-top:.5rem;font-size:.9rem}
td.num{white-space:nowrap}
`.trim();

const PORTAL_STYLE_HASH = `sha256-${createHash('sha256').update(PORTAL_STYLE).digest('base64')}`;

/** The shared policy with the portal's style sheet allowed beside the shared one. */
export const PORTAL_CSP = PAGE_CSP.replace(/style-src ([^;]+)/, (_all, hashes: string) => {
  return `style-src ${hashes} '${PORTAL_STYLE_HASH}'`;
});

/** Where the portal lives, below the host's `/api` prefix. */
export const PORTAL_PATH = '/api/portal';

/** The navigation's sections; `current` marks one. */
export type PortalSection = 'home' | 'mine' | 'received' | 'all' | 'new' | 'other';

/** Who is signed in, as the frame shows them, and what the navigation offers them. */
export interface Viewer {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  /** The viewer's time zone (an IANA name). */
  readonly zone: string;
  /** The CSRF field of this viewer's forms. */
  readonly csrf: string;
  /** This page's path and query, for the zone form to come back to. */
  readonly here: string;
}

/** A complete portal page: navigation, `body`, and the time zone setting at the foot. */
export function portalPage(title: string, viewer: Viewer, current: PortalSection, body: SafeHtml): string {
  const link = (section: PortalSection, href: string, text: string) =>
    html`<a href="${href}"${section === current ? html` aria-current="page"` : ''}>${text}</a>`;
  const operator = viewer.roles.includes('MAA.Operator');
  const document = page(
    `${title} · Multi Admin Approval`,
    html`<nav class="portal" aria-label="Portal">
${link('home', PORTAL_PATH, 'Home')}
${link('mine', `${PORTAL_PATH}/requests?view=mine`, 'My requests')}
${link('received', `${PORTAL_PATH}/requests?view=received`, 'Received requests')}
${operator ? link('all', `${PORTAL_PATH}/requests?view=all`, 'All requests') : ''}
${link('new', `${PORTAL_PATH}/new`, 'New request')}
${operator ? html`<a href="/api/ops/dashboard">Operations</a>` : ''}
<span class="who">${viewer.displayName} · <a href="/.auth/logout?post_logout_redirect_uri=${encodeURIComponent(PORTAL_PATH)}">Sign out</a></span>
</nav>
${body}
${zoneForm(viewer)}`,
  );
  return document.replace('</style>', `</style>\n<style>${PORTAL_STYLE}</style>`);
}

/** Every IANA zone this runtime knows, UTC first. */
const ZONES: readonly string[] = (() => {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...known.filter((zone) => zone !== 'UTC')];
})();

function zoneForm(viewer: Viewer): SafeHtml {
  const zones = ZONES.includes(viewer.zone) ? ZONES : [viewer.zone, ...ZONES];
  return html`<footer class="zone">
<form method="post" action="${PORTAL_PATH}/zone" class="inline">
<input type="hidden" name="csrf" value="${viewer.csrf}">
<input type="hidden" name="returnTo" value="${viewer.here}">
<div><label for="tz">Time zone</label>
<select id="tz" name="tz">${zones.map((zone) => html`<option${zone === viewer.zone ? html` selected` : ''}>${zone}</option>`)}</select></div>
<button type="submit" class="secondary">Show times in this zone</button>
</form>
<p class="note">${viewer.zone === 'UTC' ? 'Times show in UTC.' : html`Times show in ${viewer.zone}; hover over one for UTC.`}</p>
</footer>`;
}

// CSRF: a per-browser nonce in a SameSite=Lax, HttpOnly cookie scoped to the portal, and in
// every form a hidden field, the HMAC (under a subkey of the app key) of the signed-in person and
// that nonce; the provenance headers are checked too (see `sameOriginPost`).

/** The cookie holding the portal's CSRF nonce. */
export const PORTAL_CSRF_COOKIE = 'maa_portal_csrf';
const NONCE = /^[A-Za-z0-9_-]{43}$/;

export function newPortalNonce(): string {
  return randomBytes(32).toString('base64url');
}

export function isPortalNonce(value: string | undefined): value is string {
  return value !== undefined && NONCE.test(value);
}

const csrfKeys = new WeakMap<Buffer, Buffer>();

function csrfKey(key: AppKey): Buffer {
  let derived = csrfKeys.get(key.secret);
  if (!derived) {
    derived = Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), 'multi-admin-approval/portal-csrf', 32));
    csrfKeys.set(key.secret, derived);
  }
  return derived;
}

function fieldUnder(key: AppKey, subject: string, nonce: string): string {
  return createHmac('sha256', csrfKey(key))
    .update(`maa-portal-csrf\n${subject.toLowerCase()}\n${nonce}`)
    .digest('base64url');
}

/** The form field binding the signed-in `subject` and the browser's `nonce`, under the ring's current key. */
export function portalCsrfField(keys: AppKeyRing, subject: string, nonce: string): string {
  return fieldUnder(keys.current, subject, nonce);
}

/** Whether `field` is {@link portalCsrfField} of `subject` and `nonce` under the current or previous key. */
export function verifyPortalCsrf(
  keys: AppKeyRing,
  subject: string,
  nonce: string | undefined,
  field: string | undefined,
): boolean {
  if (!isPortalNonce(nonce) || field === undefined) return false;
  const given = Buffer.from(field);
  return [keys.current, keys.previous].some((key) => {
    if (!key) return false;
    const expected = Buffer.from(fieldUnder(key, subject, nonce));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/**
 * The seal of a command's outcome in the redirect back to the request's page (`outcome`, `command`
 * and `code` in its query), bound to the person it was for and the request: the page shows an
 * outcome only with its seal, so a link made elsewhere cannot tell someone their approval was
 * applied or refused.
 */
export function outcomeSeal(keys: AppKeyRing, subject: string, requestId: string, parts: readonly string[]): string {
  return sealUnder(keys.current, subject, requestId, parts);
}

/** Whether `seal` is {@link outcomeSeal} of these values under the current or previous key. */
export function verifyOutcomeSeal(
  keys: AppKeyRing,
  subject: string,
  requestId: string,
  parts: readonly string[],
  seal: string | null,
): boolean {
  if (seal === null) return false;
  const given = Buffer.from(seal);
  return [keys.current, keys.previous].some((key) => {
    if (!key) return false;
    const expected = Buffer.from(sealUnder(key, subject, requestId, parts));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

function sealUnder(key: AppKey, subject: string, requestId: string, parts: readonly string[]): string {
  return createHmac('sha256', csrfKey(key))
    .update(JSON.stringify(['maa-portal-outcome', subject.toLowerCase(), requestId, ...parts]))
    .digest('base64url')
    .slice(0, 22);
}
