import type { Directory } from '../../shared/identity/directory';
import type { ReadAppRolesInput } from '../contracts';

/**
 * Builds the `readAppRoles` activity: a principal's app roles as the directory gives them now
 * (the same source `authorizeCommand` reads an actor's from). A read only, so a re-run is
 * harmless; a directory failure throws, for the orchestration's retries.
 */
export function makeReadAppRoles(directory: Pick<Directory, 'appRolesOf'>) {
  return async function readAppRoles(input: ReadAppRolesInput): Promise<string[]> {
    return [...(await directory.appRolesOf(input.principalId))];
  };
}
