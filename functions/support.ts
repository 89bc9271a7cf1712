import type { HttpRequest } from '@azure/functions';
import type * as df from 'durable-functions';
import { getIdentity, getServices } from '../shared/composition';
import { config } from '../shared/config';
import { approvalOrchestrations, noOrchestrations } from '../shared/durable/client';
import { correlationIdOf } from '../shared/telemetry/correlation';
import type { UseCaseDeps } from '../shared/useCases/deps';

// What the HTTP functions share: authentication and the use cases' dependencies.

/** Validates the caller's bearer token with the app's identity services. */
export const authenticate = () => (authorization: string | null) => getIdentity().tokens.authenticate(authorization);

/**
 * The use cases' dependencies, with the Durable client of this invocation when there is one;
 * orchestrations started or sent commands carry the correlation id of `request`.
 */
export function deps(client?: df.DurableClient, request?: HttpRequest): UseCaseDeps {
  const { store } = getServices();
  return {
    store,
    directory: getIdentity().directory,
    orchestrations: client
      ? approvalOrchestrations(client, config().appKeys, request && correlationIdOf(request))
      : noOrchestrations,
    now: () => new Date(),
    newId: () => crypto.randomUUID(),
    appKeys: config().appKeys,
    reminderBeforeMs: config().notifications.reminderBeforeMs,
  };
}
