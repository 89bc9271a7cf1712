import type { ApprovalOrchestrationInput } from '../../orchestrations/contracts';
import type { ActorCommand } from '../domain/commands';
import type { Directory } from '../identity/directory';
import type { AuthenticatedPrincipal } from '../identity/principal';
import type { TargetReader } from '../intune/targets';
import type { AppKeyRing } from '../keys/appKey';
import type { ProfileType } from '../domain/model';
import type { Store } from '../store/store';
import type { StepSource } from '../store/stepFeed';

/** What a use case starts an approval orchestration with; the adapter adds the signature and the correlation id. */
export type ApprovalStart = Omit<ApprovalOrchestrationInput, 'signature' | 'correlationId'>;

/**
 * How use cases start orchestrations and send them commands (the Durable client adapter in
 * `shared/durable/client.ts`, which signs every start input and command).
 */
export interface Orchestrations {
  start(requestId: string, input: ApprovalStart): Promise<void>;
  /**
   * Sends `command` (signed) and answers its signature's nonce, which the orchestration names in the
   * step that applies or refuses it. Unless `checkRunning` is false, then reads the instance's
   * status: a finished one is `invalid_state` (the command would vanish).
   */
  raise(requestId: string, command: ActorCommand, options?: { checkRunning?: boolean }): Promise<{ nonce: string }>;
  /** `invalid_state` when the request's orchestration has finished. */
  assertRunning(requestId: string): Promise<void>;
}

/** What the request and policy use cases run against; tests and the app pass real adapters. */
export interface UseCaseDeps {
  store: Store;
  directory: Pick<Directory, 'memberGroupsOf' | 'allGroupsOf' | 'existingGroups' | 'approverCandidates'>;
  orchestrations: Orchestrations;
  now: () => Date;
  newId: () => string;
  /** The steps this process writes, as they are stored (waiters also read the store now and then); absent: reads only. */
  steps?: StepSource;
  /** How long a command waits for its orchestration to apply or refuse it (0 or absent: it answers at once). */
  commandWaitMs?: number;
  /** The app key ring (continuation tokens are sealed with it). */
  appKeys: AppKeyRing;
  /** How long before expiry approvers are reminded (0: never); orchestrations are started with it. */
  reminderBeforeMs: number;
  /** Reads an operation's Intune target through Graph: a submit stores what it answers as the request's `target`. */
  targets: TargetReader;
  /**
   * The kind of executor that runs a completed request of `profileType` (`none`: release only,
   * nothing runs); a policy asking to complete on approval is refused where nothing would run.
   */
  executorKindOf: (profileType: ProfileType) => string;
}

export type Caller = AuthenticatedPrincipal;
