import type { CatalogueEntry } from './types';
import { checkOperation } from './validate';

/**
 * The Graph calls of `entry` as docs show them, from its example: `POST /v1.0/deviceManagement/managedDevices/{id}/wipe`,
 * with the object's id as `{id}` and a removed assignment's as `{assignmentId}`.
 */
export function graphCallsOf(entry: CatalogueEntry): string[] {
  const checked = checkOperation(entry.profileType, entry.example);
  if (!checked.ok) throw new Error(`the example of ${entry.resourceType} ${entry.action} does not fit its entry`);
  const { resourceId, payload } = checked.operation;
  const assignmentId = (payload as { assignmentId?: string } | undefined)?.assignmentId;
  return entry.calls(checked.operation).map((call) => {
    let path = call.path;
    if (resourceId !== undefined) path = path.replace(resourceId, '{id}');
    if (assignmentId !== undefined) path = path.replace(assignmentId, '{assignmentId}');
    return `${call.method} /${call.version}${path}`;
  });
}
