import type { Operation } from './model';

/**
 * A resource id as request search compares it: lower-cased (ids differ in case between Graph
 * answers and what people type), surrounding white space removed.
 */
export function searchTargetId(resourceId: string): string {
  return resourceId.trim().toLowerCase();
}

/**
 * The ids a request is found by with the `target` filter: its operation's `resourceId` and every
 * id of its `resourceIds` (a bulk device action), each as {@link searchTargetId} compares it,
 * without repeats or empty ids.
 */
export function searchTargetIds(operation: Pick<Operation, 'resourceId' | 'resourceIds'>): string[] {
  const ids = [operation.resourceId ?? '', ...(operation.resourceIds ?? [])].map(searchTargetId);
  return [...new Set(ids.filter((id) => id !== ''))];
}
