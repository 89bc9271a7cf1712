import { OPEN_STATUSES, type ApprovalRequest, type Operation, type ProfileType } from './model';
import { isGuid } from './policy';

/**
 * The resource an operation locks, as the entity lock compares it: a GUID resource id lower-cased
 * (GUIDs are case-insensitive, so `ABC…` and `abc…` are one entity) and any other resource id kept
 * exactly (`createRequest` stores identifiers already normalised, see `text.ts`, so spellings of
 * one id meet here). An operation without a `resourceId` (or with an empty one) names no single
 * entity and locks nothing: `undefined`.
 */
export function lockedResourceId(operation: Pick<Operation, 'resourceId'>): string | undefined {
  const { resourceId } = operation;
  if (resourceId === undefined || resourceId === '') return undefined;
  return isGuid(resourceId) ? resourceId.toLowerCase() : resourceId;
}

/**
 * The entity lock a request of `profileType` for `operation` takes while open:
 * `<profileType>:<lockedResourceId>`, or `undefined` when the operation locks nothing. Two
 * requests contend for one lock exactly when their keys are equal; the stores enforce it
 * atomically (SQLite on `(profile_type, lockedResourceId)`, Cosmos DB on a document per key).
 */
export function entityLockKey(profileType: ProfileType, operation: Pick<Operation, 'resourceId'>): string | undefined {
  const resourceId = lockedResourceId(operation);
  return resourceId === undefined ? undefined : `${profileType}:${resourceId}`;
}

/** The lock `request` holds now: its {@link entityLockKey} while it is open (needsApproval or approved), else `undefined`. */
export function heldEntityLock(
  request: Pick<ApprovalRequest, 'profileType' | 'operation' | 'status'>,
): string | undefined {
  return OPEN_STATUSES.has(request.status) ? entityLockKey(request.profileType, request.operation) : undefined;
}
