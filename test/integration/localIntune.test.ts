/**
 * The local Intune tenant through the real runtime over HTTP: the seeded objects with their fixed
 * ids, Graph paths under v1.0 and beta (paging, `$select`, `$filter`, beta-only collections
 * refused under v1.0), Graph's error shape and request ids, a wipe that goes from pending to done
 * when the manual clock moves, the remote action audit, the `/_local/intune*` endpoints (calls,
 * faults, native approval, new devices), a 403 naming the permissions the app lacks, and the
 * tenant surviving `kill -9`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRuntime, type RunningRuntime } from '../support/runtime';

jest.setTimeout(60_000);

const TENANT = 'c0ffee00-0000-4000-8000-000000000000';
const CLIENT = { id: 'deb0a990-0000-4000-8000-000000000201', secret: 'local-development-secret' };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const device = (n: number) => `d3a1c0de-0000-4000-8000-00000000000${n}`;
const DEVICES = `deviceManagement/managedDevices`;

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** A Graph client for one runtime, signed in as the app's local Graph client. */
function graphClient(runtime: RunningRuntime) {
  let token: string | undefined;
  return async (
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    if (token === undefined) {
      const reply = await send(`${runtime.url}/_local/entra/${TENANT}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
      });
      token = reply.body.access_token as string;
    }
    const url = pathAndQuery.startsWith('http') ? pathAndQuery : `${runtime.url}/_local/graph/${pathAndQuery}`;
    return send(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  };
}

const local = (runtime: RunningRuntime, what: string, method = 'GET', body?: unknown) =>
  send(`${runtime.url}/_local/intune${what}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });

const callsTo = async (runtime: RunningRuntime, fragment: string) =>
  ((await local(runtime, '/calls')).body.items as { path: string; status: number }[]).filter((call) =>
    call.path.includes(fragment),
  );

describe('local Intune tenant (manual clock)', () => {
  let rt: RunningRuntime;
  let graph: ReturnType<typeof graphClient>;

  beforeAll(async () => {
    rt = await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } });
    graph = graphClient(rt);
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('starts seeded with the documented objects and fixed ids', async () => {
    const tenant = (await local(rt, '')).body;
    expect(Object.keys(tenant)).toEqual([
      'managedDevices',
      'mobileApps',
      'deviceManagementScripts',
      'deviceShellScripts',
      'deviceHealthScripts',
      'deviceCompliancePolicies',
      'configurationPolicies',
      'deviceConfigurations',
      'roleDefinitions',
      'roleAssignments',
      'deviceCategories',
    ]);
    expect(
      tenant.managedDevices.map((d: any) => [
        d.id,
        d.deviceName,
        d.operatingSystem,
        d.osVersion,
        d.userPrincipalName,
        d.managedDeviceOwnerType,
        d.complianceState,
        d.managementState,
      ]),
    ).toEqual([
      [device(1), 'LT-ALICE-01', 'Windows', '10.0.22631.4602', 'alice@maa.test', 'company', 'compliant', 'managed'],
      [device(2), 'MAC-BOB-01', 'macOS', '15.1', 'bob@maa.test', 'company', 'compliant', 'managed'],
      [device(3), 'IPH-CAROL-01', 'iOS', '18.1', 'carol@maa.test', 'company', 'noncompliant', 'managed'],
      [device(4), 'AND-DAVE-01', 'Android', '15', 'dave@maa.test', 'personal', 'compliant', 'managed'],
      [device(5), 'LT-OLGA-01', 'Windows', '10.0.19045.5131', 'olga@maa.test', 'company', 'compliant', 'managed'],
      [device(6), 'IPAD-KIOSK-01', 'iOS', '17.6', 'alice@maa.test', 'company', 'compliant', 'managed'],
    ]);
    const ids = (name: string) => tenant[name].map((object: any) => object.id);
    const seq = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${prefix}-0000-4000-8000-00000000000${i + 1}`);
    expect(ids('mobileApps')).toEqual(seq('a9900a00', 3));
    expect(ids('deviceManagementScripts')).toEqual(seq('5c410000', 2));
    expect(ids('deviceShellScripts')).toEqual(seq('5c420000', 1));
    expect(ids('deviceHealthScripts')).toEqual(seq('5c430000', 1));
    expect(ids('deviceCompliancePolicies')).toEqual(seq('c0a10000', 2));
    expect(ids('configurationPolicies')).toEqual(seq('c0f10000', 2));
    expect(ids('deviceConfigurations')).toEqual(seq('c0f20000', 1));
    expect(ids('roleDefinitions')).toEqual(seq('201e0000', 2));
    expect(ids('roleAssignments')).toEqual(seq('201a0000', 1));
    expect(ids('deviceCategories')).toEqual(seq('ca7e0000', 3));
    expect(tenant.mobileApps.map((app: any) => app['@odata.type'])).toEqual([
      '#microsoft.graph.win32LobApp',
      '#microsoft.graph.iosStoreApp',
      '#microsoft.graph.webApp',
    ]);
    for (const app of tenant.mobileApps) expect(app.assignments.length).toBeGreaterThanOrEqual(1);
    expect(tenant.roleAssignments[0].roleDefinitionId).toBe('201e0000-0000-4000-8000-000000000001');
    for (const policy of tenant.deviceCompliancePolicies)
      expect(policy.scheduledActionsForRule[0].scheduledActionConfigurations).toEqual([
        expect.objectContaining({ actionType: 'block' }),
      ]);
    expect(tenant.configurationPolicies[0].settings.length).toBeGreaterThanOrEqual(2);
  });

  it('serves the assignment target groups through the directory Graph', async () => {
    const group = await graph('GET', 'v1.0/groups/a9900000-0000-4000-8000-000000000103');
    expect(group).toMatchObject({ status: 200, body: { displayName: 'Kiosks' } });
  });

  it('pages collections with $top and @odata.nextLink, and honours $select and $filter', async () => {
    const first = await graph('GET', `v1.0/${DEVICES}?$top=4&$select=id,deviceName`);
    expect(first.status).toBe(200);
    expect(first.body.value).toEqual([1, 2, 3, 4].map((n) => expect.objectContaining({ id: device(n) })));
    expect(Object.keys(first.body.value[0]).sort()).toEqual(['@odata.type', 'deviceName', 'id']);
    const second = await graph('GET', first.body['@odata.nextLink']);
    expect(second.body.value.map((d: any) => d.deviceName)).toEqual(['LT-OLGA-01', 'IPAD-KIOSK-01']);
    expect(second.body['@odata.nextLink']).toBeUndefined();

    const filtered = await graph('GET', `v1.0/${DEVICES}?$filter=deviceName eq 'MAC-BOB-01'`);
    expect(filtered.body.value.map((d: any) => d.id)).toEqual([device(2)]);
    expect((await graph('GET', `v1.0/${DEVICES}?$top=0`)).status).toBe(400);
  });

  it('refuses the beta-only collections under v1.0 and serves them under beta', async () => {
    for (const collection of [
      'configurationPolicies',
      'deviceManagementScripts',
      'deviceShellScripts',
      'deviceHealthScripts',
    ]) {
      const refused = await graph('GET', `v1.0/deviceManagement/${collection}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        code: 'BadRequest',
        message: `Resource not found for the segment '${collection}'.`,
      });
      expect((await graph('GET', `beta/deviceManagement/${collection}`)).status).toBe(200);
    }
    expect((await graph('GET', 'beta/deviceManagement/deviceCompliancePolicies')).body.value).toHaveLength(2);
  });

  it('answers in Graph’s error shape with request-id and the caller’s client-request-id', async () => {
    const missing = await graph('GET', `v1.0/${DEVICES}/d3a1c0de-0000-4000-8000-0000000000ff`, undefined, {
      'client-request-id': 'b7d1f9c2-6a43-5e8f-9d21-0c7e5a3b4f10',
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({
      code: 'ResourceNotFound',
      message: expect.any(String),
      innerError: {
        'request-id': expect.stringMatching(GUID),
        'client-request-id': 'b7d1f9c2-6a43-5e8f-9d21-0c7e5a3b4f10',
        date: expect.any(String),
      },
    });
    expect(missing.headers.get('client-request-id')).toBe('b7d1f9c2-6a43-5e8f-9d21-0c7e5a3b4f10');
    expect(missing.headers.get('request-id')).toBe(missing.body.error.innerError['request-id']);
    const found = await graph('GET', `v1.0/${DEVICES}/${device(1)}`);
    expect(found.headers.get('request-id')).toMatch(GUID);
    expect(found.headers.get('client-request-id')).toMatch(GUID);
  });

  it('takes a wipe as pending and reports it done once the device delay passed on the runtime clock', async () => {
    const wiped = await graph(
      'POST',
      `v1.0/${DEVICES}/${device(6)}/wipe`,
      { keepUserData: false },
      {
        'client-request-id': '4a3c2b1d-0000-5000-8000-00000000aaaa',
      },
    );
    expect(wiped.status).toBe(204);
    const select = '$select=id,deviceName,managementState,deviceActionResults';
    const pending = await graph('GET', `v1.0/${DEVICES}/${device(6)}?${select}`);
    expect(pending.body).toMatchObject({
      managementState: 'wipePending',
      deviceActionResults: [{ actionName: 'wipe', actionState: 'pending' }],
    });
    const since = pending.body.deviceActionResults[0].startDateTime as string;
    const audits = await graph('GET', `beta/deviceManagement/remoteActionAudits?$filter=requestDateTime ge ${since}`);
    expect(audits.body.value).toEqual([
      expect.objectContaining({
        managedDeviceId: device(6),
        deviceDisplayName: 'IPAD-KIOSK-01',
        action: 'factoryReset',
        actionState: 'pending',
        initiatedByUserPrincipalName: expect.any(String),
      }),
    ]);
    expect((await graph('GET', 'v1.0/deviceManagement/remoteActionAudits')).status).toBe(400);

    await send(`${rt.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: 'PT10M' }) });
    const done = await graph('GET', `v1.0/${DEVICES}/${device(6)}?${select}`);
    expect(done.body).toMatchObject({
      managementState: 'wipeIssued',
      deviceActionResults: [{ actionName: 'wipe', actionState: 'done' }],
    });
    const later = await graph('GET', `beta/deviceManagement/remoteActionAudits?$filter=requestDateTime ge ${since}`);
    expect(later.body.value[0].actionState).toBe('done');
    const listed = (await local(rt, '')).body.managedDevices.find((d: any) => d.id === device(6));
    expect(listed.managementState).toBe('wipeIssued');
    expect(await callsTo(rt, `${device(6)}/wipe`)).toEqual([
      {
        method: 'POST',
        path: `/v1.0/${DEVICES}/${device(6)}/wipe`,
        body: { keepUserData: false },
        status: 204,
        clientRequestId: '4a3c2b1d-0000-5000-8000-00000000aaaa',
        at: expect.any(String),
      },
    ]);
  });

  it('deletes a device at once and audits the delete', async () => {
    const created = await local(rt, '/managedDevices', 'POST', {
      deviceName: 'LT-TEMP-01',
      operatingSystem: 'Windows',
      userPrincipalName: 'dave@maa.test',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(GUID),
      deviceName: 'LT-TEMP-01',
      complianceState: 'compliant',
      managedDeviceOwnerType: 'company',
      managementState: 'managed',
    });
    const id = created.body.id as string;
    expect((await graph('GET', `v1.0/${DEVICES}/${id}`)).body.deviceName).toBe('LT-TEMP-01');
    expect((await graph('DELETE', `v1.0/${DEVICES}/${id}`)).status).toBe(204);
    expect((await graph('GET', `v1.0/${DEVICES}/${id}`)).status).toBe(404);
    const audits = await graph('GET', `beta/deviceManagement/remoteActionAudits?$filter=managedDeviceId eq '${id}'`);
    expect(audits.body.value).toEqual([expect.objectContaining({ action: 'delete', actionState: 'done' })]);
    expect((await local(rt, '/managedDevices', 'POST', { deviceName: 'x' })).status).toBe(400);
  });

  it('fails the next matching writes with a 429 carrying Retry-After, changing nothing', async () => {
    expect(
      (await local(rt, '/faults', 'POST', { status: 429, count: 1, retryAfterSeconds: 7, path: '/retire' })).status,
    ).toBe(204);
    // A write elsewhere does not match the path and goes through.
    const category = 'deviceManagement/deviceCategories/ca7e0000-0000-4000-8000-000000000001';
    expect((await graph('PATCH', `v1.0/${category}`, { description: 'Laptops owned by the company.' })).status).toBe(
      204,
    );
    const throttled = await graph('POST', `v1.0/${DEVICES}/${device(4)}/retire`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body.error.code).toBe('TooManyRequests');
    expect((await graph('GET', `v1.0/${DEVICES}/${device(4)}`)).body.managementState).toBe('managed');
    expect((await graph('POST', `v1.0/${DEVICES}/${device(4)}/retire`)).status).toBe(204);
    expect((await graph('GET', `v1.0/${DEVICES}/${device(4)}`)).body.managementState).toBe('retirePending');
    expect((await callsTo(rt, `${device(4)}/retire`)).map((call) => call.status)).toEqual([429, 204]);
  });

  it('fails exactly `count` writes with a 503 and clears pending faults on DELETE', async () => {
    const category = 'v1.0/deviceManagement/deviceCategories/ca7e0000-0000-4000-8000-000000000002';
    expect((await local(rt, '/faults', 'POST', { status: 503, count: 2 })).status).toBe(204);
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await graph('PATCH', category, { description: `attempt ${i}` })).status);
    expect(statuses).toEqual([503, 503, 204]);
    expect((await graph('GET', category)).body.description).toBe('attempt 2');

    expect((await local(rt, '/faults', 'POST', { status: 500, count: 5 })).status).toBe(204);
    expect((await local(rt, '/faults', 'DELETE')).status).toBe(204);
    expect((await graph('PATCH', category, { description: 'after clearing' })).status).toBe(204);
    // Reads never fail from a fault.
    expect((await local(rt, '/faults', 'POST', { status: 503, count: 1 })).status).toBe(204);
    expect((await graph('GET', category)).status).toBe(200);
    await local(rt, '/faults', 'DELETE');

    for (const bad of [
      { status: 404, count: 1 },
      { status: 429, count: 0 },
      { status: 429, count: 1, path: '' },
    ])
      expect((await local(rt, '/faults', 'POST', bad)).status).toBe(400);
  });

  it('intercepts writes of a profile type as native Multi Admin Approval does, changing nothing', async () => {
    expect(
      (await local(rt, '/nativeApproval', 'POST', { profileType: 'tenantConfiguration', enabled: true })).status,
    ).toBe(204);
    const before = (await local(rt, '')).body.deviceCategories.length;
    const create = { displayName: 'Loaners', description: 'Short-term loan devices.' };
    const refused = await graph('POST', 'v1.0/deviceManagement/deviceCategories', create);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'BadRequest',
      message:
        "Header 'x-msft-approval-justification' is required for this operation because it is protected by a Multi Admin Approval policy.",
    });
    const filed = await graph('POST', 'v1.0/deviceManagement/deviceCategories', create, {
      'x-msft-approval-justification': Buffer.from('Loaner pool').toString('base64'),
    });
    expect(filed.status).toBe(403);
    expect(filed.body.error.code).toBe('ApprovalRequired');
    expect(filed.headers.get('x-msft-approval-code')).toMatch(GUID);
    expect((await local(rt, '')).body.deviceCategories).toHaveLength(before);
    // Other profile types are not intercepted.
    expect((await graph('POST', `v1.0/${DEVICES}/${device(3)}/retire`)).status).toBe(204);

    await local(rt, '/nativeApproval', 'POST', { profileType: 'tenantConfiguration', enabled: false });
    const created = await graph('POST', 'v1.0/deviceManagement/deviceCategories', create);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(GUID), ...create });
    expect((await local(rt, '/nativeApproval', 'POST', { profileType: 'everything', enabled: true })).status).toBe(400);
  });

  it('records every write with its status, oldest first, and no reads', async () => {
    const { items } = (await local(rt, '/calls')).body;
    expect(items.length).toBeGreaterThan(5);
    expect(items.every((call: any) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(call.method))).toBe(true);
    const times = items.map((call: any) => Date.parse(call.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(items.map((call: any) => call.status)).toEqual(expect.arrayContaining([204, 429, 503, 400, 403, 201]));
  });
});

describe('local Intune tenant with a narrower grant (MAA_LOCAL_GRAPH_PERMISSIONS)', () => {
  let rt: RunningRuntime;

  beforeAll(async () => {
    rt = await startRuntime({
      env: { MAA_LOCAL_GRAPH_PERMISSIONS: 'DeviceManagementManagedDevices.ReadWrite.All' },
    });
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('answers 403 naming the permissions that would allow the call', async () => {
    const graph = graphClient(rt);
    expect((await graph('GET', `v1.0/${DEVICES}/${device(1)}`)).status).toBe(200);
    const wipe = await graph('POST', `v1.0/${DEVICES}/${device(1)}/wipe`, {});
    expect(wipe.status).toBe(403);
    expect(wipe.body.error).toMatchObject({
      code: 'Forbidden',
      message:
        'Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementManagedDevices.PrivilegedOperations.All',
    });
    const apps = await graph('GET', 'v1.0/deviceAppManagement/mobileApps');
    expect(apps.status).toBe(403);
    expect(apps.body.error.message).toMatch(
      /one of the following scopes: DeviceManagementApps\.Read\.All, DeviceManagementApps\.ReadWrite\.All$/,
    );
    const script = await graph(
      'DELETE',
      'beta/deviceManagement/deviceManagementScripts/5c410000-0000-4000-8000-000000000001',
    );
    expect(script.body.error.message).toMatch(
      /scopes: DeviceManagementScripts\.ReadWrite\.All, DeviceManagementConfiguration\.ReadWrite\.All$/,
    );
    expect((await local(rt, '')).body.managedDevices[0].managementState).toBe('managed');
  });
});

describe('local Intune tenant across kill -9', () => {
  let dataDir: string;
  let rt: RunningRuntime | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'maa-intune-'));
  });
  afterAll(async () => {
    await rt?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps objects, device actions, calls, faults and native settings', async () => {
    rt = await startRuntime({ dataDir });
    let graph = graphClient(rt);
    const added = (
      await local(rt, '/managedDevices', 'POST', {
        deviceName: 'MAC-NEW-01',
        operatingSystem: 'macOS',
        userPrincipalName: 'bob@maa.test',
      })
    ).body;
    expect((await graph('POST', `v1.0/${DEVICES}/${added.id}/wipe`, {})).status).toBe(204);
    expect(
      (await graph('DELETE', 'v1.0/deviceManagement/deviceCategories/ca7e0000-0000-4000-8000-000000000003')).status,
    ).toBe(204);
    await local(rt, '/faults', 'POST', { status: 503, count: 1, path: '/deviceCategories' });
    await local(rt, '/nativeApproval', 'POST', { profileType: 'app', enabled: true });
    await rt.kill();

    rt = await startRuntime({ dataDir });
    graph = graphClient(rt);
    const tenant = (await local(rt, '')).body;
    expect(tenant.managedDevices.find((d: any) => d.id === added.id)).toMatchObject({
      deviceName: 'MAC-NEW-01',
      managementState: 'wipePending',
    });
    expect(tenant.deviceCategories.map((c: any) => c.id)).not.toContain('ca7e0000-0000-4000-8000-000000000003');
    expect((await callsTo(rt, `${added.id}/wipe`)).map((call) => call.status)).toEqual([204]);
    const category = 'v1.0/deviceManagement/deviceCategories/ca7e0000-0000-4000-8000-000000000001';
    expect((await graph('PATCH', category, { displayName: 'Laptops' })).status).toBe(503);
    expect((await graph('PATCH', category, { displayName: 'Laptops' })).status).toBe(204);
    const app = await graph('DELETE', 'v1.0/deviceAppManagement/mobileApps/a9900a00-0000-4000-8000-000000000003');
    expect(app.status).toBe(400);
    expect(app.body.error.message).toMatch(/x-msft-approval-justification/);
  });
});
