import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import type { CatalogueEntry, CatalogueOperation, GraphCall } from './types';
import { atLeastOne, defined, description, displayName, guid, payloadOf, resourcePath } from './fields';

// Intune role-based access control (profile type role), v1.0: role definitions and role
// assignments. A change here can take away the rights the approvers themselves rely on.

const PERMISSION = 'DeviceManagementRBAC.ReadWrite.All';
const DEFINITIONS = '/deviceManagement/roleDefinitions';
const ASSIGNMENTS = '/deviceManagement/roleAssignments';
const SAMPLE_DEFINITION = '201e0000-0000-4000-8000-000000000001';
const SAMPLE_ASSIGNMENT = '201a0000-0000-4000-8000-000000000001';

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

const definitionPath = (operation: CatalogueOperation) => resourcePath(DEFINITIONS, operation);
const assignmentPath = (operation: CatalogueOperation) => resourcePath(ASSIGNMENTS, operation);
const definitions = { profileType: 'role' as const, resourceType: 'roleDefinition', permission: PERMISSION };
const assignments = { profileType: 'role' as const, resourceType: 'roleAssignment', permission: PERMISSION };
const sampleActions = ['Microsoft.Intune_ManagedDevices_Read', 'Microsoft.Intune_RemoteTasks_SyncDevice'];

export const ROLE_ENTRIES: readonly CatalogueEntry[] = [
  {
    ...definitions,
    action: 'create',
    summary: 'Create an Intune role definition',
    resourceId: 'none',
    payload: definitionCreate as z.ZodType<JsonValue>,
    idempotency: 'checkFirst',
    calls: (operation): GraphCall[] => [
      {
        method: 'POST',
        version: 'v1.0',
        path: DEFINITIONS,
        body: { ...typed(DEFINITION_TYPE, operation), isBuiltIn: false },
      },
    ],
    example: {
      action: 'create',
      resourceType: 'roleDefinition',
      payload: {
        displayName: 'Help desk: read and sync',
        rolePermissions: [{ resourceActions: [{ allowedResourceActions: sampleActions }] }],
      },
    },
  },
  {
    ...definitions,
    action: 'update',
    summary: 'Change an Intune role definition (the fields given; the others stay)',
    resourceId: 'required',
    payload: definitionUpdate as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation): GraphCall[] => [
      { method: 'PATCH', version: 'v1.0', path: definitionPath(operation), body: typed(DEFINITION_TYPE, operation) },
    ],
    example: {
      action: 'update',
      resourceType: 'roleDefinition',
      resourceId: SAMPLE_DEFINITION,
      payload: {
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
    },
  },
  {
    ...definitions,
    action: 'delete',
    summary: 'Delete an Intune role definition',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (operation): GraphCall[] => [{ method: 'DELETE', version: 'v1.0', path: definitionPath(operation) }],
    example: { action: 'delete', resourceType: 'roleDefinition', resourceId: '201e0000-0000-4000-8000-000000000002' },
  },
  {
    ...assignments,
    action: 'create',
    summary: 'Assign an Intune role to groups, over a scope of groups',
    resourceId: 'none',
    payload: assignmentCreate as z.ZodType<JsonValue>,
    idempotency: 'checkFirst',
    calls: (operation): GraphCall[] => {
      const { roleDefinitionId, ...rest } = payloadOf<Record<string, JsonValue | undefined>>(operation);
      return [
        {
          method: 'POST',
          version: 'v1.0',
          path: ASSIGNMENTS,
          body: {
            '@odata.type': ASSIGNMENT_TYPE,
            ...defined(rest),
            'roleDefinition@odata.bind': roleDefinitionBind(String(roleDefinitionId)),
          },
        },
      ];
    },
    example: {
      action: 'create',
      resourceType: 'roleAssignment',
      payload: {
        displayName: 'Help desk for the sales devices',
        roleDefinitionId: SAMPLE_DEFINITION,
        members: ['a9900000-0000-4000-8000-000000000104'],
        resourceScopes: ['a9900000-0000-4000-8000-000000000102'],
      },
    },
  },
  {
    ...assignments,
    action: 'update',
    summary: 'Change an Intune role assignment: its names, members or scope',
    resourceId: 'required',
    payload: assignmentUpdate as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation): GraphCall[] => [
      { method: 'PATCH', version: 'v1.0', path: assignmentPath(operation), body: typed(ASSIGNMENT_TYPE, operation) },
    ],
    example: {
      action: 'update',
      resourceType: 'roleAssignment',
      resourceId: SAMPLE_ASSIGNMENT,
      payload: { resourceScopes: ['a9900000-0000-4000-8000-000000000102', 'a9900000-0000-4000-8000-000000000103'] },
    },
  },
  {
    ...assignments,
    action: 'delete',
    summary: 'Delete an Intune role assignment',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (operation): GraphCall[] => [{ method: 'DELETE', version: 'v1.0', path: assignmentPath(operation) }],
    example: { action: 'delete', resourceType: 'roleAssignment', resourceId: SAMPLE_ASSIGNMENT },
  },
];
