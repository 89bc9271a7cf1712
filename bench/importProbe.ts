import path from 'node:path';
import { findEntryPoints, loadEntryPoints } from '../local/host/appLoader';
import { FunctionsCore } from '../local/host/functionsCore';

/**
 * `node dist/bench/importProbe.js <appDir>`: loads an app's entry points the way the Node worker
 * does (the `main` of its package.json, with `@azure/functions-core` provided by the local
 * runtime's stand-in for the worker), in this fresh process, and prints one JSON line: the wall
 * and CPU time of loading them and the functions they registered.
 */
async function main(): Promise<void> {
  const appDir = path.resolve(process.argv[2] ?? '.');
  const core = new FunctionsCore(() => undefined);
  core.installRequireHook();
  const files = findEntryPoints(appDir);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await loadEntryPoints(core, appDir, files);
  const importMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const functions = [...core.functions.values()].map((fn) => fn.metadata.name).sort();
  process.stdout.write(
    `${JSON.stringify({ importMs, cpuMs: (cpu.user + cpu.system) / 1000, entryPoints: files.length, functions })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
