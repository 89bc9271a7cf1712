/** The store port: everything the app persists goes through an adapter implementing it. */
export interface Store {
  /** Resolves when the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
