import type { Directory, DirectoryUser } from './directory';
import { IdentityUnavailableError } from './errors';
import { GraphClient, type GraphClientOptions } from './graphClient';

/** Where Graph is and how the app signs in to it (see {@link GraphClientOptions}). */
export type GraphDirectoryOptions = GraphClientOptions;

// Graph refuses checkMemberGroups calls with more than 20 group ids.
const CHECK_BATCH = 20;
// Graph follows at most this many `@odata.nextLink` pages before we call the answer suspicious.
const MAX_PAGES = 1_000;
// Group lookups sent at once; a policy names at most 20 groups.
const GROUP_LOOKUPS = 5;
const USER_FIELDS = 'id,displayName,mail,userPrincipalName';

/**
 * {@link Directory} over Microsoft Graph v1.0 with the app's own (application) permissions,
 * GroupMember.Read.All and User.ReadBasic.All: `POST /users/{id}/checkMemberGroups` (batches of 20
 * candidates) and `POST /users/{id}/getMemberGroups` with `securityEnabledOnly: false`, both
 * transitive; `GET /groups/{id}/transitiveMembers/microsoft.graph.user` (every page) and `GET
 * /users/{id}` for addressing notifications; `GET /groups/{id}` to check that approver groups exist. A user or group Graph does not know (404
 * `Request_ResourceNotFound`) is in no group and has no members, so authorization fails closed.
 * Retries and errors are {@link GraphClient}'s.
 */
export class GraphDirectory implements Directory {
  private readonly graph: GraphClient;

  constructor(options: GraphDirectoryOptions) {
    this.graph = new GraphClient(options);
  }

  async memberGroupsOf(userId: string, candidateGroupIds: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(candidateGroupIds)];
    const found = new Set<string>();
    for (let start = 0; start < wanted.length; start += CHECK_BATCH) {
      const groupIds = wanted.slice(start, start + CHECK_BATCH);
      const answer = await this.strings(`/users/${encodeURIComponent(userId)}/checkMemberGroups`, { groupIds });
      for (const id of answer ?? []) found.add(id.toLowerCase());
    }
    return candidateGroupIds.filter((id) => found.has(id.toLowerCase()));
  }

  async allGroupsOf(userId: string): Promise<string[]> {
    return (await this.strings(`/users/${encodeURIComponent(userId)}/getMemberGroups`, { securityEnabledOnly: false })) ?? [];
  }

  async usersInGroup(groupId: string): Promise<DirectoryUser[]> {
    const users: DirectoryUser[] = [];
    let next: string | undefined = `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=${USER_FIELDS}`;
    for (let page = 0; next !== undefined; page++) {
      if (page === MAX_PAGES) throw new IdentityUnavailableError('graph_bad_response', `Graph kept paging the members of group ${groupId}`);
      const answer = (await this.graph.request('GET', next)) as { value?: unknown; '@odata.nextLink'?: unknown } | null | undefined;
      if (answer === undefined) return [];
      if (!Array.isArray(answer?.value)) throw new IdentityUnavailableError('graph_bad_response', `Graph GET ${next} did not answer a collection`);
      for (const item of answer.value) users.push(directoryUser(item, next));
      next = typeof answer['@odata.nextLink'] === 'string' ? answer['@odata.nextLink'] : undefined;
    }
    return users;
  }

  async findUser(userId: string): Promise<DirectoryUser | undefined> {
    const path = `/users/${encodeURIComponent(userId)}?$select=${USER_FIELDS}`;
    const answer = await this.graph.request('GET', path);
    return answer === undefined ? undefined : directoryUser(answer, path);
  }

  /**
   * `GET /groups/{id}?$select=id` for each distinct id (at most {@link GROUP_LOOKUPS} at a time):
   * the read GroupMember.Read.All already allows; a 404 is a group Graph does not know.
   */
  async existingGroups(groupIds: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(groupIds.map((id) => id.toLowerCase()))];
    const found = new Set<string>();
    for (let start = 0; start < wanted.length; start += GROUP_LOOKUPS) {
      const answers = await Promise.all(
        wanted.slice(start, start + GROUP_LOOKUPS).map(async (id) => ({ id, answer: await this.graph.request('GET', `/groups/${encodeURIComponent(id)}?$select=id`) })),
      );
      for (const { id, answer } of answers) if (answer !== undefined) found.add(id);
    }
    return groupIds.filter((id) => found.has(id.toLowerCase()));
  }

  /** POSTs to a Graph action returning a string collection; `undefined` when the user is unknown. */
  private async strings(path: string, body: unknown): Promise<string[] | undefined> {
    const answer = await this.graph.request('POST', path, body);
    if (answer === undefined) return undefined;
    const value = (answer as { value?: unknown } | null)?.value;
    if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
      throw new IdentityUnavailableError('graph_bad_response', `Graph POST ${this.graph.baseUrl}/v1.0${path} did not answer a string collection`);
    }
    return value;
  }
}

function directoryUser(item: unknown, path: string): DirectoryUser {
  const user = item as { id?: unknown; displayName?: unknown; mail?: unknown; userPrincipalName?: unknown } | null;
  if (typeof user?.id !== 'string') throw new IdentityUnavailableError('graph_bad_response', `Graph GET ${path} answered a user without an id`);
  return {
    id: user.id,
    displayName: typeof user.displayName === 'string' ? user.displayName : user.id,
    ...(typeof user.mail === 'string' && user.mail !== '' ? { mail: user.mail } : {}),
    ...(typeof user.userPrincipalName === 'string' && user.userPrincipalName !== '' ? { userPrincipalName: user.userPrincipalName } : {}),
  };
}
