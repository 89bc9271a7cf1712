// Imported by the benchmarks (bench/cosmos*.ts), so it imports nothing: the Azure cost model of a
// lifecycle as pure functions, kept here so that unit tests can check it (tests do not import the
// benchmarks).

/**
 * The Azure model of one approval lifecycle: Functions executions and Azure Storage transactions
 * (Durable Functions' Azure Storage provider) as formulas over what the local runtime counts, so
 * the figures follow when the orchestration changes shape. The counts come from
 * `node dist/bench/stepCounts.js` (orchestrator episodes and activities of a single-approver
 * lifecycle); what a further approval adds is a parameter of the formula.
 */

/** What one lifecycle costs the Durable backend, as the step counter reports it. */
export interface LifecycleShape {
  /** Orchestrator episodes of a single-approver lifecycle (submit to execution recorded). */
  episodes: number;
  /** Activity executions of the same. */
  activities: number;
  /** Episodes one more approval adds: the event, and the completion of each activity it runs. */
  episodesPerDecision: number;
  /** Activities one more approval adds. */
  activitiesPerDecision: number;
  /** Durable timers created (the request's expiry): one queue message each. */
  timers: number;
}

/** Azure Storage transactions the provider spends per unit, by what it does. */
export const STORAGE_TRANSACTIONS = {
  /** Start: the Instances row is inserted and the ExecutionStarted message queued. */
  start: 2,
  /** A raised event (a command): the client reads the Instances row, then queues the event. */
  event: 2,
  /**
   * An episode: dequeue its message(s), read the history (one query page; extended sessions off,
   * the default), write the new history rows (one entity-group batch), update the Instances row,
   * delete the consumed message.
   */
  episode: 5,
  /** An activity: its message queued by the episode, dequeued, deleted, and its result queued. */
  activity: 4,
  /** A timer: its message queued with a visibility delay. */
  timer: 1,
} as const;

/** The model's figures for one lifecycle with `approvals` required approvals. */
export interface AzureLifecycleModel {
  approvals: number;
  /** Commands through the API: submit, one approval each, complete. */
  commands: number;
  episodes: number;
  activities: number;
  /** Functions executions: each HTTP command, orchestrator episode and activity is one. */
  executions: number;
  /** Azure Storage transactions of the Durable provider (see {@link STORAGE_TRANSACTIONS}). */
  storageTransactions: number;
}

/**
 * The lifecycle with `approvals` required approvals:
 * - commands C = 2 + k (submit, k approvals, complete);
 * - episodes E = E₁ + (k − 1)·e, activities A = A₁ + (k − 1)·a;
 * - executions X = C + E + A;
 * - storage transactions T = 2 (start) + 2·(C − 1) (events) + 5·E + 4·A + timers.
 * Approvers notified do not enter: their mails go out from within the step's activity, in Graph
 * JSON batches of up to 20; they enter the audit item's size, hence the RU.
 */
export function azureLifecycle(shape: LifecycleShape, approvals: number): AzureLifecycleModel {
  const extra = Math.max(0, approvals - 1);
  const commands = 2 + approvals;
  const episodes = shape.episodes + extra * shape.episodesPerDecision;
  const activities = shape.activities + extra * shape.activitiesPerDecision;
  const storageTransactions =
    STORAGE_TRANSACTIONS.start +
    STORAGE_TRANSACTIONS.event * (commands - 1) +
    STORAGE_TRANSACTIONS.episode * episodes +
    STORAGE_TRANSACTIONS.activity * activities +
    STORAGE_TRANSACTIONS.timer * shape.timers;
  return {
    approvals,
    commands,
    episodes,
    activities,
    executions: commands + episodes + activities,
    storageTransactions,
  };
}

/**
 * The episodes and activities of the first line `stepCounts` prints (`lifecycle … : 9 episodes,
 * 7 activities (…)`), or undefined when it prints no such line.
 */
export function parseStepCounts(output: string): { episodes: number; activities: number } | undefined {
  const line = output.split('\n').find((candidate) => candidate.startsWith('lifecycle'));
  const match = line === undefined ? null : /(\d+(?:\.\d+)?) episodes, (\d+(?:\.\d+)?) activities/.exec(line);
  return match ? { episodes: Number(match[1]), activities: Number(match[2]) } : undefined;
}

/**
 * Documented request charge by item size (learn.microsoft.com, "Understand request unit
 * consumption", document size table): `[KB, read RU, write RU]`. The model scales its 1 KB figures
 * by these, interpolating linearly, so that an audit item holding a whole step, or a read model
 * that grew, is charged for its size.
 */
const SIZE_TABLE: readonly (readonly [number, number, number])[] = [
  [1, 1.0, 4.95],
  [2, 1.04, 6.29],
  [4, 1.14, 6.67],
  [8, 1.33, 7.04],
  [16, 1.67, 9.52],
  [32, 2.19, 11.23],
  [64, 4.76, 22.67],
  [128, 9.95, 48.19],
];

/** How much more than a 1 KB item an item of `bytes` costs to read (`column` 1) or write (2). */
export function sizeFactor(bytes: number, column: 1 | 2): number {
  const kb = Math.max(1, bytes / 1024);
  const base = SIZE_TABLE[0]![column];
  for (let index = 1; index < SIZE_TABLE.length; index++) {
    const low = SIZE_TABLE[index - 1]!;
    const high = SIZE_TABLE[index]!;
    if (kb <= high[0])
      return (low[column] + ((kb - low[0]) / (high[0] - low[0])) * (high[column] - low[column])) / base;
  }
  const last = SIZE_TABLE[SIZE_TABLE.length - 1]!;
  return (last[column] * kb) / last[0] / base;
}

/** One operation of a transactional batch: its type and the bytes of the item it carries, if any. */
export interface BatchOperation {
  operationType: string;
  bytes: number;
}

/** The 1 KB charges a batch's operations are modelled with. */
export interface BatchRuConstants {
  read: number;
  create: number;
  replace: number;
  delete: number;
}

/**
 * A transactional batch costs the sum of its operations: a read or delete its constant, a create
 * or replace its 1 KB figure scaled by its item's size ({@link sizeFactor}).
 */
export function batchPartsRu(parts: readonly BatchOperation[], ru: BatchRuConstants): number {
  return parts.reduce((sum, part) => {
    const type = part.operationType.toLowerCase();
    if (type === 'read') return sum + ru.read;
    if (type === 'delete') return sum + ru.delete;
    return sum + (type === 'create' ? ru.create : ru.replace) * sizeFactor(part.bytes, 2);
  }, 0);
}
