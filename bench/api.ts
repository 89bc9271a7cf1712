import type { OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WIPE_LIFECYCLE_TRAIL } from '../test/support/lifecycleAudit';
import type { HttpClient, HttpResponse } from './httpClient';

/** The seeded local users the API benchmarks act as. */
export const USERS = ['alice', 'bob', 'carol'] as const;
export type User = (typeof USERS)[number];

/** The API calls timed separately (`wait`: long-polls, which last until the request gets there). */
export const ENDPOINTS = ['submit', 'approve', 'complete', 'get', 'wait', 'list'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Durations of API calls in ms, per endpoint, in the order they were made. */
export type CallTimes = Record<Endpoint, number[]>;

/** The fields of an approval request the benchmarks read. */
export interface RequestView {
  id: string;
  status: string;
  createdAt: string;
  initiator: { id: string };
  /** `device`: what the wiped device did, once the follow-up saw it settle. */
  execution?: { status: string; device?: { state: string } };
}

/** One page of a list view. */
export interface RequestPage {
  items: RequestView[];
  continuationToken?: string;
}

/** A request's audit trail as `GET /api/requests/{id}/audit` returns it. */
export interface AuditTrail {
  items: { type: string }[];
  chainValid: boolean;
}

const POLL_TIMEOUT_MS = 30_000;
const POLL_BACKOFF_MS = [2, 4, 8, 16, 32] as const;

/** Empty call-time lists, one per endpoint. */
export function emptyCallTimes(): CallTimes {
  return { submit: [], approve: [], complete: [], get: [], wait: [], list: [] };
}

/** The wait before poll number `attempt` (0-based): 2, 4, 8, 16, 32, 32 … ms. */
export function pollDelayMs(attempt: number): number {
  return POLL_BACKOFF_MS[Math.min(attempt, POLL_BACKOFF_MS.length - 1)]!;
}

/**
 * The app's public API as the seeded local users, over one keep-alive client. Every call made
 * through an instance with call times is timed, from sending to the whole response being read.
 */
export class AppApi {
  private constructor(
    private readonly client: HttpClient,
    private readonly tokens: ReadonlyMap<User, string>,
    private readonly times: CallTimes | undefined,
  ) {}

  /** Fetches a token for each seeded user the benchmarks act as. */
  static async connect(client: HttpClient): Promise<AppApi> {
    const tokens = new Map<User, string>();
    for (const user of USERS) {
      const response = await client.expect('POST', '/_local/token', [200], { user });
      tokens.set(user, (JSON.parse(response.body) as { access_token: string }).access_token);
    }
    return new AppApi(client, tokens, undefined);
  }

  /** The same users and client, with every call's duration added to `times`. */
  timed(times: CallTimes): AppApi {
    return new AppApi(this.client, this.tokens, times);
  }

  /** The id of the local directory's `maa-approvers` group. */
  async approverGroupId(): Promise<string> {
    const response = await this.client.expect('GET', '/_local/directory', [200]);
    const { groups } = JSON.parse(response.body) as { groups: { id: string; displayName: string }[] };
    const group = groups.find((candidate) => candidate.displayName === 'maa-approvers');
    if (!group) throw new Error('the local directory has no maa-approvers group');
    return group.id;
  }

  /**
   * Enrols a managed device named `name` in the runtime's local Intune tenant
   * (`POST /_local/intune/managedDevices`, never timed); resolves with its id.
   */
  async enrolDevice(name: string): Promise<string> {
    const response = await this.client.expect('POST', '/_local/intune/managedDevices', [201], {
      deviceName: name,
      operatingSystem: 'Windows',
      userPrincipalName: 'dave@maa.test',
    });
    return (JSON.parse(response.body) as { id: string }).id;
  }

  /** alice submits a device wipe of managed device `resourceId` (an enrolled device's id). */
  async submitWipe(resourceId: string): Promise<RequestView> {
    const body = {
      profileType: 'deviceWipe',
      operation: { action: 'wipe', resourceType: 'managedDevice', resourceId },
      justification: 'Benchmark: device reported lost',
    };
    return this.json<RequestView>('submit', 'alice', 'POST', '/api/requests', [202], body);
  }

  /** alice proposes the policy that makes device wipes need one approval from `groupId`. */
  async submitWipePolicy(groupId: string): Promise<RequestView> {
    const body = {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [groupId],
      justification: 'Benchmark set-up',
    };
    return this.json<RequestView>('submit', 'alice', 'POST', '/api/policies', [202], body);
  }

  /**
   * `user` (bob by default) approves request `id`; answers the request as the API does: once
   * applied (`applied`), or as it stood when the service's wait passed first (a 202).
   */
  async approve(id: string, user: User = 'bob'): Promise<{ applied: boolean; request: RequestView }> {
    const response = await this.call(
      'approve',
      user,
      'POST',
      `/api/requests/${encodeURIComponent(id)}/approve`,
      [200, 202],
      { notes: 'ok' },
    );
    return { applied: response.status === 200, request: JSON.parse(response.body) as RequestView };
  }

  /** alice completes her approved request `id`; answers as {@link approve} does. */
  async complete(id: string): Promise<{ applied: boolean; request: RequestView }> {
    const response = await this.call(
      'complete',
      'alice',
      'POST',
      `/api/requests/${encodeURIComponent(id)}/complete`,
      [200, 202],
    );
    return { applied: response.status === 200, request: JSON.parse(response.body) as RequestView };
  }

  /**
   * Request `id` once it reaches `target` (a status, or `executed`) or closes: long-polls of
   * `GET /api/requests/{id}?waitFor=` (the service answers as soon as it gets there), asked
   * again after each timeout; throws after 30 s.
   */
  async awaitRequest(id: string, target: string): Promise<RequestView> {
    const deadline = performance.now() + POLL_TIMEOUT_MS;
    for (;;) {
      const path = `/api/requests/${encodeURIComponent(id)}?waitFor=${target}&timeout=PT25S`;
      const response = await this.call('wait', 'alice', 'GET', path, [200]);
      const request = JSON.parse(response.body) as RequestView;
      if (response.headers['x-maa-wait'] === 'reached') return request;
      if (performance.now() > deadline)
        throw new Error(`request ${id} not ${target} after ${POLL_TIMEOUT_MS} ms: ${response.body.slice(0, 300)}`);
    }
  }

  /** Request `id` as alice sees it. */
  async get(id: string): Promise<RequestView> {
    return this.json<RequestView>('get', 'alice', 'GET', `/api/requests/${encodeURIComponent(id)}`, [200]);
  }

  /** One page of `GET /api/requests?<query>` as `user`. */
  async list(user: User, query: string): Promise<RequestPage> {
    return this.json<RequestPage>('list', user, 'GET', `/api/requests?${query}`, [200]);
  }

  /** Request `id`'s audit trail as alice sees it (never timed). */
  async audit(id: string): Promise<AuditTrail> {
    const response = await this.client.expect(
      'GET',
      `/api/requests/${encodeURIComponent(id)}/audit?top=100`,
      [200],
      undefined,
      this.auth('alice'),
    );
    return JSON.parse(response.body) as AuditTrail;
  }

  /**
   * Polls request `id` (2, 4, 8, 16, 32, 32 … ms apart) until `done` holds; throws after 30 s.
   * The orchestration applies commands asynchronously, so the read model lags the 202.
   */
  async waitFor(id: string, done: (request: RequestView) => boolean, what: string): Promise<RequestView> {
    const deadline = performance.now() + POLL_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const request = await this.get(id);
      if (done(request)) return request;
      if (performance.now() > deadline)
        throw new Error(
          `request ${id} not ${what} after ${POLL_TIMEOUT_MS} ms: ${JSON.stringify(request).slice(0, 300)}`,
        );
      await sleep(pollDelayMs(attempt));
    }
  }

  private async json<T>(
    endpoint: Endpoint,
    user: User,
    method: string,
    path: string,
    expected: readonly number[],
    body?: unknown,
  ): Promise<T> {
    const response = await this.call(endpoint, user, method, path, expected, body);
    return JSON.parse(response.body) as T;
  }

  private async call(
    endpoint: Endpoint,
    user: User,
    method: string,
    path: string,
    expected: readonly number[],
    body?: unknown,
  ): Promise<HttpResponse> {
    const began = performance.now();
    const response = await this.client.expect(method, path, expected, body, this.auth(user));
    this.times?.[endpoint].push(performance.now() - began);
    return response;
  }

  private auth(user: User): OutgoingHttpHeaders {
    return { authorization: `Bearer ${this.tokens.get(user)!}` };
  }
}

/** Whether a request's lifecycle is over: executed, or closed some other way (or gone astray). */
function finished(request: RequestView): boolean {
  return request.execution !== undefined || (request.status !== 'approved' && request.status !== 'completed');
}

/** Throws unless `request` ended completed with a successful execution. */
export function expectSucceeded(request: RequestView): void {
  if (request.status !== 'completed' || request.execution?.status !== 'succeeded') {
    throw new Error(
      `ended ${request.status} with execution ${JSON.stringify(request.execution ?? null)}, expected completed with execution succeeded`,
    );
  }
}

/**
 * Bootstraps the deviceWipe policy the way the API allows it: alice proposes it, bob approves,
 * alice completes, and the policy is in force once the change has executed.
 */
export async function bootstrapWipePolicy(api: AppApi): Promise<void> {
  const change = await api.submitWipePolicy(await api.approverGroupId());
  await driveToCompletion(api, change.id);
}

/**
 * Enrols `count` devices named `<prefix>-0` .. `<prefix>-<count - 1>` with `concurrency` clients;
 * resolves with their ids in that order. Each wipe needs a device of its own: a wiped device is
 * pending its wipe, and a device with an open request is locked.
 */
export async function enrolDevices(api: AppApi, prefix: string, count: number, concurrency: number): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      ids[n] = await api.enrolDevice(`${prefix}-${n}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return ids;
}

/** A device wipe of managed device `resourceId` through submit (alice), approve (bob) and complete (alice); returns the final request. */
export async function wipeLifecycle(api: AppApi, resourceId: string): Promise<RequestView> {
  const submitted = await api.submitWipe(resourceId);
  if (submitted.status !== 'needsApproval')
    throw new Error(`submitted request ${submitted.id} is ${submitted.status}, expected needsApproval`);
  return driveToCompletion(api, submitted.id);
}

/**
 * Approves and completes request `id` and waits for its execution the way a client needs no
 * polling for: each command answers with the request it left (a long-poll only when the service's
 * wait passed first), and one long-poll waits for the execution.
 */
async function driveToCompletion(api: AppApi, id: string): Promise<RequestView> {
  const approval = await api.approve(id);
  const decided = approval.applied ? approval.request : await api.awaitRequest(id, 'approved');
  if (decided.status !== 'approved')
    throw new Error(`request ${id} is ${decided.status} after the approval, expected approved`);
  const completion = await api.complete(id);
  if (!completion.applied) await api.awaitRequest(id, 'completed');
  const done = await api.awaitRequest(id, 'executed');
  if (!finished(done)) throw new Error(`request ${id} answered the wait for its execution unexecuted`);
  expectSucceeded(done);
  return done;
}

/**
 * Throws unless request `id`'s audit trail is `expected` (by default the records of a full
 * lifecycle whose device has not settled yet) with a valid hash chain.
 */
export async function checkLifecycleAudit(
  api: AppApi,
  id: string,
  expected: readonly string[] = WIPE_LIFECYCLE_TRAIL,
): Promise<void> {
  const trail = await api.audit(id);
  const types = trail.items.map((record) => record.type);
  if (!trail.chainValid) throw new Error(`request ${id}: the audit hash chain does not verify`);
  if (types.join() !== expected.join())
    throw new Error(`request ${id}: audit records ${types.join(', ')}, expected ${expected.join(', ')}`);
}
