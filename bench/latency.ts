import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchConfig } from './config';
import type { HttpClient } from './httpClient';
import { fixtureDir, withRuntime } from './runtimeProcess';
import { round, summarize, type Summary } from './stats';
import {
  raiseDecision,
  startLifecycle,
  waitForReaction,
  waitUntilWaiting,
  wallClockMs,
  type RaisePath,
} from './workload';

/** Event-to-reaction figures of one run, per raise path. */
export interface LatencyRun {
  warm: Record<RaisePath, Summary>;
  idle: Record<RaisePath, Summary>;
  /** The very first raise after the idle period. */
  firstAfterIdle: { path: RaisePath; ms: number };
  samples: { warm: Record<RaisePath, number[]>; idle: Record<RaisePath, number[]> };
}

type Log = (line: string) => void;

const DECISION = { approved: true };

/**
 * Event to reaction: the time from a raise call's response arriving to the orchestrator's next
 * activity starting, warm and right after an idle period, through both raise paths.
 */
export async function benchLatency(config: BenchConfig, log: Log): Promise<LatencyRun[]> {
  const runs: LatencyRun[] = [];
  for (let run = 0; run < config.runs; run++) {
    // Alternating the order between runs gives each path its turn at the first raise after idle.
    const order: RaisePath[] = run % 2 === 0 ? ['webhook', 'client'] : ['client', 'webhook'];
    const result = await withRuntime(fixtureDir, (runtime) => measureRun(runtime.client(4), config, order, log));
    runs.push(result);
    log(`  run ${run + 1}: ${describeRun(result)}`);
  }
  return runs;
}

async function measureRun(client: HttpClient, config: BenchConfig, order: RaisePath[], log: Log): Promise<LatencyRun> {
  try {
    let seq = 0;
    const nextId = (tag: string) => `latency-${tag}-${seq++}`;
    for (let i = 0; i < config.latencyWarmup; i++)
      await sample(client, nextId('warmup'), order[i % 2]!, config.latencySettleMs);

    const warm: Record<RaisePath, number[]> = { webhook: [], client: [] };
    for (let i = 0; i < config.latencySamples; i++) {
      for (const path of order) warm[path].push(await sample(client, nextId('warm'), path, config.latencySettleMs));
    }

    // Instances for the idle phase wait before the pause, so the first raise after it is the first request.
    const prepared: { id: string; path: RaisePath }[] = [];
    for (let i = 0; i < config.idleSamples; i++) {
      for (const path of order) {
        const id = nextId('idle');
        await startLifecycle(client, id);
        prepared.push({ id, path });
      }
    }
    for (const { id } of prepared) await waitUntilWaiting(client, id);
    log(`    idling ${config.idleSeconds} s`);
    await sleep(config.idleSeconds * 1000);
    const idle: Record<RaisePath, number[]> = { webhook: [], client: [] };
    for (const { id, path } of prepared) idle[path].push(await raiseAndReact(client, id, path));

    const first = prepared[0]!;
    return {
      warm: { webhook: summarize(warm.webhook), client: summarize(warm.client) },
      idle: { webhook: summarize(idle.webhook), client: summarize(idle.client) },
      firstAfterIdle: { path: first.path, ms: idle[first.path][0]! },
      samples: { warm: roundAll(warm), idle: roundAll(idle) },
    };
  } finally {
    client.close();
  }
}

/** One sample: start an instance, wait until it waits for the event, settle, raise, measure. */
async function sample(client: HttpClient, id: string, path: RaisePath, settleMs: number): Promise<number> {
  await startLifecycle(client, id);
  await waitUntilWaiting(client, id);
  if (settleMs > 0) await sleep(settleMs);
  return raiseAndReact(client, id, path);
}

async function raiseAndReact(client: HttpClient, id: string, path: RaisePath): Promise<number> {
  await raiseDecision(client, id, path, DECISION);
  const raisedAt = wallClockMs();
  const reactedAt = await waitForReaction(client, id);
  // May be slightly negative: the reaction can start before the raise response reaches us.
  return reactedAt - raisedAt;
}

function roundAll(samples: Record<RaisePath, number[]>): Record<RaisePath, number[]> {
  return { webhook: samples.webhook.map((ms) => round(ms)), client: samples.client.map((ms) => round(ms)) };
}

function describeRun(run: LatencyRun): string {
  const part = (label: string, summary: Summary) =>
    `${label} p50 ${summary.p50.toFixed(2)} / p99 ${summary.p99.toFixed(2)} ms`;
  return [
    part('webhook warm', run.warm.webhook),
    part('client warm', run.warm.client),
    part('webhook idle', run.idle.webhook),
    part('client idle', run.idle.client),
    `first after idle (${run.firstAfterIdle.path}) ${run.firstAfterIdle.ms.toFixed(2)} ms`,
  ].join('; ');
}
