import type { DecisionKind, DecisionSource, Principal } from '../domain/model';
import type { Directory } from '../identity/directory';
import type { AuthenticatedPrincipal } from '../identity/principal';
import type { AppKeyRing } from '../keys/appKey';
import type { Store } from '../store/store';

/**
 * A command for a request's orchestration: what the API let through, checked again when applied.
 * `correlationId` (added by the Durable client adapter) names the HTTP request that sent it.
 */
export type CommandEvent = (
  | { kind: 'decide'; actor: Principal; actorRoles: string[]; decision: DecisionKind; notes?: string; source: DecisionSource; linkId?: string }
  | { kind: 'cancel'; actor: Principal }
  | { kind: 'complete'; actor: Principal }
) & { correlationId?: string };

/** How use cases start orchestrations and send them events (a DurableClient in the app). */
export interface Orchestrations {
  start(requestId: string, input: unknown): Promise<void>;
  raise(requestId: string, event: CommandEvent): Promise<void>;
}

/** What the request and policy use cases run against; tests and the app pass real adapters. */
export interface UseCaseDeps {
  store: Store;
  directory: Pick<Directory, 'memberGroupsOf' | 'allGroupsOf'>;
  orchestrations: Orchestrations;
  now: () => Date;
  newId: () => string;
  /** The app key ring (continuation tokens are sealed with it). */
  appKeys: AppKeyRing;
}

export type Caller = AuthenticatedPrincipal;
