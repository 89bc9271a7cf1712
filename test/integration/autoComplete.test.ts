/**
 * Risk-based quorum fields and completion on approval through the real runtime over HTTP: a
 * deviceWipe policy with `completion: onApproval` and a scope rule shows them (and its requests'
 * snapshots carry them); bob's approval sends the wipe to the local tenant without alice
 * completing, alice's mailbox has the "what ran" mail, and the trail has `request.completed` with
 * no actor. Bad policy bodies are 400 with field errors; onApproval for a release-only profile
 * type is 422 `auto_complete_unavailable`. Nothing is written for a refused body.
 */
import { Api, approverGroup, createPolicy } from '../support/api';
import { wipeBody } from '../support/builders';
import { deviceWrites, newDevice, SEEDED } from '../support/intune';
import { startRuntime } from '../support/runtime';

jest.setTimeout(60_000);

interface Mail {
  to: string;
  subject: string;
  text: string;
}

describe('auto-complete and scope rules on the local runtime', () => {
  let api: Api;
  let group: string;
  let policyId: string;

  beforeAll(async () => {
    // deviceRetire is release only here: nothing runs on completion.
    // Role changes show at once (no directory cache): a case takes MAA.Requester from alice.
    api = new Api(
      await startRuntime({ env: { MAA_RELEASE_ONLY_PROFILE_TYPES: 'deviceRetire', MAA_GROUP_CACHE_SECONDS: '0' } }),
    );
    group = await approverGroup(api.runtime);
    policyId = (
      await createPolicy(api, {
        displayName: 'Wipes run on approval',
        profileType: 'deviceWipe',
        approverGroupIds: [group],
        approvalsByScope: [{ minDevices: 2, requiredApprovals: 2 }],
        completion: 'onApproval',
        executeWithin: 'PT4H',
      })
    ).id;
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  it('shows the scope rule, completion and window on the policy and in a request’s snapshot', async () => {
    const policy = await api.call('alice', 'GET', `policies/${policyId}`);
    expect(policy.status).toBe(200);
    expect(policy.body).toMatchObject({
      approvalsByScope: [{ minDevices: 2, requiredApprovals: 2 }],
      completion: 'onApproval',
      executeWithin: 'PT4H',
    });

    const device = await newDevice(api.runtime.url, 'scope-snapshot-1');
    const dryRun = await api.call('alice', 'POST', 'requests/evaluate', wipeBody(device));
    expect(dryRun.status).toBe(200);
    // One device: the rule for two or more does not raise the policy's one approval.
    expect(dryRun.body.requiredApprovals).toBe(1);

    const submitted = await api.call('alice', 'POST', 'requests', wipeBody(device));
    expect(submitted.status).toBe(202);
    expect(submitted.body.policy).toMatchObject({
      id: policyId,
      requiredApprovals: 1,
      approvalsByScope: [{ minDevices: 2, requiredApprovals: 2 }],
      completion: 'onApproval',
      executeWithin: 'PT4H',
    });
    expect(submitted.body.policy.quorum).toBeUndefined();
    expect((await api.call('alice', 'POST', `requests/${submitted.body.id}/cancel`)).status).toBe(200);
  });

  it('sends the wipe on bob’s approval without alice completing, mails alice what ran, and audits the completion with no actor', async () => {
    const device = await newDevice(api.runtime.url, 'auto-complete-1');
    const submitted = await api.call('alice', 'POST', 'requests', wipeBody(device));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;

    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'stolen, go' })).status).toBe(200);
    const done = await api.until('alice', id, (request) => request.execution !== undefined);
    expect(done).toMatchObject({ status: 'completed', execution: { status: 'succeeded' } });

    const writes = await deviceWrites(api.runtime.url, device);
    expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /v1.0/deviceManagement/managedDevices/${device}/wipe`,
    ]);

    const trail = await api.call('alice', 'GET', `requests/${id}/audit?top=100`);
    const completed = (trail.body.items as { type: string; actor: unknown; data: Record<string, unknown> }[]).filter(
      (record) => record.type === 'request.completed',
    );
    expect(completed).toEqual([
      expect.objectContaining({ actor: null, data: expect.objectContaining({ completion: 'onApproval' }) }),
    ]);

    // The approval that reached the quorum shortened the request's life to the window.
    const approved = (trail.body.items as { type: string; data: Record<string, unknown> }[]).find(
      (record) => record.type === 'request.approved',
    )!;
    expect(approved.data).toMatchObject({ executeWithin: 'PT4H' });

    const deadline = Date.now() + 15_000;
    let executed: Mail[] = [];
    for (;;) {
      const response = await fetch(`${api.runtime.url}/_local/mailbox`, { headers: { accept: 'application/json' } });
      const mails = ((await response.json()) as { items: Mail[] }).items.filter((mail) => mail.text.includes(id));
      executed = mails.filter((mail) => mail.subject.startsWith('Executed:'));
      if (executed.length > 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(executed).toHaveLength(1);
    expect(executed[0]!.to).toMatch(/alice/i);
    expect(executed[0]!.text).toContain('succeeded');
    // Nobody was asked to complete it.
    const response = await fetch(`${api.runtime.url}/_local/mailbox`, { headers: { accept: 'application/json' } });
    const all = ((await response.json()) as { items: Mail[] }).items.filter((mail) => mail.text.includes(id));
    expect(all.filter((mail) => mail.subject.startsWith('Approved'))).toEqual([]);

    // Alice's complete after the service completed it is refused as today.
    const late = await api.call('alice', 'POST', `requests/${id}/complete`);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('invalid_state');
  });

  it('does not complete on approval for an initiator who lost MAA.Requester since: nothing runs, the refusal is audited', async () => {
    const device = await newDevice(api.runtime.url, 'auto-complete-leaver');
    const submitted = await api.call('alice', 'POST', 'requests', wipeBody(device));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    const roles = `${api.runtime.url}/_local/directory/users/alice/roles/MAA.Requester`;
    expect((await fetch(roles, { method: 'DELETE' })).status).toBeLessThan(300);
    try {
      expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'ok' })).status).toBe(200);
      const trail = async () =>
        (await api.call('bob', 'GET', `requests/${id}/audit?top=100`)).body.items as {
          type: string;
          data: Record<string, unknown>;
        }[];
      const deadline = Date.now() + 15_000;
      let items = await trail();
      while (!items.some((record) => record.type === 'request.eventRefused') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        items = await trail();
      }
      expect(items.find((record) => record.type === 'request.eventRefused')!.data).toMatchObject({
        command: 'autoComplete',
        code: 'forbidden',
      });
      expect((await api.call('bob', 'GET', `requests/${id}`)).body.status).toBe('approved');
      expect(await deviceWrites(api.runtime.url, device)).toEqual([]);
    } finally {
      await fetch(roles, { method: 'PUT' });
    }
  });

  it('raises the quorum of an assignment to all users to the rule’s 2, shown with its reason on the request', async () => {
    await createPolicy(api, {
      displayName: 'App rollouts',
      profileType: 'app',
      approverGroupIds: [group],
      approvalsByScope: [{ assignsToAll: true, requiredApprovals: 2 }],
    });
    const body = {
      profileType: 'app',
      operation: {
        action: 'assign',
        resourceType: 'mobileApp',
        resourceId: SEEDED.mobileApps[0],
        payload: { assignments: [{ target: 'allLicensedUsers', intent: 'available' }] },
      },
      justification: 'Offer the VPN client to everyone (CHG-2002)',
    };
    const dryRun = await api.call('alice', 'POST', 'requests/evaluate', body);
    expect(dryRun.body).toMatchObject({ requiredApprovals: 2 });
    expect(dryRun.body.why).toContain('needs 2 approvals because it assigns to all users or all devices');

    const submitted = await api.call('alice', 'POST', 'requests', body);
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    expect(submitted.body.policy).toMatchObject({
      requiredApprovals: 2,
      quorum: { baseApprovals: 1, text: 'needs 2 approvals because it assigns to all users or all devices' },
    });

    expect((await api.call('bob', 'POST', `requests/${id}/approve`, {})).status).toBe(200);
    await api.until('alice', id, (request) => request.decisions.length === 1);
    expect((await api.call('alice', 'GET', `requests/${id}`)).body.status).toBe('needsApproval');
    expect((await api.call('carol', 'POST', `requests/${id}/approve`, {})).status).toBe(200);
    await api.until('alice', id, (request) => request.status === 'approved');
    expect((await api.call('alice', 'POST', `requests/${id}/cancel`)).status).toBe(200);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'minDevices not increasing',
      {
        approvalsByScope: [
          { minDevices: 10, requiredApprovals: 2 },
          { minDevices: 5, requiredApprovals: 3 },
        ],
      },
      'approvalsByScope.1.minDevices',
    ],
    [
      'approvals over 10',
      { approvalsByScope: [{ minDevices: 10, requiredApprovals: 11 }] },
      'approvalsByScope.0.requiredApprovals',
    ],
    [
      'two rules for assignments to all',
      {
        approvalsByScope: [
          { assignsToAll: true, requiredApprovals: 2 },
          { assignsToAll: true, requiredApprovals: 3 },
        ],
      },
      'approvalsByScope.1.assignsToAll',
    ],
    [
      'an unknown rule member',
      { approvalsByScope: [{ minDevices: 10, requiredApprovals: 2, max: 3 }] },
      'approvalsByScope.0.max',
    ],
    ['an unknown completion', { completion: 'whenever' }, 'completion'],
    ['a window longer than the lifetime', { requestTtl: 'PT2H', executeWithin: 'PT3H' }, 'executeWithin'],
  ])('refuses a policy with %s: 400 with the field named, nothing written', async (_name, fields, path) => {
    const before = await api.call('alice', 'GET', 'requests?view=mine&top=100');
    const response = await api.call('alice', 'POST', 'policies', {
      displayName: 'Bad rules',
      profileType: 'deviceDelete',
      approverGroupIds: [group],
      justification: 'Test',
      ...fields,
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_failed');
    expect((response.body.errors as { path: string }[]).map((error) => error.path)).toEqual([`body.${path}`]);
    const after = await api.call('alice', 'GET', 'requests?view=mine&top=100');
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('refuses onApproval for a release-only profile type with 422 auto_complete_unavailable', async () => {
    const response = await api.call('alice', 'POST', 'policies', {
      displayName: 'Retires run on approval',
      profileType: 'deviceRetire',
      approverGroupIds: [group],
      completion: 'onApproval',
      justification: 'Test',
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('auto_complete_unavailable');
    expect(response.body.errors).toEqual([{ path: 'completion', message: expect.stringContaining('deviceRetire') }]);

    // The same policy completed by its initiator is fine.
    const initiator = await api.call('alice', 'POST', 'policies', {
      displayName: 'Retires released',
      profileType: 'deviceRetire',
      approverGroupIds: [group],
      justification: 'Test',
    });
    expect(initiator.status).toBe(202);
  });
});
