import { randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors';
import type { AssignmentView, DeviceFacts, JsonValue, Operation, ProfileType, TargetSnapshot } from '../domain/model';
import { sha256Hex } from '../domain/canonicalJson';
import { findEntry } from './catalogue';
import type { GraphVersion } from './catalogue/types';
import { fingerprintOf } from './drift';
import type { TargetReader } from './targets';
import { GraphSession, GraphTokenError, type IntuneGraphClient, type IntuneGraphResponse } from './graphClient';

/** Where one `resourceType` of the catalogue lives in Graph, and what reading it needs. */
export interface ResourceSpec {
  readonly version: GraphVersion;
  /** The collection, e.g. `/deviceManagement/managedDevices`. */
  readonly collection: string;
  /** The least application permission that allows reading it. */
  readonly readPermission: string;
  /** Whether the object has an `/assignments` collection. */
  readonly assignments: boolean;
  /** The property that names the object. */
  readonly nameField: 'deviceName' | 'displayName' | 'name';
  /** `$select` of the single GET, where the fields are fixed (devices); otherwise the whole object. */
  readonly select?: string;
}

const DEVICE_SELECT = [
  'id',
  'deviceName',
  'userPrincipalName',
  'userDisplayName',
  'operatingSystem',
  'osVersion',
  'model',
  'manufacturer',
  'serialNumber',
  'managedDeviceOwnerType',
  'complianceState',
  'lastSyncDateTime',
  'managementState',
  'deviceActionResults',
].join(',');

/** A collection below `/deviceManagement`, named by its display name. */
const managed = (
  collection: string,
  version: GraphVersion,
  family: 'Configuration' | 'Scripts' | 'RBAC',
  assignments: boolean,
  nameField: ResourceSpec['nameField'] = 'displayName',
): ResourceSpec => ({
  version,
  collection: `/deviceManagement/${collection}`,
  readPermission: `DeviceManagement${family}.Read.All`,
  assignments,
  nameField,
});

/** Every `resourceType` of the catalogue: its Graph collection, version and read permission. */
export const RESOURCE_SPECS: Readonly<Record<string, ResourceSpec>> = Object.freeze({
  managedDevice: {
    version: 'v1.0',
    collection: '/deviceManagement/managedDevices',
    readPermission: 'DeviceManagementManagedDevices.Read.All',
    assignments: false,
    nameField: 'deviceName',
    select: DEVICE_SELECT,
  },
  mobileApp: {
    version: 'v1.0',
    collection: '/deviceAppManagement/mobileApps',
    readPermission: 'DeviceManagementApps.Read.All',
    assignments: true,
    nameField: 'displayName',
  },
  deviceManagementScript: managed('deviceManagementScripts', 'beta', 'Scripts', true),
  deviceShellScript: managed('deviceShellScripts', 'beta', 'Scripts', true),
  deviceHealthScript: managed('deviceHealthScripts', 'beta', 'Scripts', true),
  deviceCompliancePolicy: managed('deviceCompliancePolicies', 'v1.0', 'Configuration', true),
  configurationPolicy: managed('configurationPolicies', 'beta', 'Configuration', true, 'name'),
  deviceConfiguration: managed('deviceConfigurations', 'v1.0', 'Configuration', true),
  roleDefinition: managed('roleDefinitions', 'v1.0', 'RBAC', false),
  roleAssignment: managed('roleAssignments', 'v1.0', 'RBAC', false),
  deviceCategory: managed('deviceCategories', 'v1.0', 'Configuration', false),
});

/** The path of one object: `/deviceManagement/managedDevices/{id}`. */
export function objectPath(spec: ResourceSpec, id: string): string {
  return `${spec.collection}/${encodeURIComponent(id)}`;
}

/** What a read of a target found. */
export type TargetRead =
  | {
      readonly kind: 'found';
      readonly snapshot: TargetSnapshot;
      /** The object as Graph gave it (lazy properties included), for comparing with an approved write. */
      readonly object: Record<string, unknown>;
      /** Its assignments as Graph gave them, when it has an `/assignments` collection. */
      readonly assignments?: Record<string, unknown>[];
    }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'forbidden'; readonly permission: string; readonly response: IntuneGraphResponse }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly retryAfterMs?: number };

// Properties never copied into a snapshot: secrets, free text and bulky blobs, and the facts the
// snapshot carries in their own fields.
const LEFT_OUT =
  /password|secret|unlockcode|bypasscode|presharedkey|^notes$|^largeIcon$|^imei$|^meid$|phonenumber|macaddress|^iccid$|^udid$/i;
const OWN_FIELDS = new Set([
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'version',
  'assignments',
  '@odata.context',
]);
// Script bodies are shown as a digest and a length, never as text (scripts often embed credentials).
const CONTENT = new Set(['scriptContent', 'detectionScriptContent', 'remediationScriptContent']);

/**
 * The `TargetReader` over Microsoft Graph: per `resourceType` the single GET (devices with a fixed
 * `$select`), the `/assignments` with group names (`GET /v1.0/groups/{id}`), and for settings
 * catalog policies their `/settings`; mapped to a {@link TargetSnapshot} that never holds IMEI,
 * phone numbers, MAC addresses, unlock or bypass codes, notes or script text (scripts: SHA-256
 * and length of the Base64 content).
 */
export class GraphTargetReader implements TargetReader {
  /** `entryOf`: the catalogue whose operations it reads targets for (the operation catalogue by default). */
  constructor(
    private readonly client: IntuneGraphClient,
    private readonly now: () => Date,
    private readonly entryOf: typeof findEntry = findEntry,
  ) {}

  /**
   * The port: the snapshot of the operation's target, or undefined for an operation that names no
   * existing Intune object. `target_not_found` when Graph does not know it; `graph_unavailable`
   * when Graph cannot be asked (down, throttled, no token, or the app lacks the read permission).
   */
  async read(profileType: ProfileType, operation: Operation): Promise<TargetSnapshot | undefined> {
    const entry = this.entryOf(profileType, operation.resourceType, operation.action);
    const spec = RESOURCE_SPECS[operation.resourceType];
    if (!entry || entry.resourceId !== 'required' || !spec || !operation.resourceId) return undefined;
    const session = new GraphSession(this.client, randomUUID(), this.now);
    const read = await this.readTarget(session, operation.resourceType, operation.resourceId);
    switch (read.kind) {
      case 'found':
        return read.snapshot;
      case 'notFound':
        throw new DomainError(
          'target_not_found',
          `Intune has no ${operation.resourceType} with id ${operation.resourceId}`,
        );
      case 'forbidden':
        throw new DomainError(
          'graph_unavailable',
          `the app may not read ${operation.resourceType} objects: grant it ${read.permission}`,
        );
      case 'unavailable':
        throw new DomainError('graph_unavailable', `Microsoft Graph could not be read: ${read.reason}`);
    }
  }

  /** The port: `GET /v1.0/groups/{id}?$select=id,displayName` per distinct id; unanswered ones are left out. */
  async groupNames(groupIds: readonly string[]): Promise<Record<string, string>> {
    const session = new GraphSession(this.client, randomUUID(), this.now);
    const names: Record<string, string> = {};
    try {
      for (const id of new Set(groupIds)) {
        const name = await groupName(session, id);
        if (name !== undefined) names[id] = name;
      }
    } catch (error) {
      if (!(error instanceof GraphTokenError)) throw error;
    }
    return names;
  }

  /** Reads object `id` of `resourceType` (and its assignments) in `session`. */
  async readTarget(session: GraphSession, resourceType: string, id: string): Promise<TargetRead> {
    const spec = RESOURCE_SPECS[resourceType];
    if (!spec) return { kind: 'unavailable', reason: `no Graph collection is known for ${resourceType}` };
    try {
      const path = objectPath(spec, id) + (spec.select ? `?$select=${spec.select}` : '');
      const response = await session.send('GET', spec.version, path);
      if (response.status !== 200 || !isObject(response.body)) return failed(response, spec, true);
      const object = response.body;
      let assignments: Record<string, unknown>[] | undefined;
      if (spec.assignments) {
        const listed = await session.list(spec.version, `${objectPath(spec, id)}/assignments`);
        if (!listed.ok) return failed(listed.response, spec, true);
        assignments = listed.items;
      }
      let extraSettings: JsonValue | undefined;
      if (resourceType === 'configurationPolicy') {
        const listed = await session.list(spec.version, `${objectPath(spec, id)}/settings`);
        if (!listed.ok) return failed(listed.response, spec, false);
        extraSettings = listed.items as JsonValue;
      }
      const views = assignments && (await this.assignmentViews(session, assignments));
      const snapshot = toSnapshot(resourceType, spec, object, this.now(), views, extraSettings);
      return { kind: 'found', snapshot, object, ...(assignments ? { assignments } : {}) };
    } catch (error) {
      if (error instanceof GraphTokenError) return { kind: 'unavailable', reason: error.message };
      throw error;
    }
  }

  private async assignmentViews(session: GraphSession, items: Record<string, unknown>[]): Promise<AssignmentView[]> {
    const names = new Map<string, string | undefined>();
    const views: AssignmentView[] = [];
    for (const item of items) {
      const view = assignmentView(item);
      if (view.groupId !== undefined) {
        if (!names.has(view.groupId)) names.set(view.groupId, await groupName(session, view.groupId));
        const name = names.get(view.groupId);
        if (name !== undefined) view.groupName = name;
      }
      views.push(view);
    }
    return views;
  }
}

/** A group's display name, or undefined when the directory will not give it (the id still identifies the group). */
async function groupName(session: GraphSession, groupId: string): Promise<string | undefined> {
  const group = await session.send('GET', 'v1.0', `/groups/${encodeURIComponent(groupId)}?$select=id,displayName`);
  const name = group.status === 200 && isObject(group.body) ? group.body.displayName : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** An assignment's target in approvers' terms. */
export function assignmentView(item: Record<string, unknown>): AssignmentView {
  const target = isObject(item.target) ? item.target : {};
  const type = typeof target['@odata.type'] === 'string' ? target['@odata.type'] : '';
  const kind: AssignmentView['target'] = type.endsWith('exclusionGroupAssignmentTarget')
    ? 'exclusionGroup'
    : type.endsWith('allDevicesAssignmentTarget')
      ? 'allDevices'
      : type.endsWith('allLicensedUsersAssignmentTarget')
        ? 'allLicensedUsers'
        : 'group';
  const view: AssignmentView = { target: kind };
  if (typeof target.groupId === 'string' && (kind === 'group' || kind === 'exclusionGroup'))
    view.groupId = target.groupId;
  if (typeof item.intent === 'string') view.intent = item.intent;
  return view;
}

function failed(response: IntuneGraphResponse, spec: ResourceSpec, missingIsNotFound: boolean): TargetRead {
  if (response.status === 404 && missingIsNotFound) return { kind: 'notFound' };
  if (response.status === 403) return { kind: 'forbidden', permission: spec.readPermission, response };
  const reason =
    response.status === 0
      ? `no answer (${response.errorMessage ?? 'network failure'})`
      : `${response.path} answered ${response.status}${response.errorCode ? ` ${response.errorCode}` : ''}`;
  return {
    kind: 'unavailable',
    reason,
    ...(response.retryAfterMs === undefined ? {} : { retryAfterMs: response.retryAfterMs }),
  };
}

function toSnapshot(
  resourceType: string,
  spec: ResourceSpec,
  object: Record<string, unknown>,
  now: Date,
  assignments: AssignmentView[] | undefined,
  extraSettings: JsonValue | undefined,
): TargetSnapshot {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const id = text(object.id) ?? '';
  const base: Omit<TargetSnapshot, 'fingerprint'> = {
    resourceType,
    id,
    displayName: text(object[spec.nameField]) ?? id,
    readAt: now.toISOString(),
  };
  const lastModified = text(object.lastModifiedDateTime);
  if (lastModified !== undefined) base.lastModifiedDateTime = lastModified;
  const version =
    typeof object.version === 'number' || typeof object.version === 'string'
      ? String(object.version)
      : text(object.displayVersion);
  if (version !== undefined) base.version = version;
  if (resourceType === 'managedDevice') {
    base.device = deviceFacts(object);
  } else {
    base.settings = settingsOf(object, spec, extraSettings);
  }
  if (assignments !== undefined) base.assignments = assignments;
  return { ...base, fingerprint: fingerprintOf(base) };
}

function deviceFacts(object: Record<string, unknown>): DeviceFacts {
  const text = (name: string) => (typeof object[name] === 'string' ? (object[name] as string) : '');
  const owner = text('managedDeviceOwnerType');
  const facts: DeviceFacts = {
    operatingSystem: text('operatingSystem'),
    osVersion: text('osVersion'),
    userPrincipalName: text('userPrincipalName'),
    userDisplayName: text('userDisplayName'),
    ownership: owner === 'company' || owner === 'personal' ? owner : 'unknown',
    complianceState: text('complianceState'),
    lastSyncDateTime: text('lastSyncDateTime'),
    managementState: text('managementState'),
  };
  for (const name of ['model', 'manufacturer', 'serialNumber'] as const) if (text(name)) facts[name] = text(name);
  return facts;
}

function settingsOf(
  object: Record<string, unknown>,
  spec: ResourceSpec,
  extraSettings: JsonValue | undefined,
): { [key: string]: JsonValue } {
  const settings: { [key: string]: JsonValue } = {};
  for (const [name, value] of Object.entries(object)) {
    if (OWN_FIELDS.has(name) || name === spec.nameField || value === undefined) continue;
    if (LEFT_OUT.test(name) && !isPasswordRule(name, value)) continue;
    if (CONTENT.has(name)) {
      if (typeof value === 'string' && value !== '')
        settings[name] = { sha256: sha256Hex(value), length: value.length };
      continue;
    }
    settings[name] = withoutSecrets(value as JsonValue);
  }
  if (extraSettings !== undefined) settings.settings = extraSettings;
  return settings;
}

/**
 * A compliance or configuration policy's password rule (`passwordRequired`, `passwordMinimumLength`):
 * a flag or a number, never a password itself, and what an approver of a policy change compares.
 */
function isPasswordRule(name: string, value: unknown): boolean {
  return /^password[A-Z]/.test(name) && (typeof value === 'boolean' || typeof value === 'number');
}

/** `value` with every property {@link LEFT_OUT} names removed, at any depth. */
function withoutSecrets(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([name]) => !LEFT_OUT.test(name))
      .map(([name, inner]) => [name, withoutSecrets(inner)]),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
