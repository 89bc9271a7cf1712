import type { AccessToken, TokenCredential } from '@azure/identity';
import { CachedDirectory } from '../../../shared/identity/directory';
import { GraphDirectory } from '../../../shared/identity/graphDirectory';
import { startTestServer, type Reply, type SeenRequest, type TestServer } from './testServer';

const APP_ID = '11111111-1111-4111-8111-111111111111';
const SP = '33333333-3333-4333-8333-333333333333';
const ALICE = '22222222-2222-4222-8222-222222222222';
const CAROL = '44444444-4444-4444-8444-444444444444';
const ADMINS = 'aaaaaaaa-0000-4000-8000-000000000001';
const ROLE = { requester: 'r0000000-0000-4000-8000-000000000001', approver: 'r0000000-0000-4000-8000-000000000002', disabled: 'r0000000-0000-4000-8000-000000000003' };
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';

/** Alice holds Requester directly and Approver through ADMINS; carol holds only the default access; nobody holds the disabled role's value. */
const assignments = [
  { principalId: ALICE, principalType: 'User', appRoleId: ROLE.requester },
  { principalId: CAROL, principalType: 'User', appRoleId: DEFAULT_ACCESS },
  { principalId: ADMINS, principalType: 'Group', appRoleId: ROLE.approver },
  { principalId: CAROL, principalType: 'User', appRoleId: ROLE.disabled },
];
const memberships = new Map<string, string[]>([[ALICE, [ADMINS]], [CAROL, []]]);

let scripted: Reply[];
let server: TestServer;

function graph(request: SeenRequest): Reply {
  const next = scripted.shift();
  if (next) return next;
  const url = new URL(request.path, 'http://graph');
  if (request.method === 'GET' && url.pathname === `/v1.0/servicePrincipals(appId='${APP_ID}')`) {
    return {
      body: {
        id: SP,
        appRoles: [
          { id: ROLE.requester, value: 'MAA.Requester', isEnabled: true },
          { id: ROLE.approver.toUpperCase(), value: 'MAA.Approver', isEnabled: true },
          { id: ROLE.disabled, value: 'MAA.Operator', isEnabled: false },
        ],
      },
    };
  }
  if (request.method === 'GET' && url.pathname === `/v1.0/servicePrincipals/${SP}/appRoleAssignedTo`) {
    // Two per page, to follow @odata.nextLink.
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const more = skip + 2 < assignments.length;
    return { body: { value: assignments.slice(skip, skip + 2), ...(more ? { '@odata.nextLink': `${server.url}/v1.0/servicePrincipals/${SP}/appRoleAssignedTo?$skiptoken=${skip + 2}` } : {}) } };
  }
  const check = /^\/v1\.0\/users\/([^/]+)\/checkMemberGroups$/.exec(url.pathname);
  if (request.method === 'POST' && check) {
    const groups = memberships.get(decodeURIComponent(check[1]!));
    if (!groups) return { status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'no such user' } } };
    const body = JSON.parse(request.body) as { groupIds: string[] };
    return { body: { value: body.groupIds.filter((id) => groups.includes(id)) } };
  }
  return { status: 400, body: { error: { code: 'BadRequest', message: `unexpected ${request.method} ${request.path}` } } };
}

const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: 'app-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
const directory = (apiAppId: string | null = APP_ID) => new GraphDirectory({ baseUrl: server.url, credential, maxRetries: 0, ...(apiAppId === null ? {} : { apiAppId }) });

beforeAll(async () => {
  server = await startTestServer(graph);
});
afterAll(() => server.close());
beforeEach(() => {
  scripted = [];
  server.requests.length = 0;
});

describe('GraphDirectory.appRolesOf', () => {
  it('reads the roles assigned to the user and to the groups they are in, by value, across pages', async () => {
    await expect(directory().appRolesOf(ALICE)).resolves.toEqual(['MAA.Approver', 'MAA.Requester']);
    expect(server.requests.map((request) => `${request.method} ${new URL(request.path, 'http://graph').pathname}`)).toEqual([
      `GET /v1.0/servicePrincipals(appId='${APP_ID}')`,
      `GET /v1.0/servicePrincipals/${SP}/appRoleAssignedTo`,
      `GET /v1.0/servicePrincipals/${SP}/appRoleAssignedTo`,
      `POST /v1.0/users/${ALICE}/checkMemberGroups`,
    ]);
    expect(JSON.parse(server.requests[3]!.body)).toEqual({ groupIds: [ADMINS] });
  });

  it('grants nothing for the default access assignment, a disabled role, or a user Graph does not know', async () => {
    await expect(directory().appRolesOf(CAROL)).resolves.toEqual([]);
    await expect(directory().appRolesOf('99999999-0000-4000-8000-000000000000')).resolves.toEqual([]);
  });

  it('remembers the service principal, and fails closed when the API app is not configured or not found', async () => {
    const graph = directory();
    await graph.appRolesOf(ALICE);
    await graph.appRolesOf(ALICE);
    expect(server.requests.filter((request) => request.path.includes('(appId='))).toHaveLength(1);
    await expect(directory(null).appRolesOf(ALICE)).rejects.toMatchObject({ code: 'graph_bad_response' });
    await expect(directory('55555555-5555-4555-8555-555555555555').appRolesOf(ALICE)).rejects.toMatchObject({ code: 'graph_bad_response' });
  });

  it('reports Graph refusing the app (no Application.Read.All) as graph_forbidden', async () => {
    scripted = [{ status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } }];
    await expect(directory().appRolesOf(ALICE)).rejects.toMatchObject({ code: 'graph_forbidden' });
  });

  it('is cached per user by CachedDirectory, and not at all with TTL 0', async () => {
    const cached = new CachedDirectory(directory(), { ttlMs: 60_000 });
    await cached.appRolesOf(ALICE);
    const calls = server.requests.length;
    await expect(cached.appRolesOf(ALICE.toUpperCase())).resolves.toEqual(['MAA.Approver', 'MAA.Requester']);
    expect(server.requests).toHaveLength(calls);
    const uncached = new CachedDirectory(directory(), { ttlMs: 0 });
    await uncached.appRolesOf(ALICE);
    const before = server.requests.length;
    await uncached.appRolesOf(ALICE);
    expect(server.requests.length).toBeGreaterThan(before);
  });
});
