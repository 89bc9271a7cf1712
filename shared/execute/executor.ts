import type { ApprovalRequest } from '../domain/model';

/** What an executor reports; `retryable` failures are retried by the orchestration, others recorded. */
export type ExecutionOutcome =
  { status: 'succeeded'; detail: string } | { status: 'failed'; detail: string; retryable: boolean };

/**
 * Carries out a completed request's operation. Implementations must be idempotent per request id:
 * the same request may be handed over more than once (activities run at least once).
 */
export interface Executor {
  readonly kind: string;
  execute(request: ApprovalRequest): Promise<ExecutionOutcome>;
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
