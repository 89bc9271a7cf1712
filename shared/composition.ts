import type { CosmosClient } from '@azure/cosmos';
import { config, type AppConfig, type CosmosStoreConfig, type SqliteStoreConfig } from './config';
import type { ProfileType } from './domain/model';
import { NoneExecutor, type Executor, type ExecutorKind } from './execute/executor';
import { PolicyExecutor } from './execute/policyExecutor';
import { WebhookExecutor } from './execute/webhookExecutor';
import type { Directory } from './identity/directory';
import type { Identity } from './identity/identity';
import { INTUNE_PROFILE_TYPES } from './intune/settings';
import type { TargetReader } from './intune/targets';
import type { DeviceSearch } from './intune/targetSearch';
import type { AppKeyRing } from './keys/appKey';
import type { LinksConfig } from './links/settings';
import type { Notifier } from './notify/notifier';
import type { OpsReader } from './ops/opsReader';
import { StoreHealth } from './store/healthProbe';
import { SqliteStore, sqliteUnavailable } from './store/sqliteStore';
import { reportingUnavailable } from './store/unavailable';
import type { Store } from './store/store';
import { publishingSteps, StepFeed, type StepSource } from './store/stepFeed';
import { createTelemetry, type Telemetry } from './telemetry/otel';

/** The current time: the one source of "now" for use cases, activities, executors and timers. */
export type Clock = () => Date;

/** The wall clock (the local runtime's controllable clock replaces `Date` itself, so it drives this one too). */
export const systemClock: Clock = () => new Date();

/**
 * The adapters the app runs with, each chosen once from configuration and built on first read:
 * reading one property builds only that adapter and what it needs, so the health check loads no
 * identity SDK and loading the app opens nothing. A build that fails (the store not reachable
 * yet) is tried again on the next read.
 */
export interface Services {
  /** The clock everything here reads time from. */
  readonly now: Clock;
  /** The app key ring (commands, continuation tokens, audit checkpoints). */
  readonly appKeys: AppKeyRing;
  /** The settings of signed approval links; undefined when no link key is set. */
  readonly links: LinksConfig | undefined;
  /** How long before expiry approvers who have not decided are reminded (ms). */
  readonly reminderBeforeMs: number;
  /** The configured store (SQLite or Cosmos DB), failures that mean "not now" reported as `store_unavailable`. */
  readonly store: Store;
  /** The steps this process writes, as they are stored (see `shared/store/stepFeed.ts`). */
  readonly steps: StepSource;
  /** How long a command waits for its orchestration to apply or refuse it (0: it answers 202 at once). */
  readonly commandWaitMs: number;
  /** The store's health verdict (a read and a write, reused for a few seconds); opening the store is part of the check. */
  readonly storeHealth: StoreHealth;
  /** Token validation and the directory. */
  readonly identity: Identity;
  /** Group membership, app roles and users, read through Graph and cached. */
  readonly directory: Directory;
  /** The configured notification channels; none when nothing is configured. */
  readonly notifiers: readonly Notifier[];
  /**
   * The executor per profile type: policy changes apply themselves; the webhook for the types in
   * MAA_WEBHOOK_PROFILE_TYPES; `none` for MAA_RELEASE_ONLY_PROFILE_TYPES; the Graph executor for
   * every other Intune type.
   */
  readonly executorFor: (profileType: ProfileType) => Executor;
  /** The `kind` of the executor {@link executorFor} gives (`policy`, `webhook`, `none`, `graph`), building none. */
  readonly executorKindOf: (profileType: ProfileType) => ExecutorKind;
  /** Reads an operation's Intune target through Graph (the request's `target` at submit). */
  readonly targets: TargetReader;
  /** Finds managed devices by name or id through Graph (the portal's submit page). */
  readonly deviceSearch: DeviceSearch;
  /** Traces and metrics: Application Insights when a connection string is set, otherwise nothing. */
  readonly telemetry: Telemetry;
  /** The operator read model over the same store (its kind follows the store's; on Cosmos DB they share one client, which closing either closes). */
  readonly opsReader: OpsReader;
}

/** The builder of one adapter: built on its first call, then the same instance; a failed build is retried. */
function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** The services for `settings`, reading time from `now` (the composition root; nothing is built until read). */
export function compose(settings: AppConfig, now: Clock = systemClock): Services {
  // The one place Cosmos DB or SQLite is chosen: the ops reader follows the store's kind.
  const backend =
    settings.store.kind === 'cosmos' ? cosmosBackend(settings.store, now) : sqliteBackend(settings.store, now);
  // Steps written here are told to this process's waiters (commands and long-polls) at once.
  const steps = new StepFeed();
  const store = once(() => publishingSteps(backend.store(), steps));
  const identity = once(() => {
    // Loaded on first use: the identity SDKs are not needed by the health check.
    const { createIdentity } = require('./identity/identity') as typeof import('./identity/identity');
    return createIdentity(settings.identity, now);
  });
  const notifiers = once(() => {
    // Loaded on first use, like the identity services it shares the Graph credential settings with.
    const { createNotifiers } = require('./notify/notifiers') as typeof import('./notify/notifiers');
    return Object.freeze(createNotifiers(settings.notifications, settings.identity.graph, now));
  });
  const telemetry = once(() => createTelemetry(settings.ops.appInsightsConnectionString));
  // One Graph client for the target reader and the executor, with the app's own credential; the
  // identity SDK is loaded on first use.
  const intuneClient = once(() => {
    const { createGraphCredential } =
      require('./identity/graphCredential') as typeof import('./identity/graphCredential');
    const { IntuneGraphClient } = require('./intune/graphClient') as typeof import('./intune/graphClient');
    return new IntuneGraphClient({
      baseUrl: settings.identity.graph.baseUrl,
      credential: createGraphCredential(settings.identity.graph.credential),
    });
  });
  const targets = once((): TargetReader => {
    const { GraphTargetReader } = require('./intune/targetReader') as typeof import('./intune/targetReader');
    return new GraphTargetReader(intuneClient(), now);
  });
  const deviceSearch = once((): DeviceSearch => {
    const { GraphDeviceSearch } = require('./intune/targetSearch') as typeof import('./intune/targetSearch');
    return new GraphDeviceSearch(intuneClient());
  });
  const graphExecutor = once((): Executor => {
    const { GraphExecutor } = require('./execute/graphExecutor') as typeof import('./execute/graphExecutor');
    return new GraphExecutor({ client: intuneClient(), appKeys: settings.appKeys, now, settings: settings.intune });
  });
  const executorKindOf = (type: ProfileType): ExecutorKind => {
    const { webhook } = settings.executors;
    const graphTypes: readonly ProfileType[] = INTUNE_PROFILE_TYPES;
    if (type === 'operationApprovalPolicy') return 'policy';
    if (webhook && webhook.profileTypes.includes(type)) return 'webhook';
    if (settings.intune.releaseOnly.includes(type) || !graphTypes.includes(type)) return 'none';
    return 'graph';
  };
  const executors = once(() => {
    const { webhook } = settings.executors;
    const policy = new PolicyExecutor(store(), now);
    const none = new NoneExecutor();
    const hook = webhook ? new WebhookExecutor({ url: webhook.url, secret: webhook.secret }, now) : undefined;
    return (type: ProfileType): Executor => {
      switch (executorKindOf(type)) {
        case 'policy':
          return policy;
        case 'webhook':
          return hook!;
        case 'none':
          return none;
        case 'graph':
          return graphExecutor();
      }
    };
  });
  return Object.freeze({
    now,
    appKeys: settings.appKeys,
    links: settings.links,
    reminderBeforeMs: settings.notifications.reminderBeforeMs,
    get store() {
      return store();
    },
    steps,
    commandWaitMs: settings.commandWaitMs,
    storeHealth: new StoreHealth(store, () => now().getTime()),
    get telemetry() {
      return telemetry();
    },
    get identity() {
      return identity();
    },
    get directory() {
      return identity().directory;
    },
    get notifiers() {
      return notifiers();
    },
    executorFor: (profileType: ProfileType) => executors()(profileType),
    executorKindOf,
    get targets() {
      return targets();
    },
    get deviceSearch() {
      return deviceSearch();
    },
    get opsReader() {
      return backend.opsReader();
    },
  });
}

let services: Services | undefined;

/** The process's services, composed from its configuration on first use. */
export function getServices(): Services {
  services ??= compose(config());
  return services;
}

/** The constructor options both store adapters take from the root: the retention of closed requests and the clock. */
function storeOptions(store: SqliteStoreConfig | CosmosStoreConfig, now: Clock): StoreOptions {
  return store.closedRequestTtlSeconds === undefined
    ? { now }
    : { now, closedRequestTtlSeconds: store.closedRequestTtlSeconds };
}

interface StoreOptions {
  readonly closedRequestTtlSeconds?: number;
  readonly now: Clock;
}

/** The store and the ops reader of one kind of store, each built on first use. */
interface StoreBackend {
  readonly store: () => Store;
  readonly opsReader: () => OpsReader;
}

function sqliteBackend(settings: SqliteStoreConfig, now: Clock): StoreBackend {
  const store = once(() => sqliteStore(settings, now));
  return {
    store,
    opsReader: once(() => {
      // After the store: the reader reads the tables the store creates.
      store();
      const { SqliteOpsReader } = require('./ops/sqliteOpsReader') as typeof import('./ops/sqliteOpsReader');
      return new SqliteOpsReader(settings.file);
    }),
  };
}

function cosmosBackend(settings: CosmosStoreConfig, now: Clock): StoreBackend {
  // One client for the store and the ops reader.
  const client = once(() => cosmos().createCosmosClient(settings));
  return {
    store: once(() => cosmosStore(client(), settings, now)),
    opsReader: once(() => {
      const { CosmosOpsReader } = require('./ops/cosmosOpsReader') as typeof import('./ops/cosmosOpsReader');
      return new CosmosOpsReader(client(), settings.database);
    }),
  };
}

function sqliteStore(settings: SqliteStoreConfig, now: Clock): Store {
  let store: SqliteStore;
  try {
    store = new SqliteStore(settings.file, storeOptions(settings, now));
  } catch (error) {
    // Opening can fail as writes do (a full disk, a read-only file): the next call tries again.
    throw sqliteUnavailable(error) ?? error;
  }
  return reportingUnavailable(store, sqliteUnavailable);
}

function cosmosStore(client: CosmosClient, settings: CosmosStoreConfig, now: Clock): Store {
  const { CosmosStore, cosmosUnavailable } = cosmos();
  const adapter = new CosmosStore(client, { database: settings.database, ...storeOptions(settings, now) });
  return reportingUnavailable(adapter, cosmosUnavailable);
}

/** The Cosmos DB adapter module, loaded only when configured: its SDKs add ~0.4 s to every cold start. */
function cosmos(): typeof import('./store/cosmosStore') {
  return require('./store/cosmosStore') as typeof import('./store/cosmosStore');
}

/**
 * The configured store opened for verification only, never creating anything: the SQLite file
 * read-only (it must exist, at the current schema version), Cosmos DB as configured (its reads
 * fail where the database or a container is missing). The caller closes it.
 */
export function openStoreForVerification(): Store {
  const { store } = config();
  return store.kind === 'cosmos'
    ? cosmosStore(cosmos().createCosmosClient(store), store, systemClock)
    : new SqliteStore(store.file, { readOnly: true });
}

/**
 * Creates the Cosmos DB database and any missing container when the store is reached with an
 * account key, i.e. an emulator or a test server, so `npm start` against one needs no setup. With
 * a managed identity (Azure) it does nothing: there the infrastructure templates create them, and
 * the data-plane role the app holds could not. SQLite creates its tables when it opens.
 */
export async function prepareStore(): Promise<void> {
  const { store } = config();
  if (store.kind !== 'cosmos' || store.key === undefined) return;
  const { ensureCosmosSchema } = require('./store/cosmosSchema') as typeof import('./store/cosmosSchema');
  const client = cosmos().createCosmosClient(store);
  try {
    await ensureCosmosSchema(client, { database: store.database });
  } finally {
    client.dispose();
  }
}
