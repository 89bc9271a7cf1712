import type { Directory } from '../../shared/identity/directory';
import type { CheckMembershipInput } from '../contracts';

/** Builds the `checkMembership` activity: which of the groups the user belongs to now. */
export function makeCheckMembership(directory: Pick<Directory, 'memberGroupsOf'>) {
  return async function checkMembership(input: CheckMembershipInput): Promise<string[]> {
    if (input.groupIds.length === 0) return [];
    return directory.memberGroupsOf(input.userId, input.groupIds);
  };
}
