/**
 * The Intune collections the local tenant serves, as Microsoft Graph lays them out: where each
 * lives, in which Graph versions, which application permissions open it, and which native Multi
 * Admin Approval profile type guards its writes.
 */

/** The collections of `GET /_local/intune`, in the order it lists them. */
export const COLLECTION_NAMES = [
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
] as const;

export type CollectionName = (typeof COLLECTION_NAMES)[number];

/** Every stored collection: the listed ones and the device action audit log. */
export type StoredCollection = CollectionName | 'remoteActionAudits';

/** How `POST /{id}/assign` works for a collection. */
export interface AssignSpec {
  /** The body's array property, e.g. `mobileAppAssignments`. */
  readonly bodyKey: string;
  /** `204` (apps, scripts) or `200` with the resulting collection (policies). */
  readonly status: 200 | 204;
}

/** One collection of the local tenant. */
export interface CollectionSpec {
  readonly name: StoredCollection;
  /** The segment below the version: `deviceManagement` or `deviceAppManagement`. */
  readonly root: 'deviceManagement' | 'deviceAppManagement';
  /** Served under `/beta/` only; `/v1.0/` answers `400` as Graph does. */
  readonly betaOnly: boolean;
  /** `@odata.type` of objects created without one. */
  readonly odataType: string;
  /** The permission family: reads need `<family>.Read.All` or `.ReadWrite.All`, writes `.ReadWrite.All`. */
  readonly family: string;
  /** Further permissions accepted for reads and writes. */
  readonly alsoAccept: readonly string[];
  /** Objects carry an Int32 `version` that every change bumps. */
  readonly versioned: boolean;
  /** Properties Graph fills only when one object is read by id (lazy properties). */
  readonly lazy: readonly string[];
  readonly assign?: AssignSpec;
  /** The native MAA profile type guarding create, update, delete and assign. */
  readonly profileType?: string;
  /** Reads only (no create, update or delete through Graph). */
  readonly readOnly?: boolean;
}

const spec = (
  name: StoredCollection,
  root: CollectionSpec['root'],
  odataType: string,
  family: string,
  more: Partial<Omit<CollectionSpec, 'name' | 'root' | 'odataType' | 'family'>> = {},
): CollectionSpec =>
  Object.freeze({
    name,
    root,
    odataType: `#microsoft.graph.${odataType}`,
    family,
    betaOnly: false,
    alsoAccept: [],
    versioned: false,
    lazy: [],
    ...more,
  });

const SCRIPTS = {
  betaOnly: true,
  alsoAccept: ['DeviceManagementConfiguration.ReadWrite.All'],
  profileType: 'script',
} as const;

/** Every collection by name. */
export const COLLECTIONS: Readonly<Record<StoredCollection, CollectionSpec>> = Object.freeze({
  managedDevices: spec('managedDevices', 'deviceManagement', 'managedDevice', 'DeviceManagementManagedDevices', {
    lazy: ['deviceActionResults'],
  }),
  mobileApps: spec('mobileApps', 'deviceAppManagement', 'mobileApp', 'DeviceManagementApps', {
    assign: { bodyKey: 'mobileAppAssignments', status: 204 },
    profileType: 'app',
  }),
  deviceManagementScripts: spec(
    'deviceManagementScripts',
    'deviceManagement',
    'deviceManagementScript',
    'DeviceManagementScripts',
    { ...SCRIPTS, lazy: ['scriptContent'], assign: { bodyKey: 'deviceManagementScriptAssignments', status: 204 } },
  ),
  deviceShellScripts: spec('deviceShellScripts', 'deviceManagement', 'deviceShellScript', 'DeviceManagementScripts', {
    ...SCRIPTS,
    lazy: ['scriptContent'],
    assign: { bodyKey: 'deviceManagementScriptAssignments', status: 204 },
  }),
  deviceHealthScripts: spec(
    'deviceHealthScripts',
    'deviceManagement',
    'deviceHealthScript',
    'DeviceManagementScripts',
    {
      ...SCRIPTS,
      lazy: ['detectionScriptContent', 'remediationScriptContent'],
      assign: { bodyKey: 'deviceHealthScriptAssignments', status: 204 },
    },
  ),
  deviceCompliancePolicies: spec(
    'deviceCompliancePolicies',
    'deviceManagement',
    'deviceCompliancePolicy',
    'DeviceManagementConfiguration',
    { versioned: true, assign: { bodyKey: 'assignments', status: 200 }, profileType: 'compliancePolicy' },
  ),
  configurationPolicies: spec(
    'configurationPolicies',
    'deviceManagement',
    'deviceManagementConfigurationPolicy',
    'DeviceManagementConfiguration',
    { betaOnly: true, assign: { bodyKey: 'assignments', status: 200 }, profileType: 'configurationPolicy' },
  ),
  deviceConfigurations: spec(
    'deviceConfigurations',
    'deviceManagement',
    'deviceConfiguration',
    'DeviceManagementConfiguration',
    { versioned: true, assign: { bodyKey: 'assignments', status: 200 }, profileType: 'configurationPolicy' },
  ),
  roleDefinitions: spec(
    'roleDefinitions',
    'deviceManagement',
    'deviceAndAppManagementRoleDefinition',
    'DeviceManagementRBAC',
    { profileType: 'role' },
  ),
  roleAssignments: spec(
    'roleAssignments',
    'deviceManagement',
    'deviceAndAppManagementRoleAssignment',
    'DeviceManagementRBAC',
    { profileType: 'role' },
  ),
  deviceCategories: spec('deviceCategories', 'deviceManagement', 'deviceCategory', 'DeviceManagementConfiguration', {
    profileType: 'tenantConfiguration',
  }),
  remoteActionAudits: spec(
    'remoteActionAudits',
    'deviceManagement',
    'remoteActionAudit',
    'DeviceManagementManagedDevices',
    { betaOnly: true, readOnly: true },
  ),
});

/** The collection at `root/segment`, if the tenant serves one there. */
export function findCollection(root: string, segment: string): CollectionSpec | undefined {
  const found = (Object.values(COLLECTIONS) as CollectionSpec[]).find(
    (candidate) => candidate.name === segment && candidate.root === root,
  );
  return found;
}

/** The privileged permission remote wipe and retire need. */
export const PRIVILEGED_OPERATIONS = 'DeviceManagementManagedDevices.PrivilegedOperations.All';

/** The permissions any one of which allows the call (reads: `.Read.All` or `.ReadWrite.All`; writes: `.ReadWrite.All`). */
export function permissionsFor(collection: CollectionSpec, write: boolean, deviceAction?: 'wipe' | 'retire'): string[] {
  if (deviceAction) return [PRIVILEGED_OPERATIONS];
  const own = write
    ? [`${collection.family}.ReadWrite.All`]
    : [`${collection.family}.Read.All`, `${collection.family}.ReadWrite.All`];
  return [...own, ...collection.alsoAccept];
}

/** The native MAA profile type guarding a write, if any (device actions have their own). */
export function nativeProfileTypeOf(
  collection: CollectionSpec,
  method: string,
  action: string | undefined,
  id: string | undefined,
): string | undefined {
  if (collection.name === 'managedDevices') {
    if (action === 'wipe') return 'deviceWipe';
    if (action === 'retire') return 'deviceRetire';
    if (method === 'DELETE' && id !== undefined && action === undefined) return 'deviceDelete';
    return undefined;
  }
  return collection.profileType;
}

/** The profile types `POST /_local/intune/nativeApproval` takes. */
export const NATIVE_PROFILE_TYPES: readonly string[] = Object.freeze([
  'deviceWipe',
  'deviceRetire',
  'deviceDelete',
  'app',
  'script',
  'compliancePolicy',
  'configurationPolicy',
  'role',
  'tenantConfiguration',
]);

/** Every Intune application permission the local tenant knows, `.ReadWrite.All` and privileged (the default grant). */
export const INTUNE_PERMISSIONS: readonly string[] = Object.freeze([
  'DeviceManagementManagedDevices.ReadWrite.All',
  PRIVILEGED_OPERATIONS,
  'DeviceManagementApps.ReadWrite.All',
  'DeviceManagementScripts.ReadWrite.All',
  'DeviceManagementConfiguration.ReadWrite.All',
  'DeviceManagementRBAC.ReadWrite.All',
]);
