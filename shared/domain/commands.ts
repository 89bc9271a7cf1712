import type { DecisionKind, DecisionSource, Principal } from './model';

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
