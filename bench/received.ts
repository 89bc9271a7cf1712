import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppApi, bootstrapWipePolicy, emptyCallTimes, enrolDevices, type RequestPage, type User } from './api';
import type { BenchConfig } from './config';
import type { HttpClient } from './httpClient';
import { waitForQuiet } from './memory';
import { repoRoot, withRuntime, type RuntimeHandle } from './runtimeProcess';
import { summarize, type Summary } from './stats';
import { routes } from './workload';

/** A list view timed by `received`. */
export interface ListView {
  name: string;
  user: User;
  query: string;
  /** Whether the view filters on `status=needsApproval` (then every item must be open). */
  openOnly: boolean;
}

/** Figures of one list view over the seeded requests. */
export interface ListViewResult extends ListView {
  latency: Summary;
  samplesMs: number[];
}

/** Figures of the `received` section. */
export interface ReceivedResult {
  openRequests: number;
  concurrency: number;
  /** From the first submit to the last answered. */
  seedMs: number;
  seedPerSecond: number;
  submit: Summary;
  /** From the last submit answered until no instance was pending and the runtime was quiet. */
  drainMs: number;
  quiet: boolean;
  views: ListViewResult[];
  failures: number;
  failureExamples: string[];
}

type Log = (line: string) => void;

/** The views timed: carol's inbox (the one with a bar) and alice's own requests. */
export const LIST_VIEWS: readonly ListView[] = [
  { name: 'received (carol)', user: 'carol', query: 'view=received&status=needsApproval&top=50', openOnly: true },
  { name: 'mine (alice)', user: 'alice', query: 'view=mine&status=needsApproval&top=50', openOnly: true },
  { name: 'mine, any status (alice)', user: 'alice', query: 'view=mine&top=50', openOnly: false },
];

const PAGE_SIZE = 50;
const FAILURE_EXAMPLES = 10;
const PROGRESS_EVERY_MS = 10_000;
const DRAIN_TIMEOUT_MS = 30 * 60_000;

/** Progress of the seeding, shared by its workers. */
interface Seeding {
  next: number;
  created: number;
  newestCreatedAt: string;
  initiatorId: string;
  failures: string[];
}

/** `received`: list views over many open requests, after submitting them through the API. */
export async function benchReceived(config: BenchConfig, log: Log): Promise<ReceivedResult> {
  return withRuntime(repoRoot, async (runtime) => {
    const client = runtime.client(config.concurrency);
    try {
      return await measure(runtime, client, config, log);
    } finally {
      client.close();
    }
  });
}

async function measure(
  runtime: RuntimeHandle,
  client: HttpClient,
  config: BenchConfig,
  log: Log,
): Promise<ReceivedResult> {
  const api = await AppApi.connect(client);
  await bootstrapWipePolicy(api);
  log(`  enrolling ${config.openRequests} devices in the local tenant`);
  const enrolBegan = performance.now();
  const devices = await enrolDevices(api, 'open', config.openRequests, config.concurrency);
  log(`  enrolled them in ${((performance.now() - enrolBegan) / 1000).toFixed(1)} s`);
  log(`  seeding ${config.openRequests} open requests with ${config.concurrency} clients`);
  const times = emptyCallTimes();
  const began = performance.now();
  const seeding = await seed(api.timed(times), devices, config.openRequests, config.concurrency, log);
  const seedMs = performance.now() - began;
  log(
    `  seeded ${seeding.created} in ${(seedMs / 1000).toFixed(1)} s (${((seeding.created / seedMs) * 1000).toFixed(0)}/s); waiting for the orchestrations to settle`,
  );
  const drainBegan = performance.now();
  const quiet = await drain(runtime, client, drainBegan + DRAIN_TIMEOUT_MS);
  const drainMs = performance.now() - drainBegan;
  log(
    `  settled ${(drainMs / 1000).toFixed(1)} s after the last submit${quiet ? '' : ' (never quiet; measuring anyway)'}`,
  );

  const failures = [...seeding.failures];
  const views = await timeViews(api, config, seeding, failures);
  for (const view of views)
    log(
      `  ${view.name}: p50 ${view.latency.p50.toFixed(2)} / p99 ${view.latency.p99.toFixed(2)} ms (max ${view.latency.max.toFixed(2)}, ${view.latency.n} samples)`,
    );
  for (const failure of failures.slice(0, FAILURE_EXAMPLES)) log(`    FAILED ${failure}`);
  return {
    openRequests: seeding.created,
    concurrency: config.concurrency,
    seedMs,
    seedPerSecond: (seeding.created / seedMs) * 1000,
    submit: summarize(times.submit),
    drainMs,
    quiet,
    views,
    failures: failures.length,
    failureExamples: failures.slice(0, FAILURE_EXAMPLES),
  };
}

/** Submits `count` wipe requests (of `devices`, one each) with `concurrency` clients, printing progress. */
async function seed(
  api: AppApi,
  devices: readonly string[],
  count: number,
  concurrency: number,
  log: Log,
): Promise<Seeding> {
  const seeding: Seeding = { next: 0, created: 0, newestCreatedAt: '', initiatorId: '', failures: [] };
  const began = performance.now();
  const progress = setInterval(() => {
    const seconds = (performance.now() - began) / 1000;
    log(`    ${seeding.created}/${count} after ${seconds.toFixed(0)} s (${(seeding.created / seconds).toFixed(0)}/s)`);
  }, PROGRESS_EVERY_MS);
  const worker = async () => {
    while (seeding.next < count) {
      const resourceId = devices[seeding.next++]!;
      try {
        const request = await api.submitWipe(resourceId);
        seeding.created++;
        seeding.initiatorId = request.initiator.id;
        if (request.createdAt > seeding.newestCreatedAt) seeding.newestCreatedAt = request.createdAt;
      } catch (error) {
        seeding.failures.push(`submit ${resourceId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    clearInterval(progress);
  }
  return seeding;
}

/** Waits until no instance is pending and the runtime is quiet (the recordStep backlog has run). */
async function drain(runtime: RuntimeHandle, client: HttpClient, deadline: number): Promise<boolean> {
  for (;;) {
    const response = await client.expect('GET', routes.pendingQuery, [200]);
    if ((JSON.parse(response.body) as unknown[]).length === 0) break;
    if (performance.now() > deadline) return false;
    await sleep(500);
  }
  return waitForQuiet(runtime, deadline);
}

/** Times each view `receivedSamples` times, sequentially and interleaved, after `receivedWarmup` untimed rounds. */
async function timeViews(
  api: AppApi,
  config: BenchConfig,
  seeding: Seeding,
  failures: string[],
): Promise<ListViewResult[]> {
  const samples = LIST_VIEWS.map(() => emptyCallTimes());
  const timed = samples.map((times) => api.timed(times));
  for (let round = 0; round < config.receivedWarmup + config.receivedSamples; round++) {
    if (round === config.receivedWarmup) for (const times of samples) times.list.length = 0;
    for (const [i, view] of LIST_VIEWS.entries()) {
      const page = await timed[i]!.list(view.user, view.query);
      const problem = checkPage(view, page, seeding);
      if (problem !== undefined) failures.push(`${view.name}, round ${round}: ${problem}`);
    }
  }
  return LIST_VIEWS.map((view, i) => ({ ...view, latency: summarize(samples[i]!.list), samplesMs: samples[i]!.list }));
}

/** Why a page of `view` is wrong, or undefined: full, newest first, starting at the newest request, only alice's. */
function checkPage(view: ListView, page: RequestPage, seeding: Seeding): string | undefined {
  const { items } = page;
  // The bootstrapped policy change is alice's too, but completed.
  const matching = seeding.created + (view.openOnly ? 0 : 1);
  if (items.length !== Math.min(PAGE_SIZE, matching))
    return `${items.length} items, expected ${Math.min(PAGE_SIZE, matching)}`;
  if (matching > PAGE_SIZE && page.continuationToken === undefined) return 'no continuation token on a full page';
  if (items[0] !== undefined && items[0].createdAt !== seeding.newestCreatedAt)
    return `first item created ${items[0].createdAt}, the newest request ${seeding.newestCreatedAt}`;
  for (const [i, item] of items.entries()) {
    if (view.openOnly && item.status !== 'needsApproval') return `item ${item.id} is ${item.status}`;
    if (item.initiator.id !== seeding.initiatorId)
      return `item ${item.id} was initiated by ${item.initiator.id}, not alice`;
    if (i > 0 && item.createdAt > items[i - 1]!.createdAt) return `item ${item.id} is out of order (newest first)`;
  }
  return undefined;
}
