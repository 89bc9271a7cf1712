import * as df from 'durable-functions';
import { redriveInstanceId } from '../../orchestrations/contracts';
import { APPROVAL_ORCHESTRATOR, ApprovalEvents, REDRIVE_ORCHESTRATOR } from '../../orchestrations/names';
import { DomainError } from '../domain/errors';
import type { AppKeyRing } from '../keys/appKey';
import { signCommand, signStart } from '../keys/commandSignature';
import type { HistoryItem, InstanceStatus, OpsOrchestrations } from '../ops/opsOrchestrations';
import { StoreError } from '../store/store';
import type { Orchestrations } from '../useCases/deps';

// The Durable-client adapters of the use cases' ports: the one place starts and commands leave the
// app for Durable Functions, each signed with the app key.

const FINISHED = new Set<string>([
  df.OrchestrationRuntimeStatus.Completed,
  df.OrchestrationRuntimeStatus.Failed,
  df.OrchestrationRuntimeStatus.Terminated,
  df.OrchestrationRuntimeStatus.Canceled,
]);

/** Starting a request's orchestration is tried this often, START_RETRY_MS × attempt apart, before the submit answers 503. */
const START_ATTEMPTS = 3;
const START_RETRY_MS = 250;

/**
 * The approval orchestrations through `client`: start inputs and commands are signed with
 * `appKeys` and carry `correlationId` (not signed) when given. A start that fails three times is
 * `orchestration_unavailable`; a command to a finished instance is `invalid_state`.
 */
export function approvalOrchestrations(
  client: df.DurableClient,
  appKeys: AppKeyRing,
  correlationId: string | undefined,
): Orchestrations {
  const correlation = correlationId ? { correlationId } : {};
  return {
    async start(requestId, input) {
      for (let attempt = 1; ; attempt++) {
        try {
          // Signed like commands: the orchestration's first step runs nothing for an input the app did not make.
          await client.startNew(APPROVAL_ORCHESTRATOR, {
            instanceId: requestId,
            input: signStart(appKeys, requestId, { ...input, ...correlation }, new Date()),
          });
          return;
        } catch (error) {
          // A retried submit finds its orchestration already running: that is the one we want.
          const status = await client.getStatus(requestId).catch(() => undefined);
          if (status) return;
          if (attempt === START_ATTEMPTS) {
            throw Object.assign(
              new DomainError(
                'orchestration_unavailable',
                `Request ${requestId} holds its resource's lock without an orchestration. Submit again with the same Idempotency-Key to retry, or ask an operator to start it (POST /api/ops/requests/${requestId}/redrive).`,
              ),
              { cause: error },
            );
          }
          await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS * attempt));
        }
      }
    },
    async raise(requestId, command, options = {}) {
      // Signed here, the one place commands leave the app: the orchestration applies only signed commands.
      const signed = signCommand(appKeys, requestId, command, new Date());
      await client.raiseEvent(requestId, ApprovalEvents.Command, { ...signed, ...correlation });
      if (options.checkRunning !== false) await assertRunning(requestId);
      return { nonce: signed.signature.nonce };
    },
    assertRunning,
  };
  async function assertRunning(requestId: string): Promise<void> {
    // The client treats "instance already finished" (410) as success: the command would vanish.
    const status = await client.getStatus(requestId);
    if (FINISHED.has(status.runtimeStatus)) throw new DomainError('invalid_state', 'the request is closed');
  }
}

/** For functions without a Durable client binding: every start or command fails. */
export const noOrchestrations: Orchestrations = {
  start: () => Promise.reject(new Error('no Durable client in this function')),
  raise: () => Promise.reject(new Error('no Durable client in this function')),
  assertRunning: () => Promise.reject(new Error('no Durable client in this function')),
};

const statusOf = (status: df.DurableOrchestrationStatus | Record<string, unknown>): InstanceStatus => {
  const value = status as unknown as Record<string, unknown>;
  const time = (field: unknown) => (field instanceof Date ? field.toISOString() : String(field ?? ''));
  return {
    instanceId: String(value.instanceId),
    name: String(value.name),
    runtimeStatus: String(value.runtimeStatus),
    customStatus: value.customStatus ?? null,
    createdTime: time(value.createdTime),
    lastUpdatedTime: time(value.lastUpdatedTime),
  };
};

/** The extension's history events, summarised (the scheduling rows are folded into their outcomes by the extension). */
function summariseHistory(events: unknown[]): HistoryItem[] {
  return events.map((raw) => {
    const event = raw as Record<string, unknown>;
    const type = String(event.EventType);
    const item: HistoryItem = { eventType: type, at: String(event.Timestamp ?? '') };
    const name = event.FunctionName ?? event.Name;
    if (typeof name === 'string') item.name = name;
    if (type === 'TaskCompleted' || type === 'SubOrchestrationInstanceCompleted') item.outcome = 'succeeded';
    else if (type === 'TaskFailed' || type === 'SubOrchestrationInstanceFailed')
      item.outcome = `failed: ${String(event.Reason ?? '').split('\n')[0]}`;
    else if (type === 'ExecutionCompleted') item.outcome = String(event.OrchestrationStatus ?? '');
    else if (type === 'ExecutionTerminated') item.outcome = `terminated: ${String(event.Input ?? '')}`;
    return item;
  });
}

const isNotFound = (error: unknown) => error instanceof Error && /HTTP 404/.test(error.message);

/** The extension's status URL of `instanceId` (of the instance list when empty), with the system key in Azure. */
function managementUrl(client: df.DurableClient, instanceId: string): URL {
  const marker = 'ops-instance-marker';
  return new URL(
    client
      .createHttpManagementPayload(marker)
      .statusQueryGetUri.replace(`/instances/${marker}`, `/instances/${encodeURIComponent(instanceId)}`),
  );
}

/**
 * The operators' view of Durable Functions through `client`. Lists use the extension's HTTP API
 * (`GET .../instances` with `top` and the `x-ms-continuation-token` header, which the SDK's
 * getStatusBy follows to the end instead of paging), reached at the management URL the client
 * hands out (with the system key in Azure). A continuation token the extension refuses is
 * `invalid_continuation`; an operator's start of an approval orchestration that started meanwhile
 * is `invalid_state`. Approval starts are signed with `appKeys` like the submit's.
 */
export function opsOrchestrations(client: df.DurableClient, appKeys: AppKeyRing): OpsOrchestrations {
  return {
    async get(instanceId, withHistory = false) {
      if (withHistory) {
        // The SDK's getStatus drops the extension's `historyEvents`; the HTTP API returns them.
        const url = managementUrl(client, instanceId);
        url.searchParams.set('showHistory', 'true');
        url.searchParams.set('showInput', 'false');
        const response = await fetch(url);
        if (response.status === 404) return undefined;
        if (!response.ok && response.status !== 202)
          throw new Error(`the Durable status query answered ${response.status}`);
        const body = (await response.json()) as Record<string, unknown>;
        return {
          ...statusOf(body),
          history: summariseHistory(Array.isArray(body.historyEvents) ? body.historyEvents : []),
        };
      }
      try {
        return statusOf(await client.getStatus(instanceId, { showInput: false }));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list(query) {
      const url = managementUrl(client, '');
      url.searchParams.set('top', String(query.top));
      url.searchParams.set('showInput', 'false');
      if (query.runtimeStatus?.length) url.searchParams.set('runtimeStatus', query.runtimeStatus.join(','));
      if (query.createdFrom) url.searchParams.set('createdTimeFrom', query.createdFrom);
      if (query.createdTo) url.searchParams.set('createdTimeTo', query.createdTo);
      const response = await fetch(url, {
        headers: query.continuationToken ? { 'x-ms-continuation-token': query.continuationToken } : {},
      });
      if (response.status === 400)
        throw new StoreError('invalid_continuation', 'the Durable instance query refused the continuation token');
      if (!response.ok) throw new Error(`the Durable instance query answered ${response.status}`);
      const items = ((await response.json()) as Record<string, unknown>[]).map(statusOf);
      const token = response.headers.get('x-ms-continuation-token');
      return { items, ...(token ? { continuationToken: token } : {}) };
    },
    async failedSince(since) {
      const failed = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Failed] });
      const sinceMs = Date.parse(since);
      return failed.filter((status) => Date.parse(statusOf(status).lastUpdatedTime) >= sinceMs).length;
    },
    terminate: (instanceId, reason) => client.terminate(instanceId, reason),
    async startRedrive(input) {
      await client.startNew(REDRIVE_ORCHESTRATOR, {
        instanceId: redriveInstanceId(input.request.id, input.number),
        input,
      });
    },
    async startApproval(input) {
      try {
        // Signed like the submit's start (the correlation id is not covered).
        await client.startNew(APPROVAL_ORCHESTRATOR, {
          instanceId: input.request.id,
          input: signStart(appKeys, input.request.id, input, new Date()),
        });
      } catch (error) {
        // Started meanwhile (a retried submit): then there is nothing left to do here.
        if (await client.getStatus(input.request.id).catch(() => undefined)) {
          throw new DomainError('invalid_state', 'Its orchestration has started; nothing needs re-driving yet.');
        }
        throw error;
      }
    },
  };
}
