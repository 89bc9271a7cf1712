import type { NotifyInput, NotifyOutput, RecordStepInput, RecordStepOutput } from '../../orchestrations/contracts';
import { Activities } from '../../orchestrations/names';
import { chainEvents } from '../../shared/domain/auditChain';
import type { AuditRecord } from '../../shared/domain/model';
import { notificationEvents } from '../../shared/domain/notifications';
import { alice } from './builders';
import type { ActivityCall, ActivityHandler, FakeOrchestration } from './fakeOrchestrationContext';

const { recordStep } = Activities;

/** What a step's sender reports for a notification (what it sends is the notify tests' business). */
export type Sender = (input: NotifyInput) => NotifyOutput;

/** One message per notification, by email to the initiator, delivered. */
export const delivers: Sender = () => ({
  outcomes: [{ channel: 'email', recipient: alice, ok: true, detail: '202' }],
  problems: [],
});

/** What each step answered, and the outcome records a notifying step wrote. */
export const OUTCOMES = new WeakMap<ActivityCall, { records: AuditRecord[]; output: RecordStepOutput }>();

/**
 * The recordStep activity over a store whose etags count up (`etag-1` after the first write of
 * the read model): it writes the step, then, for a step that notifies, sends through `send` and
 * writes the outcomes chained where the orchestration said, as the real activity does (its own
 * tests hold that); `unrecorded` makes the outcomes' write fail.
 */
export function recordStepInStore(send: Sender = delivers, options: { unrecorded?: boolean } = {}): ActivityHandler {
  let version = 0;
  return (raw, call) => {
    const step = raw as RecordStepInput;
    if (!step.notify) {
      const output = step.request ? `etag-${++version}` : null;
      OUTCOMES.set(call, { records: [], output });
      return output;
    }
    const { kind, notificationId, at, after: start } = step.notify;
    const request = step.request?.value ?? step.start!.request;
    const etag = step.records.length > 0 ? `etag-${++version}` : step.request!.etag;
    const { outcomes, problems } = send({ kind, request, notificationId, at });
    const { records, next } = chainEvents(notificationEvents(request, kind, outcomes, problems, at), start);
    let output: RecordStepOutput = { etag, next };
    if (records.length > 0 && options.unrecorded) output = { etag, next, unrecorded: records };
    else if (records.length > 0) output = { etag: `etag-${++version}`, next };
    OUTCOMES.set(call, { records: records.length > 0 && !options.unrecorded ? records : [], output });
    return output;
  };
}

export const stepCalls = (fake: FakeOrchestration) => fake.activities.filter((call) => call.name === recordStep);
export const stepsOf = (fake: FakeOrchestration) => stepCalls(fake).map((call) => call.input as RecordStepInput);
/** Every audit record the orchestration's steps wrote, in order: each step's own, then its notification's outcomes. */
export const trailOf = (fake: FakeOrchestration): AuditRecord[] =>
  stepCalls(fake).flatMap((call) => [
    ...(call.input as RecordStepInput).records,
    ...(OUTCOMES.get(call)?.records ?? []),
  ]);
export const typesOf = (fake: FakeOrchestration) => trailOf(fake).map((record) => record.type);
/** The steps that notified, as [kind, when]. */
export const notifications = (fake: FakeOrchestration) =>
  stepsOf(fake).flatMap((step) => (step.notify ? [[step.notify.kind, step.notify.at] as const] : []));
export const notifiedKinds = (fake: FakeOrchestration) => notifications(fake).map(([kind]) => kind);
