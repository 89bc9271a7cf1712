import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FUNCTIONS_KEY_HEADER, systemKeyPath } from '../local/durable/systemKey';
import { HttpClient } from './httpClient';

/** Repository root (this file runs from dist/bench). */
export const repoRoot = path.resolve(__dirname, '..', '..');
/** The workload fixture app the latency, throughput and memory benchmarks drive. */
export const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'workload');

const cliPath = path.join(repoRoot, 'dist', 'local', 'cli.js');
const READY = /ready at (http:\/\/\S+) \((\d+) ms\)/;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const OUTPUT_LIMIT = 64 * 1024;

/** Resident and peak memory of a process, in KB. */
export interface ProcessMemory {
  rssKb: number;
  hwmKb: number;
}

/** A local runtime child process, ready to serve. */
export interface RuntimeHandle {
  readonly url: string;
  readonly pid: number;
  /** Wall-clock time from `spawn` to the ready line arriving on stdout. */
  readonly spawnToReadyMs: number;
  /** The runtime's own start-up figure from its ready line. */
  readonly reportedReadyMs: number;
  /** The last part of what the process wrote (stdout and stderr interleaved). */
  output(): string;
  /** `undefined` while running, else how it exited. */
  exitState(): string | undefined;
  memory(): ProcessMemory;
  /** User + system CPU time consumed so far, in clock ticks. */
  cpuTicks(): number;
  /** Write system calls made so far (`syscw` of /proc/<pid>/io). */
  writeCalls(): number;
  /** A keep-alive client for this runtime that presents its Durable system key (the webhooks need it). */
  client(maxSockets: number): HttpClient;
  /** SIGTERM (SIGKILL if it hangs), then removes the data directory. Resolves with the exit code. */
  dispose(): Promise<number | null>;
}

const live = new Set<ChildProcess>();
// A harness that dies mid-run must not leave runtimes behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Spawns `node dist/local/cli.js` in `appDir` over a fresh data directory and waits for its ready
 * line; `env` is added to the child's environment (after the harness's own).
 */
export async function launchRuntime(appDir: string, env: NodeJS.ProcessEnv = {}): Promise<RuntimeHandle> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-bench-'));
  const spawnedAt = performance.now();
  // BENCH_RUNTIME_NODE_ARGS: Node options for the runtime alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_RUNTIME_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, cliPath], {
    cwd: appDir,
    env: {
      ...process.env,
      PORT: '0',
      MAA_DATA_DIR: dataDir,
      MAA_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warning',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString();
    if (log.length > OUTPUT_LIMIT) log = log.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exit: string | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exited with ${code}`;
      live.delete(child);
      resolve(code);
    }),
  );

  const dispose = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const hang = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(hang);
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  };

  let ready: { url: string; reportedMs: number; atMs: number };
  try {
    ready = await waitForReady(child, exited, () => log);
  } catch (error) {
    await dispose();
    throw error;
  }
  const pid = child.pid!;
  return {
    url: ready.url,
    pid,
    spawnToReadyMs: ready.atMs - spawnedAt,
    reportedReadyMs: ready.reportedMs,
    output: () => log,
    exitState: () => exit,
    memory: () => readMemory(pid),
    cpuTicks: () => readCpuTicks(pid),
    writeCalls: () => readWriteCalls(pid),
    client: (maxSockets) =>
      new HttpClient(ready.url, maxSockets, {
        [FUNCTIONS_KEY_HEADER]: readFileSync(systemKeyPath(dataDir), 'utf8').trim(),
      }),
    dispose,
  };
}

/**
 * Launches a runtime (with `env` added to its environment), runs `body` against it, and always
 * disposes of it; failures carry the runtime's output.
 */
export async function withRuntime<T>(
  appDir: string,
  body: (runtime: RuntimeHandle) => Promise<T>,
  env: NodeJS.ProcessEnv = {},
): Promise<T> {
  const runtime = await launchRuntime(appDir, env);
  try {
    return await body(runtime);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const state = runtime.exitState() ?? 'still running';
    throw new Error(`${message}\n  runtime ${state}; its output ends with:\n${indent(runtime.output().slice(-4000))}`);
  } finally {
    await runtime.dispose();
  }
}

function waitForReady(
  child: ChildProcess,
  exited: Promise<number | null>,
  log: () => string,
): Promise<{ url: string; reportedMs: number; atMs: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`runtime not ready after ${READY_TIMEOUT_MS} ms:\n${indent(log())}`)),
      READY_TIMEOUT_MS,
    );
    const onData = () => {
      const match = READY.exec(log());
      if (!match) return;
      const atMs = performance.now();
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ url: match[1]!, reportedMs: Number(match[2]), atMs });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code} before it was ready:\n${indent(log())}`));
    });
  });
}

function readMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

function readCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces: fields are counted from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function readWriteCalls(pid: number): number {
  const match = /^syscw:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!match) throw new Error(`no syscw in /proc/${pid}/io`);
  return Number(match[1]);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    | ${line}`)
    .join('\n');
}
