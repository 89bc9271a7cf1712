import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import { freeText } from '../../api/text';
import type { CatalogueOperation } from './types';

// The building blocks of the catalogue's payload schemas: people-shaped fields that calls() turns
// into Graph's shapes. Every string is bounded, every id a GUID, every choice a closed list.

/** A GUID (any version), stored in lower case: Graph ids, group ids, role definition ids. */
export const guid = z
  .guid({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a GUID') })
  .transform((value) => value.toLowerCase())
  .describe('A GUID, stored in lower case.');

/** A display name: 1..256 characters, not blank. */
export const displayName = freeText(256, true).describe('The name admins see in Intune.');

/**
 * A description: at most 1,000 characters, leaving room for the ` [maa:<request id>]` marker the
 * executor appends to a created object's description.
 */
export const description = freeText(1000, false).describe('Shown in Intune next to the name.');

/** Largest Base64 script the catalogue takes, in characters (about 44 KB of script; the API body holds 64 KB). */
export const MAX_SCRIPT_BASE64 = 60_000;

/** A script's content: canonical Base64 (padded, no line breaks) of a non-empty script. */
export const base64Script = z
  .string()
  .max(MAX_SCRIPT_BASE64, `must be at most ${MAX_SCRIPT_BASE64} Base64 characters`)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be Base64 (padded, no line breaks)')
  .refine((value) => value.length > 0, 'must not be empty')
  .describe(`The script, Base64-encoded (at most ${MAX_SCRIPT_BASE64} characters).`);

/** A file name without a path: letters, digits, spaces, `._-()`, ending in `extension`. */
export function fileName(extension: string) {
  return z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9 ._()-]+$/, 'must be a plain file name (letters, digits, space, . _ - ( ))')
    .refine((value) => value.toLowerCase().endsWith(extension), `must end in ${extension}`)
    .describe(`The script's file name, ending in ${extension}.`);
}

/** The account a script runs as on the device. */
export const runAsAccount = z
  .enum(['system', 'user'])
  .describe('Whether the script runs as the system or the signed-in user.');

/** Where an assignment points, as people say it. */
export const ASSIGNMENT_TARGETS = ['group', 'exclusionGroup', 'allDevices', 'allLicensedUsers'] as const;
export type AssignmentTargetKind = (typeof ASSIGNMENT_TARGETS)[number];

const ODATA_TARGET: Record<AssignmentTargetKind, string> = {
  group: '#microsoft.graph.groupAssignmentTarget',
  exclusionGroup: '#microsoft.graph.exclusionGroupAssignmentTarget',
  allDevices: '#microsoft.graph.allDevicesAssignmentTarget',
  allLicensedUsers: '#microsoft.graph.allLicensedUsersAssignmentTarget',
};

/**
 * An assignment's target, closed: a group (`groupId`), the exclusion of a group, all devices or all
 * licensed users. `extra` adds the fields one kind of assignment carries (an app's `intent`).
 */
export function assignmentSchema<Extra extends z.ZodRawShape>(extra: Extra) {
  const withGroup = (target: 'group' | 'exclusionGroup') =>
    z.object({ target: z.literal(target), groupId: guid.describe('The Entra group.'), ...extra }).strict();
  const everyone = (target: 'allDevices' | 'allLicensedUsers') =>
    z.object({ target: z.literal(target), ...extra }).strict();
  return z.discriminatedUnion('target', [
    withGroup('group'),
    withGroup('exclusionGroup'),
    everyone('allDevices'),
    everyone('allLicensedUsers'),
  ]);
}

/** Graph's `deviceAndAppManagementAssignmentTarget` for a payload's target. */
export function graphTarget(assignment: { target: AssignmentTargetKind; groupId?: string }): JsonValue {
  return {
    '@odata.type': ODATA_TARGET[assignment.target],
    ...(assignment.groupId === undefined ? {} : { groupId: assignment.groupId }),
  };
}

/** The assignment list of a `/assign` payload: 0..100 targets (an empty list removes every assignment). */
export function assignmentList<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .max(100)
    .describe('The complete new set of assignments: it replaces the current one (an empty list removes them all).');
}

const SETTING_NAME = /^[a-z][A-Za-z0-9]{0,63}$/;
const scalar = z.union([z.boolean(), z.number(), freeText(1024, false), z.null()]);

/**
 * A policy's settings as Graph names them (camelCase property names), scalar values or lists of
 * them: at most 200. `reserved` names belong to fields of their own (names, type, scheduled
 * actions, assignments, ids, times) and are refused here.
 */
export function settingsRecord(reserved: readonly string[]) {
  const refused = new Set([
    'id',
    'displayName',
    'description',
    'version',
    'createdDateTime',
    'lastModifiedDateTime',
    'assignments',
    'roleScopeTagIds',
    ...reserved,
  ]);
  const name = z
    .string()
    .regex(SETTING_NAME, 'must be a Graph property name (camelCase, 1..64 letters and digits)')
    .refine((value) => !refused.has(value), 'is not a setting: it has a field of its own');
  return z
    .record(name, z.union([scalar, z.array(scalar).max(100)]))
    .refine((value) => Object.keys(value).length <= 200, 'must hold at most 200 settings')
    .describe("The policy's settings, named as Graph names its properties (scalars or lists of scalars).");
}

/** The operation's payload as the object its entry's schema produced. */
export function payloadOf<T>(operation: CatalogueOperation): T {
  return (operation.payload ?? {}) as T;
}

/** `value` without the keys whose value is `undefined` (so bodies carry only what was asked for). */
export function defined(value: Record<string, JsonValue | undefined>): { [key: string]: JsonValue } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as {
    [key: string]: JsonValue;
  };
}

/** Requires an update payload to change at least one field besides `fixed` (fields that only say what the object is). */
export function atLeastOne<T extends z.ZodObject>(schema: T, fixed: readonly string[] = []) {
  return schema.refine(
    (value) => Object.entries(value as object).some(([name, item]) => item !== undefined && !fixed.includes(name)),
    { message: `must change at least one field${fixed.length ? ` besides ${fixed.join(', ')}` : ''}` },
  );
}

const JSON_KEY = /^[@A-Za-z][A-Za-z0-9_.@#-]{0,127}$/;

/**
 * A JSON value as Graph nests it inside a setting (a settings catalog setting instance): object
 * keys are property names (letters, digits, `_.@#-`, 1..128), strings free text of at most 4,096
 * characters, arrays at most 500 long. The API's body limits bound its size and depth.
 */
export const graphJson: z.ZodType<JsonValue> = z
  .lazy(() =>
    z.union([
      z.null(),
      z.boolean(),
      z.number(),
      freeText(4096, false),
      z.array(graphJson).max(500),
      z.record(z.string().regex(JSON_KEY, 'must be a Graph property name'), graphJson),
    ]),
  )
  .meta({ id: 'GraphSettingValue' });
