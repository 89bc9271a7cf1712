import { z } from 'zod';
import type { CatalogueEntry, CatalogueOperation } from './types';
import {
  assignmentList,
  assignmentSchema,
  graphTarget,
  payloadOf,
  resourcePath,
  type AssignmentTargetKind,
} from './fields';

// Mobile apps (profile type app), v1.0: their assignments and the app itself. Creating an app is
// not here: most kinds need a content upload, which stays with the tooling that builds the app.

const APPS = '/deviceAppManagement/mobileApps';
const PERMISSION = 'DeviceManagementApps.ReadWrite.All';
const SAMPLE_APP = 'a9900a00-0000-4000-8000-000000000001';
const SAMPLE_GROUP = 'a9900000-0000-4000-8000-000000000102';

/** One app assignment: a target and what it does there (Graph's `installIntent`). */
const appAssignment = assignmentSchema({
  intent: z
    .enum(['required', 'available', 'uninstall', 'availableWithoutEnrollment'])
    .describe('Install the app (required), offer it (available), remove it (uninstall).'),
});
type AppAssignment = { target: AssignmentTargetKind; groupId?: string; intent: string };

const graphAssignment = (assignment: AppAssignment) => ({
  '@odata.type': '#microsoft.graph.mobileAppAssignment',
  intent: assignment.intent,
  target: graphTarget(assignment),
});

const assignPayload = z.object({ assignments: assignmentList(appAssignment) }).strict();
const removePayload = z
  .object({
    assignmentId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an assignment id as Graph gives it (letters, digits, '_' and '-')")
      .describe('The id of the assignment to remove, from the app’s current assignments.'),
  })
  .strict();

const appPath = (operation: CatalogueOperation, ...rest: string[]) => resourcePath(APPS, operation, ...rest);

export const APP_ENTRIES: readonly CatalogueEntry[] = [
  {
    profileType: 'app',
    resourceType: 'mobileApp',
    action: 'assign',
    summary: "Replace all of a mobile app's assignments",
    resourceId: 'required',
    payload: assignPayload,
    permission: PERMISSION,
    idempotency: 'idempotent',
    calls: (operation) => [
      {
        method: 'POST',
        version: 'v1.0',
        path: appPath(operation, 'assign'),
        body: {
          mobileAppAssignments: payloadOf<{ assignments: AppAssignment[] }>(operation).assignments.map(graphAssignment),
        },
      },
    ],
    example: {
      action: 'assign',
      resourceType: 'mobileApp',
      resourceId: SAMPLE_APP,
      payload: {
        assignments: [
          { target: 'group', groupId: SAMPLE_GROUP, intent: 'required' },
          { target: 'allLicensedUsers', intent: 'available' },
        ],
      },
    },
  },
  {
    profileType: 'app',
    resourceType: 'mobileApp',
    action: 'addAssignment',
    summary: 'Add one assignment to a mobile app (the others stay)',
    resourceId: 'required',
    payload: appAssignment,
    permission: PERMISSION,
    idempotency: 'checkFirst',
    calls: (operation) => [
      {
        method: 'POST',
        version: 'v1.0',
        path: appPath(operation, 'assignments'),
        body: graphAssignment(payloadOf<AppAssignment>(operation)),
      },
    ],
    example: {
      action: 'addAssignment',
      resourceType: 'mobileApp',
      resourceId: SAMPLE_APP,
      payload: { target: 'group', groupId: SAMPLE_GROUP, intent: 'available' },
    },
  },
  {
    profileType: 'app',
    resourceType: 'mobileApp',
    action: 'removeAssignment',
    summary: 'Remove one assignment from a mobile app',
    resourceId: 'required',
    payload: removePayload,
    permission: PERMISSION,
    idempotency: 'idempotent',
    calls: (operation) => [
      {
        method: 'DELETE',
        version: 'v1.0',
        path: appPath(operation, 'assignments', payloadOf<{ assignmentId: string }>(operation).assignmentId),
      },
    ],
    example: {
      action: 'removeAssignment',
      resourceType: 'mobileApp',
      resourceId: SAMPLE_APP,
      payload: { assignmentId: `${SAMPLE_GROUP}_0_0` },
    },
  },
  {
    profileType: 'app',
    resourceType: 'mobileApp',
    action: 'delete',
    summary: 'Delete a mobile app from Intune',
    resourceId: 'required',
    permission: PERMISSION,
    idempotency: 'idempotent',
    calls: (operation) => [{ method: 'DELETE', version: 'v1.0', path: appPath(operation) }],
    example: { action: 'delete', resourceType: 'mobileApp', resourceId: SAMPLE_APP },
  },
];
