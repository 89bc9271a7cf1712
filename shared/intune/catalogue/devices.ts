import { z } from 'zod';
import type { CatalogueEntry, CatalogueOperation, DeviceAction } from './types';

// Device actions (profile types deviceWipe, deviceRetire, deviceDelete) on one managed device, v1.0.

// A bulk operation's calls are those of each device in turn (the executor sends them device by device).
const devicePaths = (operation: CatalogueOperation) =>
  (operation.resourceIds ?? [operation.resourceId!]).map(
    (resourceId) => `/deviceManagement/managedDevices/${encodeURIComponent(resourceId)}`,
  );

/** `POST managedDevices/{id}/wipe` options (all optional); `macOsUnlockCode` is a secret. */
const wipePayload = z
  .object({
    keepEnrollmentData: z
      .boolean()
      .optional()
      .describe('Windows: keep the provisioning data (doWipePersistProvisionedData).'),
    keepUserData: z.boolean().optional().describe('Windows: keep user data (doWipePersistUserData).'),
    persistEsimDataPlan: z.boolean().optional().describe('Keep the eSIM data plan.'),
    macOsUnlockCode: z
      .string()
      .regex(/^\d{6}$/, 'must be the 6-digit recovery PIN')
      .optional()
      .describe('The 6-digit recovery PIN of a pre-T2 Mac: a secret, stored sealed, never shown.'),
  })
  .strict()
  .optional();

const SAMPLE_DEVICE = 'd3a1c0de-0000-4000-8000-000000000001';

function deviceEntry(
  profileType: 'deviceWipe' | 'deviceRetire' | 'deviceDelete',
  action: DeviceAction,
  summary: string,
  permission: string,
): CatalogueEntry {
  return {
    profileType,
    resourceType: 'managedDevice',
    action,
    summary,
    resourceId: 'required',
    permission,
    idempotency: 'checkFirst',
    deviceAction: action,
    bulk: true,
    calls: (operation) =>
      devicePaths(operation).map((path) =>
        action === 'delete'
          ? { method: 'DELETE' as const, version: 'v1.0' as const, path }
          : { method: 'POST' as const, version: 'v1.0' as const, path: `${path}/${action}` },
      ),
    example: { action, resourceType: 'managedDevice', resourceId: SAMPLE_DEVICE },
  };
}

export const DEVICE_ENTRIES: readonly CatalogueEntry[] = [
  {
    ...deviceEntry(
      'deviceWipe',
      'wipe',
      'Wipe a managed device (factory reset)',
      'DeviceManagementManagedDevices.PrivilegedOperations.All',
    ),
    payload: wipePayload,
    secretFields: ['macOsUnlockCode'],
    calls: (operation, secrets) => {
      const options = { ...((operation.payload ?? {}) as Record<string, unknown>) };
      delete options.macOsUnlockCode;
      const code = secrets?.macOsUnlockCode;
      return devicePaths(operation).map((path) => ({
        method: 'POST' as const,
        version: 'v1.0' as const,
        path: `${path}/wipe`,
        body: { ...(options as Record<string, boolean>), ...(code === undefined ? {} : { macOsUnlockCode: code }) },
      }));
    },
    example: {
      action: 'wipe',
      resourceType: 'managedDevice',
      resourceId: SAMPLE_DEVICE,
      payload: { keepEnrollmentData: false, keepUserData: false },
    },
  },
  deviceEntry(
    'deviceRetire',
    'retire',
    'Retire a managed device (remove company data and management)',
    'DeviceManagementManagedDevices.PrivilegedOperations.All',
  ),
  deviceEntry(
    'deviceDelete',
    'delete',
    'Delete a managed device from Intune (triggers a retire, or a wipe on corporate Android)',
    'DeviceManagementManagedDevices.ReadWrite.All',
  ),
];
