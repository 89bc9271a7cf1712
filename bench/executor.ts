import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CatalogueEntry } from '../shared/intune/catalogue';
import {
  INTUNE_PROFILE_TYPES,
  TENANT_COLLECTIONS,
  catalogueChains,
  catalogueOperation,
  entryName,
  seededTarget,
} from '../test/support/catalogueRun';
import { AppApi, bootstrapWipePolicy, enrolDevices, pollDelayMs, wipeLifecycle } from './api';
import type { BenchConfig } from './config';
import type { HttpClient } from './httpClient';
import { launchRuntime, repoRoot, type RuntimeHandle } from './runtimeProcess';
import { summarize, type Summary } from './stats';

/** The Graph calls the executor made for one catalogue operation (its `execution.graph.calls`). */
export interface OperationCalls {
  operation: string;
  action: string;
  reads: number;
  writes: number;
}

/** One round of the alternating throughput comparison: lifecycles per second with each executor. */
export interface ExecutorRound {
  graph: number;
  none: number;
}

/** One bulk retire: from alice's `complete` to each device's retire reaching the local tenant. */
export interface BulkRun {
  devices: number;
  /** Complete sent to the first device's retire (ms). */
  toFirstWriteMs: number;
  /** Complete sent to the last device's retire (ms). */
  toLastWriteMs: number;
  /** Between consecutive devices' retires, on average (ms). */
  perDeviceMs: number;
  /** Graph calls the execution recorded (reads and writes). */
  calls: number;
}

/** How many devices each bulk retire of the section acts on (the largest bulk allowed). */
export const BULK_DEVICES = 100;
/** How many bulk retires the section runs. */
const BULK_SAMPLES = 3;

/** Figures of the `executor` section. */
export interface ExecutorResult {
  /** Complete sent to the local tenant receiving the Graph write, one lifecycle at a time (ms). */
  completionToWrite: Summary;
  callsPerOperation: OperationCalls[];
  rounds: ExecutorRound[];
  /** Bulk retires of {@link BULK_DEVICES} devices, one request each, one after another. */
  bulk: BulkRun[];
  lifecyclesPerBatch: number;
  concurrency: number;
  failures: string[];
}

type Log = (line: string) => void;

/** The fields of a request this section reads. */
interface Executed {
  id: string;
  status: string;
  execution?: { status: string; graph?: { calls: { method: string }[] } };
}

/** An object of the local tenant, as far as a run needs it. */
interface TenantObject {
  id: string;
  assignments?: { id: string }[];
}

const POLL_TIMEOUT_MS = 60_000;
const ENROL_CLIENTS = 8;

/** The lifecycle steps of any catalogue operation as alice (initiator) and bob (approver), over the API. */
class Admins {
  private constructor(
    private readonly client: HttpClient,
    private readonly tokens: Record<'alice' | 'bob', string>,
  ) {}

  static async connect(client: HttpClient): Promise<Admins> {
    const token = async (user: string) =>
      (JSON.parse((await client.expect('POST', '/_local/token', [200], { user })).body) as { access_token: string })
        .access_token;
    return new Admins(client, { alice: await token('alice'), bob: await token('bob') });
  }

  async send(
    user: 'alice' | 'bob',
    method: string,
    path: string,
    expected: number[],
    body?: unknown,
  ): Promise<Executed> {
    const response = await this.client.expect(method, path, expected, body, {
      authorization: `Bearer ${this.tokens[user]}`,
    });
    return (response.body === '' ? {} : JSON.parse(response.body)) as Executed;
  }

  /** bob approves request `id`, alice completes it (`beforeComplete` runs just before); resolves with the request once its execution is recorded. */
  async approveAndComplete(id: string, beforeComplete?: () => void): Promise<Executed> {
    await this.send('bob', 'POST', `/api/requests/${id}/approve`, [202], { notes: 'bench' });
    await this.until(id, (request) => request.status !== 'needsApproval');
    beforeComplete?.();
    await this.send('alice', 'POST', `/api/requests/${id}/complete`, [202]);
    return this.until(id, (request) => request.execution !== undefined);
  }

  private async until(id: string, done: (request: Executed) => boolean): Promise<Executed> {
    const deadline = performance.now() + POLL_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const request = await this.send('alice', 'GET', `/api/requests/${id}`, [200]);
      if (done(request)) return request;
      if (performance.now() > deadline)
        throw new Error(`request ${id} stuck: ${JSON.stringify(request).slice(0, 300)}`);
      await sleep(pollDelayMs(attempt));
    }
  }
}

/**
 * `executor`: the Graph executor against the local Intune tenant. Completion to the Graph write
 * (one lifecycle at a time), the Graph calls each catalogue operation makes, and lifecycle
 * throughput with the Graph executor against the `none` executor, in alternating batches on two
 * runtimes started side by side.
 */
export async function benchExecutor(config: BenchConfig, log: Log): Promise<ExecutorResult> {
  const perBatch = config.executorLifecycles;
  const devicesEach = config.executorRounds * perBatch + config.executorWarmup;
  // Intune's own cap of 500 wipes a day would stop the batches: the local tenant is no tenant.
  const graph = await launchRuntime(repoRoot, { MAA_DEVICE_ACTION_DAILY_CAPS: 'wipe=999999' });
  let none: RuntimeHandle | undefined;
  const clients: HttpClient[] = [];
  try {
    none = await launchRuntime(repoRoot, { MAA_RELEASE_ONLY_PROFILE_TYPES: 'deviceWipe' });
    const graphClient = graph.client(config.concurrency);
    const noneClient = none.client(config.concurrency);
    clients.push(graphClient, noneClient);
    const graphApi = await AppApi.connect(graphClient);
    const noneApi = await AppApi.connect(noneClient);
    await Promise.all([bootstrapWipePolicy(graphApi), bootstrapWipePolicy(noneApi)]);
    const failures: string[] = [];

    const completionToWrite = await measureCompletionToWrite(graphApi, graphClient, config.executorSamples, failures);
    log(
      `  completion→Graph write: p50 ${completionToWrite.p50.toFixed(1)} / p99 ${completionToWrite.p99.toFixed(1)} ms over ${completionToWrite.n} wipes`,
    );

    const callsPerOperation = await countCalls(graphClient, await graphApi.approverGroupId(), failures);
    for (const entry of callsPerOperation) log(`  ${entry.operation}: ${entry.reads} reads + ${entry.writes} writes`);

    // countCalls protected deviceRetire: each sample is one request for BULK_DEVICES new devices.
    const bulk = await measureBulk(graphApi, graphClient, failures);
    for (const run of bulk)
      log(
        `  bulk retire of ${run.devices}: complete→first write ${run.toFirstWriteMs} ms, →last ${run.toLastWriteMs} ms, ${run.perDeviceMs.toFixed(1)} ms per device, ${run.calls} Graph calls`,
      );

    const [graphDevices, noneDevices] = await Promise.all([
      enrolDevices(graphApi, 'throughput', devicesEach, ENROL_CLIENTS),
      enrolDevices(noneApi, 'throughput', devicesEach, ENROL_CLIENTS),
    ]);
    const batchOf = (api: AppApi, devices: string[], round: number, count: number) =>
      runBatch(api, devices.slice(round * perBatch, round * perBatch + count), config.concurrency, failures);
    const warmupFrom = config.executorRounds * perBatch;
    await runBatch(graphApi, graphDevices.slice(warmupFrom), config.concurrency, failures);
    await runBatch(noneApi, noneDevices.slice(warmupFrom), config.concurrency, failures);
    const rounds: ExecutorRound[] = [];
    for (let round = 0; round < config.executorRounds; round++) {
      // Alternate which executor goes first, so neither always runs on the warmer machine.
      const graphFirst = round % 2 === 0;
      const first = graphFirst
        ? await batchOf(graphApi, graphDevices, round, perBatch)
        : await batchOf(noneApi, noneDevices, round, perBatch);
      const second = graphFirst
        ? await batchOf(noneApi, noneDevices, round, perBatch)
        : await batchOf(graphApi, graphDevices, round, perBatch);
      const result = graphFirst ? { graph: first, none: second } : { graph: second, none: first };
      rounds.push(result);
      log(
        `  round ${round + 1}: Graph ${result.graph.toFixed(1)}/s, none ${result.none.toFixed(1)}/s (Graph ÷ none ${(result.graph / result.none).toFixed(2)})`,
      );
    }
    return {
      completionToWrite,
      callsPerOperation,
      rounds,
      bulk,
      lifecyclesPerBatch: perBatch,
      concurrency: config.concurrency,
      failures,
    };
  } finally {
    for (const client of clients) client.close();
    await Promise.all([graph.dispose(), none?.dispose()]);
  }
}

/**
 * Wipes `samples` enrolled devices one after another; each sample runs from just before alice's
 * `complete` is sent to the instant the local tenant logged the wipe (its `at`, both wall clocks
 * of this machine).
 */
async function measureCompletionToWrite(
  api: AppApi,
  client: HttpClient,
  samples: number,
  failures: string[],
): Promise<Summary> {
  const devices = await enrolDevices(api, 'latency', samples, ENROL_CLIENTS);
  const sentAt = new Map<string, number>();
  for (const device of devices) {
    try {
      const { id } = await api.submitWipe(device);
      await api.approve(id);
      await api.waitFor(id, (request) => request.status === 'approved', 'approved');
      sentAt.set(device, Date.now());
      await api.complete(id);
      const done = await api.waitFor(id, (request) => request.execution !== undefined, 'executed');
      if (done.execution?.status !== 'succeeded')
        failures.push(`latency wipe ${id}: ${JSON.stringify(done.execution)}`);
    } catch (error) {
      failures.push(`latency wipe of ${device}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const calls = JSON.parse((await client.expect('GET', '/_local/intune/calls', [200])).body) as {
    items: { path: string; status: number; at: string }[];
  };
  const latencies: number[] = [];
  for (const call of calls.items) {
    const device = /managedDevices\/([^/]+)\/wipe$/.exec(call.path)?.[1];
    const sent = device === undefined ? undefined : sentAt.get(device);
    if (sent !== undefined && call.status < 300) latencies.push(Date.parse(call.at) - sent);
  }
  return summarize(latencies);
}

/**
 * {@link BULK_SAMPLES} bulk retires of {@link BULK_DEVICES} new devices each, one after another:
 * submit (alice), approve (bob), then from just before `complete` to the local tenant logging each
 * device's retire (its `at`, both wall clocks of this machine).
 */
async function measureBulk(api: AppApi, client: HttpClient, failures: string[]): Promise<BulkRun[]> {
  const admins = await Admins.connect(client);
  const runs: BulkRun[] = [];
  for (let sample = 0; sample < BULK_SAMPLES; sample++) {
    const devices = await enrolDevices(api, `bulk-${sample}`, BULK_DEVICES, ENROL_CLIENTS);
    try {
      const submitted = await admins.send('alice', 'POST', '/api/requests', [202], {
        profileType: 'deviceRetire',
        operation: { action: 'retire', resourceType: 'managedDevice', resourceIds: devices },
        justification: 'Benchmark: bulk retire',
      });
      let sentAt = 0;
      const done = await admins.approveAndComplete(submitted.id, () => (sentAt = Date.now()));
      if (done.execution?.status !== 'succeeded') throw new Error(JSON.stringify(done.execution).slice(0, 300));
      const log = JSON.parse((await client.expect('GET', '/_local/intune/calls', [200])).body) as {
        items: { path: string; status: number; at: string }[];
      };
      const ours = new Set(devices);
      const writes = log.items
        .filter((call) => call.status < 300 && ours.has(/managedDevices\/([^/]+)\/retire$/.exec(call.path)?.[1] ?? ''))
        .map((call) => Date.parse(call.at));
      if (writes.length !== devices.length) throw new Error(`${writes.length} retires for ${devices.length} devices`);
      const first = Math.min(...writes);
      const last = Math.max(...writes);
      runs.push({
        devices: devices.length,
        toFirstWriteMs: first - sentAt,
        toLastWriteMs: last - sentAt,
        perDeviceMs: (last - first) / (devices.length - 1),
        calls: done.execution.graph?.calls.length ?? 0,
      });
    } catch (error) {
      failures.push(`bulk retire ${sample + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return runs;
}

/**
 * Runs every catalogue operation once on the seeded tenant (the chains of the runtime test,
 * side by side) and counts the Graph calls each execution recorded.
 */
async function countCalls(client: HttpClient, approvers: string, failures: string[]): Promise<OperationCalls[]> {
  const admins = await Admins.connect(client);
  await Promise.all(
    INTUNE_PROFILE_TYPES.filter((type) => type !== 'deviceWipe').map(async (profileType) => {
      const change = await admins.send('alice', 'POST', '/api/policies', [202], {
        displayName: `${profileType} needs a second admin`,
        profileType,
        approverGroupIds: [approvers],
        justification: 'Benchmark set-up',
      });
      await admins.approveAndComplete(change.id);
    }),
  );
  const counted: OperationCalls[] = [];
  const runOne = async (entry: CatalogueEntry) => {
    const tenant = JSON.parse((await client.expect('GET', '/_local/intune', [200])).body) as Record<
      string,
      TenantObject[]
    >;
    const target = tenant[TENANT_COLLECTIONS[entry.resourceType]!]?.find((item) => item.id === seededTarget(entry));
    const submitted = await admins.send('alice', 'POST', '/api/requests', [202], {
      profileType: entry.profileType,
      operation: catalogueOperation(entry, target),
      justification: `Benchmark: ${entryName(entry)}`,
    });
    const done = await admins.approveAndComplete(submitted.id);
    if (done.execution?.status !== 'succeeded') throw new Error(JSON.stringify(done.execution));
    const calls = done.execution.graph?.calls ?? [];
    const reads = calls.filter((call) => call.method === 'GET').length;
    counted.push({ operation: entryName(entry), action: entry.action, reads, writes: calls.length - reads });
  };
  await Promise.all(
    catalogueChains().map(async (chain) => {
      for (const entry of chain) {
        await runOne(entry).catch((error: unknown) =>
          failures.push(`${entryName(entry)}: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
    }),
  );
  return counted.sort((a, b) => a.operation.localeCompare(b.operation));
}

/** Wipes each of `devices` through a whole lifecycle with `concurrency` clients; resolves with lifecycles per second. */
async function runBatch(api: AppApi, devices: string[], concurrency: number, failures: string[]): Promise<number> {
  if (devices.length === 0) return Number.NaN;
  let next = 0;
  const began = performance.now();
  const worker = async () => {
    while (next < devices.length) {
      const device = devices[next++]!;
      await wipeLifecycle(api, device).catch((error: unknown) =>
        failures.push(`wipe of ${device}: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, devices.length) }, worker));
  return devices.length / ((performance.now() - began) / 1000);
}
