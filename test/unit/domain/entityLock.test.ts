import {
  entityLockKey,
  entityLockKeys,
  heldEntityLock,
  heldEntityLocks,
  lockedResourceId,
} from '../../../shared/domain/entityLock';
import type { ProfileType, RequestStatus } from '../../../shared/domain/model';
import { requestIn } from '../../support/builders';

const DEVICE = 'A1B2C3D4-0000-4000-8000-00000000ABCD';

describe('lockedResourceId', () => {
  it.each<[string | undefined, string | undefined]>([
    ['device-1', 'device-1'],
    [DEVICE, DEVICE.toLowerCase()],
    ['Contoso-App', 'Contoso-App'],
    ['deviceWipe:x:y', 'deviceWipe:x:y'],
    [undefined, undefined],
    ['', undefined],
  ])('%p locks %p', (resourceId, locked) => {
    expect(lockedResourceId(resourceId === undefined ? {} : { resourceId })).toBe(locked);
  });
});

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

describe('entityLockKeys and heldEntityLocks', () => {
  const other = 'b0000000-0000-4000-8000-000000000002';

  it.each<[string, { resourceId?: string; resourceIds?: string[] }, string[]]>([
    ['a single id', { resourceId: DEVICE }, [`deviceRetire:${DEVICE.toLowerCase()}`]],
    [
      'each device of a bulk action, in order, GUIDs lower-cased',
      { resourceIds: [other, DEVICE] },
      [`deviceRetire:${other}`, `deviceRetire:${DEVICE.toLowerCase()}`],
    ],
    [
      'one device named twice in two spellings once',
      { resourceIds: [DEVICE, DEVICE.toLowerCase()] },
      [`deviceRetire:${DEVICE.toLowerCase()}`],
    ],
    ['nothing for no id', {}, []],
  ])('%s', (_, operation, keys) => {
    expect(entityLockKeys('deviceRetire', operation)).toEqual(keys);
  });

  it('holds every device while open and none once closed', () => {
    const open = requestIn('approved');
    const bulk = { ...open, operation: { ...open.operation, resourceId: undefined, resourceIds: ['d-1', 'd-2'] } };
    expect(heldEntityLocks(bulk)).toEqual([`${bulk.profileType}:d-1`, `${bulk.profileType}:d-2`]);
    expect(heldEntityLocks({ ...bulk, status: 'completed' })).toEqual([]);
  });
});
