import { chainEvents, chainStartAfter, type ChainStart } from '../../shared/domain/auditChain';
import { isDomainError } from '../../shared/domain/errors';
import type { CommandResult } from '../../shared/domain/lifecycle';
import type { ProfileType } from '../../shared/domain/model';
import type { Executor } from '../../shared/execute/executor';
import { isStoreError, type Store } from '../../shared/store/store';
import type { ExecuteOperationOutput, ExecuteStepInput, ExecuteStepOutput, RecordStepInput } from '../contracts';
import { stepOutput } from './commandStep';
import { executedIn, executionStep } from '../steps';
import { executeStored } from './executeOperation';
import type { RecordStep } from './recordStep';

/** What the `executeStep` activity works with. */
export interface ExecuteStepDeps {
  readonly executorFor: (profileType: ProfileType) => Executor;
  readonly store: Pick<Store, 'getRequest' | 'auditRecordAt'>;
  /** Records the step and sends its notification (the `recordStep` activity's handler). */
  readonly record: RecordStep;
  readonly now?: () => Date;
}

/**
 * Builds the `executeStep` activity: executing a completed request and recording the execution is
 * one step, one activity. It reads the request from the store (the read `executeOperation` makes
 * anyway: only a request whose completion is stored executes, see `executeStored`), runs it through
 * its executor (a retryable failure throws, for the orchestration's retries), then, when the read
 * model it read is the version the orchestration last wrote (`etag`), applies `recordExecution`
 * to it (`executionStep` in `steps.ts`; the orchestration applies it again to its copy: the same
 * request and records) and records the step with the `executed` notification when asked, under
 * that etag (no read). The execution record holds the whole execution, its follow-up included
 * (`data.executed`).
 *
 * It never executes twice: it first reads the trail at the step's place (`after`); when an earlier
 * attempt wrote the execution record there (and then crashed or failed to write the read model),
 * it executes nothing and records that execution again (the store skips the record and completes
 * the read model, or leaves one that shows the step as it is), answering it with its follow-up;
 * when the read model's head is already past that record (the step and its message's outcomes
 * were all written), it writes and sends nothing.
 * When the read model was another version, or the execution was refused, or the write fails, the
 * execution goes back unrecorded and the orchestration records it as a step of its own, with the
 * same record (`executionStep`).
 */
export function makeExecuteStep(deps: ExecuteStepDeps) {
  const now = deps.now ?? (() => new Date());
  return function executeStep(input: ExecuteStepInput): Promise<ExecuteStepOutput> {
    return run(input, input.gaveUp, true);
  };

  /**
   * The step; `known`: the execution to record instead of executing (given up, or run already by
   * this attempt); `again`: whether another record found at the step's place on writing is looked
   * for (once).
   */
  async function run(
    input: ExecuteStepInput,
    known: ExecuteOperationOutput | undefined,
    again: boolean,
  ): Promise<ExecuteStepOutput> {
    // The read model first: every write appends its records before it touches the read model, so
    // a read model another run moved on comes with that run's record visible below.
    const tagged = await deps.store.getRequest(input.requestId);
    const earlier = await deps.store.auditRecordAt(input.requestId, input.after.seq);
    const executed = executedIn(earlier);
    const stored = tagged?.value;
    const notify = (next: ChainStart) =>
      input.notify ? { notify: { kind: 'executed' as const, ...input.notify, after: next } } : {};
    const correlation = input.correlationId === undefined ? {} : { correlationId: input.correlationId };
    if (executed && earlier && tagged && stored) {
      // An earlier attempt executed and wrote its record: recorded again, never executed again.
      // A read model with an execution shows the step already (the orchestration is its only writer).
      if (stored.execution !== undefined && stored.trail !== undefined && stored.trail.seq > earlier.seq) {
        // Its read model and the outcomes of its message, too (the trail's head is past the
        // execution record, and nothing else writes while the orchestration waits for this step):
        // all recorded. Nothing is written again (a read model under this step's head would move
        // the head back) and the message is not sent again.
        return {
          execution: executed,
          recorded: { etag: tagged.etag, next: { seq: stored.trail.seq + 1, prevHash: stored.trail.hash } },
        };
      }
      const value = stored.execution === undefined ? executionStep(stored, executed).request : stored;
      const next = chainStartAfter(earlier);
      const step: RecordStepInput = {
        records: [earlier],
        request: { value, etag: input.etag },
        ...notify(next),
        ...correlation,
      };
      try {
        return { execution: executed, recorded: stepOutput(await deps.record(step), next) };
      } catch {
        // The store refuses the write now: handed back as recorded, for the orchestration to record
        // with its own retries (the same record, which the store skips), never executed again.
        return { execution: executed };
      }
    }
    const requested = { id: input.requestId, operationHash: input.operationHash };
    // Given up: nothing is executed any more, the failure is recorded (at a place nothing holds).
    const execution = known ?? (await executeStored(stored, requested, deps.executorFor, now));
    if (!tagged || !stored || tagged.etag !== input.etag || execution.detail.startsWith('execution_refused:'))
      return { execution };
    let result: CommandResult;
    try {
      result = executionStep(stored, execution);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return { execution };
    }
    const { records, next } = chainEvents(result.events, input.after);
    const step: RecordStepInput = {
      records,
      request: { value: result.request, etag: tagged.etag },
      ...notify(next),
      ...correlation,
    };
    try {
      const output = stepOutput(await deps.record(step), next);
      return { execution, recorded: output };
    } catch (error) {
      // Another run of this attempt (Durable may deliver one twice) recorded its execution here
      // first: that one is the step's, answered as an earlier run's is; this one is not recorded
      // over it, nor executed again.
      if (again && isStoreError(error, 'audit_mismatch')) return run(input, execution, false);
      // Executed, not recorded: the orchestration records it (its own retries), never executing again for it.
      return { execution };
    }
  }
}
