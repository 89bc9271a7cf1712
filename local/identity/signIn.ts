import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { HostResponse } from '../host/httpHost';
import { methodNotAllowed } from '../http/responses';
import { LOCAL_TENANT_ID, LOCAL_USERS, findUser, type LocalUser } from './seed';

/** A handler for one path (the runtime's local-route signature). */
type Route = (request: IncomingMessage, url: URL, body: Buffer) => HostResponse;

/** The cookie naming the signed-in local user (its object id). */
export const LOCAL_SIGN_IN_COOKIE = 'maa_local_principal';

/** Every header App Service Authentication sets for a signed-in user starts with this. */
const PRINCIPAL_HEADER_PREFIX = 'x-ms-client-principal';

/**
 * A development stand-in for App Service Authentication (Easy Auth): a sign-in page that lets you
 * pick a seeded user (no password, like `POST /_local/token`), a cookie that keeps them signed in,
 * and, for every request, the platform's `X-MS-CLIENT-PRINCIPAL*` headers: client-sent copies are
 * always removed and, when the cookie names a user, the headers are set for that user, exactly in
 * the form App Service passes them on.
 *
 * - `GET /_local/signin?returnTo=/path` lists the users; `?user=bob&returnTo=/path` signs bob in
 *   and redirects (303) to `returnTo` (a path on this runtime; anything else goes to `/`).
 * - `GET /_local/signout?returnTo=/path` signs out.
 * - `/.auth/login/aad?post_login_redirect_uri=` and `/.auth/logout?post_logout_redirect_uri=`,
 *   the platform's own endpoints, lead to those two, so the app links to the same place as in Azure.
 */
export class LocalSignIn {
  /** The sign-in routes, keyed by path. */
  routes(): Map<string, Route> {
    return new Map<string, Route>([
      ['/_local/signin', (request, url) => (isGet(request) ? this.signIn(url) : methodNotAllowed('GET'))],
      [
        '/_local/signout',
        (request, url) => (isGet(request) ? signOut(url.searchParams.get('returnTo')) : methodNotAllowed('GET')),
      ],
      [
        '/.auth/login/aad',
        (request, url) =>
          isGet(request)
            ? redirect(
                `/_local/signin?returnTo=${encodeURIComponent(sameSitePath(url.searchParams.get('post_login_redirect_uri')))}`,
              )
            : methodNotAllowed('GET'),
      ],
      [
        '/.auth/logout',
        (request, url) =>
          isGet(request) ? signOut(url.searchParams.get('post_logout_redirect_uri')) : methodNotAllowed('GET'),
      ],
    ]);
  }

  /**
   * What App Service does before a request reaches the app: drops every `X-MS-CLIENT-PRINCIPAL*`
   * header the client sent, then sets them for the user the sign-in cookie names, if any.
   */
  applyPrincipalHeaders(headers: IncomingHttpHeaders): void {
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase().startsWith(PRINCIPAL_HEADER_PREFIX)) delete headers[name];
    }
    const user = signedInUser(headers.cookie);
    if (!user) return;
    headers['x-ms-client-principal'] = Buffer.from(JSON.stringify(clientPrincipal(user))).toString('base64');
    headers['x-ms-client-principal-id'] = user.id;
    headers['x-ms-client-principal-name'] = user.userPrincipalName;
    headers['x-ms-client-principal-idp'] = 'aad';
  }

  private signIn(url: URL): HostResponse {
    const returnTo = sameSitePath(url.searchParams.get('returnTo'));
    const reference = url.searchParams.get('user');
    if (reference === null) return signInPage(returnTo, 200);
    const user = findUser(reference);
    if (!user) return signInPage(returnTo, 404, `There is no local user "${reference}".`);
    return redirect(returnTo, `${LOCAL_SIGN_IN_COOKIE}=${user.id}; Path=/; HttpOnly; SameSite=Lax`);
  }
}

/** Easy Auth's `X-MS-CLIENT-PRINCIPAL` document for an Entra ID user (claim types after its mapping). */
function clientPrincipal(user: LocalUser): Record<string, unknown> {
  const claim = (typ: string, val: string) => ({ typ, val });
  return {
    auth_typ: 'aad',
    name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    claims: [
      claim('http://schemas.microsoft.com/identity/claims/objectidentifier', user.id),
      claim('http://schemas.microsoft.com/identity/claims/tenantid', LOCAL_TENANT_ID),
      claim('name', user.displayName),
      claim('preferred_username', user.userPrincipalName),
      claim('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', user.userPrincipalName),
      ...user.roles.map((role) => claim('roles', role)),
    ],
  };
}

function signedInUser(cookieHeader: string | undefined): LocalUser | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === LOCAL_SIGN_IN_COOKIE && value) return LOCAL_USERS.find((user) => user.id === value);
  }
  return undefined;
}

function signOut(returnTo: string | null): HostResponse {
  return redirect(
    sameSitePath(returnTo ?? '/_local/signin'),
    `${LOCAL_SIGN_IN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`,
  );
}

/** The longest `returnTo` kept; a longer one falls back to `/`. */
export const MAX_RETURN_PATH_LENGTH = 2048;

// Any origin will do: a path resolved against it either stays on it or names another one.
const PROBE_ORIGIN = 'http://return-to.invalid';

/**
 * `value` (already percent-decoded once, as a query parameter is) when it is a path on this site,
 * else `/`: it starts with a single `/` (not `//` or `/\`), holds no control character (browsers
 * drop tab and newline, so `/\t/host` would become `//host`; a newline cannot go into a header),
 * is at most {@link MAX_RETURN_PATH_LENGTH} long and, resolved as a browser does, stays on the
 * origin. The result is ASCII (percent-encoded as the URL parser encodes it), safe in `Location`.
 */
export function sameSitePath(value: string | null): string {
  if (value === null || value.length > MAX_RETURN_PATH_LENGTH) return '/';
  if (!/^\/(?![/\\])/.test(value) || /\p{Cc}/u.test(value)) return '/';
  let resolved: URL;
  try {
    resolved = new URL(value, PROBE_ORIGIN);
  } catch {
    return '/';
  }
  if (resolved.origin !== PROBE_ORIGIN) return '/';
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

function redirect(location: string, cookie?: string): HostResponse {
  const headers: [string, string][] = [
    ['location', location],
    ['cache-control', 'no-store'],
  ];
  if (cookie) headers.push(['set-cookie', cookie]);
  return { status: 303, headers, body: Buffer.alloc(0) };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function signInPage(returnTo: string, status: number, error?: string): HostResponse {
  const items = LOCAL_USERS.map((user) => {
    const href = `/_local/signin?user=${encodeURIComponent(user.name)}&returnTo=${encodeURIComponent(returnTo)}`;
    const roles = user.roles.length > 0 ? user.roles.join(', ') : 'no roles';
    return `<li><a href="${escapeHtml(href)}">${escapeHtml(user.displayName)}</a> <small>(${escapeHtml(user.userPrincipalName)}; ${escapeHtml(roles)})</small></li>`;
  }).join('\n');
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Local sign-in</title></head>
<body><h1>Local sign-in</h1>
<p>The local runtime's stand-in for App Service Authentication: pick a seeded user.</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<ul>
${items}
</ul>
<p><a href="/_local/signout?returnTo=${escapeHtml(encodeURIComponent(returnTo))}">Sign out</a></p>
</body></html>
`;
  return {
    status,
    headers: [
      ['content-type', 'text/html; charset=utf-8'],
      ['content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"],
      ['cache-control', 'no-store'],
    ],
    body: Buffer.from(body),
  };
}

function isGet(request: IncomingMessage): boolean {
  return (request.method ?? 'GET').toUpperCase() === 'GET';
}
