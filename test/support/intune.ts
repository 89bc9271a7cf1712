/**
 * The runtime's local Intune tenant as the tests see it: the seeded objects' fixed ids,
 * new managed devices on demand, and the writes the tenant received (`/_local/intune*`, see
 * docs/local-runtime.md).
 */
import type { CallRecord } from '../../local/intune/tenantStore';

const seeded = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The fixed ids of the objects every local tenant starts with. */
export const SEEDED = Object.freeze({
  devices: Object.freeze({
    /** `LT-ALICE-01`, Windows, alice's, compliant. */
    aliceLaptop: seeded('d3a1c0de', 1),
    /** `MAC-BOB-01`, macOS, bob's. */
    bobMac: seeded('d3a1c0de', 2),
    /** `IPH-CAROL-01`, iOS, carol's, noncompliant. */
    carolIphone: seeded('d3a1c0de', 3),
    /** `AND-DAVE-01`, Android, dave's, personal. */
    daveAndroid: seeded('d3a1c0de', 4),
    /** `LT-OLGA-01`, Windows, olga's. */
    olgaLaptop: seeded('d3a1c0de', 5),
    /** `IPAD-KIOSK-01`, iOS, alice's. */
    kioskIpad: seeded('d3a1c0de', 6),
  }),
  mobileApps: Object.freeze([1, 2, 3].map((n) => seeded('a9900a00', n))),
  deviceManagementScripts: Object.freeze([1, 2].map((n) => seeded('5c410000', n))),
  deviceShellScripts: Object.freeze([seeded('5c420000', 1)]),
  deviceHealthScripts: Object.freeze([seeded('5c430000', 1)]),
  deviceCompliancePolicies: Object.freeze([1, 2].map((n) => seeded('c0a10000', n))),
  configurationPolicies: Object.freeze([1, 2].map((n) => seeded('c0f10000', n))),
  deviceConfigurations: Object.freeze([seeded('c0f20000', 1)]),
  roleDefinitions: Object.freeze([1, 2].map((n) => seeded('201e0000', n))),
  roleAssignments: Object.freeze([seeded('201a0000', 1)]),
  deviceCategories: Object.freeze([1, 2, 3].map((n) => seeded('ca7e0000', n))),
  /** Directory groups Intune objects are assigned to (`maa-approvers` is the first). */
  groups: Object.freeze([1, 2, 3, 4].map((n) => seeded('a9900000', 100 + n))),
});

/** An operating system the local tenant takes for a new managed device. */
export type DeviceOs = 'Windows' | 'macOS' | 'iOS' | 'Android';

/**
 * Enrols a new managed device named `name` in the runtime at `runtimeUrl`
 * (`POST /_local/intune/managedDevices`), owned by `owner` (a seeded user's name); resolves with
 * its id. Each call makes a distinct device, so tests that need distinct resources call it once each.
 */
export async function newDevice(
  runtimeUrl: string,
  name: string,
  os: DeviceOs = 'Windows',
  owner = 'dave',
): Promise<string> {
  const response = await fetch(`${runtimeUrl}/_local/intune/managedDevices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deviceName: name, operatingSystem: os, userPrincipalName: `${owner}@maa.test` }),
  });
  const body = (await response.json().catch(() => undefined)) as { id?: unknown } | undefined;
  if (response.status !== 201 || typeof body?.id !== 'string')
    throw new Error(`enrolling device ${name} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** `count` new devices named `<prefix>-01`, `<prefix>-02`, ..., enrolled a few at a time; their ids in that order. */
export async function newDevices(runtimeUrl: string, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 8)
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(8, count - start) }, (_, n) =>
          newDevice(runtimeUrl, `${prefix}-${String(start + n + 1).padStart(2, '0')}`),
        ),
      )),
    );
  return ids;
}

/** One write the local tenant received, as `GET /_local/intune/calls` lists it. */
export type IntuneCall = CallRecord;

/** Every write the local tenant received so far, oldest first. */
export async function intuneCalls(runtimeUrl: string): Promise<IntuneCall[]> {
  const response = await fetch(`${runtimeUrl}/_local/intune/calls`);
  if (response.status !== 200) throw new Error(`GET /_local/intune/calls answered ${response.status}`);
  return ((await response.json()) as { items: IntuneCall[] }).items;
}

/** The writes received for one managed device (its actions and its deletion). */
export async function deviceWrites(runtimeUrl: string, deviceId: string): Promise<IntuneCall[]> {
  const suffix = `/deviceManagement/managedDevices/${deviceId}`;
  return (await intuneCalls(runtimeUrl)).filter(
    (call) => call.path.endsWith(suffix) || call.path.includes(`${suffix}/`),
  );
}

/** The local tenant as it is now (`GET /_local/intune`): each collection with its objects. */
export async function intuneTenant(runtimeUrl: string): Promise<Record<string, Record<string, any>[]>> {
  const response = await fetch(`${runtimeUrl}/_local/intune`);
  if (response.status !== 200) throw new Error(`GET /_local/intune answered ${response.status}`);
  return (await response.json()) as Record<string, Record<string, any>[]>;
}

/** The catalogue action of each device profile type. */
const DEVICE_ACTION = Object.freeze({ deviceWipe: 'wipe', deviceRetire: 'retire', deviceDelete: 'delete' });

/** The body of `POST /api/requests` for the device action of `profileType` on managed device `resourceId`. */
export function deviceActionBody(
  profileType: keyof typeof DEVICE_ACTION,
  resourceId: string,
  justification = `Device ${resourceId} reported stolen`,
): { profileType: string; operation: Record<string, string>; justification: string } {
  return {
    profileType,
    operation: { action: DEVICE_ACTION[profileType], resourceType: 'managedDevice', resourceId },
    justification,
  };
}
