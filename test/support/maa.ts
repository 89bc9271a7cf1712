import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './runtime';

/** The built command line (`npm run build` produces it). */
export const maaCli = path.join(repoRoot, 'dist', 'cli', 'maa.js');

export interface MaaResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A `maa` run in progress: what it printed so far, and its result once it exits. */
export interface MaaRun {
  stdout(): string;
  stderr(): string;
  result: Promise<MaaResult>;
}

/**
 * Runs the built `maa` as a child process against `url`, with its credentials in `configDir`, and
 * none of the caller's MAA_* settings leaking in.
 */
export class Maa {
  constructor(
    readonly url: string,
    readonly configDir: string,
  ) {}

  /** The environment a run gets: the test's own, minus its MAA_* settings, plus MAA_URL and MAA_CONFIG_DIR. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MAA_')));
    return { ...env, MAA_URL: this.url, MAA_CONFIG_DIR: this.configDir, ...extra };
  }

  /** Starts `maa <args>`; await `.result` for its exit code and output. */
  start(args: readonly string[], env: Record<string, string> = {}): MaaRun {
    const child = spawn(process.execPath, [maaCli, ...args], { env: this.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const result = new Promise<MaaResult>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    return { stdout: () => stdout, stderr: () => stderr, result };
  }

  /** Runs `maa <args>` to the end. */
  run(args: readonly string[], env: Record<string, string> = {}): Promise<MaaResult> {
    return this.start(args, env).result;
  }
}

/** Resolves once `condition` holds, polling every 25 ms; rejects after `timeoutMs` with `what`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
