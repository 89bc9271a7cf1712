import { z } from 'zod';
import type { ApprovalRequest, ProfileType, TargetSnapshot } from '../../../shared/domain/model';
import { GraphExecutor, type GraphExecutorSettings } from '../../../shared/execute/graphExecutor';
import { findEntry as catalogueEntry } from '../../../shared/intune/catalogue';
import type { CatalogueEntry, CatalogueOperation } from '../../../shared/intune/catalogue/types';
import { clientRequestIdFor } from '../../../shared/intune/graphClient';
import { GraphTargetReader } from '../../../shared/intune/targetReader';
import type { AppKeyRing } from '../../../shared/keys/appKey';
import { sealSecret } from '../../../shared/keys/secretSeal';
import { GraphServer } from '../intune/graphServer';

const DEVICES = '/deviceManagement/managedDevices';
const AUDITS = '/deviceManagement/remoteActionAudits';
const CATEGORIES = '/deviceManagement/deviceCategories';
const APPS = '/deviceAppManagement/mobileApps';
const DEVICE = 'd3a1c0de-0000-4000-8000-000000000001';
const NOW = new Date('2026-12-07T10:00:00.000Z');
const ring: AppKeyRing = { current: { id: 'k1', secret: Buffer.alloc(32, 7) } };

const settings: GraphExecutorSettings = {
  dailyCaps: { wipe: 500, retire: 1000, delete: 1000 },
  followUpEveryMs: 15 * 60_000,
  followUpForMs: 7 * 86_400_000,
  maxRetryAfterMs: 30_000,
};

// Catalogue entries of the shapes the operation catalogue gives these types (the device entries are its own).
const categoryPath = (op: CatalogueOperation) => `${CATEGORIES}/${encodeURIComponent(op.resourceId!)}`;
const appPath = (op: CatalogueOperation) => `${APPS}/${encodeURIComponent(op.resourceId!)}`;
const base = {
  summary: 'test',
  permission: 'DeviceManagementConfiguration.ReadWrite.All',
  example: { action: 'x', resourceType: 'x' },
};
const ENTRIES: CatalogueEntry[] = [
  {
    ...base,
    profileType: 'tenantConfiguration',
    resourceType: 'deviceCategory',
    action: 'create',
    resourceId: 'none',
    idempotency: 'checkFirst',
    payload: z.object({ displayName: z.string(), description: z.string().optional() }).strict(),
    calls: (op) => [{ method: 'POST', version: 'v1.0', path: CATEGORIES, body: op.payload! }],
  },
  {
    ...base,
    profileType: 'tenantConfiguration',
    resourceType: 'deviceCategory',
    action: 'update',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (op) => [{ method: 'PATCH', version: 'v1.0', path: categoryPath(op), body: op.payload! }],
  },
  {
    ...base,
    profileType: 'tenantConfiguration',
    resourceType: 'deviceCategory',
    action: 'delete',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (op) => [{ method: 'DELETE', version: 'v1.0', path: categoryPath(op) }],
  },
  {
    ...base,
    profileType: 'app',
    permission: 'DeviceManagementApps.ReadWrite.All',
    resourceType: 'mobileApp',
    action: 'assign',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (op) => [{ method: 'POST', version: 'v1.0', path: `${appPath(op)}/assign`, body: op.payload! }],
  },
  {
    ...base,
    profileType: 'app',
    permission: 'DeviceManagementApps.ReadWrite.All',
    resourceType: 'mobileApp',
    action: 'addAssignment',
    resourceId: 'required',
    idempotency: 'checkFirst',
    calls: (op) => [{ method: 'POST', version: 'v1.0', path: `${appPath(op)}/assignments`, body: op.payload! }],
  },
];
const findEntry = (profileType: ProfileType, resourceType: string, action: string) =>
  ENTRIES.find((e) => e.profileType === profileType && e.resourceType === resourceType && e.action === action) ??
  catalogueEntry(profileType, resourceType, action);

function device(overrides: Record<string, unknown> = {}) {
  return {
    id: DEVICE,
    deviceName: 'LT-ALICE-01',
    userPrincipalName: 'alice@maa.test',
    userDisplayName: 'Alice',
    operatingSystem: 'Windows',
    osVersion: '10.0.22631.4602',
    serialNumber: 'SN-1',
    managedDeviceOwnerType: 'company',
    complianceState: 'compliant',
    lastSyncDateTime: '2026-12-07T09:00:00.000Z',
    managementState: 'managed',
    deviceActionResults: [],
    imei: '356938035643809',
    phoneNumber: '+15550100',
    wiFiMacAddress: '00:11:22:33:44:55',
    ...overrides,
  };
}

describe('the Graph executor', () => {
  let graph: GraphServer;
  let slept: number[];
  let now: Date;

  beforeEach(async () => {
    graph = await new GraphServer().start();
    now = new Date(NOW);
    graph.now = () => now;
    slept = [];
    graph.put(DEVICES, device());
    graph.groups.set('a9900000-0000-4000-8000-000000000102', 'Sales devices');
  });
  afterEach(() => graph.stop());

  const executor = (overrides: Partial<GraphExecutorSettings> = {}) =>
    new GraphExecutor({
      client: graph.client(),
      appKeys: ring,
      now: () => now,
      settings: { ...settings, ...overrides },
      sleep: async (ms) => {
        slept.push(ms);
      },
      findEntry,
    });

  /** The snapshot submit takes, read through the same Graph. */
  async function snapshot(
    profileType: ProfileType,
    operation: CatalogueOperation,
  ): Promise<TargetSnapshot | undefined> {
    return new GraphTargetReader(graph.client(), () => now, findEntry).read(profileType, operation);
  }

  async function request(
    profileType: ProfileType,
    operation: CatalogueOperation,
    id = 'req-1',
  ): Promise<ApprovalRequest> {
    const target = await snapshot(profileType, operation);
    return {
      id,
      profileType,
      operation,
      operationHash: 'ab'.repeat(32),
      justification: 'because',
      initiator: { id: 'alice', displayName: 'Alice' },
      policy: { id: 'p1', version: 1, approverGroupIds: ['g1'], requiredApprovals: 1 },
      status: 'completed',
      decisions: [],
      createdAt: '2026-12-07T09:00:00.000Z',
      expiresAt: '2027-01-06T09:00:00.000Z',
      lastModifiedAt: NOW.toISOString(),
      completedAt: NOW.toISOString(),
      ...(target ? { target } : {}),
    };
  }

  const wipe = (payload?: CatalogueOperation['payload']): CatalogueOperation => ({
    action: 'wipe',
    resourceType: 'managedDevice',
    resourceId: DEVICE,
    ...(payload === undefined ? {} : { payload }),
  });

  describe('device actions', () => {
    it("wipes the device once, with the request's client-request-id, and hands the device outcome to a follow-up", async () => {
      const req = await request('deviceWipe', wipe({ keepUserData: false }));
      const submitReads = graph.reads.length;
      const outcome = await executor().execute(req);
      expect(outcome).toMatchObject({
        status: 'succeeded',
        code: 'accepted',
        followUp: { everyMs: 15 * 60_000, until: '2026-12-14T10:00:00.000Z' },
      });
      expect(graph.writes).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: `/v1.0${DEVICES}/${DEVICE}/wipe`,
          body: { keepUserData: false },
          status: 204,
          clientRequestId: clientRequestIdFor('req-1'),
        }),
      ]);
      expect(outcome.graph?.clientRequestId).toBe(clientRequestIdFor('req-1'));
      expect(outcome.graph?.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
        `GET /v1.0${DEVICES}/${DEVICE} 200`,
        `GET /beta${AUDITS} 200`,
        `POST /v1.0${DEVICES}/${DEVICE}/wipe 204`,
        `GET /v1.0${DEVICES}/${DEVICE} 200`,
      ]);
      const reads = graph.reads.slice(submitReads);
      expect(reads).toHaveLength(3);
      expect(reads.every((r) => r.clientRequestId === clientRequestIdFor('req-1'))).toBe(true);
      expect(reads[0]!.path).toMatch(/\$select=[^&]*managementState,deviceActionResults/);
    });

    it('sends no second wipe when an earlier attempt of the request already queued one', async () => {
      const req = await request('deviceWipe', wipe());
      await executor().execute(req);
      const again = await executor().execute(req);
      expect(again).toMatchObject({ status: 'succeeded', code: 'already_applied', followUp: expect.any(Object) });
      expect(graph.writes).toHaveLength(1);
    });

    it('refuses with target_changed and writes nothing when the device was renamed after approval', async () => {
      const req = await request('deviceWipe', wipe());
      graph.collection(DEVICES).get(DEVICE)!.deviceName = 'LT-SOMEONE-ELSE';
      const outcome = await executor().execute(req);
      expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'target_changed' });
      expect(outcome.detail).toContain('deviceName');
      expect(graph.writes).toEqual([]);
    });

    it('refuses with target_changed when the device to wipe is gone', async () => {
      const req = await request('deviceWipe', wipe());
      graph.collection(DEVICES).delete(DEVICE);
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'failed', code: 'target_changed' });
      expect(graph.writes).toEqual([]);
    });

    it("refuses before Graph when today's wipes reached the daily cap, counting only today (UTC)", async () => {
      for (const [i, at] of [
        '2026-12-07T00:00:00.000Z',
        '2026-12-07T08:00:00.000Z',
        '2026-12-06T23:59:59.000Z',
      ].entries())
        graph.put(AUDITS, { id: `a${i}`, managedDeviceId: 'other', action: 'factoryReset', requestDateTime: at });
      graph.put(AUDITS, {
        id: 'r1',
        managedDeviceId: 'other',
        action: 'removeCompanyData',
        requestDateTime: '2026-12-07T01:00:00.000Z',
      });
      const req = await request('deviceWipe', wipe());
      const refused = await executor({ dailyCaps: { wipe: 2, retire: 1000, delete: 1000 } }).execute(req);
      expect(refused).toMatchObject({ status: 'failed', retryable: false, code: 'daily_cap_reached' });
      expect(refused.detail).toMatch(/2 wipe actions today \(UTC\), its cap is 2/);
      expect(graph.writes).toEqual([]);
      // The first page (of two) holds both wipes of today: the second is not read.
      expect(refused.graph?.calls.filter((c) => c.path.endsWith('remoteActionAudits'))).toHaveLength(1);
      await expect(
        executor({ dailyCaps: { wipe: 3, retire: 1000, delete: 1000 } }).execute(req),
      ).resolves.toMatchObject({
        status: 'succeeded',
      });
    });

    it('waits Retry-After on 429 and applies the wipe exactly once', async () => {
      graph.faults.push({ status: 429, count: 2, retryAfter: '3', path: '/wipe' });
      const outcome = await executor().execute(await request('deviceWipe', wipe()));
      expect(outcome).toMatchObject({ status: 'succeeded', code: 'accepted' });
      expect(slept).toEqual([3000, 3000]);
      expect(graph.writes.map((w) => w.status)).toEqual([429, 429, 204]);
      expect(graph.effective()).toHaveLength(1);
    });

    it('backs off on 429 without Retry-After', async () => {
      graph.faults.push({ status: 429, count: 1, path: '/wipe' });
      await expect(executor().execute(await request('deviceWipe', wipe()))).resolves.toMatchObject({
        status: 'succeeded',
      });
      expect(slept).toEqual([1000]);
      expect(graph.effective()).toHaveLength(1);
    });

    it('fails retryably, applying nothing, when Retry-After is longer than it may wait', async () => {
      graph.faults.push({ status: 429, count: 1, retryAfter: '120', path: '/wipe' });
      const outcome = await executor().execute(await request('deviceWipe', wipe()));
      expect(outcome).toMatchObject({ status: 'failed', retryable: true, code: 'graph_throttled' });
      expect(slept).toEqual([]);
      expect(graph.effective()).toEqual([]);
    });

    it('after a 503 whose wipe did happen, reads the device and does not wipe again', async () => {
      graph.faults.push({ status: 503, count: 1, path: '/wipe', applied: true });
      const outcome = await executor().execute(await request('deviceWipe', wipe()));
      expect(outcome).toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(graph.writes.map((w) => `${w.method} ${w.status}`)).toEqual(['POST 503']);
      expect([...graph.collection(AUDITS).values()].filter((a) => a.action === 'factoryReset')).toHaveLength(1);
    });

    it('after a 503 whose wipe did not happen, reads the device, then sends it once more', async () => {
      graph.faults.push({ status: 503, count: 1, path: '/wipe' });
      const outcome = await executor().execute(await request('deviceWipe', wipe()));
      expect(outcome).toMatchObject({ status: 'succeeded', code: 'accepted' });
      expect(graph.writes.map((w) => w.status)).toEqual([503, 204]);
      expect([...graph.collection(AUDITS).values()]).toHaveLength(1);
    });

    it('names the missing permission on 403', async () => {
      graph.forbidden.push('/wipe');
      const outcome = await executor().execute(await request('deviceWipe', wipe()));
      expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'graph_forbidden' });
      expect(outcome.detail).toContain('DeviceManagementManagedDevices.PrivilegedOperations.All');
    });

    it('names the read permission when the audits cannot be read', async () => {
      const req = await request('deviceWipe', wipe());
      graph.forbidden.push('remoteActionAudits');
      const outcome = await executor().execute(req);
      expect(outcome).toMatchObject({ status: 'failed', code: 'graph_forbidden' });
      expect(outcome.detail).toContain('DeviceManagementManagedDevices.Read.All');
      expect(graph.writes).toEqual([]);
    });

    it.each([
      ['justification', /asked for an approval justification/],
      ['approvalRequired', /filed an Intune approval request [0-9a-f-]{36}/],
    ] as const)('recognises native Intune approval (%s) and says what to do', async (mode, what) => {
      graph.native = mode;
      const outcome = await executor().execute(await request('deviceWipe', wipe()));
      expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'native_approval_required' });
      expect(outcome.detail).toMatch(what);
      expect(outcome.detail).toContain('Exclusions');
      expect(graph.collection(DEVICES).get(DEVICE)!.managementState).toBe('managed');
    });

    it('opens the sealed macOS unlock code just before sending it', async () => {
      const sealed = sealSecret(ring, 'req-1', 'macOsUnlockCode', '123456');
      await executor().execute(await request('deviceWipe', wipe({ macOsUnlockCode: { ...sealed } })));
      expect(graph.writes[0]!.body).toEqual({ macOsUnlockCode: '123456' });
    });

    it('refuses a secret sealed for another request, sending nothing', async () => {
      const sealed = sealSecret(ring, 'req-other', 'macOsUnlockCode', '123456');
      const outcome = await executor().execute(await request('deviceWipe', wipe({ macOsUnlockCode: { ...sealed } })));
      expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'secret_unreadable' });
      expect(graph.writes).toEqual([]);
    });

    it('deletes a device, and counts a delete Intune audited after completion as its own on a second run', async () => {
      const req = await request('deviceDelete', {
        action: 'delete',
        resourceType: 'managedDevice',
        resourceId: DEVICE,
      });
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'accepted' });
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(graph.writes).toHaveLength(1);
    });

    it('refuses to count a device deleted before completion as deleted by the request', async () => {
      const req = await request('deviceDelete', {
        action: 'delete',
        resourceType: 'managedDevice',
        resourceId: DEVICE,
      });
      graph.collection(DEVICES).delete(DEVICE);
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'failed', code: 'target_changed' });
    });

    it('observes the device: pending while it has not checked in, done after, gone when its record is', async () => {
      const req = await request('deviceRetire', {
        action: 'retire',
        resourceType: 'managedDevice',
        resourceId: DEVICE,
      });
      const run = executor();
      await run.execute(req);
      await expect(run.observe(req)).resolves.toMatchObject({ state: 'pending', at: NOW.toISOString() });
      const stored = graph.collection(DEVICES).get(DEVICE)!;
      stored.deviceActionResults = [{ actionName: 'retire', actionState: 'done', startDateTime: NOW.toISOString() }];
      stored.managementState = 'retireIssued';
      await expect(run.observe(req)).resolves.toMatchObject({ state: 'done' });
      graph.collection(DEVICES).delete(DEVICE);
      await expect(run.observe(req)).resolves.toMatchObject({ state: 'gone' });
    });
  });

  describe('other objects', () => {
    beforeEach(() => {
      graph.put(CATEGORIES, {
        id: 'ca7e0000-0000-4000-8000-000000000001',
        displayName: 'Sales',
        description: 'sales',
        lastModifiedDateTime: '2026-01-01T00:00:00.000Z',
      });
      graph.put(APPS, {
        id: 'a9900a00-0000-4000-8000-000000000001',
        displayName: 'Teams',
        '@odata.type': '#microsoft.graph.win32LobApp',
        lastModifiedDateTime: '2026-01-01T00:00:00.000Z',
      });
      graph.assignments.set(`${APPS}/a9900a00-0000-4000-8000-000000000001`, [
        {
          id: 'as1',
          intent: 'required',
          target: {
            '@odata.type': '#microsoft.graph.groupAssignmentTarget',
            groupId: 'a9900000-0000-4000-8000-000000000102',
          },
        },
      ]);
    });
    const category = 'ca7e0000-0000-4000-8000-000000000001';
    const app = 'a9900a00-0000-4000-8000-000000000001';
    const update = (description: string): CatalogueOperation => ({
      action: 'update',
      resourceType: 'deviceCategory',
      resourceId: category,
      payload: { description },
    });

    it("creates once: the created object carries the request's marker, and a second run finds it instead of creating", async () => {
      const op: CatalogueOperation = {
        action: 'create',
        resourceType: 'deviceCategory',
        payload: { displayName: 'Kiosks', description: 'shared' },
      };
      const req = await request('tenantConfiguration', op, 'req-create');
      const first = await executor().execute(req);
      expect(first).toMatchObject({ status: 'succeeded', code: 'applied' });
      expect(graph.writes).toHaveLength(1);
      expect(graph.writes[0]!.body).toEqual({ displayName: 'Kiosks', description: 'shared [maa:req-create]' });
      graph.put(CATEGORIES, { id: 'x1', displayName: 'a', description: 'b' });
      graph.put(CATEGORIES, { id: 'x2', displayName: 'c', description: 'd' });
      const second = await executor().execute(req);
      expect(second).toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(graph.writes).toHaveLength(1);
    });

    it('after a create whose answer was lost, finds the created object instead of creating another', async () => {
      graph.faults.push({ status: 500, count: 1, path: 'deviceCategories', applied: true });
      const req = await request('tenantConfiguration', {
        action: 'create',
        resourceType: 'deviceCategory',
        payload: { displayName: 'Kiosks' },
      });
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect([...graph.collection(CATEGORIES).values()].filter((c) => c.displayName === 'Kiosks')).toHaveLength(1);
    });

    it('updates, verifies, and refuses with target_changed when someone else changed the object since approval', async () => {
      const req = await request('tenantConfiguration', update('new text'));
      graph.collection(CATEGORIES).get(category)!.lastModifiedDateTime = '2026-12-07T09:30:00.000Z';
      const refused = await executor().execute(req);
      expect(refused).toMatchObject({ status: 'failed', code: 'target_changed' });
      expect(refused.detail).toContain('lastModifiedDateTime');
      expect(graph.writes).toEqual([]);
      const fresh = await request('tenantConfiguration', update('new text'), 'req-2');
      await expect(executor().execute(fresh)).resolves.toMatchObject({ status: 'succeeded', code: 'applied' });
      expect(graph.collection(CATEGORIES).get(category)!.description).toBe('new text');
    });

    it('sees its own earlier update as already applied, not as drift', async () => {
      const req = await request('tenantConfiguration', update('new text'));
      await executor().execute(req);
      now = new Date(NOW.getTime() + 60_000);
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(graph.writes).toHaveLength(1);
    });

    it('retries an idempotent write after a 503 without reading first', async () => {
      graph.faults.push({ status: 503, count: 1, path: 'deviceCategories' });
      const req = await request('tenantConfiguration', update('new text'));
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'applied' });
      expect(graph.writes.map((w) => w.status)).toEqual([503, 204]);
    });

    it('gives up retryably after repeated 503s', async () => {
      graph.faults.push({ status: 503, count: 10, path: 'deviceCategories' });
      const req = await request('tenantConfiguration', update('new text'));
      await expect(executor({ maxAttempts: 3 }).execute(req)).resolves.toMatchObject({
        status: 'failed',
        retryable: true,
        code: 'graph_unavailable',
      });
      expect(graph.writes).toHaveLength(3);
    });

    it('counts a delete of an object that is already gone as done', async () => {
      const req = await request('tenantConfiguration', {
        action: 'delete',
        resourceType: 'deviceCategory',
        resourceId: category,
      });
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'applied' });
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(graph.writes).toHaveLength(1);
    });

    it("replaces an app's assignments and verifies the set", async () => {
      const wanted = {
        mobileAppAssignments: [
          {
            '@odata.type': '#microsoft.graph.mobileAppAssignment',
            intent: 'available',
            target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' },
          },
        ],
      };
      const req = await request('app', {
        action: 'assign',
        resourceType: 'mobileApp',
        resourceId: app,
        payload: wanted,
      });
      expect(req.target?.assignments).toEqual([
        {
          target: 'group',
          groupId: 'a9900000-0000-4000-8000-000000000102',
          groupName: 'Sales devices',
          intent: 'required',
        },
      ]);
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'applied' });
      // The assignment set changed (by this request): a second run sees the effect, not drift.
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(graph.writes).toHaveLength(1);
    });

    it('adds one assignment only when an equal one is not there yet', async () => {
      const one = {
        intent: 'required',
        target: {
          '@odata.type': '#microsoft.graph.groupAssignmentTarget',
          groupId: 'a9900000-0000-4000-8000-000000000102',
        },
      };
      const req = await request('app', {
        action: 'addAssignment',
        resourceType: 'mobileApp',
        resourceId: app,
        payload: one,
      });
      await expect(executor().execute(req)).resolves.toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(graph.writes).toEqual([]);
    });

    it("reports Graph's code and message, at most 512 characters, when Graph refuses the write", async () => {
      const long = 'x'.repeat(600);
      const req = await request('tenantConfiguration', update('new text'));
      graph.faults.push({ status: 400, count: 1, path: 'deviceCategories', code: 'BadRequest', message: `${long}END` });
      const outcome = await executor().execute(req);
      expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'graph_rejected' });
      expect(outcome.detail).toMatch(new RegExp(`400 BadRequest: x{512}$`));
      expect(graph.writes).toHaveLength(1);
    });

    it('fails retryably when Graph cannot be reached at all', async () => {
      const req = await request('tenantConfiguration', update('new text'));
      await graph.stop();
      const outcome = await executor().execute(req);
      expect(outcome).toMatchObject({ status: 'failed', retryable: true, code: 'graph_unavailable' });
    });

    it('fails an operation the catalogue does not have, sending nothing', async () => {
      const req = await request('role', { action: 'explode', resourceType: 'roleDefinition', resourceId: 'r1' });
      await expect(executor().execute(req)).resolves.toMatchObject({
        status: 'failed',
        retryable: false,
        code: 'unsupported_operation',
      });
      expect(graph.writes).toEqual([]);
    });
  });
});
