import type { z } from 'zod';
import type { JsonValue, ProfileType } from '../../domain/model';
import { isGuid } from '../../domain/text';
import { entriesOf, findEntry } from './index';
import { MAX_BULK_RESOURCES, type CatalogueEntry, type CatalogueOperation } from './types';

/** A refusal of an operation, at a path below the operation (`['payload', 'assignments', 0]`). */
export type OperationIssue = { path: PropertyKey[]; message: string } & (
  { code: 'custom' } | { code: 'unrecognized_keys'; keys: string[] }
);

/** An operation the catalogue accepts, as it is stored (payload parsed), or every reason it is refused. */
export type OperationCheck =
  { ok: true; entry: CatalogueEntry; operation: CatalogueOperation } | { ok: false; issues: OperationIssue[] };

/** `profileType`'s operations as people read them: `mobileApp: assign, addAssignment, …`. */
export function allowedOperations(profileType: ProfileType): string {
  const byType = new Map<string, string[]>();
  for (const entry of entriesOf(profileType))
    byType.set(entry.resourceType, [...(byType.get(entry.resourceType) ?? []), entry.action]);
  return [...byType].map(([resourceType, actions]) => `${resourceType}: ${actions.join(', ')}`).join('; ');
}

/**
 * Checks `operation` against the catalogue entry of `(profileType, resourceType, action)`: the
 * entry must exist; `resourceId` must be a GUID where the entry names an existing object and absent
 * where it creates one; the payload must fit the entry's schema (absent where it takes none). On
 * success the operation carries the parsed payload (defaults filled in, text trimmed), which is
 * what a request stores. Pure.
 *
 * A bulk operation names 1..{@link MAX_BULK_RESOURCES} distinct GUIDs in `resourceIds` in place of
 * `resourceId`, only for entries that allow it (`bulk`: the device actions); each refusal is at
 * `resourceIds` or `resourceIds.N` (see {@link bulkIssues}). Its ids are stored lower-cased.
 */
export function checkOperation(profileType: ProfileType, operation: CatalogueOperation): OperationCheck {
  const entry = findEntry(profileType, operation.resourceType, operation.action);
  if (entry === undefined) {
    const issues = unknownOperation(profileType, operation);
    if (operation.resourceIds !== undefined)
      issues.push({
        code: 'custom',
        path: ['resourceIds'],
        message: `a bulk request holds one action of its profile type: ${profileType} allows ${allowedOperations(profileType)}`,
      });
    return { ok: false, issues };
  }
  const issues: OperationIssue[] = [];
  if (operation.resourceIds !== undefined) {
    issues.push(...bulkIssues(entry, operation));
  } else if (entry.resourceId === 'required') {
    if (operation.resourceId === undefined) {
      issues.push({
        code: 'custom',
        path: ['resourceId'],
        message: `is required: ${entry.action} acts on an existing ${entry.resourceType}`,
      });
    } else if (!isGuid(operation.resourceId)) {
      issues.push({ code: 'custom', path: ['resourceId'], message: `must be the GUID of the ${entry.resourceType}` });
    }
  } else if (operation.resourceId !== undefined) {
    issues.push({
      code: 'custom',
      path: ['resourceId'],
      message: `must be absent: ${entry.action} creates a new ${entry.resourceType}`,
    });
  }
  let payload: JsonValue | undefined;
  if (entry.payload === undefined) {
    if (operation.payload !== undefined) {
      issues.push({ code: 'custom', path: ['payload'], message: `must be absent: ${entry.action} takes no payload` });
    }
  } else {
    const parsed = entry.payload.safeParse(operation.payload);
    if (parsed.success) payload = parsed.data;
    else issues.push(...parsed.error.issues.map((issue) => relocated(issue, ['payload'])));
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    entry,
    operation: {
      action: entry.action,
      resourceType: entry.resourceType,
      ...(operation.resourceId === undefined ? {} : { resourceId: operation.resourceId.toLowerCase() }),
      ...(operation.resourceIds === undefined
        ? {}
        : { resourceIds: operation.resourceIds.map((resourceId) => resourceId.toLowerCase()) }),
      ...(payload === undefined ? {} : { payload }),
    },
  };
}

/**
 * Why a bulk operation's `resourceIds` are refused, if they are: the entry must allow bulk; not
 * together with `resourceId`; 1..{@link MAX_BULK_RESOURCES} ids; each a GUID (`resourceIds.N`)
 * named once (case-insensitively: a repeat is refused at its own index); no secret payload field
 * (a secret such as the macOS unlock code belongs to one device).
 */
function bulkIssues(entry: CatalogueEntry, operation: CatalogueOperation): OperationIssue[] {
  const ids = operation.resourceIds ?? [];
  const issues: OperationIssue[] = [];
  const at = (path: PropertyKey[], message: string) => issues.push({ code: 'custom', path, message });
  if (!entry.bulk) {
    at(['resourceIds'], `must be absent: ${entry.action} of ${entry.resourceType} acts on one object (use resourceId)`);
    return issues;
  }
  if (operation.resourceId !== undefined) at(['resourceId'], 'must be absent when resourceIds is given');
  if (ids.length === 0) at(['resourceIds'], `must name at least one ${entry.resourceType}`);
  if (ids.length > MAX_BULK_RESOURCES)
    at(['resourceIds'], `names ${ids.length} objects: one request may name at most ${MAX_BULK_RESOURCES}`);
  const first = new Map<string, number>();
  ids.forEach((resourceId, index) => {
    if (!isGuid(resourceId)) {
      at(['resourceIds', index], `must be the GUID of a ${entry.resourceType}`);
      return;
    }
    const key = resourceId.toLowerCase();
    const seen = first.get(key);
    if (seen === undefined) first.set(key, index);
    else at(['resourceIds', index], `repeats resourceIds.${seen}: each ${entry.resourceType} is named once`);
  });
  const payload = operation.payload;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload))
    for (const field of entry.secretFields ?? [])
      if (payload[field] !== undefined)
        at(['payload', field], `must be absent in a bulk request: it belongs to one ${entry.resourceType}`);
  return issues;
}

function unknownOperation(profileType: ProfileType, operation: CatalogueOperation): OperationIssue[] {
  const entries = entriesOf(profileType);
  if (entries.length === 0) {
    return [{ code: 'custom', path: ['action'], message: `${profileType} has no catalogue operations` }];
  }
  const issues: OperationIssue[] = [];
  const resourceTypes = [...new Set(entries.map((entry) => entry.resourceType))];
  if (!resourceTypes.includes(operation.resourceType)) {
    issues.push({
      code: 'custom',
      path: ['resourceType'],
      message: `must be one of ${resourceTypes.join(', ')} for ${profileType}`,
    });
  }
  issues.push({
    code: 'custom',
    path: ['action'],
    message: `is not an operation of ${profileType}; allowed: ${allowedOperations(profileType)}`,
  });
  return issues;
}

/**
 * A payload schema's issue, at its path below `prefix`, keeping the unknown keys it names; a
 * refused object key says why in its own words rather than zod's "Invalid key in record".
 */
function relocated(issue: z.core.$ZodIssue, prefix: PropertyKey[]): OperationIssue {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys')
    return { code: 'unrecognized_keys', keys: issue.keys, path, message: issue.message };
  if (issue.code === 'invalid_key' && issue.issues.length > 0) {
    return { code: 'custom', path, message: issue.issues.map((inner) => inner.message).join('; ') };
  }
  return { code: 'custom', path, message: issue.message };
}
