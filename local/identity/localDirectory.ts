import type { IncomingMessage } from 'node:http';
import type { HostResponse } from '../host/httpHost';
import { json, methodNotAllowed, problem } from '../http/responses';
import { LOCAL_API_APP, LOCAL_GROUPS, LOCAL_USERS, findUser, type LocalGroup, type LocalUser } from './seed';

/** The URL prefix of the membership and role endpoints (`<prefix>groups/{groupId}/members/{memberId}`, `<prefix>users/{user}/roles/{role}`). */
export const LOCAL_DIRECTORY_PREFIX = '/_local/directory/';

/** The directory as `GET /_local/directory` answers it. */
export interface DirectoryListing {
  users: { id: string; name: string; roles: string[] }[];
  groups: { id: string; displayName: string; members: string[] }[];
}

/**
 * The local directory as it stands now: the seeded users and groups ({@link LOCAL_USERS},
 * {@link LOCAL_GROUPS}), with group memberships and users' app roles that can change while the
 * runtime runs, so tests and demos can take an approver out of a group or a role (or put one in)
 * and see the app react. The local Graph answers from this, tokens minted by `POST /_local/token`
 * carry the roles as they stand, and so does `GET /_local/directory`.
 *
 * Changes live in memory only: a restarted runtime starts again from the seed. Users and groups
 * themselves are fixed; only who belongs to which group and who holds which role change.
 *
 * Served under {@link LOCAL_DIRECTORY_PREFIX}, without authentication like every `/_local/` route:
 *
 * - `PUT /_local/directory/groups/{groupId}/members/{member}` makes `member` a direct member of the
 *   group: a user (by name, object id or user principal name) or another group (by id; nesting is
 *   followed transitively, as in Graph). `200` with the group `{ id, displayName, members }`, also
 *   when it already was a member. A group cannot be its own member (`400 invalid_member`).
 * - `DELETE` on the same path removes that direct membership: `200` with the group, or
 *   `404 not_a_member` when it was not a direct member.
 * - `PUT /_local/directory/users/{user}/roles/{role}` assigns the app role (`MAA.Requester`,
 *   `MAA.Approver`, `MAA.PolicyAdmin`, `MAA.Operator`) to the user; `DELETE` takes it away. `200`
 *   with `{ id, name, roles }`; `404 unknown_user`, `404 unknown_role`, or `404 not_assigned` when
 *   deleting a role the user does not hold. Tokens already issued keep the roles they carry.
 * - Unknown group: `404 unknown_group`; unknown user or member group: `404 unknown_member`; any
 *   other path below the prefix: `404 not_found`; other methods: `405`. Errors are
 *   `application/problem+json` with the code also in `x-error-code`.
 *
 * The app caches memberships for `MAA_GROUP_CACHE_SECONDS` (60 by default); set it to `0` to see
 * a change at once.
 */
export class LocalDirectory {
  /** Group id (lower case) to its direct member ids (lower case), in insertion order. */
  private readonly members = new Map<string, string[]>();
  /** User id (lower case) to the app role values assigned to them. */
  private readonly roles = new Map<string, Set<string>>();

  constructor(private readonly seedGroups: readonly LocalGroup[] = LOCAL_GROUPS) {
    for (const group of seedGroups)
      this.members.set(
        group.id.toLowerCase(),
        group.members.map((member) => member.toLowerCase()),
      );
    for (const user of LOCAL_USERS) this.roles.set(user.id.toLowerCase(), new Set(user.roles));
  }

  /** The app roles `userId` holds now, in the order the app defines them; `[]` for an unknown user. */
  rolesOf(userId: string): string[] {
    const held = this.roles.get(userId.toLowerCase());
    return held ? LOCAL_API_APP.appRoles.map((role) => role.value).filter((value) => held.has(value)) : [];
  }

  /** Assigns the app role `role` to `userId` (true) or takes it away (false); false when nothing changed. */
  setRole(userId: string, role: string, held: boolean): boolean {
    const roles = this.roles.get(userId.toLowerCase());
    if (!roles) throw new RangeError(`no local user ${userId}`);
    if (roles.has(role) === held) return false;
    if (held) roles.add(role);
    else roles.delete(role);
    return true;
  }

  /** Every group with its current direct members. */
  groups(): LocalGroup[] {
    return this.seedGroups.map((group) => this.current(group));
  }

  /** The group with this id (case-insensitive), with its current direct members. */
  findGroup(id: string): LocalGroup | undefined {
    const group = this.seedGroups.find((candidate) => candidate.id.toLowerCase() === id.toLowerCase());
    return group && this.current(group);
  }

  /** Ids of every group `memberId` belongs to now, directly or through nested groups. */
  transitiveGroupsOf(memberId: string): string[] {
    const found = new Set<string>();
    let frontier = [memberId.toLowerCase()];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const [groupId, members] of this.members) {
        if (!found.has(groupId) && members.some((member) => frontier.includes(member))) {
          found.add(groupId);
          next.push(groupId);
        }
      }
      frontier = next;
    }
    return this.seedGroups.map((group) => group.id).filter((id) => found.has(id.toLowerCase()));
  }

  /** The users among the members of `groupId` now, directly or through nested groups, in seed order. */
  transitiveUsersOf(groupId: string): LocalUser[] {
    const members = new Set<string>();
    const seen = new Set<string>();
    let frontier = [groupId.toLowerCase()];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const id of frontier) {
        if (seen.has(id)) continue;
        seen.add(id);
        for (const member of this.members.get(id) ?? []) {
          members.add(member);
          if (this.members.has(member)) next.push(member);
        }
      }
      frontier = next;
    }
    return LOCAL_USERS.filter((user) => members.has(user.id.toLowerCase()));
  }

  /** Makes `memberId` (a user or group id) a direct member of `groupId`; false when it already was. */
  addMember(groupId: string, memberId: string): boolean {
    const members = this.membersOf(groupId);
    const member = memberId.toLowerCase();
    if (members.includes(member)) return false;
    members.push(member);
    return true;
  }

  /** Removes the direct membership of `memberId` in `groupId`; false when there was none. */
  removeMember(groupId: string, memberId: string): boolean {
    const members = this.membersOf(groupId);
    const index = members.indexOf(memberId.toLowerCase());
    if (index < 0) return false;
    members.splice(index, 1);
    return true;
  }

  /** What `GET /_local/directory` answers: the users and the groups with their current members. */
  listing(): DirectoryListing {
    return {
      users: LOCAL_USERS.map((user) => ({ id: user.id, name: user.name, roles: this.rolesOf(user.id) })),
      groups: this.groups().map((group) => ({
        id: group.id,
        displayName: group.displayName,
        members: [...group.members],
      })),
    };
  }

  /** The handler of `PUT` and `DELETE /_local/directory/groups/{groupId}/members/{member}` and `.../users/{user}/roles/{role}` (see the class comment). */
  membershipRoute(): (request: IncomingMessage, url: URL, body: Buffer) => HostResponse {
    return (request, url) => {
      const segments = url.pathname.slice(LOCAL_DIRECTORY_PREFIX.length).split('/').filter(Boolean).map(safeDecode);
      if (segments[0] === 'users' && segments[2] === 'roles' && segments.length === 4 && !segments.includes(undefined))
        return this.roleChange(request, segments[1]!, segments[3]!);
      const [collection, groupId, members, reference, ...rest] = segments;
      if (
        collection !== 'groups' ||
        groupId === undefined ||
        members !== 'members' ||
        reference === undefined ||
        rest.length > 0 ||
        segments.includes(undefined)
      ) {
        return problem(
          404,
          'not_found',
          'Not Found',
          `No local directory resource at ${url.pathname}; use ${LOCAL_DIRECTORY_PREFIX}groups/{groupId}/members/{userOrGroupId}.`,
        );
      }
      const method = (request.method ?? 'GET').toUpperCase();
      if (method !== 'PUT' && method !== 'DELETE') return methodNotAllowed('PUT, DELETE');
      const group = this.findGroup(groupId);
      if (!group) {
        const known = this.seedGroups.map((candidate) => `${candidate.id} (${candidate.displayName})`).join(', ');
        return problem(
          404,
          'unknown_group',
          'Not Found',
          `There is no local group "${groupId}"; the seeded groups are ${known}.`,
        );
      }
      const member = this.resolveMember(reference);
      if (!member) {
        const known = LOCAL_USERS.map((user) => user.name).join(', ');
        return problem(
          404,
          'unknown_member',
          'Not Found',
          `There is no local user or group "${reference}"; the seeded users are ${known}.`,
        );
      }
      if (method === 'PUT') {
        if (member.id.toLowerCase() === group.id.toLowerCase())
          return problem(400, 'invalid_member', 'Bad Request', 'A group cannot be a member of itself.');
        this.addMember(group.id, member.id);
      } else if (!this.removeMember(group.id, member.id)) {
        return problem(
          404,
          'not_a_member',
          'Not Found',
          `"${reference}" is not a direct member of ${group.displayName}.`,
        );
      }
      const updated = this.findGroup(group.id)!;
      return json(200, { id: updated.id, displayName: updated.displayName, members: [...updated.members] });
    };
  }

  /** `PUT` or `DELETE /_local/directory/users/{user}/roles/{role}`. */
  private roleChange(request: IncomingMessage, reference: string, role: string): HostResponse {
    const method = (request.method ?? 'GET').toUpperCase();
    if (method !== 'PUT' && method !== 'DELETE') return methodNotAllowed('PUT, DELETE');
    const user = findUser(reference);
    if (!user)
      return problem(
        404,
        'unknown_user',
        'Not Found',
        `There is no local user "${reference}"; the seeded users are ${LOCAL_USERS.map((candidate) => candidate.name).join(', ')}.`,
      );
    const values = LOCAL_API_APP.appRoles.map((candidate) => candidate.value);
    if (!values.includes(role as (typeof values)[number]))
      return problem(
        404,
        'unknown_role',
        'Not Found',
        `There is no app role "${role}"; the app's roles are ${values.join(', ')}.`,
      );
    if (!this.setRole(user.id, role, method === 'PUT') && method === 'DELETE')
      return problem(404, 'not_assigned', 'Not Found', `${user.name} does not hold ${role}.`);
    return json(200, { id: user.id, name: user.name, roles: this.rolesOf(user.id) });
  }

  /** A user by name, id or user principal name, or a group by id. */
  private resolveMember(reference: string): LocalUser | LocalGroup | undefined {
    return findUser(reference) ?? this.findGroup(reference);
  }

  private membersOf(groupId: string): string[] {
    const members = this.members.get(groupId.toLowerCase());
    if (!members) throw new RangeError(`no local group ${groupId}`);
    return members;
  }

  private current(group: LocalGroup): LocalGroup {
    return { id: group.id, displayName: group.displayName, members: [...this.membersOf(group.id)] };
  }
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
