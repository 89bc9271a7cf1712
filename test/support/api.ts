import type { RunningRuntime } from './runtime';

/** A small client for the public API as the seeded local users. */
export class Api {
  private readonly tokens = new Map<string, string>();
  constructor(public runtime: RunningRuntime) {}

  async token(user: string): Promise<string> {
    let token = this.tokens.get(user);
    if (!token) {
      const response = await fetch(`${this.runtime.url}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user }),
      });
      token = ((await response.json()) as { access_token: string }).access_token;
      this.tokens.set(user, token);
    }
    return token;
  }

  async call(
    user: string,
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${this.runtime.url}/api/${route}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.token(user)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  /** Drops the cached tokens, so the next calls mint new ones (after a manual clock moved past their expiry). */
  forgetTokens(): void {
    this.tokens.clear();
  }

  /** Polls a request until `predicate` holds (the orchestration applies commands asynchronously). */
  async until(user: string, id: string, predicate: (request: any) => boolean): Promise<any> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { body } = await this.call(user, 'GET', `requests/${id}`);
      if (predicate(body)) return body;
      if (Date.now() > deadline)
        throw new Error(`request ${id} never reached the expected state; last: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** The id of the seeded `maa-approvers` group. */
export async function approverGroup(runtime: RunningRuntime): Promise<string> {
  const directory = (await (await fetch(`${runtime.url}/_local/directory`)).json()) as {
    groups: { id: string; displayName: string }[];
  };
  return directory.groups.find((group) => group.displayName === 'maa-approvers')!.id;
}

/** One audit record as `GET /api/requests/{id}/audit` returns it. */
export interface AuditItem {
  seq: number;
  type: string;
  at: string;
  actor: { id: string; displayName: string } | null;
  data: Record<string, any>;
}

/** The whole audit trail of a request (every page), and whether its hash chain verifies. */
export async function auditTrail(
  api: Api,
  user: string,
  id: string,
): Promise<{ items: AuditItem[]; chainValid: boolean }> {
  const items: AuditItem[] = [];
  let chainValid = true;
  let token: string | undefined;
  do {
    const page = await api.call(
      user,
      'GET',
      `requests/${id}/audit?top=100${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
    );
    if (page.status !== 200) throw new Error(`audit of ${id} answered ${page.status}: ${JSON.stringify(page.body)}`);
    items.push(...(page.body.items as AuditItem[]));
    chainValid &&= page.body.chainValid === true;
    token = page.body.continuationToken as string | undefined;
  } while (token);
  return { items, chainValid };
}

/**
 * Creates an access policy the way an admin does: alice submits the change, bob approves it,
 * alice completes it; resolves with the policy once it is in place.
 */
export async function createPolicy(api: Api, draft: Record<string, unknown>): Promise<any> {
  const change = await api.call('alice', 'POST', 'policies', { justification: 'Test set-up', ...draft });
  if (change.status !== 202) throw new Error(`policy change answered ${change.status}: ${JSON.stringify(change.body)}`);
  const id = change.body.id as string;
  const approved = await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'set-up' });
  // A command answers once the orchestration applied it (200), or at once (202) with no command wait.
  if (approved.status === 202) await api.until('alice', id, (r) => r.status === 'approved');
  else if (approved.status !== 200 || approved.body.status !== 'approved')
    throw new Error(`approving the policy change answered ${approved.status}: ${JSON.stringify(approved.body)}`);
  const completed = await api.call('alice', 'POST', `requests/${id}/complete`);
  if (completed.status !== 200 && completed.status !== 202)
    throw new Error(`completing the policy change answered ${completed.status}: ${JSON.stringify(completed.body)}`);
  await api.until('alice', id, (r) => r.execution !== undefined);
  const policies = await api.call('alice', 'GET', 'policies?top=100');
  const policy = (policies.body.items as { profileType: string }[]).find((p) => p.profileType === draft.profileType);
  if (!policy) throw new Error(`no ${String(draft.profileType)} policy after its change completed`);
  return policy;
}

/** Moves a runtime started with `MAA_LOCAL_CLOCK=manual` forward (ISO-8601 duration); resolves with its new time. */
export async function advanceClock(runtime: RunningRuntime, duration: string): Promise<string> {
  const response = await fetch(`${runtime.url}/_local/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance: duration }),
  });
  const body = (await response.json()) as { now?: string };
  if (response.status !== 200 || body.now === undefined)
    throw new Error(`advancing the clock answered ${response.status}: ${JSON.stringify(body)}`);
  return body.now;
}

/** Adds (`PUT`) or removes (`DELETE`) a member of a group in the runtime's local directory. */
export async function changeGroupMember(
  runtime: RunningRuntime,
  method: 'PUT' | 'DELETE',
  groupId: string,
  member: string,
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(
    `${runtime.url}/_local/directory/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(member)}`,
    { method },
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** Polls a request's audit trail until `predicate` holds for its items (notifications are audited after the step they follow). */
export async function trailUntil(
  api: Api,
  user: string,
  id: string,
  predicate: (items: AuditItem[]) => boolean,
): Promise<{ items: AuditItem[]; chainValid: boolean }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const trail = await auditTrail(api, user, id);
    if (predicate(trail.items)) return trail;
    if (Date.now() > deadline)
      throw new Error(
        `the trail of ${id} never reached the expected state; last: ${JSON.stringify(trail.items.map((item) => item.type))}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export { WIPE_LIFECYCLE_TRAIL } from './lifecycleAudit';

/** Assigns (`PUT`) or takes away (`DELETE`) an app role of a user in the runtime's local directory. */
export async function changeRole(
  runtime: RunningRuntime,
  method: 'PUT' | 'DELETE',
  user: string,
  role: string,
): Promise<{ status: number; body: any }> {
  const response = await fetch(
    `${runtime.url}/_local/directory/users/${encodeURIComponent(user)}/roles/${encodeURIComponent(role)}`,
    { method },
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
