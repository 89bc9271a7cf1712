import { config, type CosmosStoreConfig } from './config';
import type { Identity } from './identity/identity';
import type { Notifier } from './notify/notifier';
import { SqliteStore, sqliteUnavailable } from './store/sqliteStore';
import { reportingUnavailable } from './store/unavailable';
import type { Store } from './store/store';

/** The adapters the app runs with, chosen once from configuration. */
export interface Services {
  readonly store: Store;
}

let services: Services | undefined;

/** The clock the stores read (the system clock; the offline runtime shifts it under a manual clock). */
const now = (): Date => new Date();

/** Builds the services on first use (the composition root). */
export function getServices(): Services {
  if (!services) {
    const { store } = config();
    services = {
      store: store.kind === 'cosmos' ? cosmosStore(store) : sqliteStore(store.file, store.closedRequestTtlSeconds),
    };
  }
  return services;
}

function sqliteStore(file: string, closedRequestTtlSeconds: number | undefined): Store {
  let store: SqliteStore;
  try {
    store = new SqliteStore(file, {
      now,
      ...(closedRequestTtlSeconds === undefined ? {} : { closedRequestTtlSeconds }),
    });
  } catch (error) {
    // Opening can fail as writes do (a full disk, a read-only file): the next call tries again.
    throw sqliteUnavailable(error) ?? error;
  }
  return reportingUnavailable(store, sqliteUnavailable);
}

/**
 * The configured store opened for verification only, never creating anything: the SQLite file
 * read-only (it must exist, at the current schema version), Cosmos DB as configured (its reads
 * fail where the database or a container is missing). The caller closes it.
 */
export function openStoreForVerification(): Store {
  const { store } = config();
  return store.kind === 'cosmos' ? cosmosStore(store) : new SqliteStore(store.file, { readOnly: true, now });
}

function cosmosStore(store: CosmosStoreConfig): Store {
  // Loaded only when configured: the Cosmos DB and identity SDKs add ~0.4 s to every cold start.
  const { CosmosStore, cosmosUnavailable, createCosmosClient } =
    require('./store/cosmosStore') as typeof import('./store/cosmosStore');
  const adapter = new CosmosStore(createCosmosClient(store), {
    database: store.database,
    now,
    ...(store.closedRequestTtlSeconds === undefined ? {} : { closedRequestTtlSeconds: store.closedRequestTtlSeconds }),
  });
  return reportingUnavailable(adapter, cosmosUnavailable);
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
  const { createCosmosClient } = require('./store/cosmosStore') as typeof import('./store/cosmosStore');
  const { ensureCosmosSchema } = require('./store/cosmosSchema') as typeof import('./store/cosmosSchema');
  const client = createCosmosClient(store);
  try {
    await ensureCosmosSchema(client, { database: store.database });
  } finally {
    client.dispose();
  }
}

let identity: Identity | undefined;

/** The identity services (token validation, group membership), built on first use. */
export function getIdentity(): Identity {
  if (!identity) {
    // Loaded on first use: the identity SDKs are not needed by the health check.
    const { createIdentity } = require('./identity/identity') as typeof import('./identity/identity');
    identity = createIdentity(config().identity);
  }
  return identity;
}

let notifiers: readonly Notifier[] | undefined;

/** The configured notification channels (none when nothing is configured), built on first use. */
export function getNotifiers(): readonly Notifier[] {
  if (!notifiers) {
    // Loaded on first use, like the identity services it shares the Graph credential settings with.
    const { createNotifiers } = require('./notify/notifiers') as typeof import('./notify/notifiers');
    notifiers = Object.freeze(createNotifiers(config().notifications, config().identity.graph));
  }
  return notifiers;
}
