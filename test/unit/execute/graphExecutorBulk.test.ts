import type { ApprovalRequest, ProfileType, TargetSnapshot } from '../../../shared/domain/model';
import { GraphExecutor, type GraphExecutorSettings } from '../../../shared/execute/graphExecutor';
import { clientRequestIdFor } from '../../../shared/intune/graphClient';
import { GraphTargetReader } from '../../../shared/intune/targetReader';
import type { AppKeyRing } from '../../../shared/keys/appKey';
import { GraphServer } from '../intune/graphServer';

const DEVICES = '/deviceManagement/managedDevices';
const AUDITS = '/deviceManagement/remoteActionAudits';
const NOW = new Date('2026-12-07T10:00:00.000Z');
const ring: AppKeyRing = { current: { id: 'k1', secret: Buffer.alloc(32, 7) } };
const settings: GraphExecutorSettings = {
  dailyCaps: { wipe: 500, retire: 1000, delete: 1000 },
  followUpEveryMs: 15 * 60_000,
  followUpForMs: 7 * 86_400_000,
  maxRetryAfterMs: 30_000,
};

const deviceId = (n: number) => `b0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function device(n: number, overrides: Record<string, unknown> = {}) {
  return {
    id: deviceId(n),
    deviceName: `LT-BULK-${n}`,
    userPrincipalName: `user${n}@maa.test`,
    userDisplayName: `User ${n}`,
    operatingSystem: 'Windows',
    osVersion: '10.0.22631.4602',
    serialNumber: `SN-${n}`,
    managedDeviceOwnerType: 'company',
    complianceState: 'compliant',
    lastSyncDateTime: '2026-12-07T09:00:00.000Z',
    managementState: 'managed',
    deviceActionResults: [],
    ...overrides,
  };
}

describe('the Graph executor on a bulk device action', () => {
  let graph: GraphServer;
  let now: Date;

  beforeEach(async () => {
    graph = await new GraphServer().start();
    now = new Date(NOW);
    graph.now = () => now;
    for (let n = 1; n <= 5; n++) graph.put(DEVICES, device(n));
  });
  afterEach(() => graph.stop());

  const executor = (overrides: Partial<GraphExecutorSettings> = {}) =>
    new GraphExecutor({
      client: graph.client(),
      appKeys: ring,
      now: () => now,
      settings: { ...settings, ...overrides },
      sleep: async () => undefined,
    });

  /** A completed bulk request for devices `ns`, each snapshotted through the same Graph as submit does. */
  async function bulk(profileType: ProfileType, action: string, ns: number[]): Promise<ApprovalRequest> {
    const reader = new GraphTargetReader(graph.client(), () => now);
    const targets: TargetSnapshot[] = [];
    for (const n of ns)
      targets.push(
        (await reader.read(profileType, { action, resourceType: 'managedDevice', resourceId: deviceId(n) }))!,
      );
    return {
      id: 'bulk-1',
      profileType,
      operation: { action, resourceType: 'managedDevice', resourceIds: ns.map(deviceId) },
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
      targets,
    };
  }

  const writesTo = (n: number) => graph.effective().filter((write) => write.path.includes(deviceId(n)));

  it('retires each device once, in order, each with its own client-request-id, and reports every outcome', async () => {
    const request = await bulk('deviceRetire', 'retire', [3, 1, 2]);
    const outcome = await executor().execute(request);
    expect(outcome).toMatchObject({ status: 'succeeded', code: 'accepted', followUp: expect.any(Object) });
    expect(outcome.devices).toEqual(
      [3, 1, 2].map((n) =>
        expect.objectContaining({
          resourceId: deviceId(n),
          displayName: `LT-BULK-${n}`,
          status: 'succeeded',
          code: 'accepted',
        }),
      ),
    );
    expect(graph.effective().map((write) => `${write.method} ${write.path}`)).toEqual(
      [3, 1, 2].map((n) => `POST /v1.0${DEVICES}/${deviceId(n)}/retire`),
    );
    for (const n of [3, 1, 2])
      expect(writesTo(n)[0]!.clientRequestId).toBe(clientRequestIdFor(`bulk-1/${deviceId(n)}`));
    expect(outcome.graph?.clientRequestId).toBe(clientRequestIdFor('bulk-1'));
    expect(outcome.graph?.calls.filter((call) => call.method === 'POST')).toHaveLength(3);
    // The audits are read once for the whole bulk, not once per device.
    expect(outcome.graph?.calls.filter((call) => call.path.includes('remoteActionAudits'))).toHaveLength(1);
  });

  it('goes on past a device that drifted and one that is gone, and reports the run as partially applied', async () => {
    const request = await bulk('deviceRetire', 'retire', [1, 2, 3, 4]);
    graph.collection(DEVICES).get(deviceId(2))!.deviceName = 'LT-SOMEONE-ELSE';
    graph.collection(DEVICES).delete(deviceId(3));
    const outcome = await executor().execute(request);
    expect(outcome).toMatchObject({
      status: 'failed',
      retryable: false,
      code: 'partially_applied',
      followUp: expect.any(Object),
    });
    expect(outcome.devices?.map((one) => `${one.status} ${one.code}`)).toEqual([
      'succeeded accepted',
      'failed target_changed',
      'failed target_changed',
      'succeeded accepted',
    ]);
    expect(outcome.devices?.[1]?.detail).toContain('deviceName');
    expect(writesTo(1)).toHaveLength(1);
    expect(writesTo(2)).toHaveLength(0);
    expect(writesTo(4)).toHaveLength(1);
  });

  it('gives the common code when no device succeeded', async () => {
    const request = await bulk('deviceRetire', 'retire', [1, 2]);
    for (const n of [1, 2]) graph.collection(DEVICES).get(deviceId(n))!.deviceName = 'renamed';
    await expect(executor().execute(request)).resolves.toMatchObject({ status: 'failed', code: 'target_changed' });
    expect(graph.effective()).toEqual([]);
  });

  it('counts a bulk of N as N against the daily cap: devices past it get daily_cap_reached and nothing is sent to them', async () => {
    graph.put(AUDITS, {
      id: 'a1',
      managedDeviceId: 'other',
      action: 'removeCompanyData',
      requestDateTime: '2026-12-07T01:00:00.000Z',
    });
    const request = await bulk('deviceRetire', 'retire', [1, 2, 3, 4]);
    const outcome = await executor({ dailyCaps: { wipe: 500, retire: 3, delete: 1000 } }).execute(request);
    expect(outcome).toMatchObject({ status: 'failed', code: 'partially_applied' });
    expect(outcome.devices?.map((one) => one.code)).toEqual([
      'accepted',
      'accepted',
      'daily_cap_reached',
      'daily_cap_reached',
    ]);
    expect(graph.effective()).toHaveLength(2);
  });

  it('stops at a device Graph keeps failing but answers a final failure with every device, every call and the follow-up; a re-drive sends nothing twice', async () => {
    const request = await bulk('deviceWipe', 'wipe', [1, 2, 3, 4]);
    // Two devices get through, then Graph is down for the third past the client's own retries.
    graph.faults.push({ status: 503, count: 100, path: `${deviceId(3)}/wipe` });
    const first = await executor({ maxAttempts: 2 }).execute(request);
    // Never retryable: the activity returns it, so the orchestration records it and observes the accepted devices.
    expect(first).toMatchObject({
      status: 'failed',
      retryable: false,
      code: 'partially_applied',
      followUp: expect.any(Object),
    });
    expect(first.detail).toContain('stopped at a device that failed graph_unavailable');
    expect(first.devices?.map((one) => `${one.status} ${one.code}`)).toEqual([
      'succeeded accepted',
      'succeeded accepted',
      'failed graph_unavailable',
      'failed graph_unavailable',
    ]);
    expect(first.devices?.[3]?.detail).toMatch(/^not attempted/);
    // Graph is unwell: nothing is sent to the devices after the one that failed.
    expect(graph.effective()).toHaveLength(2);
    expect(writesTo(4)).toEqual([]);
    expect(first.graph?.calls.filter((call) => call.method === 'POST').map((call) => call.status)).toEqual([
      204, 204, 503, 503,
    ]);
    graph.faults.length = 0;
    const again = await executor().execute(request);
    expect(again).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(again.devices?.map((one) => one.code)).toEqual([
      'already_applied',
      'already_applied',
      'accepted',
      'accepted',
    ]);
    for (const n of [1, 2, 3, 4]) expect(writesTo(n)).toHaveLength(1);
  });

  it('marks every device failed with the code when the first one stops the run, and is still not retryable', async () => {
    const request = await bulk('deviceRetire', 'retire', [1, 2, 3]);
    graph.faults.push({ status: 503, count: 100, path: `${deviceId(1)}/retire` });
    const outcome = await executor({ maxAttempts: 2 }).execute(request);
    expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'graph_unavailable' });
    expect(outcome.followUp).toBeUndefined();
    expect(outcome.devices?.map((one) => one.code)).toEqual([
      'graph_unavailable',
      'graph_unavailable',
      'graph_unavailable',
    ]);
    expect(outcome.devices?.[2]?.detail).toMatch(/^not attempted/);
    expect(graph.effective()).toEqual([]);
  });

  it('throttling past the bound on one device stops the run the same way, not retryable', async () => {
    const request = await bulk('deviceRetire', 'retire', [1, 2, 3]);
    graph.faults.push({ status: 429, count: 100, path: `${deviceId(2)}/retire`, retryAfter: '120' });
    const outcome = await executor().execute(request);
    expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'partially_applied' });
    expect(outcome.devices?.map((one) => one.code)).toEqual(['accepted', 'graph_throttled', 'graph_throttled']);
    expect(graph.effective()).toHaveLength(1);
  });

  it('sends nothing again to a device Intune audited since the completion, even while the device does not show the action yet', async () => {
    const request = await bulk('deviceWipe', 'wipe', [1, 2, 3]);
    const run = executor();
    await expect(run.execute(request)).resolves.toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(graph.effective()).toHaveLength(3);
    // The host crashed before the outcome was recorded, and Intune does not show the wipes on the devices yet.
    for (const n of [1, 2, 3]) {
      const stored = graph.collection(DEVICES).get(deviceId(n))!;
      stored.managementState = 'managed';
      stored.deviceActionResults = [];
    }
    now = new Date(NOW.getTime() + 60_000);
    const again = await run.execute(request);
    expect(again).toMatchObject({ status: 'succeeded', code: 'accepted', followUp: expect.any(Object) });
    expect(again.devices?.map((one) => one.code)).toEqual(['already_applied', 'already_applied', 'already_applied']);
    expect(again.devices?.[0]?.detail).toContain('Intune audited a wipe');
    expect(graph.effective()).toHaveLength(3);
    // No extra call: the audits the daily cap reads anyway, read from the start once per run (the fake
    // serves two a page).
    const firstPages = graph.reads.filter((read) => read.path.includes(AUDITS) && !read.path.includes('skiptoken'));
    expect(firstPages).toHaveLength(2);
    expect(again.graph?.calls.filter((call) => call.path.includes('remoteActionAudits'))).toHaveLength(2);
    expect(again.graph?.calls.filter((call) => call.method !== 'GET')).toEqual([]);
  });

  it('counts only audits since the completion as an earlier attempt: an older wipe of the device is not this request', async () => {
    graph.put(AUDITS, {
      id: 'earlier',
      managedDeviceId: deviceId(1),
      action: 'factoryReset',
      requestDateTime: '2026-12-07T08:00:00.000Z',
    });
    graph.put(AUDITS, {
      id: 'other-action',
      managedDeviceId: deviceId(2),
      action: 'removeCompanyData',
      requestDateTime: NOW.toISOString(),
    });
    const request = await bulk('deviceWipe', 'wipe', [1, 2]);
    const outcome = await executor().execute(request);
    expect(outcome.devices?.map((one) => one.code)).toEqual(['accepted', 'accepted']);
    expect(graph.effective()).toHaveLength(2);
  });

  it('reads the audits once even when Graph refuses them: every device graph_forbidden, nothing sent', async () => {
    graph.forbidden.push('remoteActionAudits');
    const request = await bulk('deviceRetire', 'retire', [1, 2, 3]);
    const outcome = await executor().execute(request);
    expect(outcome).toMatchObject({ status: 'failed', retryable: false, code: 'graph_forbidden' });
    expect(outcome.graph?.calls.filter((call) => call.path.includes('remoteActionAudits'))).toHaveLength(1);
    expect(graph.effective()).toEqual([]);
  });

  it('deletes devices one by one and sees its own earlier deletes on a second run', async () => {
    const request = await bulk('deviceDelete', 'delete', [4, 5]);
    await expect(executor().execute(request)).resolves.toMatchObject({ status: 'succeeded', code: 'accepted' });
    const again = await executor().execute(request);
    expect(again.devices?.map((one) => one.code)).toEqual(['already_applied', 'already_applied']);
    expect(graph.effective().map((write) => write.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('observes each accepted device and summarises: pending while any is, then their common state', async () => {
    const request = await bulk('deviceRetire', 'retire', [1, 2, 3]);
    graph.collection(DEVICES).get(deviceId(3))!.deviceName = 'renamed';
    const run = executor();
    const outcome = await run.execute(request);
    const executed: ApprovalRequest = {
      ...request,
      execution: { status: 'failed', at: NOW.toISOString(), detail: outcome.detail, devices: outcome.devices! },
    };
    const pending = await run.observe(executed);
    expect(pending).toMatchObject({ state: 'pending' });
    expect(pending.devices?.map((one) => one.resourceId)).toEqual([deviceId(1), deviceId(2)]);
    for (const n of [1, 2]) {
      const stored = graph.collection(DEVICES).get(deviceId(n))!;
      stored.deviceActionResults = [{ actionName: 'retire', actionState: 'done', startDateTime: NOW.toISOString() }];
      stored.managementState = 'retireIssued';
      if (n === 1) await expect(run.observe(executed)).resolves.toMatchObject({ state: 'pending' });
    }
    const settled = await run.observe(executed);
    expect(settled).toMatchObject({ state: 'done', detail: '2 device(s) observed: 2 done' });
    expect(settled.devices?.map((one) => one.outcome.state)).toEqual(['done', 'done']);
    // A wiped or retired device may leave Intune: done and gone together are done.
    graph.collection(DEVICES).delete(deviceId(2));
    const left = await run.observe(executed);
    expect(left).toMatchObject({ state: 'done', detail: '2 device(s) observed: 1 done, 1 gone' });
  });

  it('observes every accepted device even when one cannot be read: that one is unknown with the reason', async () => {
    const request = await bulk('deviceRetire', 'retire', [1, 2, 3]);
    const run = executor();
    const outcome = await run.execute(request);
    const executed: ApprovalRequest = {
      ...request,
      execution: { status: 'succeeded', at: NOW.toISOString(), detail: outcome.detail, devices: outcome.devices! },
    };
    graph.faults.push({ status: 503, count: 1000, path: `${DEVICES}/${deviceId(2)}`, reads: true });
    const pending = await run.observe(executed);
    expect(pending).toMatchObject({ state: 'pending' });
    expect(pending.devices?.map((one) => one.outcome.state)).toEqual(['pending', 'unknown', 'pending']);
    expect(pending.devices?.[1]?.outcome.detail).toMatch(/could not be read: .*503/);
    for (const n of [1, 3]) {
      const stored = graph.collection(DEVICES).get(deviceId(n))!;
      stored.deviceActionResults = [{ actionName: 'retire', actionState: 'done', startDateTime: NOW.toISOString() }];
    }
    const settled = await run.observe(executed);
    expect(settled).toMatchObject({ state: 'unknown', detail: '3 device(s) observed: 2 done, 1 unknown' });
    expect(settled.devices?.map((one) => one.outcome.state)).toEqual(['done', 'unknown', 'done']);
    // Not one device readable: Graph is down, the observation throws so it is tried again whole.
    graph.faults.push({ status: 503, count: 1000, path: DEVICES, reads: true });
    await expect(run.observe(executed)).rejects.toThrow(/503/);
  });
});
