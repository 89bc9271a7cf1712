import type { ApprovalRequest, AuditRecord } from '../domain/model';
import { stepHead, withHead, type RequestStep, type Store } from './store';

/** A step as it was written: its audit records and, when the step wrote it, the read model (with its new head). */
export interface WrittenStep {
  readonly requestId: string;
  readonly records: readonly AuditRecord[];
  readonly request?: ApprovalRequest;
}

/** Where a waiter hears of the steps written in this process; `subscribe` answers how to stop. */
export interface StepSource {
  subscribe(requestId: string, listener: (step: WrittenStep) => void): () => void;
}

/**
 * The steps this process writes, told to the waiters of their request once they are stored (an
 * in-process notification: the app and the activities often share a process; waiters still read
 * the store now and then for the steps another process writes). A listener that throws is ignored.
 */
export class StepFeed implements StepSource {
  private readonly listeners = new Map<string, Set<(step: WrittenStep) => void>>();

  subscribe(requestId: string, listener: (step: WrittenStep) => void): () => void {
    let set = this.listeners.get(requestId);
    if (!set) this.listeners.set(requestId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(requestId) === set) this.listeners.delete(requestId);
    };
  }

  /** Tells the waiters of `step`'s request (nothing to do, and nothing built, when nobody waits). */
  publish(step: RequestStep): void {
    const requestId = step.records[0]?.requestId;
    const set = requestId === undefined ? undefined : this.listeners.get(requestId);
    if (!set || requestId === undefined) return;
    const request = step.request ? withHead(step.request.value, stepHead(step.records)) : undefined;
    const written: WrittenStep = { requestId, records: step.records, ...(request ? { request } : {}) };
    for (const listener of [...set]) {
      try {
        listener(written);
      } catch {
        // A waiter's failure is its own.
      }
    }
  }
}

/** `store` telling `feed` of every step once `recordStep` stored it. */
export function publishingSteps<S extends Store>(store: S, feed: StepFeed): S {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'recordStep' || typeof value !== 'function') return value;
      return async (step: RequestStep) => {
        const etag = await (value as Store['recordStep']).call(target, step);
        feed.publish(step);
        return etag;
      };
    },
  });
}
