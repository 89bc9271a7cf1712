import { createHmac, randomBytes } from 'node:crypto';
import {
  MAX_LINK_TOKEN_LENGTH,
  linkExpiry,
  parseLinkKey,
  signLinkToken,
  verifyLinkToken,
  type LinkClaims,
  type LinkKey,
} from '../../../shared/links/linkToken';

const current: LinkKey = { id: 'k2', secret: Buffer.alloc(32, 2) };
const previous: LinkKey = { id: 'k1', secret: Buffer.alloc(32, 1) };
const NOW = 1_700_000_000;

const claims = (overrides: Partial<LinkClaims> = {}): LinkClaims => ({
  requestId: '0b9d1e4a-7c55-4c1e-9c39-5d2f2f0e6a11',
  approverId: 'b0b00000-0000-4000-8000-000000000002',
  operationHash: 'a'.repeat(64),
  linkId: 'link-0001-abcdefghijkl',
  issuedAt: NOW - 60,
  expiresAt: NOW + 3600,
  ...overrides,
});

/** A token signed exactly as the real signer does, over any payload text (to test what we sign but never issue). */
function signRaw(key: LinkKey, payloadText: string): string {
  const signed = `v1.${key.id}.${Buffer.from(payloadText).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', key.secret).update(signed).digest('base64url')}`;
}

const parts = (token: string) => token.split('.') as [string, string, string, string];
const verify = (token: string, keys: LinkKey[] = [current, previous], now = NOW) => verifyLinkToken(keys, token, now);

describe('link tokens', () => {
  it('round-trips the claims, deterministically, in the v1.<kid>.<payload>.<sig> form', () => {
    const token = signLinkToken(current, claims());
    expect(token).toBe(signLinkToken(current, claims()));
    expect(token).toMatch(/^v1\.k2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verify(token)).toEqual({ ok: true, claims: claims() });
  });

  it('normalises the request id (a GUID) to lower case', () => {
    const verdict = verify(signLinkToken(current, claims({ requestId: '0B9D1E4A-7C55-4C1E-9C39-5D2F2F0E6A11' })));
    expect(verdict.ok && verdict.claims.requestId).toBe('0b9d1e4a-7c55-4c1e-9c39-5d2f2f0e6a11');
  });

  it.each<[string, (token: string) => string]>([
    ['without its signature', (token) => parts(token).slice(0, 3).join('.')],
    ['with an empty signature', (token) => `${parts(token).slice(0, 3).join('.')}.`],
    ['with an extra part', (token) => `${token}.AAAA`],
    ['with = padding on the signature', (token) => `${token}=`],
    [
      'with = padding on the payload',
      (token) => {
        const [v, k, p, s] = parts(token);
        return `${v}.${k}.${p}=.${s}`;
      },
    ],
    ['of another version', (token) => token.replace(/^v1\./, 'v2.')],
    ['with a key id that is not one', (token) => token.replace('.k2.', '.k 2.')],
    ['with spaces around it', (token) => ` ${token} `],
    ['longer than the limit', (token) => `${token}${'A'.repeat(MAX_LINK_TOKEN_LENGTH)}`],
  ])('refuses a token %s as malformed', (_, mangle) => {
    expect(verify(mangle(signLinkToken(current, claims())))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a token re-encoded in standard base64 (+ and /) as malformed: a token has one spelling', () => {
    // Find claims whose signature has a character that differs between the two alphabets.
    let token = '';
    for (let n = 0; !/[-_]/.test(parts(token)[3] ?? ''); n += 1)
      token = signLinkToken(current, claims({ linkId: `link-0001-abcdefgh${String(n).padStart(4, '0')}` }));
    expect(verify(token).ok).toBe(true);
    const [v, k, p, s] = parts(token);
    expect(verify(`${v}.${k}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verify(`${v}.${k}.${p}.${Buffer.from(s, 'base64url').toString('base64')}`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuses a signature with non-zero trailing bits (another spelling of the same bytes) as malformed', () => {
    const [v, k, p, s] = parts(signLinkToken(current, claims()));
    // 43 characters carry 258 bits for 256: the last character's low 2 bits are padding.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s.at(-1)!);
    const respelled = `${s.slice(0, -1)}${alphabet[last | 1]}`;
    expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    expect(verify(`${v}.${k}.${p}.${respelled}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a truncated token as malformed, wherever it is cut', () => {
    const token = signLinkToken(current, claims());
    for (let cut = 1; cut < token.length; cut++)
      expect([cut, verify(token.slice(0, -cut))]).toEqual([cut, { ok: false, reason: 'malformed' }]);
  });

  it("refuses a token carrying another token's signature", () => {
    const mine = parts(signLinkToken(current, claims()));
    const other = parts(signLinkToken(current, claims({ linkId: 'link-0002-abcdefghijkl' })));
    expect(verify([...mine.slice(0, 3), other[3]].join('.'))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each<[string, Partial<LinkClaims>]>([
    ['another request', { requestId: '11111111-2222-4333-8444-555555555555' }],
    ['another approver', { approverId: 'ca401000-0000-4000-8000-000000000003' }],
    ['another operation', { operationHash: 'b'.repeat(64) }],
    ['a later expiry', { expiresAt: NOW + 10 * 86400 }],
  ])('refuses the payload of %s under the original signature', (_, overrides) => {
    const original = parts(signLinkToken(current, claims()));
    const forged = parts(signLinkToken(current, claims(overrides)));
    expect(verify([forged[0], forged[1], forged[2], original[3]].join('.'))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a token signed under our key id with another secret', () => {
    expect(verify(signLinkToken({ id: 'k2', secret: randomBytes(32) }, claims()))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses an unknown key id', () => {
    expect(verify(signLinkToken({ id: 'k9', secret: current.secret }, claims()))).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('refuses an expired link from its expiry second on, and accepts it the second before', () => {
    const token = signLinkToken(current, claims());
    expect(verify(token, undefined, NOW + 3599).ok).toBe(true);
    expect(verify(token, undefined, NOW + 3600)).toEqual({ ok: false, reason: 'expired' });
  });

  it('accepts a link signed with the previous key while that key is configured, and refuses it once the key is removed', () => {
    const token = signLinkToken(previous, claims());
    expect(verify(token, [current, previous])).toEqual({ ok: true, claims: claims() });
    expect(verify(token, [current])).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it.each<[string, string]>([
    ['text that is not JSON', 'not json at all'],
    ['a JSON array', '[1,2,3]'],
    [
      'claims with an unknown field',
      JSON.stringify({
        rid: '0b9d1e4a-7c55-4c1e-9c39-5d2f2f0e6a11',
        sub: 'b',
        oph: 'a'.repeat(64),
        jti: 'link-0001-abcdefghijkl',
        iat: 1,
        exp: NOW + 60,
        admin: true,
      }),
    ],
    [
      'claims without an expiry',
      JSON.stringify({
        rid: '0b9d1e4a-7c55-4c1e-9c39-5d2f2f0e6a11',
        sub: 'b',
        oph: 'a'.repeat(64),
        jti: 'link-0001-abcdefghijkl',
        iat: 1,
      }),
    ],
    [
      'a request id that is not a GUID',
      JSON.stringify({
        rid: '../../requests',
        sub: 'b',
        oph: 'a'.repeat(64),
        jti: 'link-0001-abcdefghijkl',
        iat: 1,
        exp: NOW + 60,
      }),
    ],
    [
      'an expiry that is a string',
      JSON.stringify({
        rid: '0b9d1e4a-7c55-4c1e-9c39-5d2f2f0e6a11',
        sub: 'b',
        oph: 'a'.repeat(64),
        jti: 'link-0001-abcdefghijkl',
        iat: 1,
        exp: `${NOW + 60}`,
      }),
    ],
  ])('refuses %s signed with our own key as malformed', (_, payload) => {
    expect(verify(signRaw(current, payload))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses an oversize token before looking at it, even when we signed it', () => {
    const token = signRaw(
      current,
      JSON.stringify({
        rid: '0b9d1e4a-7c55-4c1e-9c39-5d2f2f0e6a11',
        sub: 'x'.repeat(900),
        oph: 'a'.repeat(64),
        jti: 'link-0001-abcdefghijkl',
        iat: 1,
        exp: NOW + 60,
      }),
    );
    expect(token.length).toBeGreaterThan(MAX_LINK_TOKEN_LENGTH);
    expect(verify(token)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('link keys and expiry', () => {
  it('parses <kid>:<base64 secret> in either base64 alphabet', () => {
    const secret = Buffer.alloc(32, 0xfb);
    expect(parseLinkKey(`k1:${secret.toString('base64')}`)).toEqual({ id: 'k1', secret });
    expect(parseLinkKey(`k1:${secret.toString('base64url')}`)).toEqual({ id: 'k1', secret });
  });

  it.each([
    ['no colon', 'justasecret', 'must be "<key id>:<base64 secret>"'],
    ['a bad key id', `bad id:${Buffer.alloc(32).toString('base64')}`, 'key id must be'],
    ['a short secret', `k1:${Buffer.alloc(16).toString('base64')}`, 'at least 32 bytes'],
    ['a secret that is not base64', 'k1:!!!!', 'secret must be base64'],
  ])('refuses a key with %s, without echoing the secret', (_, text, message) => {
    expect(() => parseLinkKey(text)).toThrow(message);
  });

  it('ends a link at its TTL, or at the request expiry when that comes first', () => {
    expect(linkExpiry(NOW, 3600, new Date((NOW + 7200) * 1000).toISOString())).toBe(NOW + 3600);
    expect(linkExpiry(NOW, 3600, new Date((NOW + 1800) * 1000).toISOString())).toBe(NOW + 1800);
  });
});
