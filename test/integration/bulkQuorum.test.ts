import { Api, approverGroup, createPolicy } from '../support/api';
import { completeAndExecute } from '../support/localIntune';
import { intuneCalls, newDevices } from '../support/intune';
import { startRuntime } from '../support/runtime';

// Issue 15's "done when": a 37-device retire under a scope rule needs two approvals, runs device
// by device and shows each outcome; a 3-device retire under the same policy needs one.

describe('a bulk retire under a risk-based quorum (real runtime, local Intune)', () => {
  let api: Api;
  beforeAll(async () => {
    api = new Api(await startRuntime());
    await createPolicy(api, {
      displayName: 'Retiring devices needs a second admin, a third for ten or more',
      profileType: 'deviceRetire',
      approverGroupIds: [await approverGroup(api.runtime)],
      requiredApprovals: 1,
      approvalsByScope: [{ minDevices: 10, requiredApprovals: 2 }],
    });
  }, 60_000);
  afterAll(() => api.runtime.dispose());

  const devices = (prefix: string, count: number) => newDevices(api.runtime.url, prefix, count);

  const retire = (resourceIds: string[]) => ({
    profileType: 'deviceRetire',
    operation: { action: 'retire', resourceType: 'managedDevice', resourceIds },
    justification: 'Leavers of December (HR-2026-12)',
  });

  it('says before submit that 37 devices need 2 approvals, and why', async () => {
    const ids = await devices('LT-DRY', 37);
    const dry = await api.call('alice', 'POST', 'requests/evaluate', retire(ids));
    expect(dry.status).toBe(200);
    expect(dry.body.requiredApprovals).toBe(2);
    expect(dry.body.why).toContain('37 devices');
  }, 60_000);

  it('needs 2 approvals for 37 devices, then retires each once and shows every outcome', async () => {
    const ids = await devices('LT-QUORUM', 37);
    const submitted = await api.call('alice', 'POST', 'requests', retire(ids));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    const request = (await api.call('bob', 'GET', `requests/${id}`)).body;
    expect(request.policy).toMatchObject({
      requiredApprovals: 2,
      quorum: { baseApprovals: 1, scope: { devices: 37 }, text: expect.stringContaining('37 devices') },
    });

    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'list checked' })).status).toBe(200);
    const once = await api.until('alice', id, (r) => r.decisions.length === 1);
    expect(once.status).toBe('needsApproval');
    // One approval is not enough: completing is refused, and nothing reached Intune.
    expect((await api.call('alice', 'POST', `requests/${id}/complete`)).body.code).toBe('invalid_state');

    expect((await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'HR list matches' })).status).toBe(200);
    await api.until('alice', id, (r) => r.status === 'approved');
    const done = await completeAndExecute(api, id, 60_000);
    expect(done.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
    expect(done.execution.devices.map((d: { resourceId: string; code: string }) => [d.resourceId, d.code])).toEqual(
      ids.map((device) => [device, 'accepted']),
    );
    const retires = (await intuneCalls(api.runtime.url)).filter(
      (call) => call.method === 'POST' && call.path.endsWith('/retire') && ids.some((d) => call.path.includes(d)),
    );
    expect(retires.map((call) => call.path.split('/').at(-2))).toEqual(ids);
  }, 120_000);

  it('refuses a bulk whose raised quorum nobody could reach (no_eligible_approver), holding nothing', async () => {
    await createPolicy(api, {
      displayName: 'Deleting devices: three approvals from two devices',
      profileType: 'deviceDelete',
      approverGroupIds: [await approverGroup(api.runtime)],
      approvalsByScope: [{ minDevices: 2, requiredApprovals: 3 }],
    });
    const ids = await devices('LT-DELETE', 2);
    const remove = (operation: Record<string, unknown>) => ({
      profileType: 'deviceDelete',
      operation: { action: 'delete', resourceType: 'managedDevice', ...operation },
      justification: 'Duplicate records',
    });
    // bob and carol approve: two others than alice, three needed.
    const refused = await api.call('alice', 'POST', 'requests', remove({ resourceIds: ids }));
    expect(refused).toMatchObject({ status: 422, body: { code: 'no_eligible_approver' } });
    expect(refused.body.detail).toContain('needs 3 approvals');
    // Nothing was held: one device alone needs the policy's own approval and is accepted.
    const single = await api.call('alice', 'POST', 'requests', remove({ resourceId: ids[0] }));
    expect(single.status).toBe(202);
    expect(single.body.policy.requiredApprovals).toBe(1);
  }, 60_000);

  it('needs only the policy’s own approval for 3 devices', async () => {
    const ids = await devices('LT-FEW', 3);
    const submitted = await api.call('alice', 'POST', 'requests', retire(ids));
    expect(submitted.status).toBe(202);
    expect(submitted.body.policy.requiredApprovals).toBe(1);
    expect(submitted.body.policy.quorum).toBeUndefined();
  }, 60_000);
});
