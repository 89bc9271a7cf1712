import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import { atLeastOne, defined, description, displayName, guid, payloadOf } from './fields';
import { createEntry, deleteEntry, updateEntry, type ObjectKind } from './kinds';
import type { CatalogueEntry, CatalogueOperation } from './types';

// Intune role-based access control (profile type role), v1.0: role definitions and role
// assignments. A change here can take away the rights the approvers themselves rely on.

const DEFINITION: ObjectKind = {
  profileType: 'role',
  resourceType: 'roleDefinition',
  label: 'an Intune role definition',
  version: 'v1.0',
  collection: '/deviceManagement/roleDefinitions',
  permission: 'DeviceManagementRBAC.ReadWrite.All',
  sampleId: '201e0000-0000-4000-8000-000000000001',
};
const ASSIGNMENT: ObjectKind = {
  ...DEFINITION,
  resourceType: 'roleAssignment',
  label: 'an Intune role assignment',
  collection: '/deviceManagement/roleAssignments',
  sampleId: '201a0000-0000-4000-8000-000000000001',
};

const resourceAction = z
  .string()
  .regex(
    /^Microsoft\.Intune[A-Za-z0-9_./]{1,200}$/,
    'must be an Intune resource action, e.g. Microsoft.Intune_ManagedDevices_Read',
  );
const actionList = z.array(resourceAction).max(500);

const rolePermissions = z
  .array(
    z
      .object({
        resourceActions: z
          .array(
            z
              .object({ allowedResourceActions: actionList, notAllowedResourceActions: actionList.default([]) })
              .strict(),
          )
          .min(1)
          .max(10),
      })
      .strict(),
  )
  .min(1)
  .max(10)
  .describe('What the role allows: Intune resource actions, allowed and not allowed.');

const definitionCreate = z.object({ displayName, description: description.optional(), rolePermissions }).strict();
const definitionUpdate = atLeastOne(
  z
    .object({
      displayName: displayName.optional(),
      description: description.optional(),
      rolePermissions: rolePermissions.optional(),
    })
    .strict(),
);

const groups = (what: string, min: number) =>
  z
    .array(guid)
    .min(min, 'must name at least one group')
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a group')
    .describe(what);
const members = groups('The security groups whose members get the role.', 1);
const resourceScopes = groups('The security groups whose users and devices the members may manage.', 0);

const assignmentCreate = z
  .object({
    displayName,
    description: description.optional(),
    roleDefinitionId: guid.describe('The role definition the assignment grants.'),
    members,
    resourceScopes: resourceScopes.default([]),
  })
  .strict();
const assignmentUpdate = atLeastOne(
  z
    .object({
      displayName: displayName.optional(),
      description: description.optional(),
      members: members.optional(),
      resourceScopes: resourceScopes.optional(),
    })
    .strict(),
);

const DEFINITION_TYPE = '#microsoft.graph.deviceAndAppManagementRoleDefinition';
const ASSIGNMENT_TYPE = '#microsoft.graph.deviceAndAppManagementRoleAssignment';

/** The payload as Graph's body of `odataType`, without the fields left out. */
const typed = (odataType: string, operation: CatalogueOperation) => ({
  '@odata.type': odataType,
  ...defined(payloadOf<Record<string, JsonValue | undefined>>(operation)),
});

/** How Graph binds a role assignment to its role definition. */
export function roleDefinitionBind(roleDefinitionId: string): string {
  return `https://graph.microsoft.com/v1.0/deviceManagement/roleDefinitions('${encodeURIComponent(roleDefinitionId)}')`;
}

const sampleActions = ['Microsoft.Intune_ManagedDevices_Read', 'Microsoft.Intune_RemoteTasks_SyncDevice'];

export const ROLE_ENTRIES: readonly CatalogueEntry[] = [
  createEntry(DEFINITION, {
    summary: 'Create an Intune role definition',
    payload: definitionCreate,
    body: (operation) => ({ ...typed(DEFINITION_TYPE, operation), isBuiltIn: false }),
    samplePayload: {
      displayName: 'Help desk: read and sync',
      rolePermissions: [{ resourceActions: [{ allowedResourceActions: sampleActions }] }],
    },
  }),
  updateEntry(DEFINITION, {
    summary: 'Change an Intune role definition (the fields given; the others stay)',
    payload: definitionUpdate,
    body: (operation) => typed(DEFINITION_TYPE, operation),
    samplePayload: {
      rolePermissions: [
        {
          resourceActions: [
            {
              allowedResourceActions: [...sampleActions, 'Microsoft.Intune_RemoteTasks_RebootNow'],
              notAllowedResourceActions: [],
            },
          ],
        },
      ],
    },
  }),
  // Role definition 1 holds the seeded assignment; the example deletes the other one.
  deleteEntry(DEFINITION, '201e0000-0000-4000-8000-000000000002'),
  createEntry(ASSIGNMENT, {
    summary: 'Assign an Intune role to groups, over a scope of groups',
    payload: assignmentCreate,
    body: (operation) => {
      const { roleDefinitionId, ...rest } = payloadOf<Record<string, JsonValue | undefined>>(operation);
      return {
        '@odata.type': ASSIGNMENT_TYPE,
        ...defined(rest),
        'roleDefinition@odata.bind': roleDefinitionBind(String(roleDefinitionId)),
      };
    },
    samplePayload: {
      displayName: 'Help desk for the sales devices',
      roleDefinitionId: DEFINITION.sampleId,
      members: ['a9900000-0000-4000-8000-000000000104'],
      resourceScopes: ['a9900000-0000-4000-8000-000000000102'],
    },
  }),
  updateEntry(ASSIGNMENT, {
    summary: 'Change an Intune role assignment: its names, members or scope',
    payload: assignmentUpdate,
    body: (operation) => typed(ASSIGNMENT_TYPE, operation),
    samplePayload: {
      resourceScopes: ['a9900000-0000-4000-8000-000000000102', 'a9900000-0000-4000-8000-000000000103'],
    },
  }),
  deleteEntry(ASSIGNMENT),
];
