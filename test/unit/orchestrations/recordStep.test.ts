import { makeRecordStep, type Send } from '../../../orchestrations/activities/recordStep';
import type { NotifiedStepOutput, NotifyInput, NotifyOutput, RecordStepInput } from '../../../orchestrations/contracts';
import { chainEvents, chainStartAfter, verifyChain } from '../../../shared/domain/auditChain';
import { submittedEvent } from '../../../shared/domain/lifecycle';
import type { ApprovalRequest } from '../../../shared/domain/model';
import { parseKeySetting, type AppKeyRing } from '../../../shared/keys/appKey';
import { signStart } from '../../../shared/keys/commandSignature';
import type { SqliteStore } from '../../../shared/store/sqliteStore';
import { StoreError, type Store } from '../../../shared/store/store';
import { readTrail } from '../../../shared/store/trail';
import { forgeryEvent, withNonce, withStepData } from '../../../orchestrations/steps';
import { TEST_APP_KEY } from '../../support/appKey';
import { bob, newRequest, T0 } from '../../support/builders';
import { tempSqliteStore } from '../../support/fakePorts';

const keys: AppKeyRing = { current: parseKeySetting(TEST_APP_KEY) };

let store: SqliteStore;
let dispose: () => Promise<void>;
beforeEach(() => {
  ({ store, dispose } = tempSqliteStore());
});
afterEach(() => dispose());

/** A sender that reports `outcome` for every message and counts the notifications it was asked to send. */
function sender(ok = true): Send & { sent: NotifyInput[] } {
  const sent: NotifyInput[] = [];
  const send = async (input: NotifyInput): Promise<NotifyOutput> => {
    sent.push(input);
    return {
      outcomes: [
        { channel: 'webhook', recipient: bob, ok, detail: ok ? '200' : '503' },
        { channel: 'email', recipient: bob, address: 'bob@maa.test', ok, detail: ok ? '202' : '503' },
      ],
      problems: [],
    };
  };
  return Object.assign(send, { sent });
}

/** The first step of `request`, stored as its submit leaves it: its record and a notification to the approvers. */
async function firstStep(request: ApprovalRequest): Promise<RecordStepInput> {
  const { etag } = await store.createRequest(request);
  const { records, next } = chainEvents([submittedEvent(request)], chainStartAfter(undefined));
  return {
    records,
    request: { value: request, etag },
    notify: { kind: 'submitted', notificationId: 'guid-1', at: T0, after: next },
  };
}

describe('recordStep', () => {
  it('writes the step, sends its notification once and appends the outcomes after it, in one run', async () => {
    const request = newRequest();
    const send = sender();
    const output = (await makeRecordStep(store, keys, send)(await firstStep(request))) as NotifiedStepOutput;

    expect(send.sent.map((input) => [input.kind, input.notificationId, input.request.id])).toEqual([
      ['submitted', 'guid-1', request.id],
    ]);
    const trail = await readTrail(store, request.id);
    expect(trail.map((record) => record.type)).toEqual(['request.submitted', 'notification.sent', 'notification.sent']);
    expect(verifyChain(trail).valid).toBe(true);
    // The orchestration continues the trail and the read model from what it answers, with no read.
    expect(output.next).toEqual(chainStartAfter(trail.at(-1)));
    const stored = (await store.getRequest(request.id))!;
    expect(output.etag).toBe(stored.etag);
    expect(stored.value.trail).toEqual({ seq: 2, hash: trail.at(-1)!.hash });
    expect(output.unrecorded).toBeUndefined();
  });

  it('writes no record twice when it runs again, and keeps the first run’s outcomes when the second’s differ', async () => {
    const request = newRequest();
    const step = await firstStep(request);
    await makeRecordStep(store, keys, sender(true))(step);
    const trailBefore = await readTrail(store, request.id);

    // The same step again (its first run crashed after writing): this time every send fails.
    const again = (await makeRecordStep(store, keys, sender(false))(step)) as NotifiedStepOutput;

    const trail = await readTrail(store, request.id);
    expect(trail).toEqual(trailBefore);
    expect(again.next).toEqual(chainStartAfter(trail.at(-1)));
    expect(again.unrecorded).toBeUndefined();
  });

  it('hands the outcomes back unrecorded, sent once, when writing them fails after the sends', async () => {
    const request = newRequest();
    const step = await firstStep(request);
    let writes = 0;
    const failing: Pick<Store, 'recordStep' | 'listAudit'> = {
      recordStep: (written) =>
        writes++ === 0 ? store.recordStep(written) : Promise.reject(new StoreError('store_unavailable', 'disk full')),
      listAudit: (id, page) => store.listAudit(id, page),
    };
    const send = sender();
    const output = (await makeRecordStep(failing, keys, send)(step)) as NotifiedStepOutput;

    expect(send.sent).toHaveLength(1);
    expect(output.unrecorded?.map((record) => [record.seq, record.type])).toEqual([
      [1, 'notification.sent'],
      [2, 'notification.sent'],
    ]);
    expect(output.next).toEqual(chainStartAfter(output.unrecorded!.at(-1)));
    expect((await readTrail(store, request.id)).map((record) => record.type)).toEqual(['request.submitted']);
    // Recorded later as a step of their own, they continue the chain.
    await store.recordStep({ records: output.unrecorded! });
    expect(verifyChain(await readTrail(store, request.id)).valid).toBe(true);
  });

  it('audits a sender that throws as a failed notification, and does not fail the step (no re-run, no second send)', async () => {
    const request = newRequest();
    let calls = 0;
    const throwing: Send = async () => {
      calls++;
      throw new Error('link key unreadable\nstack');
    };
    const output = (await makeRecordStep(store, keys, throwing)(await firstStep(request))) as NotifiedStepOutput;

    expect(calls).toBe(1);
    const trail = await readTrail(store, request.id);
    expect(trail.map((record) => record.type)).toEqual(['request.submitted', 'notification.failed']);
    expect(JSON.stringify(trail[1]!.data)).toContain('the notification could not be sent: link key unreadable');
    expect(output.next).toEqual(chainStartAfter(trail.at(-1)));
  });

  it('sends a reminder, which has no records of its own, and appends only its outcomes', async () => {
    const request = newRequest();
    const first = (await makeRecordStep(store, keys, sender())(await firstStep(request))) as NotifiedStepOutput;
    const send = sender();
    const output = (await makeRecordStep(
      store,
      keys,
      send,
    )({
      records: [],
      request: { value: request, etag: first.etag! },
      notify: { kind: 'reminder', notificationId: 'guid-2', at: T0, after: first.next },
    })) as NotifiedStepOutput;

    expect(send.sent.map((input) => input.kind)).toEqual(['reminder']);
    const trail = await readTrail(store, request.id);
    expect(trail.map((record) => record.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(verifyChain(trail).valid).toBe(true);
    expect(output.etag).toBe((await store.getRequest(request.id))!.etag);
  });

  it('writes and sends nothing when the start input is not signed by the app', async () => {
    const request = newRequest();
    const step = await firstStep(request);
    const send = sender();
    const unsigned = { request, etag: 'etag-0' };

    const output = await makeRecordStep(store, keys, send)({ ...step, start: unsigned });
    expect(output).toEqual({ startRefused: expect.any(String) });
    expect(send.sent).toEqual([]);
    expect(await readTrail(store, request.id)).toEqual([]);

    // Signed, the same step goes through; as the orchestration sends it, the request comes only in the start input.
    const signed = signStart(keys, request.id, { request, etag: step.request!.etag }, new Date());
    const { request: _carried, ...withoutRequest } = step;
    await makeRecordStep(store, keys, send)({ ...withoutRequest, start: signed });
    expect(send.sent.map((input) => input.request.id)).toEqual([request.id]);
    expect((await readTrail(store, request.id)).map((record) => record.type)).toEqual([
      'request.submitted',
      'notification.sent',
      'notification.sent',
    ]);
  });

  describe('a refusal that yields to its command’s step (yieldTo)', () => {
    /** A stored request whose trail holds, at the place after its submission, the first record of the step of command `nonce` (a command step whose read model write then failed). */
    async function standingStep(nonce: string) {
      const request = newRequest();
      const first = (await makeRecordStep(store, keys, sender())(await firstStep(request))) as NotifiedStepOutput;
      const approved = withStepData(
        [{ requestId: request.id, type: 'request.approved', at: T0, actor: bob, data: { decision: 'approve' } }],
        nonce,
        { actorRoles: ['Approver'], actorGroupIds: ['group-a'] },
      );
      await store.recordStep({ records: chainEvents(approved, first.next).records });
      const event = { kind: 'decide', actor: bob, signature: { nonce: 'bob-approves' } };
      const refusal = withNonce(
        [forgeryEvent(request.id, event, 'membership_unavailable', 'the directory could not be read', T0)],
        'bob-approves',
      );
      const step: RecordStepInput = { records: chainEvents(refusal, first.next).records, yieldTo: 'bob-approves' };
      return { request, step, trail: await readTrail(store, request.id) };
    }

    it('writes and sends nothing and answers superseded when the record at its place names that command', async () => {
      const { request, step, trail } = await standingStep('bob-approves');
      const send = sender();

      const output = await makeRecordStep(store, keys, send)(step);

      expect(output).toEqual({ superseded: true });
      expect(await readTrail(store, request.id)).toEqual(trail);
      expect(send.sent).toEqual([]);
    });

    it('still fails with audit_mismatch when the record at its place names another command, or when it yields to none', async () => {
      const { request, step, trail } = await standingStep('carol-approves');
      const record = makeRecordStep(store, keys, sender());

      await expect(record(step)).rejects.toMatchObject({ name: 'StoreError', code: 'audit_mismatch' });
      const { yieldTo: _yieldTo, ...plain } = step;
      await expect(record(plain)).rejects.toMatchObject({ name: 'StoreError', code: 'audit_mismatch' });
      expect(await readTrail(store, request.id)).toEqual(trail);
    });
  });
});
