/**
 * Conformance under the manual clock (MAA_LOCAL_CLOCK=manual): durable timers, long timers and the
 * app's own Date follow the runtime clock when it is moved forward with POST /_local/clock.
 *
 * Tests in this file run in order and share one runtime, so the clock only ever moves forward.
 */
import { startRuntime, type RunningRuntime } from '../support/runtime';
import {
  call,
  conformanceAppDir,
  countEvents,
  customField,
  describeReply,
  getStatus,
  holdSystemKey,
  postJson,
  run,
  sleep,
  start,
  uniqueId,
  waitForStatus,
  waitForTerminal,
  type InstanceStatus,
} from '../support/conformance';

const DAY = 24 * 60 * 60 * 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

jest.setTimeout(30_000);

let rt: RunningRuntime;
let base: string;
/** How far the test has moved the runtime clock ahead of real time. */
let offsetMs = 0;

beforeAll(async () => {
  rt = await startRuntime({ appDir: conformanceAppDir, env: { MAA_LOCAL_CLOCK: 'manual' } });
  base = rt.url;
  holdSystemKey(rt.systemKey);
}, 30_000);

afterAll(async () => {
  await rt?.dispose();
});

/** Moves the runtime clock and checks the answer; returns the runtime's new now. */
async function advance(duration: string, ms: number): Promise<number> {
  const url = `${base}/_local/clock`;
  const reply = await postJson(url, { advance: duration });
  if (reply.status !== 200) throw new Error(`advancing the clock failed: ${describeReply('POST', url, reply)}`);
  offsetMs += ms;
  expect(reply.body.now).toMatch(RFC3339);
  const now = Date.parse(reply.body.now);
  expect(Math.abs(now - (Date.now() + offsetMs))).toBeLessThan(60_000);
  return now;
}

const isRunning = (s: InstanceStatus) => s.runtimeStatus === 'Running';

test('POST /_local/clock answers the runtime’s current time as RFC 3339 in manual mode', async () => {
  const now = await advance('PT0S', 0);
  expect(Math.abs(now - Date.now())).toBeLessThan(60_000);
});

test('/_local/clock answers other methods than GET and POST with 405 naming them in Allow', async () => {
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const reply = await call(`${base}/_local/clock`, { method });
    expect([method, reply.status, reply.headers.get('allow')]).toEqual([method, 405, 'GET, POST']);
  }
});

test('lets the timer win Task.any once the clock passes its deadline, like the Durable extension when time passes', async () => {
  const id = uniqueId('race-timer');
  await start(base, 'EventOrTimer', { instanceId: id, input: { timeoutSeconds: 3600 } });
  await waitForStatus(base, id, (s) => isRunning(s) && customField(s, 'stage') === 'waiting');
  await sleep(400);
  expect((await getStatus(base, id)).body.runtimeStatus).toBe('Running');

  await advance('PT2H', 2 * 60 * 60 * 1000);
  const done = await waitForTerminal(base, id, 8_000, true);
  expect(done.runtimeStatus).toBe('Completed');
  const output = done.output as { winner: string; decidedAt: string; deadline: string };
  expect(output.winner).toBe('timer');
  expect(Date.parse(output.decidedAt)).toBeGreaterThanOrEqual(Date.parse(output.deadline));
  expect(countEvents(done, 'TimerFired')).toBe(1);
});

test('runs a 30-day createTimer as several sub-timers (6-day maximum, 3-day interval) that fire as the clock advances, like the extension on Azure Storage', async () => {
  const id = uniqueId('long-timer');
  await start(base, 'LongTimer', { instanceId: id, input: { days: 30 } });
  const waiting = await waitForStatus(base, id, (s) => isRunning(s) && countEvents(s, 'TimerCreated') >= 1, 8_000, {
    showHistory: true,
  });
  const fireAt = Date.parse((waiting.customStatus as { fireAt: string }).fireAt);
  const firstTimer = (waiting.historyEvents ?? []).find((e) => e.EventType === 'TimerCreated');
  // The first sub-timer is one long-running interval (3 days) out, not the final 30-day fire time.
  const startedAt = fireAt - 30 * DAY;
  expect(Math.abs(Date.parse(String(firstTimer?.FireAt)) - (startedAt + 3 * DAY))).toBeLessThan(1_000);

  await advance('P2D', 2 * DAY);
  await sleep(600);
  const early = (await getStatus(base, id, true)).body;
  expect(early.runtimeStatus).toBe('Running');
  expect(countEvents(early, 'TimerFired')).toBe(0);

  await advance('P8D', 8 * DAY);
  const midway = await waitForStatus(
    base,
    id,
    (s) => countEvents(s, 'TimerFired') >= 1 && countEvents(s, 'TimerCreated') >= 2,
    8_000,
    { showHistory: true },
  );
  expect(midway.runtimeStatus).toBe('Running');
  expect(countEvents(midway, 'TimerFired')).toBe(1);

  await advance('P20D', 20 * DAY);
  const done = await waitForTerminal(base, id, 8_000, true);
  expect(done.runtimeStatus).toBe('Completed');
  const output = done.output as { startedAt: string; fireAt: string; firedAt: string };
  expect(Date.parse(output.fireAt)).toBe(fireAt);
  expect(Date.parse(output.firedAt)).toBeGreaterThanOrEqual(fireAt);
  expect(Date.parse(output.firedAt) - Date.parse(output.startedAt)).toBeGreaterThanOrEqual(30 * DAY);
  expect(countEvents(done, 'TimerFired')).toBeGreaterThan(1);
  expect(countEvents(done, 'TimerCreated')).toBeGreaterThan(1);
});

test('moves the app’s own new Date() / Date.now() with the runtime clock', async () => {
  const reply = await call(`${base}/api/now`);
  expect(reply.status).toBe(200);
  const expected = Date.now() + offsetMs;
  expect(Math.abs(Date.parse(reply.body.now) - expected)).toBeLessThan(60_000);
  expect(Math.abs(reply.body.dateNow - expected)).toBeLessThan(60_000);
});

test('stamps new instances and currentUtcDateTime with the moved clock', async () => {
  const status = await run(base, 'Deterministic');
  expect(status.runtimeStatus).toBe('Completed');
  const expected = Date.now() + offsetMs;
  expect(Math.abs(Date.parse(status.createdTime) - expected)).toBeLessThan(60_000);
  const startedAt = Date.parse((status.output as { startedAt: string }).startedAt);
  expect(Math.abs(startedAt - expected)).toBeLessThan(60_000);
});

test('keeps the every-second timer trigger ticking about once a second after the jumps, without replaying every missed occurrence', async () => {
  const before = await call(`${base}/api/ticks`);
  await sleep(2_600);
  const after = await call(`${base}/api/ticks`);
  const delta = after.body.count - before.body.count;
  expect(delta).toBeGreaterThanOrEqual(1);
  expect(delta).toBeLessThanOrEqual(6);
  const last = after.body.ticks[after.body.ticks.length - 1];
  expect(Math.abs(Date.parse(last.at) - (Date.now() + offsetMs))).toBeLessThan(60_000);
});
