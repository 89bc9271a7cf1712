/**
 * Commands that race each other (and the expiry timer) on one request, through the real runtime
 * over HTTP: whatever the interleaving, a request has exactly one outcome, every status change in
 * its audit trail follows from the one before, the hash chain verifies, and the stored operation
 * runs at most once. Completed operations go to a webhook served by this file, so "the executor
 * ran" is observed from outside the app rather than read from its own records.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, advanceClock, approverGroup, auditTrail, createPolicy, type AuditItem } from '../support/api';
import { deviceActionBody, newDevice } from '../support/intune';
import { startRuntime } from '../support/runtime';

jest.setTimeout(60_000);

const CLOSED = new Set(['rejected', 'cancelled', 'completed', 'expired']);
/** The status changes the lifecycle allows (docs/api.md). */
const ALLOWED: Record<string, string[]> = {
  needsApproval: ['approved', 'rejected', 'cancelled', 'expired'],
  approved: ['cancelled', 'completed', 'expired'],
};

type DeviceProfile = 'deviceWipe' | 'deviceRetire' | 'deviceDelete';

const types = (items: AuditItem[]) => items.map((item) => item.type);
/** What every trail here starts with: the submission, then bob's and carol's links and mails. */
const NOTIFIED = ['request.submitted', 'link.issued', 'link.issued', 'notification.sent', 'notification.sent'];
const count = (items: AuditItem[], type: string) => items.filter((item) => item.type === type).length;

/**
 * Checks that a trail tells one consistent story ending in `finalStatus`: records numbered 0..n-1,
 * each `request.statusChanged` leaving the status the previous one reached by an allowed step,
 * the last one reaching `finalStatus`, and after a closing status nothing but refusals (and, for
 * `completed`, the one execution record).
 */
function expectConsistent(trail: { items: AuditItem[]; chainValid: boolean }, finalStatus: string): void {
  expect(trail.chainValid).toBe(true);
  expect(trail.items.map((item) => item.seq)).toEqual(trail.items.map((_, index) => index));
  expect(trail.items[0]?.type).toBe('request.submitted');
  let status = 'needsApproval';
  const violations: string[] = [];
  trail.items.forEach((item, index) => {
    if (CLOSED.has(status)) {
      // The initiator is told of the closing change (rejected, cancelled, expired), and that is audited too.
      const told = ['notification.sent', 'notification.failed'];
      const allowedAfter =
        status === 'completed'
          ? ['request.eventRefused', 'execution.succeeded', 'execution.failed']
          : ['request.eventRefused', ...told];
      if (!allowedAfter.includes(item.type)) violations.push(`#${index} ${item.type} after the request was ${status}`);
    }
    if (item.type !== 'request.statusChanged') return;
    const to = item.data.to as string;
    if (item.data.from !== status || !(ALLOWED[status] ?? []).includes(to))
      violations.push(`#${index} ${String(item.data.from)} -> ${to} while the request was ${status}`);
    status = to;
  });
  expect(violations).toEqual([]);
  expect(status).toBe(finalStatus);
  if (finalStatus === 'completed')
    expect(count(trail.items, 'execution.succeeded') + count(trail.items, 'execution.failed')).toBe(1);
}

/** Whether the API sent the command to the orchestration (its answer says what became of it), rather than refusing it itself. */
const sent = (answer: { headers: Headers }) => answer.headers.get('x-maa-command') !== null;

describe('racing commands on one request (manual clock)', () => {
  let api: Api;
  /** Webhook deliveries per request id (the executor sends the request id as Idempotency-Key). */
  const executed = new Map<string, number>();
  let webhook: Server;
  let group: string;

  beforeAll(async () => {
    webhook = createServer((request, response) => {
      const key = String(request.headers['idempotency-key'] ?? '');
      request.resume();
      request.on('end', () => {
        executed.set(key, (executed.get(key) ?? 0) + 1);
        response.writeHead(200, { 'content-type': 'text/plain' }).end('done');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const { port } = webhook.address() as AddressInfo;
    const runtime = await startRuntime({
      env: {
        MAA_LOCAL_CLOCK: 'manual',
        MAA_WEBHOOK_PROFILE_TYPES: 'deviceWipe,deviceRetire,deviceDelete',
        MAA_WEBHOOK_URL: `http://127.0.0.1:${port}/execute`,
        MAA_WEBHOOK_SECRET: 'race-test-webhook-secret',
      },
    });
    api = new Api(runtime);
    group = await approverGroup(runtime);
    // One policy per shape of race: a single approver, two approvers, and a one-hour lifetime.
    await Promise.all([
      createPolicy(api, {
        displayName: 'Wipes need one approver',
        profileType: 'deviceWipe',
        approverGroupIds: [group],
        requiredApprovals: 1,
      }),
      createPolicy(api, {
        displayName: 'Retires need two approvers',
        profileType: 'deviceRetire',
        approverGroupIds: [group],
        requiredApprovals: 2,
      }),
      createPolicy(api, {
        displayName: 'Deletes expire within the hour',
        profileType: 'deviceDelete',
        approverGroupIds: [group],
        requestTtl: 'PT1H',
      }),
    ]);
  });

  afterAll(async () => {
    await api?.runtime.dispose();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  /** alice asks for `profileType`'s action on a device enrolled for this request alone. */
  async function submit(profileType: DeviceProfile, deviceName: string): Promise<string> {
    const device = await newDevice(api.runtime.url, deviceName);
    const submitted = await api.call(
      'alice',
      'POST',
      'requests',
      deviceActionBody(profileType, device, `Race test on ${deviceName}`),
    );
    expect(submitted.status).toBe(202);
    return submitted.body.id as string;
  }

  async function approved(profileType: DeviceProfile, deviceName: string): Promise<string> {
    const id = await submit(profileType, deviceName);
    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'ok' })).status).toBe(200);
    await api.until('alice', id, (r) => r.status === 'approved');
    return id;
  }

  /** The trail once `settled` holds for it and nothing more arrived for a while after. */
  async function settledTrail(
    id: string,
    settled: (items: AuditItem[]) => boolean,
  ): Promise<{ items: AuditItem[]; chainValid: boolean }> {
    const deadline = Date.now() + 10_000;
    let trail = await auditTrail(api, 'alice', id);
    while (!settled(trail.items)) {
      if (Date.now() > deadline)
        throw new Error(`the trail of ${id} never settled: ${JSON.stringify(types(trail.items))}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
      trail = await auditTrail(api, 'alice', id);
    }
    // Anything still in flight would land within this pause (the orchestration applies commands within a second).
    await new Promise((resolve) => setTimeout(resolve, 750));
    return auditTrail(api, 'alice', id);
  }

  it('applies one of two simultaneous approvals on a one-approval request and audits the other as refused', async () => {
    const id = await submit('deviceWipe', 'race-approve-1');
    const answers = await Promise.all([
      api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'bob agrees' }),
      api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'carol agrees' }),
    ]);
    // Sent to the orchestration: applied (200) or refused by it (x-maa-command says which); the
    // rest the API refused itself. Either refusal is 409 invalid_state.
    const accepted = answers.filter(sent).length;
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 200))
      expect([answer.status, answer.body.code]).toEqual([409, 'invalid_state']);

    const request = await api.until('alice', id, (r) => r.status === 'approved');
    expect(request.decisions).toHaveLength(1);
    // Every approval the API accepted is in the trail: one applied, the rest refused by the orchestration.
    const trail = await settledTrail(
      id,
      (items) =>
        count(items, 'request.approved') + count(items, 'request.eventRefused') >= accepted &&
        count(items, 'notification.sent') >= 3,
    );
    expectConsistent(trail, 'approved');
    expect(count(trail.items, 'request.approved')).toBe(1);
    const applied = trail.items.find((item) => item.type === 'request.approved')!;
    expect(applied.actor?.id).toBe(request.decisions[0].approver.id);
    const refused = trail.items.filter((item) => item.type === 'request.eventRefused');
    expect(refused).toHaveLength(accepted - 1);
    for (const refusal of refused) {
      expect(refusal.actor?.id).not.toBe(applied.actor?.id);
      expect(refusal.data).toMatchObject({ command: 'decide', code: 'invalid_state' });
    }
    expect(types(trail.items).slice(0, 8)).toEqual([
      ...NOTIFIED,
      'request.approved',
      'request.statusChanged',
      'notification.sent',
    ]);
  });

  it('counts both of two simultaneous approvals on a two-approval request', async () => {
    const id = await submit('deviceRetire', 'race-approve-2');
    const answers = await Promise.all([
      api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'bob agrees' }),
      api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'carol agrees' }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);

    const request = await api.until('alice', id, (r) => r.status === 'approved');
    expect(request.decisions.map((d: { approver: { displayName: string } }) => d.approver.displayName).sort()).toEqual([
      'Bob',
      'Carol',
    ]);
    const trail = await settledTrail(
      id,
      (items) => count(items, 'request.statusChanged') >= 1 && count(items, 'notification.sent') === 4,
    );
    expectConsistent(trail, 'approved');
    // alice hears of each approval: "1 of 2", then "approved".
    expect(types(trail.items)).toEqual([
      ...NOTIFIED,
      'request.approved',
      'notification.sent',
      'request.approved',
      'request.statusChanged',
      'notification.sent',
    ]);
    expect([trail.items[5], trail.items[7]].map((item) => item!.data.approvals)).toEqual([1, 2]);
    expect([trail.items[6], trail.items[9]].map((item) => item!.data.kind)).toEqual(['approvalRecorded', 'approved']);
    expect(trail.items[8]!.data).toEqual({ from: 'needsApproval', to: 'approved' });
  });

  it('ends an approval racing a cancellation in one consistent status', async () => {
    const id = await submit('deviceWipe', 'race-cancel');
    const [approval, cancellation] = await Promise.all([
      api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'bob agrees' }),
      api.call('alice', 'POST', `requests/${id}/cancel`),
    ]);
    // The approval is applied before the cancellation, or refused (by the API or the orchestration).
    if (approval.status !== 200) expect([approval.status, approval.body.code]).toEqual([409, 'invalid_state']);
    expect(cancellation.status).toBe(200);

    await api.until('alice', id, (r) => r.status === 'cancelled' || r.status === 'approved');
    const trail = await settledTrail(
      id,
      (items) => count(items, 'request.cancelled') + count(items, 'request.eventRefused') >= 1,
    );
    const final = (await api.call('alice', 'GET', `requests/${id}`)).body;
    expect(['cancelled', 'approved']).toContain(final.status);
    expectConsistent(trail, final.status);
    // The decisions on the request are exactly the approvals the trail applied.
    expect(final.decisions).toHaveLength(count(trail.items, 'request.approved'));
    expect(count(trail.items, 'request.cancelled')).toBe(final.status === 'cancelled' ? 1 : 0);
    // A cancelled request never executes.
    expect(executed.get(id)).toBeUndefined();
  });

  it('completes once and executes once when the initiator completes twice at the same moment', async () => {
    const id = await approved('deviceWipe', 'race-complete');
    const answers = await Promise.all([
      api.call('alice', 'POST', `requests/${id}/complete`),
      api.call('alice', 'POST', `requests/${id}/complete`),
    ]);
    const accepted = answers.filter(sent).length;
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 200))
      expect([answer.status, answer.body.code]).toEqual([409, 'invalid_state']);

    const done = await api.until('alice', id, (r) => r.execution !== undefined);
    expect(done).toMatchObject({ status: 'completed', execution: { status: 'succeeded' } });
    const trail = await settledTrail(id, (items) => count(items, 'execution.succeeded') === 1);
    expectConsistent(trail, 'completed');
    expect(count(trail.items, 'request.completed')).toBe(1);
    expect(count(trail.items, 'execution.succeeded')).toBe(1);
    expect(executed.get(id)).toBe(1);
    // The second completion is refused: at the API or by the orchestration, in the trail (409 either way).
    const refused = trail.items.filter((item) => item.type === 'request.eventRefused');
    expect({ apiRefusals: answers.length - accepted, auditedRefusals: refused.length }).toEqual({
      apiRefusals: 2 - accepted,
      auditedRefusals: accepted - 1,
    });
    for (const refusal of refused) expect(refusal.data).toMatchObject({ command: 'complete', code: 'invalid_state' });
  });

  it('either completes and executes once, or expires without executing, when completion races the expiry', async () => {
    const outcomes: string[] = [];
    for (const round of [1, 2, 3]) {
      api.forgetTokens();
      const id = await approved('deviceDelete', `race-expiry-${round}`);
      // A fresh token for alice, so the clock jump (past the request's one hour, not past the token's) races only the request.
      await api.token('alice');
      const [, completion] = await Promise.all([
        advanceClock(api.runtime, 'PT1H1M'),
        api.call('alice', 'POST', `requests/${id}/complete`),
      ]);
      // Refused at the API (expired), or by the orchestration that applied the expiry first (expired, or
      // invalid_state once the request closed), or found the command stale: the jump took its clock
      // past the signature's freshness (command_refused).
      if (completion.status !== 200) {
        expect(completion.status).toBe(409);
        expect(['expired', 'invalid_state', 'command_refused']).toContain(completion.body.code);
      }

      const closed = await api.until(
        'alice',
        id,
        (r) => r.status === 'expired' || (r.status === 'completed' && r.execution !== undefined),
      );
      const trail = await settledTrail(id, (items) =>
        items.some((item) => item.type === 'request.statusChanged' && CLOSED.has(item.data.to as string)),
      );
      const final = (await api.call('alice', 'GET', `requests/${id}`)).body;
      expect(final.status).toBe(closed.status);
      expectConsistent(trail, final.status);
      if (final.status === 'completed') {
        expect(final.execution).toMatchObject({ status: 'succeeded' });
        expect(count(trail.items, 'request.completed')).toBe(1);
        expect(count(trail.items, 'request.expired')).toBe(0);
        expect(executed.get(id)).toBe(1);
      } else {
        expect(final.execution).toBeUndefined();
        expect(count(trail.items, 'request.expired')).toBe(1);
        expect(count(trail.items, 'request.completed')).toBe(0);
        expect(trail.items.filter((item) => item.type.startsWith('execution.'))).toEqual([]);
        expect(executed.get(id)).toBeUndefined();
      }
      outcomes.push(`${final.status}${completion.status === 200 ? '' : ' (409)'}`);
    }
    expect(outcomes).toHaveLength(3);
  });
});
