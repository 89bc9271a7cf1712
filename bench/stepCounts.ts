import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FUNCTIONS_KEY_HEADER, systemKeyPath } from '../local/durable/systemKey';
import { AppApi, bootstrapWipePolicy, enrolDevices, wipeLifecycle } from './api';
import { HttpClient } from './httpClient';
import { launchRuntime, repoRoot } from './runtimeProcess';
import { median } from './stats';

// Counts what one approval lifecycle (the `lifecycle` section's device wipe: submit, approve,
// complete, Graph executes) costs the Durable backend: orchestrator episodes, activities by name,
// history events and their bytes. Run: `node dist/bench/stepCounts.js` (after `npm run build`);
// `BENCH_STEP_LIFECYCLES` lifecycles one after another (default 10), `BENCH_STEP_APP` another
// checkout's root to count its built app with this runtime, `BENCH_STEP_KEEP=1` keeps the data. The device follows up every second
// (the local tenant wipes after a second), so each orchestration ends within seconds; the
// follow-up's share (its timers, observations and last step) is counted apart, from the first
// timer after the execution was recorded.

const EVENT = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  EventRaised: 15,
} as const;

interface HistoryRow {
  EventType: number;
  EventId: number;
  Name?: string;
  TaskScheduledId?: number;
  Result?: string;
}

interface Counts {
  episodes: number;
  activities: number;
  byName: Record<string, number>;
  events: number;
  bytes: number;
}

const FINISHED = new Set(['Completed', 'Failed', 'Terminated']);

async function main(): Promise<void> {
  const lifecycles = Number(process.env.BENCH_STEP_LIFECYCLES ?? 10);
  const appDir = process.env.BENCH_STEP_APP ?? repoRoot;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-steps-'));
  const runtime = await launchRuntime(appDir, {
    MAA_DATA_DIR: dataDir,
    MAA_DEVICE_ACTION_DAILY_CAPS: 'wipe=999999',
    MAA_LOCAL_INTUNE_DEVICE_DELAY: 'PT1S',
    MAA_DEVICE_FOLLOW_UP_INTERVAL: 'PT1S',
  });
  // The runtime's client reads the system key from the data directory it made; this one is ours.
  const client = new HttpClient(runtime.url, 4, {
    [FUNCTIONS_KEY_HEADER]: readFileSync(systemKeyPath(dataDir), 'utf8').trim(),
  });
  try {
    const api = await AppApi.connect(client);
    await bootstrapWipePolicy(api);
    const devices = await enrolDevices(api, 'steps', lifecycles, 4);
    const ids: string[] = [];
    for (const device of devices) ids.push((await wipeLifecycle(api, device)).id);
    const deadline = Date.now() + 60_000;
    for (const id of ids) {
      for (;;) {
        const response = await client.expect(
          'GET',
          `/runtime/webhooks/durabletask/instances/${id}?showInput=false`,
          [200, 202],
        );
        if (FINISHED.has((JSON.parse(response.body) as { runtimeStatus: string }).runtimeStatus)) break;
        if (Date.now() > deadline) throw new Error(`instance ${id} did not finish`);
        await sleep(200);
      }
    }
    const db = new Database(path.join(dataDir, 'durable.sqlite'), { readonly: true });
    const lifecycle: Counts[] = [];
    const followUp: Counts[] = [];
    const whole: Counts[] = [];
    for (const id of ids) {
      const texts = db
        .prepare('SELECT event FROM history WHERE instance_id = ? ORDER BY idx')
        .pluck()
        .all(id) as string[];
      const [main, tail] = split(texts);
      lifecycle.push(count(main));
      followUp.push(count(tail));
      whole.push(count(texts));
    }
    db.close();
    report('lifecycle (submit to execution recorded)', lifecycle);
    report('device follow-up and end (counted apart)', followUp);
    report('whole instance', whole);
  } finally {
    client.close();
    await runtime.dispose();
    if (process.env.BENCH_STEP_KEEP === '1') console.log(`data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The activities that execute the operation (`executeOperation`, or `executeStep`, which also
 * records it); a `commandStep` does too when it completed the request (its result has `executed`).
 */
const EXECUTING = new Set(['executeOperation', 'executeStep']);

function executes(name: string, result: string | undefined): boolean {
  if (EXECUTING.has(name)) return true;
  if (name !== 'commandStep' || result === undefined) return false;
  try {
    const output = JSON.parse(result) as { executed?: unknown } | null;
    return typeof output === 'object' && output !== null && output.executed !== undefined;
  } catch {
    return false;
  }
}

/** The history up to the first timer created after the execution completed, and the rest. */
function split(texts: string[]): [string[], string[]] {
  const events = texts.map((text) => JSON.parse(text) as HistoryRow);
  const names = new Map<number, string>();
  let executed = false;
  for (const [index, event] of events.entries()) {
    if (event.EventType === EVENT.TaskScheduled) names.set(event.EventId, event.Name ?? '');
    if (event.EventType === EVENT.TaskCompleted && executes(names.get(event.TaskScheduledId ?? -1) ?? '', event.Result))
      executed = true;
    if (executed && event.EventType === EVENT.TimerCreated) {
      // The episode that created the timer starts the follow-up's share.
      let start = index;
      while (start > 0 && events[start]!.EventType !== EVENT.OrchestratorStarted) start--;
      return [texts.slice(0, start), texts.slice(start)];
    }
  }
  return [texts, []];
}

function count(texts: string[]): Counts {
  const counts: Counts = { episodes: 0, activities: 0, byName: {}, events: texts.length, bytes: 0 };
  for (const text of texts) {
    counts.bytes += Buffer.byteLength(text);
    const event = JSON.parse(text) as HistoryRow;
    if (event.EventType === EVENT.OrchestratorStarted) counts.episodes++;
    if (event.EventType === EVENT.TaskScheduled) {
      counts.activities++;
      const name = event.Name ?? '?';
      counts.byName[name] = (counts.byName[name] ?? 0) + 1;
    }
  }
  return counts;
}

function report(title: string, all: Counts[]): void {
  const names = [...new Set(all.flatMap((counts) => Object.keys(counts.byName)))].sort();
  const med = (pick: (counts: Counts) => number) => median(all.map(pick));
  console.log(
    `${title}, median of ${all.length}: ${med((c) => c.episodes)} episodes, ${med((c) => c.activities)} activities (` +
      names.map((name) => `${name} ${med((c) => c.byName[name] ?? 0)}`).join(', ') +
      `), ${med((c) => c.events)} history events, ${(med((c) => c.bytes) / 1024).toFixed(1)} KB`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
