import type { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import { APPROVAL_ORCHESTRATOR, ApprovalEvents } from '../orchestrations/names';
import { getServices } from '../shared/composition';
import { config } from '../shared/config';
import { DomainError } from '../shared/domain/errors';
import { HttpError } from '../shared/http/problem';
import { signCommand, signStart } from '../shared/keys/commandSignature';
import { correlationIdOf } from '../shared/telemetry/correlation';
import type { Orchestrations, UseCaseDeps } from '../shared/useCases/deps';

/** What the HTTP functions share: authentication and the use cases' dependencies. */

const FINISHED = new Set<string>([
  df.OrchestrationRuntimeStatus.Completed,
  df.OrchestrationRuntimeStatus.Failed,
  df.OrchestrationRuntimeStatus.Terminated,
  df.OrchestrationRuntimeStatus.Canceled,
]);

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
    orchestrations: client ? orchestrationsOf(client, request && correlationIdOf(request)) : unavailableOrchestrations,
    now,
    newId: () => crypto.randomUUID(),
    appKeys,
  };
}

/** Starting a request's orchestration is tried this often, START_RETRY_MS × attempt apart, before the submit answers 503. */
const START_ATTEMPTS = 3;
const START_RETRY_MS = 250;

function orchestrationsOf(client: df.DurableClient, correlationId: string | undefined): Orchestrations {
  const correlation = correlationId ? { correlationId } : {};
  return {
    async start(requestId, input) {
      for (let attempt = 1; ; attempt++) {
        try {
          // Signed like commands: the orchestration's first step runs nothing for an input the app did not make.
          await client.startNew(APPROVAL_ORCHESTRATOR, {
            instanceId: requestId,
            input: signStart(config().appKeys, requestId, { ...(input as object), ...correlation }, new Date()),
          });
          return;
        } catch {
          // A retried submit finds its orchestration already running: that is the one we want.
          const status = await client.getStatus(requestId).catch(() => undefined);
          if (status) return;
          if (attempt === START_ATTEMPTS) {
            throw new HttpError(
              503,
              'orchestration_unavailable',
              'The request was stored but its orchestration could not be started',
              `Request ${requestId} holds its resource's lock without an orchestration. Submit again with the same Idempotency-Key to retry, or ask an operator to start it (POST /api/ops/requests/${requestId}/redrive).`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS * attempt));
        }
      }
    },
    async raise(requestId, command) {
      // Signed here, the one place commands leave the HTTP layer: the orchestration applies only signed commands.
      await client.raiseEvent(requestId, ApprovalEvents.Command, {
        ...signCommand(config().appKeys, requestId, command, new Date()),
        ...correlation,
      });
      // The client treats "instance already finished" (410) as success: the command would vanish.
      const status = await client.getStatus(requestId);
      if (FINISHED.has(status.runtimeStatus)) throw new DomainError('invalid_state', 'the request is closed');
    },
  };
}

const unavailableOrchestrations: Orchestrations = {
  start: () => Promise.reject(new Error('no Durable client in this function')),
  raise: () => Promise.reject(new Error('no Durable client in this function')),
};
