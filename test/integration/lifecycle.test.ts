import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Api, WIPE_LIFECYCLE_TRAIL, approverGroup } from '../support/api';
import { startRuntime } from '../support/runtime';
import { wipeBody } from '../support/builders';
import { deviceWrites, intuneTenant, newDevice, SEEDED } from '../support/intune';

const wipe = (resourceId: string) =>
  wipeBody(resourceId, {
    payload: { keepEnrollmentData: false },
    justification: 'Laptop reported stolen (ticket INC-4711)',
  });

describe('the approval lifecycle through the API (SQLite store)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-lifecycle-'));
  let api: Api;
  beforeAll(async () => {
    api = new Api(await startRuntime({ dataDir }));
  });

  /** The later tests need the deviceWipe policy the first one bootstraps. */
  async function expectWipePolicy(): Promise<void> {
    const policies = await api.call('dave', 'GET', 'policies');
    expect(policies.body.items.map((p: { profileType: string }) => p.profileType)).toContain('deviceWipe');
  }
  afterAll(async () => {
    await api.runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  /** A device enrolled in the local tenant for one test alone. */
  const device = (name: string) => newDevice(api.runtime.url, name);

  it('bootstraps a deviceWipe policy, then runs a wipe through submit, approve and complete, with a valid audit chain, across a restart', async () => {
    const group = await approverGroup(api.runtime);

    // The first policy: alice submits the change, bob (another PolicyAdmin) approves, alice completes.
    const change = await api.call('alice', 'POST', 'policies', {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
      justification: 'Protect wipes',
    });
    expect(change.status).toBe(202);
    expect(change.body).toMatchObject({ profileType: 'operationApprovalPolicy', status: 'needsApproval' });
    // Bob, another policy admin, finds it among what he may decide; alice (its initiator) and carol (no PolicyAdmin) do not.
    const pending = async (user: string) =>
      (await api.call(user, 'GET', 'requests?view=received&status=needsApproval')).body.items.map(
        (r: { id: string }) => r.id,
      );
    expect([await pending('bob'), await pending('alice'), await pending('carol')]).toEqual([[change.body.id], [], []]);
    expect((await api.call('bob', 'POST', `requests/${change.body.id}/approve`, { notes: 'agreed' })).status).toBe(200);
    await api.until('alice', change.body.id, (r) => r.status === 'approved');
    expect((await api.call('alice', 'POST', `requests/${change.body.id}/complete`)).status).toBe(200);
    await api.until('alice', change.body.id, (r) => r.execution?.status === 'succeeded');
    const policies = await api.call('dave', 'GET', 'policies');
    expect(policies.body.items).toEqual([
      expect.objectContaining({
        profileType: 'deviceWipe',
        approverGroupIds: [group],
        requiredApprovals: 1,
        version: 1,
      }),
    ]);

    // A wipe of a seeded laptop: alice requests, bob approves.
    const laptop = SEEDED.devices.aliceLaptop;
    const submitted = await api.call('alice', 'POST', 'requests', wipe(laptop));
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get('location')).toBe(`/api/requests/${submitted.body.id}`);
    expect(submitted.body).toMatchObject({
      status: 'needsApproval',
      policy: { approverGroupIds: [group], requiredApprovals: 1 },
      target: { resourceType: 'managedDevice', id: laptop, displayName: 'LT-ALICE-01' },
    });
    const id = submitted.body.id as string;
    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'confirmed with the user' })).status).toBe(
      200,
    );
    await api.until('alice', id, (r) => r.status === 'approved');

    // The runtime restarts between approval and completion: nothing is lost.
    await api.runtime.kill();
    api = new Api(await startRuntime({ dataDir }));

    expect((await api.call('alice', 'POST', `requests/${id}/complete`)).status).toBe(200);
    const done = await api.until('alice', id, (r) => r.execution !== undefined);
    expect(done).toMatchObject({
      status: 'completed',
      execution: { status: 'succeeded' },
      operationHash: submitted.body.operationHash,
    });
    // The local tenant received exactly one wipe of the laptop, under the request's client-request-id.
    const writes = await deviceWrites(api.runtime.url, laptop);
    expect(writes.map((call) => [call.method, call.path, call.status, call.clientRequestId])).toEqual([
      ['POST', `/v1.0/deviceManagement/managedDevices/${laptop}/wipe`, 204, done.execution.graph.clientRequestId],
    ]);
    expect(writes[0]!.body).toMatchObject({ keepEnrollmentData: false });
    const wiped = (await intuneTenant(api.runtime.url)).managedDevices!.find((d) => d.id === laptop);
    expect(wiped).toMatchObject({ deviceName: 'LT-ALICE-01', managementState: 'wipePending' });

    const audit = await api.call('alice', 'GET', `requests/${id}/audit`);
    expect(audit.body.chainValid).toBe(true);
    expect(audit.body.items.map((record: { type: string }) => record.type)).toEqual(WIPE_LIFECYCLE_TRAIL);
    expect(audit.body.items[5]).toMatchObject({
      actor: { displayName: 'Bob' },
      data: expect.objectContaining({ notes: 'confirmed with the user' }),
    });
    expect(audit.body.items[7]).toMatchObject({
      data: { kind: 'approved', channel: 'email', recipient: { displayName: 'Alice' }, address: 'alice@maa.test' },
    });
  });

  it('enforces the rules at the API: self-approval, non-approvers, entity lock, wrong state, roles and tokens', async () => {
    await expectWipePolicy();
    const locked = await device('device-2');
    const submitted = await api.call('bob', 'POST', 'requests', wipe(locked));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;

    const self = await api.call('bob', 'POST', `requests/${id}/approve`, {});
    expect([self.status, self.body.code, self.headers.get('x-error-code')]).toEqual([
      403,
      'self_approval',
      'self_approval',
    ]);
    // alice holds no MAA.Approver role (not_an_approver needs an approver outside the groups: see the domain tests).
    expect((await api.call('alice', 'POST', `requests/${id}/approve`, {})).body.code).toBe('forbidden');
    expect((await api.call('bob', 'POST', 'requests', wipe(locked))).body.code).toBe('entity_locked');
    expect((await api.call('bob', 'POST', `requests/${id}/complete`)).body.code).toBe('invalid_state');
    expect((await api.call('carol', 'POST', `requests/${id}/cancel`)).body.code).toBe('not_initiator');
    expect((await api.call('dave', 'POST', 'requests', wipe(await device('device-3')))).body.code).toBe('forbidden');
    expect((await api.call('carol', 'POST', `requests/${id}/reject`, { notes: '' })).body.code).toBe('notes_required');
    expect((await api.call('alice', 'GET', 'requests?view=all')).status).toBe(403);
    expect((await api.call('dave', 'GET', `requests/${id}`)).status).toBe(404);

    const noToken = await fetch(`${api.runtime.url}/api/requests/${id}`);
    expect([noToken.status, noToken.headers.get('x-error-code')]).toEqual([401, 'missing_token']);
    const forged = await fetch(`${api.runtime.url}/api/requests/${id}`, {
      headers: { authorization: `Bearer ${(await api.token('bob')).slice(0, -4)}AAAA` },
    });
    expect([forged.status, forged.headers.get('x-error-code')]).toEqual([401, 'invalid_token']);

    // Carol rejects with notes; the request ends rejected and bob sees it in his list.
    expect((await api.call('carol', 'POST', `requests/${id}/reject`, { notes: 'not this device' })).status).toBe(200);
    await api.until('bob', id, (r) => r.status === 'rejected');
    const mine = await api.call('bob', 'GET', 'requests?view=mine&status=rejected');
    expect(mine.body.items.map((r: { id: string }) => r.id)).toContain(id);
  });

  it('lets only eligible approvers see a request in their received view, newest first', async () => {
    await expectWipePolicy();
    const first = await api.call('alice', 'POST', 'requests', wipe(await device('device-4')));
    const second = await api.call('alice', 'POST', 'requests', wipe(await device('device-5')));
    const received = await api.call('carol', 'GET', 'requests?view=received&status=needsApproval&top=50');
    const ids = received.body.items.map((r: { id: string }) => r.id);
    expect(ids.indexOf(second.body.id)).toBeLessThan(ids.indexOf(first.body.id));
    expect(ids.indexOf(first.body.id)).toBeGreaterThanOrEqual(0);
    const alices = await api.call('alice', 'GET', 'requests?view=received&status=needsApproval');
    expect(alices.body.items.map((r: { id: string }) => r.id)).not.toContain(first.body.id);
  });

  it('returns the same request for the same Idempotency-Key and body, and 409 for another body', async () => {
    await expectWipePolicy();
    const key = { 'idempotency-key': 'wipe-device-6-attempt' };
    const sixth = await device('device-6');
    const once = await api.call('alice', 'POST', 'requests', wipe(sixth), key);
    const again = await api.call('alice', 'POST', 'requests', wipe(sixth), key);
    expect(once.status).toBe(202);
    expect(again.body.id).toBe(once.body.id);
    const other = await api.call('alice', 'POST', 'requests', wipe(await device('device-7')), key);
    expect([other.status, other.body.code]).toEqual([409, 'idempotency_key_reused']);
  });

  it('refuses malformed input with field errors and writes nothing', async () => {
    const bad = await api.call('alice', 'POST', 'requests', {
      profileType: 'coffee',
      operation: { action: 'wipe' },
      justification: 'x'.repeat(2000),
      extra: 1,
    });
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.extra',
      'body.justification',
      'body.operation.resourceType',
      'body.profileType',
    ]);
    const before = await api.call('alice', 'GET', 'requests?view=mine&top=100');
    const malformed = await fetch(`${api.runtime.url}/api/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await api.token('alice')}`, 'content-type': 'application/json' },
      body: '{"profileType":',
    });
    expect(malformed.status).toBe(400);
    const after = await api.call('alice', 'GET', 'requests?view=mine&top=100');
    expect(after.body.items.length).toBe(before.body.items.length);
  });
});
