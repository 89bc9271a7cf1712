import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchConfig } from './config';
import type { HttpClient } from './httpClient';
import { fixtureDir, withRuntime, type ProcessMemory, type RuntimeHandle } from './runtimeProcess';
import { runLifecycles, type LifecycleFailure } from './throughput';
import { isWaiting, readStatus, routes } from './workload';

/** Figures of the memory benchmark. */
export interface MemoryResult {
  waiting: number;
  before: ProcessMemory;
  after: ProcessMemory;
  /** (RSS after - RSS before) / waiting instances. */
  perInstanceKb: number;
  startSeconds: number;
  startsPerSecond: number;
  /** From the last start answered to no instance being Pending. */
  drainSeconds: number;
  /** From the last start answered to the runtime being quiet with the sample all waiting. */
  settleSeconds: number;
  /** Whether the runtime went quiet (no CPU, no writes) before each reading (else it was read anyway). */
  quietBefore: boolean;
  quietAfter: boolean;
  /** Randomly chosen instances confirmed to be waiting for their event. */
  verified: number;
  warmupFailures: LifecycleFailure[];
}

type Log = (line: string) => void;

const WARMUP_LIFECYCLES = 200;
const VERIFY_SAMPLE = 200;
const QUIET_WINDOWS = 3;
const QUIET_TIMEOUT_MS = 120_000;
// /proc reports CPU time in clock ticks, 100 per second on Linux: 3 ticks a second is 3 % of a core.
const QUIET_TICKS_PER_SECOND = 3;

/** Memory: resident memory per instance waiting for an event (with a 30-day timer) on a fresh runtime. */
export async function benchMemory(config: BenchConfig, log: Log): Promise<MemoryResult> {
  return withRuntime(fixtureDir, async (runtime) => {
    const client = runtime.client(config.starters);
    try {
      return await measure(runtime, client, config, log);
    } finally {
      client.close();
    }
  });
}

async function measure(
  runtime: RuntimeHandle,
  client: HttpClient,
  config: BenchConfig,
  log: Log,
): Promise<MemoryResult> {
  // Warm the code paths first, so JIT and first-use allocations do not count as per-instance memory.
  const warmup = await runLifecycles(client, 'warmup', WARMUP_LIFECYCLES, 20, 'webhook');
  const quietBefore = await waitForQuiet(runtime);
  await sleep(config.settleMs);
  const before = runtime.memory();
  log(`  before: RSS ${before.rssKb} KB; starting ${config.waiting} waiting instances with ${config.starters} clients`);

  const began = performance.now();
  await startAll(client, config.waiting, config.starters, log);
  const started = performance.now();
  const deadline = started + Math.max(300_000, config.waiting * 10);
  await waitUntilNonePending(client, deadline);
  const drained = performance.now();
  log(`    none Pending ${((drained - started) / 1000).toFixed(1)} s after the last start`);
  const { quiet: quietAfter, verified } = await waitUntilAllWaiting(runtime, client, config.waiting, deadline);
  const settled = performance.now();
  await sleep(config.settleMs);
  const after = runtime.memory();

  return {
    waiting: config.waiting,
    before,
    after,
    perInstanceKb: (after.rssKb - before.rssKb) / config.waiting,
    startSeconds: (started - began) / 1000,
    startsPerSecond: config.waiting / ((started - began) / 1000),
    drainSeconds: (drained - started) / 1000,
    settleSeconds: (settled - started) / 1000,
    quietBefore,
    quietAfter,
    verified,
    warmupFailures: warmup.failures,
  };
}

/** Starts `count` instances through the start webhook with `concurrency` keep-alive clients. */
async function startAll(client: HttpClient, count: number, concurrency: number, log: Log): Promise<void> {
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.ceil(count / 10));
  const began = performance.now();
  const worker = async () => {
    while (next < count) {
      const id = `waiting-${next++}`;
      await client.expect('POST', routes.webhookStart(id), [202], { at: Date.now() });
      done++;
      if (done % step === 0) log(`    ${done}/${count} started (${((performance.now() - began) / 1000).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function waitUntilNonePending(client: HttpClient, deadline: number): Promise<void> {
  for (;;) {
    const response = await client.expect('GET', routes.pendingQuery, [200]);
    if ((JSON.parse(response.body) as unknown[]).length === 0) return;
    if (performance.now() > deadline) throw new Error('instances still Pending at the deadline');
    await sleep(500);
  }
}

/**
 * No Pending instance does not yet mean all of them wait: first activities and their results may
 * still be queued. Waits until the runtime is quiet and a random sample of instances all wait.
 */
async function waitUntilAllWaiting(
  runtime: RuntimeHandle,
  client: HttpClient,
  count: number,
  deadline: number,
): Promise<{ quiet: boolean; verified: number }> {
  for (;;) {
    const quiet = await waitForQuiet(runtime, deadline);
    const laggard = await findNotWaiting(client, count);
    if (laggard === undefined) return { quiet, verified: Math.min(VERIFY_SAMPLE, count) };
    if (performance.now() > deadline)
      throw new Error(`instance ${laggard.id} is still not waiting for its event at the deadline: ${laggard.status}`);
  }
}

/**
 * Waits for the runtime to be quiet: QUIET_WINDOWS consecutive seconds with next to no CPU and no
 * write system calls. False if it never was before the deadline.
 */
export async function waitForQuiet(
  runtime: RuntimeHandle,
  deadline = performance.now() + QUIET_TIMEOUT_MS,
): Promise<boolean> {
  let windows = 0;
  while (windows < QUIET_WINDOWS) {
    if (performance.now() > deadline) return false;
    const ticks = runtime.cpuTicks();
    const writes = runtime.writeCalls();
    await sleep(1000);
    // A thread stuck in a long fsync uses no CPU either, hence several windows in a row.
    const quiet = runtime.cpuTicks() - ticks <= QUIET_TICKS_PER_SECOND && runtime.writeCalls() === writes;
    windows = quiet ? windows + 1 : 0;
  }
  return true;
}

async function findNotWaiting(client: HttpClient, count: number): Promise<{ id: string; status: string } | undefined> {
  for (let i = 0; i < Math.min(VERIFY_SAMPLE, count); i++) {
    const id = `waiting-${Math.floor(Math.random() * count)}`;
    const status = await readStatus(client, id, 'showHistory=true&showInput=false');
    if (!isWaiting(status)) return { id, status: JSON.stringify(status).slice(0, 500) };
  }
  return undefined;
}
