/** DurableTask history event types (the numbers the SDK reads). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const EVENT_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

/** OrchestrationStatus numbers used in ExecutionCompleted. */
export const OrchestrationStatusCode = { Completed: 1, ContinuedAsNew: 2, Failed: 3, Terminated: 5 } as const;

/** A history event in the extension's JSON shape (PascalCase, enums as numbers). */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

/** Builds an event; `EventId` is -1 unless the event is a scheduling event with a sequence number. */
export function historyEvent(
  type: number,
  atMs: number,
  fields: Record<string, unknown> = {},
  eventId = -1,
): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: new Date(atMs).toISOString(), ...fields };
}

/** A TaskFailed or SubOrchestrationInstanceFailed event for the task scheduled as `taskId`. */
export function failureEvent(
  type: number,
  taskId: number,
  reason: string,
  details: string,
  atMs: number,
): HistoryEvent {
  return historyEvent(type, atMs, { TaskScheduledId: taskId, Reason: reason, Details: details, FailureDetails: null });
}
