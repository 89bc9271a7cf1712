/**
 * Conformance: the DurableClient the app receives through df.app.client.http / df.getClient. Every
 * operation here goes app -> SDK -> the runtime's durable client endpoints, as on Azure.
 */
import { startRuntime, type RunningRuntime } from '../support/runtime';
import {
  call,
  conformanceAppDir,
  getStatus,
  holdSystemKey,
  instanceUrl,
  postJson,
  raiseEvent,
  run,
  sleep,
  start,
  uniqueId,
  waitForStatus,
  waitForTerminal,
  webhooks,
  type InstanceStatus,
} from '../support/conformance';

jest.setTimeout(30_000);

let rt: RunningRuntime;
let base: string;

beforeAll(async () => {
  rt = await startRuntime({ appDir: conformanceAppDir, env: { START_FROM_TIMER: 'true' } });
  base = rt.url;
  holdSystemKey(rt.systemKey);
}, 30_000);

afterAll(async () => {
  await rt?.dispose();
});

const isRunning = (s: InstanceStatus) => s.runtimeStatus === 'Running';
const api = (path: string, init?: RequestInit) => call(`${base}/api/${path}`, init);

describe('DurableClient binding', () => {
  test('carries the hub name from host.json and builds management URLs for any instance id, like the extension', async () => {
    const reply = await api('client/info');
    expect(reply.status).toBe(200);
    expect(reply.body.taskHubName).toBe('ConformanceHub');
    const payload = reply.body.payload as Record<string, string>;
    expect(payload.id).toBe('sample-instance');
    expect(payload.statusQueryGetUri).toContain('/runtime/webhooks/durabletask/instances/sample-instance');
    expect(payload.sendEventPostUri).toContain('/instances/sample-instance/raiseEvent/{eventName}');
    expect(new URL(payload.statusQueryGetUri!).origin).toBe(new URL(base).origin);
  });

  test('works through an explicit df.input.durableClient() input and df.getClient(context), like the extension', async () => {
    const reply = await postJson(`${base}/api/start-get-client/Sequence`, { input: ['via getClient'] });
    expect(reply.status).toBe(202);
    expect(reply.body.taskHubName).toBe('ConformanceHub');
    const status = await waitForTerminal(base, reply.body.instanceId);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello via getClient!'] });
  });
});

describe('DurableClient on a timer trigger', () => {
  test('gives a df.app.client.timer function a working client that can start orchestrations, like the extension', async () => {
    const status = await waitForStatus(base, 'started-by-timer', (s) => s.runtimeStatus === 'Completed', 8_000);
    expect(status).toMatchObject({ name: 'Sequence', input: ['timer'], output: ['Hello timer!'] });
  });
});

describe('DurableClient operations from the app', () => {
  test('getStatus returns the instance (also when asking for history) and rejects for an unknown id, like the extension', async () => {
    const done = await run(base, 'Sequence', { input: ['status'] });
    for (const query of ['', '?showHistory=true']) {
      const reply = await api(`client/status/${done.instanceId}${query}`);
      expect({ query, status: reply.status }).toEqual({ query, status: 200 });
      expect(reply.body).toMatchObject({
        name: 'Sequence',
        instanceId: done.instanceId,
        runtimeStatus: 'Completed',
        input: ['status'],
        output: ['Hello status!'],
      });
      expect(Date.parse(reply.body.createdTime)).toBe(Date.parse(done.createdTime));
    }

    // The SDK requires input and output to be present to build a status (a start without input
    // posts the JSON text "", so the input is "").
    const noInput = await start(base, 'WaitForever');
    await waitForStatus(base, noInput, isRunning);
    const running = await api(`client/status/${noInput}`);
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({
      name: 'WaitForever',
      runtimeStatus: 'Running',
      input: '',
      output: null,
      customStatus: 'parked',
    });
    await call(`${instanceUrl(base, noInput)}/terminate?reason=cleanup`, { method: 'POST' });

    const ghost = uniqueId('ghost');
    const missing = await api(`client/status/${ghost}`);
    expect(missing.status).toBe(422);
    expect(missing.body.error).toContain('404');
    expect(missing.body.error).toContain(ghost);
  });

  test('raiseEvent delivers to a waiting instance, rejects for an unknown one and resolves for a completed one (410 is swallowed by the SDK), like the extension', async () => {
    const id = uniqueId('client-raise');
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Ping' } });
    await waitForStatus(base, id, isRunning);
    const raised = await postJson(`${base}/api/client/raise/${id}/Ping`, { n: 1 });
    expect(raised.status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done.output).toEqual({ eventName: 'Ping', value: { n: 1 } });

    const ghost = uniqueId('ghost');
    const unknown = await postJson(`${base}/api/client/raise/${ghost}/Ping`, {});
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toBe(`No instance with ID '${ghost}' found.`);

    expect((await raiseEvent(base, id, 'Ping', {})).status).toBe(410);
    const late = await postJson(`${base}/api/client/raise/${id}/Ping`, {});
    expect(late.status).toBe(202);
  });

  test('suspend holds raised events and resume releases them, like the extension', async () => {
    const id = uniqueId('client-suspend');
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Go' } });
    await waitForStatus(base, id, isRunning);
    expect((await api(`client/suspend/${id}?reason=hold`, { method: 'POST' })).status).toBe(202);
    await waitForStatus(base, id, (s) => s.runtimeStatus === 'Suspended');
    expect((await postJson(`${base}/api/client/raise/${id}/Go`, 'queued')).status).toBe(202);
    await sleep(800);
    expect((await getStatus(base, id)).body.runtimeStatus).toBe('Suspended');
    expect((await api(`client/resume/${id}?reason=go`, { method: 'POST' })).status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { eventName: 'Go', value: 'queued' } });
  });

  test('terminate ends a running instance with the reason as output and rejects for an unknown id, like the extension', async () => {
    const id = uniqueId('client-terminate');
    await start(base, 'WaitForever', { instanceId: id });
    await waitForStatus(base, id, isRunning);
    expect((await api(`client/terminate/${id}?reason=client-abort`, { method: 'POST' })).status).toBe(202);
    const status = await waitForTerminal(base, id);
    expect(status).toMatchObject({ runtimeStatus: 'Terminated', output: 'client-abort' });

    const ghost = uniqueId('ghost');
    const unknown = await api(`client/terminate/${ghost}?reason=x`, { method: 'POST' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toBe(`No instance with ID '${ghost}' found.`);
  });

  test('purgeInstanceHistory deletes one instance and reports 0 for an unknown one, like the extension', async () => {
    const done = await run(base, 'Sequence', { input: ['purge-me'] });
    const purge = await api(`client/purge/${done.instanceId}`, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    expect(purge.body).toEqual({ instancesDeleted: 1 });
    expect((await getStatus(base, done.instanceId)).status).toBe(404);
    const again = await api(`client/purge/${done.instanceId}`, { method: 'DELETE' });
    expect(again.body).toEqual({ instancesDeleted: 0 });
  });

  test('getStatusBy filters by status and time, and purgeInstanceHistoryBy purges exactly the matching instances, like the extension', async () => {
    const from = new Date().toISOString();
    await sleep(20);
    const completed = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        start(base, 'Sequence', { instanceId: uniqueId(`by-done-${i}`), input: [`b${i}`] }),
      ),
    );
    const running = await Promise.all(
      Array.from({ length: 2 }, (_, i) => start(base, 'WaitForever', { instanceId: uniqueId(`by-run-${i}`) })),
    );
    await Promise.all(completed.map((id) => waitForStatus(base, id, (s) => s.runtimeStatus === 'Completed')));
    await Promise.all(running.map((id) => waitForStatus(base, id, isRunning)));
    await sleep(20);
    const to = new Date().toISOString();
    const window = `createdTimeFrom=${encodeURIComponent(from)}&createdTimeTo=${encodeURIComponent(to)}`;

    const byCompleted = await api(`client/status-by?runtimeStatus=Completed&${window}`);
    expect(byCompleted.status).toBe(200);
    expect(byCompleted.body.instances.map((s: InstanceStatus) => s.instanceId).sort()).toEqual([...completed].sort());
    const byRunning = await api(`client/status-by?runtimeStatus=Running&${window}`);
    expect(byRunning.body.instances.map((s: InstanceStatus) => s.instanceId).sort()).toEqual([...running].sort());
    const byBoth = await api(`client/status-by?runtimeStatus=Running,Completed&${window}`);
    expect(byBoth.body.count).toBe(6);

    const purged = await postJson(`${base}/api/client/purge-by`, {
      createdTimeFrom: from,
      createdTimeTo: to,
      runtimeStatus: ['Completed'],
    });
    expect(purged.status).toBe(200);
    expect(purged.body).toEqual({ instancesDeleted: 4 });
    for (const id of completed) expect((await getStatus(base, id)).status).toBe(404);
    for (const id of running) expect((await getStatus(base, id)).body.runtimeStatus).toBe('Running');
    const afterPurge = await api(`client/status-by?runtimeStatus=Completed&${window}`);
    expect(afterPurge.body.count).toBe(0);

    for (const id of running) await call(`${instanceUrl(base, id)}/terminate?reason=cleanup`, { method: 'POST' });
  });

  test('getStatusBy returns every matching instance beyond one page of results (110), following continuation tokens like the SDK does against the extension', async () => {
    const from = new Date().toISOString();
    await sleep(20);
    const ids = await Promise.all(
      Array.from({ length: 110 }, (_, i) => start(base, 'Sequence', { instanceId: uniqueId(`paged-${i}`), input: [] })),
    );
    await Promise.all(ids.map((id) => waitForStatus(base, id, (s) => s.runtimeStatus === 'Completed', 20_000)));
    const reply = await api(`client/status-by?runtimeStatus=Completed&createdTimeFrom=${encodeURIComponent(from)}`);
    expect(reply.status).toBe(200);
    expect(reply.body.instances.map((s: InstanceStatus) => s.instanceId).sort()).toEqual([...ids].sort());
  }, 30_000);

  test('waitForCompletionOrCreateCheckStatusResponse returns the output (200), the failed status (500) or, on timeout, the check-status 202, like the extension', async () => {
    const done = await run(base, 'Sequence', { input: ['wait'] });
    const completed = await api(`client/wait/${done.instanceId}?timeoutMs=2000`);
    expect(completed.status).toBe(200);
    expect(completed.body).toEqual(['Hello wait!']);

    // A 500 the handler returns itself is passed through with its body (only exceptions are masked).
    const failed = await run(base, 'Thrower');
    const failedReply = await api(`client/wait/${failed.instanceId}?timeoutMs=2000`);
    expect(failedReply.status).toBe(500);
    expect(failedReply.body).toMatchObject({ runtimeStatus: 'Failed', instanceId: failed.instanceId });

    const id = uniqueId('client-wait');
    await start(base, 'WaitForever', { instanceId: id });
    const began = Date.now();
    const timedOut = await api(`client/wait/${id}?timeoutMs=600`);
    expect(timedOut.status).toBe(202);
    expect(Date.now() - began).toBeGreaterThanOrEqual(500);
    expect(timedOut.body.id).toBe(id);
    expect(timedOut.headers.get('location')).toBe(timedOut.body.statusQueryGetUri);
    expect(timedOut.body.statusQueryGetUri.startsWith(`${webhooks(base)}/instances/${id}`)).toBe(true);
    await call(`${instanceUrl(base, id)}/terminate?reason=cleanup`, { method: 'POST' });
  });
});
