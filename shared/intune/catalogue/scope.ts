import type { JsonValue, Operation, OperationScope } from '../../domain/model';
import { CATALOGUE } from './index';

/** Assignment targets that reach everyone (see `fields.ts`). */
const EVERYONE: ReadonlySet<string> = new Set(['allDevices', 'allLicensedUsers']);

/**
 * How far `operation` reaches, as the quorum rules weigh it (pure): `devices` is the number of
 * device ids of a bulk device action (`resourceIds`), 1 for a single device action (a catalogue
 * entry with `deviceAction`), else 0; `assignsToAll` is true when its payload assigns to all
 * users or all devices (an assignment whose `target` is `allDevices` or `allLicensedUsers`, in an
 * assign action, an added assignment or a create carrying assignments).
 */
export function scopeOf(
  operation: Pick<Operation, 'action' | 'resourceType' | 'resourceIds' | 'payload'>,
): OperationScope {
  return { devices: devicesOf(operation), assignsToAll: assignsToAll(operation.payload) };
}

function devicesOf(operation: Pick<Operation, 'action' | 'resourceType' | 'resourceIds'>): number {
  if (Array.isArray(operation.resourceIds)) return operation.resourceIds.length;
  const deviceAction = CATALOGUE.some(
    (entry) =>
      entry.deviceAction !== undefined &&
      entry.resourceType === operation.resourceType &&
      entry.action === operation.action,
  );
  return deviceAction ? 1 : 0;
}

/** True when `payload` is an assignment to everyone or holds one (in an `assignments` list, at any depth). */
function assignsToAll(payload: JsonValue | undefined): boolean {
  if (payload === null || typeof payload !== 'object') return false;
  if (Array.isArray(payload)) return payload.some(assignsToAll);
  const target = payload.target;
  if (typeof target === 'string' && EVERYONE.has(target)) return true;
  const assignments = payload.assignments;
  return Array.isArray(assignments) && assignments.some(assignsToAll);
}
