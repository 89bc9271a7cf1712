import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from './httpClient';

/** How an event reaches the runtime: the Durable webhook (one hop) or the app's function through its DurableClient. */
export type RaisePath = 'webhook' | 'client';

/** The event the workload orchestrator waits for. */
export const EVENT_NAME = 'Decision';
const ORCHESTRATOR = 'Lifecycle';
const WEBHOOKS = '/runtime/webhooks/durabletask';

/** Status JSON of one instance as the webhook API returns it. */
export interface InstanceStatus {
  runtimeStatus: string;
  output: unknown;
  historyEvents?: { EventType: string }[];
}

/** Routes of the workload fixture app and of the Durable webhooks. */
export const routes = {
  start: (id: string) => `/api/lifecycles/${encodeURIComponent(id)}`,
  decision: (id: string) => `/api/lifecycles/${encodeURIComponent(id)}/decision`,
  reaction: (id: string) => `/api/lifecycles/${encodeURIComponent(id)}/reaction`,
  webhookStart: (id: string) => `${WEBHOOKS}/orchestrators/${ORCHESTRATOR}/${encodeURIComponent(id)}`,
  raiseEvent: (id: string) => `${WEBHOOKS}/instances/${encodeURIComponent(id)}/raiseEvent/${EVENT_NAME}`,
  status: (id: string, query = 'showInput=false') => `${WEBHOOKS}/instances/${encodeURIComponent(id)}?${query}`,
  pendingQuery: `${WEBHOOKS}/instances/?runtimeStatus=Pending&top=1`,
};

const FINISHED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** Wall-clock milliseconds with sub-millisecond precision, comparable with the fixture's `reaction.at`. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Starts instance `id` through the app's HTTP function. */
export async function startLifecycle(client: HttpClient, id: string): Promise<void> {
  await client.expect('POST', routes.start(id), [202]);
}

/** Raises the `Decision` event with `decision` as its data, through `path`. */
export async function raiseDecision(client: HttpClient, id: string, path: RaisePath, decision: unknown): Promise<void> {
  const route = path === 'webhook' ? routes.raiseEvent(id) : routes.decision(id);
  await client.expect('POST', route, [202], decision);
}

/** Reads an instance's status (202 while it runs, 200 once finished). */
export async function readStatus(client: HttpClient, id: string, query?: string): Promise<InstanceStatus> {
  const response = await client.expect('GET', routes.status(id, query), [200, 202]);
  return JSON.parse(response.body) as InstanceStatus;
}

/** Whether the instance's history shows the episode that began waiting for the event (it creates the timer). */
export function isWaiting(status: InstanceStatus): boolean {
  return (
    status.runtimeStatus === 'Running' &&
    (status.historyEvents ?? []).some((event) => event.EventType === 'TimerCreated')
  );
}

/** Polls (every `intervalMs`) until instance `id` waits for its event; throws if it finishes first or times out. */
export async function waitUntilWaiting(
  client: HttpClient,
  id: string,
  timeoutMs = 30_000,
  intervalMs = 2,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await readStatus(client, id, 'showHistory=true&showInput=false');
    if (isWaiting(status)) return;
    if (FINISHED.has(status.runtimeStatus))
      throw new Error(`instance ${id} is ${status.runtimeStatus} before its event was raised`);
    if (performance.now() > deadline)
      throw new Error(
        `instance ${id} not waiting for ${EVENT_NAME} after ${timeoutMs} ms (status ${status.runtimeStatus})`,
      );
    await sleep(intervalMs);
  }
}

/** Polls the fixture's reaction endpoint until the second activity of `id` has started; returns its wall-clock start. */
export async function waitForReaction(
  client: HttpClient,
  id: string,
  timeoutMs = 30_000,
  intervalMs = 2,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const response = await client.expect('GET', routes.reaction(id), [200, 404]);
    if (response.status === 200) return (JSON.parse(response.body) as { at: number }).at;
    if (performance.now() > deadline) throw new Error(`no reaction from instance ${id} after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Polls with a doubling back-off (2, 4, ... 32 ms) until instance `id` finished; returns its final status. */
export async function waitUntilFinished(client: HttpClient, id: string, timeoutMs = 120_000): Promise<InstanceStatus> {
  const deadline = performance.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 32)) {
    const status = await readStatus(client, id);
    if (FINISHED.has(status.runtimeStatus)) return status;
    if (performance.now() > deadline)
      throw new Error(`instance ${id} not finished after ${timeoutMs} ms (status ${status.runtimeStatus})`);
    await sleep(delay);
  }
}

/** The output the workload orchestrator must produce for instance `id` decided with `decision`. */
export function expectedOutput(id: string, decision: unknown): unknown {
  return { first: { id, n: 1, decision: null }, second: { id, n: 2, decision } };
}
