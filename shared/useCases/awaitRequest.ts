import { DomainError, DOMAIN_ERROR_CODES, type DomainErrorCode } from '../domain/errors';
import { CLOSED_STATUSES, type ApprovalRequest, type AuditRecord, type RequestStatus } from '../domain/model';
import type { WrittenStep } from '../store/stepFeed';
import { readTrail } from '../store/trail';
import type { UseCaseDeps } from './deps';

// Waiting for a request to change without anyone polling the API: a waiter hears of the steps this
// process writes at once (the store's in-process feed) and reads the store every FALLBACK_READ_MS
// for the steps another process writes (one read of the read model; the trail only when its head
// moved). Commands wait for the step naming their nonce; the long-poll for a status.

/**
 * How soon a waiter first reads the store, for steps written by another process; each read that
 * finds nothing doubles the gap, up to {@link MAX_FALLBACK_READ_MS}, so a long wait costs a few
 * reads, not one every 200 ms.
 */
export const FALLBACK_READ_MS = 200;
export const MAX_FALLBACK_READ_MS = 3_200;

/** The longest a long-poll may wait, and its default. */
export const MAX_LONG_POLL_MS = 60_000;
export const DEFAULT_LONG_POLL_MS = 30_000;

/** What `GET /api/requests/{id}?waitFor=` may wait for: a status, or `executed` (the execution is recorded). */
export type WaitTarget = RequestStatus | 'executed';

/**
 * The steps of one request from the moment it is built: those this process writes, told at once,
 * and those another writes, found by reading the store. Build it before sending anything whose
 * step it should see; `close` it when done.
 */
export class RequestWatch {
  private readonly unsubscribe: () => void;
  private readonly buffered: WrittenStep[] = [];
  private wake: (() => void) | undefined;
  /** The last trail record seen (steps before it are not looked at again). */
  private seenSeq: number;

  constructor(
    private readonly deps: Pick<UseCaseDeps, 'store' | 'steps'>,
    private readonly requestId: string,
    baseline: ApprovalRequest,
  ) {
    this.seenSeq = baseline.trail?.seq ?? -1;
    this.unsubscribe =
      deps.steps?.subscribe(requestId, (step) => {
        this.buffered.push(step);
        this.wake?.();
      }) ?? (() => undefined);
  }

  /**
   * The first answer `match` gives for a step written after the baseline, or undefined once
   * `deadline` passed: a time on the monotonic clock (`performance.now()`), so a jump of the wall
   * clock (the local runtime's manual clock moves the process's `Date`) neither ends nor stretches
   * a wait. Steps read back from the store come with the read model as it is now.
   */
  async until<T>(match: (step: WrittenStep) => T | undefined, deadline: number): Promise<T | undefined> {
    let gap = FALLBACK_READ_MS;
    let nextRead = performance.now() + gap;
    for (;;) {
      for (let step = this.buffered.shift(); step; step = this.buffered.shift()) {
        let fresh = step.records.filter((record) => record.seq > this.seenSeq);
        if (fresh.length === 0) continue;
        if (Math.min(...fresh.map((record) => record.seq)) > this.seenSeq + 1) {
          // Another process wrote a step in between: read it (with this one) before moving past it.
          const read = await this.read();
          if (read) {
            step = read;
            fresh = [...read.records];
          }
        }
        this.seenSeq = Math.max(this.seenSeq, ...fresh.map((record) => record.seq));
        const answer = match({ ...step, records: fresh });
        if (answer !== undefined) return answer;
      }
      const now = performance.now();
      if (now >= deadline) return undefined;
      if (now >= nextRead) {
        const read = await this.read();
        gap = read ? FALLBACK_READ_MS : Math.min(gap * 2, MAX_FALLBACK_READ_MS);
        nextRead = performance.now() + gap;
        if (read) this.buffered.push(read);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(nextRead, deadline) - now);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }

  /** Reads the store once now, so the next {@link until} looks at what another process wrote meanwhile. */
  async readNow(): Promise<void> {
    const read = await this.read();
    if (read) this.buffered.push(read);
  }

  /** The request as the store holds it now. */
  async current(): Promise<ApprovalRequest | undefined> {
    return (await this.deps.store.getRequest(this.requestId))?.value;
  }

  close(): void {
    this.unsubscribe();
    this.wake?.();
  }

  /** The steps another process wrote since the last seen record, as one step; undefined when the head did not move. */
  private async read(): Promise<WrittenStep | undefined> {
    const request = await this.current();
    if (!request || (request.trail?.seq ?? -1) <= this.seenSeq) return undefined;
    const records: AuditRecord[] = (await readTrail(this.deps.store, this.requestId)).filter(
      (record) => record.seq > this.seenSeq,
    );
    return { requestId: this.requestId, records, request };
  }
}

/** What became of a sent command within the wait. */
export type CommandOutcome =
  | { readonly kind: 'applied'; readonly request: ApprovalRequest }
  | { readonly kind: 'pending'; readonly request: ApprovalRequest };

/**
 * Waits up to `waitMs` for the step that applies or refuses the command whose nonce is `nonce`:
 * `applied` with the request after that step; a refusal is thrown as the {@link DomainError} it
 * names (`command_refused` for a refused signature); `pending` with the request as it stands when
 * the wait passes, or sooner, once a step without it leaves the request as `stopWhen` says.
 */
export async function awaitCommand(
  watch: RequestWatch,
  nonce: string,
  waitMs: number,
  stood: ApprovalRequest,
  stopWhen?: (request: ApprovalRequest) => boolean,
): Promise<CommandOutcome> {
  const found = await watch.until((step) => {
    const record = step.records.find((candidate) => candidate.data.nonce === nonce);
    if (record) return { record, request: step.request };
    return step.request && stopWhen?.(step.request) ? { request: step.request } : undefined;
  }, performance.now() + waitMs);
  if (!found?.record) return { kind: 'pending', request: found?.request ?? (await watch.current()) ?? stood };
  const { record } = found;
  if (record.type === 'request.eventRefused') throw refusalOf(record);
  return { kind: 'applied', request: found.request ?? (await watch.current()) ?? stood };
}

/** A refusal the orchestration made (and audited), not the API's own check. */
export type OrchestrationRefusal = DomainError & { readonly refusedBy: 'orchestration' };

/** Whether `error` is the orchestration's refusal of a command, heard by its wait. */
export function isOrchestrationRefusal(error: unknown): error is OrchestrationRefusal {
  return (error as { refusedBy?: unknown } | null)?.refusedBy === 'orchestration';
}

/** The API's refusal for the orchestration's audited refusal of a command. */
function refusalOf(record: AuditRecord): OrchestrationRefusal {
  const code = String(record.data.code);
  const reason = typeof record.data.reason === 'string' ? record.data.reason : '';
  const error = (DOMAIN_ERROR_CODES as readonly string[]).includes(code)
    ? new DomainError(code as DomainErrorCode, reason)
    : new DomainError('command_refused', `${code}: ${reason}`);
  return Object.assign(error, { refusedBy: 'orchestration' as const });
}

/** Whether `request` answers a long-poll for `target`: it reached it, or closed (an execution: recorded, or never coming). */
export function reached(request: ApprovalRequest, target: WaitTarget): boolean {
  if (target === 'executed')
    return request.execution !== undefined || (CLOSED_STATUSES.has(request.status) && request.status !== 'completed');
  return request.status === target || CLOSED_STATUSES.has(request.status);
}

/**
 * Waits up to `timeoutMs` for `request` (as the caller may see it now) to reach `target`
 * ({@link reached}); answers the request and whether it did.
 */
export async function awaitStatus(
  deps: Pick<UseCaseDeps, 'store' | 'steps'>,
  request: ApprovalRequest,
  target: WaitTarget,
  timeoutMs: number,
): Promise<{ request: ApprovalRequest; reached: boolean }> {
  if (reached(request, target)) return { request, reached: true };
  const watch = new RequestWatch(deps, request.id, request);
  try {
    // A step written between the caller's read and the subscription is found by the first store read.
    const found = await watch.until(
      (step) => (step.request && reached(step.request, target) ? step.request : undefined),
      performance.now() + timeoutMs,
    );
    if (found) return { request: found, reached: true };
    const now = (await watch.current()) ?? request;
    return { request: now, reached: reached(now, target) };
  } finally {
    watch.close();
  }
}
