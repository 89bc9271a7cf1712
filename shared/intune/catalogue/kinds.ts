import { z } from 'zod';
import type { JsonValue, ProfileType } from '../../domain/model';
import { assignmentList, assignmentSchema, graphTarget, payloadOf, type AssignmentTargetKind } from './fields';
import type { CatalogueEntry, CatalogueOperation, GraphVersion } from './types';

/** A kind of Intune object the catalogue writes: where it lives in Graph and what writing it needs. */
export interface ObjectKind {
  profileType: ProfileType;
  resourceType: string;
  /** For summaries, with its article: "a device compliance policy". */
  label: string;
  version: GraphVersion;
  /** Its collection below the version: `/deviceManagement/deviceCompliancePolicies`. */
  collection: string;
  /** The Graph application permission its writes need. */
  permission: string;
  /** A seeded object of the local tenant, for examples. */
  sampleId: string;
}

/** The path of the operation's object (its id percent-encoded), and of `rest` below it. */
export function objectPath(kind: ObjectKind, operation: CatalogueOperation, ...rest: string[]): string {
  return [kind.collection, ...[operation.resourceId!, ...rest].map(encodeURIComponent)].join('/');
}

/** The fields every entry of `kind` shares. */
export function entryOf(kind: ObjectKind) {
  return { profileType: kind.profileType, resourceType: kind.resourceType, permission: kind.permission };
}

/** `DELETE` of the object: sending it again deletes nothing more. */
export function deleteEntry(kind: ObjectKind, sampleId = kind.sampleId): CatalogueEntry {
  return {
    ...entryOf(kind),
    action: 'delete',
    summary: `Delete ${kind.label}`,
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (operation) => [{ method: 'DELETE', version: kind.version, path: objectPath(kind, operation) }],
    example: { action: 'delete', resourceType: kind.resourceType, resourceId: sampleId },
  };
}

type Target = { target: AssignmentTargetKind; groupId?: string };

/** How one kind's `/assign` takes its list: the body's key and each assignment's `@odata.type`. */
export interface AssignShape {
  key: string;
  odataType: string;
  /** The schema of one assignment (a plain target when absent). */
  item?: z.ZodType;
  /** Graph's fields of one assignment besides `@odata.type` and `target`. */
  extra?: (assignment: Record<string, unknown>) => Record<string, JsonValue>;
}

/** `POST /{id}/assign` with the whole new assignment set: sending it again sets the same set. */
export function assignEntry(kind: ObjectKind, shape: AssignShape, samplePayload: JsonValue): CatalogueEntry {
  return {
    ...entryOf(kind),
    action: 'assign',
    summary: `Replace all of ${kind.label}'s assignments`,
    resourceId: 'required',
    payload: assignPayload(shape.item ?? assignmentSchema({})) as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation) => [
      {
        method: 'POST',
        version: kind.version,
        path: objectPath(kind, operation, 'assign'),
        body: {
          [shape.key]: payloadOf<{ assignments: (Target & Record<string, unknown>)[] }>(operation).assignments.map(
            (assignment) => ({
              '@odata.type': shape.odataType,
              ...(shape.extra?.(assignment) ?? {}),
              target: graphTarget(assignment),
            }),
          ),
        },
      },
    ],
    example: { action: 'assign', resourceType: kind.resourceType, resourceId: kind.sampleId, payload: samplePayload },
  };
}

/** An `/assign` payload: the complete new list of assignments. */
export function assignPayload<T extends z.ZodType>(item: T) {
  return z.object({ assignments: assignmentList(item) }).strict();
}

/** What a create or an update of one kind takes and sends. */
export interface WriteShape {
  summary: string;
  payload: z.ZodType;
  /** Graph's body, from the stored operation. */
  body: (operation: CatalogueOperation) => JsonValue;
  samplePayload: JsonValue;
}

/** `POST` to the collection: sent again, it would create a second object, so it is checked first. */
export function createEntry(kind: ObjectKind, shape: WriteShape): CatalogueEntry {
  return {
    ...entryOf(kind),
    action: 'create',
    summary: shape.summary,
    resourceId: 'none',
    payload: shape.payload as z.ZodType<JsonValue>,
    idempotency: 'checkFirst',
    calls: (operation) => [
      { method: 'POST', version: kind.version, path: kind.collection, body: shape.body(operation) },
    ],
    example: { action: 'create', resourceType: kind.resourceType, payload: shape.samplePayload },
  };
}

/** `PATCH` of the fields given: sent again, it sets the same values. */
export function updateEntry(kind: ObjectKind, shape: WriteShape): CatalogueEntry {
  return {
    ...entryOf(kind),
    action: 'update',
    summary: shape.summary,
    resourceId: 'required',
    payload: shape.payload as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation) => [
      { method: 'PATCH', version: kind.version, path: objectPath(kind, operation), body: shape.body(operation) },
    ],
    example: {
      action: 'update',
      resourceType: kind.resourceType,
      resourceId: kind.sampleId,
      payload: shape.samplePayload,
    },
  };
}
