import { execFile } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureCosmosSchema } from '../shared/store/cosmosSchema';
import { createCosmosClient } from '../shared/store/cosmosStore';
import { WIPE_OBSERVED_TRAIL } from '../test/support/lifecycleAudit';
import { AppApi, bootstrapWipePolicy, checkLifecycleAudit, expectSucceeded, pollDelayMs, wipeLifecycle } from './api';
import type { BenchConfig } from './config';
import { azureLifecycle, parseStepCounts, type AzureLifecycleModel, type LifecycleShape } from './cosmosAzureModel';
import {
  CREATE_RU_LOW,
  groupCosmosCalls,
  itemBytes,
  MODELLED_RU,
  modelledRu,
  type CosmosCall,
  type CosmosOperation,
  type CosmosOperationGroup,
} from './cosmosOperations';
import { startCountingCosmosServer, type CountingCosmosServer } from './cosmosServer';
import type { HttpClient } from './httpClient';
import { repoRoot, withRuntime } from './runtimeProcess';
import { routes } from './workload';

/** A point in the counted lifecycle, on the clock of the calls' `atMs`. */
export interface LifecycleMark {
  atMs: number;
  label: string;
}

/** Figures of the `cosmos` section: the Cosmos DB calls of one approval lifecycle and their modelled charge. */
export interface CosmosResult {
  requestId: string;
  calls: CosmosCall[];
  groups: CosmosOperationGroup[];
  marks: LifecycleMark[];
  /** Calls that touch items (everything but query plans and metadata). */
  itemCalls: number;
  modelledRu: number;
  /** The same total with creates at the low end of their documented cost. */
  modelledRuLowCreate: number;
  ruConstants: Readonly<Record<CosmosOperation, number>>;
  /** Audit items written (one per step): creates and batches on the audit container. */
  steps: number;
  /** Modelled RU of one step: its audit item, and the read-model write and read around it. */
  ruPerStep: number;
  /**
   * What one further approval adds: its command step and the step recording its notification's
   * outcomes (two audit items, each with its read-model write), and the trail read the command
   * step makes first.
   */
  ruPerApproval: number;
  /** The Durable counts the Azure model was computed from, and where they came from. */
  shape?: LifecycleShape & { source: string };
  /** The Azure model for 1, 2 and 3 required approvals (absent when the counts could not be read). */
  azure: AzureLifecycleModel[];
}

type Log = (line: string) => void;

const DATABASE = 'maa';
const POLL_TIMEOUT_MS = 30_000;
// Long enough for anything the orchestration does after it reports completion to reach the server.
const TRAILING_CALLS_MS = 1000;

/**
 * `cosmos`: one approval lifecycle on the Cosmos DB store, against an in-process test server that
 * counts the REST calls it receives; the request charge is modelled from documented costs.
 */
export async function benchCosmos(_config: BenchConfig, log: Log): Promise<CosmosResult> {
  const server = await startCountingCosmosServer();
  try {
    await createSchema(server);
    const env = {
      MAA_STORE: 'cosmos',
      COSMOS_ENDPOINT: server.endpoint,
      COSMOS_KEY: server.key,
      COSMOS_DATABASE: DATABASE,
      // The test server's certificate is self-signed; this is the benchmark runtime's environment only.
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
      // The wiped device settles within a second and the follow-up looks every second, so the
      // lifecycle counted ends with the device's outcome recorded, as a real one does.
      MAA_LOCAL_INTUNE_DEVICE_DELAY: 'PT1S',
      MAA_DEVICE_FOLLOW_UP_INTERVAL: 'PT1S',
    };
    const result = await withRuntime(
      repoRoot,
      async (runtime) => {
        const client = runtime.client(4);
        try {
          return await measure(client, server);
        } finally {
          client.close();
        }
      },
      env,
    );
    const shape = await lifecycleShape(log);
    const withModel: CosmosResult = {
      ...result,
      ...(shape === undefined ? {} : { shape }),
      azure: shape === undefined ? [] : [1, 2, 3].map((approvals) => azureLifecycle(shape, approvals)),
    };
    printResult(withModel, log);
    return withModel;
  } finally {
    await server.stop();
  }
}

async function createSchema(server: CountingCosmosServer): Promise<void> {
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, agent: server.agent });
  try {
    await ensureCosmosSchema(client, { database: DATABASE });
  } finally {
    client.dispose();
  }
}

async function measure(client: HttpClient, server: CountingCosmosServer): Promise<CosmosResult> {
  const api = await AppApi.connect(client);
  await bootstrapWipePolicy(api);
  const warmupDevice = await api.enrolDevice('cosmos-warmup');
  const countedDevice = await api.enrolDevice('cosmos-counted');
  // One lifecycle first, so the SDK's metadata caches are warm for every container it touches;
  // its device outcome is recorded before the count starts.
  const warm = await wipeLifecycle(api, warmupDevice);
  await api.waitFor(warm.id, (request) => request.execution?.device?.state === 'done', 'observed');
  await sleep(TRAILING_CALLS_MS);

  server.reset();
  const began = performance.now();
  const marks: LifecycleMark[] = [];
  const mark = (label: string) => marks.push({ atMs: performance.now() - began, label });
  // Polled through the Durable status webhook, not the API, so that polling adds no Cosmos reads.
  const submitted = await api.submitWipe(countedDevice);
  mark('submit answered');
  await api.approve(submitted.id);
  mark('approve answered');
  await waitForInstance(client, submitted.id, (status) => status.customStatus?.status === 'approved');
  mark('approved seen (custom status)');
  await api.complete(submitted.id);
  mark('complete answered');
  await waitForInstance(client, submitted.id, (status) => status.runtimeStatus === 'Completed');
  mark('orchestration completed');
  await sleep(TRAILING_CALLS_MS);
  const calls = server.calls();

  // Checked after the window closed: these reads are not part of the lifecycle.
  expectSucceeded(await api.get(submitted.id));
  await checkLifecycleAudit(api, submitted.id, WIPE_OBSERVED_TRAIL);
  const itemCalls = calls.filter((call) => call.operation !== 'metadata' && call.operation !== 'query plan').length;
  // A step: its audit item (a create or a batch), the read-model replace and the read before it.
  const stepCalls = calls.filter(
    (call) =>
      (call.container === 'audit' && (call.operation === 'create' || call.operation === 'transactional batch')) ||
      (call.container === 'requests' && (call.operation === 'replace' || call.operation === 'point read')),
  );
  const steps = calls.filter(
    (call) => call.container === 'audit' && (call.operation === 'create' || call.operation === 'transactional batch'),
  ).length;
  return {
    steps,
    ruPerStep: steps === 0 ? 0 : modelledRu(stepCalls) / steps,
    ruPerApproval: steps === 0 ? 0 : (2 * modelledRu(stepCalls)) / steps + MODELLED_RU['query, single partition'],
    azure: [],
    requestId: submitted.id,
    calls,
    groups: groupCosmosCalls(calls),
    marks,
    itemCalls,
    modelledRu: modelledRu(calls),
    modelledRuLowCreate: modelledRu(calls, CREATE_RU_LOW),
    ruConstants: MODELLED_RU,
  };
}

interface InstanceStatus {
  runtimeStatus: string;
  customStatus?: { status?: string } | null;
}

const FAILED = new Set(['Failed', 'Terminated', 'Canceled']);

/** Polls the instance's status webhook (2, 4, 8 … 32 ms apart) until `done` holds. */
async function waitForInstance(
  client: HttpClient,
  id: string,
  done: (status: InstanceStatus) => boolean,
): Promise<void> {
  const deadline = performance.now() + POLL_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const response = await client.expect('GET', routes.status(id), [200, 202]);
    const status = JSON.parse(response.body) as InstanceStatus;
    if (done(status)) return;
    if (FAILED.has(status.runtimeStatus))
      throw new Error(`instance ${id} is ${status.runtimeStatus}: ${response.body.slice(0, 300)}`);
    if (performance.now() > deadline)
      throw new Error(`instance ${id} did not get there in ${POLL_TIMEOUT_MS} ms: ${response.body.slice(0, 300)}`);
    await sleep(pollDelayMs(attempt));
  }
}

function printResult(result: CosmosResult, log: Log): void {
  log(
    `  Cosmos DB REST calls of one lifecycle (request ${result.requestId}), in order; RU figures are MODELLED, not measured:`,
  );
  const events = [
    ...result.calls.map((call) => ({ atMs: call.atMs, line: describeCall(call) })),
    ...result.marks.map((mark) => ({ atMs: mark.atMs, line: `-- ${mark.label}` })),
  ].sort((a, b) => a.atMs - b.atMs);
  for (const event of events) log(`    ${event.atMs.toFixed(1).padStart(7)} ms  ${event.line}`);
  log('  by kind and container:');
  for (const group of result.groups) {
    log(
      `    ${group.operation.padEnd(24)} ${group.container.padEnd(12)} ×${String(group.count).padEnd(3)} ` +
        `${group.operations === group.count ? '' : `(${group.operations} operations) `}` +
        `[${group.statuses}] ~${(group.meanBytes / 1024).toFixed(2)} KB each, ${group.ruEach} RU per operation at 1 KB => ${group.ru.toFixed(1)} RU`,
    );
  }
  const constants = Object.entries(result.ruConstants)
    .map(([operation, ru]) => `${operation} ${ru}`)
    .join(', ');
  log(`  modelled RU per call (1 KB item, restricted indexing): ${constants}`);
  log(
    `  MODELLED request charge: ${result.modelledRu.toFixed(1)} RU per lifecycle (${result.modelledRuLowCreate.toFixed(1)} RU with creates at ${CREATE_RU_LOW}); ` +
      `${result.itemCalls} item calls, ${result.calls.length} calls in all; writes and reads scaled by item size.`,
  );
  log(
    `  ${result.steps} steps (audit items), ${result.ruPerStep.toFixed(1)} RU each with their read-model write: ` +
      `RU(k) = ${result.modelledRu.toFixed(1)} + (k - 1) x ${result.ruPerApproval.toFixed(1)} for k required approvals ` +
      `(a further approval: two steps, its decision and its notification's outcomes, and one trail read).`,
  );
  if (result.shape === undefined) {
    log('  Azure model: the Durable counts could not be read (see above); formulas in bench/README.md.');
    return;
  }
  const { shape } = result;
  log(
    `  Azure model (${shape.source}): E1 = ${shape.episodes} episodes, A1 = ${shape.activities} activities, ` +
      `+${shape.episodesPerDecision} episodes and +${shape.activitiesPerDecision} activities per further approval, ${shape.timers} timer(s).`,
  );
  log('  executions X = C + E + A (C = 2 + k commands); storage transactions T = 2 + 2(C - 1) + 5E + 4A + timers:');
  for (const model of result.azure) {
    const ru = result.modelledRu + (model.approvals - 1) * result.ruPerApproval;
    log(
      `    k = ${model.approvals}: C ${model.commands}, E ${model.episodes}, A ${model.activities} => ` +
        `${model.executions} executions, ${model.storageTransactions} storage transactions, ${ru.toFixed(1)} RU (MODELLED)`,
    );
  }
}

const PER_DECISION = process.env.BENCH_AZURE_PER_DECISION ?? '2,1';

/**
 * The Durable counts of a single-approver lifecycle: `BENCH_STEP_COUNTS=<episodes>,<activities>`,
 * else what `node dist/bench/stepCounts.js` prints for three lifecycles on the SQLite store. What
 * a further approval adds is `BENCH_AZURE_PER_DECISION=<episodes>,<activities>` (default 2,1:
 * the event's episode and the command step's, and the one command step activity).
 */
async function lifecycleShape(log: Log): Promise<(LifecycleShape & { source: string }) | undefined> {
  const [episodesPerDecision, activitiesPerDecision] = PER_DECISION.split(',').map(Number) as [number, number];
  const common = { episodesPerDecision, activitiesPerDecision, timers: 1 };
  const given = process.env.BENCH_STEP_COUNTS;
  if (given !== undefined) {
    const [episodes, activities] = given.split(',').map(Number) as [number, number];
    return { episodes, activities, ...common, source: 'BENCH_STEP_COUNTS' };
  }
  const output = await new Promise<string>((resolve) =>
    execFile(
      process.execPath,
      [path.join(repoRoot, 'dist', 'bench', 'stepCounts.js')],
      { env: { ...process.env, BENCH_STEP_LIFECYCLES: '3' }, timeout: 180_000 },
      (error, stdout, stderr) => resolve(error ? `${stdout}${stderr}${error.message}` : stdout),
    ),
  );
  const counts = parseStepCounts(output);
  if (counts === undefined) {
    log(`  stepCounts printed no lifecycle line: ${output.trim().slice(0, 300)}`);
    return undefined;
  }
  return { ...counts, ...common, source: 'node dist/bench/stepCounts.js, median of 3' };
}

function describeCall(call: CosmosCall): string {
  const where = call.container ?? call.path;
  const operations = call.batchOperations === undefined ? '' : ` of ${call.batchOperations} operations`;
  const parts =
    call.batchParts === undefined ? '' : ` [${call.batchParts.map((part) => part.operationType).join(', ')}]`;
  return `${call.operation}${operations}${parts} ${where} -> ${call.status} (${(itemBytes(call) / 1024).toFixed(2)} KB) ${modelledRu([call]).toFixed(1)} RU`;
}
