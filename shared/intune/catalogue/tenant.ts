import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import type { CatalogueEntry, CatalogueOperation, GraphCall } from './types';
import { atLeastOne, defined, description, displayName, payloadOf, resourcePath } from './fields';

// Tenant configuration (profile type tenantConfiguration), v1.0: device categories.

const CATEGORIES = '/deviceManagement/deviceCategories';
const PERMISSION = 'DeviceManagementConfiguration.ReadWrite.All';
const SAMPLE_CATEGORY = 'ca7e0000-0000-4000-8000-000000000001';

const createPayload = z.object({ displayName, description: description.optional() }).strict();
const updatePayload = atLeastOne(
  z.object({ displayName: displayName.optional(), description: description.optional() }).strict(),
);

const body = (operation: CatalogueOperation) => defined(payloadOf<Record<string, JsonValue | undefined>>(operation));
const path = (operation: CatalogueOperation) => resourcePath(CATEGORIES, operation);
const common = { profileType: 'tenantConfiguration' as const, resourceType: 'deviceCategory', permission: PERMISSION };

export const TENANT_ENTRIES: readonly CatalogueEntry[] = [
  {
    ...common,
    action: 'create',
    summary: 'Create a device category',
    resourceId: 'none',
    payload: createPayload as z.ZodType<JsonValue>,
    idempotency: 'checkFirst',
    calls: (operation): GraphCall[] => [{ method: 'POST', version: 'v1.0', path: CATEGORIES, body: body(operation) }],
    example: {
      action: 'create',
      resourceType: 'deviceCategory',
      payload: { displayName: 'Shared kiosks', description: 'Devices without a primary user' },
    },
  },
  {
    ...common,
    action: 'update',
    summary: "Change a device category's name or description",
    resourceId: 'required',
    payload: updatePayload as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation): GraphCall[] => [
      { method: 'PATCH', version: 'v1.0', path: path(operation), body: body(operation) },
    ],
    example: {
      action: 'update',
      resourceType: 'deviceCategory',
      resourceId: SAMPLE_CATEGORY,
      payload: { displayName: 'Sales laptops' },
    },
  },
  {
    ...common,
    action: 'delete',
    summary: 'Delete a device category',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (operation): GraphCall[] => [{ method: 'DELETE', version: 'v1.0', path: path(operation) }],
    example: { action: 'delete', resourceType: 'deviceCategory', resourceId: SAMPLE_CATEGORY },
  },
];
