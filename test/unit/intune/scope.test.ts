import type { Operation } from '../../../shared/domain/model';
import { CATALOGUE, findEntry } from '../../../shared/intune/catalogue';
import { scopeOf } from '../../../shared/intune/catalogue/scope';

const GROUP = '2b9c0f8e-1111-4000-8000-000000000001';
const ids = (count: number) =>
  Array.from({ length: count }, (_, index) => `d3a1c0de-0000-4000-8000-${String(index + 1).padStart(12, '0')}`);

describe('scopeOf', () => {
  it.each<[string, Operation, number, boolean]>([
    ['a single device wipe', { action: 'wipe', resourceType: 'managedDevice', resourceId: ids(1)[0] }, 1, false],
    [
      'a bulk retire of 37 devices',
      { action: 'retire', resourceType: 'managedDevice', resourceIds: ids(37) },
      37,
      false,
    ],
    [
      'app assignments to a group only',
      {
        action: 'assign',
        resourceType: 'mobileApp',
        resourceId: GROUP,
        payload: { assignments: [{ target: 'group', groupId: GROUP, intent: 'required' }] },
      },
      0,
      false,
    ],
    [
      'app assignments including all licensed users',
      {
        action: 'assign',
        resourceType: 'mobileApp',
        resourceId: GROUP,
        payload: {
          assignments: [
            { target: 'group', groupId: GROUP, intent: 'required' },
            { target: 'allLicensedUsers', intent: 'available' },
          ],
        },
      },
      0,
      true,
    ],
    [
      'one added app assignment to all devices',
      {
        action: 'addAssignment',
        resourceType: 'mobileApp',
        resourceId: GROUP,
        payload: { target: 'allDevices', intent: 'required' },
      },
      0,
      true,
    ],
    [
      'an exclusion group is not everyone',
      {
        action: 'addAssignment',
        resourceType: 'mobileApp',
        resourceId: GROUP,
        payload: { target: 'exclusionGroup', groupId: GROUP, intent: 'required' },
      },
      0,
      false,
    ],
    [
      'a removal of every assignment',
      { action: 'assign', resourceType: 'mobileApp', resourceId: GROUP, payload: { assignments: [] } },
      0,
      false,
    ],
  ])('%s', (_name, operation, devices, assignsToAll) => {
    expect(scopeOf(operation)).toEqual({ devices, assignsToAll });
  });

  it('counts one device for every catalogue device action, and none for every other entry’s example without devices', () => {
    for (const entry of CATALOGUE) {
      const scope = scopeOf(entry.example as Operation);
      expect([entry.action, scope.devices]).toEqual([entry.action, entry.deviceAction === undefined ? 0 : 1]);
    }
  });

  it('sees the assignments to all devices that the catalogue’s own examples carry (creates and assigns alike)', () => {
    const toAll = CATALOGUE.filter((entry) => scopeOf(entry.example as Operation).assignsToAll).map(
      (entry) => `${entry.resourceType} ${entry.action}`,
    );
    expect(toAll.length).toBeGreaterThan(0);
    expect(findEntry('app', 'mobileApp', 'assign')).toBeDefined();
    expect(toAll).toContain('mobileApp assign');
  });
});
