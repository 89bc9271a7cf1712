import { assertEntityUnlocked, entityLockKey, heldEntityLock } from '../../../shared/domain/entityLock';
import type { ApprovalRequest, ProfileType, RequestStatus } from '../../../shared/domain/model';
import { accessPolicy, newRequest, requestIn } from '../../support/builders';

const DEVICE = 'A1B2C3D4-0000-4000-8000-00000000ABCD';

describe('entityLockKey', () => {
  it.each<[ProfileType, string | undefined, string | undefined]>([
    ['deviceWipe', 'device-1', 'deviceWipe:device-1'],
    ['deviceWipe', DEVICE, `deviceWipe:${DEVICE.toLowerCase()}`],
    ['app', 'Contoso-App', 'app:Contoso-App'],
    ['tenantConfiguration', undefined, undefined],
    ['script', '', undefined],
  ])('%s on %p locks %p', (profileType, resourceId, key) => {
    expect(entityLockKey(profileType, resourceId === undefined ? {} : { resourceId })).toBe(key);
  });
});

describe('heldEntityLock', () => {
  it.each<[RequestStatus, string | undefined]>([
    ['needsApproval', 'deviceWipe:device-1'],
    ['approved', 'deviceWipe:device-1'],
    ['rejected', undefined],
    ['cancelled', undefined],
    ['completed', undefined],
    ['expired', undefined],
  ])('a %s request holds %p', (status, key) => {
    expect(heldEntityLock(requestIn(status))).toBe(key);
  });
});

describe('assertEntityUnlocked', () => {
  const candidate = newRequest({ id: 'req-new' });

  it.each<[string, ApprovalRequest[]]>([
    ['there are no other requests', []],
    ['the others are closed', (['rejected', 'cancelled', 'completed', 'expired'] as const).map(requestIn)],
    [
      'the open one is for another device',
      [newRequest({ operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: 'device-2' } })],
    ],
    [
      'the open one is for another profile type',
      [newRequest({ profileType: 'deviceRetire', policy: accessPolicy({ profileType: 'deviceRetire' }) })],
    ],
    ['the open one is the candidate itself (a retried create)', [candidate]],
  ])('passes when %s', (_, others) => {
    expect(() => assertEntityUnlocked(candidate, others)).not.toThrow();
  });

  it.each<[string, RequestStatus]>([
    ['pending', 'needsApproval'],
    ['approved', 'approved'],
  ])('refuses with entity_locked while a %s request holds the lock, naming it', (_, status) => {
    const holder = requestIn(status);
    expect(() => assertEntityUnlocked(candidate, [requestIn('completed'), holder])).toThrow(
      expect.objectContaining({ code: 'entity_locked', status: 409, holderId: 'req-1' }),
    );
  });

  it('never locks an operation without a resource id', () => {
    const unscoped = { action: 'update', resourceType: 'tenantSettings' };
    const open = newRequest({ operation: unscoped });
    expect(() => assertEntityUnlocked(newRequest({ id: 'req-new', operation: unscoped }), [open])).not.toThrow();
  });
});
