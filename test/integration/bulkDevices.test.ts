import { Api, advanceClock, trailUntil } from '../support/api';
import { completeAndExecute, injectFault, protect, submitApproved, tenantObject } from '../support/localIntune';
import { intuneCalls, newDevices, SEEDED, type IntuneCall } from '../support/intune';
import { eventually } from '../support/maa';
import { startRuntime } from '../support/runtime';

const bulk = (profileType: string, action: string, resourceIds: string[], more: Record<string, unknown> = {}) => ({
  profileType,
  operation: { action, resourceType: 'managedDevice', resourceIds, ...more },
  justification: 'Leavers of December (HR-2026-12)',
});
const retire = (resourceIds: string[]) => bulk('deviceRetire', 'retire', resourceIds);

const writesOn = (calls: IntuneCall[], device: string) =>
  calls.filter((call) => call.path.includes(`/managedDevices/${device}`) && call.status >= 200 && call.status < 300);

/** Where the local tenant can be changed behind the service's back. */
async function local(api: Api, method: string, route: string, body?: unknown): Promise<number> {
  const response = await fetch(`${api.runtime.url}/_local/intune/${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return response.status;
}

describe('bulk device actions on the real runtime (manual clock)', () => {
  let api: Api;
  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } }));
    await protect(api, 'deviceRetire', 'deviceWipe', 'deviceDelete');
  }, 60_000);
  afterAll(() => api.runtime.dispose());

  const devices = (prefix: string, count: number) => newDevices(api.runtime.url, prefix, count);

  it('retires 37 devices one by one, once each, shows each outcome, then observes every device', async () => {
    const ids = await devices('LT-LEAVER', 37);
    const id = await submitApproved(api, retire(ids.map((one) => one.toUpperCase())));
    const submitted = (await api.call('alice', 'GET', `requests/${id}`)).body;
    expect(submitted.operation.resourceIds).toEqual(ids);
    expect(submitted.targets.map((target: { id: string; displayName: string }) => target.id)).toEqual(ids);
    expect(submitted.targets[36].displayName).toBe('LT-LEAVER-37');
    expect(submitted.target).toBeUndefined();

    const done = await completeAndExecute(api, id, 60_000);
    expect(done.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(done.execution.devices).toHaveLength(37);
    expect(done.execution.devices).toEqual(
      ids.map((device, n) =>
        expect.objectContaining({
          resourceId: device,
          displayName: `LT-LEAVER-${String(n + 1).padStart(2, '0')}`,
          status: 'succeeded',
          code: 'accepted',
        }),
      ),
    );
    const calls = await intuneCalls(api.runtime.url);
    for (const device of ids)
      expect(writesOn(calls, device).map((call) => `${call.method} ${call.path}`)).toEqual([
        `POST /v1.0/deviceManagement/managedDevices/${device}/retire`,
      ]);
    // Device by device: the retires reached the tenant in the request's order.
    const retires = calls.filter(
      (call) => call.path.endsWith('/retire') && ids.some((device) => call.path.includes(device)),
    );
    expect(retires.map((call) => call.path.split('/').at(-2))).toEqual(ids);
    expect(done.execution.graph.calls.filter((call: { method: string }) => call.method === 'POST')).toHaveLength(37);

    // The tenant finishes retires after its device delay; the follow-up looks every 15 minutes.
    await advanceClock(api.runtime, 'PT16M');
    const observed = await api.until('alice', id, (request) => request.execution?.device !== undefined);
    expect(observed.execution.device).toMatchObject({ state: 'done' });
    expect(observed.execution.devices.map((device: { device?: { state: string } }) => device.device?.state)).toEqual(
      ids.map(() => 'done'),
    );
    const trail = await trailUntil(api, 'alice', id, (items) =>
      items.some((item) => item.type === 'execution.observed'),
    );
    expect(trail.chainValid).toBe(true);
    const executed = trail.items.find((item) => item.type === 'execution.succeeded')!;
    expect((executed.data.devices as unknown[]).length).toBe(37);
    expect(executed.data.devices).toContainEqual(expect.objectContaining({ resourceId: ids[0], code: 'accepted' }));
    const observation = trail.items.filter((item) => item.type === 'execution.observed');
    expect(observation).toHaveLength(1);
    expect((observation[0]!.data.devices as unknown[]).length).toBe(37);
  }, 120_000);

  it('goes on past a device renamed after submit and one that is gone: the others still run', async () => {
    const ids = await devices('LT-MIXED', 4);
    const id = await submitApproved(api, retire(ids));
    expect(await local(api, 'PATCH', `managedDevices/${ids[1]}`, { deviceName: 'LT-SOMEONE-ELSE' })).toBe(200);
    expect(await local(api, 'DELETE', `managedDevices/${ids[2]}`)).toBe(204);
    const done = await completeAndExecute(api, id, 60_000);
    expect(done.execution).toMatchObject({ status: 'failed', code: 'partially_applied' });
    expect(done.execution.devices.map((device: { code: string }) => device.code)).toEqual([
      'accepted',
      'target_changed',
      'target_changed',
      'accepted',
    ]);
    const calls = await intuneCalls(api.runtime.url);
    expect(writesOn(calls, ids[0]!)).toHaveLength(1);
    expect(writesOn(calls, ids[1]!)).toEqual([]);
    expect(writesOn(calls, ids[2]!)).toEqual([]);
    expect(writesOn(calls, ids[3]!)).toHaveLength(1);
    expect(await tenantObject(api.runtime, 'managedDevice', ids[1]!)).toMatchObject({ managementState: 'managed' });
    // The accepted devices are still followed up; those refused are not observed.
    await advanceClock(api.runtime, 'PT16M');
    const observed = await api.until('alice', id, (request) => request.execution?.device !== undefined);
    expect(observed.execution.devices.map((device: { device?: { state: string } }) => device.device?.state)).toEqual([
      'done',
      undefined,
      undefined,
      'done',
    ]);
  }, 120_000);

  it('records a run Graph stopped with every device and call, observes the accepted devices, and a re-drive sends nothing twice', async () => {
    const ids = await devices('LT-STOPPED', 4);
    const id = await submitApproved(api, bulk('deviceWipe', 'wipe', ids));
    // Every attempt at the third device's wipe within the execution answers 503 (the client's own retries included).
    await injectFault(api.runtime, { status: 503, count: 4, path: `${ids[2]}/wipe` });
    const done = await completeAndExecute(api, id, 60_000);
    // Recorded at once, not thrown and retried into a bare "gave up after retries".
    expect(done.execution).toMatchObject({ status: 'failed', code: 'partially_applied' });
    expect(done.execution.detail).toContain('stopped at a device that failed graph_unavailable');
    expect(done.execution.devices.map((device: { code: string }) => device.code)).toEqual([
      'accepted',
      'accepted',
      'graph_unavailable',
      'graph_unavailable',
    ]);
    expect(done.execution.devices[3].detail).toMatch(/^not attempted/);
    const posts = done.execution.graph.calls.filter((call: { method: string }) => call.method === 'POST');
    expect(posts.slice(0, 2).map((call: { status: number }) => call.status)).toEqual([204, 204]);
    expect(posts.slice(2).every((call: { status: number; path: string }) => call.status === 503)).toBe(true);
    const calls = await intuneCalls(api.runtime.url);
    expect(writesOn(calls, ids[0]!)).toHaveLength(1);
    expect(writesOn(calls, ids[1]!)).toHaveLength(1);
    expect(writesOn(calls, ids[2]!)).toEqual([]);
    // Graph was unwell: nothing was sent to the device after the one that failed.
    expect(calls.filter((call) => call.path.includes(ids[3]!))).toEqual([]);

    // The accepted devices are followed up as in any partial run.
    await advanceClock(api.runtime, 'PT16M');
    const observed = await api.until('alice', id, (request) => request.execution?.device !== undefined);
    expect(observed.execution.devices.map((device: { device?: { state: string } }) => device.device?.state)).toEqual([
      'done',
      'done',
      undefined,
      undefined,
    ]);

    // An operator's re-drive runs the bulk again: the devices already done are already_applied.
    let claimed = 0;
    await eventually(
      async () => {
        claimed = (await api.call('olga', 'POST', `ops/requests/${id}/redrive`, { reason: 'Graph is back (INC-77)' }))
          .status;
        return claimed === 202;
      },
      're-drive accepted',
      15_000,
    );
    const redriven = await api.until('alice', id, (request) => request.redrive?.running === false);
    expect(redriven.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(redriven.execution.devices.map((device: { code: string }) => device.code)).toEqual([
      'already_applied',
      'already_applied',
      'accepted',
      'accepted',
    ]);
    const after = await intuneCalls(api.runtime.url);
    for (const device of ids) expect(writesOn(after, device)).toHaveLength(1);
  }, 120_000);

  it('holds every device: a request on any of them is refused with entity_locked naming it, and nothing is held', async () => {
    const ids = await devices('LT-LOCK', 3);
    const first = await api.call('alice', 'POST', 'requests', retire([ids[0]!, ids[1]!]));
    expect(first.status).toBe(202);
    const single = await api.call('bob', 'POST', 'requests', {
      profileType: 'deviceRetire',
      operation: { action: 'retire', resourceType: 'managedDevice', resourceId: ids[1] },
      justification: 'Leaver',
    });
    expect(single).toMatchObject({ status: 409, body: { code: 'entity_locked' } });
    const overlapping = await api.call('bob', 'POST', 'requests', retire([ids[2]!, ids[1]!]));
    expect(overlapping).toMatchObject({ status: 409, body: { code: 'entity_locked' } });
    expect(overlapping.body.detail).toContain(ids[1]);
    expect(overlapping.body.detail).not.toContain(ids[2]);
    // All or nothing: the refused request holds none of its devices.
    expect((await api.call('bob', 'POST', 'requests', retire([ids[2]!]))).status).toBe(202);
  });

  it('answers a dry run with every device snapshotted and one call per device, holding nothing', async () => {
    const ids = [SEEDED.devices.carolIphone, SEEDED.devices.daveAndroid];
    const answer = await api.call('alice', 'POST', 'requests/evaluate', retire(ids));
    expect(answer.status).toBe(200);
    expect(answer.body.targets.map((target: { displayName: string }) => target.displayName)).toEqual([
      'IPH-CAROL-01',
      'AND-DAVE-01',
    ]);
    expect(answer.body.calls).toEqual(
      ids.map((device) => ({ method: 'POST', path: `/v1.0/deviceManagement/managedDevices/${device}/retire` })),
    );
    expect((await api.call('alice', 'POST', 'requests', retire(ids))).status).toBe(202);
  });

  describe('bad input, refused with nothing written', () => {
    let before: number;
    beforeEach(async () => {
      before = (await api.call('alice', 'GET', 'requests?view=mine&top=100')).body.items.length;
    });
    afterEach(async () => {
      expect((await api.call('alice', 'GET', 'requests?view=mine&top=100')).body.items).toHaveLength(before);
    });

    const guid = (n: number) => `b0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const fields = (body: { errors?: { path: string }[] }) =>
      (body.errors ?? []).map((error) => error.path.replace(/^body\./, ''));

    it.each<[string, () => unknown, string[]]>([
      [
        'duplicates',
        () => retire([SEEDED.devices.aliceLaptop, SEEDED.devices.aliceLaptop.toUpperCase()]),
        ['operation.resourceIds.1'],
      ],
      ['over 100 devices', () => retire(Array.from({ length: 101 }, (_, n) => guid(n + 1))), ['operation.resourceIds']],
      ['no device', () => retire([]), ['operation.resourceIds']],
      [
        'both resourceId and resourceIds',
        () => bulk('deviceRetire', 'retire', [SEEDED.devices.bobMac], { resourceId: SEEDED.devices.aliceLaptop }),
        ['operation.resourceId'],
      ],
      [
        'mixed actions',
        () => bulk('deviceRetire', 'wipe', [SEEDED.devices.bobMac]),
        ['operation.action', 'operation.resourceIds'],
      ],
      ['non-GUIDs', () => retire([SEEDED.devices.bobMac, 'LT-ALICE-01']), ['operation.resourceIds.1']],
      [
        'an action that does not allow bulk',
        () => ({
          profileType: 'app',
          operation: { action: 'delete', resourceType: 'mobileApp', resourceIds: [SEEDED.mobileApps[0]] },
          justification: 'Old app',
        }),
        ['operation.resourceIds'],
      ],
    ])('%s: 400 validation_failed with field errors', async (_, body, paths) => {
      for (const route of ['requests', 'requests/evaluate']) {
        const answer = await api.call('alice', 'POST', route, body());
        expect(answer).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
        expect(fields(answer.body)).toEqual(paths);
      }
    });

    it('an unknown device: 422 target_not_found naming every unknown id', async () => {
      const answer = await api.call('alice', 'POST', 'requests', retire([guid(7), SEEDED.devices.olgaLaptop, guid(9)]));
      expect(answer).toMatchObject({ status: 422, body: { code: 'target_not_found' } });
      expect(answer.body.detail).toContain(guid(7));
      expect(answer.body.detail).toContain(guid(9));
      expect(answer.body.detail).not.toContain(SEEDED.devices.olgaLaptop);
    });
  });
});
