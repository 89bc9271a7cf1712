import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HostResponse } from '../host/httpHost';
import type { IntuneGraphRequest } from '../intune/intuneGraph';
import type { LocalMailbox } from '../mailbox';
import type { KeyRing } from './keyRing';
import type { LocalDirectory } from './localDirectory';
import { jsonObject } from '../http/jsonBody';
import { graphError, json, methodNotAllowed } from '../http/responses';
import { LOCAL_API_APP, LOCAL_USERS, findUser, type LocalUser } from './seed';

/** What the local Graph checks tokens against. */
export interface LocalGraphOptions {
  readonly keys: KeyRing;
  /** Issuer of app tokens (the local token endpoint's). */
  readonly issuer: () => string;
  /** Audiences accepted as "Microsoft Graph". */
  readonly audiences: () => readonly string[];
  /** Epoch milliseconds on the runtime clock. */
  readonly now: () => number;
  /** The directory answered from: group memberships as they stand at each call. */
  readonly directory: LocalDirectory;
  /** Where `sendMail` delivers. */
  readonly mailbox: LocalMailbox;
  /** The one mailbox `sendMail` accepts as sender (the app's MAA_MAIL_SENDER), read at each call. */
  readonly mailSender: () => string | undefined;
  /** The local Intune tenant, answering `deviceManagement/...` and `deviceAppManagement/...`. */
  readonly intune?: LocalGraphIntune;
}

/** What the local Graph needs of the Intune tenant it routes to. */
export interface LocalGraphIntune {
  /** Whether the path (segments below the version) is the tenant's. */
  owns(segments: readonly string[]): boolean;
  handle(request: IntuneGraphRequest): HostResponse;
}

/** The URL prefix the local Graph serves under, with the version segment. */
export const LOCAL_GRAPH_PREFIX = '/_local/graph/v1.0/';
/** The same Graph under the beta version (beta-only Intune collections live only here). */
export const LOCAL_GRAPH_BETA_PREFIX = '/_local/graph/beta/';

// Any of these application permissions lets an app read group memberships in Graph.
const MEMBERSHIP_PERMISSIONS = new Set(['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All']);
const USER_PERMISSIONS = new Set(['User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All']);
const MAIL_PERMISSIONS = new Set(['Mail.Send']);
const APPLICATION_PERMISSIONS = new Set(['Application.Read.All', 'Directory.Read.All']);
// Graph's default and largest page sizes for directory collections.
const DEFAULT_PAGE = 100;
const MAX_PAGE = 999;
// Graph's own limit for checkMemberGroups.
const MAX_CHECK_GROUPS = 20;

/**
 * The subset of Microsoft Graph v1.0 the app uses, over the local directory (current memberships): `POST
 * users/{id}/checkMemberGroups`, `POST users/{id}/getMemberGroups`, `GET users/{id}`, `GET
 * groups/{id}/members`, `GET groups/{id}/transitiveMembers/microsoft.graph.user` (`$select`, `$top`,
 * paged with `@odata.nextLink`) (plus `GET groups/{id}`), `POST users/{sender}/sendMail` for the
 * configured sender only, delivering into the local mailbox, `POST $batch` (JSON batching of any of
 * these, up to 20), and the API app's service principal:
 * `GET servicePrincipals(appId='{appId}')`, `GET servicePrincipals/{id}` and `GET
 * servicePrincipals/{id}/appRoleAssignedTo` (one assignment per user and role held now; `$top`,
 * paged), which need Application.Read.All. Requests need an app token from the
 * local token endpoint (signature, issuer, a Graph audience, `exp`/`nbf` on the runtime clock,
 * `idtyp` app) and the matching application permission; failures answer Graph-style `{ error: {
 * code, message, innerError } }`. Paths below `deviceManagement/` and `deviceAppManagement/` go to the
 * local Intune tenant. The same Graph answers under `/_local/graph/beta/`. Every answer carries
 * `request-id` and `client-request-id` headers (the latter echoing the request's, and repeated in
 * an error's `innerError`).
 */
export function localGraphRoute(
  options: LocalGraphOptions,
): (request: IncomingMessage, url: URL, body: Buffer) => HostResponse {
  return (request: IncomingMessage, url: URL, body: Buffer): HostResponse =>
    withRequestIds(request, answer(options, request, url, body));
}

function answer(options: LocalGraphOptions, request: IncomingMessage, url: URL, body: Buffer): HostResponse {
  const caller = authenticate(request, options);
  if (!('roles' in caller)) return caller;
  const method = (request.method ?? 'GET').toUpperCase();
  const version = url.pathname.startsWith(LOCAL_GRAPH_BETA_PREFIX) ? 'beta' : 'v1.0';
  const prefix = version === 'beta' ? LOCAL_GRAPH_BETA_PREFIX : LOCAL_GRAPH_PREFIX;
  let segments: string[];
  try {
    segments = url.pathname.slice(prefix.length).split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return graphError(400, 'BadRequest', 'The request path is not valid.');
  }
  if (segments.length === 1 && segments[0] === '$batch') return batch(options, request, method, url, body);
  if (options.intune?.owns(segments))
    return options.intune.handle({
      method,
      version,
      segments,
      url,
      headers: request.headers,
      body,
      roles: caller.roles,
      appId: caller.appId,
    });
  if (segments[0]?.startsWith('servicePrincipals')) {
    if (!caller.roles.some((role) => APPLICATION_PERMISSIONS.has(role)))
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    if (method !== 'GET') return methodNotAllowed('GET');
    return servicePrincipals(options, segments, url);
  }
  const [collection, id, action, ...rest] = segments;
  const cast = action === 'transitiveMembers' && rest.length === 1 && rest[0] === 'microsoft.graph.user';
  if ((rest.length > 0 && !cast) || id === undefined || (collection !== 'users' && collection !== 'groups')) {
    return graphError(400, 'BadRequest', `Resource not found for the segment '${segments[0] ?? ''}'.`);
  }
  const mail = collection === 'users' && action === 'sendMail';
  const needs = mail
    ? MAIL_PERMISSIONS
    : collection === 'users' && action === undefined
      ? USER_PERMISSIONS
      : MEMBERSHIP_PERMISSIONS;
  if (!caller.roles.some((role) => needs.has(role)))
    return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

  if (mail) return sendMail(options, id, method, body);
  if (collection === 'users') {
    const user = findUser(id);
    if (action === undefined) {
      if (method !== 'GET') return methodNotAllowed('GET');
      return user ? json(200, userResource(user)) : notFound(id);
    }
    if (action !== 'checkMemberGroups' && action !== 'getMemberGroups')
      return graphError(400, 'BadRequest', `Resource not found for the segment '${action}'.`);
    if (method !== 'POST') return methodNotAllowed('POST');
    const input = jsonObject(body);
    if (input === undefined) return graphError(400, 'Request_BadRequest', 'Invalid JSON in the request body.');
    if (!user) return notFound(id);
    const groups = options.directory.transitiveGroupsOf(user.id);
    if (action === 'getMemberGroups') {
      if (typeof input.securityEnabledOnly !== 'boolean')
        return graphError(
          400,
          'Request_BadRequest',
          "The parameter 'securityEnabledOnly' is required and must be a boolean.",
        );
      return stringCollection(groups);
    }
    const candidates = input.groupIds;
    if (
      !Array.isArray(candidates) ||
      !candidates.every((candidate): candidate is string => typeof candidate === 'string')
    ) {
      return graphError(400, 'Request_BadRequest', "The parameter 'groupIds' must be an array of strings.");
    }
    if (candidates.length > MAX_CHECK_GROUPS)
      return graphError(
        400,
        'Request_BadRequest',
        `At most ${MAX_CHECK_GROUPS} group ids can be checked in one request.`,
      );
    return stringCollection(candidates.filter((candidate) => groups.includes(candidate.toLowerCase())));
  }

  const group = options.directory.findGroup(id);
  if (action !== undefined && action !== 'members' && !cast)
    return graphError(400, 'BadRequest', `Resource not found for the segment '${action}'.`);
  if (method !== 'GET') return methodNotAllowed('GET');
  if (!group) return notFound(id);
  if (cast) return transitiveUsers(options, group.id, url);
  if (action === undefined)
    return json(200, { id: group.id, displayName: group.displayName, securityEnabled: true, mailEnabled: false });
  const members = group.members.map((member) => {
    const user = LOCAL_USERS.find((candidate) => candidate.id === member);
    if (user) return { '@odata.type': '#microsoft.graph.user', ...userResource(user) };
    const nested = options.directory.findGroup(member);
    return { '@odata.type': '#microsoft.graph.group', id: member, displayName: nested?.displayName ?? null };
  });
  return json(200, {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#directoryObjects',
    value: members,
  });
}

/** The answer with `request-id` and `client-request-id` (the request's, or a new one) headers, and the latter in an error's `innerError`. */
function withRequestIds(request: IncomingMessage, response: HostResponse): HostResponse {
  const sent = request.headers['client-request-id'];
  const clientRequestId = (Array.isArray(sent) ? sent[0] : sent) || randomUUID();
  const headers = response.headers.filter(([name]) => name.toLowerCase() !== 'client-request-id');
  if (!headers.some(([name]) => name.toLowerCase() === 'request-id')) headers.push(['request-id', randomUUID()]);
  headers.push(['client-request-id', clientRequestId]);
  let body = response.body;
  if (response.status >= 400 && body.length > 0) {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { error?: { innerError?: Record<string, unknown> } };
      if (parsed.error?.innerError) {
        parsed.error.innerError['client-request-id'] = clientRequestId;
        body = Buffer.from(JSON.stringify(parsed));
      }
    } catch {
      // Not a Graph error body (a plain 405): nothing to add.
    }
  }
  return { ...response, headers, body };
}

/** The API app's service principal by `(appId='...')` or object id, or one page of its role assignments. */
function servicePrincipals(options: LocalGraphOptions, segments: string[], url: URL): HostResponse {
  const [first, second, action, ...rest] = segments;
  const byAppId = /^servicePrincipals\(appId='([^']*)'\)$/.exec(first!);
  const id = byAppId ? undefined : second;
  const known = byAppId
    ? byAppId[1]!.toLowerCase() === LOCAL_API_APP.appId
    : id?.toLowerCase() === LOCAL_API_APP.servicePrincipalId;
  const path = byAppId
    ? second === undefined
      ? []
      : [second, action, ...rest]
    : [action, ...rest].filter((segment) => segment !== undefined);
  if (
    (!byAppId && (first !== 'servicePrincipals' || id === undefined)) ||
    path.length > 1 ||
    (path.length === 1 && path[0] !== 'appRoleAssignedTo')
  ) {
    return graphError(400, 'BadRequest', `Resource not found for the segment '${segments.join('/')}'.`);
  }
  if (!known) return notFound(byAppId ? `appId '${byAppId[1]}'` : id!);
  if (path.length === 0) {
    return json(200, {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity',
      id: LOCAL_API_APP.servicePrincipalId,
      appId: LOCAL_API_APP.appId,
      displayName: LOCAL_API_APP.displayName,
      appRoles: LOCAL_API_APP.appRoles,
    });
  }
  const assignments = LOCAL_USERS.flatMap((user) =>
    options.directory.rolesOf(user.id).map((value) => ({
      id: `${user.id}:${value}`,
      appRoleId: LOCAL_API_APP.appRoles.find((role) => role.value === value)!.id,
      principalId: user.id,
      principalType: 'User',
      principalDisplayName: user.displayName,
      resourceId: LOCAL_API_APP.servicePrincipalId,
      resourceDisplayName: LOCAL_API_APP.displayName,
    })),
  );
  return collectionPage(url, 'appRoleAssignments', assignments, (assignment) => assignment);
}

/** One page of the group's transitive user members, `$select`ed, with `@odata.nextLink` when more follow. */
function transitiveUsers(options: LocalGraphOptions, groupId: string, url: URL): HostResponse {
  const select = url.searchParams
    .get('$select')
    ?.split(',')
    .map((field) => field.trim())
    .filter(Boolean);
  return collectionPage(url, 'users', options.directory.transitiveUsersOf(groupId), (user) => {
    const resource: Record<string, unknown> = userResource(user);
    const fields = select
      ? Object.fromEntries(Object.entries(resource).filter(([field]) => field === 'id' || select.includes(field)))
      : resource;
    return { '@odata.type': '#microsoft.graph.user', ...fields };
  });
}

/** One page of `items` as Graph pages collections (`$top`, `$skiptoken`), with `@odata.nextLink` when more follow. */
function collectionPage<T>(url: URL, context: string, items: readonly T[], render: (item: T) => unknown): HostResponse {
  const top = url.searchParams.has('$top') ? Number(url.searchParams.get('$top')) : DEFAULT_PAGE;
  const skip = url.searchParams.has('$skiptoken') ? Number(url.searchParams.get('$skiptoken')) : 0;
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE)
    return graphError(
      400,
      'Request_BadRequest',
      `Invalid page size specified: '${url.searchParams.get('$top')}'. Must be between 1 and ${MAX_PAGE} inclusive.`,
    );
  if (!Number.isInteger(skip) || skip < 0) return graphError(400, 'Request_BadRequest', 'The $skiptoken is not valid.');
  const page: Record<string, unknown> = {
    '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#${context}`,
    value: items.slice(skip, skip + top).map(render),
  };
  if (skip + top < items.length) {
    const next = new URL(url.href);
    next.searchParams.set('$top', String(top));
    next.searchParams.set('$skiptoken', String(skip + top));
    page['@odata.nextLink'] = next.href;
  }
  return json(200, page);
}

/** Graph's limit of requests in one JSON batch. */
const MAX_BATCH = 20;

/**
 * `POST $batch` (JSON batching): `{ requests: [{ id, method, url, headers?, body? }] }`, at most
 * {@link MAX_BATCH}, each answered as if sent on its own with the batch's token (`url` relative to
 * the version, e.g. `/users/{id}/sendMail`), in `{ responses: [{ id, status, headers, body }] }`
 * with HTTP 200 whatever the items' statuses; an item's error body is Graph's `{ error }`. The
 * batch itself is refused (400) when it is not well formed. `dependsOn` is not supported.
 */
function batch(
  options: LocalGraphOptions,
  request: IncomingMessage,
  method: string,
  url: URL,
  body: Buffer,
): HostResponse {
  if (method !== 'POST') return methodNotAllowed('POST');
  const input = jsonObject(body);
  const items = input?.requests;
  if (!Array.isArray(items) || items.length === 0)
    return graphError(400, 'BadRequest', 'Invalid batch payload format: a requests array is required.');
  if (items.length > MAX_BATCH)
    return graphError(400, 'BadRequest', `Number of batch requests exceeds the limit of ${MAX_BATCH}.`);
  const ids = new Set<string>();
  for (const item of items as { id?: unknown; method?: unknown; url?: unknown; dependsOn?: unknown }[]) {
    if (
      typeof item?.id !== 'string' ||
      item.id === '' ||
      typeof item.method !== 'string' ||
      typeof item.url !== 'string'
    )
      return graphError(
        400,
        'BadRequest',
        'Invalid batch payload format: each request needs an id, a method and a url.',
      );
    if (ids.has(item.id)) return graphError(400, 'BadRequest', `Batch request id '${item.id}' is not unique.`);
    if (item.dependsOn !== undefined)
      return graphError(400, 'BadRequest', 'dependsOn is not supported by this local Graph.');
    ids.add(item.id);
  }
  const prefix = url.pathname.startsWith(LOCAL_GRAPH_BETA_PREFIX) ? LOCAL_GRAPH_BETA_PREFIX : LOCAL_GRAPH_PREFIX;
  const responses = (items as { id: string; method: string; url: string; headers?: unknown; body?: unknown }[]).map(
    (item) => {
      const relative = item.url.replace(/^\/+/, '');
      const headers: Record<string, string | string[] | undefined> = { authorization: request.headers.authorization };
      if (typeof item.headers === 'object' && item.headers !== null)
        for (const [name, value] of Object.entries(item.headers))
          if (typeof value === 'string' && name.toLowerCase() !== 'authorization') headers[name.toLowerCase()] = value;
      let answered: HostResponse;
      if (/^https?:/i.test(relative) || relative.split(/[/?]/)[0] === '$batch') {
        answered = graphError(400, 'BadRequest', `Invalid request URL '${item.url}' in a batch.`);
      } else {
        const inner = { method: item.method.toUpperCase(), headers } as unknown as IncomingMessage;
        const innerBody = item.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(item.body));
        answered = localGraphRoute(options)(inner, new URL(`${prefix}${relative}`, url.origin), innerBody);
      }
      const text = answered.body.toString('utf8');
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = text;
      }
      return {
        id: item.id,
        status: answered.status,
        headers: Object.fromEntries(answered.headers),
        ...(parsed === undefined ? {} : { body: parsed }),
      };
    },
  );
  return json(200, { responses });
}

/** `POST users/{sender}/sendMail`: `202` and the mail in the local mailbox, for the configured sender only. */
function sendMail(options: LocalGraphOptions, sender: string, method: string, body: Buffer): HostResponse {
  if (method !== 'POST') return methodNotAllowed('POST');
  // Real Graph answers a mailbox it does not know this way; here every other sender is unknown.
  if (sender.toLowerCase() !== (options.mailSender() ?? '').toLowerCase())
    return graphError(404, 'ErrorInvalidUser', `The requested user '${sender}' is invalid.`);
  const input = jsonObject(body);
  const message = input?.message as
    { subject?: unknown; body?: { contentType?: unknown; content?: unknown }; toRecipients?: unknown } | undefined;
  if (typeof message !== 'object' || message === null)
    return graphError(400, 'ErrorInvalidRequest', 'The request body must hold a message.');
  const recipients = Array.isArray(message.toRecipients)
    ? message.toRecipients.map(
        (recipient) => (recipient as { emailAddress?: { address?: unknown } })?.emailAddress?.address,
      )
    : [];
  if (
    recipients.length === 0 ||
    !recipients.every((address): address is string => typeof address === 'string' && address.includes('@'))
  ) {
    return graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
  }
  const contentType = typeof message.body?.contentType === 'string' ? message.body.contentType.toLowerCase() : 'text';
  if ((contentType !== 'text' && contentType !== 'html') || typeof message.body?.content !== 'string')
    return graphError(400, 'ErrorInvalidRequest', 'The message body must be Text or HTML content.');
  options.mailbox.deliver({
    to: recipients,
    subject: typeof message.subject === 'string' ? message.subject : '',
    contentType,
    content: message.body.content,
  });
  return { status: 202, headers: [], body: Buffer.alloc(0) };
}

/** The verified app token's permissions and application id, or the Graph 401 to answer. */
function authenticate(
  request: IncomingMessage,
  options: LocalGraphOptions,
): { roles: string[]; appId: string | undefined } | HostResponse {
  const header = request.headers.authorization ?? '';
  const token = /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
  if (!token) return unauthorized('Access token is empty.');
  const claims = options.keys.verify(token);
  if (!claims) return unauthorized('Access token validation failure. Invalid signature or malformed token.');
  const now = Math.floor(options.now() / 1000);
  if (claims.iss !== options.issuer()) return unauthorized('Access token validation failure. Invalid issuer.');
  if (typeof claims.aud !== 'string' || !options.audiences().includes(claims.aud))
    return unauthorized('Access token validation failure. Invalid audience.');
  if (typeof claims.exp !== 'number' || claims.exp <= now)
    return unauthorized('Lifetime validation failed, the token is expired.');
  if (typeof claims.nbf === 'number' && claims.nbf > now)
    return unauthorized('Lifetime validation failed, the token is not yet valid.');
  if (claims.idtyp !== 'app')
    return unauthorized('Access token validation failure. This local Graph only accepts app tokens.');
  return {
    roles: Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [],
    appId: typeof claims.azp === 'string' ? claims.azp : undefined,
  };
}

function unauthorized(message: string): HostResponse {
  return graphError(401, 'InvalidAuthenticationToken', message, [['www-authenticate', 'Bearer realm=""']]);
}

function notFound(id: string): HostResponse {
  return graphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function stringCollection(values: string[]): HostResponse {
  return json(200, {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)',
    value: values,
  });
}

function userResource(user: LocalUser) {
  return {
    id: user.id,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    mail: user.userPrincipalName,
  };
}
