/**
 * Conformance: orchestrations, activities, external events and the Durable extension's public
 * management webhooks (/runtime/webhooks/durabletask/...), driven over HTTP like a real client would.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { startRuntime, type RunningRuntime } from '../support/runtime';
import {
  TERMINAL,
  call,
  conformanceAppDir,
  countEvents,
  customField,
  describeReply,
  getStatus,
  holdSystemKey,
  instanceUrl,
  listInstances,
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
  rt = await startRuntime({ appDir: conformanceAppDir });
  base = rt.url;
  holdSystemKey(rt.systemKey);
}, 30_000);

afterAll(async () => {
  await rt?.dispose();
});

const isRunning = (s: InstanceStatus) => s.runtimeStatus === 'Running';

/** The retry records the engine keeps in an instance's stored state (read from the runtime's SQLite file). */
function storedRetries(instanceId: string): unknown {
  const db = new Database(path.join(rt.dataDir, 'durable.sqlite'), { readonly: true });
  try {
    const state = db
      .prepare<[string], string>('SELECT state FROM instances WHERE instance_id = ?')
      .pluck()
      .get(instanceId);
    return (JSON.parse(state!) as { retries: unknown }).retries;
  } finally {
    db.close();
  }
}

describe('activities', () => {
  test('passes activity inputs and results through JSON unchanged (strings, numbers, falsy values, objects), like the Durable extension', async () => {
    const values = [
      'plain',
      'héllo "wörld" ✓\n\t\\ </script>',
      '',
      42,
      -3.5,
      0,
      true,
      false,
      null,
      { a: 1, nested: { b: [1, 'two', null] }, empty: {} },
      [1, 'x', { y: 2 }],
    ];
    const status = await run(base, 'Encodings', { input: { values } });
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as Record<string, unknown>;
    expect(output.identity).toEqual(values);
    expect(output.identityKinds).toEqual(values.map((v) => (v === null ? 'null' : typeof v)));
    expect(output.orchestratorInput).toEqual({ values });
    expect(status.input).toEqual({ values });
  });

  test('gives an activity called without input a null/undefined input, and hands back null for an activity that returns undefined, like the extension', async () => {
    const status = await run(base, 'Encodings', { input: { values: [] } });
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as Record<string, unknown>;
    expect(output.noInput).toEqual({ type: expect.stringMatching(/^(undefined|null)$/), isNil: true });
    expect(output.nothingKind).toBe('null');
  });

  test('gives a start without input the input "" (the SDK posts the JSON text "" for it), the same as an empty-string input, like the extension', async () => {
    const none = await run(base, 'EchoInput');
    expect(none.runtimeStatus).toBe('Completed');
    expect(none.input).toBe('');
    expect(none.output).toEqual({ kind: 'string', input: '' });

    const empty = await run(base, 'EchoInput', { input: '' });
    expect(empty.runtimeStatus).toBe('Completed');
    expect(empty.input).toBe('');
    expect(empty.output).toEqual({ kind: 'string', input: '' });
  });

  test('runs activities in sequence and reports the instance with the extension’s status shape and history', async () => {
    const id = uniqueId('sequence');
    await start(base, 'Sequence', { instanceId: id, input: ['Tokyo', 'Seattle', 'London'] });
    await waitForTerminal(base, id);
    const reply = await getStatus(base, id, true);
    expect(reply.status).toBe(200);
    const status = reply.body;
    expect(status).toMatchObject({
      name: 'Sequence',
      instanceId: id,
      runtimeStatus: 'Completed',
      input: ['Tokyo', 'Seattle', 'London'],
      output: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'],
    });
    expect('customStatus' in status).toBe(true);
    expect(Number.isNaN(Date.parse(status.createdTime))).toBe(false);
    expect(Date.parse(status.lastUpdatedTime)).toBeGreaterThanOrEqual(Date.parse(status.createdTime));
    expect(Math.abs(Date.parse(status.createdTime) - Date.now())).toBeLessThan(60_000);
    const events = status.historyEvents ?? [];
    expect(events[0]?.EventType).toBe('ExecutionStarted');
    expect(events[events.length - 1]?.EventType).toBe('ExecutionCompleted');
    expect(countEvents(status, 'TaskCompleted', 'Hello')).toBe(3);
    // Without showHistory the extension leaves historyEvents out.
    expect((await getStatus(base, id)).body.historyEvents).toBeUndefined();
  });

  test('fans out with Task.all and fans in the results in scheduling order, like the extension', async () => {
    const status = await run(base, 'FanOut', { input: 12 });
    expect(status.runtimeStatus).toBe('Completed');
    const expected = Array.from({ length: 12 }, (_, i) => i * i);
    expect(status.output).toEqual({ results: expected, sum: expected.reduce((a, b) => a + b, 0) });
  });

  test('includes activity results in history only with showHistoryOutput=true, like the extension', async () => {
    const done = await run(base, 'Sequence', { input: ['Oslo'] });
    const plain = (await getStatus(base, done.instanceId, true)).body;
    const plainCompleted = (plain.historyEvents ?? []).filter((e) => e.EventType === 'TaskCompleted');
    expect(plainCompleted).toHaveLength(1);
    expect(plainCompleted[0]?.Result).toBeUndefined();
    const withOutput = await call<InstanceStatus>(
      instanceUrl(base, done.instanceId, '?showHistory=true&showHistoryOutput=true'),
    );
    const completed = (withOutput.body.historyEvents ?? []).filter((e) => e.EventType === 'TaskCompleted');
    expect(completed).toHaveLength(1);
    expect(completed[0]?.FunctionName).toBe('Hello');
    // Results appear as JSON values, not as JSON-encoded strings.
    expect(completed[0]?.Result).toBe('Hello Oslo!');
    const finished = (withOutput.body.historyEvents ?? []).find((e) => e.EventType === 'ExecutionCompleted');
    expect(finished?.Result).toEqual(['Hello Oslo!']);
    expect(finished?.OrchestrationStatus).toBe('Completed');
  });

  test('accepts instance ids with URL-significant characters and serves them through percent-encoded webhook URLs, like the extension', async () => {
    const id = `order:42@tenant é+${Date.now()}`;
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Go' } });
    const running = await waitForStatus(base, id, isRunning);
    expect(running.instanceId).toBe(id);
    expect((await raiseEvent(base, id, 'Go', 'special')).status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done).toMatchObject({
      instanceId: id,
      runtimeStatus: 'Completed',
      output: { eventName: 'Go', value: 'special' },
    });
    expect((await call(instanceUrl(base, id), { method: 'DELETE' })).body).toEqual({ instancesDeleted: 1 });
  });

  test('rejects starting an orchestrator name the app does not define, and creates no instance, like the extension', async () => {
    const id = uniqueId('no-such-orchestrator');
    const reply = await postJson(`${base}/api/start/NoSuchOrchestrator`, { instanceId: id });
    expect(describeReply('POST', '/api/start/NoSuchOrchestrator', reply)).toMatch(/-> 409\b/);
    expect((await getStatus(base, id)).status).toBe(404);
  });

  test('answers 404 for the status of an unknown instance, like the extension', async () => {
    const reply = await getStatus(base, uniqueId('never-started'));
    expect(reply.status).toBe(404);
  });
});

describe('failures and retries', () => {
  test('retries an activity with callActivityWithRetry and succeeds on the 3rd attempt, backing off by backoffCoefficient, like the extension', async () => {
    const key = uniqueId('retry-ok');
    const id = uniqueId('retry-ok');
    await start(base, 'RetryOrchestrator', {
      instanceId: id,
      input: { key, succeedOnAttempt: 3, maxAttempts: 5, firstRetryMs: 300, backoff: 2 },
    });
    const status = await waitForTerminal(base, id, 15_000, true);
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as { ok: boolean; result: unknown; attempts: number[] };
    expect(output.ok).toBe(true);
    expect(output.result).toEqual({ key, attempt: 3 });
    expect(output.attempts).toHaveLength(3);
    const [a1, a2, a3] = output.attempts as [number, number, number];
    // first retry after ~300 ms, second after ~600 ms (300 * 2)
    expect(a2 - a1).toBeGreaterThanOrEqual(250);
    expect(a3 - a2).toBeGreaterThanOrEqual(550);
    expect(countEvents(status, 'TaskFailed', 'Flaky')).toBe(2);
    expect(countEvents(status, 'TaskCompleted', 'Flaky')).toBe(1);
    // A retried task that is done keeps no retry record (with its input) in the instance's state.
    expect(storedRetries(id)).toEqual({});
  });

  test('gives up after maxNumberOfAttempts and throws the last activity error into the orchestrator, like the extension', async () => {
    const key = uniqueId('retry-fail');
    const status = await run(
      base,
      'RetryOrchestrator',
      { input: { key, succeedOnAttempt: 99, maxAttempts: 3, firstRetryMs: 100, backoff: 1 } },
      15_000,
    );
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as { ok: boolean; message: string; attempts: number[] };
    expect(output.ok).toBe(false);
    expect(output.message).toContain(`flaky ${key} attempt 3 failed`);
    expect(output.attempts).toHaveLength(3);
    expect(storedRetries(status.instanceId)).toEqual({});
  });

  test('throws a failed activity’s error into the orchestrator, where it can be caught, like the extension', async () => {
    const status = await run(base, 'ActivityFailureCaught');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ caught: true, message: expect.stringContaining('always fails: caught-input') });
  });

  test('fails Task.all as soon as one fanned-out activity fails, with that activity’s error, like the extension', async () => {
    const status = await run(base, 'FanOutWithFailure');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ caught: true, message: expect.stringContaining('always fails: in fan-out') });
  });

  test('fails the orchestration (not just the task) when it calls an activity the app does not define, naming it, like the extension', async () => {
    const status = await run(base, 'CallsMissingActivity');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output as string).toMatch(
      /^Orchestrator function 'CallsMissingActivity' failed: The function 'NoSuchActivity' doesn't exist, is disabled, or is not an activity function\./,
    );
  });

  test('fails the orchestration when an activity error is not caught, with the extension’s output message', async () => {
    const status = await run(base, 'ActivityFailureUncaught');
    expect(status.runtimeStatus).toBe('Failed');
    expect(typeof status.output).toBe('string');
    expect(status.output as string).toMatch(/^Orchestrator function 'ActivityFailureUncaught' failed: /);
    expect(status.output as string).toContain('always fails: uncaught-input');
  });

  test('marks an orchestrator that throws as Failed with "Orchestrator function \'<Name>\' failed: <message>", like the extension', async () => {
    const id = uniqueId('thrower');
    await start(base, 'Thrower', { instanceId: id });
    await waitForTerminal(base, id);
    const reply = await getStatus(base, id);
    expect(reply.status).toBe(200);
    expect(reply.body.runtimeStatus).toBe('Failed');
    expect(reply.body.output).toBe("Orchestrator function 'Thrower' failed: kaboom: invalid widget 42");
  });
});

describe('external events and timers', () => {
  test('shows setCustomStatus while waiting; an event beats a 1-hour timer in Task.any, the timer is cancelled and the instance completes at once, like the extension', async () => {
    const id = uniqueId('race-event');
    const began = Date.now();
    await start(base, 'EventOrTimer', { instanceId: id, input: { timeoutSeconds: 3600 } });
    const waiting = await waitForStatus(base, id, (s) => isRunning(s) && customField(s, 'stage') === 'waiting');
    expect(waiting.customStatus).toMatchObject({ stage: 'waiting', eventName: 'Approve' });
    expect((await getStatus(base, id)).status).toBe(202);

    const raised = await raiseEvent(base, id, 'Approve', { by: 'alice' });
    expect(raised.status).toBe(202);
    const done = await waitForTerminal(base, id, 5_000, true);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toMatchObject({ winner: 'event', value: { by: 'alice' } });
    expect(done.customStatus).toEqual({ stage: 'done', winner: 'event' });
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(countEvents(done, 'EventRaised')).toBe(1);
    expect(countEvents(done, 'TimerFired')).toBe(0);
  });

  test('lets a short timer win Task.any when no event arrives, with real time flowing, like the extension', async () => {
    const began = Date.now();
    const status = await run(base, 'EventOrTimer', { input: { timeoutSeconds: 2 } }, 10_000);
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as { winner: string; decidedAt: string; deadline: string };
    expect(output.winner).toBe('timer');
    expect(Date.parse(output.decidedAt)).toBeGreaterThanOrEqual(Date.parse(output.deadline));
    expect(Date.now() - began).toBeGreaterThanOrEqual(1_900);
  });

  test('fires a timer whose fire time has already passed right away, like the extension', async () => {
    const began = Date.now();
    const status = await run(base, 'EventOrTimer', { input: { timeoutSeconds: -30 } }, 5_000);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ winner: 'timer' });
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  test('buffers events raised before the orchestrator waits for them and hands them out FIFO, like the Durable extension', async () => {
    const id = uniqueId('fifo');
    await start(base, 'CollectEvents', { instanceId: id, input: { count: 3 } });
    // Raised right away: possibly before the first episode ran, certainly before any wait for "Item".
    for (const item of ['first', 0, { third: [3] }]) {
      expect((await raiseEvent(base, id, 'Item', item)).status).toBe(202);
    }
    await sleep(500);
    const gated = await getStatus(base, id);
    expect(gated.body).toMatchObject({ runtimeStatus: 'Running', customStatus: 'waiting-for-gate' });
    expect((await raiseEvent(base, id, 'Start', 'go')).status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ gateValue: 'go', items: ['first', 0, { third: [3] }] });
  });

  test('delivers every one of 20 events raised concurrently (none lost or duplicated), like the extension', async () => {
    const id = uniqueId('burst');
    await start(base, 'CollectEvents', { instanceId: id, input: { count: 20 } });
    await waitForStatus(base, id, isRunning);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => raiseEvent(base, id, 'Item', i)));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect((await raiseEvent(base, id, 'Start', 'go')).status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done.runtimeStatus).toBe('Completed');
    const items = (done.output as { items: number[] }).items;
    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test('matches external event names case-sensitively (as the JavaScript SDK does), like the extension', async () => {
    const id = uniqueId('case-event');
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Approval' } });
    await waitForStatus(base, id, isRunning);
    expect((await raiseEvent(base, id, 'approval', 'lower')).status).toBe(202);
    expect((await raiseEvent(base, id, 'APPROVAL', 'upper')).status).toBe(202);
    await sleep(700);
    expect((await getStatus(base, id)).body.runtimeStatus).toBe('Running');
    expect((await raiseEvent(base, id, 'Approval', 'exact')).status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done.output).toEqual({ eventName: 'Approval', value: 'exact' });
  });

  test('answers 404 when raising an event to an unknown instance and 410 to a completed or failed one, like the extension', async () => {
    expect((await raiseEvent(base, uniqueId('ghost'), 'Approve', {})).status).toBe(404);
    const completed = await run(base, 'Sequence', { input: ['x'] });
    expect(completed.runtimeStatus).toBe('Completed');
    expect((await raiseEvent(base, completed.instanceId, 'Approve', {})).status).toBe(410);
    const failed = await run(base, 'Thrower');
    expect(failed.runtimeStatus).toBe('Failed');
    expect((await raiseEvent(base, failed.instanceId, 'Approve', {})).status).toBe(410);
  });

  test('answers 400 for a raiseEvent body that is not JSON or is empty, and leaves the instance untouched, like the extension', async () => {
    const id = uniqueId('bad-event');
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Go' } });
    await waitForStatus(base, id, isRunning);
    const url = `${instanceUrl(base, id)}/raiseEvent/Go`;
    const notJson = await call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(describeReply('POST', url, notJson)).toMatch(/-> 400\b/);
    const empty = await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(describeReply('POST', url, empty)).toMatch(/-> 400\b/);
    await sleep(300);
    expect((await getStatus(base, id)).body.runtimeStatus).toBe('Running');
    expect((await raiseEvent(base, id, 'Go', { fine: true })).status).toBe(202);
    expect((await waitForTerminal(base, id)).output).toEqual({ eventName: 'Go', value: { fine: true } });
  });
});

describe('sub-orchestrations', () => {
  test('runs sub-orchestrations with an explicit and a generated instance id, each visible as its own instance, like the extension', async () => {
    const parentId = uniqueId('parent');
    const childId = uniqueId('child');
    await start(base, 'Parent', { instanceId: parentId, input: { childId } });
    const status = await waitForTerminal(base, parentId);
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as {
      explicit: { doubled: number; greeting: string; instanceId: string; parentInstanceId: string };
      generated: { doubled: number; greeting: string; instanceId: string; parentInstanceId: string };
      parentId: string;
    };
    expect(output.explicit).toEqual({
      doubled: 4,
      greeting: 'Hello child 2!',
      instanceId: childId,
      parentInstanceId: parentId,
    });
    expect(output.generated).toMatchObject({ doubled: 6, greeting: 'Hello child 3!', parentInstanceId: parentId });
    expect(typeof output.generated.instanceId).toBe('string');
    expect(output.generated.instanceId.length).toBeGreaterThan(0);
    expect([parentId, childId]).not.toContain(output.generated.instanceId);
    for (const child of [childId, output.generated.instanceId]) {
      const reply = await getStatus(base, child);
      expect({ child, status: reply.status }).toEqual({ child, status: 200 });
      expect(reply.body).toMatchObject({ name: 'Child', instanceId: child, runtimeStatus: 'Completed' });
    }
  });

  test('throws a failed sub-orchestration’s error into the parent, where it can be caught, like the extension', async () => {
    const childId = uniqueId('failing-child');
    const status = await run(base, 'ParentCatching', { input: { childId } });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ caught: true, message: expect.stringContaining('child exploded on purpose') });
    const child = await getStatus(base, childId);
    expect(child.body.runtimeStatus).toBe('Failed');
    expect(child.body.output).toBe("Orchestrator function 'FailingChild' failed: child exploded on purpose");
  });

  test('fails the parent when a sub-orchestration failure is not caught, like the extension', async () => {
    const status = await run(base, 'ParentUncaught', { input: { childId: uniqueId('failing-child') } });
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output as string).toMatch(/^Orchestrator function 'ParentUncaught' failed: /);
    expect(status.output as string).toContain('child exploded on purpose');
  });
});

describe('continueAsNew', () => {
  test('restarts the orchestration with new input until it completes with N, keeping the latest custom status and input, like the extension', async () => {
    const id = uniqueId('counter');
    await start(base, 'Counter', { instanceId: id, input: { target: 5 } });
    const status = await waitForTerminal(base, id, 10_000, true);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(5);
    expect(status.customStatus).toEqual({ iteration: 5 });
    expect(status.input).toEqual({ target: 5, count: 5 });
    // History restarts with every generation.
    expect(countEvents(status, 'ExecutionStarted')).toBe(1);
  });

  test('shows each generation’s custom status and delivers events to the new generation, like the extension', async () => {
    const id = uniqueId('counter-events');
    await start(base, 'Counter', { instanceId: id, input: { target: 2, waitForNext: true } });
    await waitForStatus(base, id, (s) => isRunning(s) && customField(s, 'iteration') === 0);
    expect((await raiseEvent(base, id, 'Next', 1)).status).toBe(202);
    const second = await waitForStatus(base, id, (s) => customField(s, 'iteration') === 1);
    expect(second.runtimeStatus).toBe('Running');
    expect(second.input).toEqual({ target: 2, waitForNext: true, count: 1 });
    expect((await raiseEvent(base, id, 'Next', 2)).status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 2, customStatus: { iteration: 2 } });
  });
});

describe('instance lifecycle', () => {
  test('terminates a running instance (output = reason, 202), then answers 410 for terminate/raise/suspend/resume and 404 for unknown ids, like the extension', async () => {
    const id = uniqueId('terminate');
    await start(base, 'WaitForever', { instanceId: id });
    await waitForStatus(base, id, isRunning);
    const terminate = await call(`${instanceUrl(base, id)}/terminate?reason=operator%20abort`, { method: 'POST' });
    expect(terminate.status).toBe(202);
    const status = await waitForTerminal(base, id);
    expect(status.runtimeStatus).toBe('Terminated');
    expect(status.output).toBe('operator abort');
    expect((await getStatus(base, id)).status).toBe(200);
    expect((await call(`${instanceUrl(base, id)}/terminate?reason=again`, { method: 'POST' })).status).toBe(410);
    expect((await raiseEvent(base, id, 'Never', {})).status).toBe(410);
    expect((await call(`${instanceUrl(base, id)}/suspend?reason=late`, { method: 'POST' })).status).toBe(410);
    expect((await call(`${instanceUrl(base, id)}/resume?reason=late`, { method: 'POST' })).status).toBe(410);
    expect((await call(`${instanceUrl(base, uniqueId('ghost'))}/terminate?reason=x`, { method: 'POST' })).status).toBe(
      404,
    );
  });

  test('holds events while suspended and processes them after resume, like the extension', async () => {
    const id = uniqueId('suspend');
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Approve' } });
    await waitForStatus(base, id, isRunning);
    const suspend = await call(`${instanceUrl(base, id)}/suspend?reason=hold`, { method: 'POST' });
    expect(suspend.status).toBe(202);
    await waitForStatus(base, id, (s) => s.runtimeStatus === 'Suspended');
    expect((await getStatus(base, id)).status).toBe(202);

    expect((await raiseEvent(base, id, 'Approve', { by: 'bob' })).status).toBe(202);
    await sleep(1_000);
    const held = await getStatus(base, id);
    expect(held.body.runtimeStatus).toBe('Suspended');
    expect(held.body.output ?? null).toBeNull();

    const resume = await call(`${instanceUrl(base, id)}/resume?reason=go`, { method: 'POST' });
    expect(resume.status).toBe(202);
    const done = await waitForTerminal(base, id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ eventName: 'Approve', value: { by: 'bob' } });
  });

  test('answers 404 when suspending or resuming an unknown instance, like the extension', async () => {
    const ghost = uniqueId('ghost');
    expect((await call(`${instanceUrl(base, ghost)}/suspend?reason=x`, { method: 'POST' })).status).toBe(404);
    expect((await call(`${instanceUrl(base, ghost)}/resume?reason=x`, { method: 'POST' })).status).toBe(404);
  });

  test('refuses to resume a running instance that is not suspended (500, as the extension throws) and leaves it running', async () => {
    const id = uniqueId('resume-running');
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Go' } });
    await waitForStatus(base, id, isRunning);
    const url = `${instanceUrl(base, id)}/resume?reason=nothing-to-resume`;
    const resume = await call(url, { method: 'POST' });
    expect(describeReply('POST', url, resume)).toMatch(/-> 500\b/);
    await sleep(300);
    expect((await getStatus(base, id)).body.runtimeStatus).toBe('Running');
    expect((await raiseEvent(base, id, 'Go', 'still works')).status).toBe(202);
    expect((await waitForTerminal(base, id)).output).toEqual({ eventName: 'Go', value: 'still works' });
  });

  test('purges a completed instance (200 {"instancesDeleted":1}), after which it is unknown (404), like the extension', async () => {
    const status = await run(base, 'Sequence', { input: ['purge'] });
    expect(status.runtimeStatus).toBe('Completed');
    const url = instanceUrl(base, status.instanceId);
    const purge = await call(url, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    expect(purge.body).toEqual({ instancesDeleted: 1 });
    expect((await getStatus(base, status.instanceId)).status).toBe(404);
    expect((await call(url, { method: 'DELETE' })).status).toBe(404);
  });

  test('refuses to start an id whose instance is Running or Suspended (starter answers 409) and keeps the original, like the extension', async () => {
    const id = uniqueId('dup');
    await start(base, 'WaitForEvent', { instanceId: id, input: { eventName: 'Original' } });
    await waitForStatus(base, id, isRunning);
    const again = await postJson(`${base}/api/start/Sequence`, { instanceId: id, input: ['dup'] });
    expect(describeReply('POST', '/api/start/Sequence', again)).toMatch(/-> 409\b/);
    const still = await getStatus(base, id);
    expect(still.body).toMatchObject({
      name: 'WaitForEvent',
      runtimeStatus: 'Running',
      input: { eventName: 'Original' },
    });

    expect((await call(`${instanceUrl(base, id)}/suspend?reason=x`, { method: 'POST' })).status).toBe(202);
    await waitForStatus(base, id, (s) => s.runtimeStatus === 'Suspended');
    const whileSuspended = await postJson(`${base}/api/start/Sequence`, { instanceId: id, input: ['dup'] });
    expect(whileSuspended.status).toBe(409);
    expect((await call(`${instanceUrl(base, id)}/terminate?reason=cleanup`, { method: 'POST' })).status).toBe(202);
    await waitForStatus(base, id, (s) => s.runtimeStatus === 'Terminated');
  });

  test('restarts over a Completed, Failed or Terminated instance with fresh history, like the extension', async () => {
    const id = uniqueId('restart');
    await start(base, 'Sequence', { instanceId: id, input: ['one'] });
    const first = await waitForTerminal(base, id);
    expect(first.output).toEqual(['Hello one!']);

    await start(base, 'Sequence', { instanceId: id, input: ['two', 'three'] });
    const second = await waitForStatus(
      base,
      id,
      (s) => s.runtimeStatus === 'Completed' && Array.isArray(s.output) && s.output.length === 2,
      10_000,
      {
        showHistory: true,
      },
    );
    expect(second.output).toEqual(['Hello two!', 'Hello three!']);
    expect(second.input).toEqual(['two', 'three']);
    expect(countEvents(second, 'ExecutionStarted')).toBe(1);
    expect(countEvents(second, 'TaskCompleted', 'Hello')).toBe(2);

    const failedId = uniqueId('restart-failed');
    await start(base, 'Thrower', { instanceId: failedId });
    expect((await waitForTerminal(base, failedId)).runtimeStatus).toBe('Failed');
    await start(base, 'Sequence', { instanceId: failedId, input: ['after failure'] });
    const replaced = await waitForStatus(base, failedId, (s) => s.runtimeStatus === 'Completed');
    expect(replaced).toMatchObject({ name: 'Sequence', output: ['Hello after failure!'] });

    const terminatedId = uniqueId('restart-terminated');
    await start(base, 'WaitForever', { instanceId: terminatedId });
    await waitForStatus(base, terminatedId, isRunning);
    await call(`${instanceUrl(base, terminatedId)}/terminate?reason=stop`, { method: 'POST' });
    await waitForStatus(base, terminatedId, (s) => s.runtimeStatus === 'Terminated');
    await start(base, 'Sequence', { instanceId: terminatedId, input: ['after terminate'] });
    const afterTerminate = await waitForStatus(base, terminatedId, (s) => s.runtimeStatus === 'Completed');
    expect(afterTerminate.output).toEqual(['Hello after terminate!']);
  });

  test('createCheckStatusResponse answers 202 with Location and working management URIs for this instance, like the extension', async () => {
    const id = uniqueId('check-status');
    const reply = await postJson(`${base}/api/start/WaitForEvent`, { instanceId: id, input: { eventName: 'Go' } });
    expect(reply.status).toBe(202);
    const body = reply.body as Record<string, string>;
    const prefix = `${webhooks(base)}/instances/${id}`;
    expect(body.id).toBe(id);
    expect(reply.headers.get('location')).toBe(body.statusQueryGetUri);
    expect(reply.headers.get('retry-after')).toBe('10');
    for (const key of [
      'statusQueryGetUri',
      'sendEventPostUri',
      'terminatePostUri',
      'purgeHistoryDeleteUri',
      'suspendPostUri',
      'resumePostUri',
    ]) {
      expect({ key, uri: body[key]?.startsWith(prefix) }).toEqual({ key, uri: true });
    }
    expect(body.statusQueryGetUri).toContain('taskHub=ConformanceHub');
    expect(body.sendEventPostUri).toContain('/raiseEvent/{eventName}');
    expect(body.terminatePostUri).toContain('/terminate?reason={text}');
    expect(body.suspendPostUri).toContain('/suspend?reason={text}');
    expect(body.resumePostUri).toContain('/resume?reason={text}');

    expect((await call(body.statusQueryGetUri!)).status).toBe(202);
    await waitForStatus(base, id, isRunning);
    expect((await call(body.suspendPostUri!.replace('{text}', 'pause'), { method: 'POST' })).status).toBe(202);
    await waitForStatus(base, id, (s) => s.runtimeStatus === 'Suspended');
    expect((await call(body.resumePostUri!.replace('{text}', 'continue'), { method: 'POST' })).status).toBe(202);
    await waitForStatus(base, id, isRunning);
    const raised = await postJson(body.sendEventPostUri!.replace('{eventName}', 'Go'), 'via-uri');
    expect(raised.status).toBe(202);
    await waitForTerminal(base, id);
    const final = await call<InstanceStatus>(body.statusQueryGetUri!);
    expect(final.status).toBe(200);
    expect(final.body).toMatchObject({ runtimeStatus: 'Completed', output: { eventName: 'Go', value: 'via-uri' } });
    const purge = await call(body.purgeHistoryDeleteUri!, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    expect(purge.body).toEqual({ instancesDeleted: 1 });

    const other = uniqueId('check-status-terminate');
    const otherReply = await postJson(`${base}/api/start/WaitForever`, { instanceId: other });
    await waitForStatus(base, other, isRunning);
    const terminateUri = (otherReply.body as Record<string, string>).terminatePostUri!.replace('{text}', 'bye');
    expect((await call(terminateUri, { method: 'POST' })).status).toBe(202);
    expect((await waitForTerminal(base, other)).output).toBe('bye');
  });
});

describe('instance queries', () => {
  test('filters instances by runtimeStatus and created time and pages with x-ms-continuation-token, like the extension', async () => {
    const from = new Date().toISOString();
    await sleep(20);
    const completed = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        start(base, 'Sequence', { instanceId: uniqueId(`query-done-${i}`), input: [`q${i}`] }),
      ),
    );
    const running = await Promise.all(
      Array.from({ length: 3 }, (_, i) => start(base, 'WaitForever', { instanceId: uniqueId(`query-run-${i}`) })),
    );
    await Promise.all(completed.map((id) => waitForStatus(base, id, (s) => s.runtimeStatus === 'Completed')));
    await Promise.all(running.map((id) => waitForStatus(base, id, isRunning)));
    await sleep(20);
    const to = new Date().toISOString();
    const window = `createdTimeFrom=${encodeURIComponent(from)}&createdTimeTo=${encodeURIComponent(to)}`;
    const list = (query: string, headers: Record<string, string> = {}) =>
      call<InstanceStatus[]>(`${webhooks(base)}/instances/?${query}`, { headers });

    // Pagination: top=3 over 7 completed instances.
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof list>> = await list(
        `runtimeStatus=Completed&${window}&top=3`,
        token ? { 'x-ms-continuation-token': token } : {},
      );
      expect(page.status).toBe(200);
      expect(Array.isArray(page.body)).toBe(true);
      expect(page.body.length).toBeLessThanOrEqual(3);
      for (const item of page.body) {
        expect(item.runtimeStatus).toBe('Completed');
        expect(item.name).toBe('Sequence');
        seen.push(item.instanceId);
      }
      token = page.headers.get('x-ms-continuation-token');
      pages += 1;
    } while (token && pages < 10);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...completed].sort());

    const runningOnly = await list(`runtimeStatus=Running&${window}`);
    expect(runningOnly.status).toBe(200);
    expect(runningOnly.body.map((s) => s.instanceId).sort()).toEqual([...running].sort());

    const both = await list(`runtimeStatus=Running,Completed&${window}`);
    expect(both.body.map((s) => s.instanceId).sort()).toEqual([...completed, ...running].sort());

    const failed = await list(`runtimeStatus=Failed&${window}`);
    expect(failed.body).toEqual([]);

    const later = await list(`createdTimeFrom=${encodeURIComponent(to)}`);
    const mine = new Set([...completed, ...running]);
    expect(later.body.filter((s) => mine.has(s.instanceId))).toEqual([]);

    for (const id of running) await call(`${instanceUrl(base, id)}/terminate?reason=cleanup`, { method: 'POST' });
  });
});

describe('determinism and scale', () => {
  test('replays deterministically: currentUtcDateTime and newGuid keep their first-episode values and isReplaying is true only while replaying, like the extension', async () => {
    const id = uniqueId('deterministic');
    await start(base, 'Deterministic', { instanceId: id });
    const status = await waitForTerminal(base, id);
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as {
      startedAt: string;
      guid: string;
      firstEpisode: { startedAt: string; guid: string };
      afterFirst: string;
      atEnd: string;
      replayFlags: boolean[];
    };
    expect(output.startedAt).toBe(output.firstEpisode.startedAt);
    expect(output.guid).toBe(output.firstEpisode.guid);
    expect(output.replayFlags).toEqual([true, true, false]);
    expect(Date.parse(output.afterFirst)).toBeGreaterThanOrEqual(Date.parse(output.startedAt));
    expect(Date.parse(output.atEnd)).toBeGreaterThanOrEqual(Date.parse(output.afterFirst));
    expect(Math.abs(Date.parse(output.startedAt) - Date.parse(status.createdTime))).toBeLessThan(5_000);
  });

  test('runs 50 instances started in parallel to completion with their own outputs', async () => {
    const from = new Date().toISOString();
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        start(base, 'Sequence', { instanceId: uniqueId(`many-${i}`), input: [`n${i}`, `m${i}`] }),
      ),
    );
    expect(new Set(ids).size).toBe(50);
    const deadline = Date.now() + 30_000;
    let done: InstanceStatus[] = [];
    while (Date.now() < deadline) {
      const { instances } = await listInstances(
        base,
        `runtimeStatus=${TERMINAL.join(',')}&createdTimeFrom=${encodeURIComponent(from)}`,
      );
      done = instances.filter((s) => ids.includes(s.instanceId));
      if (done.length === 50) break;
      await sleep(200);
    }
    expect(done).toHaveLength(50);
    const statuses = await Promise.all(ids.map((id) => getStatus(base, id)));
    statuses.forEach((reply, i) => {
      expect(reply.body).toMatchObject({ runtimeStatus: 'Completed', output: [`Hello n${i}!`, `Hello m${i}!`] });
    });
  }, 45_000);
});
