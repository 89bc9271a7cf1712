import type { BenchConfig } from './config';
import { launchRuntime, repoRoot, fixtureDir } from './runtimeProcess';
import { median } from './stats';

/** Start-up figures of one app. */
export interface StartupResult {
  app: string;
  dir: string;
  /** Spawn to ready line, measured by the harness. */
  wallMs: number[];
  /** The runtime's own figure from its ready line. */
  reportedMs: number[];
  medianWallMs: number;
  medianReportedMs: number;
}

type Log = (line: string) => void;

/** Start-up: spawn-to-ready of the runtime over an already built app, for the repo's app and the fixture. */
export async function benchStartup(config: BenchConfig, log: Log): Promise<StartupResult[]> {
  const apps = [
    { app: 'repo app', dir: repoRoot },
    { app: 'workload fixture', dir: fixtureDir },
  ];
  const results: StartupResult[] = [];
  for (const { app, dir } of apps) {
    const wallMs: number[] = [];
    const reportedMs: number[] = [];
    for (let run = 0; run < config.startupRuns; run++) {
      const runtime = await launchRuntime(dir);
      wallMs.push(runtime.spawnToReadyMs);
      reportedMs.push(runtime.reportedReadyMs);
      const code = await runtime.dispose();
      if (code !== 0) log(`    note: ${app} runtime exited with ${code} on SIGTERM`);
    }
    const result = { app, dir, wallMs, reportedMs, medianWallMs: median(wallMs), medianReportedMs: median(reportedMs) };
    results.push(result);
    log(
      `  ${app}: spawn-to-ready ${wallMs.map((ms) => ms.toFixed(0)).join(', ')} ms (median ${result.medianWallMs.toFixed(0)}); runtime figure ${reportedMs.join(', ')} ms (median ${result.medianReportedMs})`,
    );
  }
  return results;
}
