import { DomainError } from './errors';
import { OPEN_STATUSES, type ApprovalRequest, type Operation, type ProfileType } from './model';
import { isGuid } from './policy';

/**
 * The entity lock a request of `profileType` for `operation` takes while open:
 * `<profileType>:<resourceId>`, with a GUID resource id lower-cased (GUIDs are case-insensitive, so
 * `ABC…` and `abc…` are one entity) and any other resource id kept exactly (`createRequest` stores
 * identifiers already normalised, see `text.ts`, so spellings of one id meet here). An operation without a
 * `resourceId` (or with an empty one) names no single entity and takes no lock: `undefined`.
 */
export function entityLockKey(profileType: ProfileType, operation: Pick<Operation, 'resourceId'>): string | undefined {
  const { resourceId } = operation;
  if (resourceId === undefined || resourceId === '') return undefined;
  return `${profileType}:${isGuid(resourceId) ? resourceId.toLowerCase() : resourceId}`;
}

/** The lock `request` holds now: its {@link entityLockKey} while it is open (needsApproval or approved), else `undefined`. */
export function heldEntityLock(
  request: Pick<ApprovalRequest, 'profileType' | 'operation' | 'status'>,
): string | undefined {
  return OPEN_STATUSES.has(request.status) ? entityLockKey(request.profileType, request.operation) : undefined;
}

/**
 * Throws `entity_locked` (with the holder's id in `holderId`) when another request in `others`
 * holds the lock `candidate` would take; requests with `candidate`'s own id are ignored, so a
 * retried create does not lock itself out.
 */
export function assertEntityUnlocked(
  candidate: Pick<ApprovalRequest, 'id' | 'profileType' | 'operation'>,
  others: Iterable<ApprovalRequest>,
): void {
  const key = entityLockKey(candidate.profileType, candidate.operation);
  if (key === undefined) return;
  for (const other of others) {
    if (other.id !== candidate.id && heldEntityLock(other) === key) {
      throw new DomainError('entity_locked', `request ${other.id} is already open for ${key}`, { holderId: other.id });
    }
  }
}
