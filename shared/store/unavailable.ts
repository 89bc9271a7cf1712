import { StoreError, type Store } from './store';

/** What clients are told to wait before retrying when the store gives no hint of its own (seconds). */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** Turns an adapter's failure into `store_unavailable` when it means "not now"; undefined otherwise. */
export type UnavailableClassifier = (error: unknown) => StoreError | undefined;

/** A `store_unavailable` error caused by `cause`, with the retry hint the store gave or the default. */
export function storeUnavailable(cause: unknown, retryAfterSeconds = STORE_RETRY_AFTER_SECONDS): StoreError {
  // The message reaches clients as the problem's detail: the cause (logged) names the failure.
  return new StoreError('store_unavailable', 'The store cannot take this now; try again later.', {
    cause,
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
  });
}

/**
 * The store with every failure of every method passed through `classify`: a failure that means
 * the store refuses writes or cannot be reached becomes `store_unavailable` (so callers answer
 * 503, not 500); every other failure, and every result, is unchanged. Wraps each method the
 * adapter has, so methods added to the port later are covered without a change here.
 */
export function reportingUnavailable<S extends Store>(store: S, classify: UnavailableClassifier): S {
  const rethrow = (error: unknown): never => {
    throw (error instanceof StoreError ? undefined : classify(error)) ?? error;
  };
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let method = wrapped.get(property);
      if (method === undefined) {
        const original = value as (...args: unknown[]) => unknown;
        method = (...args: unknown[]): unknown => {
          try {
            const result = original.apply(target, args);
            return result instanceof Promise ? result.catch(rethrow) : result;
          } catch (error) {
            return rethrow(error);
          }
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}
