import type { RaisePath } from './workload';

/** The benchmark sections, in the order they run. */
export const SECTIONS = [
  'latency',
  'throughput',
  'memory',
  'startup',
  'lifecycle',
  'received',
  'cosmos',
  'executor',
  'package',
] as const;
export type Section = (typeof SECTIONS)[number];

/** Every knob of `npm run bench`, read from `BENCH_*` environment variables. */
export interface BenchConfig {
  sections: Section[];
  /** Repetitions of the latency and throughput sections. */
  runs: number;
  latencyWarmup: number;
  latencySamples: number;
  idleSeconds: number;
  idleSamples: number;
  /** Pause between seeing an instance wait and raising its event, so the runtime is quiet. */
  latencySettleMs: number;
  concurrency: number;
  lifecycles: number;
  throughputWarmup: number;
  throughputRaise: RaisePath;
  waiting: number;
  starters: number;
  settleMs: number;
  startupRuns: number;
  /** Timed approval lifecycles through the app's API per `lifecycle` run. */
  apiLifecycles: number;
  /** Untimed approval lifecycles before each `lifecycle` run. */
  apiWarmup: number;
  /** Arrival rates (lifecycles/s) of the paced batches after each `lifecycle` run's closed loop. */
  apiRates: number[];
  /** How long each paced batch offers lifecycles, in seconds. */
  apiPacedSeconds: number;
  /** Open requests submitted before the list views are timed in `received`. */
  openRequests: number;
  receivedWarmup: number;
  /** Timed list calls per view in `received`. */
  receivedSamples: number;
  /** Fresh-process imports per app in `package`. */
  importRuns: number;
  /** Wipes timed one at a time from completion to the Graph write in `executor`. */
  executorSamples: number;
  /** Lifecycles per batch in `executor`'s Graph-versus-none comparison. */
  executorLifecycles: number;
  /** Alternating Graph and none batch pairs in `executor`. */
  executorRounds: number;
  /** Untimed lifecycles per executor before `executor`'s batches. */
  executorWarmup: number;
}

/** Reads and validates the configuration; throws on a malformed value. */
export function readConfig(env: NodeJS.ProcessEnv): BenchConfig {
  return {
    sections: readSections(env.BENCH_ONLY),
    runs: readInt(env, 'BENCH_RUNS', 3, 1),
    latencyWarmup: readInt(env, 'BENCH_LATENCY_WARMUP', 30, 0),
    latencySamples: readInt(env, 'BENCH_LATENCY_SAMPLES', 300, 1),
    idleSeconds: readInt(env, 'BENCH_IDLE_SECONDS', 60, 0),
    idleSamples: readInt(env, 'BENCH_IDLE_SAMPLES', 30, 1),
    latencySettleMs: readInt(env, 'BENCH_LATENCY_SETTLE_MS', 5, 0),
    concurrency: readInt(env, 'BENCH_CONCURRENCY', 50, 1),
    lifecycles: readInt(env, 'BENCH_LIFECYCLES', 3000, 1),
    throughputWarmup: readInt(env, 'BENCH_THROUGHPUT_WARMUP', 100, 0),
    throughputRaise: readRaisePath(env.BENCH_RAISE),
    waiting: readInt(env, 'BENCH_WAITING', 100_000, 1),
    starters: readInt(env, 'BENCH_STARTERS', 64, 1),
    settleMs: readInt(env, 'BENCH_SETTLE_MS', 2000, 0),
    startupRuns: readInt(env, 'BENCH_STARTUP_RUNS', 5, 1),
    apiLifecycles: readInt(env, 'BENCH_API_LIFECYCLES', 2000, 1),
    apiWarmup: readInt(env, 'BENCH_API_WARMUP', 100, 0),
    apiRates: readRates(env.BENCH_API_RATES),
    apiPacedSeconds: readInt(env, 'BENCH_API_PACED_SECONDS', 10, 1),
    openRequests: readInt(env, 'BENCH_OPEN_REQUESTS', 100_000, 1),
    receivedWarmup: readInt(env, 'BENCH_RECEIVED_WARMUP', 30, 0),
    receivedSamples: readInt(env, 'BENCH_RECEIVED_SAMPLES', 300, 1),
    importRuns: readInt(env, 'BENCH_IMPORT_RUNS', 9, 1),
    executorSamples: readInt(env, 'BENCH_EXECUTOR_SAMPLES', 200, 1),
    executorLifecycles: readInt(env, 'BENCH_EXECUTOR_LIFECYCLES', 500, 1),
    executorRounds: readInt(env, 'BENCH_EXECUTOR_ROUNDS', 3, 1),
    executorWarmup: readInt(env, 'BENCH_EXECUTOR_WARMUP', 50, 0),
  };
}

function readSections(value: string | undefined): Section[] {
  if (value === undefined || value.trim() === '') return [...SECTIONS];
  const names = value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
  return SECTIONS.filter((section) => names.includes(section));
}

function readRaisePath(value: string | undefined): RaisePath {
  const path = (value ?? 'client').trim().toLowerCase();
  if (path !== 'client' && path !== 'webhook')
    throw new Error(`BENCH_RAISE must be "client" or "webhook", not "${value}"`);
  return path;
}

/** `BENCH_API_RATES`: comma-separated lifecycles per second (default 50,75,150: the last is the p99 bar's load); `none` for no paced batch. */
function readRates(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return [50, 75, 150];
  if (text.trim() === 'none') return [];
  return text.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isFinite(value) || value <= 0 || value > 1000)
      throw new Error(`BENCH_API_RATES must be rates between 0 and 1000 lifecycles/s (or none), not "${text}"`);
    return value;
  });
}

function readInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, not "${text}"`);
  return value;
}
