import { LOCAL_GRAPH_CLIENT, LOCAL_TENANT_ID } from '../../local/identity/seed';
import { approverGroup, createPolicy, type Api } from './api';
import { TENANT_COLLECTIONS } from './catalogueRun';
import { intuneCalls, intuneTenant, type IntuneCall } from './intune';
import type { RunningRuntime } from './runtime';

async function local(
  runtime: RunningRuntime,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${runtime.url}/_local/${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** One object of the local tenant as it is now; undefined when it is not (or no longer) there. */
export async function tenantObject(runtime: RunningRuntime, resourceType: string, id: string): Promise<any> {
  return (await intuneTenant(runtime.url))[TENANT_COLLECTIONS[resourceType]!]!.find((item) => item.id === id);
}

/** The writes sent with `clientRequestId` (one request's), and those of them Graph accepted. */
export async function writesOf(
  runtime: RunningRuntime,
  clientRequestId: string,
): Promise<{ all: IntuneCall[]; effective: IntuneCall[] }> {
  const all = (await intuneCalls(runtime.url)).filter((call) => call.clientRequestId === clientRequestId);
  return { all, effective: all.filter((call) => call.status >= 200 && call.status < 300) };
}

/** The next `count` writes whose path contains `path` answer `status` and change nothing. */
export async function injectFault(
  runtime: RunningRuntime,
  fault: { status: 429 | 500 | 503; count: number; retryAfterSeconds?: number; path?: string },
): Promise<void> {
  const answer = await local(runtime, 'POST', 'intune/faults', fault);
  if (answer.status !== 204) throw new Error(`POST /_local/intune/faults answered ${answer.status}`);
}

/** Turns native Multi Admin Approval's interception of app-only writes of `profileType` on or off. */
export async function nativeApproval(runtime: RunningRuntime, profileType: string, enabled: boolean): Promise<void> {
  const answer = await local(runtime, 'POST', 'intune/nativeApproval', { profileType, enabled });
  if (answer.status !== 204) throw new Error(`POST /_local/intune/nativeApproval answered ${answer.status}`);
}

/**
 * Calls the local Graph as the app's own registration would (client credentials), e.g. to change
 * an object as another admin tool would behind the service's back.
 */
export async function graphAsApp(
  runtime: RunningRuntime,
  method: string,
  pathFromVersion: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const token = await fetch(`${runtime.url}/_local/entra/${LOCAL_TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: LOCAL_GRAPH_CLIENT.clientId,
      client_secret: LOCAL_GRAPH_CLIENT.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }).toString(),
  });
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  const response = await fetch(`${runtime.url}/_local/graph${pathFromVersion}`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Submits `body` as alice and has `approver` approve it; resolves with the approved request's id. */
export async function submitApproved(api: Api, body: unknown, approver = 'bob'): Promise<string> {
  const submitted = await api.call('alice', 'POST', 'requests', body);
  if (submitted.status !== 202)
    throw new Error(
      `submitting ${JSON.stringify(body)} answered ${submitted.status}: ${JSON.stringify(submitted.body)}`,
    );
  const id = submitted.body.id as string;
  const approved = await api.call(approver, 'POST', `requests/${id}/approve`, { notes: 'checked' });
  if (approved.status !== 200) throw new Error(`approving ${id} answered ${approved.status}`);
  await api.until('alice', id, (request) => request.status === 'approved');
  return id;
}

/** Completes an approved request as alice; resolves with the request once its execution is recorded. */
export async function completeAndExecute(api: Api, id: string, timeoutMs = 30_000): Promise<any> {
  const completed = await api.call('alice', 'POST', `requests/${id}/complete`);
  if (completed.status !== 200) throw new Error(`completing ${id} answered ${completed.status}`);
  return executionOf(api, id, timeoutMs);
}

/** Polls until the request's execution is recorded (longer than {@link Api.until}: retries wait on Graph). */
export async function executionOf(api: Api, id: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api.call('alice', 'GET', `requests/${id}`);
    if (body?.execution !== undefined) return body;
    if (Date.now() > deadline) throw new Error(`${id} has no execution after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Puts a policy in place for each of `profileTypes` (maa-approvers approve), side by side, as admins do. */
export async function protect(api: Api, ...profileTypes: string[]): Promise<void> {
  const group = await approverGroup(api.runtime);
  await Promise.all(
    profileTypes.map((profileType) =>
      createPolicy(api, { displayName: `${profileType} needs a second admin`, profileType, approverGroupIds: [group] }),
    ),
  );
}
