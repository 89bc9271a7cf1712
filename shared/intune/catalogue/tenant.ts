import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import { atLeastOne, defined, description, displayName, payloadOf } from './fields';
import { createEntry, deleteEntry, updateEntry, type ObjectKind } from './kinds';
import type { CatalogueEntry, CatalogueOperation } from './types';

// Tenant configuration (profile type tenantConfiguration), v1.0: device categories.

const CATEGORY: ObjectKind = {
  profileType: 'tenantConfiguration',
  resourceType: 'deviceCategory',
  label: 'a device category',
  version: 'v1.0',
  collection: '/deviceManagement/deviceCategories',
  permission: 'DeviceManagementConfiguration.ReadWrite.All',
  sampleId: 'ca7e0000-0000-4000-8000-000000000001',
};

const createPayload = z.object({ displayName, description: description.optional() }).strict();
const updatePayload = atLeastOne(
  z.object({ displayName: displayName.optional(), description: description.optional() }).strict(),
);

const body = (operation: CatalogueOperation) => defined(payloadOf<Record<string, JsonValue | undefined>>(operation));

export const TENANT_ENTRIES: readonly CatalogueEntry[] = [
  createEntry(CATEGORY, {
    summary: 'Create a device category',
    payload: createPayload,
    body,
    samplePayload: { displayName: 'Shared kiosks', description: 'Devices without a primary user' },
  }),
  updateEntry(CATEGORY, {
    summary: "Change a device category's name or description",
    payload: updatePayload,
    body,
    samplePayload: { displayName: 'Sales laptops' },
  }),
  deleteEntry(CATEGORY),
];
