import type { RunningRuntime } from './runtime';

/** A small client for the public API as the seeded local users. */
export class Api {
  private readonly tokens = new Map<string, string>();
  constructor(public runtime: RunningRuntime) {}

  async token(user: string): Promise<string> {
    let token = this.tokens.get(user);
    if (!token) {
      const response = await fetch(`${this.runtime.url}/_local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
      token = ((await response.json()) as { access_token: string }).access_token;
      this.tokens.set(user, token);
    }
    return token;
  }

  async call(user: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${this.runtime.url}/api/${route}`, {
      method,
      headers: { authorization: `Bearer ${await this.token(user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  /** Polls a request until `predicate` holds (the orchestration applies commands asynchronously). */
  async until(user: string, id: string, predicate: (request: any) => boolean): Promise<any> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { body } = await this.call(user, 'GET', `requests/${id}`);
      if (predicate(body)) return body;
      if (Date.now() > deadline) throw new Error(`request ${id} never reached the expected state; last: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** The id of the seeded `maa-approvers` group. */
export async function approverGroup(runtime: RunningRuntime): Promise<string> {
  const directory = (await (await fetch(`${runtime.url}/_local/directory`)).json()) as { groups: { id: string; displayName: string }[] };
  return directory.groups.find((group) => group.displayName === 'maa-approvers')!.id;
}

