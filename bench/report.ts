import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENDPOINTS } from './api';
import type { ApiLifecycleRun } from './apiLifecycle';
import type { CosmosResult } from './cosmos';
import { BULK_DEVICES, type ExecutorResult } from './executor';
import type { LatencyRun } from './latency';
import type { MemoryResult } from './memory';
import type { ReceivedResult } from './received';
import type { StartupResult } from './startup';
import { median, round } from './stats';
import type { ThroughputRun } from './throughput';
import type { RaisePath } from './workload';

/** A target a figure must meet. */
export interface Bar {
  op: '<=' | '>=';
  limit: number;
}

/** One line of the final table. */
export interface Row {
  metric: string;
  unit: string;
  bar?: Bar;
  median: number;
  runs: number[];
  /** Undefined when the metric has no bar. */
  pass?: boolean;
  /** Decimals to print. */
  digits: number;
}

const LATENCY_P50: Bar = { op: '<=', limit: 4 };
const LATENCY_P99: Bar = { op: '<=', limit: 10 };
const THROUGHPUT: Bar = { op: '>=', limit: 300 };
const THROUGHPUT_STRETCH: Bar = { op: '>=', limit: 500 };
const MEMORY: Bar = { op: '<=', limit: 2 };
const STARTUP: Bar = { op: '<=', limit: 1000 };
const API_LIFECYCLES: Bar = { op: '>=', limit: 150 };
const API_LIFECYCLES_STRETCH: Bar = { op: '>=', limit: 250 };
/** The API p99 bar holds at the lifecycle bar's load. */
const API_P99_LOAD = 150;
const API_CALL_P99: Bar = { op: '<=', limit: 50 };
const RECEIVED_P99: Bar = { op: '<=', limit: 40 };
const COSMOS_RU: Bar = { op: '<=', limit: 40 };
const AZURE_EXECUTIONS: Bar = { op: '<=', limit: 12 };
const AZURE_TRANSACTIONS: Bar = { op: '<=', limit: 55 };

/** A table row whose median is taken over `runs`. */
export function row(metric: string, unit: string, runs: number[], digits: number, bar?: Bar): Row {
  const value = median(runs);
  const pass =
    bar === undefined || Number.isNaN(value) ? undefined : bar.op === '<=' ? value <= bar.limit : value >= bar.limit;
  return {
    metric,
    unit,
    runs,
    digits,
    median: value,
    ...(bar ? { bar } : {}),
    ...(pass === undefined ? {} : { pass }),
  };
}

/** Rows of the event-to-reaction benchmark: p50 and p99 per raise path, warm and after idle. */
export function latencyRows(runs: LatencyRun[]): Row[] {
  const rows: Row[] = [];
  const paths: [RaisePath, string][] = [
    ['webhook', 'raiseEvent webhook'],
    ['client', 'app DurableClient'],
  ];
  for (const phase of ['warm', 'idle'] as const) {
    for (const [path, label] of paths) {
      rows.push(
        row(
          `event→reaction ${phase}, ${label}, p50`,
          'ms',
          runs.map((run) => run[phase][path].p50),
          2,
          LATENCY_P50,
        ),
      );
      rows.push(
        row(
          `event→reaction ${phase}, ${label}, p99`,
          'ms',
          runs.map((run) => run[phase][path].p99),
          2,
          LATENCY_P99,
        ),
      );
    }
  }
  rows.push(
    row(
      'event→reaction, first raise after idle',
      'ms',
      runs.map((run) => run.firstAfterIdle.ms),
      2,
    ),
  );
  return rows;
}

/** Rows of the throughput benchmark. */
export function throughputRows(runs: ThroughputRun[]): Row[] {
  const perSecond = runs.map((run) => run.perSecond);
  return [
    row('throughput, lifecycles/s', '/s', perSecond, 1, THROUGHPUT),
    row('throughput, lifecycles/s (stretch)', '/s', perSecond, 1, THROUGHPUT_STRETCH),
    row(
      'start call p50',
      'ms',
      runs.map((run) => run.start.p50),
      2,
    ),
    row(
      'start call p99',
      'ms',
      runs.map((run) => run.start.p99),
      2,
    ),
    row(
      `raise call (${runs[0]?.raisePath ?? '?'}) p50`,
      'ms',
      runs.map((run) => run.raise.p50),
      2,
    ),
    row(
      `raise call (${runs[0]?.raisePath ?? '?'}) p99`,
      'ms',
      runs.map((run) => run.raise.p99),
      2,
    ),
    row(
      'lifecycle, start to completion seen, p50',
      'ms',
      runs.map((run) => run.lifecycle.p50),
      2,
    ),
  ];
}

/** Rows of the memory benchmark. */
export function memoryRows(result: MemoryResult): Row[] {
  return [
    row(`RSS per waiting instance (${result.waiting})`, 'KB', [result.perInstanceKb], 3, MEMORY),
    row('RSS before starting them', 'MB', [result.before.rssKb / 1024], 1),
    row('RSS with all of them waiting', 'MB', [result.after.rssKb / 1024], 1),
  ];
}

/** Rows of the start-up benchmark, per app. */
export function startupRows(results: StartupResult[]): Row[] {
  return results.flatMap((result) => [
    row(`start-up ${result.app}, spawn→ready`, 'ms', result.wallMs, 0, STARTUP),
    row(`start-up ${result.app}, runtime's figure`, 'ms', result.reportedMs, 0, STARTUP),
  ]);
}

/** Rows of the API lifecycle benchmark: throughput, latency over all calls, p99 per endpoint. */
export function apiLifecycleRows(runs: ApiLifecycleRun[]): Row[] {
  const endpoints = ENDPOINTS.filter((endpoint) => runs.some((run) => run.endpoints[endpoint].n > 0));
  return [
    row(
      'API lifecycles/s (submit→approve→complete)',
      '/s',
      runs.map((run) => run.perSecond),
      1,
      API_LIFECYCLES,
    ),
    row(
      'API lifecycles/s (stretch)',
      '/s',
      runs.map((run) => run.perSecond),
      1,
      API_LIFECYCLES_STRETCH,
    ),
    row(
      'API call latency, all calls, p50',
      'ms',
      runs.map((run) => run.calls.p50),
      2,
    ),
    row(
      'API call latency, all calls, p99',
      'ms',
      runs.map((run) => run.calls.p99),
      2,
      // Closed loop: the clients keep the service saturated, so this is the p99 at its capacity;
      // the bar is read on the paced batch at its load (below).
    ),
    ...endpoints.map((endpoint) =>
      row(
        `API ${endpoint} p99`,
        'ms',
        runs.map((run) => run.endpoints[endpoint].p99),
        2,
      ),
    ),
    row(
      'API lifecycle, submit to execution seen, p50',
      'ms',
      runs.map((run) => run.lifecycle.p50),
      1,
    ),
    row(
      'API lifecycle, runtime CPU time each',
      'ms',
      runs.map((run) => run.runtimeCpuMsPerLifecycle),
      1,
    ),
    ...pacedRates(runs).flatMap((rate) => {
      const at = runs.flatMap((run) => run.paced.filter((paced) => paced.rate === rate));
      return [
        row(
          `API paced ${rate}/s, lifecycles/s done`,
          '/s',
          at.map((paced) => paced.perSecond),
          1,
        ),
        row(
          `API paced ${rate}/s, all calls p50`,
          'ms',
          at.map((paced) => paced.calls.p50),
          2,
        ),
        row(
          `API paced ${rate}/s, all calls p99`,
          'ms',
          at.map((paced) => paced.calls.p99),
          2,
          rate >= API_P99_LOAD ? API_CALL_P99 : undefined,
        ),
        row(
          `API paced ${rate}/s, lifecycle p50`,
          'ms',
          at.map((paced) => paced.lifecycle.p50),
          1,
        ),
      ];
    }),
  ];
}

function pacedRates(runs: ApiLifecycleRun[]): number[] {
  return [...new Set(runs.flatMap((run) => run.paced.map((paced) => paced.rate)))];
}

/** Rows of the list-view benchmark: p50 and p99 per view, and the seeding. */
export function receivedRows(result: ReceivedResult): Row[] {
  const views = result.views.flatMap((view) => [
    row(`${view.name} list, ${result.openRequests} open, p50`, 'ms', [view.latency.p50], 2),
    row(
      `${view.name} list, ${result.openRequests} open, p99`,
      'ms',
      [view.latency.p99],
      2,
      view.user === 'carol' ? RECEIVED_P99 : undefined,
    ),
  ]);
  return [
    ...views,
    row(`seeding ${result.openRequests} open requests through the API`, 's', [result.seedMs / 1000], 1),
    row('seeding rate', '/s', [result.seedPerSecond], 0),
    row('seeding submit p99', 'ms', [result.submit.p99], 2),
  ];
}

/** Rows of the Cosmos DB operation count and modelled request charge. */
export function cosmosRows(result: CosmosResult): Row[] {
  return [
    row('Cosmos RU per lifecycle (MODELLED)', 'RU', [result.modelledRu], 1, COSMOS_RU),
    row('Cosmos item calls per lifecycle', 'calls', [result.itemCalls], 0),
    ...result.azure
      .filter((model) => model.approvals === 1)
      .flatMap((model) => [
        row('Functions executions per lifecycle (MODELLED)', 'executions', [model.executions], 0, AZURE_EXECUTIONS),
        row(
          'Azure Storage transactions per lifecycle (MODELLED)',
          'transactions',
          [model.storageTransactions],
          0,
          AZURE_TRANSACTIONS,
        ),
      ]),
  ];
}

/**
 * Rows of the executor benchmark: completion to the Graph write, Graph calls per kind of operation
 * (the runs are the catalogue's operations of that kind), and lifecycles per second with the Graph
 * executor next to the `none` executor, with their ratio per round. The issue sets no bar yet.
 */
export function executorRows(result: ExecutorResult): Row[] {
  const actions = [...new Set(result.callsPerOperation.map((entry) => entry.action))].sort();
  return [
    row('completion→Graph write (local), p50', 'ms', [result.completionToWrite.p50], 1),
    row('completion→Graph write (local), p99', 'ms', [result.completionToWrite.p99], 1),
    ...actions.map((action) =>
      row(
        `Graph calls per ${action} (reads + writes)`,
        'calls',
        result.callsPerOperation.filter((entry) => entry.action === action).map((entry) => entry.reads + entry.writes),
        1,
      ),
    ),
    row(
      `bulk retire of ${BULK_DEVICES}: complete→last device's retire`,
      'ms',
      result.bulk.map((run) => run.toLastWriteMs),
      0,
    ),
    row(
      `bulk retire of ${BULK_DEVICES}: between devices`,
      'ms',
      result.bulk.map((run) => run.perDeviceMs),
      1,
    ),
    row(
      'API lifecycles/s, Graph executor',
      '/s',
      result.rounds.map((round) => round.graph),
      1,
    ),
    row(
      'API lifecycles/s, none executor',
      '/s',
      result.rounds.map((round) => round.none),
      1,
    ),
    row(
      'API lifecycles/s, Graph ÷ none',
      '×',
      result.rounds.map((round) => round.graph / round.none),
      2,
    ),
  ];
}

/** The final table: metric | bar | median | runs | pass/fail. */
export function formatTable(rows: Row[]): string {
  const header = ['metric', 'bar', 'median', 'runs', 'pass/fail'];
  const cells = rows.map((r) => [
    r.metric,
    r.bar ? `${r.bar.op} ${r.bar.limit} ${r.unit}` : '—',
    `${format(r.median, r.digits)} ${r.unit}`,
    r.runs.map((value) => format(value, r.digits)).join(', '),
    r.pass === undefined ? '—' : r.pass ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const render = (line: string[]) => `| ${line.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [render(header), rule, ...cells.map(render)].join('\n');
}

/** Writes `data` to `<dir>/<timestamp>.json` and returns the file's path. */
export function writeResults(dir: string, startedAt: Date, data: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, roundNumbers, 2)}\n`);
  return file;
}

function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? round(value, 4) : value;
}

function format(value: number, digits: number): string {
  return Number.isNaN(value) ? '—' : value.toFixed(digits);
}
