import type { HttpRequest } from '@azure/functions';
import type * as df from 'durable-functions';
import { getServices } from '../shared/composition';
import { approvalOrchestrations, noOrchestrations } from '../shared/durable/client';
import { correlationIdOf } from '../shared/telemetry/correlation';
import type { UseCaseDeps } from '../shared/useCases/deps';

// What the HTTP functions share: authentication and the use cases' dependencies.

/** Validates the caller's bearer token with the app's identity services. */
export const authenticate = () => (authorization: string | null) =>
  getServices().identity.tokens.authenticate(authorization);

/**
 * The use cases' dependencies, with the Durable client of this invocation when there is one;
 * orchestrations started or sent commands carry the correlation id of `request`.
 */
export function deps(client?: df.DurableClient, request?: HttpRequest): UseCaseDeps {
  const { store, directory, now, appKeys } = getServices();
  return {
    store,
    directory,
    orchestrations: client
      ? approvalOrchestrations(client, appKeys, request && correlationIdOf(request))
      : noOrchestrations,
    now,
    newId: () => crypto.randomUUID(),
    appKeys,
    reminderBeforeMs: getServices().reminderBeforeMs,
  };
}
