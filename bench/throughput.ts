import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import type { BenchConfig } from './config';
import type { HttpClient } from './httpClient';
import { fixtureDir, withRuntime } from './runtimeProcess';
import { summarize, type Summary } from './stats';
import { expectedOutput, raiseDecision, startLifecycle, waitUntilFinished, type RaisePath } from './workload';

/** A lifecycle that did not end with the expected output. */
export interface LifecycleFailure {
  id: string;
  problem: string;
}

/** Raw figures of a batch of full lifecycles. */
export interface LifecycleBatch {
  /** From the first start request to the last completion seen. */
  wallMs: number;
  startMs: number[];
  raiseMs: number[];
  lifecycleMs: number[];
  failures: LifecycleFailure[];
}

/** Figures of one throughput run. */
export interface ThroughputRun {
  lifecycles: number;
  concurrency: number;
  raisePath: RaisePath;
  wallMs: number;
  perSecond: number;
  start: Summary;
  raise: Summary;
  lifecycle: Summary;
  failures: number;
  /** The first few failures, verbatim. */
  failureExamples: LifecycleFailure[];
}

type Log = (line: string) => void;

const FAILURE_EXAMPLES = 10;

/** Throughput: full lifecycles driven by concurrent clients against a fresh runtime, once per run. */
export async function benchThroughput(config: BenchConfig, log: Log): Promise<ThroughputRun[]> {
  const runs: ThroughputRun[] = [];
  for (let run = 0; run < config.runs; run++) {
    const result = await withRuntime(fixtureDir, async (runtime) => {
      const client = runtime.client(config.concurrency);
      try {
        const warmup = await runLifecycles(
          client,
          'warmup',
          config.throughputWarmup,
          config.concurrency,
          config.throughputRaise,
        );
        const batch = await runLifecycles(client, 'tp', config.lifecycles, config.concurrency, config.throughputRaise);
        return toRun(config, { ...batch, failures: [...warmup.failures, ...batch.failures] });
      } finally {
        client.close();
      }
    });
    runs.push(result);
    log(
      `  run ${run + 1}: ${result.perSecond.toFixed(1)} lifecycles/s (${result.lifecycles} in ${(result.wallMs / 1000).toFixed(2)} s); ` +
        `start p50 ${result.start.p50.toFixed(2)} / p99 ${result.start.p99.toFixed(2)} ms; ` +
        `raise p50 ${result.raise.p50.toFixed(2)} / p99 ${result.raise.p99.toFixed(2)} ms; failures ${result.failures}`,
    );
    for (const failure of result.failureExamples) log(`    FAILED ${failure.id}: ${failure.problem}`);
  }
  return runs;
}

/**
 * Runs `count` lifecycles (start, raise, poll until finished, check the output) with `concurrency`
 * clients; instance ids are `<prefix>-<n>`.
 */
export async function runLifecycles(
  client: HttpClient,
  prefix: string,
  count: number,
  concurrency: number,
  raisePath: RaisePath,
): Promise<LifecycleBatch> {
  const batch: LifecycleBatch = { wallMs: 0, startMs: [], raiseMs: [], lifecycleMs: [], failures: [] };
  if (count === 0) return batch;
  let next = 0;
  let lastDone = 0;
  const began = performance.now();
  const worker = async () => {
    while (next < count) {
      const seq = next++;
      const id = `${prefix}-${seq}`;
      try {
        await lifecycle(client, id, seq, raisePath, batch);
      } catch (error) {
        batch.failures.push({ id, problem: error instanceof Error ? error.message : String(error) });
      }
      lastDone = Math.max(lastDone, performance.now());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  batch.wallMs = lastDone - began;
  return batch;
}

async function lifecycle(
  client: HttpClient,
  id: string,
  seq: number,
  raisePath: RaisePath,
  batch: LifecycleBatch,
): Promise<void> {
  const decision = { approved: seq % 2 === 0, seq };
  const began = performance.now();
  await startLifecycle(client, id);
  const started = performance.now();
  // Usually lands before the orchestrator waits for it: the runtime buffers it, as Durable does.
  await raiseDecision(client, id, raisePath, decision);
  const raised = performance.now();
  const status = await waitUntilFinished(client, id);
  batch.startMs.push(started - began);
  batch.raiseMs.push(raised - started);
  batch.lifecycleMs.push(performance.now() - began);
  if (status.runtimeStatus !== 'Completed')
    throw new Error(`ended ${status.runtimeStatus}: ${JSON.stringify(status.output)}`);
  const expected = expectedOutput(id, decision);
  if (!isDeepStrictEqual(status.output, expected)) {
    throw new Error(`wrong output ${JSON.stringify(status.output)}, expected ${JSON.stringify(expected)}`);
  }
}

function toRun(config: BenchConfig, batch: LifecycleBatch): ThroughputRun {
  return {
    lifecycles: config.lifecycles,
    concurrency: config.concurrency,
    raisePath: config.throughputRaise,
    wallMs: batch.wallMs,
    perSecond: config.lifecycles / (batch.wallMs / 1000),
    start: summarize(batch.startMs),
    raise: summarize(batch.raiseMs),
    lifecycle: summarize(batch.lifecycleMs),
    failures: batch.failures.length,
    failureExamples: batch.failures.slice(0, FAILURE_EXAMPLES),
  };
}
