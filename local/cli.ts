#!/usr/bin/env node
import path from 'node:path';
import { AppLoadError, applyLocalSettings } from './host/appLoader';
import { LocalRuntime } from './runtime';
import { runtimeSettingsFromEnv } from './runtimeSettings';

/**
 * `npm start`: runs the built app in the offline runtime. The app directory is the working
 * directory (or MAA_APP_DIR); PORT, MAA_DATA_DIR and MAA_LOCAL_CLOCK configure the runtime.
 */
async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const appDir = path.resolve(process.env.MAA_APP_DIR ?? process.cwd());
  process.chdir(appDir);
  applyLocalSettings(appDir, process.env);
  const runtime = new LocalRuntime(runtimeSettingsFromEnv(process.env, appDir));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down\n`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        runtime.log.error('host', `shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  await runtime.start();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${runtime.banner()}\n`);
  process.stdout.write(`ready at ${runtime.url} (${ms.toFixed(0)} ms)\n`);
}

main().catch((error: unknown) => {
  if (error instanceof AppLoadError) process.stderr.write(`error: ${error.message}\n`);
  else process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
