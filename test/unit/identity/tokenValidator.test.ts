jest.mock('jose', () => jest.requireActual<typeof import('./nativeJose')>('./nativeJose').loadJose());

import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { bearerToken } from '../../../shared/identity/bearer';
import { TokenValidator, type TokenValidatorOptions } from '../../../shared/identity/tokenValidator';
import { startTestServer, type TestServer } from './testServer';

const ISSUER = 'https://login.example.test/11111111-1111-4111-8111-111111111111/v2.0';
const AUDIENCE = 'api://multi-admin-approval';
const TENANT = '11111111-1111-4111-8111-111111111111';
const OID = '22222222-2222-4222-8222-222222222222';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' } };
}

const now = () => Math.floor(Date.now() / 1000);

/** A token for OID with sane defaults; `claims` overrides or (with undefined) removes any claim. */
async function token(
  key: SigningKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    oid: OID,
    tid: TENANT,
    name: 'Alice',
    roles: ['MAA.Approver', 'Some.Other.Role', 'MAA.Requester'],
    iat: now(),
    nbf: now(),
    exp: now() + 3600,
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header })
    .sign(key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let keyA: SigningKey;
let keyB: SigningKey;
let published: JWK[];
let jwksStatus = 200;
let server: TestServer;

beforeAll(async () => {
  keyA = await makeKey('key-a');
  keyB = await makeKey('key-b');
  server = await startTestServer((request) =>
    request.path === '/keys' ? { status: jwksStatus, body: { keys: published } } : { status: 404, body: {} },
  );
});

afterAll(() => server.close());

beforeEach(() => {
  published = [keyA.jwk];
  jwksStatus = 200;
  server.requests.length = 0;
});

function validator(options: Partial<TokenValidatorOptions> = {}): TokenValidator {
  return new TokenValidator({ issuer: ISSUER, audiences: [AUDIENCE], jwksUrl: `${server.url}/keys`, ...options });
}

describe('TokenValidator', () => {
  it('accepts a valid token and maps its claims to the principal, dropping unknown roles', async () => {
    const principal = await validator().validate(await token(keyA));
    expect(principal).toEqual({
      id: OID,
      displayName: 'Alice',
      tenantId: TENANT,
      roles: ['MAA.Requester', 'MAA.Approver'],
    });
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('gives a token without roles no roles, and falls back to preferred_username for the name', async () => {
    const principal = await validator().validate(
      await token(keyA, { roles: undefined, name: undefined, preferred_username: 'alice@example.test' }),
    );
    expect(principal).toMatchObject({ displayName: 'alice@example.test', roles: [] });
  });

  it('accepts any of several audiences', async () => {
    const principal = await validator({ audiences: ['client-id-guid', AUDIENCE] }).validate(await token(keyA));
    expect(principal.id).toBe(OID);
  });

  it('refuses another issuer', async () => {
    await expect(
      validator().validate(await token(keyA, { iss: 'https://evil.example.test/v2.0' })),
    ).rejects.toMatchObject({
      name: 'AuthError',
      code: 'invalid_token',
      status: 401,
      reason: 'the token was not issued by the expected issuer',
      message: 'the token was not issued by the expected issuer',
    });
  });

  it('refuses another audience', async () => {
    await expect(validator().validate(await token(keyA, { aud: 'api://someone-else' }))).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token is not meant for this API',
    });
  });

  it('refuses an expired token as expired_token', async () => {
    await expect(
      validator().validate(await token(keyA, { iat: now() - 7200, nbf: now() - 7200, exp: now() - 600 })),
    ).rejects.toMatchObject({
      code: 'expired_token',
      status: 401,
    });
  });

  it('refuses a token that is not valid yet', async () => {
    await expect(validator().validate(await token(keyA, { nbf: now() + 600 }))).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token is not valid yet',
    });
  });

  it('tolerates clock skew on exp and nbf (default 5 minutes), and only that much', async () => {
    const justExpired = await token(keyA, { iat: now() - 3700, nbf: now() - 3700, exp: now() - 60 });
    const almostValid = await token(keyA, { nbf: now() + 60 });
    await expect(validator().validate(justExpired)).resolves.toMatchObject({ id: OID });
    await expect(validator().validate(almostValid)).resolves.toMatchObject({ id: OID });
    await expect(validator({ clockSkewSeconds: 0 }).validate(justExpired)).rejects.toMatchObject({
      code: 'expired_token',
    });
    await expect(validator({ clockSkewSeconds: 0 }).validate(almostValid)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    await expect(validator({ clockSkewSeconds: 30 }).validate(justExpired)).rejects.toMatchObject({
      code: 'expired_token',
    });
  });

  it('still expires a token it has already verified (remembered tokens keep their exp and skew)', async () => {
    const valid = await token(keyA, { exp: now() + 60 });
    let current = new Date();
    const checker = validator({ clockSkewSeconds: 30, now: () => current });
    await expect(checker.validate(valid)).resolves.toMatchObject({ id: OID });
    current = new Date(Date.now() + 80_000);
    await expect(checker.validate(valid)).resolves.toMatchObject({ id: OID });
    current = new Date(Date.now() + 95_000);
    await expect(checker.validate(valid)).rejects.toMatchObject({ code: 'expired_token' });
  });

  it('judges time by the clock it is given', async () => {
    const valid = await token(keyA);
    const later = () => new Date(Date.now() + 2 * 3600 * 1000);
    await expect(validator({ now: later }).validate(valid)).rejects.toMatchObject({ code: 'expired_token' });
  });

  it('requires exp, oid and tid', async () => {
    await expect(validator().validate(await token(keyA, { exp: undefined }))).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token has no "exp" claim',
    });
    await expect(validator().validate(await token(keyA, { oid: undefined }))).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token has no "oid" claim',
    });
    await expect(validator().validate(await token(keyA, { tid: '' }))).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token has no "tid" claim',
    });
  });

  it('refuses a bad signature: another key under a published kid, or a tampered payload', async () => {
    const forged = await token({ ...keyB, kid: keyA.kid });
    await expect(validator().validate(forged)).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token signature is invalid',
    });
    const [header, , signature] = (await token(keyA)).split('.');
    const tampered = `${header}.${b64({ iss: ISSUER, aud: AUDIENCE, oid: OID, tid: TENANT, roles: ['MAA.Operator'], exp: now() + 3600 })}.${signature}`;
    await expect(validator().validate(tampered)).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token signature is invalid',
    });
  });

  it('refuses alg none and HS256 without fetching keys', async () => {
    const claims = { iss: ISSUER, aud: AUDIENCE, oid: OID, tid: TENANT, exp: now() + 3600 };
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    // HMAC keyed with the published RSA modulus: the classic algorithm-confusion attack.
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: keyA.kid })
      .sign(new TextEncoder().encode(keyA.jwk.n!));
    const v = validator();
    await expect(v.validate(unsigned)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(v.validate(hmac)).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token is not signed with RS256',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses malformed and oversized tokens', async () => {
    await expect(validator().validate('not-a-jwt')).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token is malformed',
    });
    await expect(validator().validate('a'.repeat(20_000))).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token is too large',
    });
  });

  it('caches the key set, and picks up a rotated key through the unknown kid once the cooldown has passed', async () => {
    const v = validator({ jwksCooldownMs: 300 });
    await v.validate(await token(keyA));
    await v.validate(await token(keyA));
    expect(server.requests).toHaveLength(1);

    published = [keyB.jwk, keyA.jwk];
    const rotated = await token(keyB);
    // Within the cooldown an unknown kid is refused without asking again (a flood of forged kids costs nothing).
    await expect(v.validate(rotated)).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token is signed with an unknown key',
    });
    expect(server.requests).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(v.validate(rotated)).resolves.toMatchObject({ id: OID });
    expect(server.requests).toHaveLength(2);
    await expect(v.validate(await token(keyA))).resolves.toMatchObject({ id: OID });
    expect(server.requests).toHaveLength(2);
  });

  it('refuses a kid the issuer never published, after looking once', async () => {
    const v = validator({ jwksCooldownMs: 0 });
    await expect(v.validate(await token(keyA, {}, { kid: 'nobody-knows' }))).rejects.toMatchObject({
      code: 'invalid_token',
      reason: 'the token is signed with an unknown key',
    });
    expect(server.requests).toHaveLength(2);
  });

  it('reports an unreachable key set as signing_keys_unavailable (503), not as a bad token', async () => {
    jwksStatus = 500;
    await expect(validator().validate(await token(keyA))).rejects.toMatchObject({
      name: 'IdentityUnavailableError',
      code: 'signing_keys_unavailable',
      status: 503,
      message: 'The token signing keys could not be loaded; try again later.',
      diagnostic: expect.stringContaining(`${server.url}/keys`),
    });
    const closed = new TokenValidator({
      issuer: ISSUER,
      audiences: [AUDIENCE],
      jwksUrl: 'http://127.0.0.1:9/keys',
      jwksTimeoutMs: 1000,
    });
    await expect(closed.validate(await token(keyA))).rejects.toMatchObject({ code: 'signing_keys_unavailable' });
  });

  it('authenticates a whole Authorization header', async () => {
    const jwt = await token(keyA);
    await expect(validator().authenticate(`Bearer ${jwt}`)).resolves.toMatchObject({ id: OID });
    await expect(validator().authenticate(undefined)).rejects.toMatchObject({ code: 'missing_token', status: 401 });
    await expect(validator().authenticate(`Basic ${jwt}`)).rejects.toMatchObject({ code: 'invalid_token' });
  });
});

describe('bearerToken', () => {
  it('extracts the token, with the scheme in any case', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('  BEARER   abc.def-_ghi~+/=  ')).toBe('abc.def-_ghi~+/=');
  });

  it('says missing_token when there is no header', () => {
    for (const header of [undefined, null, '', '   '])
      expect(() => bearerToken(header)).toThrow(expect.objectContaining({ code: 'missing_token' }));
  });

  it('says invalid_token when the header is not a single bearer token', () => {
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Bearerabc',
      'Token abc',
      'Bearer a,b',
    ]) {
      expect(() => bearerToken(header)).toThrow(
        expect.objectContaining({ code: 'invalid_token', reason: 'the Authorization header is not "Bearer <token>"' }),
      );
    }
  });
});
