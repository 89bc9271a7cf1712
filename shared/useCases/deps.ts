import type { DecisionKind, DecisionSource, Principal } from '../domain/model';
import type { Directory } from '../identity/directory';
import type { CommandSignature } from '../keys/commandSignature';
import type { AuthenticatedPrincipal } from '../identity/principal';
import type { AppKeyRing } from '../keys/appKey';
import type { Store } from '../store/store';

/**
 * A command for a request's orchestration as the API let it through: who acts and what they ask.
 * It says nothing about the actor's rights; the orchestration reads their roles and groups again.
 */
export type ActorCommand =
  | {
      kind: 'decide';
      actor: Principal;
      decision: DecisionKind;
      notes?: string;
      source: DecisionSource;
      linkId?: string;
    }
  | { kind: 'cancel'; actor: Principal }
  | { kind: 'complete'; actor: Principal };

/**
 * A command as it travels to the orchestration (the `Command` external event): the command, the
 * signature the Durable client adapter adds (see `shared/keys/commandSignature.ts`; the
 * orchestration refuses an event without a valid one) and `correlationId`, naming the HTTP request
 * that sent it (telemetry only, not signed).
 */
export type CommandEvent = ActorCommand & { signature?: CommandSignature; correlationId?: string };

/** How use cases start orchestrations and send them commands (a DurableClient in the app, which signs each command). */
export interface Orchestrations {
  start(requestId: string, input: unknown): Promise<void>;
  raise(requestId: string, command: ActorCommand): Promise<void>;
}

/** What the request and policy use cases run against; tests and the app pass real adapters. */
export interface UseCaseDeps {
  store: Store;
  directory: Pick<Directory, 'memberGroupsOf' | 'allGroupsOf' | 'existingGroups'>;
  orchestrations: Orchestrations;
  now: () => Date;
  newId: () => string;
  /** The app key ring (continuation tokens are sealed with it). */
  appKeys: AppKeyRing;
  /** How long before expiry approvers are reminded (0: never); orchestrations are started with it. */
  reminderBeforeMs: number;
}

export type Caller = AuthenticatedPrincipal;
