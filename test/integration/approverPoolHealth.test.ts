/**
 * Approver-pool health through the real runtime over HTTP: a policy whose only approver is the
 * would-be initiator is shown `unapprovable` on `GET /api/policies/{id}` and refuses submits with
 * `422 no_eligible_approver`, storing nothing; roles granted through the local directory make it
 * `atRisk`, then `ok`, and the submit goes through.
 */
import { Api, changeGroupMember, changeRole, createPolicy } from '../support/api';
import { startRuntime } from '../support/runtime';
import { wipeBody } from '../support/builders';
import { newDevice } from '../support/intune';

jest.setTimeout(60_000);

// A seeded group without members.
const POOL = 'a9900000-0000-4000-8000-000000000102';

describe('approver-pool health', () => {
  let api: Api;
  let policyId: string;

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_GROUP_CACHE_SECONDS: '0' } }));
    for (const user of ['bob', 'carol', 'dave'])
      expect((await changeGroupMember(api.runtime, 'PUT', POOL, user)).status).toBe(200);
    // bob (Requester and Approver) is left as the pool's only approver.
    expect((await changeRole(api.runtime, 'DELETE', 'carol', 'MAA.Approver')).status).toBe(200);
    policyId = (
      await createPolicy(api, {
        displayName: 'Wipes need someone else',
        profileType: 'deviceWipe',
        approverGroupIds: [POOL],
      })
    ).id;
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  const health = async () => {
    const view = await api.call('alice', 'GET', `policies/${policyId}`);
    expect(view.status).toBe(200);
    return view.body.health as {
      eligibleApprovers: { id: string; displayName: string }[];
      status: string;
      reasons: string[];
    };
  };

  it('shows unapprovable when the only approver is also a requester, and refuses their submit with 422 no_eligible_approver', async () => {
    const before = await health();
    expect(before.status).toBe('unapprovable');
    expect(before.eligibleApprovers.map((approver) => approver.displayName)).toEqual(['Bob']);
    expect(before.reasons.join(' ')).toContain('Bob');

    const device = await newDevice(api.runtime.url, 'pool-health-1');
    const refused = await api.call('bob', 'POST', 'requests', wipeBody(device));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('no_eligible_approver');
    const mine = await api.call('bob', 'GET', 'requests?view=mine');
    expect(mine.body.items).toEqual([]);

    // The list carries the same health (read through the same cached directory port).
    const list = await api.call('alice', 'GET', 'policies?top=100');
    const listed = list.body.items.find((policy: { id: string }) => policy.id === policyId);
    expect(listed.health).toEqual(before);
  });

  it('turns atRisk, then ok, as roles are granted through the local directory, and the submit goes through', async () => {
    expect((await changeRole(api.runtime, 'PUT', 'carol', 'MAA.Approver')).status).toBe(200);
    expect((await health()).status).toBe('atRisk');

    expect((await changeRole(api.runtime, 'PUT', 'dave', 'MAA.Approver')).status).toBe(200);
    const after = await health();
    expect(after).toMatchObject({ status: 'ok', reasons: [] });
    expect(after.eligibleApprovers.map((approver) => approver.displayName).sort()).toEqual(['Bob', 'Carol', 'Dave']);

    const device = await newDevice(api.runtime.url, 'pool-health-2');
    const submitted = await api.call('bob', 'POST', 'requests', wipeBody(device));
    expect(submitted.status).toBe(202);
  });
});
