import { chainEvents, chainStartAfter } from '../../shared/domain/auditChain';
import { notificationEvents } from '../../shared/domain/notifications';
import type { AppKeyRing } from '../../shared/keys/appKey';
import { verifyStartSignature } from '../../shared/keys/commandSignature';
import { isStoreError, type Store } from '../../shared/store/store';
import { readTrail } from '../../shared/store/trail';
import type { AuditRecord } from '../../shared/domain/model';
import { isDomainError } from '../../shared/domain/errors';
import { applyCommand } from '../../shared/domain/lifecycle';
import { startRecords, yieldsTo } from '../steps';
import type { NotifiedStepOutput, NotifyInput, NotifyOutput, RecordStepInput, RecordStepOutput } from '../contracts';

/** Sends a notification on every channel and reports each outcome; never throws (see `makeNotify`). */
export type Send = (input: NotifyInput) => Promise<NotifyOutput>;

/**
 * Builds the `recordStep` activity, one step of a request in one run: appends the step's audit
 * records, which the orchestration chained itself, and writes the read model under the etag it
 * carries, in one store call (see {@link Store.recordStep} for why retries and late duplicates are
 * safe); then, for a step that notifies, sends the notification through `send` and appends its
 * outcomes (`link.issued`, `notification.sent/failed`), chained at the position the orchestration
 * gave, with the read model's head moved to them under the etag the first write answered (no
 * read). The first step's request is its start input's, not carried twice. Returns the read model's etag after the step (null when the request has no read model),
 * with the trail's new end for a step that notified. On the first step it first checks the start
 * input's signature and writes and sends nothing when it does not verify.
 *
 * Under re-runs: the records are deterministic, so a re-run writes none twice; messages keep their
 * ids (CloudEvent ids, link ids), so a channel that deduplicates drops the repeat, while email can
 * be sent twice when the activity crashed between sending and finishing. Once the messages went
 * out, the activity no longer throws for the outcomes' write: when it fails they are returned
 * unrecorded for the orchestration to record, so a store outage never sends them again; when a
 * first run already wrote other outcomes there (`audit_mismatch`), those stand and the trail's end
 * is read back. A refusal that yields to its command's step (`yieldTo`) and finds that step's first
 * record at its place (`audit_mismatch`, then one read of that record) writes and sends nothing
 * and answers `superseded`; any other record there still fails it.
 */
/** The `recordStep` activity's handler (also how `commandStep` and `executeStep` record their step). */
export type RecordStep = (input: RecordStepInput) => Promise<RecordStepOutput>;

export function makeRecordStep(
  store: Pick<Store, 'recordStep' | 'listAudit'> & Partial<Pick<Store, 'getRequest' | 'auditRecordAt'>>,
  keys: AppKeyRing,
  send: Send,
): RecordStep {
  return async function recordStep({
    start,
    notify,
    derive,
    yieldTo,
    ...step
  }: RecordStepInput): Promise<RecordStepOutput> {
    if (start) {
      const verdict = verifyStartSignature(keys, start.request?.id ?? '', start);
      if (!verdict.ok) return { startRefused: verdict.reason };
      // The first step's records derive from the start input, which the history holds already.
      if (step.records.length === 0) step.records = startRecords(start).records;
    }
    if (derive) {
      // The read model is the orchestration's copy when it is at the etag: the step applies to it (no request carried).
      const stored = await store.getRequest?.(derive.requestId);
      if (stored?.etag !== derive.etag) return { stale: true };
      let value = stored.value;
      try {
        if (derive.command) value = applyCommand(value, derive.command).request;
      } catch (error) {
        if (!isDomainError(error)) throw error;
        return { stale: true };
      }
      step.request = { value, etag: stored.etag };
    }
    let etag: string | null;
    try {
      etag =
        step.records.length > 0
          ? ((await store.recordStep({ records: step.records, ...(step.request ? { request: step.request } : {}) })) ??
            null)
          : (step.request?.etag ?? start?.etag ?? null);
    } catch (error) {
      // A refusal meant for the place where an earlier attempt of the command's own step wrote its
      // records: those stand, and the orchestration completes that step instead (one read, only here).
      const first = step.records[0];
      if (yieldTo !== undefined && first && isStoreError(error, 'audit_mismatch') && store.auditRecordAt) {
        if (yieldsTo(await store.auditRecordAt(first.requestId, first.seq), yieldTo)) return { superseded: true };
      }
      throw error;
    }
    if (!notify) return etag;
    // The first step's request is its start input's (as submitted, already in the read model).
    const request = step.request?.value ?? start?.request;
    if (!request) throw new Error('a step that notifies carries its request');
    // A notification that fails is audited and never fails the step: a throw here would re-run the
    // step's retries, sending every message again, and end the request once they ran out.
    let sent: Awaited<ReturnType<Send>>;
    try {
      sent = await send({ kind: notify.kind, request, notificationId: notify.notificationId, at: notify.at });
    } catch (error) {
      sent = { outcomes: [], problems: [`the notification could not be sent: ${messageOf(error)}`] };
    }
    const events = notificationEvents(request, notify.kind, sent.outcomes, sent.problems, notify.at);
    if (events.length === 0) return { etag, next: notify.after };
    const { records, next } = chainEvents(events, notify.after);
    try {
      const written = await store.recordStep({
        records,
        ...(etag === null ? {} : { request: { value: request, etag } }),
      });
      return { etag: written ?? null, next } satisfies NotifiedStepOutput;
    } catch (error) {
      if (isStoreError(error, 'audit_mismatch')) {
        // A crashed first run recorded its own outcomes here: they stand, and the trail goes on after them.
        const last: AuditRecord | undefined = (await readTrail(store, request.id)).at(-1);
        return { etag, next: chainStartAfter(last) };
      }
      return { etag, next, unrecorded: records };
    }
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
