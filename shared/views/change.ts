import { canonicalJson, sha256Hex } from '../domain/canonicalJson';
import type { ApprovalRequest, AssignmentView, JsonValue, TargetSnapshot } from '../domain/model';
import { driftBetween } from '../intune/drift';
import { findEntry } from '../intune/catalogue';
import type { CatalogueEntry, CatalogueOperation } from '../intune/catalogue/types';

// Pure: what a request will change, as the approver sees it. The exact Graph calls completion will
// send (derived from the stored operation by its catalogue entry, as the executor derives them),
// and, for a change to an existing object, a readable diff of the target as it was snapshotted at
// submit (`settings`, `assignments` with group names) against what the calls set. Also the words
// for whether the target changed since submit, given a fresh read.

/** Shown in place of a secret field's value (a sealed macOS unlock code). */
export const SEALED = '(sealed)';

/** Script bodies: stored on targets as SHA-256 and length only, shown from the proposal as text. */
const SCRIPT_FIELDS = new Set(['scriptContent', 'detectionScriptContent', 'remediationScriptContent']);

/** One Graph call completion will send: method, version and path, body. */
export interface PreviewCall {
  method: string;
  /** Version and path, e.g. `/v1.0/deviceManagement/managedDevices/{id}/wipe` with the id filled in. */
  path: string;
  body?: JsonValue;
}

/** One property of the object: what it is now (as snapshotted at submit) and what the calls set. */
export interface SettingChange {
  /** Graph's property name; a settings catalog setting is `settings › <settingDefinitionId>`. */
  name: string;
  /** `added`: the object has no such value now (or the current value is not known). */
  change: 'changed' | 'added' | 'removed' | 'unchanged';
  current?: JsonValue;
  proposed?: JsonValue;
}

/** One assignment: kept, added or removed by the operation. */
export interface AssignmentChange extends AssignmentView {
  change: 'added' | 'removed' | 'kept';
}

/** A script body the operation sets: the proposed text in full, compared with the current one by digest. */
export interface ScriptChange {
  name: string;
  /** The proposed script, decoded from Base64 (UTF-8). */
  proposedText: string;
  proposedSha256: string;
  proposedLength: number;
  /** The current body's SHA-256 and length of its Base64, as snapshotted (never its text). */
  current?: { sha256: string; length: number };
  /** Whether the proposed body differs from the current one; absent when the current one is not known. */
  differs?: boolean;
}

/** What the operation does to its target, in an approver's terms. */
export interface ChangeSet {
  /** `create`, `update` (the fields given), `replace` (the whole object), `delete`, `assign`, `deviceAction` or `other`. */
  kind: 'create' | 'update' | 'replace' | 'delete' | 'assign' | 'deviceAction' | 'other';
  settings: SettingChange[];
  assignments: AssignmentChange[];
  scripts: ScriptChange[];
  /** `removeAssignment`: the id of the assignment it removes. */
  removesAssignmentId?: string;
}

/** What the review page, the API view and `maa show` derive from a request. */
export interface Preview {
  /** The catalogue's one line for the operation, e.g. `Wipe a managed device (factory reset)`. */
  summary: string;
  /** Every call completion will send, in order; secrets as `(sealed)`. A bulk action: one per device. */
  calls: PreviewCall[];
  changes: ChangeSet;
}

type Previewable = Pick<ApprovalRequest, 'profileType' | 'operation' | 'target'>;

/**
 * The preview of `request`: its calls and its changes; undefined when the catalogue has no entry
 * for its operation (policy changes, release-only operations outside the catalogue). `groupNames`
 * names proposed groups the snapshot does not (group id → display name); without a name the
 * group shows by id.
 */
export function previewOf(
  request: Previewable,
  groupNames: Readonly<Record<string, string>> = {},
): Preview | undefined {
  const entry = findEntry(request.profileType, request.operation.resourceType, request.operation.action);
  if (!entry) return undefined;
  const calls = callsOf(entry, request.operation);
  return { summary: entry.summary, calls, changes: changesOf(entry, request, calls, groupNames) };
}

/** The calls of `operation` as completion sends them, secret fields shown as `(sealed)`. */
export function callsOf(entry: CatalogueEntry, operation: ApprovalRequest['operation']): PreviewCall[] {
  const payload = operation.payload;
  const secrets: Record<string, string> = {};
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload))
    for (const field of entry.secretFields ?? []) if (payload[field] !== undefined) secrets[field] = SEALED;
  const single: CatalogueOperation = {
    action: operation.action,
    resourceType: operation.resourceType,
    ...(operation.payload === undefined ? {} : { payload: operation.payload }),
  };
  const ids = operation.resourceIds ?? (operation.resourceId === undefined ? [undefined] : [operation.resourceId]);
  return ids.flatMap((resourceId) =>
    entry.calls(resourceId === undefined ? single : { ...single, resourceId }, secrets).map((call) => ({
      method: call.method,
      path: `/${call.version}${call.path}`,
      ...(call.body === undefined ? {} : { body: call.body }),
    })),
  );
}

function changesOf(
  entry: CatalogueEntry,
  request: Previewable,
  calls: readonly PreviewCall[],
  groupNames: Readonly<Record<string, string>>,
): ChangeSet {
  const none: ChangeSet = { kind: 'other', settings: [], assignments: [], scripts: [] };
  if (entry.deviceAction) return { ...none, kind: 'deviceAction' };
  const { target } = request;
  const payload = isObject(request.operation.payload) ? request.operation.payload : {};
  const current = target?.assignments ?? [];
  const named = <T extends AssignmentView>(view: T): T => {
    const name =
      view.groupId === undefined
        ? undefined
        : (current.find((item) => item.groupId === view.groupId && item.groupName !== undefined)?.groupName ??
          groupNames[view.groupId]);
    return name === undefined ? view : { ...view, groupName: name };
  };
  switch (entry.action) {
    case 'delete':
      return { ...none, kind: 'delete' };
    case 'assign': {
      const proposed = (Array.isArray(payload.assignments) ? payload.assignments : []).map(proposedView);
      return { ...none, kind: 'assign', assignments: assignmentDiff(current, proposed).map(named) };
    }
    case 'addAssignment': {
      const added = proposedView(payload);
      const kept = current.map((view) => ({ ...view, change: 'kept' as const }));
      const already = current.some((view) => keyOf(view) === keyOf(added));
      return {
        ...none,
        kind: 'assign',
        assignments: [...kept, ...(already ? [] : [{ ...added, change: 'added' as const }])].map(named),
      };
    }
    case 'removeAssignment':
      return {
        ...none,
        kind: 'assign',
        assignments: current.map((view) => ({ ...view, change: 'kept' as const })).map(named),
        ...(typeof payload.assignmentId === 'string' ? { removesAssignmentId: payload.assignmentId } : {}),
      };
  }
  const kind =
    entry.action === 'create'
      ? 'create'
      : entry.action === 'replace'
        ? 'replace'
        : entry.action === 'update'
          ? 'update'
          : 'other';
  const body = calls[0]?.body;
  if (!isObject(body)) return { ...none, kind };
  return { ...none, kind, ...propertyDiff(kind === 'create' ? undefined : target, body) };
}

/** An assignment of a payload (`{ target, groupId?, intent? }`) as a view. */
function proposedView(item: unknown): AssignmentView {
  const value = isObject(item) ? item : {};
  const target = value.target;
  const view: AssignmentView = {
    target: target === 'exclusionGroup' || target === 'allDevices' || target === 'allLicensedUsers' ? target : 'group',
  };
  if (typeof value.groupId === 'string') view.groupId = value.groupId;
  if (typeof value.intent === 'string') view.intent = value.intent;
  return view;
}

const keyOf = (view: AssignmentView) => [view.target, view.groupId?.toLowerCase() ?? '', view.intent ?? ''].join('|');

/** The current set against the proposed one (an `/assign` replaces the whole set): removed, kept, then added. */
export function assignmentDiff(
  current: readonly AssignmentView[],
  proposed: readonly AssignmentView[],
): AssignmentChange[] {
  const proposedKeys = new Set(proposed.map(keyOf));
  const currentKeys = new Set(current.map(keyOf));
  return [
    ...current
      .filter((view) => !proposedKeys.has(keyOf(view)))
      .map((view) => ({ ...view, change: 'removed' as const })),
    ...current.filter((view) => proposedKeys.has(keyOf(view))).map((view) => ({ ...view, change: 'kept' as const })),
    ...proposed
      .filter(
        (view, index) => !currentKeys.has(keyOf(view)) && proposed.findIndex((o) => keyOf(o) === keyOf(view)) === index,
      )
      .map((view) => ({ ...view, change: 'added' as const })),
  ];
}

/** The properties a write's body sets against the target's current ones (every one `added` without a target). */
function propertyDiff(
  target: TargetSnapshot | undefined,
  body: { [key: string]: JsonValue },
): Pick<ChangeSet, 'settings' | 'scripts'> {
  const settings: SettingChange[] = [];
  const scripts: ScriptChange[] = [];
  for (const [name, proposed] of Object.entries(body)) {
    if (name === '@odata.type') continue;
    const current = currentValue(target, name);
    if (SCRIPT_FIELDS.has(name) && typeof proposed === 'string') {
      scripts.push(scriptChange(name, proposed, current));
      continue;
    }
    if (name === 'settings' && Array.isArray(proposed) && (current === undefined || Array.isArray(current))) {
      settings.push(...catalogSettingsDiff(current ?? [], proposed));
      continue;
    }
    settings.push(settingChange(name, current, proposed));
  }
  return { settings, scripts };
}

function currentValue(target: TargetSnapshot | undefined, name: string): JsonValue | undefined {
  if (target === undefined) return undefined;
  const value = target.settings?.[name];
  if (value !== undefined) return value;
  // The name field is the snapshot's displayName, not one of its settings.
  if (name === 'displayName' || name === 'name') return target.displayName;
  return undefined;
}

function settingChange(name: string, current: JsonValue | undefined, proposed: JsonValue): SettingChange {
  if (current === undefined) return { name, change: 'added', proposed };
  return {
    name,
    change: canonicalJson(current) === canonicalJson(proposed) ? 'unchanged' : 'changed',
    current,
    proposed,
  };
}

function scriptChange(name: string, proposed: string, current: JsonValue | undefined): ScriptChange {
  const change: ScriptChange = {
    name,
    proposedText: Buffer.from(proposed, 'base64').toString('utf8'),
    proposedSha256: sha256Hex(proposed),
    proposedLength: proposed.length,
  };
  if (isObject(current) && typeof current.sha256 === 'string' && typeof current.length === 'number') {
    change.current = { sha256: current.sha256, length: current.length };
    change.differs = current.sha256 !== change.proposedSha256;
  }
  return change;
}

/** A settings catalog policy's setting list, by setting definition id: what a PUT of `proposed` does to `current`. */
function catalogSettingsDiff(current: readonly JsonValue[], proposed: readonly JsonValue[]): SettingChange[] {
  const byId = (items: readonly JsonValue[]) => {
    const map = new Map<string, JsonValue>();
    for (const item of items) {
      const instance = isObject(item) ? item.settingInstance : undefined;
      if (isObject(instance) && typeof instance.settingDefinitionId === 'string')
        map.set(instance.settingDefinitionId, instance);
    }
    return map;
  };
  const before = byId(current);
  const after = byId(proposed);
  const changes: SettingChange[] = [];
  for (const [id, instance] of after) {
    const name = `settings › ${id}`;
    const was = before.get(id);
    changes.push(settingChange(name, was === undefined ? undefined : settingValue(was), settingValue(instance)));
  }
  for (const [id, instance] of before)
    if (!after.has(id)) changes.push({ name: `settings › ${id}`, change: 'removed', current: settingValue(instance) });
  return changes;
}

/** A setting instance's value, without the type and definition id that name it (compared and shown). */
function settingValue(instance: JsonValue): JsonValue {
  if (!isObject(instance)) return instance;
  const rest = Object.fromEntries(
    Object.entries(instance).filter(([key]) => key !== '@odata.type' && key !== 'settingDefinitionId'),
  );
  const values = Object.values(rest);
  return values.length === 1 ? values[0]! : rest;
}

/** Whether the target is as it was at submit, from a fresh read. */
export type Freshness =
  | { state: 'unchanged'; readAt: string }
  | { state: 'changed'; readAt: string; differences: string[] }
  | { state: 'gone'; readAt: string }
  | { state: 'unchecked'; readAt: string; reason: string };

const FACT_WORDS: Record<string, string> = {
  deviceName: 'name',
  serialNumber: 'serial number',
  userPrincipalName: 'primary user',
  operatingSystem: 'operating system',
  lastModifiedDateTime: 'last modified',
  version: 'version',
  assignments: 'assignments',
  id: 'id',
  fingerprint: 'its facts',
};

/**
 * The snapshot against a fresh read of the same object (`undefined`: Graph no longer knows it):
 * `unchanged` when the drift facts agree (see `shared/intune/drift.ts`), else `changed` with what
 * differs in words (`name LT-A → LT-B`).
 */
export function freshnessOf(snapshot: TargetSnapshot, fresh: TargetSnapshot | undefined, readAt: string): Freshness {
  if (fresh === undefined) return { state: 'gone', readAt };
  const names = driftBetween(snapshot, fresh);
  if (names.length === 0) return { state: 'unchanged', readAt };
  return { state: 'changed', readAt, differences: names.map((name) => difference(name, snapshot, fresh)) };
}

function difference(name: string, before: TargetSnapshot, after: TargetSnapshot): string {
  const words = FACT_WORDS[name] ?? name;
  const value = (snapshot: TargetSnapshot): string | undefined => {
    switch (name) {
      case 'deviceName':
        return snapshot.displayName;
      case 'serialNumber':
        return snapshot.device?.serialNumber;
      case 'userPrincipalName':
        return snapshot.device?.userPrincipalName;
      case 'operatingSystem':
        return snapshot.device?.operatingSystem;
      case 'lastModifiedDateTime':
        return snapshot.lastModifiedDateTime;
      case 'version':
        return snapshot.version;
      default:
        return undefined;
    }
  };
  const was = value(before);
  const now = value(after);
  return was === undefined && now === undefined ? words : `${words} ${was ?? '(none)'} → ${now ?? '(none)'}`;
}

function isObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
