import { config } from './config';
import { SqliteStore } from './store/sqliteStore';
import type { StoreConnection } from './store/store';

/** The adapters the app runs with, chosen once from configuration. */
export interface Services {
  readonly store: StoreConnection;
}

let services: Services | undefined;

/** Builds the services on first use (the composition root). */
export function getServices(): Services {
  if (!services) {
    const { store } = config();
    services = { store: new SqliteStore(store.file) };
  }
  return services;
}
