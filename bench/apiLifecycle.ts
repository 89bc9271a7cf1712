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
  /** Batches offered at a fixed arrival rate after the closed loop (open loop: a lifecycle starts on time whatever is in flight). */
  paced: PacedRun[];
}

/** One paced batch: lifecycles started at `rate` per second for the configured time. */
export interface PacedRun {
  /** Offered arrival rate, lifecycles/s. */
  rate: number;
  lifecycles: number;
  /** Lifecycles finished per second, from the first start to the last lifecycle seen done. */
  perSecond: number;
  /** Every timed API call but the long-polls, as in the closed loop. */
  calls: Summary;
  endpoints: Record<Endpoint, Summary>;
  lifecycle: Summary;
  /** Most lifecycles in flight at once: the load a client pool of that size would carry. */
  maxInFlight: number;
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
/** A run wipes more devices than Intune's 500 a day: the executor would refuse the rest. */
const LIFTED_CAP = { MAA_DEVICE_ACTION_DAILY_CAPS: 'wipe=999999' };
/** Untimed lifecycles before a paced batch, on its fresh runtime. */
const PACED_WARMUP = 20;
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
      LIFTED_CAP,
    );
    // Each paced batch on a runtime of its own: the executor reads the day's wipe audits before
    // each wipe (the tenant's daily cap), so a batch run after the closed loop would pay for the
    // closed loop's wipes too, which no real tenant reaches (Intune's cap is 500 wipes a day).
    for (const rate of config.apiRates) result.paced.push(await measurePaced(config, rate));
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
    for (const paced of result.paced)
      log(
        `    paced ${paced.rate}/s: ${paced.perSecond.toFixed(1)} lifecycles/s done, API calls p50 ${paced.calls.p50.toFixed(2)} / p99 ${paced.calls.p99.toFixed(2)} ms ` +
          `(${ENDPOINTS.filter((e) => paced.endpoints[e].n > 0)
            .map((e) => `${e} ${paced.endpoints[e].p99.toFixed(2)}`)
            .join(
              ', ',
            )}); lifecycle p50 ${paced.lifecycle.p50.toFixed(1)} ms; up to ${paced.maxInFlight} in flight; failures ${paced.failures}`,
      );
    for (const failure of [...result.failureExamples, ...result.paced.flatMap((paced) => paced.failureExamples)])
      log(`    FAILED ${failure.id}: ${failure.problem}`);
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
  return {
    lifecycles: config.apiLifecycles,
    concurrency: config.concurrency,
    wallMs: batch.wallMs,
    perSecond: config.apiLifecycles / (batch.wallMs / 1000),
    calls: summarize(timedCalls(batch.times)),
    endpoints: summaries(batch.times),
    lifecycle: summarize(batch.lifecycleMs),
    pollsPerLifecycle: (batch.times.get.length + batch.times.wait.length) / config.apiLifecycles,
    runtimeCpuMsPerLifecycle: runtimeCpuMs / config.apiLifecycles,
    runtimeCpuShare: runtimeCpuMs / batch.wallMs,
    harnessCpuMsPerLifecycle: (harness.user + harness.system) / 1000 / config.apiLifecycles,
    auditsChecked: sample.length,
    failures: failures.length,
    failureExamples: failures.slice(0, FAILURE_EXAMPLES),
    paced: [],
  };
}

/** One paced batch at `rate` on a fresh runtime (policy bootstrapped, a short untimed warm-up first). */
async function measurePaced(config: BenchConfig, rate: number): Promise<PacedRun> {
  return withRuntime(
    repoRoot,
    async (runtime) => {
      // Open loop: more lifecycles may be in flight than the closed loop has clients.
      const client = runtime.client(Math.max(config.concurrency, 256));
      try {
        const api = await AppApi.connect(client);
        await bootstrapWipePolicy(api);
        await runBatch(api, 'warmup', PACED_WARMUP, config.concurrency);
        const lifecycles = Math.max(1, Math.round(rate * config.apiPacedSeconds));
        const offered = await runPaced(api, `paced${rate}`, lifecycles, rate, config.concurrency);
        return {
          rate,
          lifecycles,
          perSecond: lifecycles / (offered.wallMs / 1000),
          calls: summarize(timedCalls(offered.times)),
          endpoints: summaries(offered.times),
          lifecycle: summarize(offered.lifecycleMs),
          maxInFlight: offered.maxInFlight,
          failures: offered.failures.length,
          failureExamples: offered.failures.slice(0, FAILURE_EXAMPLES),
        };
      } finally {
        client.close();
      }
    },
    LIFTED_CAP,
  );
}

/** Every timed call but the long-polls (a long-poll lasts until the request gets there). */
function timedCalls(times: CallTimes): number[] {
  return ENDPOINTS.filter((endpoint) => endpoint !== 'wait').flatMap((endpoint) => times[endpoint]);
}

function summaries(times: CallTimes): Record<Endpoint, Summary> {
  return Object.fromEntries(ENDPOINTS.map((endpoint) => [endpoint, summarize(times[endpoint])])) as Record<
    Endpoint,
    Summary
  >;
}

/**
 * Runs `count` wipe lifecycles with `concurrency` clients, one per device of the local tenant
 * (`<prefix>-<n>`, enrolled before the clock starts).
 */
/** One wipe lifecycle of `resourceId`, its duration and request id (or its failure) added to `batch`. */
async function timedLifecycle(api: AppApi, resourceId: string, batch: Batch): Promise<void> {
  const start = performance.now();
  try {
    const request = await wipeLifecycle(api, resourceId);
    batch.lifecycleMs.push(performance.now() - start);
    batch.done.push(request.id);
  } catch (error) {
    batch.failures.push({ id: resourceId, problem: error instanceof Error ? error.message : String(error) });
  }
}

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
      await timedLifecycle(timed, devices[next++]!, batch);
      lastDone = Math.max(lastDone, performance.now());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  batch.wallMs = lastDone - began;
  return batch;
}

/**
 * Offers `count` wipe lifecycles at `rate` per second (open loop): lifecycle i starts at i / rate
 * seconds whatever is still in flight, so latencies show the service at that load rather than the
 * load adjusting to them. Devices are enrolled (`concurrency` at a time) before the clock starts.
 */
async function runPaced(
  api: AppApi,
  prefix: string,
  count: number,
  rate: number,
  concurrency: number,
): Promise<Batch & { maxInFlight: number }> {
  const batch = {
    wallMs: 0,
    times: emptyCallTimes(),
    lifecycleMs: [],
    done: [],
    failures: [],
    maxInFlight: 0,
  } as Batch & {
    maxInFlight: number;
  };
  const devices = await enrolDevices(api, prefix, count, concurrency);
  const timed = api.timed(batch.times);
  let inFlight = 0;
  let lastDone = 0;
  const began = performance.now();
  const lifecycles: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = began + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight += 1;
    batch.maxInFlight = Math.max(batch.maxInFlight, inFlight);
    lifecycles.push(
      timedLifecycle(timed, devices[i]!, batch).then(() => {
        inFlight -= 1;
        lastDone = Math.max(lastDone, performance.now());
      }),
    );
  }
  await Promise.all(lifecycles);
  batch.wallMs = lastDone - began;
  return batch;
}

function pickSample(ids: readonly string[], size: number): string[] {
  const step = Math.max(1, Math.floor(ids.length / size));
  return ids.filter((_, i) => i % step === 0).slice(0, size);
}
