import { ClientSecretPostCredential } from '../../../shared/identity/clientSecretCredential';
import { startTestServer, type Reply, type TestServer } from './testServer';

let server: TestServer;
let reply: Reply;
/** Runs as the token endpoint receives a request, before it answers. */
let onRequest: () => void = () => {};

beforeAll(async () => {
  server = await startTestServer(() => {
    onRequest();
    return reply;
  });
});

afterAll(() => server.close());

beforeEach(() => {
  onRequest = () => {};
  server.requests.length = 0;
  reply = { body: { token_type: 'Bearer', expires_in: 3599, access_token: 'token-1' } };
});

function credential(): ClientSecretPostCredential {
  return new ClientSecretPostCredential({
    tokenUrl: `${server.url}/tenant/oauth2/v2.0/token`,
    clientId: 'client-1',
    clientSecret: 's3cret&=+',
  });
}

describe('ClientSecretPostCredential', () => {
  it('does the client-credentials grant with a form body', async () => {
    const before = Date.now();
    const token = await credential().getToken('https://graph.example.test/.default');
    expect(token).toMatchObject({ token: 'token-1', tokenType: 'Bearer' });
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(token.refreshAfterTimestamp).toBeLessThanOrEqual(token.expiresOnTimestamp - 300_000);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/tenant/oauth2/v2.0/token' });
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client-1',
      client_secret: 's3cret&=+',
      scope: 'https://graph.example.test/.default',
    });
  });

  it('reuses a token until it is close to expiry, per scope set', async () => {
    const c = credential();
    await Promise.all([c.getToken('a/.default'), c.getToken('a/.default')]);
    await c.getToken(['a/.default']);
    expect(server.requests).toHaveLength(1);
    await c.getToken('b/.default');
    expect(server.requests).toHaveLength(2);
  });

  it('fetches again when the remaining lifetime is short', async () => {
    reply = { body: { token_type: 'Bearer', expires_in: 1, access_token: 'short' } };
    const c = credential();
    await c.getToken('a/.default');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await c.getToken('a/.default');
    expect(server.requests).toHaveLength(2);
  });

  it('counts a token’s lifetime from the request, so an answer that arrives late is not cached past its expiry', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    reply = { body: { token_type: 'Bearer', expires_in: 3600, access_token: 'token-1' } };
    // Two hours pass between the request and the answer (a manual clock jumped, or the host was paused).
    onRequest = () => (now += 2 * 3_600_000);
    const c = new ClientSecretPostCredential({
      tokenUrl: `${server.url}/tenant/oauth2/v2.0/token`,
      clientId: 'client-1',
      clientSecret: 's3cret',
      now: () => now,
    });
    const token = await c.getToken('a/.default');
    expect(token.expiresOnTimestamp).toBe(Date.parse('2030-01-01T01:00:00Z'));
    onRequest = () => {};
    await c.getToken('a/.default');
    expect(server.requests).toHaveLength(2);
  });

  it('reports an OAuth error as credential_failed, never echoing the secret', async () => {
    reply = { status: 401, body: { error: 'invalid_client', error_description: 'Invalid client secret provided.' } };
    const error = (await credential()
      .getToken('a/.default')
      .catch((e: unknown) => e)) as Error & { code: string; diagnostic: string };
    expect(error).toMatchObject({ name: 'IdentityUnavailableError', code: 'credential_failed', status: 503 });
    expect(error.diagnostic).toContain('401 invalid_client: Invalid client secret provided.');
    expect(`${error.message} ${error.diagnostic}`).not.toContain('s3cret');
    expect(error.message).not.toContain(server.url);
  });

  it('reports an unreachable token endpoint as credential_failed', async () => {
    const c = new ClientSecretPostCredential({
      tokenUrl: 'http://127.0.0.1:9/token',
      clientId: 'x',
      clientSecret: 'y',
      timeoutMs: 1000,
    });
    await expect(c.getToken('a/.default')).rejects.toMatchObject({ code: 'credential_failed' });
  });

  it('refuses incomplete options up front', () => {
    expect(() => new ClientSecretPostCredential({ tokenUrl: 'not a url', clientId: 'x', clientSecret: 'y' })).toThrow(
      RangeError,
    );
    expect(
      () => new ClientSecretPostCredential({ tokenUrl: 'http://127.0.0.1/token', clientId: '', clientSecret: 'y' }),
    ).toThrow(RangeError);
  });
});
