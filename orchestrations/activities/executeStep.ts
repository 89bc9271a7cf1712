import { chainEvents, chainStartAfter } from '../../shared/domain/auditChain';
import { isDomainError } from '../../shared/domain/errors';
import { applyCommand, type CommandResult } from '../../shared/domain/lifecycle';
import type { AuditRecord, ProfileType } from '../../shared/domain/model';
import type { Executor } from '../../shared/execute/executor';
import type { Store } from '../../shared/store/store';
import { readTrail } from '../../shared/store/trail';
import type { ExecuteStepInput, ExecuteStepOutput, RecordStepInput } from '../contracts';
import { stepOutput } from './commandStep';
import { executeStored } from './executeOperation';
import type { RecordStep } from './recordStep';

/** What the `executeStep` activity works with. */
export interface ExecuteStepDeps {
  readonly executorFor: (profileType: ProfileType) => Executor;
  readonly store: Pick<Store, 'getRequest' | 'listAudit'>;
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
 * to it (the orchestration applies it again to its copy: the same request and records) and
 * records the step with the `executed` notification when asked, under that etag (no read).
 *
 * It never executes twice for a write: when the read model was another version, or the execution
 * was refused, or the write fails, the execution goes back unrecorded and the orchestration
 * records it as a step of its own. A re-run that finds the execution recorded already (an earlier
 * run crashed after writing it) executes nothing and answers the read model as stored
 * (`adopted`).
 */
export function makeExecuteStep(deps: ExecuteStepDeps) {
  const now = deps.now ?? (() => new Date());
  return async function executeStep(input: ExecuteStepInput): Promise<ExecuteStepOutput> {
    const tagged = await deps.store.getRequest(input.requestId);
    const stored = tagged?.value;
    if (
      tagged &&
      stored?.status === 'completed' &&
      stored.execution !== undefined &&
      stored.redrive === undefined &&
      tagged.etag !== input.etag
    ) {
      const last: AuditRecord | undefined = (await readTrail(deps.store, input.requestId)).at(-1);
      return {
        execution: stored.execution,
        adopted: { request: stored, etag: tagged.etag, next: chainStartAfter(last) },
      };
    }
    const requested = { id: input.requestId, operationHash: input.operationHash };
    const execution = await executeStored(stored, requested, deps.executorFor, now);
    if (!tagged || !stored || tagged.etag !== input.etag || execution.detail.startsWith('execution_refused:'))
      return { execution };
    const { followUp: _followUp, ...recorded } = execution;
    let result: CommandResult;
    try {
      result = applyCommand(stored, { kind: 'recordExecution', execution: recorded });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return { execution };
    }
    const { records, next } = chainEvents(result.events, input.after);
    const step: RecordStepInput = {
      records,
      request: { value: result.request, etag: tagged.etag },
      ...(input.notify ? { notify: { kind: 'executed', ...input.notify, after: next } } : {}),
      ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId }),
    };
    try {
      const output = stepOutput(await deps.record(step), next);
      return { execution, recorded: output };
    } catch {
      // Executed, not recorded: the orchestration records it (its own retries), never executing again for it.
      return { execution };
    }
  };
}
