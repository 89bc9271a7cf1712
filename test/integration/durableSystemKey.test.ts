/**
 * The Durable extension's HTTP API on the public listener needs the `durabletask_extension` system
 * key, as the Functions host's SystemKeyAuthLevel policy requires it in Azure: without it, or with a
 * wrong one, every webhook answers 401 with an empty body and nothing is read, raised, terminated,
 * started or purged. The URLs the extension hands out carry the key (`code=`) and work as handed
 * out; the key is generated once per data directory and survives restarts; the app's own
 * DurableClient (in process) keeps working without presenting anything.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Api, approverGroup, createPolicy } from '../support/api';
import { call, conformanceAppDir, postJson, sleep, uniqueId, type InstanceStatus } from '../support/conformance';
import { newDevice } from '../support/intune';
import { startRuntime, type RunningRuntime } from '../support/runtime';
import { systemKeyPath } from '../../local/durable/systemKey';

jest.setTimeout(60_000);

const BOB = 'b0b00000-0000-4000-8000-000000000002';
const WRONG_KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** The Durable webhook URL of `pathAndQuery` with no key at all. */
const bare = (runtime: RunningRuntime, pathAndQuery: string) =>
  `${runtime.url}/runtime/webhooks/durabletask/${pathAndQuery}`;

/** `url` with `code` set to `key`. */
function withCode(url: string, key: string): string {
  const target = new URL(url);
  target.searchParams.set('code', key);
  return target.href;
}

/** The ways a caller without the system key can try: none, a wrong `code`, a wrong header, and a wrong header beside the right `code` (the header wins, as in the host). */
function keyless(
  runtime: RunningRuntime,
  pathAndQuery: string,
): { what: string; url: string; headers: Record<string, string> }[] {
  const url = bare(runtime, pathAndQuery);
  return [
    { what: 'no key', url, headers: {} },
    { what: 'wrong code', url: withCode(url, WRONG_KEY), headers: {} },
    { what: 'empty code', url: withCode(url, ''), headers: {} },
    { what: 'wrong header', url, headers: { 'x-functions-key': WRONG_KEY } },
    {
      what: 'wrong header beside the right code',
      url: withCode(url, runtime.systemKey),
      headers: { 'x-functions-key': WRONG_KEY },
    },
  ];
}

describe('the approval app behind the Durable webhooks', () => {
  let api: Api;
  let requestId: string;

  beforeAll(async () => {
    api = new Api(await startRuntime());
    const group = await approverGroup(api.runtime);
    await createPolicy(api, {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
    });
    const submitted = await api.call('alice', 'POST', 'requests', {
      profileType: 'deviceWipe',
      operation: {
        action: 'wipe',
        resourceType: 'managedDevice',
        resourceId: await newDevice(api.runtime.url, 'laptop-key-1'),
      },
      justification: 'Secret justification that only key holders may list',
    });
    expect(submitted.status).toBe(202);
    requestId = submitted.body.id as string;
  });
  afterAll(async () => {
    await api?.runtime.dispose();
  });

  async function history(): Promise<InstanceStatus> {
    const reply = await call<InstanceStatus>(api.runtime.durable(`instances/${requestId}?showHistory=true`));
    expect([200, 202]).toContain(reply.status);
    return reply.body;
  }

  it('refuses a forged approval raised without the system key (401, empty body), and the orchestration never receives it', async () => {
    const forged = {
      kind: 'decide',
      actor: { id: BOB, displayName: 'Bob' },
      actorRoles: ['MAA.Approver'],
      decision: 'approve',
      source: 'api',
    };
    for (const attempt of keyless(api.runtime, `instances/${requestId}/raiseEvent/Command`)) {
      const reply = await postJson(attempt.url, forged, { headers: attempt.headers });
      expect([attempt.what, reply.status, reply.text]).toEqual([attempt.what, 401, '']);
    }
    const events = (await history()).historyEvents ?? [];
    expect(events.filter((event) => event.EventType === 'EventRaised')).toEqual([]);
    const request = await api.call('alice', 'GET', `requests/${requestId}`);
    expect(request.body).toMatchObject({ status: 'needsApproval', decisions: [] });
    expect(api.runtime.output()).toContain('no valid durabletask_extension system key');
  });

  it('lists, reads, starts, terminates and purges nothing without the system key', async () => {
    const attempts: [string, string][] = [
      ['GET', 'instances?showInput=true'],
      ['GET', `instances/${requestId}?showInput=true`],
      ['POST', `instances/${requestId}/terminate?reason=forged`],
      ['POST', `instances/${requestId}/suspend?reason=forged`],
      ['DELETE', `instances/${requestId}`],
      ['DELETE', 'instances?createdTimeFrom=2000-01-01T00:00:00Z'],
      ['POST', 'orchestrators/approvalOrchestrator/forged-instance'],
      ['GET', 'no-such-route'],
    ];
    for (const [method, pathAndQuery] of attempts) {
      for (const attempt of keyless(api.runtime, pathAndQuery)) {
        const reply = await call(attempt.url, { method, headers: attempt.headers });
        expect([method, pathAndQuery, attempt.what, reply.status, reply.text]).toEqual([
          method,
          pathAndQuery,
          attempt.what,
          401,
          '',
        ]);
      }
    }
    const status = await history();
    expect(status.runtimeStatus).toBe('Running');
    const listed = await call<InstanceStatus[]>(api.runtime.durable('instances'));
    expect(listed.body.map((instance) => instance.instanceId)).toContain(requestId);
    expect(listed.body.map((instance) => instance.instanceId)).not.toContain('forged-instance');
  });

  it('answers a holder of the key given as `code` or as `x-functions-key`', async () => {
    const byCode = await call<InstanceStatus>(api.runtime.durable(`instances/${requestId}`));
    const byHeader = await call<InstanceStatus>(bare(api.runtime, `instances/${requestId}`), {
      headers: api.runtime.keyHeader(),
    });
    expect([byCode.status, byCode.body.instanceId]).toEqual([202, requestId]);
    expect([byHeader.status, byHeader.body.instanceId]).toEqual([202, requestId]);
  });
});

/** Polls `url` (a status URL with its key) until the instance is no longer running; returns that status. */
async function finished(url: string): Promise<InstanceStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = await call<InstanceStatus>(url);
    if (reply.status === 200) return reply.body;
    if (Date.now() > deadline) throw new Error(`still running: ${reply.status} ${reply.text}`);
    await sleep(50);
  }
}

describe('the URLs the extension hands out, and the key across restarts', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-systemkey-'));
  let runtime: RunningRuntime;

  beforeAll(async () => {
    runtime = await startRuntime({ appDir: conformanceAppDir, dataDir });
  });
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('hands out check-status URLs carrying the system key, which work as handed out', async () => {
    const id = uniqueId('keyed');
    const started = await postJson(`${runtime.url}/api/start/WaitForEvent`, {
      instanceId: id,
      input: { eventName: 'Go' },
    });
    expect(started.status).toBe(202);
    const urls = started.body as Record<string, string>;
    for (const name of [
      'statusQueryGetUri',
      'sendEventPostUri',
      'terminatePostUri',
      'purgeHistoryDeleteUri',
      'suspendPostUri',
      'resumePostUri',
    ]) {
      expect([
        name,
        new URL(urls[name]!.replace('{eventName}', 'Go').replace('{text}', 'x')).searchParams.get('code'),
      ]).toEqual([name, runtime.systemKey]);
    }
    expect(started.headers.get('location')).toBe(urls.statusQueryGetUri);

    expect((await call(urls.statusQueryGetUri!)).status).toBe(202);
    expect(
      (await postJson(urls.sendEventPostUri!.replace('{eventName}', 'Go'), 'through the handed-out URL')).status,
    ).toBe(202);
    const done = await finished(urls.statusQueryGetUri!);
    expect(done).toMatchObject({
      runtimeStatus: 'Completed',
      output: { eventName: 'Go', value: 'through the handed-out URL' },
    });
    expect((await call(urls.purgeHistoryDeleteUri!, { method: 'DELETE' })).body).toEqual({ instancesDeleted: 1 });

    const withoutKey = new URL(urls.statusQueryGetUri!);
    withoutKey.searchParams.delete('code');
    expect((await call(withoutKey.href)).status).toBe(401);
  });

  it('puts the key into the management URLs of the client binding (createHttpManagementPayload) and the webhook start answer', async () => {
    const info = await call(`${runtime.url}/api/client/info`);
    expect(new URL(info.body.payload.statusQueryGetUri as string).searchParams.get('code')).toBe(runtime.systemKey);
    const id = uniqueId('webhook-start');
    const started = await postJson(runtime.durable(`orchestrators/WaitForEvent/${id}`), { eventName: 'Go' });
    expect(started.status).toBe(202);
    expect(new URL(started.body.terminatePostUri as string).searchParams.get('code')).toBe(runtime.systemKey);
    expect(
      (await call(started.body.terminatePostUri.replace('{text}', 'cleanup') as string, { method: 'POST' })).status,
    ).toBe(202);
  });

  it('keeps the same key, in a 0600 file, across a restart over the same data directory, and prints where it is but not the key', async () => {
    const before = runtime.systemKey;
    expect(before).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(systemKeyPath(runtime.dataDir)).mode & 0o777).toBe(0o600);
    expect(runtime.output()).toContain(systemKeyPath(runtime.dataDir));
    expect(runtime.output()).not.toContain(before);
    const id = uniqueId('restart');
    const started = await postJson(`${runtime.url}/api/start/WaitForEvent`, {
      instanceId: id,
      input: { eventName: 'Go' },
    });
    const handedOut = new URL(started.body.statusQueryGetUri as string);

    await runtime.stop();
    runtime = await startRuntime({ appDir: conformanceAppDir, dataDir });
    try {
      expect(runtime.systemKey).toBe(before);
      // Same path and query (with the key) on the restarted runtime's port.
      const again = await call<InstanceStatus>(`${runtime.url}${handedOut.pathname}${handedOut.search}`);
      expect([again.status, again.body.instanceId]).toEqual([202, id]);
    } finally {
      await call(runtime.durable(`instances/${id}/terminate?reason=cleanup`), { method: 'POST' });
    }
  });

  it('a fresh data directory gets a different key', async () => {
    const other = await startRuntime({ appDir: conformanceAppDir });
    try {
      expect(other.systemKey).not.toBe(runtime.systemKey);
      expect((await call(withCode(bare(other, 'instances'), runtime.systemKey))).status).toBe(401);
    } finally {
      await other.dispose();
    }
  });
});
