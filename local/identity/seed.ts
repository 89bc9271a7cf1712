/**
 * The local runtime's fixed development directory: one tenant, five users, four groups, and the
 * app registration the app uses to call the local Graph. Every id is a fixed GUID so docs and
 * tests can rely on it; nothing here is a real tenant or a real secret.
 */

/** The local tenant id (`tid` of every local token). */
export const LOCAL_TENANT_ID = 'c0ffee00-0000-4000-8000-000000000000';

/** The audience of user tokens from `POST /_local/token`. */
export const LOCAL_API_AUDIENCE = 'api://multi-admin-approval';

/** The app registration the app's own Graph credential signs in as (client credentials). */
export const LOCAL_GRAPH_CLIENT = Object.freeze({
  clientId: 'deb0a990-0000-4000-8000-000000000201',
  /** Object id of its service principal (`oid` of its tokens). */
  servicePrincipalId: 'deb0a990-0000-4000-8000-000000000202',
  clientSecret: 'local-development-secret',
  /**
   * Graph application permissions granted to it: the directory and mail reads and writes the app
   * makes, and every Intune permission its executor may need (`MAA_LOCAL_GRAPH_PERMISSIONS`
   * replaces the list).
   */
  roles: Object.freeze([
    'GroupMember.Read.All',
    'Application.Read.All',
    'User.ReadBasic.All',
    'Mail.Send',
    'DeviceManagementManagedDevices.ReadWrite.All',
    'DeviceManagementManagedDevices.PrivilegedOperations.All',
    'DeviceManagementApps.ReadWrite.All',
    'DeviceManagementScripts.ReadWrite.All',
    'DeviceManagementConfiguration.ReadWrite.All',
    'DeviceManagementRBAC.ReadWrite.All',
  ]),
});

/**
 * The API app registration whose app roles users hold (MAA_API_APP_ID), with its service
 * principal and role definitions as Graph describes them (`appRoles`).
 */
export const LOCAL_API_APP = Object.freeze({
  appId: 'deb0a990-0000-4000-8000-000000000301',
  servicePrincipalId: 'deb0a990-0000-4000-8000-000000000302',
  displayName: 'multi-admin-approval',
  appRoles: Object.freeze(
    (['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin', 'MAA.Operator'] as const).map((value, index) =>
      Object.freeze({
        id: `a990e000-0000-4000-8000-00000000040${index + 1}`,
        value,
        displayName: value,
        allowedMemberTypes: Object.freeze(['User']),
        isEnabled: true,
      }),
    ),
  ),
});

/** A seeded user; `name` is what `POST /_local/token {"user": name}` takes. */
export interface LocalUser {
  readonly id: string;
  readonly name: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  /** Full app-role values, as carried in the token's `roles` claim. */
  readonly roles: readonly string[];
}

/** A seeded group; `members` are user or group ids (nesting is followed transitively). */
export interface LocalGroup {
  readonly id: string;
  readonly displayName: string;
  readonly members: readonly string[];
}

const user = (id: string, name: string, roles: string[]): LocalUser =>
  Object.freeze({
    id,
    name,
    displayName: name[0]!.toUpperCase() + name.slice(1),
    userPrincipalName: `${name}@maa.test`,
    roles: Object.freeze(roles),
  });

/** alice, bob, carol, dave and olga. */
export const LOCAL_USERS: readonly LocalUser[] = Object.freeze([
  user('a11ce000-0000-4000-8000-000000000001', 'alice', ['MAA.Requester', 'MAA.PolicyAdmin']),
  user('b0b00000-0000-4000-8000-000000000002', 'bob', ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin']),
  user('ca401000-0000-4000-8000-000000000003', 'carol', ['MAA.Approver']),
  user('dabe0000-0000-4000-8000-000000000004', 'dave', []),
  user('0f9a0000-0000-4000-8000-000000000005', 'olga', ['MAA.Operator']),
]);

/**
 * `maa-approvers` = bob, carol; and three groups the local Intune tenant assigns apps, scripts and
 * policies to (`Sales devices`, `Kiosks`, `Pilot users`), which have no members, so no approvers.
 */
export const LOCAL_GROUPS: readonly LocalGroup[] = Object.freeze([
  Object.freeze({
    id: 'a9900000-0000-4000-8000-000000000101',
    displayName: 'maa-approvers',
    members: Object.freeze([LOCAL_USERS[1]!.id, LOCAL_USERS[2]!.id]),
  }),
  Object.freeze({
    id: 'a9900000-0000-4000-8000-000000000102',
    displayName: 'Sales devices',
    members: Object.freeze([]),
  }),
  Object.freeze({
    id: 'a9900000-0000-4000-8000-000000000103',
    displayName: 'Kiosks',
    members: Object.freeze([]),
  }),
  Object.freeze({
    id: 'a9900000-0000-4000-8000-000000000104',
    displayName: 'Pilot users',
    members: Object.freeze([]),
  }),
]);

/** The user with this name, id or user principal name (case-insensitive). */
export function findUser(reference: string): LocalUser | undefined {
  const wanted = reference.toLowerCase();
  return LOCAL_USERS.find((u) => u.name === wanted || u.id === wanted || u.userPrincipalName === wanted);
}

/** The group with this id (case-insensitive). */
export function findGroup(id: string): LocalGroup | undefined {
  return LOCAL_GROUPS.find((g) => g.id === id.toLowerCase());
}

/** Ids of every group `memberId` belongs to, directly or through nested groups. */
export function transitiveGroupsOf(memberId: string): string[] {
  const found = new Set<string>();
  let frontier = [memberId.toLowerCase()];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const group of LOCAL_GROUPS) {
      if (!found.has(group.id) && group.members.some((member) => frontier.includes(member))) {
        found.add(group.id);
        next.push(group.id);
      }
    }
    frontier = next;
  }
  return [...found];
}
