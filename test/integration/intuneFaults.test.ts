import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as forward, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { LOCAL_API_APP, LOCAL_GRAPH_CLIENT, LOCAL_TENANT_ID } from '../../local/identity/seed';
import { findEntry } from '../../shared/intune/catalogue';
import { Api, advanceClock, trailUntil } from '../support/api';
import {
  completeAndExecute,
  executionOf,
  protect,
  graphAsApp,
  injectFault,
  nativeApproval,
  submitApproved,
  tenantObject,
  writesOf,
} from '../support/localIntune';
import { eventually } from '../support/maa';
import { intuneCalls, newDevice, type IntuneCall } from '../support/intune';
import { seededId } from '../support/catalogueRun';
import { startRuntime } from '../support/runtime';

const wipe = (resourceId: string, justification = 'Reported stolen (INC-4711)') => ({
  profileType: 'deviceWipe',
  operation: { action: 'wipe', resourceType: 'managedDevice', resourceId },
  justification,
});
const retire = (resourceId: string) => ({
  profileType: 'deviceRetire',
  operation: { action: 'retire', resourceType: 'managedDevice', resourceId },
  justification: 'Leaver: return of company data (HR-88)',
});

/** The catalogue's example operation of `(profileType, resourceType, action)` on `resourceId`, as a submit body. */
function exampleOn(profileType: string, resourceType: string, action: string, resourceId: string) {
  const entry = findEntry(profileType as never, resourceType, action);
  if (entry === undefined) throw new Error(`the catalogue has no ${profileType} ${resourceType} ${action}`);
  return {
    profileType,
    operation: { ...structuredClone(entry.example), resourceId },
    justification: `Fault test: ${action} ${resourceType}`,
  };
}

const onPath = (calls: IntuneCall[], fragment: string) => calls.filter((call) => call.path.includes(fragment));
const accepted = (calls: IntuneCall[]) => calls.filter((call) => call.status >= 200 && call.status < 300);

describe('Intune execution faults on the real runtime (real clock)', () => {
  let api: Api;
  beforeAll(async () => {
    api = new Api(await startRuntime());
    await protect(api, 'deviceWipe', 'tenantConfiguration');
  }, 60_000);
  afterAll(() => api.runtime.dispose());

  async function mine(): Promise<string[]> {
    const list = await api.call('alice', 'GET', 'requests?view=mine&top=100');
    return list.body.items.map((request: { id: string }) => request.id);
  }

  it('answers 400 naming the field for an operation outside the catalogue or an unknown payload field, storing nothing', async () => {
    const before = await mine();
    const device = seededId('managedDevice', 1);
    const unknownAction = await api.call('alice', 'POST', 'requests', {
      ...wipe(device),
      operation: { action: 'explode', resourceType: 'managedDevice', resourceId: device },
    });
    const unknownField = await api.call('alice', 'POST', 'requests', {
      ...wipe(device),
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId: device, payload: { selfDestruct: true } },
    });
    for (const reply of [unknownAction, unknownField]) {
      expect(reply).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    }
    expect(unknownAction.body.errors.map((error: { path: string }) => error.path).join()).toMatch(/body\.operation/);
    expect(unknownField.body.errors.map((error: { path: string }) => error.path).join()).toMatch(
      /body\.operation\.payload/,
    );
    expect(await mine()).toEqual(before);
  });

  it('refuses a target Intune does not know with 422 target_not_found, storing nothing and holding no key', async () => {
    const before = await mine();
    const missing = 'd3a1c0de-0000-4000-8000-0000000000ff';
    const refused = await api.call('alice', 'POST', 'requests', wipe(missing), { 'Idempotency-Key': 'wipe-missing-1' });
    expect(refused).toMatchObject({ status: 422, body: { code: 'target_not_found' } });
    expect(await mine()).toEqual(before);
    // The key was not taken: the corrected request under the same key is a new request, not `idempotency_key_reused`.
    const corrected = await api.call('alice', 'POST', 'requests', wipe(seededId('managedDevice', 6)), {
      'Idempotency-Key': 'wipe-missing-1',
    });
    expect(corrected.status).toBe(202);
    expect(corrected.body.target).toMatchObject({ id: seededId('managedDevice', 6), displayName: 'IPAD-KIOSK-01' });
    expect(await mine()).toEqual(expect.arrayContaining([...before, corrected.body.id]));
  });

  it('fails with target_changed and writes nothing when the object changed between approval and completion', async () => {
    const category = seededId('deviceCategory', 2);
    const id = await submitApproved(api, exampleOn('tenantConfiguration', 'deviceCategory', 'update', category));
    // Another admin changes the category in Intune directly, after the approval.
    const edit = await graphAsApp(api.runtime, 'PATCH', `/v1.0/deviceManagement/deviceCategories/${category}`, {
      description: 'Changed behind the approval',
    });
    expect(edit.status).toBe(204);
    const request = await completeAndExecute(api, id);
    expect(request.execution).toMatchObject({ status: 'failed', code: 'target_changed' });
    // The only write to the category is the other admin's.
    expect(onPath(await intuneCalls(api.runtime.url), category)).toEqual([
      expect.objectContaining({ method: 'PATCH', status: 204, body: { description: 'Changed behind the approval' } }),
    ]);
    expect(await tenantObject(api.runtime, 'deviceCategory', category)).toMatchObject({
      description: 'Changed behind the approval',
    });
  });

  it('fails with target_changed and sends no wipe when the device was removed from Intune after the approval', async () => {
    const device = await newDevice(api.runtime.url, 'LT-GONE-01');
    const id = await submitApproved(api, wipe(device));
    expect((await graphAsApp(api.runtime, 'DELETE', `/v1.0/deviceManagement/managedDevices/${device}`)).status).toBe(
      204,
    );
    const request = await completeAndExecute(api, id);
    expect(request.execution).toMatchObject({ status: 'failed', code: 'target_changed' });
    expect(onPath(await intuneCalls(api.runtime.url), device).map((call) => call.method)).toEqual(['DELETE']);
  });

  it.each([
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 1 }],
    ['429 without Retry-After', { status: 429 }],
    ['503', { status: 503 }],
  ] as const)('wipes exactly once when Graph first answers %s', async (_name, fault) => {
    const device = await newDevice(
      api.runtime.url,
      `LT-FAULT-${fault.status}-${'retryAfterSeconds' in fault ? 'ra' : 'no'}`,
    );
    const id = await submitApproved(api, wipe(device));
    await injectFault(api.runtime, { ...fault, count: 1, path: device });
    const request = await completeAndExecute(api, id, 60_000);
    expect(request.execution).toMatchObject({ status: 'succeeded' });
    const calls = onPath(await intuneCalls(api.runtime.url), device);
    expect(calls.map((call) => call.status)).toEqual([fault.status, 204]);
    // Both attempts are the same request to Graph: one client-request-id.
    expect(new Set(calls.map((call) => call.clientRequestId))).toEqual(
      new Set([request.execution.graph.clientRequestId]),
    );
    if ('retryAfterSeconds' in fault) {
      expect(Date.parse(calls[1]!.at) - Date.parse(calls[0]!.at)).toBeGreaterThanOrEqual(900);
    }
    expect(await tenantObject(api.runtime, 'managedDevice', device)).toMatchObject({ managementState: 'wipePending' });
  });

  it.each([
    [503, 3],
    [500, 1],
  ] as const)('applies an idempotent update exactly once after a %s', async (status, category) => {
    const id = await submitApproved(
      api,
      exampleOn('tenantConfiguration', 'deviceCategory', 'update', seededId('deviceCategory', category)),
    );
    await injectFault(api.runtime, { status, count: 1, path: seededId('deviceCategory', category) });
    const request = await completeAndExecute(api, id, 60_000);
    expect(request.execution).toMatchObject({ status: 'succeeded' });
    const { all, effective } = await writesOf(api.runtime, request.execution.graph.clientRequestId);
    expect(all.map((call) => call.status)).toEqual([status, 204]);
    expect(effective).toHaveLength(1);
  });

  it('records native_approval_required and changes nothing when Intune’s own Multi Admin Approval intercepts the wipe', async () => {
    const device = await newDevice(api.runtime.url, 'LT-NATIVE-01');
    const before = await tenantObject(api.runtime, 'managedDevice', device);
    const id = await submitApproved(api, wipe(device));
    await nativeApproval(api.runtime, 'deviceWipe', true);
    try {
      const request = await completeAndExecute(api, id);
      expect(request.execution).toMatchObject({ status: 'failed', code: 'native_approval_required' });
      expect(request.execution.detail).toMatch(/exclu/i);
    } finally {
      await nativeApproval(api.runtime, 'deviceWipe', false);
    }
    expect(accepted(onPath(await intuneCalls(api.runtime.url), device))).toEqual([]);
    expect(await tenantObject(api.runtime, 'managedDevice', device)).toEqual(before);
  });
});

/**
 * A 127.0.0.1 proxy in front of the runtime's local Graph and token endpoint, which the test can
 * take down (every connection reset) and bring back, as an outage of Microsoft Graph looks to the app.
 */
class GraphLine {
  readonly server: Server;
  origin = '';
  target = '';
  down = false;
  /**
   * Sees each answer before the app does; `drop` resets the app's connection instead of relaying
   * it (the app never learns what Graph did).
   */
  onAnswer: (method: string, path: string, status: number) => 'relay' | 'drop' = () => 'relay';
  /** When set, each relayed answer's body as the app gets it (e.g. a device read Intune does not show a wipe in yet). */
  rewrite: ((method: string, path: string, body: string) => string) | undefined;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((incoming, outgoing) => {
      if (this.down) {
        incoming.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        // The app asks for a token for the Graph it knows (this proxy's origin, `<origin>/.default`);
        // the local tenant issues them for its own origin only, as Entra does for graph.microsoft.com.
        const body = Buffer.from(
          Buffer.concat(chunks)
            .toString('latin1')
            .replaceAll(encodeURIComponent(this.origin), encodeURIComponent(this.target)),
          'latin1',
        );
        const upstream = new URL(incoming.url ?? '/', this.target);
        const relay = forward(
          upstream,
          {
            method: incoming.method,
            headers: { ...incoming.headers, host: upstream.host, 'content-length': String(body.length) },
          },
          (answer) => {
            if (this.onAnswer(incoming.method ?? 'GET', upstream.pathname, answer.statusCode ?? 0) === 'drop') {
              answer.resume();
              incoming.socket.destroy();
              return;
            }
            const rewrite = this.rewrite;
            if (rewrite === undefined) {
              outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(outgoing);
              return;
            }
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('end', () => {
              const text = rewrite(incoming.method ?? 'GET', upstream.pathname, Buffer.concat(parts).toString('utf8'));
              const { 'transfer-encoding': _chunked, ...headers } = answer.headers;
              outgoing.writeHead(answer.statusCode ?? 502, {
                ...headers,
                'content-length': String(Buffer.byteLength(text)),
              });
              outgoing.end(text);
            });
          },
        );
        relay.on('error', () => outgoing.destroy());
        relay.end(body);
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.origin;
  }

  /** Cuts every open connection and refuses new ones' requests until {@link up}. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  up(): void {
    this.down = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The app settings that send the app's Graph calls, token requests included, through this line. */
  appSettings(): Record<string, string> {
    return {
      MAA_GRAPH_BASE_URL: `${this.origin}/_local/graph`,
      MAA_GRAPH_TOKEN_URL: `${this.origin}/_local/entra/${LOCAL_TENANT_ID}/oauth2/v2.0/token`,
      MAA_GRAPH_CLIENT_ID: LOCAL_GRAPH_CLIENT.clientId,
      MAA_GRAPH_CLIENT_SECRET: LOCAL_GRAPH_CLIENT.clientSecret,
      MAA_API_APP_ID: LOCAL_API_APP.appId,
    };
  }
}

describe('Graph down at submit', () => {
  const line = new GraphLine();
  let api: Api;
  beforeAll(async () => {
    await line.listen();
    api = new Api(await startRuntime({ env: line.appSettings() }));
    line.target = api.runtime.url;
    await protect(api, 'deviceWipe');
  }, 60_000);
  afterAll(async () => {
    await api.runtime.dispose();
    await line.close();
  });

  it('answers 503 graph_unavailable and stores nothing; the same request under the same key goes through once Graph is back', async () => {
    const before = (await api.call('alice', 'GET', 'requests?view=mine&top=100')).body.items;
    const body = wipe(seededId('managedDevice', 4), 'Lost on a train (INC-5120)');
    line.cut();
    const refused = await api.call('alice', 'POST', 'requests', body, { 'Idempotency-Key': 'wipe-during-outage' });
    line.up();
    expect(refused).toMatchObject({ status: 503, body: { code: 'graph_unavailable' } });
    expect((await api.call('alice', 'GET', 'requests?view=mine&top=100')).body.items).toEqual(before);
    const retried = await api.call('alice', 'POST', 'requests', body, { 'Idempotency-Key': 'wipe-during-outage' });
    expect(retried.status).toBe(202);
    expect(retried.body.target).toMatchObject({ id: seededId('managedDevice', 4), displayName: 'AND-DAVE-01' });
  });
});

/** The app's Graph permissions in the local tenant but one: role writes (reads stay, so submit works). */
const ALL_BUT_ROLE_WRITES = [
  ...LOCAL_GRAPH_CLIENT.roles.filter((permission) => permission !== 'DeviceManagementRBAC.ReadWrite.All'),
  'DeviceManagementRBAC.Read.All',
].join(',');

describe('permissions, daily caps and the device follow-up (manual clock)', () => {
  let api: Api;
  beforeAll(async () => {
    api = new Api(
      await startRuntime({
        env: {
          MAA_LOCAL_CLOCK: 'manual',
          MAA_LOCAL_GRAPH_PERMISSIONS: ALL_BUT_ROLE_WRITES,
          MAA_DEVICE_ACTION_DAILY_CAPS: 'wipe=500,retire=1,delete=1000',
        },
      }),
    );
    await protect(api, 'deviceWipe', 'deviceRetire', 'role');
  }, 60_000);
  afterAll(() => api.runtime.dispose());

  it('fails with graph_forbidden naming the missing permission, writing nothing', async () => {
    const definition = seededId('roleDefinition', 2);
    const id = await submitApproved(api, exampleOn('role', 'roleDefinition', 'update', definition));
    const request = await completeAndExecute(api, id);
    expect(request.execution).toMatchObject({ status: 'failed', code: 'graph_forbidden' });
    expect(request.execution.detail).toContain('DeviceManagementRBAC.ReadWrite.All');
    expect(accepted(onPath(await intuneCalls(api.runtime.url), definition))).toEqual([]);
  });

  it('refuses a device action past the daily cap before calling Graph', async () => {
    const first = await newDevice(api.runtime.url, 'LT-LEAVER-01');
    const second = await newDevice(api.runtime.url, 'LT-LEAVER-02');
    const untouched = await tenantObject(api.runtime, 'managedDevice', second);
    const firstId = await submitApproved(api, retire(first));
    const secondId = await submitApproved(api, retire(second), 'carol');
    expect((await completeAndExecute(api, firstId)).execution).toMatchObject({ status: 'succeeded' });
    const refused = await completeAndExecute(api, secondId);
    expect(refused.execution).toMatchObject({ status: 'failed', code: 'daily_cap_reached' });
    expect(onPath(await intuneCalls(api.runtime.url), second)).toEqual([]);
    expect(await tenantObject(api.runtime, 'managedDevice', second)).toEqual(untouched);
  });

  it('records Graph’s acceptance of a wipe, then the device’s outcome once it checked in, as a second audit step', async () => {
    const device = seededId('managedDevice', 5);
    const id = await submitApproved(api, wipe(device));
    const first = await completeAndExecute(api, id);
    expect(first.execution).toMatchObject({ status: 'succeeded' });
    expect(first.execution.device?.state ?? 'pending').toBe('pending');
    // The tenant finishes the wipe after its device delay (5 minutes); the follow-up looks every 15.
    await advanceClock(api.runtime, 'PT16M');
    const done = await api.until('alice', id, (request) => request.execution?.device?.state === 'done');
    expect(done.execution).toMatchObject({ status: 'succeeded', device: { state: 'done' } });
    expect(await tenantObject(api.runtime, 'managedDevice', device)).toMatchObject({ managementState: 'wipeIssued' });
    const trail = await trailUntil(api, 'alice', id, (items) =>
      items.some((item) => item.type === 'execution.observed'),
    );
    expect(trail.chainValid).toBe(true);
    expect(trail.items.filter((item) => item.type === 'execution.observed')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ state: 'done' }) }),
    ]);
  });
});

/**
 * The app reaches the local Graph through a {@link GraphLine}, so the test can kill the runtime at
 * the worst moment: after the local tenant applied the wipe, before the executor saw the answer.
 */
describe('kill -9 of the runtime during execution', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-intune-crash-'));
  const line = new GraphLine();
  let api: Api;
  const start = async () => {
    api = new Api(await startRuntime({ dataDir, env: line.appSettings() }));
    line.target = api.runtime.url;
  };
  beforeAll(async () => {
    await line.listen();
    await start();
    await protect(api, 'deviceWipe');
  }, 60_000);
  afterAll(async () => {
    await api.runtime.stop();
    await line.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Completes a wipe of `device`, kills the runtime once `crashed()` holds, restarts it over the same data. */
  async function crashDuring(
    device: string,
    crashed: () => Promise<boolean>,
    what: string,
  ): Promise<{ request: any; calls: IntuneCall[] }> {
    const id = await submitApproved(api, wipe(device));
    expect((await api.call('alice', 'POST', `requests/${id}/complete`)).status).toBe(200);
    await eventually(crashed, what, 20_000);
    await api.runtime.kill();
    await start();
    const request = await executionOf(api, id, 60_000);
    return { request, calls: onPath(await intuneCalls(api.runtime.url), device) };
  }

  it('wipes once when killed while waiting out a 429', async () => {
    const device = await newDevice(api.runtime.url, 'LT-CRASH-01');
    await injectFault(api.runtime, { status: 429, count: 1, retryAfterSeconds: 5, path: device });
    const runtime = api.runtime;
    const { request, calls } = await crashDuring(
      device,
      async () => onPath(await intuneCalls(runtime.url), device).some((call) => call.status === 429),
      'the wipe to be throttled',
    );
    expect(request.execution).toMatchObject({ status: 'succeeded' });
    expect(calls.map((call) => call.status)).toEqual([429, 204]);
  });

  it('wipes once when killed after Graph applied the wipe but before the executor saw the answer', async () => {
    const device = await newDevice(api.runtime.url, 'LT-CRASH-02');
    let killed = false;
    const victim = api.runtime;
    line.onAnswer = (method, route, status) => {
      if (killed || method !== 'POST' || !route.endsWith(`/managedDevices/${device}/wipe`) || status >= 300)
        return 'relay';
      victim.process.kill('SIGKILL');
      killed = true;
      return 'drop';
    };
    try {
      const { request, calls } = await crashDuring(device, async () => killed, 'the wipe to be applied');
      expect(request.execution).toMatchObject({ status: 'succeeded', code: 'already_applied' });
      expect(calls).toEqual([expect.objectContaining({ method: 'POST', status: 204 })]);
      expect(await tenantObject(api.runtime, 'managedDevice', device)).toMatchObject({
        managementState: 'wipePending',
      });
    } finally {
      line.onAnswer = () => 'relay';
    }
  });
  it('sends no device of a bulk wipe twice when killed mid-run, even while Intune does not show the wipes on the devices yet', async () => {
    const ids: string[] = [];
    for (let n = 1; n <= 3; n++) ids.push(await newDevice(api.runtime.url, `LT-CRASH-BULK-0${n}`));
    const id = await submitApproved(api, {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceIds: ids },
      justification: 'Stolen from the van (INC-4800)',
    });
    // Intune lags: a read of a device shows no wipe, pending or done, only the remote action audits have it.
    line.rewrite = (method, route, text) => {
      if (method !== 'GET' || !ids.some((device) => route.endsWith(`/managedDevices/${device}`))) return text;
      const device = JSON.parse(text) as Record<string, unknown>;
      return JSON.stringify({ ...device, managementState: 'managed', deviceActionResults: [] });
    };
    let killed = false;
    const victim = api.runtime;
    line.onAnswer = (method, route, status) => {
      if (killed || method !== 'POST' || !route.endsWith(`/managedDevices/${ids[1]}/wipe`) || status >= 300)
        return 'relay';
      victim.process.kill('SIGKILL');
      killed = true;
      return 'drop';
    };
    try {
      expect((await api.call('alice', 'POST', `requests/${id}/complete`)).status).toBe(200);
      await eventually(async () => killed, 'the second wipe to be applied', 20_000);
      await api.runtime.kill();
      await start();
      const request = await executionOf(api, id, 60_000);
      expect(request.execution).toMatchObject({ status: 'succeeded', code: 'accepted' });
      expect(request.execution.devices.map((device: { code: string }) => device.code)).toEqual([
        'already_applied',
        'already_applied',
        'accepted',
      ]);
      expect(request.execution.devices[0].detail).toContain('Intune audited a wipe');
      const calls = await intuneCalls(api.runtime.url);
      for (const device of ids) expect(onPath(calls, `${device}/wipe`)).toHaveLength(1);
    } finally {
      line.onAnswer = () => 'relay';
      line.rewrite = undefined;
    }
  });
});
