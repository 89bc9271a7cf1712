/**
 * The local identity provider (local/identity) through the real runtime, checked with the app's
 * own shared/identity code: user tokens validate against the runtime's JWKS, the shared Graph
 * adapter reads the seeded directory with the client-credentials credential, keys survive a
 * restart, and token lifetimes follow the runtime's manual clock.
 */
jest.mock('jose', () =>
  jest.requireActual<typeof import('../unit/identity/nativeJose')>('../unit/identity/nativeJose').loadJose(),
);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClientSecretPostCredential } from '../../shared/identity/clientSecretCredential';
import { GraphDirectory } from '../../shared/identity/graphDirectory';
import { TokenValidator } from '../../shared/identity/tokenValidator';
import { startRuntime, type RunningRuntime } from '../support/runtime';

jest.setTimeout(60_000);

/** The documented fixed ids of the seeded directory. */
const TENANT = 'c0ffee00-0000-4000-8000-000000000000';
const IDS = {
  alice: 'a11ce000-0000-4000-8000-000000000001',
  bob: 'b0b00000-0000-4000-8000-000000000002',
  carol: 'ca401000-0000-4000-8000-000000000003',
  dave: 'dabe0000-0000-4000-8000-000000000004',
  olga: '0f9a0000-0000-4000-8000-000000000005',
  approvers: 'a9900000-0000-4000-8000-000000000101',
};
const DEV_CLIENT = { clientId: 'deb0a990-0000-4000-8000-000000000201', clientSecret: 'local-development-secret' };
const AUDIENCE = 'api://multi-admin-approval';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const postJson = (url: string, body: unknown) =>
  request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function mint(base: string, user: string): Promise<string> {
  const reply = await postJson(`${base}/_local/token`, { user });
  expect(reply.status).toBe(200);
  return reply.body.access_token as string;
}

/** The app's validator pointed at a runtime, as the runtime configures the app. */
function validatorFor(base: string, options: { now?: () => Date; jwksCooldownMs?: number } = {}): TokenValidator {
  return new TokenValidator({
    issuer: `${base}/_local/entra/${TENANT}/v2.0`,
    audiences: [AUDIENCE],
    jwksUrl: `${base}/_local/entra/${TENANT}/discovery/v2.0/keys`,
    ...options,
  });
}

function graphFor(base: string): GraphDirectory {
  const credential = new ClientSecretPostCredential({
    tokenUrl: `${base}/_local/entra/${TENANT}/oauth2/v2.0/token`,
    ...DEV_CLIENT,
  });
  return new GraphDirectory({ baseUrl: `${base}/_local/graph`, credential });
}

describe('local identity (real clock)', () => {
  let dataDir: string;
  let rt: RunningRuntime;
  let base: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'maa-identity-it-'));
    rt = await startRuntime({ dataDir });
    base = rt.url;
  });

  afterAll(async () => {
    await rt?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the local identity routes in the banner', () => {
    expect(rt.output()).toContain(`local:     ${base}/_local/token`);
    expect(rt.output()).toContain(`local:     ${base}/_local/graph/v1.0/*`);
  });

  it('serves the seeded directory with fixed GUIDs', async () => {
    const reply = await request(`${base}/_local/directory`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      users: [
        { id: IDS.alice, name: 'alice', roles: ['MAA.Requester', 'MAA.PolicyAdmin'] },
        { id: IDS.bob, name: 'bob', roles: ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin'] },
        { id: IDS.carol, name: 'carol', roles: ['MAA.Approver'] },
        { id: IDS.dave, name: 'dave', roles: [] },
        { id: IDS.olga, name: 'olga', roles: ['MAA.Operator'] },
      ],
      groups: [
        { id: IDS.approvers, displayName: 'maa-approvers', members: [IDS.bob, IDS.carol] },
        // The groups the local Intune tenant assigns to: no members, so no approvers.
        { id: 'a9900000-0000-4000-8000-000000000102', displayName: 'Sales devices', members: [] },
        { id: 'a9900000-0000-4000-8000-000000000103', displayName: 'Kiosks', members: [] },
        { id: 'a9900000-0000-4000-8000-000000000104', displayName: 'Pilot users', members: [] },
      ],
    });
    for (const id of Object.values(IDS)) expect(id).toMatch(GUID);
  });

  it('publishes an OpenID configuration and an RS256 key set', async () => {
    const config = await request(`${base}/_local/entra/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(config.body).toMatchObject({
      issuer: `${base}/_local/entra/${TENANT}/v2.0`,
      jwks_uri: `${base}/_local/entra/${TENANT}/discovery/v2.0/keys`,
      token_endpoint: `${base}/_local/entra/${TENANT}/oauth2/v2.0/token`,
    });
    const jwks = await request(config.body.jwks_uri as string);
    expect(jwks.body.keys).toEqual([
      expect.objectContaining({
        kty: 'RSA',
        use: 'sig',
        alg: 'RS256',
        kid: expect.any(String),
        n: expect.any(String),
        e: 'AQAB',
      }),
    ]);
  });

  it('mints tokens the app’s validator accepts, with the users’ roles', async () => {
    const reply = await postJson(`${base}/_local/token`, { user: 'alice' });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const validator = validatorFor(base);
    await expect(validator.authenticate(`Bearer ${reply.body.access_token as string}`)).resolves.toEqual({
      id: IDS.alice,
      displayName: 'Alice',
      tenantId: TENANT,
      roles: ['MAA.Requester', 'MAA.PolicyAdmin'],
    });
    await expect(validator.validate(await mint(base, 'bob'))).resolves.toEqual({
      id: IDS.bob,
      displayName: 'Bob',
      tenantId: TENANT,
      roles: ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin'],
    });
    await expect(validator.validate(await mint(base, 'dave'))).resolves.toMatchObject({ id: IDS.dave, roles: [] });
    await expect(validator.validate(await mint(base, 'olga'))).resolves.toMatchObject({ roles: ['MAA.Operator'] });
  });

  it('carries the Entra v2 claims, with a one-hour lifetime', async () => {
    const claims = JSON.parse(
      Buffer.from((await mint(base, 'carol')).split('.')[1]!, 'base64url').toString('utf8'),
    ) as Record<string, number | string>;
    expect(claims).toMatchObject({
      oid: IDS.carol,
      tid: TENANT,
      name: 'Carol',
      preferred_username: 'carol@maa.test',
      roles: ['MAA.Approver'],
      ver: '2.0',
      aud: AUDIENCE,
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    expect(claims.nbf).toBe(claims.iat);
    expect(Math.abs(Number(claims.iat) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('answers problem+json for unknown users and bad bodies', async () => {
    const unknown = await postJson(`${base}/_local/token`, { user: 'mallory' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(unknown.body).toMatchObject({ status: 404, code: 'unknown_user' });
    const bad = await request(`${base}/_local/token`, { method: 'POST', body: 'alice' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_json' });
  });

  it('answers group membership through the app’s Graph adapter and client-credentials credential', async () => {
    const graph = graphFor(base);
    await expect(graph.memberGroupsOf(IDS.bob, [IDS.approvers])).resolves.toEqual([IDS.approvers]);
    await expect(graph.memberGroupsOf(IDS.alice, [IDS.approvers])).resolves.toEqual([]);
    await expect(graph.allGroupsOf(IDS.carol)).resolves.toEqual([IDS.approvers]);
    await expect(graph.allGroupsOf(IDS.dave)).resolves.toEqual([]);
    await expect(graph.memberGroupsOf('99999999-0000-4000-8000-000000000000', [IDS.approvers])).resolves.toEqual([]);
  });

  it('serves users and group members, Graph-style', async () => {
    const token = (
      await new ClientSecretPostCredential({
        tokenUrl: `${base}/_local/entra/${TENANT}/oauth2/v2.0/token`,
        ...DEV_CLIENT,
      }).getToken(`${base}/.default`)
    ).token;
    const auth = { authorization: `Bearer ${token}` };
    expect((await request(`${base}/_local/graph/v1.0/users/${IDS.alice}`, { headers: auth })).body).toEqual({
      id: IDS.alice,
      displayName: 'Alice',
      userPrincipalName: 'alice@maa.test',
      mail: 'alice@maa.test',
    });
    const members = await request(`${base}/_local/graph/v1.0/groups/${IDS.approvers}/members`, { headers: auth });
    expect((members.body.value as { id: string }[]).map((member) => member.id)).toEqual([IDS.bob, IDS.carol]);
    const missing = await request(`${base}/_local/graph/v1.0/groups/99999999-0000-4000-8000-000000000000/members`, {
      headers: auth,
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'Request_ResourceNotFound' } });
  });

  it('refuses Graph calls without an app token from the local token endpoint', async () => {
    const url = `${base}/_local/graph/v1.0/users/${IDS.bob}/checkMemberGroups`;
    const body = JSON.stringify({ groupIds: [IDS.approvers] });
    const none = await request(url, { method: 'POST', body });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken', message: expect.any(String) } });
    const userToken = await request(url, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${await mint(base, 'bob')}` },
    });
    expect(userToken.status).toBe(401);
    const garbage = await request(url, { method: 'POST', body, headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(garbage.status).toBe(401);
  });

  it('rotates keys: old tokens stay valid, new tokens use the new key', async () => {
    const before = await mint(base, 'alice');
    const validator = validatorFor(base, { jwksCooldownMs: 0 });
    await validator.validate(before);
    const rotated = await postJson(`${base}/_local/identity/rotate-keys`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.keys).toHaveLength(2);
    const after = await mint(base, 'alice');
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString('utf8'))).toMatchObject({
      kid: rotated.body.kid,
    });
    await expect(validator.validate(after)).resolves.toMatchObject({ id: IDS.alice });
    await expect(validator.validate(before)).resolves.toMatchObject({ id: IDS.alice });
  });

  it('keeps tokens valid across a restart on the same data directory and port', async () => {
    const token = await mint(base, 'bob');
    const port = new URL(base).port;
    await rt.stop();
    rt = await startRuntime({ dataDir, env: { PORT: port } });
    expect(rt.url).toBe(base);
    await expect(validatorFor(rt.url).validate(token)).resolves.toMatchObject({
      id: IDS.bob,
      roles: ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin'],
    });
  });
});

describe('local identity (manual clock)', () => {
  let rt: RunningRuntime;
  let base: string;

  beforeAll(async () => {
    rt = await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } });
    base = rt.url;
  });

  afterAll(async () => {
    await rt?.dispose();
  });

  /** The runtime's own now (its process Date follows the manual clock; this test process's does not). */
  async function runtimeNow(): Promise<Date> {
    return new Date((await request(`${base}/_local/clock`)).body.now as string);
  }

  it('lets a token expire when the runtime clock moves two hours on', async () => {
    const userToken = await mint(base, 'alice');
    const tokenUrl = `${base}/_local/entra/${TENANT}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: DEV_CLIENT.clientId,
      client_secret: DEV_CLIENT.clientSecret,
      scope: `${base}/.default`,
    });
    const appToken = (await request(tokenUrl, { method: 'POST', body: form })).body.access_token as string;
    const checkBob = (token: string) =>
      request(`${base}/_local/graph/v1.0/users/${IDS.bob}/checkMemberGroups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ groupIds: [IDS.approvers] }),
      });

    let now = await runtimeNow();
    const validator = validatorFor(base, { now: () => now });
    await expect(validator.validate(userToken)).resolves.toMatchObject({ id: IDS.alice });
    expect((await checkBob(appToken)).status).toBe(200);

    const advanced = await postJson(`${base}/_local/clock`, { advance: 'PT2H' });
    expect(advanced.status).toBe(200);
    now = await runtimeNow();
    expect(now.getTime() - Date.now()).toBeGreaterThan(7_100_000);

    await expect(validator.validate(userToken)).rejects.toMatchObject({ code: 'expired_token', status: 401 });
    const expiredAppToken = await checkBob(appToken);
    expect(expiredAppToken.status).toBe(401);
    expect(expiredAppToken.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });

    const fresh = await mint(base, 'alice');
    const claims = JSON.parse(Buffer.from(fresh.split('.')[1]!, 'base64url').toString('utf8')) as {
      iat: number;
      exp: number;
    };
    expect(Math.abs(claims.iat - now.getTime() / 1000)).toBeLessThan(60);
    expect(claims.exp - claims.iat).toBe(3600);
    await expect(validator.validate(fresh)).resolves.toMatchObject({ id: IDS.alice });
  });
});
