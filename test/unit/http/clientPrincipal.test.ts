import { parseClientPrincipal } from '../../../shared/http/clientPrincipal';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const TID = 'http://schemas.microsoft.com/identity/claims/tenantid';

describe('parseClientPrincipal', () => {
  it('reads the object id, tenant, name and app roles App Service Authentication passes on', () => {
    const header = encode({
      auth_typ: 'aad',
      name_typ: 'name',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [
        { typ: OID, val: 'olga-id' },
        { typ: TID, val: 'tenant-1' },
        { typ: 'name', val: 'Olga' },
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'MAA.Operator' },
        { typ: 'roles', val: 'Unknown.Role' },
      ],
    });
    expect(parseClientPrincipal(header)).toEqual({ id: 'olga-id', tenantId: 'tenant-1', displayName: 'Olga', roles: ['MAA.Operator'] });
  });

  it('accepts the short claim names (oid, tid, roles) too', () => {
    const header = encode({ claims: [{ typ: 'oid', val: 'a' }, { typ: 'tid', val: 't' }, { typ: 'roles', val: 'MAA.Approver' }] });
    expect(parseClientPrincipal(header)).toMatchObject({ id: 'a', displayName: 'a', roles: ['MAA.Approver'] });
  });

  it.each([
    ['absent', null],
    ['not base64 JSON', '%%%'],
    ['JSON without claims', encode({ name: 'x' })],
    ['claims without oid', encode({ claims: [{ typ: 'tid', val: 't' }] })],
    ['claims without tid', encode({ claims: [{ typ: 'oid', val: 'o' }] })],
    ['malformed claims', encode({ claims: [null, { typ: 1, val: 'x' }] })],
  ])('gives nothing for a header that is %s', (_case, header) => {
    expect(parseClientPrincipal(header)).toBeUndefined();
  });
});
