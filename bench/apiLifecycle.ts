import { performance } from 'node:perf_hooks';
import {
  AppApi,
  bootstrapWipePolicy,
  checkLifecycleAudit,
  emptyCallTimes,
  enrolDevices,
  ENDPOINTS,
  wipeLifecycle,
  type CallTimes,
  type Endpoint,
} from './api';
import type { BenchConfig } from './config';
import type { HttpClient } from './httpClient';
import { repoRoot, withRuntime, type RuntimeHandle } from './runtimeProcess';
import { summarize, type Summary } from './stats';
import type { LifecycleFailure } from './throughput';

/** Figures of one `lifecycle` run: approval lifecycles through the app's API on the SQLite store. */
export interface ApiLifecycleRun {
  lifecycles: number;
  concurrency: number;
  /** From the first submit to the last lifecycle seen done. */
  wallMs: number;
  perSecond: number;
  /** Every timed API call but the long-polls (submit, approve, complete, reads); a long-poll lasts until the request gets there. */
  calls: Summary;
  /** Per endpoint; `list` stays empty here. */
  endpoints: Record<Endpoint, Summary>;
  /** Submit to the client seeing the execution recorded. */
  lifecycle: Summary;
  /** Reads of the request per lifecycle by the client that waits for its execution (plain reads and long-polls), on average. */
  pollsPerLifecycle: number;
  /** CPU time the runtime process spent per timed lifecycle (user + system). */
  runtimeCpuMsPerLifecycle: number;
  /** Share of the timed batch's wall time the runtime spent on a CPU (1 = one core busy all along). */
  runtimeCpuShare: number;
  /** CPU time the harness itself spent per timed lifecycle. */
  harnessCpuMsPerLifecycle: number;
  /** Lifecycles whose audit trail was read back and checked after the timed batch. */
  auditsChecked: number;
  failures: number;
  failureExamples: LifecycleFailure[];
}

type Log = (line: string) => void;

interface Batch {
  wallMs: number;
  times: CallTimes;
  lifecycleMs: number[];
  done: string[];
  failures: LifecycleFailure[];
}

const FAILURE_EXAMPLES = 10;
const AUDIT_SAMPLE = 20;
// /proc reports CPU time in clock ticks, 100 per second on Linux.
const MS_PER_TICK = 10;

/** `lifecycle`: full approval lifecycles through the API with concurrent clients, on a fresh runtime per run. */
export async function benchApiLifecycle(config: BenchConfig, log: Log): Promise<ApiLifecycleRun[]> {
  const runs: ApiLifecycleRun[] = [];
  for (let run = 0; run < config.runs; run++) {
    const result = await withRuntime(
      repoRoot,
      async (runtime) => {
        const client = runtime.client(config.concurrency);
        try {
          return await measureRun(runtime, client, config);
        } finally {
          client.close();
        }
      },
      // A run wipes more devices than Intune's 500 a day: the executor would refuse the rest.
      { MAA_DEVICE_ACTION_DAILY_CAPS: 'wipe=999999' },
    );
    runs.push(result);
    log(
      `  run ${run + 1}: ${result.perSecond.toFixed(1)} lifecycles/s (${result.lifecycles} in ${(result.wallMs / 1000).toFixed(2)} s); ` +
        `API calls p50 ${result.calls.p50.toFixed(2)} / p99 ${result.calls.p99.toFixed(2)} ms over ${result.calls.n} calls ` +
        `(${result.pollsPerLifecycle.toFixed(1)} client reads per lifecycle); failures ${result.failures}`,
    );
    log(
      `    runtime CPU ${result.runtimeCpuMsPerLifecycle.toFixed(1)} ms per lifecycle (${(result.runtimeCpuShare * 100).toFixed(0)} % of a core over the batch); ` +
        `harness CPU ${result.harnessCpuMsPerLifecycle.toFixed(1)} ms per lifecycle`,
    );
    log(
      `    p99 by endpoint: ${ENDPOINTS.filter((e) => result.endpoints[e].n > 0)
        .map((e) => `${e} ${result.endpoints[e].p99.toFixed(2)} ms`)
        .join(', ')}`,
    );
    for (const failure of result.failureExamples) log(`    FAILED ${failure.id}: ${failure.problem}`);
  }
  return runs;
}

async function measureRun(runtime: RuntimeHandle, client: HttpClient, config: BenchConfig): Promise<ApiLifecycleRun> {
  const api = await AppApi.connect(client);
  await bootstrapWipePolicy(api);
  const warmup = await runBatch(api, 'warmup', config.apiWarmup, config.concurrency);
  const ticksBefore = runtime.cpuTicks();
  const harnessBefore = process.cpuUsage();
  const batch = await runBatch(api, 'timed', config.apiLifecycles, config.concurrency);
  const runtimeCpuMs = (runtime.cpuTicks() - ticksBefore) * MS_PER_TICK;
  const harness = process.cpuUsage(harnessBefore);
  const failures = [...warmup.failures, ...batch.failures];
  // Read back after the timed batch, so the extra reads do not disturb the figures.
  const sample = pickSample(batch.done, AUDIT_SAMPLE);
  for (const id of sample) {
    await checkLifecycleAudit(api, id).catch((error: unknown) =>
      failures.push({ id, problem: error instanceof Error ? error.message : String(error) }),
    );
  }
  const all = ENDPOINTS.filter((endpoint) => endpoint !== 'wait').flatMap((endpoint) => batch.times[endpoint]);
  return {
    lifecycles: config.apiLifecycles,
    concurrency: config.concurrency,
    wallMs: batch.wallMs,
    perSecond: config.apiLifecycles / (batch.wallMs / 1000),
    calls: summarize(all),
    endpoints: Object.fromEntries(ENDPOINTS.map((endpoint) => [endpoint, summarize(batch.times[endpoint])])) as Record<
      Endpoint,
      Summary
    >,
    lifecycle: summarize(batch.lifecycleMs),
    pollsPerLifecycle: (batch.times.get.length + batch.times.wait.length) / config.apiLifecycles,
    runtimeCpuMsPerLifecycle: runtimeCpuMs / config.apiLifecycles,
    runtimeCpuShare: runtimeCpuMs / batch.wallMs,
    harnessCpuMsPerLifecycle: (harness.user + harness.system) / 1000 / config.apiLifecycles,
    auditsChecked: sample.length,
    failures: failures.length,
    failureExamples: failures.slice(0, FAILURE_EXAMPLES),
  };
}

/**
 * Runs `count` wipe lifecycles with `concurrency` clients, one per device of the local tenant
 * (`<prefix>-<n>`, enrolled before the clock starts).
 */
async function runBatch(api: AppApi, prefix: string, count: number, concurrency: number): Promise<Batch> {
  const batch: Batch = { wallMs: 0, times: emptyCallTimes(), lifecycleMs: [], done: [], failures: [] };
  if (count === 0) return batch;
  const devices = await enrolDevices(api, prefix, count, concurrency);
  const timed = api.timed(batch.times);
  let next = 0;
  let lastDone = 0;
  const began = performance.now();
  const worker = async () => {
    while (next < count) {
      const resourceId = devices[next++]!;
      const start = performance.now();
      try {
        const request = await wipeLifecycle(timed, resourceId);
        batch.lifecycleMs.push(performance.now() - start);
        batch.done.push(request.id);
      } catch (error) {
        batch.failures.push({ id: resourceId, problem: error instanceof Error ? error.message : String(error) });
      }
      lastDone = Math.max(lastDone, performance.now());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  batch.wallMs = lastDone - began;
  return batch;
}

function pickSample(ids: readonly string[], size: number): string[] {
  const step = Math.max(1, Math.floor(ids.length / size));
  return ids.filter((_, i) => i % step === 0).slice(0, size);
}
