import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequest } from '../../shared/domain/lifecycle';
import { SqliteStore } from '../../shared/store/sqliteStore';
import { Api, advanceClock, approverGroup, auditTrail, createPolicy } from '../support/api';
import { newDevice, SEEDED } from '../support/intune';
import { startRuntime } from '../support/runtime';

const wipe = (resourceId: string) => ({
  profileType: 'deviceWipe',
  operation: { action: 'wipe', resourceType: 'managedDevice', resourceId },
  justification: 'Reported stolen',
});
/** An update of the seeded PowerShell script's description (executed through the webhook here). */
const scriptUpdate = (description: string) => ({
  profileType: 'script',
  operation: {
    action: 'update',
    resourceType: 'deviceManagementScript',
    resourceId: SEEDED.deviceManagementScripts[0]!,
    payload: { description },
  },
  justification: 'Rotate the local admin password',
});

/** A webhook receiver that answers each POST with the next status of `statuses` (then 200). */
async function webhookReceiver(statuses: number[]): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses[calls] ?? 200;
      calls += 1;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'done' : 'refused');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, calls: () => calls };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('operations API through the local runtime', () => {
  let api: Api;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const webhook = (path: string, init: RequestInit = {}) => fetch(api.runtime.durable(path), init);

  beforeAll(async () => {
    hook = await webhookReceiver([400]);
    api = new Api(
      await startRuntime({
        env: {
          MAA_LOCAL_CLOCK: 'manual',
          MAA_LOG_LEVEL: 'information',
          MAA_WEBHOOK_URL: hook.url,
          MAA_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
          MAA_WEBHOOK_PROFILE_TYPES: 'script',
          MAA_HISTORY_RETENTION: 'P2D',
        },
      }),
    );
    const group = await approverGroup(api.runtime);
    await createPolicy(api, {
      displayName: 'Wipes',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
      requestTtl: 'P2D',
    });
    await createPolicy(api, { displayName: 'Scripts', profileType: 'script', approverGroupIds: [group] });
  });
  afterAll(async () => {
    await api.runtime.dispose();
    hook.server.close();
  });

  /** The body of a wipe of a device enrolled for it alone, named `name`. */
  const wipeOfNew = async (name: string) => wipe(await newDevice(api.runtime.url, name));

  it('answers 401 without a token, 403 not_an_operator to others, 400 to bad input and 404 to unknown ids', async () => {
    const anonymous = await fetch(`${api.runtime.url}/api/ops/summary`);
    expect([anonymous.status, anonymous.headers.get('x-error-code')]).toEqual([401, 'missing_token']);
    for (const route of ['summary', 'instances', 'stuck', 'instances/x', 'dashboard']) {
      const refused = await api.call('alice', 'GET', `ops/${route}`);
      expect([route, refused.status, refused.body.code]).toEqual([route, 403, 'not_an_operator']);
    }
    expect((await api.call('bob', 'POST', 'ops/instances/x/terminate', { reason: 'r' })).body.code).toBe(
      'not_an_operator',
    );
    expect((await api.call('olga', 'POST', 'ops/instances/x/terminate', {})).body.code).toBe('validation_failed');
    expect((await api.call('olga', 'POST', 'ops/requests/x/redrive', { reason: ' ' })).body.code).toBe(
      'validation_failed',
    );
    expect((await api.call('olga', 'GET', 'ops/instances?runtimeStatus=Sleeping')).status).toBe(400);
    expect((await api.call('olga', 'GET', 'ops/instances?top=0')).status).toBe(400);
    expect((await api.call('olga', 'GET', 'ops/instances/no-such-id')).body.code).toBe('not_found');
    expect((await api.call('olga', 'POST', 'ops/instances/no-such-id/terminate', { reason: 'r' })).status).toBe(404);
    expect((await api.call('olga', 'POST', 'ops/requests/no-such-id/redrive', { reason: 'r' })).status).toBe(404);
  });

  it('summarises a scripted set of requests: counts, expiring, activity and time to decision', async () => {
    const before = (await api.call('olga', 'GET', 'ops/summary')).body;
    const a = (await api.call('alice', 'POST', 'requests', await wipeOfNew('sum-1'))).body.id as string;
    const b = (await api.call('alice', 'POST', 'requests', await wipeOfNew('sum-2'))).body.id as string;
    const c = (await api.call('alice', 'POST', 'requests', await wipeOfNew('sum-3'))).body.id as string;
    await api.call('bob', 'POST', `requests/${a}/approve`, { notes: 'ok' });
    await api.call('carol', 'POST', `requests/${b}/reject`, { notes: 'no' });
    await api.until('alice', a, (r) => r.status === 'approved');
    await api.until('alice', b, (r) => r.status === 'rejected');

    const now = (await api.call('olga', 'GET', 'ops/summary')).body;
    const delta = (status: string) => now.counts[status] - before.counts[status];
    expect([delta('needsApproval'), delta('approved'), delta('rejected')]).toEqual([1, 1, 1]);
    // The wipes live two days (the policy's TTL): the two open ones expire within 24 h... after a day.
    const hourly = (key: string, body: any) => body.last24h.hourly.reduce((sum: number, h: any) => sum + h[key], 0);
    expect(hourly('submitted', now) - hourly('submitted', before)).toBe(3);
    expect(hourly('decided', now) - hourly('decided', before)).toBe(2);
    expect(now.last24h.timeToDecision.decided - before.last24h.timeToDecision.decided).toBe(2);
    expect(now.last24h.timeToDecision.medianSeconds).toEqual(expect.any(Number));
    expect(now.oldestOpen).toMatchObject({ id: expect.any(String), ageSeconds: expect.any(Number) });

    await advanceClock(api.runtime, 'PT25H');
    api.forgetTokens();
    const later = (await api.call('olga', 'GET', 'ops/summary')).body;
    expect(later.expiringWithin24h.items.map((r: any) => r.id)).toEqual(expect.arrayContaining([a, c]));
    await advanceClock(api.runtime, 'PT24H');
    api.forgetTokens();
    await api.until('alice', c, (r) => r.status === 'expired');
    const expired = (await api.call('olga', 'GET', 'ops/summary')).body;
    expect(expired.counts.expired - before.counts.expired).toBe(2);
    expect(expired.expiringWithin24h.items.map((r: any) => r.id)).not.toContain(c);
  });

  it('lists Durable instances page by page with filters', async () => {
    await api.call('alice', 'POST', 'requests', await wipeOfNew('list-1'));
    await api.call('alice', 'POST', 'requests', await wipeOfNew('list-2'));
    const first = await api.call('olga', 'GET', 'ops/instances?top=2&runtimeStatus=Running,Completed');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toMatchObject({
      instanceId: expect.any(String),
      runtimeStatus: expect.stringMatching(/Running|Completed/),
      createdTime: expect.any(String),
      lastUpdatedTime: expect.any(String),
    });
    expect(first.body.continuationToken).toEqual(expect.any(String));
    const second = await api.call(
      'olga',
      'GET',
      `ops/instances?top=2&runtimeStatus=Running,Completed&continuationToken=${encodeURIComponent(first.body.continuationToken)}`,
    );
    expect(second.body.items.map((i: any) => i.instanceId)).not.toContain(first.body.items[0].instanceId);
    // The token continues only the query that issued it.
    for (const other of ['runtimeStatus=Running', 'runtimeStatus=Running,Completed&createdTo=2999-01-01T00:00:00Z']) {
      const misused = await api.call(
        'olga',
        'GET',
        `ops/instances?top=2&${other}&continuationToken=${encodeURIComponent(first.body.continuationToken)}`,
      );
      expect([misused.status, misused.body.code]).toEqual([400, 'invalid_continuation']);
    }
    const none = await api.call('olga', 'GET', 'ops/instances?createdTo=2000-01-01T00:00:00Z');
    expect(none.body.items).toEqual([]);
  });

  it('terminates a running request: cancelled with the operator and reason, audited, chain valid, no longer running', async () => {
    const id = (await api.call('alice', 'POST', 'requests', await wipeOfNew('term-1'))).body.id as string;
    // The submission's audit record is written inside the step activity, before its notifications are
    // sent and before the orchestration sees the activity finish: wait for the finished activity.
    await until('submission step finished', async () => {
      const instance = await api.call('olga', 'GET', `ops/instances/${id}`);
      const events = (instance.body.instance?.history ?? []).map((e: any) => e.eventType);
      return events.includes('TaskCompleted') ? true : undefined;
    });
    const terminated = await api.call('olga', 'POST', `ops/instances/${id}/terminate`, {
      reason: 'stuck in change freeze (INC-9)',
    });
    expect(terminated.status).toBe(200);
    expect(terminated.body).toMatchObject({
      status: 'cancelled',
      cancellation: { by: { displayName: 'Olga' }, reason: 'stuck in change freeze (INC-9)' },
    });
    const trail = await auditTrail(api, 'alice', id);
    expect(trail.chainValid).toBe(true);
    expect(trail.items.slice(-2).map((r) => [r.type, r.actor?.displayName, r.data.reason ?? r.data.to])).toEqual([
      ['request.cancelled', 'Olga', 'stuck in change freeze (INC-9)'],
      ['request.statusChanged', 'Olga', 'cancelled'],
    ]);
    const detail = await api.call('olga', 'GET', `ops/instances/${id}`);
    expect(detail.body).toMatchObject({
      instance: { runtimeStatus: 'Terminated' },
      request: { status: 'cancelled' },
      audit: { chainValid: true },
      consistency: { consistent: true },
    });
    expect(detail.body.instance.history.map((e: any) => e.eventType)).toEqual(
      expect.arrayContaining(['ExecutionStarted', 'TaskCompleted', 'ExecutionTerminated']),
    );
    const again = await api.call('olga', 'POST', `ops/instances/${id}/terminate`, { reason: 'again' });
    expect([again.status, again.body.code]).toEqual([409, 'invalid_state']);
  });

  it("lists a request as stuck once its orchestration is terminated behind the app's back", async () => {
    const id = (await api.call('alice', 'POST', 'requests', await wipeOfNew('stuck-1'))).body.id as string;
    await until('submission recorded', async () =>
      (await auditTrail(api, 'alice', id)).items.length > 0 ? true : undefined,
    );
    const stuckBefore = await api.call('olga', 'GET', 'ops/stuck?top=100');
    expect(stuckBefore.body.items.map((s: any) => s.request.id)).not.toContain(id);
    expect((await webhook(`instances/${id}/terminate?reason=oops`, { method: 'POST' })).status).toBe(202);
    const stuck = await until('listed as stuck', async () => {
      const page = await api.call('olga', 'GET', 'ops/stuck?top=100');
      return page.body.items.find((s: any) => s.request.id === id);
    });
    expect(stuck).toMatchObject({ runtimeStatus: 'Terminated', code: 'orchestration_terminated' });
    const detail = await api.call('olga', 'GET', `ops/instances/${id}`);
    expect(detail.body.consistency).toMatchObject({ consistent: false, code: 'orchestration_terminated' });
    // The operator closes it properly.
    expect(
      (await api.call('olga', 'POST', `ops/instances/${id}/terminate`, { reason: 'orchestration was killed' })).body
        .status,
    ).toBe('cancelled');
    expect((await api.call('olga', 'GET', 'ops/stuck?top=100')).body.items.map((s: any) => s.request.id)).not.toContain(
      id,
    );
  });

  it('starts a request whose submit stopped before starting its orchestration: stuck as orchestration_missing, started by redrive, then decided as usual', async () => {
    // What a submit leaves when it stops between storing the request and starting its orchestration,
    // written with the app's own store adapter into the runtime's database.
    const probe = (await api.call('alice', 'POST', 'requests', await wipeOfNew('orphan-probe'))).body;
    const policy = (await api.call('alice', 'GET', `policies/${probe.policy.id}`)).body;
    const now = ((await (await fetch(`${api.runtime.url}/_local/clock`)).json()) as { now: string }).now;
    const orphanDevice = await newDevice(api.runtime.url, 'orphan-1');
    const orphan = createRequest({
      ...wipe(orphanDevice),
      profileType: 'deviceWipe',
      id: randomUUID(),
      initiator: probe.initiator,
      initiatorRoles: ['MAA.Requester'],
      policy,
      now,
    });
    const store = new SqliteStore(path.join(api.runtime.dataDir, 'maa.sqlite'));
    try {
      await store.createRequest(orphan);
    } finally {
      await store.close();
    }
    const stuck = await until('listed as stuck', async () =>
      (await api.call('olga', 'GET', 'ops/stuck?top=100')).body.items.find((s: any) => s.request.id === orphan.id),
    );
    expect(stuck).toMatchObject({ runtimeStatus: null, code: 'orchestration_missing' });
    // Resubmitting the same resource is refused: the orphan holds its lock.
    expect((await api.call('alice', 'POST', 'requests', wipe(orphanDevice))).body.code).toBe('entity_locked');

    const started = await api.call('olga', 'POST', `ops/requests/${orphan.id}/redrive`, {
      reason: 'submit lost its orchestration (INC-7)',
    });
    expect([started.status, started.body.status]).toEqual([202, 'needsApproval']);
    const trail = await until('notifications recorded', async () => {
      const audit = await auditTrail(api, 'alice', orphan.id);
      return audit.items.some((r: any) => r.type === 'notification.sent') ? audit : undefined;
    });
    expect(trail.chainValid).toBe(true);
    expect(
      trail.items.slice(0, 2).map((r: any) => [r.type, r.actor?.displayName ?? null, r.data.reason ?? null]),
    ).toEqual([
      ['request.submitted', probe.initiator.displayName, null],
      ['request.orchestrationStarted', 'Olga', 'submit lost its orchestration (INC-7)'],
    ]);
    const again = await api.call('olga', 'POST', `ops/requests/${orphan.id}/redrive`, { reason: 'twice' });
    expect([again.status, again.body.code]).toEqual([409, 'invalid_state']);
    // From here it is an ordinary request.
    expect((await api.call('bob', 'POST', `requests/${orphan.id}/approve`, { notes: 'ok' })).status).toBe(200);
    expect((await api.until('alice', orphan.id, (r) => r.status !== 'needsApproval')).status).toBe('approved');
    expect((await api.call('olga', 'GET', 'ops/stuck?top=100')).body.items.map((s: any) => s.request.id)).not.toContain(
      orphan.id,
    );
  });

  it('re-drives a failed execution once: the webhook failed, then succeeds; outcome in execution and the trail', async () => {
    const id = (await api.call('alice', 'POST', 'requests', scriptUpdate('Rotates the local admin password (INC-12)')))
      .body.id as string;
    expect((await api.call('olga', 'POST', `ops/requests/${id}/redrive`, { reason: 'too early' })).body.code).toBe(
      'invalid_state',
    );
    await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'ok' });
    await api.until('alice', id, (r) => r.status === 'approved');
    await api.call('alice', 'POST', `requests/${id}/complete`);
    const failed = await api.until('alice', id, (r) => r.execution !== undefined);
    expect(failed.execution).toMatchObject({ status: 'failed', detail: expect.stringContaining('400') });
    const summary = (await api.call('olga', 'GET', 'ops/summary')).body;
    expect(summary.last24h.failedExecutions).toBeGreaterThanOrEqual(1);

    // The approval orchestration keeps a short grace period; re-drive waits until it has finished.
    const claimed = await until('re-drive accepted', async () => {
      const response = await api.call('olga', 'POST', `ops/requests/${id}/redrive`, {
        reason: 'receiver fixed (INC-12)',
      });
      return response.status === 202 ? response.body : undefined;
    });
    expect(claimed.redrive).toMatchObject({ number: 1, running: true, by: { displayName: 'Olga' } });
    const second = await api.call('olga', 'POST', `ops/requests/${id}/redrive`, { reason: 'twice' });
    expect([second.status, second.body.code]).toEqual([409, 'invalid_state']);
    const done = await api.until('alice', id, (r) => r.redrive?.running === false);
    expect(done.execution).toMatchObject({ status: 'succeeded', detail: expect.stringContaining('200') });
    expect(hook.calls()).toBe(2);
    const trail = await auditTrail(api, 'alice', id);
    expect(trail.chainValid).toBe(true);
    expect(trail.items.slice(-2).map((r) => [r.type, r.data.redrive])).toEqual([
      ['execution.redriveRequested', 1],
      ['execution.succeeded', 1],
    ]);
    const instance = await api.call('olga', 'GET', `ops/instances/${encodeURIComponent(`${id}:redrive:1`)}`);
    expect(instance.body.instance).toMatchObject({ name: 'redriveExecution', runtimeStatus: 'Completed' });
    const again = await api.call('olga', 'POST', `ops/requests/${id}/redrive`, { reason: 'nothing to do' });
    expect([again.status, again.body.code]).toEqual([409, 'invalid_state']);
  });

  it('carries the correlation id from the HTTP request into the logs of its activities', async () => {
    const correlationId = `ops-test-${Date.now()}`;
    const submitted = await api.call('alice', 'POST', 'requests', await wipeOfNew('corr-1'), {
      'x-correlation-id': correlationId,
    });
    expect(submitted.headers.get('x-correlation-id')).toBe(correlationId);
    const generated = await api.call('alice', 'GET', `requests/${submitted.body.id}`);
    expect(generated.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const lines = await until('activity logged', async () => {
      const found = api.runtime
        .output()
        .split('\n')
        .filter((line) => line.includes(correlationId));
      return found.some((line) => line.includes('"event":"activity"')) ? found : undefined;
    });
    const events = lines.map((line) => JSON.parse(line.slice(line.indexOf('{'))));
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'http.request', correlationId, function: 'submitRequest', status: 202 }),
        expect.objectContaining({ event: 'activity', correlationId, function: 'recordStep', outcome: 'succeeded' }),
      ]),
    );
  });

  it('purges the Durable history of finished instances older than the retention, keeping the audit trail', async () => {
    const id = (await api.call('alice', 'POST', 'requests', await wipeOfNew('ret-1'))).body.id as string;
    await api.call('carol', 'POST', `requests/${id}/reject`, { notes: 'no' });
    await api.until('alice', id, (r) => r.status === 'rejected');
    await until(
      'orchestration finished',
      async () => ((await (await webhook(`instances/${id}`)).json()) as any).runtimeStatus === 'Completed' || undefined,
    );
    await advanceClock(api.runtime, 'P3D');
    api.forgetTokens();
    await until('history purged', async () => ((await webhook(`instances/${id}`)).status === 404 ? true : undefined));
    expect(api.runtime.output()).toMatch(/"event":"retention\.purged","instancesDeleted":[1-9]/);
    const trail = await auditTrail(api, 'alice', id);
    expect(trail.chainValid).toBe(true);
    expect(trail.items.map((r) => r.type)).toContain('request.rejected');
    const detail = await api.call('olga', 'GET', `ops/instances/${id}`);
    expect(detail.body).toMatchObject({
      instance: null,
      request: { status: 'rejected' },
      consistency: { consistent: true },
    });
  });
});
