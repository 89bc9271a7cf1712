import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './runtime';

/**
 * Runs the built `npm run audit:verify` script with `env` on top of the test's environment, minus
 * `MAA_APP_KEY` and `MAA_DATA_DIR` unless `env` sets them. Asynchronously: a Cosmos test server
 * answers from the test's own process.
 */
export async function runAuditVerify(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number | null; out: string }> {
  const { MAA_APP_KEY: _key, MAA_DATA_DIR: _dir, ...inherited } = process.env;
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'auditVerify.js'), ...args], {
    env: { ...inherited, ...env },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}
