import type { ApprovalRequest, DeviceExecution, DeviceOutcome, GraphExecution } from '../domain/model';

/** What an outcome may add to the recorded execution (see `Execution` in the domain model). */
interface OutcomeFacts {
  /** A stable code for what the executor recognised (`target_changed`, `graph_forbidden`, ...). */
  code?: string;
  /** The Graph calls made and the request's `client-request-id`. */
  graph?: GraphExecution;
  /**
   * A device action Graph accepted: the orchestration observes the device's outcome every
   * `everyMs` until it settles or `until` (RFC 3339) passes, through {@link Executor.observe}.
   */
  followUp?: { everyMs: number; until: string };
  /** A bulk device action: one outcome per device, in `operation.resourceIds` order. */
  devices?: DeviceExecution[];
}

/** What a device did with an accepted action (a bulk action: the summary, and each accepted device's). */
export type Observation = DeviceOutcome & { devices?: { resourceId: string; outcome: DeviceOutcome }[] };

/** What an executor reports; `retryable` failures are retried by the orchestration, others recorded. */
export type ExecutionOutcome =
  | ({ status: 'succeeded'; detail: string } & OutcomeFacts)
  | ({ status: 'failed'; detail: string; retryable: boolean } & OutcomeFacts);

/** The executors there are: the `kind` of each. */
export type ExecutorKind = 'policy' | 'webhook' | 'none' | 'graph';

/**
 * Carries out a completed request's operation. Implementations must be idempotent per request id:
 * the same request may be handed over more than once (activities run at least once).
 */
export interface Executor {
  readonly kind: string;
  execute(request: ApprovalRequest): Promise<ExecutionOutcome>;
  /**
   * Executors whose outcomes have a `followUp`: what the device did with the accepted action, read
   * now (a read only, at least once, so any number of times).
   */
  observe?(request: ApprovalRequest): Promise<Observation>;
}

/**
 * The `none` executor: the caller performs the change itself once it sees `completed`; the service
 * only records that the approved operation was released.
 */
export class NoneExecutor implements Executor {
  readonly kind = 'none';

  async execute(request: ApprovalRequest): Promise<ExecutionOutcome> {
    return {
      status: 'succeeded',
      detail: `released to the initiator; operation ${request.operationHash} is performed by the caller`,
    };
  }
}
