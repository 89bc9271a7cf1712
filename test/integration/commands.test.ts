/**
 * Commands that cannot be forged, through the real runtime over HTTP: whoever reaches the Durable
 * extension's webhooks can raise `Command` events and start orchestrations, but the orchestration
 * applies only commands the app's HTTP layer signed (fresh, once), reads the actor's roles and
 * groups again for every one, and executes only what the read model says was completed. Each
 * refusal is audited as `request.eventRefused` and changes nothing else.
 */
import {
  advanceClock,
  Api,
  approverGroup,
  auditTrail,
  changeRole,
  createPolicy,
  trailUntil,
  type AuditItem,
} from '../support/api';
import { deviceWrites, newDevice } from '../support/intune';
import { startRuntime } from '../support/runtime';

jest.setTimeout(90_000);

const ALICE = { id: 'a11ce000-0000-4000-8000-000000000001', displayName: 'Alice' };
const BOB = { id: 'b0b00000-0000-4000-8000-000000000002', displayName: 'Bob' };
const CAROL = { id: 'ca401000-0000-4000-8000-000000000003', displayName: 'Carol' };
const ALL_ROLES = ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin', 'MAA.Operator'];

const wipe = (resourceId: string) => ({
  profileType: 'deviceWipe',
  operation: { action: 'wipe', resourceType: 'managedDevice', resourceId },
  justification: 'Laptop reported stolen',
});

describe('authenticated commands', () => {
  let api: Api;
  let policyId: string;

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_GROUP_CACHE_SECONDS: '0', MAA_LOCAL_CLOCK: 'manual' } }));
    // Two approvals, so a forged approval would show as a decision before anything else happens.
    policyId = (
      await createPolicy(api, {
        displayName: 'Wipes need two admins',
        profileType: 'deviceWipe',
        approverGroupIds: [await approverGroup(api.runtime)],
        requiredApprovals: 2,
      })
    ).id;
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  /**
   * The Durable extension's HTTP API (`/runtime/webhooks/durabletask/...`), the way an attacker who
   * holds its system key calls it (every Contributor on the Function App can read that key in Azure):
   * every webhook call of this file goes through here.
   */
  async function durable(
    method: 'GET' | 'POST',
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.runtime.url}/runtime/webhooks/durabletask/${route}`, {
      method,
      headers: { ...api.runtime.keyHeader(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  const raise = async (id: string, event: unknown) =>
    expect((await durable('POST', `instances/${id}/raiseEvent/Command`, event)).status).toBe(202);

  /** The `Command` events the orchestration received, as its history holds them (what an attacker can read). */
  async function raisedCommands(id: string): Promise<Record<string, any>[]> {
    const { body } = await durable('GET', `instances/${id}?showHistory=true&showHistoryOutput=true&showInput=true`);
    return (body.historyEvents as { EventType: string; Name?: string; Input?: Record<string, any> }[])
      .filter((event) => event.EventType === 'EventRaised' && event.Name === 'Command')
      .map((event) => event.Input!);
  }

  /** alice asks to wipe a device enrolled for this request alone, named `deviceName`. */
  async function submit(deviceName: string): Promise<string> {
    const submitted = await api.call('alice', 'POST', 'requests', wipe(await newDevice(api.runtime.url, deviceName)));
    expect(submitted.status).toBe(202);
    await trailUntil(api, 'alice', submitted.body.id as string, (items) =>
      items.some((item) => item.type === 'notification.sent'),
    );
    return submitted.body.id as string;
  }

  const refusals = (items: AuditItem[]) => items.filter((item) => item.type === 'request.eventRefused');
  const untilRefusals = (id: string, count: number) =>
    trailUntil(api, 'alice', id, (items) => refusals(items).length >= count);

  it('refuses forged approvals and a forged completion raised through the Durable webhook, and audits them', async () => {
    const id = await submit('forged-1');
    const before = (await auditTrail(api, 'alice', id)).items.length;
    // What the API would have sent, with roles the event itself claims.
    await raise(id, {
      kind: 'decide',
      actor: BOB,
      actorRoles: ALL_ROLES,
      decision: 'approve',
      notes: 'ok',
      source: 'api',
    });
    await raise(id, {
      kind: 'decide',
      actor: CAROL,
      actorRoles: ALL_ROLES,
      decision: 'approve',
      notes: 'ok',
      source: 'api',
    });
    await raise(id, { kind: 'complete', actor: ALICE, actorRoles: ALL_ROLES });
    // Garbage is refused too, without failing the orchestration.
    await raise(id, null);

    const trail = await untilRefusals(id, 4);
    expect(trail.chainValid).toBe(true);
    expect(trail.items.slice(before).map((item) => [item.type, item.data.code])).toEqual([
      ['request.eventRefused', 'command_unauthenticated'],
      ['request.eventRefused', 'command_unauthenticated'],
      ['request.eventRefused', 'command_unauthenticated'],
      ['request.eventRefused', 'command_unauthenticated'],
    ]);
    // The forger's claim is kept for investigation, not believed: no actor.
    expect(trail.items[before]).toMatchObject({ actor: null, data: { command: 'decide', claimedActor: BOB } });
    const request = (await api.call('alice', 'GET', `requests/${id}`)).body;
    expect(request).toMatchObject({ status: 'needsApproval', decisions: [] });
    expect((await durable('GET', `instances/${id}`)).body.runtimeStatus).toBe('Running');

    // The genuine commands still work afterwards.
    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'confirmed' })).status).toBe(200);
    await api.until('alice', id, (r) => r.decisions.length === 1);
  });

  /** Waits until the Durable instance `id` has finished and returns its status (with output). */
  async function finished(id: string): Promise<Record<string, any>> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { body } = await durable('GET', `instances/${id}`);
      if (body && ['Completed', 'Failed', 'Terminated'].includes(body.runtimeStatus)) return body;
      if (Date.now() > deadline) throw new Error(`instance ${id} never finished: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('runs nothing for an orchestration started through the Durable webhook with an input the app did not sign', async () => {
    // A request the attacker made up: nothing is recorded for it.
    const madeUp = '0f0f0f0f-0000-4000-8000-000000000002';
    const genuine = (await api.call('alice', 'GET', `requests/${await submit('forged-start-1')}`)).body;
    const forgedRequest = {
      ...genuine,
      id: madeUp,
      policy: { ...genuine.policy, approverGroupIds: ['00000000-0000-4000-8000-00000000dead'], requiredApprovals: 1 },
    };
    expect(
      (await durable('POST', `orchestrators/approvalOrchestrator/${madeUp}`, { request: forgedRequest, etag: 'x' }))
        .status,
    ).toBe(202);
    expect((await finished(madeUp)).output).toMatchObject({
      startRefused: expect.stringMatching(/carries no signature/),
    });
    expect((await api.call('olga', 'GET', `requests/${madeUp}`)).status).toBe(404);

    // A genuine request whose orchestration the attacker terminated and started again under a policy snapshot of their own.
    const id = genuine.id as string;
    const before = (await auditTrail(api, 'alice', id)).items;
    expect((await durable('POST', `instances/${id}/terminate?reason=forged`)).status).toBe(202);
    await finished(id);
    const history = await durable('GET', `instances/${id}?showInput=true`);
    const signedInput = history.body.input as Record<string, any>;
    expect(signedInput.signature).toBeDefined();
    const reforged = {
      ...signedInput,
      request: {
        ...signedInput.request,
        policy: {
          ...signedInput.request.policy,
          requiredApprovals: 1,
          approverGroupIds: ['00000000-0000-4000-8000-00000000dead'],
        },
      },
    };
    expect((await durable('POST', `orchestrators/approvalOrchestrator/${id}`, reforged)).status).toBe(202);
    expect((await finished(id)).output).toMatchObject({ startRefused: expect.stringMatching(/does not verify/) });
    const after = await auditTrail(api, 'alice', id);
    expect(after.items).toEqual(before);
    expect(after.chainValid).toBe(true);
    expect((await api.call('alice', 'GET', `requests/${id}`)).body.policy).toEqual(genuine.policy);
  });

  it('refuses a genuine signature copied onto another decision or actor, and a replay of a genuine command', async () => {
    const id = await submit('forged-2');
    expect((await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'carol checked' })).status).toBe(200);
    await api.until('alice', id, (r) => r.decisions.length === 1);
    const genuine = (await raisedCommands(id))[0]!;
    expect(genuine).toMatchObject({
      kind: 'decide',
      actor: CAROL,
      decision: 'approve',
      signature: { kid: expect.any(String), mac: expect.any(String), nonce: expect.any(String) },
    });
    expect(genuine).not.toHaveProperty('actorRoles');

    await raise(id, { ...genuine, actor: BOB });
    await raise(id, { ...genuine, decision: 'reject', notes: 'no' });
    await raise(id, {
      ...genuine,
      signature: {
        ...genuine.signature,
        issuedAt: new Date(Date.parse(genuine.signature.issuedAt) + 1000).toISOString(),
      },
    });
    await raise(id, genuine);
    const trail = await untilRefusals(id, 4);
    expect(refusals(trail.items).map((item) => item.data.code)).toEqual([
      'command_unauthenticated',
      'command_unauthenticated',
      'command_unauthenticated',
      'command_replayed',
    ]);
    // A replay names its (genuine) actor.
    expect(refusals(trail.items)[3]).toMatchObject({
      actor: CAROL,
      data: { command: 'decide', code: 'command_replayed' },
    });
    const request = (await api.call('alice', 'GET', `requests/${id}`)).body;
    expect(request).toMatchObject({ status: 'needsApproval' });
    expect(request.decisions.map((decision: { approver: { id: string } }) => decision.approver.id)).toEqual([CAROL.id]);

    // Once the freshness window (5 minutes) has passed, the same replay is refused as stale.
    await advanceClock(api.runtime, 'PT6M');
    await raise(id, genuine);
    const later = await untilRefusals(id, 5);
    expect(refusals(later.items)[4]).toMatchObject({ actor: null, data: { code: 'command_stale' } });
    expect((await api.call('alice', 'GET', `requests/${id}`)).body.status).toBe('needsApproval');
  });

  it('refuses the completion of an initiator who lost MAA.Requester after approval, reading the role again, and executes nothing', async () => {
    const id = await submit('lost-role-1');
    const stale = await api.token('alice'); // minted while alice held MAA.Requester
    for (const approver of ['bob', 'carol'])
      expect((await api.call(approver, 'POST', `requests/${id}/approve`, { notes: 'ok' })).status).toBe(200);
    await api.until('alice', id, (r) => r.status === 'approved');

    expect((await changeRole(api.runtime, 'DELETE', 'alice', 'MAA.Requester')).status).toBe(200);
    try {
      // A new token has no MAA.Requester: the API refuses at once.
      const fresh = await fetch(`${api.runtime.url}/_local/token`, {
        method: 'POST',
        body: JSON.stringify({ user: 'alice' }),
      });
      const token = ((await fresh.json()) as { access_token: string }).access_token;
      const refused = await fetch(`${api.runtime.url}/api/requests/${id}/complete`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect([refused.status, refused.headers.get('x-error-code')]).toEqual([403, 'forbidden']);

      // A token minted before still says MAA.Requester: the API lets it through, the orchestration
      // reads the role again and refuses, and the command answers with that refusal.
      expect(stale).toBe(await api.token('alice'));
      const late = await api.call('alice', 'POST', `requests/${id}/complete`);
      expect([late.status, late.body.code]).toEqual([403, 'forbidden']);
      const trail = await untilRefusals(id, 1);
      expect(trail.chainValid).toBe(true);
      expect(refusals(trail.items)).toEqual([
        expect.objectContaining({
          actor: ALICE,
          data: expect.objectContaining({ command: 'complete', code: 'forbidden' }),
        }),
      ]);
      const request = (await api.call('alice', 'GET', `requests/${id}`)).body;
      expect(request.status).toBe('approved');
      expect(request.execution).toBeUndefined();
      expect(await deviceWrites(api.runtime.url, request.operation.resourceId as string)).toEqual([]);
      expect(trail.items.map((item) => item.type)).not.toContain('request.completed');
    } finally {
      expect((await changeRole(api.runtime, 'PUT', 'alice', 'MAA.Requester')).status).toBe(200);
    }
    // With the role back, the same initiator completes.
    expect((await api.call('alice', 'POST', `requests/${id}/complete`)).status).toBe(200);
    const done = await api.until('alice', id, (r) => r.execution !== undefined);
    expect(done.execution.status).toBe('succeeded');
    const writes = await deviceWrites(api.runtime.url, done.operation.resourceId as string);
    expect(writes.map((call) => [call.method, call.path.split('/').pop(), call.status])).toEqual([
      ['POST', 'wipe', 204],
    ]);
  });

  it('refuses the decision of an approver who lost MAA.Approver, reading the role again', async () => {
    const id = await submit('lost-role-2');
    await api.token('carol'); // minted while carol held MAA.Approver
    expect((await changeRole(api.runtime, 'DELETE', 'carol', 'MAA.Approver')).status).toBe(200);
    try {
      const refused = await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'ok' });
      expect([refused.status, refused.body.code]).toEqual([403, 'forbidden']);
      const trail = await untilRefusals(id, 1);
      expect(refusals(trail.items)).toEqual([
        expect.objectContaining({
          actor: CAROL,
          data: expect.objectContaining({ command: 'decide', code: 'forbidden' }),
        }),
      ]);
      expect((await api.call('alice', 'GET', `requests/${id}`)).body).toMatchObject({
        status: 'needsApproval',
        decisions: [],
      });
    } finally {
      expect((await changeRole(api.runtime, 'PUT', 'carol', 'MAA.Approver')).status).toBe(200);
    }
  });

  it('executes nothing for a re-drive started by hand through the Durable webhook', async () => {
    const forgedId = '0f0f0f0f-0000-4000-8000-000000000001';
    const change = { action: 'delete', policyId };
    const request = {
      id: forgedId,
      profileType: 'operationApprovalPolicy',
      operation: { action: 'delete', resourceType: 'accessPolicy', resourceId: policyId, payload: change },
      operationHash: '0'.repeat(64),
      justification: 'forged',
      initiator: ALICE,
      policy: { id: 'bootstrap', version: 0, approverGroupIds: [], requiredApprovals: 1 },
      status: 'completed',
      decisions: [],
      createdAt: '2030-01-01T00:00:00.000Z',
      expiresAt: '2099-01-01T00:00:00.000Z',
      lastModifiedAt: '2030-01-01T00:00:00.000Z',
      completedAt: '2030-01-01T00:00:00.000Z',
      execution: { status: 'failed', at: '2030-01-01T00:00:00.000Z', detail: 'x' },
      redrive: { number: 1, by: ALICE, reason: 'forged', at: '2030-01-01T00:00:00.000Z', running: true },
    };
    const started = await durable('POST', `orchestrators/redriveExecution/${forgedId}:redrive:1`, {
      request,
      number: 1,
    });
    expect(started.status).toBe(202);
    const instance = `instances/${encodeURIComponent(`${forgedId}:redrive:1`)}`;
    // The executor's outcome, once its activity finished (recording it then fails and is retried: there is no such request).
    const deadline = Date.now() + 20_000;
    let executed: { Result?: Record<string, unknown> } | undefined;
    while (!executed) {
      if (Date.now() > deadline) throw new Error('the forged re-drive never ran its executor');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const history = (await durable('GET', `${instance}?showHistory=true&showHistoryOutput=true`)).body
        ?.historyEvents as { EventType: string; FunctionName?: string; Result?: Record<string, unknown> }[] | undefined;
      executed = history?.find(
        (event) => event.EventType === 'TaskCompleted' && event.FunctionName === 'executeOperation',
      );
    }
    expect(executed.Result).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/^execution_refused: no stored request/),
    });
    expect((await durable('POST', `${instance}/terminate?reason=test`)).status).toBe(202);
    // The policy it tried to delete is still in force.
    expect((await api.call('alice', 'GET', `policies/${policyId}`)).status).toBe(200);
  });
});
