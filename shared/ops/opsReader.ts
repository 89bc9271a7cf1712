import type { ApprovalRequest, RequestStatus } from '../domain/model';
import type { Page, PageRequest } from '../store/store';

/** A request as operator lists show it. */
export type RequestSummary = Pick<
  ApprovalRequest,
  'id' | 'profileType' | 'status' | 'createdAt' | 'expiresAt' | 'lastModifiedAt'
>;

/** Timestamps of the lifecycle events in a window, for the hourly series and the decision latency. */
export interface Activity {
  submitted: string[];
  /** Each closing decision (the status change to approved or rejected) with its request's `createdAt`. */
  decided: { at: string; createdAt: string }[];
  completed: string[];
}

/**
 * The operators' read-only queries over the store, kept apart from the store port (which the
 * lifecycle writes through): aggregates and lists that answer from indexes, so the summary stays
 * cheap at 100k requests. Both adapters open their own connection.
 */
export interface OpsReader {
  /** Requests per status (statuses without requests are absent). */
  statusCounts(): Promise<Partial<Record<RequestStatus, number>>>;
  /** The open request (needsApproval or approved) created first. */
  oldestOpen(): Promise<RequestSummary | undefined>;
  /** Open requests whose `expiresAt` is before `until`: how many, and the `top` soonest. */
  expiringBefore(until: string, top: number): Promise<{ count: number; items: RequestSummary[] }>;
  /** Executions that failed at or after `since` (the latest outcome of each request). */
  failedExecutionsSince(since: string): Promise<number>;
  /** Lifecycle events at or after `since`. */
  activitySince(since: string): Promise<Activity>;
  /** Open requests, oldest first. */
  openRequests(page: PageRequest): Promise<Page<RequestSummary>>;
  close(): Promise<void>;
}
