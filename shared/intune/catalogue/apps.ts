import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import { assignmentSchema, graphTarget, payloadOf, type AssignmentTargetKind } from './fields';
import { assignEntry, deleteEntry, entryOf, objectPath, type ObjectKind } from './kinds';
import type { CatalogueEntry } from './types';

// Mobile apps (profile type app), v1.0: their assignments and the app itself. Creating an app is
// not here: most kinds need a content upload, which stays with the tooling that builds the app.

const APP: ObjectKind = {
  profileType: 'app',
  resourceType: 'mobileApp',
  label: 'a mobile app',
  version: 'v1.0',
  collection: '/deviceAppManagement/mobileApps',
  permission: 'DeviceManagementApps.ReadWrite.All',
  sampleId: 'a9900a00-0000-4000-8000-000000000001',
};
const SAMPLE_GROUP = 'a9900000-0000-4000-8000-000000000102';

/** One app assignment: a target and what it does there (Graph's `installIntent`). */
const appAssignment = assignmentSchema({
  intent: z
    .enum(['required', 'available', 'uninstall', 'availableWithoutEnrollment'])
    .describe('Install the app (required), offer it (available), remove it (uninstall).'),
});
type AppAssignment = { target: AssignmentTargetKind; groupId?: string; intent: string };

const removePayload = z
  .object({
    assignmentId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an assignment id as Graph gives it (letters, digits, '_' and '-')")
      .describe('The id of the assignment to remove, from the app’s current assignments.'),
  })
  .strict();

export const APP_ENTRIES: readonly CatalogueEntry[] = [
  assignEntry(
    APP,
    {
      key: 'mobileAppAssignments',
      odataType: '#microsoft.graph.mobileAppAssignment',
      item: appAssignment,
      extra: (assignment) => ({ intent: assignment.intent as string }),
    },
    {
      assignments: [
        { target: 'group', groupId: SAMPLE_GROUP, intent: 'required' },
        { target: 'allLicensedUsers', intent: 'available' },
      ],
    },
  ),
  {
    ...entryOf(APP),
    action: 'addAssignment',
    summary: 'Add one assignment to a mobile app (the others stay)',
    resourceId: 'required',
    payload: appAssignment as z.ZodType<JsonValue>,
    idempotency: 'checkFirst',
    calls: (operation) => {
      const assignment = payloadOf<AppAssignment>(operation);
      return [
        {
          method: 'POST',
          version: 'v1.0',
          path: objectPath(APP, operation, 'assignments'),
          body: {
            '@odata.type': '#microsoft.graph.mobileAppAssignment',
            intent: assignment.intent,
            target: graphTarget(assignment),
          },
        },
      ];
    },
    example: {
      action: 'addAssignment',
      resourceType: 'mobileApp',
      resourceId: APP.sampleId,
      payload: { target: 'group', groupId: SAMPLE_GROUP, intent: 'available' },
    },
  },
  {
    ...entryOf(APP),
    action: 'removeAssignment',
    summary: 'Remove one assignment from a mobile app',
    resourceId: 'required',
    payload: removePayload,
    idempotency: 'idempotent',
    calls: (operation) => [
      {
        method: 'DELETE',
        version: 'v1.0',
        path: objectPath(APP, operation, 'assignments', payloadOf<{ assignmentId: string }>(operation).assignmentId),
      },
    ],
    example: {
      action: 'removeAssignment',
      resourceType: 'mobileApp',
      resourceId: APP.sampleId,
      payload: { assignmentId: `${SAMPLE_GROUP}_0_0` },
    },
  },
  deleteEntry(APP),
];
