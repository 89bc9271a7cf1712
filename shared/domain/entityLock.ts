import { OPEN_STATUSES, type ApprovalRequest, type Operation, type ProfileType } from './model';
import { isGuid } from './policy';

/** The operation fields that name the entities it locks. */
type Locking = Pick<Operation, 'resourceId' | 'resourceIds'>;

/** One resource id as the entity lock compares it: a GUID lower-cased, any other id kept exactly. */
function lockedId(resourceId: string): string {
  return isGuid(resourceId) ? resourceId.toLowerCase() : resourceId;
}

/**
 * The resource an operation locks, as the entity lock compares it: a GUID resource id lower-cased
 * (GUIDs are case-insensitive, so `ABC…` and `abc…` are one entity) and any other resource id kept
 * exactly (`createRequest` stores identifiers already normalised, see `text.ts`, so spellings of
 * one id meet here). An operation without a `resourceId` (or with an empty one) names no single
 * entity: `undefined` (a bulk operation's devices are {@link lockedResourceIds}).
 */
export function lockedResourceId(operation: Pick<Operation, 'resourceId'>): string | undefined {
  const { resourceId } = operation;
  if (resourceId === undefined || resourceId === '') return undefined;
  return lockedId(resourceId);
}

/**
 * Every resource an operation locks, in the operation's order without repeats: its `resourceId`,
 * or each id of a bulk operation's `resourceIds` (each compared as {@link lockedResourceId} does).
 */
export function lockedResourceIds(operation: Locking): string[] {
  const single = lockedResourceId(operation);
  const ids = single === undefined ? [] : [single];
  for (const resourceId of operation.resourceIds ?? []) if (resourceId !== '') ids.push(lockedId(resourceId));
  return [...new Set(ids)];
}

/**
 * The entity lock a request of `profileType` for `operation` takes while open:
 * `<profileType>:<lockedResourceId>`, or `undefined` when the operation locks no single entity. Two
 * requests contend for one lock exactly when their keys are equal; the stores enforce it
 * atomically (SQLite on `(profile_type, lockedResourceId)`, Cosmos DB on a document per key).
 */
export function entityLockKey(profileType: ProfileType, operation: Pick<Operation, 'resourceId'>): string | undefined {
  const resourceId = lockedResourceId(operation);
  return resourceId === undefined ? undefined : `${profileType}:${resourceId}`;
}

/**
 * Every entity lock a request of `profileType` for `operation` takes while open, one
 * `<profileType>:<id>` per {@link lockedResourceIds}: a bulk device action holds each device's,
 * all or nothing.
 */
export function entityLockKeys(profileType: ProfileType, operation: Locking): string[] {
  return lockedResourceIds(operation).map((resourceId) => `${profileType}:${resourceId}`);
}

/** The lock `request` holds now: its {@link entityLockKey} while it is open (needsApproval or approved), else `undefined`. */
export function heldEntityLock(
  request: Pick<ApprovalRequest, 'profileType' | 'operation' | 'status'>,
): string | undefined {
  return OPEN_STATUSES.has(request.status) ? entityLockKey(request.profileType, request.operation) : undefined;
}

/** Every lock `request` holds now: its {@link entityLockKeys} while it is open, else none. */
export function heldEntityLocks(request: Pick<ApprovalRequest, 'profileType' | 'operation' | 'status'>): string[] {
  return OPEN_STATUSES.has(request.status) ? entityLockKeys(request.profileType, request.operation) : [];
}
