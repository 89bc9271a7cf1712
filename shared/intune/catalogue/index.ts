import type { ProfileType } from '../../domain/model';
import { DEVICE_ENTRIES } from './devices';
import type { CatalogueEntry } from './types';

export type { CatalogueEntry, CatalogueOperation, GraphCall, GraphMethod, GraphVersion } from './types';

/** Every operation a request may ask for, per profile type (`operationApprovalPolicy` goes through /api/policies). */
export const CATALOGUE: readonly CatalogueEntry[] = Object.freeze([...DEVICE_ENTRIES]);

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
