import type { ApproverCandidate, Directory, DirectoryUser } from './directory';
import { IdentityUnavailableError } from './errors';
import { GraphClient, type GraphClientOptions } from './graphClient';

/** Where Graph is, how the app signs in to it (see {@link GraphClientOptions}) and whose app roles it reads. */
export interface GraphDirectoryOptions extends GraphClientOptions {
  /** The application (client) id of the API app whose roles {@link GraphDirectory.appRolesOf} reads. */
  readonly apiAppId?: string;
  /** How long the API app's service principal (its object id and role definitions) is remembered. Default 10 minutes. */
  readonly servicePrincipalTtlMs?: number;
  /**
   * How long a user's profile (`findUser`: name, mail, UPN) is remembered; 0 disables it. Default
   * 60 s. Only profiles: roles and group memberships are always asked of Graph here.
   */
  readonly userCacheTtlMs?: number;
  /** Most profiles remembered; the oldest is dropped when full. Default 1 000. */
  readonly userCacheMaxEntries?: number;
  /** The current time in epoch milliseconds, for the profile cache; default `Date.now`. */
  readonly now?: () => number;
}

const USER_CACHE_TTL_MS = 60_000;
const USER_CACHE_MAX_ENTRIES = 1_000;

/** The API app's service principal: its object id and its roles' ids mapped to their values. */
interface ApiServicePrincipal {
  readonly id: string;
  readonly roles: ReadonlyMap<string, string>;
}

// Graph refuses checkMemberGroups calls with more than 20 group ids.
const CHECK_BATCH = 20;
// Graph follows at most this many `@odata.nextLink` pages before we call the answer suspicious.
const MAX_PAGES = 1_000;
// Group lookups sent at once; a policy names at most 20 groups.
const GROUP_LOOKUPS = 5;
const USER_FIELDS = 'id,displayName,mail,userPrincipalName';

/**
 * {@link Directory} over Microsoft Graph v1.0 with the app's own (application) permissions,
 * GroupMember.Read.All, User.ReadBasic.All and Application.Read.All. App roles: `GET
 * /servicePrincipals(appId='{apiAppId}')` (its id and `appRoles`, remembered a while), every page of
 * `GET /servicePrincipals/{id}/appRoleAssignedTo` (users and groups assigned a role), then
 * `checkMemberGroups` against the groups assigned one. Membership: `POST /users/{id}/checkMemberGroups` (batches of 20
 * candidates) and `POST /users/{id}/getMemberGroups` with `securityEnabledOnly: false`, both
 * transitive; `GET /groups/{id}/transitiveMembers/microsoft.graph.user` (every page) and `GET
 * /users/{id}` for addressing notifications (the one answer remembered: see {@link findUser}); `GET /groups/{id}` to check that approver groups exist. A user or group Graph does not know (404
 * `Request_ResourceNotFound`) is in no group and has no members, so authorization fails closed.
 * Retries and errors are {@link GraphClient}'s.
 */
export class GraphDirectory implements Directory {
  private readonly graph: GraphClient;
  private servicePrincipal: { value: Promise<ApiServicePrincipal>; until: number } | undefined;
  /** Profiles by lower-cased user id: a lookup in flight or its answer, until `until`. */
  private readonly profiles = new Map<string, { value: Promise<DirectoryUser | undefined>; until: number }>();

  constructor(private readonly options: GraphDirectoryOptions) {
    this.graph = new GraphClient(options);
  }

  async appRolesOf(userId: string): Promise<string[]> {
    const app = await this.apiServicePrincipal();
    return this.rolesOf(userId, app, await this.roleAssignments(app.id));
  }

  /**
   * The users among the transitive members of `groupIds` (each once, in group order), each with
   * the app roles they hold: one read of the role assignments for all of them, then one
   * `checkMemberGroups` per user when roles are assigned to groups.
   */
  async approverCandidates(groupIds: readonly string[]): Promise<ApproverCandidate[]> {
    const users = new Map<string, DirectoryUser>();
    for (const groupId of groupIds) {
      for (const user of await this.usersInGroup(groupId))
        if (!users.has(user.id.toLowerCase())) users.set(user.id.toLowerCase(), user);
    }
    if (users.size === 0) return [];
    const app = await this.apiServicePrincipal();
    const assignments = await this.roleAssignments(app.id);
    const candidates: ApproverCandidate[] = [];
    for (const user of users.values())
      candidates.push({ ...user, roles: await this.rolesOf(user.id, app, assignments) });
    return candidates;
  }

  /** The role values `userId` holds under `assignments`, directly or through a (transitive) group, sorted. */
  private async rolesOf(
    userId: string,
    app: ApiServicePrincipal,
    assignments: readonly { principalId: string; principalType: string; appRoleId: string }[],
  ): Promise<string[]> {
    const user = userId.toLowerCase();
    const groupIds = [
      ...new Set(
        assignments
          .filter((assignment) => assignment.principalType === 'Group')
          .map((assignment) => assignment.principalId),
      ),
    ];
    const groups = new Set(
      (groupIds.length === 0 ? [] : await this.memberGroupsOf(userId, groupIds)).map((id) => id.toLowerCase()),
    );
    const roles = new Set<string>();
    for (const assignment of assignments) {
      const holds =
        assignment.principalType === 'Group'
          ? groups.has(assignment.principalId.toLowerCase())
          : assignment.principalId.toLowerCase() === user;
      // The default access assignment (all-zero role id) grants no named role.
      const role = app.roles.get(assignment.appRoleId.toLowerCase());
      if (holds && role !== undefined) roles.add(role);
    }
    return [...roles].sort();
  }

  /** The API app's service principal, remembered for `servicePrincipalTtlMs`; a failed lookup is not remembered. */
  private apiServicePrincipal(): Promise<ApiServicePrincipal> {
    const now = Date.now();
    if (this.servicePrincipal && this.servicePrincipal.until > now) return this.servicePrincipal.value;
    const value = this.loadServicePrincipal();
    const entry = { value, until: now + (this.options.servicePrincipalTtlMs ?? 600_000) };
    this.servicePrincipal = entry;
    value.catch(() => {
      if (this.servicePrincipal === entry) this.servicePrincipal = undefined;
    });
    return value;
  }

  private async loadServicePrincipal(): Promise<ApiServicePrincipal> {
    const appId = this.options.apiAppId;
    if (appId === undefined)
      throw new IdentityUnavailableError(
        'graph_bad_response',
        'the API app id is not configured (MAA_API_APP_ID), so app roles cannot be read',
      );
    const path = `/servicePrincipals(appId='${encodeURIComponent(appId)}')?$select=id,appRoles`;
    const answer = (await this.graph.request('GET', path)) as { id?: unknown; appRoles?: unknown } | null | undefined;
    if (answer === undefined)
      throw new IdentityUnavailableError(
        'graph_bad_response',
        `Graph knows no service principal for the API app ${appId}`,
      );
    if (typeof answer?.id !== 'string' || !Array.isArray(answer.appRoles))
      throw new IdentityUnavailableError('graph_bad_response', `Graph GET ${path} did not answer a service principal`);
    const roles = new Map<string, string>();
    for (const role of answer.appRoles as { id?: unknown; value?: unknown; isEnabled?: unknown }[]) {
      if (typeof role?.id === 'string' && typeof role.value === 'string' && role.isEnabled !== false)
        roles.set(role.id.toLowerCase(), role.value);
    }
    return { id: answer.id, roles };
  }

  /** Every app role assignment to the service principal `resourceId` (every page). */
  private async roleAssignments(
    resourceId: string,
  ): Promise<{ principalId: string; principalType: string; appRoleId: string }[]> {
    const assignments: { principalId: string; principalType: string; appRoleId: string }[] = [];
    let next: string | undefined =
      `/servicePrincipals/${encodeURIComponent(resourceId)}/appRoleAssignedTo?$select=principalId,principalType,appRoleId&$top=999`;
    for (let page = 0; next !== undefined; page++) {
      if (page === MAX_PAGES)
        throw new IdentityUnavailableError(
          'graph_bad_response',
          `Graph kept paging the role assignments of ${resourceId}`,
        );
      const answer = (await this.graph.request('GET', next)) as
        { value?: unknown; '@odata.nextLink'?: unknown } | null | undefined;
      if (answer === undefined)
        throw new IdentityUnavailableError('graph_bad_response', `Graph knows no service principal ${resourceId}`);
      if (!Array.isArray(answer?.value))
        throw new IdentityUnavailableError('graph_bad_response', `Graph GET ${next} did not answer a collection`);
      for (const item of answer.value as { principalId?: unknown; principalType?: unknown; appRoleId?: unknown }[]) {
        if (
          typeof item?.principalId === 'string' &&
          typeof item.principalType === 'string' &&
          typeof item.appRoleId === 'string'
        ) {
          assignments.push({
            principalId: item.principalId,
            principalType: item.principalType,
            appRoleId: item.appRoleId,
          });
        }
      }
      next = typeof answer['@odata.nextLink'] === 'string' ? answer['@odata.nextLink'] : undefined;
    }
    return assignments;
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
    return (
      (await this.strings(`/users/${encodeURIComponent(userId)}/getMemberGroups`, { securityEnabledOnly: false })) ?? []
    );
  }

  async usersInGroup(groupId: string): Promise<DirectoryUser[]> {
    const users: DirectoryUser[] = [];
    let next: string | undefined =
      `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=${USER_FIELDS}`;
    for (let page = 0; next !== undefined; page++) {
      if (page === MAX_PAGES)
        throw new IdentityUnavailableError('graph_bad_response', `Graph kept paging the members of group ${groupId}`);
      const answer = (await this.graph.request('GET', next)) as
        { value?: unknown; '@odata.nextLink'?: unknown } | null | undefined;
      if (answer === undefined) return [];
      if (!Array.isArray(answer?.value))
        throw new IdentityUnavailableError('graph_bad_response', `Graph GET ${next} did not answer a collection`);
      for (const item of answer.value) users.push(directoryUser(item, next));
      next = typeof answer['@odata.nextLink'] === 'string' ? answer['@odata.nextLink'] : undefined;
    }
    return users;
  }

  /**
   * `GET /users/{id}`, remembered for `userCacheTtlMs` (bounded by `userCacheMaxEntries`) because
   * every notification to an initiator asks it again: a name or address changed in Entra ID shows
   * within that time. Concurrent lookups of one user share a call; a failure or a user Graph does
   * not know is not remembered. Nothing that authorization reads (roles, group membership) is
   * remembered here.
   */
  findUser(userId: string): Promise<DirectoryUser | undefined> {
    const ttl = this.options.userCacheTtlMs ?? USER_CACHE_TTL_MS;
    if (ttl <= 0) return this.loadUser(userId);
    const key = userId.toLowerCase();
    const now = (this.options.now ?? Date.now)();
    const cached = this.profiles.get(key);
    if (cached !== undefined && cached.until > now) return cached.value;
    this.profiles.delete(key);
    if (this.profiles.size >= (this.options.userCacheMaxEntries ?? USER_CACHE_MAX_ENTRIES))
      this.profiles.delete(this.profiles.keys().next().value!);
    const value = this.loadUser(userId);
    const entry = { value, until: now + ttl };
    this.profiles.set(key, entry);
    const forget = () => {
      if (this.profiles.get(key) === entry) this.profiles.delete(key);
    };
    value.then((user) => (user === undefined ? forget() : undefined), forget);
    return value;
  }

  private async loadUser(userId: string): Promise<DirectoryUser | undefined> {
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
        wanted.slice(start, start + GROUP_LOOKUPS).map(async (id) => ({
          id,
          answer: await this.graph.request('GET', `/groups/${encodeURIComponent(id)}?$select=id`),
        })),
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
      throw new IdentityUnavailableError(
        'graph_bad_response',
        `Graph POST ${this.graph.baseUrl}/v1.0${path} did not answer a string collection`,
      );
    }
    return value;
  }
}

function directoryUser(item: unknown, path: string): DirectoryUser {
  const user = item as { id?: unknown; displayName?: unknown; mail?: unknown; userPrincipalName?: unknown } | null;
  if (typeof user?.id !== 'string')
    throw new IdentityUnavailableError('graph_bad_response', `Graph GET ${path} answered a user without an id`);
  return {
    id: user.id,
    displayName: typeof user.displayName === 'string' ? user.displayName : user.id,
    ...(typeof user.mail === 'string' && user.mail !== '' ? { mail: user.mail } : {}),
    ...(typeof user.userPrincipalName === 'string' && user.userPrincipalName !== ''
      ? { userPrincipalName: user.userPrincipalName }
      : {}),
  };
}
