import type { OperatorStartInput, RedriveInput } from '../../orchestrations/contracts';
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

/** What the ops use cases need from Durable Functions (the adapter is in `shared/durable/client.ts`). */
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

/** Runtime statuses after which an instance does nothing more. */
export const FINISHED_RUNTIME_STATUSES: ReadonlySet<string> = new Set([
  'Completed',
  'Failed',
  'Terminated',
  'Canceled',
]);
