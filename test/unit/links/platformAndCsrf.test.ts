import { principalFromPlatformHeaders } from '../../../shared/identity/platformPrincipal';
import { csrfField, newCsrfNonce, sameOriginPost, verifyCsrfField } from '../../../shared/links/csrf';
import type { LinkKey } from '../../../shared/links/linkToken';

const OID = 'b0b00000-0000-4000-8000-000000000002';
const TID = 'c0ffee00-0000-4000-8000-000000000000';
const headers = (values: Record<string, string>) => new Headers(values);
const encode = (document: unknown) => Buffer.from(JSON.stringify(document)).toString('base64');
const principal = (claims: { typ: string; val: string }[], extra: Record<string, unknown> = {}) =>
  encode({ auth_typ: 'aad', claims, ...extra });
const bob = [
  { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: OID },
  { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: TID },
  { typ: 'name', val: 'Bob' },
  { typ: 'roles', val: 'MAA.Approver' },
  { typ: 'roles', val: 'Some.Other.Role' },
];

describe('the App Service Authentication principal', () => {
  it('reads the object id, tenant, name and app roles from X-MS-CLIENT-PRINCIPAL', () => {
    expect(
      principalFromPlatformHeaders(
        headers({ 'x-ms-client-principal': principal(bob), 'x-ms-client-principal-id': OID }),
      ),
    ).toEqual({
      id: OID,
      displayName: 'Bob',
      tenantId: TID,
      roles: ['MAA.Approver'],
    });
  });

  it('takes roles under the role_typ the principal names', () => {
    const claims = [
      ...bob.slice(0, 3),
      { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'MAA.Operator' },
      { typ: 'urn:custom-role', val: 'MAA.Requester' },
    ];
    expect(
      principalFromPlatformHeaders(
        headers({ 'x-ms-client-principal': principal(claims, { role_typ: 'urn:custom-role' }) }),
      )?.roles,
    ).toEqual(['MAA.Requester', 'MAA.Operator']);
  });

  it.each<[string, Record<string, string>]>([
    ['no header', {}],
    ['a header that is not base64 JSON', { 'x-ms-client-principal': 'not-json' }],
    ['another identity provider', { 'x-ms-client-principal': encode({ auth_typ: 'github', claims: bob }) }],
    ['no object id', { 'x-ms-client-principal': principal(bob.slice(1)) }],
    ['no tenant', { 'x-ms-client-principal': principal([bob[0]!, bob[2]!]) }],
    [
      'an id header naming someone else',
      { 'x-ms-client-principal': principal(bob), 'x-ms-client-principal-id': 'ca401000-0000-4000-8000-000000000003' },
    ],
    ['claims that are not a list', { 'x-ms-client-principal': encode({ auth_typ: 'aad', claims: { oid: OID } }) }],
  ])('finds no user in %s', (_, values) => {
    expect(principalFromPlatformHeaders(headers(values))).toBeUndefined();
  });
});

describe('the approval form CSRF field', () => {
  const key: LinkKey = { id: 'k2', secret: Buffer.alloc(32, 2) };
  const previous: LinkKey = { id: 'k1', secret: Buffer.alloc(32, 1) };
  const nonce = newCsrfNonce();
  const field = csrfField(key, 'link-1', OID, nonce);

  it('verifies for the same link, person (any case) and nonce, under the current or previous key', () => {
    expect(verifyCsrfField([key], 'link-1', OID.toUpperCase(), nonce, field)).toBe(true);
    expect(verifyCsrfField([key, previous], 'link-1', OID, nonce, csrfField(previous, 'link-1', OID, nonce))).toBe(
      true,
    );
  });

  it.each<[string, string, string, string | undefined, string | undefined]>([
    ['another link', 'link-2', OID, nonce, field],
    ['another person', 'link-1', 'ca401000-0000-4000-8000-000000000003', nonce, field],
    ['another nonce', 'link-1', OID, newCsrfNonce(), field],
    ['no nonce cookie', 'link-1', OID, undefined, field],
    ['a nonce that is not one', 'link-1', OID, 'short', csrfField(key, 'link-1', OID, 'short')],
    ['no field', 'link-1', OID, nonce, undefined],
    ['a truncated field', 'link-1', OID, nonce, field.slice(0, -1)],
  ])('refuses %s', (_, linkId, subject, cookieNonce, given) => {
    expect(verifyCsrfField([key], linkId, subject, cookieNonce, given)).toBe(false);
  });

  it.each<[Record<string, string>, boolean]>([
    [{}, true],
    [{ origin: 'https://maa.contoso.com' }, true],
    [{ origin: 'HTTPS://MAA.CONTOSO.COM' }, true],
    [{ origin: 'null', 'sec-fetch-site': 'same-origin' }, true],
    [{ origin: 'https://evil.example' }, false],
    [{ origin: 'https://maa.contoso.com.evil.example' }, false],
    [{ origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
    [{ 'sec-fetch-site': 'same-site' }, false],
  ])('judges a post with %p as same-origin: %p', (values, expected) => {
    expect(sameOriginPost(headers(values), 'https://maa.contoso.com')).toBe(expected);
  });
});
