import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalIdentity } from '../../../local/identity/localIdentity';
import { LOCAL_API_APP, LOCAL_GRAPH_CLIENT, LOCAL_TENANT_ID } from '../../../local/identity/seed';
import { LocalMailbox } from '../../../local/mailbox';

const origin = 'http://127.0.0.1:7071';
const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const DAVE = 'dabe0000-0000-4000-8000-000000000004';
let dataDir: string;
const time = Date.UTC(2030, 0, 1, 9);

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'maa-graph-roles-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const request = (method: string, headers: Record<string, string> = {}) =>
  ({ method, headers }) as unknown as IncomingMessage;

function setup() {
  const identity = new LocalIdentity({
    dataDir,
    now: () => time,
    origin: () => origin,
    mailbox: new LocalMailbox(dataDir, () => time),
    mailSender: () => undefined,
  });
  const routes = identity.routes();
  const graph = routes.get('/_local/graph/v1.0/*')!;
  const directory = routes.get('/_local/directory/*')!;
  const appToken = (roles: string[] = [...LOCAL_GRAPH_CLIENT.roles]) =>
    identity.keys.sign({
      iss: identity.issuer,
      aud: origin,
      idtyp: 'app',
      roles,
      iat: time / 1000,
      nbf: time / 1000,
      exp: time / 1000 + 3600,
      tid: LOCAL_TENANT_ID,
    });
  const parse = (reply: { status: number; body: Buffer }) => {
    const text = reply.body.toString('utf8');
    return { status: reply.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const call = (route: string, token = appToken()) =>
    parse(
      graph(
        request('GET', { authorization: `Bearer ${token}` }),
        new URL(`/_local/graph/v1.0/${route}`, origin),
        Buffer.alloc(0),
      ),
    );
  const change = (method: string, route: string) =>
    parse(directory(request(method), new URL(`/_local/directory/${route}`, origin), Buffer.alloc(0)));
  /** A user's role values as the local Graph's assignments list them. */
  const rolesOf = (userId: string) => {
    const values = new Map<string, string>(LOCAL_API_APP.appRoles.map((role) => [role.id, role.value]));
    const all = call(`servicePrincipals/${LOCAL_API_APP.servicePrincipalId}/appRoleAssignedTo?$top=999`).body!
      .value as { principalId: string; appRoleId: string }[];
    return all
      .filter((assignment) => assignment.principalId === userId)
      .map((assignment) => values.get(assignment.appRoleId));
  };
  const directory405 = () =>
    directory(request('POST'), new URL('/_local/directory/users/alice/roles/MAA.Approver', origin), Buffer.alloc(0))
      .status;
  return { identity, call, change, appToken, rolesOf, directory405 };
}

describe('the local Graph: the API app’s service principal and its role assignments', () => {
  it('finds the service principal by app id and by object id, with its role definitions', () => {
    const { call } = setup();
    const byAppId = call(`servicePrincipals(appId='${LOCAL_API_APP.appId}')?$select=id,appRoles`);
    expect(byAppId.status).toBe(200);
    expect(byAppId.body).toMatchObject({ id: LOCAL_API_APP.servicePrincipalId, appId: LOCAL_API_APP.appId });
    expect((byAppId.body!.appRoles as { value: string }[]).map((role) => role.value)).toEqual([
      'MAA.Requester',
      'MAA.Approver',
      'MAA.PolicyAdmin',
      'MAA.Operator',
    ]);
    expect(call(`servicePrincipals/${LOCAL_API_APP.servicePrincipalId}`).body).toMatchObject({
      id: LOCAL_API_APP.servicePrincipalId,
    });
    expect(call(`servicePrincipals(appId='55555555-5555-4555-8555-555555555555')`)).toMatchObject({
      status: 404,
      body: { error: { code: 'Request_ResourceNotFound' } },
    });
  });

  it('lists one assignment per user and role held, paged with @odata.nextLink', () => {
    const { call, rolesOf } = setup();
    expect(rolesOf(ALICE)).toEqual(['MAA.Requester', 'MAA.PolicyAdmin']);
    expect(rolesOf(DAVE)).toEqual([]);
    const first = call(`servicePrincipals/${LOCAL_API_APP.servicePrincipalId}/appRoleAssignedTo?$top=2`);
    expect(first.body!.value).toHaveLength(2);
    expect(first.body!.value[0]).toMatchObject({
      principalId: ALICE,
      principalType: 'User',
      resourceId: LOCAL_API_APP.servicePrincipalId,
    });
    const next = new URL(first.body!['@odata.nextLink'] as string);
    expect(call(`${next.pathname.slice('/_local/graph/v1.0/'.length)}${next.search}`).body!.value[0]).toMatchObject({
      principalType: 'User',
    });
  });

  it('refuses an app token without Application.Read.All with 403, as Graph does', () => {
    const { call, appToken } = setup();
    const refused = call(
      `servicePrincipals(appId='${LOCAL_API_APP.appId}')`,
      appToken(['GroupMember.Read.All', 'User.ReadBasic.All']),
    );
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'Authorization_RequestDenied' } } });
    expect(call(`servicePrincipals(appId='${LOCAL_API_APP.appId}')`, appToken(['Directory.Read.All'])).status).toBe(
      200,
    );
  });

  it('changes a user’s roles at run time through /_local/directory, seen by the local Graph, the listing and new tokens', () => {
    const { identity, change, rolesOf, directory405 } = setup();
    expect(change('DELETE', 'users/alice/roles/MAA.Requester')).toEqual({
      status: 200,
      body: { id: ALICE, name: 'alice', roles: ['MAA.PolicyAdmin'] },
    });
    expect(rolesOf(ALICE)).toEqual(['MAA.PolicyAdmin']);
    expect(identity.directory.listing().users.find((user) => user.name === 'alice')!.roles).toEqual([
      'MAA.PolicyAdmin',
    ]);
    const token = identity.routes().get('/_local/token')!(
      request('POST'),
      new URL('/_local/token', origin),
      Buffer.from('{"user":"alice"}'),
    );
    const claims = JSON.parse(
      Buffer.from(
        (JSON.parse(token.body.toString('utf8')) as { access_token: string }).access_token.split('.')[1]!,
        'base64url',
      ).toString('utf8'),
    );
    expect(claims.roles).toEqual(['MAA.PolicyAdmin']);

    expect(change('PUT', 'users/dave@maa.test/roles/MAA.Approver')).toMatchObject({
      status: 200,
      body: { roles: ['MAA.Approver'] },
    });
    expect(rolesOf(DAVE)).toEqual(['MAA.Approver']);
    expect(change('PUT', 'users/dave/roles/MAA.Approver')).toMatchObject({
      status: 200,
      body: { roles: ['MAA.Approver'] },
    });
    expect(change('DELETE', 'users/alice/roles/MAA.Requester')).toMatchObject({
      status: 404,
      body: { code: 'not_assigned' },
    });
    expect(change('PUT', 'users/mallory/roles/MAA.Approver')).toMatchObject({
      status: 404,
      body: { code: 'unknown_user' },
    });
    expect(change('PUT', 'users/alice/roles/MAA.Root')).toMatchObject({ status: 404, body: { code: 'unknown_role' } });
    expect(directory405()).toBe(405);
  });
});
