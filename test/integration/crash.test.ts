import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, startRuntime, type RunningRuntime } from '../support/runtime';

const appDir = path.join(repoRoot, 'test', 'fixtures', 'workload');

interface Status {
  runtimeStatus: string;
  output: unknown;
  historyEvents?: {
    EventType: string;
    TaskScheduledId?: number;
    TimerId?: number;
    Name?: string;
    FunctionName?: string;
  }[];
}

async function post(url: string, body: unknown): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

async function status(runtime: RunningRuntime, id: string, history = false): Promise<Status> {
  const response = await fetch(
    runtime.durable(`instances/${id}${history ? '?showHistory=true&showHistoryOutput=true' : ''}`),
  );
  return (await response.json()) as Status;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A seeded generator, so a failing run can be repeated with the same kill points. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('crash safety (kill -9 while orchestrations are in flight)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('continues every orchestration from its history after repeated kill -9, applying each event, timer and activity result exactly once', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100000);
    const next = random(seed);
    const ids = Array.from({ length: 120 }, (_, i) => `crash-${i}`);
    const decisions = new Map(ids.map((id, i) => [id, { approved: i % 3 !== 0, by: `approver-${i}` }]));

    // Start everything and raise every decision (events raised early are buffered), then crash the
    // runtime repeatedly at random moments while the engine works through them.
    let runtime = await startRuntime({ appDir, dataDir });
    for (const batch of [ids.slice(0, 60), ids.slice(60)]) {
      const starts = await Promise.all(batch.map((id) => post(`${runtime.url}/api/lifecycles/${id}`, {})));
      expect(starts.every((code) => code === 202)).toBe(true);
      const raises = await Promise.all(
        batch.map((id) => post(`${runtime.url}/api/lifecycles/${id}/decision`, decisions.get(id))),
      );
      expect(raises.every((code) => code === 202)).toBe(true);
    }
    const kills: number[] = [];
    for (let cycle = 0; cycle < 5; cycle++) {
      const delay = Math.floor(next() * 120);
      kills.push(delay);
      await sleep(delay);
      await runtime.kill();
      runtime = await startRuntime({ appDir, dataDir });
    }

    try {
      const deadline = Date.now() + 30_000;
      let pending = ids;
      while (pending.length > 0 && Date.now() < deadline) {
        const statuses = await Promise.all(pending.map((id) => status(runtime, id)));
        pending = pending.filter((_, i) => statuses[i]!.runtimeStatus !== 'Completed');
        if (pending.length > 0) await sleep(100);
      }
      expect({ seed, kills, pending }).toEqual({ seed, kills, pending: [] });

      for (const id of ids) {
        const final = await status(runtime, id, true);
        expect(final.output).toEqual({
          first: { id, n: 1, decision: null },
          second: { id, n: 2, decision: decisions.get(id) },
        });
        const events = final.historyEvents!;
        const count = (type: string) => events.filter((e) => e.EventType === type).length;
        expect({
          id,
          started: count('ExecutionStarted'),
          completed: count('ExecutionCompleted'),
          raised: count('EventRaised'),
        }).toEqual({
          id,
          started: 1,
          completed: 1,
          raised: 1,
        });
        const results = events.filter((e) => e.EventType === 'TaskCompleted').map((e) => e.TaskScheduledId);
        expect({ id, results }).toEqual({ id, results: [0, 2] });
        // The 30-day timer was created once and cancelled, never fired.
        expect({ id, timers: count('TimerCreated'), fired: count('TimerFired') }).toEqual({ id, timers: 1, fired: 0 });
      }
    } finally {
      await runtime.stop();
    }
  });

  it('keeps the manual clock across a crash, so durable timers still fire after a restart', async () => {
    const clockDir = mkdtempSync(path.join(tmpdir(), 'maa-crash-clock-'));
    const env = { MAA_LOCAL_CLOCK: 'manual' };
    let runtime = await startRuntime({ appDir, dataDir: clockDir, env });
    try {
      expect(await post(`${runtime.url}/api/lifecycles/timer-1`, {})).toBe(202);
      // The 30-day timer must exist before time jumps, or it would be set from the later instant.
      const waitingSince = Date.now();
      while (!(await status(runtime, 'timer-1', true)).historyEvents?.some((e) => e.EventType === 'TimerCreated')) {
        if (Date.now() - waitingSince > 10_000) throw new Error('timer-1 never created its expiry timer');
        await sleep(20);
      }
      const advanced = await fetch(`${runtime.url}/_local/clock`, {
        method: 'POST',
        body: JSON.stringify({ advance: 'P10D' }),
      });
      const { now } = (await advanced.json()) as { now: string };
      await runtime.kill();
      runtime = await startRuntime({ appDir, dataDir: clockDir, env });
      const after = (await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string };
      expect(Date.parse(after.now)).toBeGreaterThanOrEqual(Date.parse(now));
      await post(`${runtime.url}/_local/clock`, { advance: 'P21D' });
      const deadline = Date.now() + 10_000;
      let final = await status(runtime, 'timer-1', true);
      while (final.runtimeStatus !== 'Completed' && Date.now() < deadline) {
        await sleep(50);
        final = await status(runtime, 'timer-1', true);
      }
      expect(final.runtimeStatus).toBe('Completed');
      expect(final.output).toEqual({
        first: { id: 'timer-1', n: 1, decision: null },
        second: { id: 'timer-1', n: 2, decision: 'expired' },
      });
      // The SDK's long-timer path: the 30-day wait is a chain of sub-timers of at most 3 days. After
      // the first jump (10 days) the first sub-timer fires late and schedules the next one 3 days on;
      // after the second jump that one fires past the final deadline, which ends the wait.
      const fired = final.historyEvents!.filter((e) => e.EventType === 'TimerFired').length;
      expect(fired).toBe(2);
    } finally {
      await runtime.stop();
      rmSync(clockDir, { recursive: true, force: true });
    }
  });
});
