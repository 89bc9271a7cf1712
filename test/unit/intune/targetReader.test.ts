import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { isDomainError } from '../../../shared/domain/errors';
import type { ProfileType } from '../../../shared/domain/model';
import { findEntry } from '../../../shared/intune/catalogue';
import type { CatalogueEntry } from '../../../shared/intune/catalogue/types';
import { IntuneGraphClient } from '../../../shared/intune/graphClient';
import { GraphTargetReader } from '../../../shared/intune/targetReader';
import { GraphServer } from './graphServer';

const DEVICE = 'd3a1c0de-0000-4000-8000-000000000003';
const SCRIPT = '5c410000-0000-4000-8000-000000000001';
const NOW = new Date('2026-12-07T10:00:00.000Z');

// Entries of the shape the catalogue gives scripts (resourceId required); devices are the catalogue's own.
const scriptUpdate: CatalogueEntry = {
  profileType: 'script',
  resourceType: 'deviceManagementScript',
  action: 'update',
  summary: 'Update a script',
  resourceId: 'required',
  permission: 'DeviceManagementScripts.ReadWrite.All',
  idempotency: 'idempotent',
  calls: () => [],
  example: { action: 'update', resourceType: 'deviceManagementScript', resourceId: SCRIPT },
};
const scriptCreate: CatalogueEntry = { ...scriptUpdate, action: 'create', resourceId: 'none' };
const entries = (profileType: ProfileType, resourceType: string, action: string) =>
  [scriptUpdate, scriptCreate].find(
    (e) => e.profileType === profileType && e.resourceType === resourceType && e.action === action,
  ) ?? findEntry(profileType, resourceType, action);

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isDomainError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the Graph target reader', () => {
  let graph: GraphServer;
  let reader: GraphTargetReader;
  beforeEach(async () => {
    graph = await new GraphServer().start();
    reader = new GraphTargetReader(graph.client(), () => NOW, entries);
    graph.put('/deviceManagement/managedDevices', {
      id: DEVICE,
      deviceName: 'IPH-CAROL-01',
      userPrincipalName: 'carol@maa.test',
      userDisplayName: 'Carol',
      operatingSystem: 'iOS',
      osVersion: '18.1',
      model: 'iPhone 15',
      manufacturer: 'Apple',
      serialNumber: 'F2LX1234',
      managedDeviceOwnerType: 'company',
      complianceState: 'noncompliant',
      lastSyncDateTime: '2026-12-07T08:00:00.000Z',
      managementState: 'managed',
      deviceActionResults: [],
      imei: '356938035643809',
      meid: '35693803564380',
      phoneNumber: '+15550100',
      wiFiMacAddress: '001122334455',
      ethernetMacAddress: '001122334466',
      activationLockBypassCode: 'ABCD-EFGH',
      notes: 'desk 4, PIN on a post-it',
    });
    graph.put('/deviceManagement/deviceManagementScripts', {
      id: SCRIPT,
      displayName: 'Set time zone',
      description: 'tz',
      scriptContent: Buffer.from('Set-TimeZone "UTC" # password=hunter2').toString('base64'),
      runAsAccount: 'system',
      lastModifiedDateTime: '2026-11-01T00:00:00.000Z',
      network: [{ ssid: 'corp', preSharedKey: 'wifi-secret' }],
    });
    graph.assignments.set(`/deviceManagement/deviceManagementScripts/${SCRIPT}`, [
      {
        id: 'a1',
        target: {
          '@odata.type': '#microsoft.graph.groupAssignmentTarget',
          groupId: 'a9900000-0000-4000-8000-000000000104',
        },
      },
      {
        id: 'a2',
        target: {
          '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget',
          groupId: 'a9900000-0000-4000-8000-000000000199',
        },
      },
      { id: 'a3', target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } },
    ]);
    graph.groups.set('a9900000-0000-4000-8000-000000000104', 'Pilot users');
  });
  afterEach(() => graph.stop());

  it('snapshots a device with what an approver needs and nothing a decision does not', async () => {
    const snapshot = await reader.read('deviceWipe', {
      action: 'wipe',
      resourceType: 'managedDevice',
      resourceId: DEVICE,
    });
    expect(snapshot).toEqual({
      resourceType: 'managedDevice',
      id: DEVICE,
      displayName: 'IPH-CAROL-01',
      readAt: NOW.toISOString(),
      device: {
        operatingSystem: 'iOS',
        osVersion: '18.1',
        userPrincipalName: 'carol@maa.test',
        userDisplayName: 'Carol',
        ownership: 'company',
        complianceState: 'noncompliant',
        lastSyncDateTime: '2026-12-07T08:00:00.000Z',
        managementState: 'managed',
        model: 'iPhone 15',
        manufacturer: 'Apple',
        serialNumber: 'F2LX1234',
      },
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const text = JSON.stringify(snapshot);
    for (const secret of ['356938035643809', '+15550100', '001122334455', 'ABCD-EFGH', 'post-it'])
      expect(text).not.toContain(secret);
    expect(graph.reads[0]!.path).toContain('?$select=');
    expect(graph.reads[0]!.path).not.toMatch(/imei|phoneNumber|MacAddress|activationLock|notes/);
  });

  it('snapshots a script with its content as a digest and length, its assignments with group names', async () => {
    const snapshot = await reader.read('script', {
      action: 'update',
      resourceType: 'deviceManagementScript',
      resourceId: SCRIPT,
      payload: {},
    });
    const content = Buffer.from('Set-TimeZone "UTC" # password=hunter2').toString('base64');
    expect(snapshot).toMatchObject({
      resourceType: 'deviceManagementScript',
      displayName: 'Set time zone',
      lastModifiedDateTime: '2026-11-01T00:00:00.000Z',
      settings: {
        description: 'tz',
        runAsAccount: 'system',
        network: [{ ssid: 'corp' }],
        scriptContent: { sha256: createHash('sha256').update(content).digest('hex'), length: content.length },
      },
      assignments: [
        { target: 'group', groupId: 'a9900000-0000-4000-8000-000000000104', groupName: 'Pilot users' },
        { target: 'exclusionGroup', groupId: 'a9900000-0000-4000-8000-000000000199' },
        { target: 'allDevices' },
      ],
    });
    expect(JSON.stringify(snapshot)).not.toContain(content);
    expect(JSON.stringify(snapshot)).not.toContain('wifi-secret');
    expect(graph.reads.some((r) => r.path.startsWith('/beta/deviceManagement/deviceManagementScripts/'))).toBe(true);
  });

  it('keeps a password rule (a flag or a number) and leaves out a password (text)', async () => {
    graph.put('/deviceManagement/deviceCompliancePolicies', {
      id: 'c0a10000-0000-4000-8000-000000000009',
      displayName: 'Baseline',
      version: 3,
      passwordRequired: true,
      passwordMinimumLength: 12,
      passwordExpirationDays: null,
      passwordOfTheKiosk: 'hunter2',
      lastModifiedDateTime: '2026-11-01T00:00:00.000Z',
    });
    const snapshot = await new GraphTargetReader(graph.client(), () => NOW).read('compliancePolicy', {
      action: 'update',
      resourceType: 'deviceCompliancePolicy',
      resourceId: 'c0a10000-0000-4000-8000-000000000009',
      payload: {},
    });
    expect(snapshot?.settings).toMatchObject({ passwordRequired: true, passwordMinimumLength: 12 });
    expect(snapshot?.settings).not.toHaveProperty('passwordOfTheKiosk');
    expect(snapshot?.settings).not.toHaveProperty('passwordExpirationDays');
  });

  it('names the groups the directory knows, and leaves out the others', async () => {
    expect(
      await reader.groupNames(['a9900000-0000-4000-8000-000000000104', 'a9900000-0000-4000-8000-000000000199']),
    ).toEqual({ 'a9900000-0000-4000-8000-000000000104': 'Pilot users' });
  });

  it('names no group, and does not throw, when Graph cannot be reached', async () => {
    await graph.stop();
    expect(await reader.groupNames(['a9900000-0000-4000-8000-000000000104'])).toEqual({});
  });

  it('reads nothing for an operation that creates its object', async () => {
    await expect(
      reader.read('script', { action: 'create', resourceType: 'deviceManagementScript', payload: {} }),
    ).resolves.toBeUndefined();
    expect(graph.reads).toEqual([]);
  });

  it('refuses with target_not_found when Intune does not know the object', async () => {
    const refused = await refusal(
      reader.read('deviceWipe', { action: 'wipe', resourceType: 'managedDevice', resourceId: 'laptop-42' }),
    );
    expect(refused).toEqual({ code: 'target_not_found', message: 'Intune has no managedDevice with id laptop-42' });
  });

  it('refuses with graph_unavailable when Graph cannot be reached', async () => {
    await graph.stop();
    const refused = await refusal(
      reader.read('deviceWipe', { action: 'wipe', resourceType: 'managedDevice', resourceId: DEVICE }),
    );
    expect(refused.code).toBe('graph_unavailable');
  });

  it('refuses with graph_unavailable naming the read permission when the app may not read the target', async () => {
    graph.forbidden.push('managedDevices');
    const refused = await refusal(
      reader.read('deviceWipe', { action: 'wipe', resourceType: 'managedDevice', resourceId: DEVICE }),
    );
    expect(refused.code).toBe('graph_unavailable');
    expect(refused.message).toContain('DeviceManagementManagedDevices.Read.All');
  });

  it('refuses with graph_unavailable when the app gets no token', async () => {
    const noToken: TokenCredential = { getToken: async () => null };
    const offline = new GraphTargetReader(
      new IntuneGraphClient({ baseUrl: graph.url, credential: noToken }),
      () => NOW,
    );
    const refused = await refusal(
      offline.read('deviceWipe', { action: 'wipe', resourceType: 'managedDevice', resourceId: DEVICE }),
    );
    expect(refused.code).toBe('graph_unavailable');
  });
});
