import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startRuntime, type RunningRuntime } from '../support/runtime';

const appDir = path.join(repoRoot, 'test', 'fixtures', 'workload');

interface Status {
  runtimeStatus: string;
  output: unknown;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function completed(runtime: RunningRuntime, id: string): Promise<Status> {
  let status: Status = { runtimeStatus: 'Pending', output: null };
  for (let i = 0; i < 400 && status.runtimeStatus !== 'Completed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    status = await json<Status>(await fetch(runtime.durable(`instances/${id}`)));
  }
  return status;
}

/** Calls a function that keeps the app busy for `ms` (`spin`) or waits that long (`pause`); resolves when it answered. */
async function call(
  runtime: RunningRuntime,
  route: 'spin' | 'pause',
  ms: number,
): Promise<{ status: number; body: string; endedAt: number }> {
  const response = await fetch(`${runtime.url}/api/${route}?ms=${ms}`, { method: 'POST' });
  const body = await response.text();
  return { status: response.status, body, endedAt: performance.now() };
}

const spin = (runtime: RunningRuntime, ms: number) => call(runtime, 'spin', ms);

/** Waits until the spinning function has surely started (the request reached the app). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 150));
}

describe('the app on its own thread (MAA_LOCAL_APP_THREAD=on, the default)', () => {
  let runtime: RunningRuntime;
  beforeAll(async () => {
    runtime = await startRuntime({ appDir });
  });
  afterAll(async () => {
    await runtime.dispose();
  });

  it('runs HTTP functions off the host thread', async () => {
    const where = await json<{ threadId: number; isMainThread: boolean }>(await fetch(`${runtime.url}/api/thread`));
    expect(where.isMainThread).toBe(false);
    expect(where.threadId).toBeGreaterThan(0);
  });

  it('runs orchestrators and activities on the same app thread as HTTP functions', async () => {
    const where = await json<{ threadId: number }>(await fetch(`${runtime.url}/api/thread`));
    const started = await fetch(runtime.durable('orchestrators/Threads/threads-1'), { method: 'POST' });
    expect(started.status).toBe(202);
    const status = await completed(runtime, 'threads-1');
    expect(status).toEqual(
      expect.objectContaining({
        runtimeStatus: 'Completed',
        output: { orchestrator: where.threadId, activity: where.threadId },
      }),
    );
  });

  it('answers the Durable management API while an app function keeps the app thread busy', async () => {
    const spinning = spin(runtime, 1500);
    await settle();
    const asked = performance.now();
    const listed = await fetch(runtime.durable('instances?top=1'));
    await listed.arrayBuffer();
    const answered = performance.now();
    expect(listed.status).toBe(200);
    const spun = await spinning;
    expect(spun.status).toBe(200);
    // The host answered long before the busy function let go of its thread.
    expect(answered - asked).toBeLessThan(500);
    expect(spun.endedAt - answered).toBeGreaterThan(500);
  });

  it('runs the appStart hook on the app thread and shares the settings the host applies after loading the app', async () => {
    const where = await json<{ threadId: number }>(await fetch(`${runtime.url}/api/thread`));
    const started = await json<{ appStarted: unknown; websiteHostname: string }>(
      await fetch(`${runtime.url}/api/app-started`),
    );
    expect(started).toEqual({
      appStarted: { hookData: 'object', threadId: where.threadId },
      websiteHostname: new URL(runtime.url).host,
    });
  });

  it('finishes an invocation in flight, then runs the appTerminate hook, before it stops on SIGTERM', async () => {
    const mark = path.join(runtime.dataDir, 'terminated.json');
    const own = await startRuntime({ appDir, env: { WORKLOAD_TERMINATE_MARK: mark } });
    try {
      const pausing = call(own, 'pause', 800);
      await settle();
      const exited = own.stop();
      const paused = await pausing;
      expect(paused).toEqual(expect.objectContaining({ status: 200, body: JSON.stringify({ paused: true }) }));
      expect(await exited).toBe(0);
      expect(existsSync(mark)).toBe(true);
      expect((JSON.parse(readFileSync(mark, 'utf8')) as { threadId: number }).threadId).toBeGreaterThan(0);
    } finally {
      await own.dispose();
    }
  });

  it('stops on SIGTERM within its grace periods while an invocation never finishes, answering it with an error', async () => {
    const own = await startRuntime({ appDir });
    try {
      // Far longer than the grace periods (2 s for HTTP in flight, 5 s for the app thread's invocations).
      const pausing = call(own, 'pause', 120_000).catch((error: unknown) => ({ error }));
      await settle();
      const stopping = performance.now();
      const exited = own.stop();
      const answer = await pausing;
      expect(await exited).toBe(0);
      expect(performance.now() - stopping).toBeLessThan(20_000);
      // The caller hears of it: a 5xx, or the connection closed with the server.
      if ('status' in answer) expect(answer.status).toBeGreaterThanOrEqual(500);
      else expect(String(answer.error)).toMatch(/fetch failed|socket|terminated|closed/i);
      expect(own.output()).toMatch(/the app thread was stopped before the invocation finished/);
    } finally {
      await own.dispose();
    }
  }, 30_000);

  it('exits with code 1, naming the error, when an uncaught error ends the app thread', async () => {
    const own = await startRuntime({ appDir });
    try {
      const crashed = await fetch(`${own.url}/api/crash`, { method: 'POST' });
      expect(crashed.status).toBe(202);
      const code = await new Promise<number | null>((resolve) => {
        if (own.process.exitCode !== null) resolve(own.process.exitCode);
        else own.process.once('exit', (exitCode) => resolve(exitCode));
      });
      expect(code).toBe(1);
      expect(own.output()).toMatch(/the app stopped: .*the app crashed on purpose/);
    } finally {
      await own.dispose();
    }
  });
});

describe('the app on the host thread (MAA_LOCAL_APP_THREAD=off)', () => {
  let runtime: RunningRuntime;
  beforeAll(async () => {
    runtime = await startRuntime({ appDir, env: { MAA_LOCAL_APP_THREAD: 'off' } });
  });
  afterAll(async () => {
    await runtime.dispose();
  });

  it('runs HTTP functions on the host thread', async () => {
    const where = await json<{ isMainThread: boolean }>(await fetch(`${runtime.url}/api/thread`));
    expect(where.isMainThread).toBe(true);
  });

  it('holds the management API until a busy app function lets go', async () => {
    const spinning = spin(runtime, 1000);
    await settle();
    const listed = await fetch(runtime.durable('instances?top=1'));
    await listed.arrayBuffer();
    const answered = performance.now();
    const spun = await spinning;
    expect(listed.status).toBe(200);
    // One thread: the management API could only answer once the function was done.
    expect(answered).toBeGreaterThanOrEqual(spun.endedAt - 50);
  });
});
