import { CATALOGUE, type CatalogueEntry, type CatalogueOperation } from '../../shared/intune/catalogue';
import { SEEDED } from './intune';

export { INTUNE_PROFILE_TYPES } from '../../shared/intune/settings';

/**
 * How the runtime tests and the executor benchmark run every operation of the catalogue against
 * a fresh local tenant: which seeded object each entry works on, in which order the entries of one
 * resource type go, and the operation each submits.
 */

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

/** The id of the `n`th seeded object of `resourceType` in the local tenant (see {@link SEEDED}). */
export function seededId(resourceType: string, n: number): string {
  const seeded = SEEDED as unknown as Record<string, readonly string[]>;
  const ids =
    resourceType === 'managedDevice' ? Object.values(SEEDED.devices) : seeded[TENANT_COLLECTIONS[resourceType]!];
  const id = ids?.[n - 1];
  if (id === undefined) throw new Error(`the local tenant seeds no ${resourceType} number ${n}`);
  return id;
}

/** The order the entries of one resource type run in: whatever deletes the object goes last. */
const ACTION_ORDER = [
  'create',
  'update',
  'replace',
  'assign',
  'addAssignment',
  'removeAssignment',
  'wipe',
  'retire',
  'delete',
];

/** Which seeded device each device action takes: one each, as they run side by side. */
const DEVICE_OF_ACTION: Readonly<Record<string, number>> = { wipe: 1, retire: 2, delete: 3 };

/** `deviceWipe managedDevice wipe`: how runs and reports name an entry. */
export const entryName = (entry: CatalogueEntry): string =>
  `${entry.profileType} ${entry.resourceType} ${entry.action}`;

/**
 * The catalogue in chains: one per resource type, its entries in the order they can run on the
 * same object one after another (each reads what the previous one left; a delete comes last).
 * Chains touch distinct objects, so they can run side by side.
 */
export function catalogueChains(): CatalogueEntry[][] {
  const byType = new Map<string, CatalogueEntry[]>();
  for (const entry of CATALOGUE) byType.set(entry.resourceType, [...(byType.get(entry.resourceType) ?? []), entry]);
  return [...byType.values()].map((entries) =>
    entries.sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action)),
  );
}

/** The seeded object an entry works on: devices one each, the other types one object in turn; undefined for a create. */
export function seededTarget(entry: CatalogueEntry): string | undefined {
  if (entry.resourceId !== 'required') return undefined;
  if (entry.resourceType === 'managedDevice') return seededId('managedDevice', DEVICE_OF_ACTION[entry.action]!);
  // Role definition 1 holds the seeded role assignment; 2 can be changed and deleted freely.
  if (entry.resourceType === 'roleDefinition') return seededId('roleDefinition', 2);
  return seededId(entry.resourceType, 1);
}

/**
 * The operation a run submits for `entry`: its catalogue example on {@link seededTarget}; a
 * removal names the last assignment `target` (the object as the tenant shows it now) has.
 */
export function catalogueOperation(entry: CatalogueEntry, target: { assignments?: { id: string }[] } | undefined) {
  const operation: CatalogueOperation = structuredClone(entry.example);
  const resourceId = seededTarget(entry);
  if (resourceId !== undefined) operation.resourceId = resourceId;
  if (entry.action === 'removeAssignment') {
    const assignment = target?.assignments?.at(-1);
    if (assignment === undefined) throw new Error(`${resourceId} has no assignment to remove`);
    operation.payload = { ...(operation.payload as object), assignmentId: assignment.id };
  }
  return operation;
}
