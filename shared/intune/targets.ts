import type { Operation, ProfileType, TargetSnapshot } from '../domain/model';

/**
 * Reads the target of an operation through Graph (the port the submit use case and the executor
 * share; `shared/intune/targetReader.ts` is the Graph adapter).
 */
export interface TargetReader {
  /**
   * The target's snapshot at `now`; undefined for an operation that names no existing object (a
   * create). Throws `DomainError('target_not_found')` when Graph does not know it, and
   * `DomainError('graph_unavailable')` when Graph cannot be asked now (down, throttled, no token).
   */
  read(profileType: ProfileType, operation: Operation): Promise<TargetSnapshot | undefined>;

  /**
   * The display names of `groupIds` (Entra groups an assignment names), id → name. A group the
   * directory does not know or will not name is left out; never throws (the id still identifies it).
   */
  groupNames(groupIds: readonly string[]): Promise<Record<string, string>>;
}
