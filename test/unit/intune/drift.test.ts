import type { TargetSnapshot } from '../../../shared/domain/model';
import { driftBetween, fingerprintOf } from '../../../shared/intune/drift';

function snapshot(fields: Omit<TargetSnapshot, 'fingerprint' | 'resourceType' | 'id' | 'readAt'>): TargetSnapshot {
  const base = { resourceType: 'x', id: 'obj-1', readAt: '2026-12-07T10:00:00.000Z', ...fields };
  return { ...base, fingerprint: fingerprintOf(base) };
}

const device = (overrides: Partial<NonNullable<TargetSnapshot['device']>> = {}, displayName = 'LT-ALICE-01') =>
  snapshot({
    displayName,
    device: {
      operatingSystem: 'Windows',
      osVersion: '10.0.22631.4602',
      userPrincipalName: 'alice@maa.test',
      userDisplayName: 'Alice',
      ownership: 'company',
      complianceState: 'compliant',
      lastSyncDateTime: '2026-12-07T09:00:00.000Z',
      managementState: 'managed',
      serialNumber: 'SN-1',
      ...overrides,
    },
  });

const policy = (overrides: Partial<TargetSnapshot> = {}) =>
  snapshot({
    displayName: 'Baseline',
    lastModifiedDateTime: '2026-11-01T00:00:00.000Z',
    version: '3',
    settings: { passwordRequired: true },
    assignments: [{ target: 'group', groupId: 'g1', groupName: 'Sales devices' }, { target: 'allDevices' }],
    ...overrides,
  });

describe('drift between the approved target and a fresh read', () => {
  it.each([
    [
      'a device whose check-in, OS version, compliance and state moved on',
      device({
        lastSyncDateTime: '2026-12-07T09:59:00.000Z',
        osVersion: '10.0.26100',
        complianceState: 'noncompliant',
        managementState: 'wipePending',
      }),
      [],
    ],
    ['a renamed device', device({}, 'LT-BOB-99'), ['deviceName']],
    ['a device with another primary user', device({ userPrincipalName: 'bob@maa.test' }), ['userPrincipalName']],
    ['a device with another serial number (re-enrolled hardware)', device({ serialNumber: 'SN-2' }), ['serialNumber']],
    ['a device now reporting another OS', device({ operatingSystem: 'macOS' }), ['operatingSystem']],
  ])('%s', (_, fresh, changed) => {
    expect(driftBetween(device(), fresh)).toEqual(changed);
    expect(device().fingerprint === fresh.fingerprint).toBe(changed.length === 0);
  });

  it.each([
    [
      'the same policy read later, its group renamed and its assignments listed in another order',
      policy({
        readAt: '2026-12-08T00:00:00.000Z',
        assignments: [{ target: 'allDevices' }, { target: 'group', groupId: 'g1', groupName: 'Renamed' }],
      }),
      [],
    ],
    ['a policy modified since', policy({ lastModifiedDateTime: '2026-12-01T00:00:00.000Z' }), ['lastModifiedDateTime']],
    ['a policy at another version', policy({ version: '4' }), ['version']],
    [
      'a policy assigned to one more group',
      policy({
        assignments: [
          { target: 'group', groupId: 'g1' },
          { target: 'allDevices' },
          { target: 'exclusionGroup', groupId: 'g2' },
        ],
      }),
      ['assignments'],
    ],
    [
      'an app assignment whose intent changed',
      policy({ assignments: [{ target: 'group', groupId: 'g1', intent: 'uninstall' }, { target: 'allDevices' }] }),
      ['assignments'],
    ],
  ])('%s', (_, fresh, changed) => {
    expect(driftBetween(policy(), fresh)).toEqual(changed);
  });

  it('ignores settings outside the drift facts: lastModifiedDateTime stands for them', () => {
    expect(driftBetween(policy(), policy({ settings: { passwordRequired: false } }))).toEqual([]);
  });

  it('falls back to the stored fingerprint for a snapshot taken under another rule', () => {
    const foreign = { ...policy(), fingerprint: 'f'.repeat(64) };
    expect(driftBetween(foreign, policy())).toEqual(['fingerprint']);
    expect(driftBetween(foreign, { ...policy(), fingerprint: 'f'.repeat(64) })).toEqual([]);
  });
});
