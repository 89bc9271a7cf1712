import type { DomainEvent } from '../domain/lifecycle';
import type { ApprovalRequest, Execution } from '../domain/model';
import type { Page } from '../store/store';

/** A Durable instance as operators see it. */
export interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

/** One history event, summarised: type, time, and for activities and timers their name and outcome. */
export interface HistoryItem {
  eventType: string;
  at: string;
  name?: string;
  outcome?: string;
}

export interface InstanceQuery {
  runtimeStatus?: string[];
  createdFrom?: string;
  createdTo?: string;
  top: number;
  continuationToken?: string;
}

/** Input of the re-drive orchestration (instance id `<requestId>:redrive:<number>`). */
export interface RedriveInput {
  /** The request as claimed (completed; its operation is the approved one). */
  request: ApprovalRequest;
  number: number;
  correlationId?: string;
}

/** Input of the approval orchestration when an operator starts a request that never got one (its shape is the orchestration's input). */
export interface OperatorStartInput {
  request: ApprovalRequest;
  etag: string;
  /** `request.orchestrationStarted`, which the orchestration records after `request.submitted`. */
  operatorStart: DomainEvent;
  /** How long before expiry approvers are reminded (0: never). */
  reminderBeforeMs: number;
  correlationId?: string;
}

/** Input of the `recordRedrive` activity: re-drive `number`'s outcome. */
export interface RecordRedriveInput {
  requestId: string;
  number: number;
  execution: Execution;
  correlationId?: string;
}

/** What the ops use cases need from Durable Functions (a DurableClient in the app). */
export interface OpsOrchestrations {
  /** The instance, with its history summarised when asked; undefined when there is none. */
  get(instanceId: string, withHistory?: boolean): Promise<(InstanceStatus & { history?: HistoryItem[] }) | undefined>;
  list(query: InstanceQuery): Promise<Page<InstanceStatus>>;
  /** How many instances failed (last updated) at or after `since`. */
  failedSince(since: string): Promise<number>;
  terminate(instanceId: string, reason: string): Promise<void>;
  startRedrive(input: RedriveInput): Promise<void>;
  /** Starts the approval orchestration of a request that never got one (instance id = request id). */
  startApproval(input: OperatorStartInput): Promise<void>;
}

/** The re-drive orchestration's instance id: one per request and re-drive number, so each runs once. */
export function redriveInstanceId(requestId: string, number: number): string {
  return `${requestId}:redrive:${number}`;
}

/** Runtime statuses after which an instance does nothing more. */
export const FINISHED_RUNTIME_STATUSES: ReadonlySet<string> = new Set([
  'Completed',
  'Failed',
  'Terminated',
  'Canceled',
]);
