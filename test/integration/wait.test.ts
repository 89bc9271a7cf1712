/**
 * No polling needed, through the real runtime over HTTP: a command answers once the orchestration
 * applied it (200 with the request as it now is) or refused it (its problem), and `GET
 * /api/requests/{id}?waitFor=` is a bounded long-poll. With `MAA_COMMAND_WAIT=PT0S` a command
 * answers 202 at once, as before.
 */
import { Api, approverGroup, createPolicy } from '../support/api';
import { wipeBody } from '../support/builders';
import { newDevice } from '../support/intune';
import { startRuntime } from '../support/runtime';

jest.setTimeout(60_000);

/** An Api that counts the reads of one request's view (`GET /api/requests/{id}`, any query). */
class CountingApi extends Api {
  reads = 0;
  override async call(
    user: string,
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }> {
    if (method === 'GET' && /^requests\/[^/?]+(\?|$)/.test(route)) this.reads++;
    return super.call(user, method, route, body, headers);
  }
}

async function submitWipe(api: Api, name: string): Promise<string> {
  const submitted = await api.call('alice', 'POST', 'requests', wipeBody(await newDevice(api.runtime.url, name)));
  expect(submitted.status).toBe(202);
  return submitted.body.id as string;
}

describe('commands that answer once applied, and the long-poll (default command wait)', () => {
  let api: CountingApi;

  beforeAll(async () => {
    api = new CountingApi(await startRuntime());
    await createPolicy(api, {
      displayName: 'Device wipes need one more admin',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(api.runtime)],
      requiredApprovals: 1,
    });
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  /** The Durable suspend or resume of a request's orchestration, through the extension's webhooks. */
  async function instance(id: string, action: 'suspend' | 'resume'): Promise<number> {
    const response = await fetch(api.runtime.durable(`instances/${id}/${action}?reason=wait-test`), {
      method: 'POST',
    });
    await response.text();
    return response.status;
  }

  it('runs a single-approver wipe to its execution with the commands’ answers and one long-poll: at most 2 reads', async () => {
    const id = await submitWipe(api, 'wait-1');
    api.reads = 0;

    const approved = await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'stolen, go' });
    expect([approved.status, approved.headers.get('x-maa-command')]).toEqual([200, 'applied']);
    // The request as it now is, not as it stood before the command.
    expect(approved.body).toMatchObject({ id, status: 'approved', decisions: [{ decision: 'approve' }] });

    const completed = await api.call('alice', 'POST', `requests/${id}/complete`);
    expect([completed.status, completed.body.status]).toEqual([200, 'completed']);

    const executed = await api.call('alice', 'GET', `requests/${id}?waitFor=executed&timeout=PT30S`);
    expect([executed.status, executed.headers.get('x-maa-wait')]).toEqual([200, 'reached']);
    expect(executed.body.execution).toMatchObject({ status: 'succeeded' });
    // The bar: a client that waits for completion reads the request at most twice.
    expect(api.reads).toBeLessThanOrEqual(2);
    expect(api.reads).toBe(1);
  });

  it('answers the long-poll when bob approves from another client', async () => {
    const id = await submitWipe(api, 'wait-2');
    const waiting = api.call('alice', 'GET', `requests/${id}?waitFor=approved&timeout=PT30S`);
    // The approval is sent while alice's long-poll is open (each call is its own connection).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const approval = await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'ok' });
    expect(approval.status).toBe(200);

    const answer = await waiting;
    expect([answer.status, answer.headers.get('x-maa-wait')]).toEqual([200, 'reached']);
    expect(answer.body).toMatchObject({ id, status: 'approved', decisions: [{ approver: { displayName: 'Bob' } }] });
  });

  it('answers at once for a request already closed, whatever status was asked for', async () => {
    const id = await submitWipe(api, 'wait-3');
    expect((await api.call('alice', 'POST', `requests/${id}/cancel`)).body.status).toBe('cancelled');

    const answer = await api.call('alice', 'GET', `requests/${id}?waitFor=approved`);
    expect([answer.status, answer.headers.get('x-maa-wait'), answer.body.status]).toEqual([
      200,
      'reached',
      'cancelled',
    ]);
    const executed = await api.call('alice', 'GET', `requests/${id}?waitFor=executed`);
    // A cancelled request never executes: nothing to wait for.
    expect([executed.headers.get('x-maa-wait'), executed.body.execution]).toEqual(['reached', undefined]);
  });

  it('answers the request as it is, saying the timeout passed, when nothing happens in time', async () => {
    const id = await submitWipe(api, 'wait-4');

    const answer = await api.call('alice', 'GET', `requests/${id}?waitFor=approved&timeout=PT1S`);
    expect([answer.status, answer.headers.get('x-maa-wait')]).toEqual([200, 'timeout']);
    expect(answer.body).toMatchObject({ id, status: 'needsApproval', decisions: [] });
    // Without waitFor it answers at once, as always, and says nothing about waiting.
    const plain = await api.call('alice', 'GET', `requests/${id}`);
    expect([plain.status, plain.headers.get('x-maa-wait')]).toEqual([200, null]);
  });

  it.each([
    ['an unknown status', 'waitFor=done', 'query.waitFor'],
    ['a timeout that is not a duration', 'waitFor=approved&timeout=30', 'query.timeout'],
    ['a timeout over PT60S', 'waitFor=approved&timeout=PT61S', 'query.timeout'],
    ['a timeout in months', 'waitFor=approved&timeout=P1M', 'query.timeout'],
    ['a timeout without waitFor', 'timeout=PT5S', 'query.timeout'],
    ['an unknown parameter', 'waitFor=approved&poll=1', 'query.poll'],
  ])('refuses %s with 400 validation_failed naming it', async (_name, query, path) => {
    const id = await submitWipeOnce();
    const answer = await api.call('alice', 'GET', `requests/${id}?${query}`);
    expect([answer.status, answer.body.code]).toEqual([400, 'validation_failed']);
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  let validationTarget: string | undefined;
  async function submitWipeOnce(): Promise<string> {
    validationTarget ??= await submitWipe(api, 'wait-validation');
    return validationTarget;
  }

  it('answers the orchestration’s refusal to the approval that lost the race, and 200 to the one it applied', async () => {
    const id = await submitWipe(api, 'wait-race');
    // Hold the orchestration, so both approvals pass the API's check (the request still needs one)
    // and reach it; it applies the first and refuses the second (the request is approved by then).
    expect(await instance(id, 'suspend')).toBe(202);
    const answers = Promise.all([
      api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'bob agrees' }),
      api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'carol agrees' }),
    ]);
    // Both are waiting on their commands (the bound is 10 s); let them be sent, then resume.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await instance(id, 'resume')).toBe(202);

    const [bob, carol] = await answers;
    const byStatus = [bob, carol].sort((a, b) => a.status - b.status);
    expect(byStatus.map((answer) => [answer.status, answer.headers.get('x-maa-command')])).toEqual([
      [200, 'applied'],
      [409, 'refused'],
    ]);
    const [applied, refused] = byStatus as [(typeof byStatus)[0], (typeof byStatus)[0]];
    expect(applied.body.status).toBe('approved');
    expect([refused.body.code, refused.headers.get('content-type')]).toEqual([
      'invalid_state',
      'application/problem+json',
    ]);
    expect(refused.body.detail).toMatch(/approved/);
  });
});

describe('commands with no wait (MAA_COMMAND_WAIT=PT0S)', () => {
  let api: Api;

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_COMMAND_WAIT: 'PT0S' } }));
    await createPolicy(api, {
      displayName: 'Device wipes need one more admin',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(api.runtime)],
      requiredApprovals: 1,
    });
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  it('answers 202 at once with the request as it stood, Location and Retry-After, as before', async () => {
    const id = await submitWipe(api, 'nowait-1');
    const sent = await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'ok' });
    expect([sent.status, sent.headers.get('location'), sent.headers.get('retry-after')]).toEqual([
      202,
      `/api/requests/${id}`,
      '1',
    ]);
    expect(sent.body).toMatchObject({ id, status: 'needsApproval', decisions: [] });
    // The long-poll still works without a command wait.
    const answer = await api.call('alice', 'GET', `requests/${id}?waitFor=approved`);
    expect([answer.headers.get('x-maa-wait'), answer.body.status]).toEqual(['reached', 'approved']);
  });
});
