import type { Directory } from '../identity/directory';
import type { AuthenticatedPrincipal } from '../identity/principal';
import type { Store } from '../store/store';

/** How use cases start orchestrations and send them events (a DurableClient in the app). */
export interface Orchestrations {
  start(requestId: string, input: unknown): Promise<void>;
  raise(requestId: string, event: unknown): Promise<void>;
}

/** What the request and policy use cases run against; tests and the app pass real adapters. */
export interface UseCaseDeps {
  store: Store;
  directory: Pick<Directory, 'memberGroupsOf' | 'allGroupsOf'>;
  orchestrations: Orchestrations;
  now: () => Date;
  newId: () => string;
}

export type Caller = AuthenticatedPrincipal;
