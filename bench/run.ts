import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchApiLifecycle } from './apiLifecycle';
import { benchPackage, packageRows } from './azurePackage';
import { readConfig, type BenchConfig, type Section } from './config';
import { benchCosmos } from './cosmos';
import { benchExecutor } from './executor';
import { benchLatency } from './latency';
import { benchMemory } from './memory';
import { benchReceived } from './received';
import {
  apiLifecycleRows,
  cosmosRows,
  executorRows,
  formatTable,
  latencyRows,
  memoryRows,
  receivedRows,
  startupRows,
  throughputRows,
  writeResults,
  type Row,
} from './report';
import { repoRoot } from './runtimeProcess';
import { benchStartup } from './startup';
import { benchThroughput } from './throughput';

type Log = (line: string) => void;

/** What one section produced: raw data for the JSON file, table rows, and wrong results (harness failures). */
interface SectionOutcome {
  data: unknown;
  rows: Row[];
  problems: string[];
}

const log: Log = (line) => process.stdout.write(`${line}\n`);

async function runSection(section: Section, config: BenchConfig): Promise<SectionOutcome> {
  switch (section) {
    case 'latency': {
      const runs = await benchLatency(config, log);
      return { data: runs, rows: latencyRows(runs), problems: [] };
    }
    case 'throughput': {
      const runs = await benchThroughput(config, log);
      const problems = runs.flatMap((run, i) =>
        run.failures > 0 ? [`throughput run ${i + 1}: ${run.failures} lifecycles failed or gave a wrong output`] : [],
      );
      return { data: runs, rows: throughputRows(runs), problems };
    }
    case 'memory': {
      const result = await benchMemory(config, log);
      log(
        `  after: RSS ${result.after.rssKb} KB (peak ${result.after.hwmKb} KB) => ${result.perInstanceKb.toFixed(3)} KB per waiting instance; ` +
          `starts ${result.startsPerSecond.toFixed(0)}/s; all waiting and quiet ${result.settleSeconds.toFixed(1)} s after the last start` +
          `${result.quietBefore && result.quietAfter ? '' : '; the runtime never went quiet, read anyway'}`,
      );
      const problems = result.warmupFailures.map((failure) => `memory warm-up ${failure.id}: ${failure.problem}`);
      return { data: result, rows: memoryRows(result), problems };
    }
    case 'startup': {
      const results = await benchStartup(config, log);
      return { data: results, rows: startupRows(results), problems: [] };
    }
    case 'lifecycle': {
      const runs = await benchApiLifecycle(config, log);
      const problems = runs.flatMap((run, i) => [
        ...(run.failures > 0
          ? [
              `lifecycle run ${i + 1}: ${run.failures} lifecycles failed or ended wrong; first: ${run.failureExamples[0]?.problem ?? '?'}`,
            ]
          : []),
        ...run.paced
          .filter((paced) => paced.failures > 0)
          .map(
            (paced) =>
              `lifecycle run ${i + 1}, paced ${paced.rate}/s: ${paced.failures} lifecycles failed; first: ${paced.failureExamples[0]?.problem ?? '?'}`,
          ),
      ]);
      return { data: runs, rows: apiLifecycleRows(runs), problems };
    }
    case 'received': {
      const result = await benchReceived(config, log);
      const problems =
        result.failures > 0
          ? [`received: ${result.failures} wrong answers; first: ${result.failureExamples[0] ?? '?'}`]
          : [];
      return { data: result, rows: receivedRows(result), problems };
    }
    case 'cosmos': {
      const result = await benchCosmos(config, log);
      return { data: result, rows: cosmosRows(result), problems: [] };
    }
    case 'executor': {
      const result = await benchExecutor(config, log);
      const problems =
        result.failures.length > 0
          ? [`executor: ${result.failures.length} operations failed or ended wrong; first: ${result.failures[0]}`]
          : [];
      return { data: result, rows: executorRows(result), problems };
    }
    case 'package': {
      const result = await benchPackage(config.importRuns, log);
      return { data: result, rows: packageRows(result), problems: [] };
    }
  }
}

/** `npm run bench`: runs the selected sections, prints the table, writes bench/results/<timestamp>.json. */
async function main(): Promise<number> {
  const config = readConfig(process.env);
  const startedAt = new Date();
  log(`local runtime benchmarks: ${config.sections.join(', ')} (node ${process.version}, ${os.cpus().length} CPUs)`);
  const results: Partial<Record<Section, unknown>> = {};
  const rows: Row[] = [];
  const errors: { section: Section; message: string }[] = [];
  for (const section of config.sections) {
    log(`\n== ${section} ==`);
    const began = performance.now();
    try {
      const outcome = await runSection(section, config);
      results[section] = outcome.data;
      rows.push(...outcome.rows);
      for (const problem of outcome.problems) errors.push({ section, message: problem });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ section, message });
      log(`  ERROR: ${message}`);
    }
    log(`  (${section} took ${((performance.now() - began) / 1000).toFixed(1)} s)`);
  }

  log(`\n${formatTable(rows)}`);
  const file = writeResults(path.join(repoRoot, 'bench', 'results'), startedAt, {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    },
    config,
    table: rows,
    results,
    errors,
  });
  log(`\nresults: ${path.relative(process.cwd(), file)}`);
  if (errors.length === 0) return 0;
  log(`\nharness errors (${errors.length}):`);
  for (const { section, message } of errors) log(`  [${section}] ${message.split('\n')[0]}`);
  return 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
