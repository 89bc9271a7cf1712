import type { RpcTypedData } from '../host/functionsCore';
import type { HistoryEvent } from './history';

/** Timer settings passed to the SDK, like the Azure Storage backend. */
export const MAXIMUM_SHORT_TIMER_MS = 6 * 24 * 3600 * 1000;
export const LONG_TIMER_INTERVAL_MS = 3 * 24 * 3600 * 1000;
const MAXIMUM_SHORT_TIMER = '6.00:00:00';
const LONG_TIMER_INTERVAL = '3.00:00:00';

/** Action types in the orchestrator's returned state. */
export const Action = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** Action types the local runtime refuses, with the feature each belongs to. */
export const UNSUPPORTED_ACTIONS: Readonly<Record<number, string>> = {
  [Action.CallEntity]: 'durable entities (callEntity)',
  [Action.SignalEntity]: 'durable entities (signalEntity)',
  [Action.LockEntities]: 'durable entities (lock)',
  [Action.ReleaseEntities]: 'durable entities (lock release)',
  [Action.CallHttp]: 'durable HTTP (callHttp)',
};

/** One action as the SDK returns it (compound actions nest their parts). */
export interface OrchestratorAction {
  actionType: number;
  functionName?: string;
  externalEventName?: string;
  input?: unknown;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  retryOptions?: RetryOptions;
  compoundActions?: OrchestratorAction[];
}

/** `callActivityWithRetry` / `callSubOrchestratorWithRetry` options. */
export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
}

/** The state the SDK's orchestration trigger returns after an episode. */
export interface OrchestratorState {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** What the orchestration trigger needs beyond the history. */
export interface PayloadInput {
  instanceId: string;
  /** The instance's input as stored JSON text (`null` or empty when none). */
  input: string | null;
  parentInstanceId: string | undefined;
}

/**
 * The orchestration trigger's JSON text: the stored history (already JSON texts, spliced in
 * unparsed), the episode's new events, and the settings the extension sends (replay schema V3,
 * Azure Storage's long-timer split).
 */
export function buildOrchestratorPayload(
  oldHistory: readonly string[],
  newEvents: readonly HistoryEvent[],
  request: PayloadInput,
): string {
  return (
    `{"history":[${oldHistory.join(',')}${oldHistory.length > 0 ? ',' : ''}${newEvents.map((e) => JSON.stringify(e)).join(',')}],` +
    `"input":${request.input === null || request.input === '' ? 'null' : request.input},` +
    `"instanceId":${JSON.stringify(request.instanceId)},"isReplaying":${oldHistory.length > 0},` +
    `"parentInstanceId":${request.parentInstanceId !== undefined ? JSON.stringify(request.parentInstanceId) : 'null'},` +
    `"upperSchemaVersion":1,"upperSchemaVersionNew":2,` +
    `"longRunningTimerIntervalDuration":"${LONG_TIMER_INTERVAL}","maximumShortTimerDuration":"${MAXIMUM_SHORT_TIMER}",` +
    `"defaultHttpAsyncRequestSleepTimeMillseconds":30000}`
  );
}

/** The state in the trigger's return value; throws when there is none. */
export function parseOrchestratorState(value: RpcTypedData | undefined): OrchestratorState {
  const text = value?.json ?? value?.string;
  if (text === undefined) throw new Error('the orchestrator returned no state');
  return JSON.parse(text) as OrchestratorState;
}

/** The failure text for an orchestrator that threw: the SDK's own error when it embedded its state. */
export function orchestratorFailureMessage(name: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const label = '$OutOfProcData$:';
  const at = message.indexOf(label);
  if (at >= 0) {
    try {
      const state = JSON.parse(message.slice(at + label.length)) as { error?: string };
      if (state.error !== undefined) return `Orchestrator function '${name}' failed: ${state.error}`;
    } catch {
      // fall through to the thrown message
    }
  }
  return `Orchestrator function '${name}' failed: ${message}`;
}

/** The JSON text the extension records for an activity's return value. */
export function activityResultText(value: RpcTypedData | undefined): string {
  if (!value) return 'null';
  if (value.json !== undefined) return value.json;
  if (value.string !== undefined) return JSON.stringify(value.string);
  if (value.int !== undefined) return String(value.int);
  if (value.double !== undefined) return String(value.double);
  if (value.bytes !== undefined) return JSON.stringify(Buffer.from(value.bytes).toString('base64'));
  return 'null';
}

/** The state's leaf actions in depth-first order (`whenAll`/`whenAny` replaced by their parts). */
export function leafActions(state: OrchestratorState): OrchestratorAction[] {
  const leaves: OrchestratorAction[] = [];
  const walk = (action: OrchestratorAction) => {
    if (action.actionType === Action.WhenAll || action.actionType === Action.WhenAny)
      (action.compoundActions ?? []).forEach(walk);
    else leaves.push(action);
  };
  for (const group of state.actions ?? []) for (const action of group ?? []) walk(action);
  return leaves;
}

/** Input of activity and continueAsNew actions is JSON text already when it is a string (the SDK pre-encodes strings). */
export function preEncodedInput(input: unknown): string | null {
  if (input === undefined) return null;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

/** A phrase naming an action for the non-determinism message. */
export function describeAction(type: number, name: string | undefined): string {
  const kinds: Record<number, string> = {
    [Action.CallActivity]: 'an activity task',
    [Action.CallActivityWithRetry]: 'an activity task with retry',
    [Action.CallSubOrchestrator]: 'a sub-orchestration',
    [Action.CallSubOrchestratorWithRetry]: 'a sub-orchestration with retry',
    [Action.CreateTimer]: 'a timer',
    [Action.WaitForExternalEvent]: 'a wait for an external event',
    [Action.ContinueAsNew]: 'continue-as-new',
  };
  return `${kinds[type] ?? `action type ${type}`}${name ? ` named '${name}'` : ''}`;
}
