import type { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import { APPROVAL_ORCHESTRATOR, REDRIVE_ORCHESTRATOR } from '../orchestrations/names';
import { getServices } from '../shared/composition';
import { config } from '../shared/config';
import { HttpError } from '../shared/http/problem';
import { signStart } from '../shared/keys/commandSignature';
import {
  redriveInstanceId,
  type HistoryItem,
  type InstanceStatus,
  type OpsOrchestrations,
} from '../shared/ops/orchestrations';
import type { OpsDeps } from '../shared/ops/useCases';
import { correlationIdOf } from '../shared/telemetry/correlation';

/** What the ops functions share: the ops reader, the Durable adapter and the use cases' dependencies. */

/** The ops use cases' dependencies for one invocation. */
export function opsDeps(client: df.DurableClient, request: HttpRequest): OpsDeps {
  const { store, opsReader, now, appKeys } = getServices();
  return {
    store,
    reader: opsReader,
    orchestrations: durableOps(client),
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    correlationId: correlationIdOf(request),
    appKeys,
  };
}

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
 * The Durable adapter. Lists use the extension's HTTP API (`GET .../instances` with `top` and the
 * `x-ms-continuation-token` header, which the SDK's getStatusBy follows to the end instead of
 * paging), reached at the management URL the client hands out (with the system key in Azure).
 */
function durableOps(client: df.DurableClient): OpsOrchestrations {
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
        throw new HttpError(400, 'invalid_continuation', 'The continuation token is not valid');
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
        // Signed like the submit's start (the correlation id is not covered): see functions/support.ts.
        await client.startNew(APPROVAL_ORCHESTRATOR, {
          instanceId: input.request.id,
          input: signStart(config().appKeys, input.request.id, input, new Date()),
        });
      } catch (error) {
        // Started meanwhile (a retried submit): then there is nothing left to do here.
        if (await client.getStatus(input.request.id).catch(() => undefined)) {
          throw new HttpError(
            409,
            'invalid_state',
            'The request is not in a state that allows this',
            'Its orchestration has started; nothing needs re-driving yet.',
          );
        }
        throw error;
      }
    },
  };
}
