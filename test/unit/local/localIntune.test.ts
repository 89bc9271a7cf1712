import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { INTUNE_PERMISSIONS } from '../../../local/intune/collections';
import { LocalIntune } from '../../../local/intune/localIntune';
import { parseFilter } from '../../../local/intune/odata';

const origin = 'http://127.0.0.1:7071';
const start = Date.UTC(2030, 0, 1, 9);
let now = start;
let dataDir: string;
let intune: LocalIntune;

beforeEach(() => {
  now = start;
  dataDir = mkdtempSync(path.join(tmpdir(), 'maa-intune-unit-'));
  intune = new LocalIntune({ dataDir, synchronous: 'NORMAL', now: () => now, deviceDelayMs: 5 * 60_000 });
});
afterEach(() => {
  intune.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One Graph call (`beta/deviceManagement/...`) with the full default grant unless `roles` says otherwise. */
function graph(
  method: string,
  pathAndQuery: string,
  body?: unknown,
  options: { roles?: readonly string[]; headers?: Record<string, string> } = {},
) {
  const url = new URL(`/_local/graph/${pathAndQuery}`, origin);
  const [version, ...segments] = url.pathname.slice('/_local/graph/'.length).split('/').map(decodeURIComponent);
  const reply = intune.handle({
    method,
    version: version as 'v1.0' | 'beta',
    segments,
    url,
    headers: options.headers ?? {},
    body: body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)),
    roles: options.roles ?? INTUNE_PERMISSIONS,
    appId: 'app',
  });
  const text = reply.body.toString('utf8');
  return { status: reply.status, headers: reply.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

const WINDOWS_POLICY = 'c0a10000-0000-4000-8000-000000000001';
const SETTINGS_POLICY = 'c0f10000-0000-4000-8000-000000000001';
const APP = 'a9900a00-0000-4000-8000-000000000001';
const SALES = 'a9900000-0000-4000-8000-000000000102';
const PILOT = 'a9900000-0000-4000-8000-000000000104';
const groupTarget = (groupId: string) => ({ '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId });

describe('local Intune tenant: creates', () => {
  const compliance = (actions: string[]) => ({
    '@odata.type': '#microsoft.graph.windows10CompliancePolicy',
    displayName: 'Windows strict',
    description: 'Strict [maa:req-1]',
    scheduledActionsForRule: [
      {
        ruleName: null,
        scheduledActionConfigurations: actions.map((actionType) => ({ actionType, gracePeriodHours: 0 })),
      },
    ],
  });

  it('refuses a compliance policy without exactly one block scheduled action', () => {
    for (const actions of [[], ['notification'], ['block', 'block']]) {
      const reply = graph('POST', 'v1.0/deviceManagement/deviceCompliancePolicies', compliance(actions));
      expect(reply.status).toBe(400);
      expect(reply.body.error.message).toBe('Compliance policy must have one and only one block scheduled action');
    }
    expect(intune.snapshot().deviceCompliancePolicies).toHaveLength(2);
  });

  it('creates an object with an id, times and version 1, keeping the description as sent', () => {
    const created = graph(
      'POST',
      'v1.0/deviceManagement/deviceCompliancePolicies',
      compliance(['block', 'notification']),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      '@odata.type': '#microsoft.graph.windows10CompliancePolicy',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      description: 'Strict [maa:req-1]',
      version: 1,
      createdDateTime: new Date(start).toISOString(),
      lastModifiedDateTime: new Date(start).toISOString(),
    });
    const found = graph(
      'GET',
      "v1.0/deviceManagement/deviceCompliancePolicies?$filter=contains(description,'[maa:req-1]')",
    );
    expect(found.body.value.map((policy: any) => policy.id)).toEqual([created.body.id]);
  });

  it('binds a role assignment to an existing role definition only', () => {
    const bind = (id: string) => ({
      displayName: 'App packagers',
      members: [PILOT],
      resourceScopes: [SALES],
      'roleDefinition@odata.bind': `https://graph.microsoft.com/beta/deviceManagement/roleDefinitions('${id}')`,
    });
    const created = graph(
      'POST',
      'v1.0/deviceManagement/roleAssignments',
      bind('201e0000-0000-4000-8000-000000000002'),
    );
    expect(created.status).toBe(201);
    const definition = graph('GET', `v1.0/deviceManagement/roleAssignments/${created.body.id}/roleDefinition`);
    expect(definition.body.displayName).toBe('App packager');
    expect(
      graph('POST', 'v1.0/deviceManagement/roleAssignments', bind('201e0000-0000-4000-8000-0000000000ff')).status,
    ).toBe(404);
    expect(graph('POST', 'v1.0/deviceManagement/roleAssignments', { displayName: 'unbound' }).status).toBe(400);
  });
});

describe('local Intune tenant: updates', () => {
  it('bumps lastModifiedDateTime and version on PATCH, and answers 404 once deleted', () => {
    now += 60_000;
    const url = `v1.0/deviceManagement/deviceCompliancePolicies/${WINDOWS_POLICY}`;
    expect(graph('PATCH', url, { passwordMinimumLength: 14, version: 99, id: 'other' }).status).toBe(204);
    expect(graph('GET', url).body).toMatchObject({
      id: WINDOWS_POLICY,
      passwordMinimumLength: 14,
      version: 4,
      lastModifiedDateTime: new Date(now).toISOString(),
    });
    expect(graph('DELETE', url).status).toBe(204);
    expect(graph('GET', url).body.error.code).toBe('ResourceNotFound');
    expect(graph('DELETE', url).status).toBe(404);
  });

  it('replaces a settings catalog policy with PUT and refuses settings in a PATCH', () => {
    const url = `beta/deviceManagement/configurationPolicies/${SETTINGS_POLICY}`;
    const patched = graph('PATCH', url, { settings: [] });
    expect(patched.status).toBe(400);
    expect(patched.body.error.message).toMatch(/^Cannot apply PATCH to navigation property 'settings'/);
    const setting = {
      '@odata.type': '#microsoft.graph.deviceManagementConfigurationSetting',
      settingInstance: { settingDefinitionId: 'x' },
    };
    const replaced = graph('PUT', url, {
      name: 'Defender (replaced)',
      platforms: 'windows10',
      technologies: 'mdm',
      settings: [setting],
    });
    expect(replaced.status).toBe(204);
    expect(graph('GET', url).body).toMatchObject({ name: 'Defender (replaced)', settingCount: 1 });
    expect(graph('GET', url).body.settings).toBeUndefined();
    expect(graph('GET', `${url}/settings`).body.value).toEqual([setting]);
    expect(graph('GET', `${url}?$expand=settings`).body.settings).toEqual([setting]);
    expect(graph('PUT', `v1.0/deviceManagement/deviceCompliancePolicies/${WINDOWS_POLICY}`, {}).status).toBe(400);
  });

  it('fills lazy script content only when one script is read by id', () => {
    const list = graph('GET', 'beta/deviceManagement/deviceManagementScripts');
    expect(list.body.value[0].scriptContent).toBeNull();
    const one = graph('GET', 'beta/deviceManagement/deviceManagementScripts/5c410000-0000-4000-8000-000000000001');
    expect(Buffer.from(one.body.scriptContent as string, 'base64').toString('utf8')).toContain('Set-TimeZone');
  });
});

describe('local Intune tenant: assignments', () => {
  it('replaces an app’s assignments with assign and adds or removes one through assignments', () => {
    const base = `v1.0/deviceAppManagement/mobileApps/${APP}`;
    const assign = graph('POST', `${base}/assign`, {
      mobileAppAssignments: [{ intent: 'required', target: groupTarget(PILOT) }],
    });
    expect(assign.status).toBe(204);
    const after = graph('GET', `${base}/assignments`).body.value;
    expect(after).toEqual([expect.objectContaining({ intent: 'required', target: groupTarget(PILOT) })]);

    const added = graph('POST', `${base}/assignments`, { intent: 'available', target: groupTarget(SALES) });
    expect(added.status).toBe(201);
    expect(graph('GET', `${base}/assignments`).body.value).toHaveLength(2);
    expect(graph('DELETE', `${base}/assignments/${after[0].id}`).status).toBe(204);
    expect(graph('GET', `${base}/assignments`).body.value.map((a: any) => a.id)).toEqual([added.body.id]);
    expect(graph('DELETE', `${base}/assignments/${after[0].id}`).status).toBe(404);
  });

  it('answers a policy assign with the resulting collection and checks every target', () => {
    const url = `v1.0/deviceManagement/deviceCompliancePolicies/${WINDOWS_POLICY}/assign`;
    const reply = graph('POST', url, {
      assignments: [
        { target: groupTarget(SALES) },
        { target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } },
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.value.map((a: any) => a.id)).toEqual([
      `${WINDOWS_POLICY}_${SALES}`,
      `${WINDOWS_POLICY}_allDevices`,
    ]);
    expect(
      graph('POST', url, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget' } }] })
        .status,
    ).toBe(400);
    expect(
      graph('POST', url, { assignments: [{ target: { '@odata.type': '#microsoft.graph.userTarget' } }] }).status,
    ).toBe(400);
    expect(graph('POST', url, {}).status).toBe(400);
    expect(
      graph('GET', `v1.0/deviceManagement/deviceCompliancePolicies/${WINDOWS_POLICY}/assignments`).body.value,
    ).toHaveLength(2);
  });
});

describe('local Intune tenant: permissions and state', () => {
  it('lets a Read.All grant read but not write', () => {
    const roles = ['DeviceManagementConfiguration.Read.All'];
    expect(graph('GET', 'v1.0/deviceManagement/deviceCategories', undefined, { roles }).status).toBe(200);
    const write = graph(
      'DELETE',
      'v1.0/deviceManagement/deviceCategories/ca7e0000-0000-4000-8000-000000000001',
      undefined,
      {
        roles,
      },
    );
    expect(write.status).toBe(403);
    expect(write.body.error.message).toMatch(/scopes: DeviceManagementConfiguration\.ReadWrite\.All$/);
  });

  it('records the write refused for want of a permission, changing nothing', () => {
    const id = 'd3a1c0de-0000-4000-8000-000000000001';
    expect(graph('POST', `v1.0/deviceManagement/managedDevices/${id}/retire`, undefined, { roles: [] }).status).toBe(
      403,
    );
    expect(intune.snapshot().managedDevices[0]!.managementState).toBe('managed');
    const calls = intune.routes().get('/_local/intune/*')!(
      { method: 'GET', headers: {} } as IncomingMessage,
      new URL('/_local/intune/calls', origin),
      Buffer.alloc(0),
    ) as { body: Buffer };
    expect(JSON.parse(calls.body.toString('utf8')).items).toEqual([
      {
        method: 'POST',
        path: `/v1.0/deviceManagement/managedDevices/${id}/retire`,
        body: null,
        status: 403,
        clientRequestId: null,
        at: new Date(start).toISOString(),
      },
    ]);
  });

  it('keeps a retire pending until the device delay passed, then done', () => {
    const id = 'd3a1c0de-0000-4000-8000-000000000002';
    expect(graph('POST', `v1.0/deviceManagement/managedDevices/${id}/retire`).status).toBe(204);
    now += 5 * 60_000 - 1;
    expect(graph('GET', `v1.0/deviceManagement/managedDevices/${id}`).body.managementState).toBe('retirePending');
    expect(graph('GET', 'v1.0/deviceManagement/managedDevices').body.value[1].deviceActionResults).toEqual([]);
    now += 1;
    expect(graph('GET', `v1.0/deviceManagement/managedDevices/${id}`).body).toMatchObject({
      managementState: 'retireIssued',
      deviceActionResults: [
        { actionName: 'retire', actionState: 'done', lastUpdatedDateTime: new Date(now).toISOString() },
      ],
    });
  });

  it('takes only the wipe parameters of the Graph version called', () => {
    const wipe = (version: string, body: unknown) =>
      graph('POST', `${version}/deviceManagement/managedDevices/d3a1c0de-0000-4000-8000-000000000002/wipe`, body);
    expect(wipe('v1.0', { useProtectedWipe: true }).status).toBe(400);
    expect(wipe('v1.0', { keepUserData: true, macOsUnlockCode: '123456' }).status).toBe(204);
    expect(wipe('beta', { useProtectedWipe: true }).status).toBe(204);
    expect(
      graph('POST', 'v1.0/deviceManagement/managedDevices/d3a1c0de-0000-4000-8000-000000000003/retire', {
        keepUserData: true,
      }).status,
    ).toBe(400);
  });

  it('reopens the same tenant from its file', () => {
    graph('DELETE', 'v1.0/deviceManagement/deviceCategories/ca7e0000-0000-4000-8000-000000000001');
    intune.close();
    intune = new LocalIntune({ dataDir, synchronous: 'NORMAL', now: () => now, deviceDelayMs: 1000 });
    expect(intune.snapshot().deviceCategories.map((c) => c.id)).toEqual([
      'ca7e0000-0000-4000-8000-000000000002',
      'ca7e0000-0000-4000-8000-000000000003',
    ]);
  });
});

describe('$filter', () => {
  const rows = [
    { deviceName: 'LT-01', requestDateTime: '2030-01-01T08:00:00Z', n: 1 },
    { deviceName: "O'Brien and co", requestDateTime: '2030-01-01T10:00:00Z', n: 2 },
  ];
  const names = (expression: string) => {
    const parsed = parseFilter(expression);
    if (!parsed.ok) throw new Error(parsed.reason);
    return rows.filter(parsed.test).map((row) => row.n);
  };

  it.each([
    ["deviceName eq 'lt-01'", [1]],
    ["deviceName eq 'O''Brien and co'", [2]],
    ['requestDateTime ge 2030-01-01T09:00:00Z', [2]],
    ["requestDateTime lt 2030-01-01T09:00:00Z and deviceName ne 'x'", [1]],
    ["startswith(deviceName,'O''B')", [2]],
    ['n gt 1', [2]],
  ])('%s', (expression, expected) => {
    expect(names(expression)).toEqual(expected);
  });

  it('refuses what it does not understand', () => {
    expect(parseFilter('deviceName like x').ok).toBe(false);
  });
});
