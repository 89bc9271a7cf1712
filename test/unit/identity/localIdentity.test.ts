import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeyRing } from '../../../local/identity/keyRing';
import { LocalIdentity } from '../../../local/identity/localIdentity';
import { LOCAL_API_APP, LOCAL_GRAPH_CLIENT, LOCAL_TENANT_ID } from '../../../local/identity/seed';
import { LocalMailbox } from '../../../local/mailbox';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'maa-identity-'));
});

afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('KeyRing', () => {
  it('creates a key on first use, persists it (0600) and loads the same key again', () => {
    const first = new KeyRing(dataDir);
    const file = path.join(dataDir, 'local-identity', 'signing-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = first.sign({ hello: 'world' });
    const second = new KeyRing(dataDir);
    expect(second.currentKid).toBe(first.currentKid);
    expect(second.verify(token)).toEqual({ hello: 'world' });
  });

  it('rotates to a new signing key and keeps the previous one published, and only that one', () => {
    const ring = new KeyRing(dataDir);
    const old = ring.currentKid;
    const before = ring.sign({ n: 1 });
    const next = ring.rotate();
    expect(next).not.toBe(old);
    expect(ring.jwks().keys.map((key) => key.kid)).toEqual([next, old]);
    expect(ring.verify(before)).toEqual({ n: 1 });
    expect(JSON.parse(Buffer.from(ring.sign({}).split('.')[0]!, 'base64url').toString('utf8'))).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: next,
    });
    ring.rotate();
    expect(ring.verify(before)).toBeUndefined();
    expect(new KeyRing(dataDir).jwks().keys).toHaveLength(2);
  });

  it('publishes RSA signature keys without private members', () => {
    const [key] = new KeyRing(dataDir).jwks().keys;
    expect(Object.keys(key!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
  });

  it('refuses forged and malformed tokens', () => {
    const ring = new KeyRing(dataDir);
    const [header, , signature] = ring.sign({ roles: [] }).split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ roles: ['GroupMember.Read.All'] })).toString('base64url');
    expect(ring.verify(`${header}.${forgedPayload}.${signature}`)).toBeUndefined();
    expect(ring.verify('a.b')).toBeUndefined();
    expect(ring.verify('!!.??.**')).toBeUndefined();
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${forgedPayload}.`;
    expect(ring.verify(none)).toBeUndefined();
  });

  it('names the file when it cannot read it', () => {
    new KeyRing(dataDir);
    const file = path.join(dataDir, 'local-identity', 'signing-keys.json');
    writeFileSync(file, '{ not json');
    expect(() => new KeyRing(dataDir)).toThrow(/signing-keys\.json.*delete the file/);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
  });
});

describe('LocalIdentity', () => {
  const origin = 'http://127.0.0.1:7071';
  let time = Date.UTC(2030, 0, 1);
  const identity = () =>
    new LocalIdentity({
      dataDir,
      now: () => time,
      origin: () => origin,
      mailbox: new LocalMailbox(dataDir, () => time),
      mailSender: () => undefined,
    });
  const request = (method: string, headers: Record<string, string> = {}) =>
    ({ method, headers }) as unknown as IncomingMessage;
  const call = (id: LocalIdentity, route: string, method: string, body = '', headers: Record<string, string> = {}) => {
    const handler = id.routes().get(route)!;
    const response = handler(request(method, headers), new URL(route, origin), Buffer.from(body));
    const answered = Object.fromEntries(response.headers);
    const text = response.body.toString('utf8');
    return {
      status: response.status,
      headers: answered,
      body: (answered['content-type']?.includes('json') ? JSON.parse(text) : { text }) as Record<string, unknown>,
    };
  };

  it('points the app at itself, one settings group at a time, never over existing settings', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(identity().applyAppSettings(env)).toHaveLength(8);
    expect(env).toEqual({
      MAA_AUTH_ISSUER: `${origin}/_local/entra/${LOCAL_TENANT_ID}/v2.0`,
      MAA_AUTH_AUDIENCE: 'api://multi-admin-approval',
      MAA_AUTH_JWKS_URL: `${origin}/_local/entra/${LOCAL_TENANT_ID}/discovery/v2.0/keys`,
      MAA_GRAPH_BASE_URL: `${origin}/_local/graph`,
      MAA_GRAPH_TOKEN_URL: `${origin}/_local/entra/${LOCAL_TENANT_ID}/oauth2/v2.0/token`,
      MAA_GRAPH_CLIENT_ID: LOCAL_GRAPH_CLIENT.clientId,
      MAA_GRAPH_CLIENT_SECRET: LOCAL_GRAPH_CLIENT.clientSecret,
      MAA_API_APP_ID: LOCAL_API_APP.appId,
    });

    const realTenant: NodeJS.ProcessEnv = { MAA_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47' };
    expect(identity().applyAppSettings(realTenant)).toEqual([
      'MAA_GRAPH_BASE_URL',
      'MAA_GRAPH_TOKEN_URL',
      'MAA_GRAPH_CLIENT_ID',
      'MAA_GRAPH_CLIENT_SECRET',
      'MAA_API_APP_ID',
    ]);
    expect(realTenant.MAA_AUTH_ISSUER).toBeUndefined();

    const realGraph: NodeJS.ProcessEnv = { MAA_GRAPH_BASE_URL: 'https://graph.microsoft.com' };
    expect(identity().applyAppSettings(realGraph)).toEqual([
      'MAA_AUTH_ISSUER',
      'MAA_AUTH_AUDIENCE',
      'MAA_AUTH_JWKS_URL',
    ]);
    expect(realGraph.MAA_GRAPH_TOKEN_URL).toBeUndefined();
  });

  it('mints user tokens with times from the runtime clock', () => {
    time = Date.UTC(2030, 0, 1);
    const reply = call(identity(), '/_local/token', 'POST', '{"user":"olga"}');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const claims = claimsOf(reply.body.access_token as string);
    const seconds = time / 1000;
    expect(claims).toMatchObject({
      iat: seconds,
      nbf: seconds,
      exp: seconds + 3600,
      roles: ['MAA.Operator'],
      tid: LOCAL_TENANT_ID,
      ver: '2.0',
    });
    expect(
      claimsOf(call(identity(), '/_local/token', 'POST', '{"user":"dave"}').body.access_token as string),
    ).not.toHaveProperty('roles');
  });

  it('answers problems for bad token requests', () => {
    expect(call(identity(), '/_local/token', 'POST', '{"user":"zed"}')).toMatchObject({
      status: 404,
      headers: { 'x-error-code': 'unknown_user' },
      body: { code: 'unknown_user' },
    });
    expect(call(identity(), '/_local/token', 'POST', 'user=alice')).toMatchObject({
      status: 400,
      body: { code: 'invalid_json' },
    });
    expect(call(identity(), '/_local/token', 'POST', '{}')).toMatchObject({
      status: 400,
      body: { code: 'invalid_request' },
    });
    expect(call(identity(), '/_local/token', 'GET').status).toBe(405);
  });

  it('issues Graph app tokens only for the dev client, its secret and a Graph scope', () => {
    const route = `/_local/entra/${LOCAL_TENANT_ID}/oauth2/v2.0/token`;
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const good = {
      grant_type: 'client_credentials',
      client_id: LOCAL_GRAPH_CLIENT.clientId,
      client_secret: LOCAL_GRAPH_CLIENT.clientSecret,
      scope: `${origin}/.default`,
    };
    const reply = call(identity(), route, 'POST', form(good));
    expect(reply).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 3600 } });
    expect(claimsOf(reply.body.access_token as string)).toMatchObject({
      aud: origin,
      idtyp: 'app',
      oid: LOCAL_GRAPH_CLIENT.servicePrincipalId,
      roles: [
        'GroupMember.Read.All',
        'Application.Read.All',
        'User.ReadBasic.All',
        'Mail.Send',
        'DeviceManagementManagedDevices.ReadWrite.All',
        'DeviceManagementManagedDevices.PrivilegedOperations.All',
        'DeviceManagementApps.ReadWrite.All',
        'DeviceManagementScripts.ReadWrite.All',
        'DeviceManagementConfiguration.ReadWrite.All',
        'DeviceManagementRBAC.ReadWrite.All',
      ],
    });

    const basic = `Basic ${Buffer.from(`${LOCAL_GRAPH_CLIENT.clientId}:${LOCAL_GRAPH_CLIENT.clientSecret}`).toString('base64')}`;
    expect(
      call(
        identity(),
        route,
        'POST',
        form({ grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }),
        { authorization: basic },
      ).status,
    ).toBe(200);
    expect(call(identity(), route, 'POST', form({ ...good, client_secret: 'wrong' }))).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(call(identity(), route, 'POST', form({ ...good, client_id: 'someone' }))).toMatchObject({
      status: 400,
      body: { error: 'unauthorized_client' },
    });
    expect(call(identity(), route, 'POST', form({ ...good, grant_type: 'password' }))).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
    expect(
      call(identity(), route, 'POST', form({ ...good, scope: 'api://multi-admin-approval/.default' })),
    ).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });
});
