import type { AccessToken, TokenCredential } from '@azure/identity';
import { CachedDirectory } from '../../../shared/identity/directory';
import { GraphDirectory, type GraphDirectoryOptions } from '../../../shared/identity/graphDirectory';
import { startTestServer, type Reply, type SeenRequest, type TestServer } from './testServer';

const USER = '22222222-2222-4222-8222-222222222222';
const G1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const G2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const G3 = 'aaaaaaaa-0000-4000-8000-000000000003';

/** Membership the fake Graph knows: USER is in G1 and G3. */
const memberships = new Map<string, string[]>([[USER, [G1, G3]]]);

/** Replies queued for the next requests; when empty, the fake answers like Graph. */
let scripted: Reply[];
let server: TestServer;

function graph(request: SeenRequest): Reply {
  const next = scripted.shift();
  if (next) return next;
  const group = /^\/v1\.0\/groups\/([^/?]+)\?\$select=id$/.exec(request.path);
  if (request.method === 'GET' && group) {
    const id = decodeURIComponent(group[1]!);
    if ([G1, G2].includes(id.toLowerCase())) return { body: { id } };
    return {
      status: 404,
      body: { error: { code: 'Request_ResourceNotFound', message: `Resource '${id}' does not exist` } },
    };
  }
  const roles = servicePrincipals(request);
  if (roles) return roles;
  const match = /^\/v1\.0\/users\/([^/]+)\/(checkMemberGroups|getMemberGroups)$/.exec(request.path);
  if (request.method !== 'POST' || !match)
    return { status: 400, body: { error: { code: 'BadRequest', message: 'unexpected request' } } };
  const groups = memberships.get(decodeURIComponent(match[1]!));
  if (!groups) return { status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'no such user' } } };
  const body = JSON.parse(request.body) as { groupIds?: string[]; securityEnabledOnly?: boolean };
  const value =
    match[2] === 'checkMemberGroups' ? body.groupIds!.filter((id) => groups.includes(id.toLowerCase())) : groups;
  return { body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)', value } };
}

class FakeCredential implements TokenCredential {
  readonly scopes: (string | string[])[] = [];
  failure: Error | undefined;
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(scopes);
    if (this.failure) throw this.failure;
    return { token: 'app-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

let credential: FakeCredential;

beforeAll(async () => {
  server = await startTestServer(graph);
});

afterAll(() => server.close());

beforeEach(() => {
  scripted = [];
  server.requests.length = 0;
  credential = new FakeCredential();
});

function directory(options: Partial<GraphDirectoryOptions> = {}): GraphDirectory {
  return new GraphDirectory({ baseUrl: `${server.url}/`, credential, ...options });
}

describe('GraphDirectory', () => {
  it('answers which groups exist with GET /groups/{id}, once per distinct id, in the caller’s spelling and order', async () => {
    const found = await directory().existingGroups([G3, G2.toUpperCase(), G1, G1]);
    expect(found).toEqual([G2.toUpperCase(), G1, G1]);
    expect(server.requests.map((request) => `${request.method} ${request.path}`).sort()).toEqual(
      [G1, G2, G3].map((id) => `GET /v1.0/groups/${id}?$select=id`),
    );
  });

  it('does not remember which groups exist (a group created a moment ago counts)', async () => {
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000 });
    await cached.existingGroups([G1]);
    await cached.existingGroups([G1]);
    expect(server.requests).toHaveLength(2);
  });

  it('asks checkMemberGroups with the app token and answers the subset in the caller’s spelling and order', async () => {
    const found = await directory().memberGroupsOf(USER, [G3.toUpperCase(), G2, G1]);
    expect(found).toEqual([G3.toUpperCase(), G1]);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: `/v1.0/users/${USER}/checkMemberGroups` });
    expect(request!.headers.authorization).toBe('Bearer app-token');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({ groupIds: [G3.toUpperCase(), G2, G1] });
    expect(credential.scopes).toEqual([`${server.url}/.default`]);
  });

  it('asks getMemberGroups for every group, security-enabled or not', async () => {
    await expect(directory().allGroupsOf(USER)).resolves.toEqual([G1, G3]);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: `/v1.0/users/${USER}/getMemberGroups` });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ securityEnabledOnly: false });
  });

  it('defaults to Microsoft Graph and its .default scope', async () => {
    credential.failure = new Error('offline');
    await expect(new GraphDirectory({ credential }).allGroupsOf(USER)).rejects.toMatchObject({
      code: 'credential_failed',
    });
    expect(credential.scopes).toEqual(['https://graph.microsoft.com/.default']);
  });

  it('checks more than 20 candidates in batches of 20, as Graph requires', async () => {
    const candidates = Array.from({ length: 45 }, (_, i) => `bbbbbbbb-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await expect(directory().memberGroupsOf(USER, [...candidates, G1])).resolves.toEqual([G1]);
    expect(server.requests.map((r) => (JSON.parse(r.body) as { groupIds: string[] }).groupIds.length)).toEqual([
      20, 20, 6,
    ]);
  });

  it('asks nothing for no candidates', async () => {
    await expect(directory().memberGroupsOf(USER, [])).resolves.toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('puts a user Graph does not know in no group (fails closed)', async () => {
    await expect(directory().memberGroupsOf('33333333-3333-4333-8333-333333333333', [G1])).resolves.toEqual([]);
    await expect(directory().allGroupsOf('33333333-3333-4333-8333-333333333333')).resolves.toEqual([]);
  });

  it('waits for Retry-After on 429 and retries', async () => {
    scripted = [
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { code: 'TooManyRequests', message: 'slow down' } },
      },
    ];
    const started = Date.now();
    await expect(directory().memberGroupsOf(USER, [G1])).resolves.toEqual([G1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up at once on a Retry-After longer than it may wait, carrying it', async () => {
    scripted = [
      {
        status: 429,
        headers: { 'retry-after': '120' },
        body: { error: { code: 'TooManyRequests', message: 'slow down' } },
      },
    ];
    const error = await directory()
      .memberGroupsOf(USER, [G1])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'IdentityUnavailableError',
      code: 'graph_throttled',
      status: 503,
      retryAfterSeconds: 120,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after maxRetries when throttling persists', async () => {
    const throttled: Reply = {
      status: 429,
      headers: { 'retry-after': '0' },
      body: { error: { code: 'TooManyRequests', message: 'slow down' } },
    };
    scripted = [throttled, throttled, throttled, throttled];
    await expect(directory({ maxRetries: 2 }).allGroupsOf(USER)).rejects.toMatchObject({
      code: 'graph_throttled',
      retryAfterSeconds: 0,
    });
    expect(server.requests).toHaveLength(3);
  });

  it('retries 5xx with back-off, then reports graph_unavailable', async () => {
    scripted = [{ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'later' } } }];
    await expect(directory().allGroupsOf(USER)).resolves.toEqual([G1, G3]);
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    const failing: Reply = { status: 500, body: { error: { code: 'InternalServerError', message: 'boom' } } };
    scripted = [failing, failing];
    await expect(directory({ maxRetries: 1 }).allGroupsOf(USER)).rejects.toMatchObject({
      code: 'graph_unavailable',
      details: { upstreamStatus: 500 },
    });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry 401 and 403, and names them', async () => {
    scripted = [
      { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired.' } } },
    ];
    await expect(directory().allGroupsOf(USER)).rejects.toMatchObject({
      code: 'graph_unauthorized',
      diagnostic: expect.stringContaining('InvalidAuthenticationToken'),
    });
    scripted = [
      {
        status: 403,
        body: {
          error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
        },
      },
    ];
    await expect(directory().allGroupsOf(USER)).rejects.toMatchObject({ code: 'graph_forbidden' });
    expect(server.requests).toHaveLength(2);
  });

  it('reports answers it does not understand as graph_bad_response', async () => {
    scripted = [{ body: { value: [1, 2] } }];
    await expect(directory().allGroupsOf(USER)).rejects.toMatchObject({ code: 'graph_bad_response' });
    scripted = [{ status: 400, body: { error: { code: 'Request_BadRequest', message: 'bad' } } }];
    await expect(directory().allGroupsOf(USER)).rejects.toMatchObject({
      code: 'graph_bad_response',
      details: { upstreamStatus: 400 },
    });
  });

  it('reports a failing credential as credential_failed without calling Graph', async () => {
    credential.failure = new Error('ManagedIdentityCredential: no managed identity endpoint');
    await expect(directory().allGroupsOf(USER)).rejects.toMatchObject({ code: 'credential_failed', status: 503 });
    expect(server.requests).toHaveLength(0);
  });

  it('lists a group’s transitive users page by page, with the fields notifications need', async () => {
    const next = `${server.url}/v1.0/groups/${G1}/transitiveMembers/microsoft.graph.user?$select=id,displayName,mail,userPrincipalName&$skiptoken=X1`;
    scripted = [
      {
        body: {
          value: [
            {
              '@odata.type': '#microsoft.graph.user',
              id: USER,
              displayName: 'Bob',
              mail: 'bob@contoso.com',
              userPrincipalName: 'bob@contoso.com',
            },
          ],
          '@odata.nextLink': next,
        },
      },
      {
        body: {
          value: [
            {
              id: '44444444-4444-4444-8444-444444444444',
              displayName: 'Carol',
              mail: null,
              userPrincipalName: 'carol@contoso.com',
            },
          ],
        },
      },
    ];
    await expect(directory().usersInGroup(G1)).resolves.toEqual([
      { id: USER, displayName: 'Bob', mail: 'bob@contoso.com', userPrincipalName: 'bob@contoso.com' },
      { id: '44444444-4444-4444-8444-444444444444', displayName: 'Carol', userPrincipalName: 'carol@contoso.com' },
    ]);
    expect(server.requests.map((r) => [r.method, decodeURIComponent(r.path)])).toEqual([
      [
        'GET',
        `/v1.0/groups/${G1}/transitiveMembers/microsoft.graph.user?$select=id,displayName,mail,userPrincipalName`,
      ],
      [
        'GET',
        `/v1.0/groups/${G1}/transitiveMembers/microsoft.graph.user?$select=id,displayName,mail,userPrincipalName&$skiptoken=X1`,
      ],
    ]);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer app-token');
  });

  it('finds a user, and answers nothing for a user or group Graph does not know', async () => {
    scripted = [{ body: { id: USER, displayName: 'Bob', userPrincipalName: 'bob@contoso.com' } }];
    await expect(directory().findUser(USER)).resolves.toEqual({
      id: USER,
      displayName: 'Bob',
      userPrincipalName: 'bob@contoso.com',
    });
    expect(decodeURIComponent(server.requests[0]!.path)).toBe(
      `/v1.0/users/${USER}?$select=id,displayName,mail,userPrincipalName`,
    );
    const unknown: Reply = {
      status: 404,
      body: { error: { code: 'Request_ResourceNotFound', message: 'no such object' } },
    };
    scripted = [unknown, unknown];
    await expect(directory().findUser(USER)).resolves.toBeUndefined();
    await expect(directory().usersInGroup(G2)).resolves.toEqual([]);
    scripted = [{ body: { value: 'not a list' } }];
    await expect(directory().usersInGroup(G2)).rejects.toMatchObject({ code: 'graph_bad_response' });
  });

  it('remembers a user profile for the TTL (one GET for repeated and concurrent lookups), and forgets unknown users and failures', async () => {
    let now = 1_000_000;
    const profile = { body: { id: USER, displayName: 'Bob', mail: 'bob@contoso.com' } };
    const unknown: Reply = { status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'none' } } };
    const cached = directory({ userCacheTtlMs: 60_000, now: () => now });
    scripted = [profile, profile];
    const [first, second] = await Promise.all([cached.findUser(USER), cached.findUser(USER.toUpperCase())]);
    expect(second).toEqual(first);
    await expect(cached.findUser(USER)).resolves.toEqual({ id: USER, displayName: 'Bob', mail: 'bob@contoso.com' });
    expect(server.requests).toHaveLength(1);
    now += 60_001;
    await cached.findUser(USER);
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    scripted = [unknown, profile];
    await expect(cached.findUser('someone-new')).resolves.toBeUndefined();
    await expect(cached.findUser('someone-new')).resolves.toBeDefined();
    scripted = [{ status: 400, body: { error: { code: 'BadRequest', message: 'no' } } }, profile];
    await expect(cached.findUser('flaky')).rejects.toMatchObject({ code: 'graph_bad_response' });
    await expect(cached.findUser('flaky')).resolves.toBeDefined();
    expect(server.requests).toHaveLength(4);
  });

  it('keeps at most userCacheMaxEntries profiles, and remembers none with TTL 0', async () => {
    const profile = (id: string): Reply => ({ body: { id, displayName: id } });
    const small = directory({ userCacheMaxEntries: 2 });
    scripted = ['u1', 'u2', 'u3', 'u1'].map(profile);
    for (const id of ['u1', 'u2', 'u3', 'u3', 'u2', 'u1']) await small.findUser(id);
    expect(server.requests.map((request) => request.path.split('?')[0])).toEqual(
      ['u1', 'u2', 'u3', 'u1'].map((id) => `/v1.0/users/${id}`),
    );
    server.requests.length = 0;
    const uncached = directory({ userCacheTtlMs: 0 });
    scripted = [profile('u1'), profile('u1')];
    await uncached.findUser('u1');
    await uncached.findUser('u1');
    expect(server.requests).toHaveLength(2);
  });

  it('asks Graph every time for memberships and groups: what authorization reads is never remembered here', async () => {
    const graphDirectory = directory({ userCacheTtlMs: 60_000 });
    await graphDirectory.memberGroupsOf(USER, [G1]);
    await graphDirectory.memberGroupsOf(USER, [G1]);
    await graphDirectory.allGroupsOf(USER);
    await graphDirectory.allGroupsOf(USER);
    expect(server.requests).toHaveLength(4);
  });

  it('reports an unreachable Graph as graph_unavailable', async () => {
    await expect(
      directory({ baseUrl: 'http://127.0.0.1:9', maxRetries: 1, timeoutMs: 1000 }).allGroupsOf(USER),
    ).rejects.toMatchObject({ code: 'graph_unavailable' });
  });
});

describe('CachedDirectory over GraphDirectory', () => {
  it('answers a repeated question from the cache', async () => {
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000 });
    await expect(cached.memberGroupsOf(USER, [G1, G2])).resolves.toEqual([G1]);
    await expect(cached.memberGroupsOf(USER, [G2, G1])).resolves.toEqual([G1]);
    await expect(cached.memberGroupsOf(USER.toUpperCase(), [G1.toUpperCase()])).resolves.toEqual([G1.toUpperCase()]);
    expect(server.requests).toHaveLength(1);
  });

  it('asks only about the candidates it does not remember', async () => {
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000 });
    await cached.memberGroupsOf(USER, [G1, G2]);
    await expect(cached.memberGroupsOf(USER, [G1, G2, G3])).resolves.toEqual([G1, G3]);
    expect(server.requests).toHaveLength(2);
    expect(JSON.parse(server.requests[1]!.body)).toEqual({ groupIds: [G3] });
  });

  it('answers membership questions from a remembered allGroupsOf', async () => {
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000 });
    await expect(cached.allGroupsOf(USER)).resolves.toEqual([G1, G3]);
    await expect(cached.allGroupsOf(USER)).resolves.toEqual([G1, G3]);
    await expect(cached.memberGroupsOf(USER, [G2, G3])).resolves.toEqual([G3]);
    expect(server.requests).toHaveLength(1);
  });

  it('shares one call among concurrent identical questions', async () => {
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000 });
    const answers = await Promise.all([cached.allGroupsOf(USER), cached.allGroupsOf(USER), cached.allGroupsOf(USER)]);
    expect(answers).toEqual([
      [G1, G3],
      [G1, G3],
      [G1, G3],
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it('forgets after the TTL, and does not cache at all with TTL 0', async () => {
    let time = 1_000_000;
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000, now: () => time });
    await cached.memberGroupsOf(USER, [G1]);
    time += 59_999;
    await cached.memberGroupsOf(USER, [G1]);
    expect(server.requests).toHaveLength(1);
    time += 1;
    await cached.memberGroupsOf(USER, [G1]);
    expect(server.requests).toHaveLength(2);

    const uncached = new CachedDirectory(directory(), { ttlMs: 0 });
    await expect(uncached.memberGroupsOf(USER, [G1, G2])).resolves.toEqual([G1]);
    await expect(uncached.memberGroupsOf(USER, [G1, G2])).resolves.toEqual([G1]);
    expect(server.requests).toHaveLength(4);
  });

  it('stays within maxEntries by dropping the oldest answers', async () => {
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000, maxEntries: 2 });
    await cached.memberGroupsOf(USER, [G1, G2, G3]);
    expect(server.requests).toHaveLength(1);
    await cached.memberGroupsOf(USER, [G2, G3]);
    expect(server.requests).toHaveLength(1);
    await cached.memberGroupsOf(USER, [G1]);
    expect(server.requests).toHaveLength(2);
  });

  it('does not remember failures', async () => {
    const cached = new CachedDirectory(directory({ maxRetries: 0 }), { ttlMs: 60_000 });
    scripted = [{ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'later' } } }];
    await expect(cached.allGroupsOf(USER)).rejects.toMatchObject({ code: 'graph_unavailable' });
    await expect(cached.allGroupsOf(USER)).resolves.toEqual([G1, G3]);
  });
});

const APP_ID = '11111111-1111-4111-8111-111111111111';
const SP = '33333333-3333-4333-8333-333333333333';
const CAROL = '44444444-4444-4444-8444-444444444444';
const ROLE = {
  requester: 'r0000000-0000-4000-8000-000000000001',
  approver: 'r0000000-0000-4000-8000-000000000002',
  disabled: 'r0000000-0000-4000-8000-000000000003',
};
/** USER holds Requester directly and Approver through G1; carol (unknown to checkMemberGroups) only the default access and a disabled role. */
const assignments = [
  { principalId: USER, principalType: 'User', appRoleId: ROLE.requester },
  { principalId: CAROL, principalType: 'User', appRoleId: '00000000-0000-0000-0000-000000000000' },
  { principalId: G1, principalType: 'Group', appRoleId: ROLE.approver },
  { principalId: CAROL, principalType: 'User', appRoleId: ROLE.disabled },
];

/** The API app's service principal and its role assignments (two per page), as Graph answers them. */
function servicePrincipals(request: SeenRequest): Reply | undefined {
  const url = new URL(request.path, 'http://graph');
  if (request.method === 'GET' && url.pathname === `/v1.0/servicePrincipals(appId='${APP_ID}')`) {
    const appRoles = [
      { id: ROLE.requester, value: 'MAA.Requester', isEnabled: true },
      { id: ROLE.approver.toUpperCase(), value: 'MAA.Approver', isEnabled: true },
      { id: ROLE.disabled, value: 'MAA.Operator', isEnabled: false },
    ];
    return { body: { id: SP, appRoles } };
  }
  if (request.method !== 'GET' || url.pathname !== `/v1.0/servicePrincipals/${SP}/appRoleAssignedTo`) return undefined;
  const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
  const nextLink =
    skip + 2 < assignments.length
      ? { '@odata.nextLink': `${server.url}/v1.0/servicePrincipals/${SP}/appRoleAssignedTo?$skiptoken=${skip + 2}` }
      : {};
  return { body: { value: assignments.slice(skip, skip + 2), ...nextLink } };
}

describe('GraphDirectory.appRolesOf', () => {
  const roles = (options: Partial<GraphDirectoryOptions> = {}) =>
    directory({ apiAppId: APP_ID, maxRetries: 0, ...options });
  const paths = () =>
    server.requests.map((request) => `${request.method} ${new URL(request.path, 'http://graph').pathname}`);

  it('reads the roles assigned to the user and to the groups they are in, by value, across pages', async () => {
    await expect(roles().appRolesOf(USER)).resolves.toEqual(['MAA.Approver', 'MAA.Requester']);
    expect(paths()).toEqual([
      `GET /v1.0/servicePrincipals(appId='${APP_ID}')`,
      `GET /v1.0/servicePrincipals/${SP}/appRoleAssignedTo`,
      `GET /v1.0/servicePrincipals/${SP}/appRoleAssignedTo`,
      `POST /v1.0/users/${USER}/checkMemberGroups`,
    ]);
    expect(JSON.parse(server.requests[3]!.body)).toEqual({ groupIds: [G1] });
  });

  it('grants nothing for the default access assignment, a disabled role, or a user Graph does not know', async () => {
    await expect(roles().appRolesOf(CAROL)).resolves.toEqual([]);
    await expect(roles().appRolesOf('99999999-0000-4000-8000-000000000000')).resolves.toEqual([]);
  });

  it('remembers the service principal, and fails closed when the API app is not configured or not found', async () => {
    const graph = roles();
    await graph.appRolesOf(USER);
    await graph.appRolesOf(USER);
    expect(paths().filter((path) => path.includes('(appId='))).toHaveLength(1);
    await expect(directory({ maxRetries: 0 }).appRolesOf(USER)).rejects.toMatchObject({ code: 'graph_bad_response' });
    await expect(roles({ apiAppId: '55555555-5555-4555-8555-555555555555' }).appRolesOf(USER)).rejects.toMatchObject({
      code: 'graph_bad_response',
    });
  });

  it('reports Graph refusing the app (no Application.Read.All) as graph_forbidden', async () => {
    scripted = [
      {
        status: 403,
        body: {
          error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
        },
      },
    ];
    await expect(roles().appRolesOf(USER)).rejects.toMatchObject({ code: 'graph_forbidden' });
  });

  it('is cached per user by CachedDirectory, and not at all with TTL 0', async () => {
    const cached = new CachedDirectory(roles(), { ttlMs: 60_000 });
    await cached.appRolesOf(USER);
    const calls = server.requests.length;
    await expect(cached.appRolesOf(USER.toUpperCase())).resolves.toEqual(['MAA.Approver', 'MAA.Requester']);
    expect(server.requests).toHaveLength(calls);
    const uncached = new CachedDirectory(roles(), { ttlMs: 0 });
    await uncached.appRolesOf(USER);
    const before = server.requests.length;
    await uncached.appRolesOf(USER);
    expect(server.requests.length).toBeGreaterThan(before);
  });
});

describe('GraphDirectory.approverCandidates', () => {
  const graphDirectory = () => directory({ apiAppId: APP_ID, maxRetries: 0 });
  const paths = () =>
    server.requests.map((request) => `${request.method} ${new URL(request.path, 'http://graph').pathname}`);
  const members = (...users: { id: string; displayName: string }[]): Reply => ({ body: { value: users } });

  it('lists the transitive members of the groups once each, with their roles, reading the assignments once', async () => {
    scripted = [
      members({ id: USER, displayName: 'Uma' }, { id: CAROL, displayName: 'Carol' }),
      members({ id: USER.toUpperCase(), displayName: 'Uma' }),
    ];

    await expect(graphDirectory().approverCandidates([G1, G2])).resolves.toEqual([
      { id: USER, displayName: 'Uma', roles: ['MAA.Approver', 'MAA.Requester'] },
      { id: CAROL, displayName: 'Carol', roles: [] },
    ]);
    expect(paths().filter((path) => path.endsWith('/appRoleAssignedTo'))).toHaveLength(2); // two pages, once
    expect(paths().slice(0, 2)).toEqual([
      `GET /v1.0/groups/${G1}/transitiveMembers/microsoft.graph.user`,
      `GET /v1.0/groups/${G2}/transitiveMembers/microsoft.graph.user`,
    ]);
  });

  it('asks nothing about roles for groups without members, and is cached by CachedDirectory', async () => {
    scripted = [members()];
    await expect(graphDirectory().approverCandidates([G2])).resolves.toEqual([]);
    expect(paths()).toHaveLength(1);

    const cached = new CachedDirectory(graphDirectory(), { ttlMs: 60_000 });
    scripted = [members({ id: USER, displayName: 'Uma' })];
    await cached.approverCandidates([G1]);
    const calls = server.requests.length;
    await expect(cached.approverCandidates([G1.toUpperCase()])).resolves.toEqual([
      { id: USER, displayName: 'Uma', roles: ['MAA.Approver', 'MAA.Requester'] },
    ]);
    expect(server.requests).toHaveLength(calls);
  });
});
