import type { ProfileType } from '../../domain/model';
import { APP_ENTRIES } from './apps';
import { COMPLIANCE_ENTRIES } from './compliance';
import { CONFIGURATION_ENTRIES } from './configuration';
import { DEVICE_ENTRIES } from './devices';
import { ROLE_ENTRIES } from './roles';
import { SCRIPT_ENTRIES } from './scripts';
import { TENANT_ENTRIES } from './tenant';
import type { CatalogueEntry } from './types';

export type { CatalogueEntry, CatalogueOperation, GraphCall, GraphMethod, GraphVersion } from './types';

/** Every operation a request may ask for, per profile type (`operationApprovalPolicy` goes through /api/policies). */
export const CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  ...DEVICE_ENTRIES,
  ...APP_ENTRIES,
  ...SCRIPT_ENTRIES,
  ...COMPLIANCE_ENTRIES,
  ...CONFIGURATION_ENTRIES,
  ...ROLE_ENTRIES,
  ...TENANT_ENTRIES,
]);

/** The entry for `(profileType, resourceType, action)`, if the catalogue has one. */
export function findEntry(profileType: ProfileType, resourceType: string, action: string): CatalogueEntry | undefined {
  return CATALOGUE.find(
    (entry) => entry.profileType === profileType && entry.resourceType === resourceType && entry.action === action,
  );
}

/** The entries of one profile type. */
export function entriesOf(profileType: ProfileType): CatalogueEntry[] {
  return CATALOGUE.filter((entry) => entry.profileType === profileType);
}
