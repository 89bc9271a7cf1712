import { Api } from '../support/api';
import { intuneCalls, SEEDED } from '../support/intune';
import { protect } from '../support/localIntune';
import { startRuntime } from '../support/runtime';

const DEVICE = SEEDED.devices.aliceLaptop;
const wipe = (justification = 'Laptop reported stolen') => ({
  profileType: 'deviceWipe',
  justification,
  operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: DEVICE, payload: { keepUserData: false } },
});

/** A dry run through HTTP against the local runtime: it answers, and the store and the tenant stay as they were. */
describe('POST /api/requests/evaluate', () => {
  let api: Api;

  beforeAll(async () => {
    api = new Api(await startRuntime());
  }, 60_000);
  afterAll(() => api.runtime.dispose());

  const everything = async () => ({
    requests: (await api.call('olga', 'GET', 'requests?view=all')).body.items,
    calls: await intuneCalls(api.runtime.url),
  });

  it('evaluates a wipe of a seeded device before and after a policy protects wipes, writing nothing', async () => {
    const before = await everything();

    const unprotected = await api.call('alice', 'POST', 'requests/evaluate', wipe());
    expect(unprotected.status).toBe(200);
    expect(unprotected.body).toMatchObject({ protected: false, approvers: [], target: { id: DEVICE } });
    expect(await everything()).toEqual(before);

    await protect(api, 'deviceWipe');
    const protectedBefore = await everything();
    const evaluated = await api.call('alice', 'POST', 'requests/evaluate', wipe());

    expect(evaluated.status).toBe(200);
    expect(evaluated.body).toMatchObject({
      protected: true,
      policy: { displayName: 'deviceWipe needs a second admin', version: 1 },
      requiredApprovals: 1,
      target: { resourceType: 'managedDevice', id: DEVICE, displayName: 'LT-ALICE-01' },
      calls: [
        {
          method: 'POST',
          path: `/v1.0/deviceManagement/managedDevices/${DEVICE}/wipe`,
          body: { keepUserData: false },
        },
      ],
    });
    expect(evaluated.body.approvers.map((approver: { id: string }) => approver.id)).toHaveLength(2);
    expect(evaluated.body.operationHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await everything()).toEqual(protectedBefore);
  });

  it('refuses what submit refuses: a bad body (400 with the field), no MAA.Requester (403), an unknown device (422)', async () => {
    const bad = await api.call('alice', 'POST', 'requests/evaluate', wipe(''));
    expect(bad.status).toBe(400);
    const submitted = await api.call('alice', 'POST', 'requests', wipe(''));
    expect(bad.body.errors.length).toBeGreaterThan(0);
    expect(bad.body.errors).toEqual(submitted.body.errors);

    expect((await api.call('dave', 'POST', 'requests/evaluate', wipe())).status).toBe(403);

    const unknown = await api.call('alice', 'POST', 'requests/evaluate', {
      ...wipe(),
      operation: { ...wipe().operation, resourceId: 'd3a1c0de-0000-4000-8000-0000000000ff' },
    });
    expect(unknown).toMatchObject({ status: 422, body: { code: 'target_not_found' } });
  });
});
