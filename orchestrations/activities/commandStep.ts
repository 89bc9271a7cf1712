import { chainEvents, chainStartAfter, type ChainStart } from '../../shared/domain/auditChain';
import type { DomainEvent } from '../../shared/domain/lifecycle';
import type { ApprovalRequest, AuditRecord } from '../../shared/domain/model';
import type { NotificationKind } from '../../shared/domain/notifications';
import type { Directory } from '../../shared/identity/directory';
import type { AppKeyRing } from '../../shared/keys/appKey';
import { verifyCommandSignature } from '../../shared/keys/commandSignature';
import { isStoreError, type Store } from '../../shared/store/store';
import { readTrail } from '../../shared/store/trail';
import type {
  CommandEvent,
  CommandStepInput,
  CommandStepOutput,
  ExecuteStepInput,
  ExecuteStepOutput,
  RecordStepInput,
  RecordStepOutput,
  StepRights,
} from '../contracts';
import {
  claimedNonce,
  commandOf,
  commandStep as applyStep,
  completesNow,
  forgeryEvent,
  inStepExecution,
  recordedRights,
  refusalEvent,
  withNonce,
  withStepData,
} from '../steps';
import type { RecordStep } from './recordStep';

/** What the `commandStep` activity works with. */
export interface CommandStepDeps {
  readonly keys: AppKeyRing;
  readonly directory: Pick<Directory, 'appRolesOf' | 'memberGroupsOf'>;
  readonly store: Pick<Store, 'getRequest' | 'listAudit' | 'auditRecordAt'>;
  /** Records the step and sends its notification (the `recordStep` activity's handler). */
  readonly record: RecordStep;
  /**
   * Executes a completed request and records the execution (the `executeStep` activity's
   * handler): run in the same activity by the step that completes the request. Absent: the
   * orchestration runs `executeStep` itself.
   */
  readonly execute?: (input: ExecuteStepInput) => Promise<ExecuteStepOutput>;
}

/**
 * Builds the `commandStep` activity: a command is one step, one activity. It checks the event's
 * signature (under the app key, for this instance, fresh at the orchestration's time); a refused
 * one is recorded as `request.eventRefused` (`command_unauthenticated`, `command_stale`) without
 * reading anything, as is a genuine one the orchestration flagged (`replayed`, or `refuse` after the
 * request closed). Otherwise it reads the request (from the store when its read model is at the
 * orchestration's etag: one point read; else it answers `stale` and records nothing, and the
 * orchestration sends its copy), reads the actor's app roles and groups from the directory now
 * (and, for the approval that completes a request on approval, the initiator's roles), applies
 * the lifecycle rules (`commandStep` in `steps.ts`, which the orchestration applies again with the
 * rights answered) and records the step with its notification through `record`.
 *
 * The rights read are recorded in the step's first record (`data.rights`, next to `data.nonce`).
 * A directory or store failure throws before anything is recorded, for the orchestration's
 * retries (and after them its fallback: the step in parts, each with its own retries). Under
 * retries: each run first reads the trail at the step's place (`after`, one record); when an
 * earlier run wrote its records there (the same nonce: its read model write failed, or it crashed
 * after), the directory is not read again: the recorded rights are applied to the request as it
 * was before the step, at `at`, with `notificationId`, so the records are the same ones, which the
 * store skips, and the read model's write completes. A run that finds the read model past the step
 * (the etag moved) answers `stale`, and the re-run with the orchestration's copy does the same.
 * Records of another shape at the step's place (written before steps recorded their rights,
 * `audit_mismatch`) are taken (`adopted`) only when the read model shows the whole trail.
 *
 * The step that completes the request (the initiator's `complete`, or the approval that completes
 * it on approval) also executes it, in the same run, through `execute` (the `executeStep`
 * handler), once its own records and read model are written and answered an etag with no
 * notification outcome left unrecorded: at the trail position after the step (`next`), under that
 * etag, with the initiator's `executed` message (`execution.notificationId`, at `at`) after a
 * completion on approval. Its answer goes back as `executed`, which the orchestration takes as it
 * takes an `executeStep` answer. `execute` first reads the trail at that position, so a re-run of
 * this step (a retry, or the re-run with the orchestration's copy after `stale`) after an earlier
 * one wrote the execution record executes nothing again: it records that execution again (the
 * store skips the record) and answers it. An execution that throws (a retryable failure, which
 * records nothing) is not this step's failure: the step answers `executionFailed` without
 * `executed`, and the orchestration runs `executeStep` at the same position after a retry
 * interval, with its own retries. The adopted path,
 * and a completion on approval whose input names no `executed` message id (made by an earlier
 * version), execute nothing: the orchestration's `executeStep` does.
 */
export function makeCommandStep(deps: CommandStepDeps) {
  return async function commandStep(input: CommandStepInput): Promise<CommandStepOutput> {
    const { requestId, event, at, after } = input;
    const correlation = input.correlationId === undefined ? {} : { correlationId: input.correlationId };
    const verdict = verifyCommandSignature(deps.keys, requestId, event, new Date(at));
    let events: DomainEvent[];
    let changed: { value: ApprovalRequest; etag: string } | undefined;
    let kind: NotificationKind | undefined;
    let rights: StepRights | undefined;
    let status: ApprovalRequest['status'] | undefined;
    let autoCompleted = false;
    if (!verdict.ok) {
      events = withNonce([forgeryEvent(requestId, event, verdict.code, verdict.reason, at)], claimedNonce(event));
    } else {
      const { nonce } = verdict.signature;
      const genuine = event as CommandEvent;
      if (input.replayed)
        events = [
          refusalEvent(
            requestId,
            genuine,
            'command_replayed',
            `the command with nonce ${nonce} was already applied or refused`,
            at,
          ),
        ];
      else if (input.refuse) events = [refusalEvent(requestId, genuine, input.refuse.code, input.refuse.reason, at)];
      else {
        // An earlier attempt of this step that wrote its records (its read model write may have
        // failed) recorded the rights it read: applied again, they give the same records.
        const earlier = recordedRights(await deps.store.auditRecordAt(requestId, after.seq), nonce);
        const stored = input.request
          ? { value: input.request, etag: input.etag }
          : await deps.store.getRequest(requestId);
        if (stored?.etag !== input.etag) return { stale: true, etag: null, next: after };
        const request = stored.value;
        const command = (read: StepRights) => commandOf(genuine, read, at);
        if (earlier) rights = earlier;
        else {
          const actorId = genuine.actor.id;
          const groupIds = genuine.kind === 'decide' ? request.policy.approverGroupIds : [];
          const [actorRoles, actorGroupIds] = await Promise.all([
            deps.directory.appRolesOf(actorId),
            groupIds.length === 0 ? Promise.resolve([]) : deps.directory.memberGroupsOf(actorId, groupIds),
          ]);
          rights = { actorRoles: [...actorRoles], actorGroupIds: [...actorGroupIds] };
          if (completesNow(request, command(rights)))
            rights.initiatorRoles = [...(await deps.directory.appRolesOf(request.initiator.id))];
        }
        const step = applyStep(request, command(rights), rights.initiatorRoles ?? null, at);
        events = step.result.events;
        kind = step.kind;
        status = step.result.request.status;
        autoCompleted = step.autoCompleted;
        if (step.result.request !== request) changed = { value: step.result.request, etag: stored.etag };
      }
      events = withStepData(events, nonce, rights);
    }
    const { records, next } = chainEvents(events, after);
    const step: RecordStepInput = {
      records,
      ...(changed ? { request: changed } : {}),
      ...(kind === undefined ? {} : { notify: { kind, notificationId: input.notificationId, at, after: next } }),
      ...correlation,
    };
    const verified = verdict.ok
      ? { verified: { nonce: verdict.signature.nonce, issuedAt: verdict.signature.issuedAt } }
      : {};
    let output: RecordStepOutput;
    try {
      output = await deps.record(step);
    } catch (error) {
      if (!isStoreError(error, 'audit_mismatch')) throw error;
      // Other records stand at this step's place (written before steps recorded what they read):
      // taken only when the read model shows the whole trail, never a read model that lacks a
      // step its trail records.
      const stored = await deps.store.getRequest(requestId);
      const last: AuditRecord | undefined = (await readTrail(deps.store, requestId)).at(-1);
      if (!stored || !last || stored.value.trail?.seq !== last.seq) throw error;
      return {
        ...verified,
        etag: stored.etag,
        next: chainStartAfter(last),
        adopted: { request: stored.value, etag: stored.etag },
      };
    }
    const recorded = stepOutput(output, next);
    const answer: CommandStepOutput = { ...verified, ...(rights ? { rights, status } : {}), ...recorded };
    // The step completed the request: it executes now, in this run (see above).
    const execute = inStepExecution(input, changed?.value, recorded, autoCompleted);
    if (!deps.execute || !execute) return answer;
    try {
      return { ...answer, executed: await deps.execute(execute) };
    } catch {
      // A retryable execution failure recorded nothing: the orchestration's `executeStep` retries it
      // at the same position, after a retry interval. The command step itself stands: it is never
      // retried for this.
      return { ...answer, executionFailed: true };
    }
  };
}

/** A `recordStep` answer as the etag, the trail's next position and any outcomes left unrecorded. */
export function stepOutput(
  output: RecordStepOutput,
  next: ChainStart,
): { etag: string | null; next: ChainStart; unrecorded?: AuditRecord[] } {
  if (output === null || typeof output === 'string') return { etag: output, next };
  if ('startRefused' in output) throw new Error(`a step refused its start: ${output.startRefused}`);
  if ('stale' in output) throw new Error('a step with its request found it stale');
  if ('superseded' in output) throw new Error('a step that yields to no command answered superseded');
  return {
    etag: output.etag,
    next: output.next,
    ...(output.unrecorded?.length ? { unrecorded: output.unrecorded } : {}),
  };
}
