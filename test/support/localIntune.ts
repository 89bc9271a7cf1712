import { LOCAL_GRAPH_CLIENT, LOCAL_TENANT_ID } from '../../local/identity/seed';
import type { Api } from './api';
import type { RunningRuntime } from './runtime';

/** One write the local tenant received, as `GET /_local/intune/calls` lists it. */
export interface TenantCall {
  method: string;
  /** From the version on: `/v1.0/deviceManagement/managedDevices/<id>/wipe`. */
  path: string;
  body: any;
  status: number;
  clientRequestId: string | null;
  at: string;
}

/** The local tenant's collection (a key of `GET /_local/intune`) holding each catalogue `resourceType`. */
export const TENANT_COLLECTIONS: Readonly<Record<string, string>> = Object.freeze({
  managedDevice: 'managedDevices',
  mobileApp: 'mobileApps',
  deviceManagementScript: 'deviceManagementScripts',
  deviceShellScript: 'deviceShellScripts',
  deviceHealthScript: 'deviceHealthScripts',
  deviceCompliancePolicy: 'deviceCompliancePolicies',
  configurationPolicy: 'configurationPolicies',
  deviceConfiguration: 'deviceConfigurations',
  roleDefinition: 'roleDefinitions',
  roleAssignment: 'roleAssignments',
  deviceCategory: 'deviceCategories',
});

/** The id prefix of the seeded objects of each `resourceType` (`<prefix>-0000-4000-8000-00000000000N`). */
export const SEEDED_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  managedDevice: 'd3a1c0de',
  mobileApp: 'a9900a00',
  deviceManagementScript: '5c410000',
  deviceShellScript: '5c420000',
  deviceHealthScript: '5c430000',
  deviceCompliancePolicy: 'c0a10000',
  configurationPolicy: 'c0f10000',
  deviceConfiguration: 'c0f20000',
  roleDefinition: '201e0000',
  roleAssignment: '201a0000',
  deviceCategory: 'ca7e0000',
});

/** The id of the `n`th seeded object of `resourceType` in the local tenant. */
export function seededId(resourceType: string, n: number): string {
  const prefix = SEEDED_PREFIXES[resourceType];
  if (prefix === undefined) throw new Error(`no seeded objects of type ${resourceType}`);
  return `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** The seeded group "Sales devices" (one of the groups Intune objects are assigned to). */
export const SALES_GROUP = 'a9900000-0000-4000-8000-000000000102';

async function local(
  runtime: RunningRuntime,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${runtime.url}/_local/${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The local tenant as it is now (`GET /_local/intune`), collection by collection. */
export async function tenant(runtime: RunningRuntime): Promise<Record<string, any[]>> {
  const answer = await local(runtime, 'GET', 'intune');
  if (answer.status !== 200) throw new Error(`GET /_local/intune answered ${answer.status}`);
  return answer.body as Record<string, any[]>;
}

/** One object of the local tenant as it is now; undefined when it is not (or no longer) there. */
export async function tenantObject(runtime: RunningRuntime, resourceType: string, id: string): Promise<any> {
  return (await tenant(runtime))[TENANT_COLLECTIONS[resourceType]!]!.find((item: { id: string }) => item.id === id);
}

/** Every write the local tenant received, oldest first. */
export async function tenantCalls(runtime: RunningRuntime): Promise<TenantCall[]> {
  const answer = await local(runtime, 'GET', 'intune/calls');
  if (answer.status !== 200) throw new Error(`GET /_local/intune/calls answered ${answer.status}`);
  return answer.body.items as TenantCall[];
}

/** The writes sent with `clientRequestId` (one request's), and those of them Graph accepted. */
export async function writesOf(
  runtime: RunningRuntime,
  clientRequestId: string,
): Promise<{ all: TenantCall[]; effective: TenantCall[] }> {
  const all = (await tenantCalls(runtime)).filter((call) => call.clientRequestId === clientRequestId);
  return { all, effective: all.filter((call) => call.status >= 200 && call.status < 300) };
}

/** The next `count` writes whose path contains `path` answer `status` and change nothing. */
export async function injectFault(
  runtime: RunningRuntime,
  fault: { status: 429 | 500 | 503; count: number; retryAfterSeconds?: number; path?: string },
): Promise<void> {
  const answer = await local(runtime, 'POST', 'intune/faults', fault);
  if (answer.status !== 204) throw new Error(`POST /_local/intune/faults answered ${answer.status}`);
}

/** Turns native Multi Admin Approval's interception of app-only writes of `profileType` on or off. */
export async function nativeApproval(runtime: RunningRuntime, profileType: string, enabled: boolean): Promise<void> {
  const answer = await local(runtime, 'POST', 'intune/nativeApproval', { profileType, enabled });
  if (answer.status !== 204) throw new Error(`POST /_local/intune/nativeApproval answered ${answer.status}`);
}

/** Enrols a new managed device in the local tenant; resolves with its id. */
export async function enrolDevice(
  runtime: RunningRuntime,
  deviceName: string,
  operatingSystem = 'Windows',
  userPrincipalName = 'alice@maa.test',
): Promise<string> {
  const answer = await local(runtime, 'POST', 'intune/managedDevices', {
    deviceName,
    operatingSystem,
    userPrincipalName,
  });
  if (answer.status !== 201) throw new Error(`enrolling ${deviceName} answered ${answer.status}`);
  return answer.body.id as string;
}

/**
 * Calls the local Graph as the app's own registration would (client credentials), e.g. to change
 * an object as another admin tool would behind the service's back.
 */
export async function graphAsApp(
  runtime: RunningRuntime,
  method: string,
  pathFromVersion: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const token = await fetch(`${runtime.url}/_local/entra/${LOCAL_TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: LOCAL_GRAPH_CLIENT.clientId,
      client_secret: LOCAL_GRAPH_CLIENT.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }).toString(),
  });
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  const response = await fetch(`${runtime.url}/_local/graph${pathFromVersion}`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Submits `body` as alice and has `approver` approve it; resolves with the approved request's id. */
export async function submitApproved(api: Api, body: unknown, approver = 'bob'): Promise<string> {
  const submitted = await api.call('alice', 'POST', 'requests', body);
  if (submitted.status !== 202)
    throw new Error(
      `submitting ${JSON.stringify(body)} answered ${submitted.status}: ${JSON.stringify(submitted.body)}`,
    );
  const id = submitted.body.id as string;
  const approved = await api.call(approver, 'POST', `requests/${id}/approve`, { notes: 'checked' });
  if (approved.status !== 202) throw new Error(`approving ${id} answered ${approved.status}`);
  await api.until('alice', id, (request) => request.status === 'approved');
  return id;
}

/** Completes an approved request as alice; resolves with the request once its execution is recorded. */
export async function completeAndExecute(api: Api, id: string, timeoutMs = 30_000): Promise<any> {
  const completed = await api.call('alice', 'POST', `requests/${id}/complete`);
  if (completed.status !== 202) throw new Error(`completing ${id} answered ${completed.status}`);
  return executionOf(api, id, timeoutMs);
}

/** Polls until the request's execution is recorded (longer than {@link Api.until}: retries wait on Graph). */
export async function executionOf(api: Api, id: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api.call('alice', 'GET', `requests/${id}`);
    if (body?.execution !== undefined) return body;
    if (Date.now() > deadline) throw new Error(`${id} has no execution after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every Intune profile type a catalogue operation belongs to. */
export const INTUNE_PROFILE_TYPES = [
  'deviceWipe',
  'deviceRetire',
  'deviceDelete',
  'app',
  'script',
  'compliancePolicy',
  'configurationPolicy',
  'role',
  'tenantConfiguration',
] as const;
