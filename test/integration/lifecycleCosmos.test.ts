import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Api, WIPE_LIFECYCLE_TRAIL, approverGroup } from '../support/api';
import { startCosmosServer, type CosmosTestServer } from '../support/cosmosServer';
import { deviceWrites, newDevice } from '../support/intune';
import { startRuntime } from '../support/runtime';

describe('the approval lifecycle through the API (Cosmos DB store, real SDK against a Cosmos wire-protocol server)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-lifecycle-cosmos-'));
  let cosmos: CosmosTestServer;
  let env: Record<string, string>;
  let api: Api;

  beforeAll(async () => {
    cosmos = await startCosmosServer();
    // The test server's certificate is self-signed; only the runtime child process is told to accept it.
    env = { COSMOS_ENDPOINT: cosmos.endpoint, COSMOS_KEY: cosmos.key, NODE_TLS_REJECT_UNAUTHORIZED: '0' };
    api = new Api(await startRuntime({ dataDir, env }));
  });
  afterAll(async () => {
    await api?.runtime.stop();
    await cosmos?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates its containers on an empty server, bootstraps a policy and runs a wipe to completion across a runtime restart, with a valid audit chain', async () => {
    const health = await fetch(`${api.runtime.url}/api/health`);
    expect(health.status).toBe(200);
    const group = await approverGroup(api.runtime);
    const change = await api.call('alice', 'POST', 'policies', {
      displayName: 'Wipes',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
      justification: 'Protect wipes',
    });
    expect(change.status).toBe(202);
    expect((await api.call('bob', 'POST', `requests/${change.body.id}/approve`, { notes: 'agreed' })).status).toBe(200);
    await api.until('alice', change.body.id, (r) => r.status === 'approved');
    expect((await api.call('alice', 'POST', `requests/${change.body.id}/complete`)).status).toBe(200);
    await api.until('alice', change.body.id, (r) => r.execution?.status === 'succeeded');

    const device = await newDevice(api.runtime.url, 'cosmos-device-1');
    const submitted = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
      justification: 'Reported stolen',
    });
    expect(submitted.status).toBe(202);
    const locked = await api.call('bob', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device },
      justification: 'twice',
    });
    expect(locked.body.code).toBe('entity_locked');
    const id = submitted.body.id as string;
    expect((await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'ok' })).status).toBe(200);
    await api.until('alice', id, (r) => r.status === 'approved');

    await api.runtime.kill();
    api = new Api(await startRuntime({ dataDir, env }));

    expect((await api.call('alice', 'POST', `requests/${id}/complete`)).status).toBe(200);
    await api.until('alice', id, (r) => r.execution?.status === 'succeeded');
    const audit = await api.call('alice', 'GET', `requests/${id}/audit`);
    expect(audit.body.chainValid).toBe(true);
    expect(audit.body.items.map((record: { type: string }) => record.type)).toEqual(WIPE_LIFECYCLE_TRAIL);
    // The device enrolled before the restart was wiped once, after it.
    expect((await deviceWrites(api.runtime.url, device)).map((call) => [call.method, call.status])).toEqual([
      ['POST', 204],
    ]);
    const received = await api.call('carol', 'GET', 'requests?view=received&status=completed');
    expect(received.body.items.map((r: { id: string }) => r.id)).toContain(id);
  });

  it('answers the operators from the Cosmos DB store: summary, stuck list and an instance with its trail', async () => {
    const open = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: {
        action: 'wipe',
        resourceType: 'managedDevice',
        resourceId: await newDevice(api.runtime.url, 'cosmos-device-2'),
      },
      justification: 'Reported lost',
    });
    expect(open.status).toBe(202);
    const summary = await api.call('olga', 'GET', 'ops/summary');
    expect(summary.status).toBe(200);
    // The policy change and the wipe above completed; this one waits.
    expect(summary.body.counts).toMatchObject({ completed: 2, needsApproval: 1 });
    expect(summary.body.oldestOpen).toMatchObject({ id: open.body.id });
    expect(
      summary.body.last24h.hourly.reduce((sum: number, hour: { submitted: number }) => sum + hour.submitted, 0),
    ).toBe(3);
    const stuck = await api.call('olga', 'GET', 'ops/stuck');
    expect(stuck.status).toBe(200);
    expect(stuck.body.items).toEqual([]);
    const instance = await api.call('olga', 'GET', `ops/instances/${open.body.id}`);
    expect(instance.status).toBe(200);
    expect(instance.body.consistency).toMatchObject({ consistent: true });
    expect(instance.body.audit.chainValid).toBe(true);
  });
});
