/**
 * Approver group membership that changes while a request is open, through the real runtime over
 * HTTP: the local directory's membership endpoint changes what the local Graph answers, the API
 * refuses a former member at once (no membership cache), and an approval the API accepted but the
 * orchestration applies only after the approver left the group is refused by the orchestration
 * (audited as `request.eventRefused` with `not_an_approver`) without changing the request.
 */
import { Api, approverGroup, auditTrail, changeGroupMember, createPolicy, trailUntil } from '../support/api';
import { startRuntime } from '../support/runtime';
import { wipeBody } from '../support/builders';
import { newDevice } from '../support/intune';

jest.setTimeout(60_000);

const CAROL = 'ca401000-0000-4000-8000-000000000003';

const wipe = (resourceId: string) => wipeBody(resourceId);

describe('approver membership that changes while a request is open (no membership cache)', () => {
  let api: Api;
  let group: string;

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_GROUP_CACHE_SECONDS: '0' } }));
    group = await approverGroup(api.runtime);
    await createPolicy(api, {
      displayName: 'Device wipes need a second admin',
      profileType: 'deviceWipe',
      approverGroupIds: [group],
    });
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  /** The members of the approver group as `GET /_local/directory` lists them. */
  async function members(): Promise<string[]> {
    const directory = (await (await fetch(`${api.runtime.url}/_local/directory`)).json()) as {
      groups: { id: string; members: string[] }[];
    };
    return directory.groups.find((candidate) => candidate.id === group)!.members;
  }

  /** The Durable status of a request's orchestration, through the extension's public webhooks. */
  async function instance(
    id: string,
    action?: 'suspend' | 'resume',
  ): Promise<{ status: number; runtimeStatus?: string }> {
    if (action) {
      const response = await fetch(api.runtime.durable(`instances/${id}/${action}?reason=membership-test`), {
        method: 'POST',
      });
      await response.text();
      return { status: response.status };
    }
    const response = await fetch(api.runtime.durable(`instances/${id}`));
    const body = (await response.json()) as { runtimeStatus?: string };
    return {
      status: response.status,
      ...(body.runtimeStatus === undefined ? {} : { runtimeStatus: body.runtimeStatus }),
    };
  }

  async function untilRuntimeStatus(id: string, wanted: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (let current = await instance(id); current.runtimeStatus !== wanted; current = await instance(id)) {
      if (Date.now() > deadline)
        throw new Error(`orchestration ${id} never became ${wanted}; last: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('changes group membership through the local directory, and the app sees it on the next call', async () => {
    const id = (await api.call('alice', 'POST', 'requests', wipe(await newDevice(api.runtime.url, 'member-1')))).body
      .id as string;

    const removed = await changeGroupMember(api.runtime, 'DELETE', group, 'carol');
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ id: group, displayName: 'maa-approvers' });
    expect(removed.body.members).not.toContain(CAROL);
    expect(await members()).not.toContain(CAROL);
    // The API reads membership from the local Graph on every call: carol can neither see nor decide.
    expect((await api.call('carol', 'GET', `requests/${id}`)).status).toBe(404);
    const refused = await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'ok' });
    expect([refused.status, refused.body.code, refused.headers.get('x-error-code')]).toEqual([
      403,
      'not_an_approver',
      'not_an_approver',
    ]);
    expect((await api.call('carol', 'GET', 'requests?view=received')).body.items).toEqual([]);

    const added = await changeGroupMember(api.runtime, 'PUT', group, 'carol@maa.test');
    expect(added.status).toBe(200);
    expect(added.body.members).toContain(CAROL);
    expect((await changeGroupMember(api.runtime, 'PUT', group, CAROL)).status).toBe(200);
    expect((await members()).filter((member) => member === CAROL)).toHaveLength(1);
    expect((await api.call('carol', 'GET', `requests/${id}`)).status).toBe(200);
    expect((await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'ok' })).status).toBe(200);
    await api.until('alice', id, (r) => r.status === 'approved');
  });

  it('answers problems for unknown groups, unknown members, non-members, other paths and methods', async () => {
    const problems: [string, Promise<{ status: number; body: any; headers: Headers }>, number, string][] = [
      [
        'unknown group',
        changeGroupMember(api.runtime, 'PUT', '00000000-0000-4000-8000-000000000999', 'carol'),
        404,
        'unknown_group',
      ],
      ['unknown user', changeGroupMember(api.runtime, 'PUT', group, 'mallory'), 404, 'unknown_member'],
      ['not a member', changeGroupMember(api.runtime, 'DELETE', group, 'dave'), 404, 'not_a_member'],
      ['group in itself', changeGroupMember(api.runtime, 'PUT', group, group), 400, 'invalid_member'],
    ];
    for (const [name, reply, status, code] of problems) {
      const { status: got, body, headers } = await reply;
      expect({
        name,
        status: got,
        code: body.code,
        header: headers.get('x-error-code'),
        type: headers.get('content-type'),
      }).toEqual({ name, status, code, header: code, type: 'application/problem+json' });
    }
    const otherPath = await fetch(`${api.runtime.url}/_local/directory/users/carol`, { method: 'PUT' });
    expect([otherPath.status, otherPath.headers.get('x-error-code')]).toEqual([404, 'not_found']);
    const post = await fetch(`${api.runtime.url}/_local/directory/groups/${group}/members/carol`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'PUT, DELETE']);
    // None of them changed the group.
    expect((await members()).sort()).toEqual(['b0b00000-0000-4000-8000-000000000002', CAROL]);
  });

  it('refuses, in the orchestration, an approval the API accepted from an approver removed before it was applied', async () => {
    const submitted = await api.call('alice', 'POST', 'requests', wipe(await newDevice(api.runtime.url, 'member-2')));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    await untilRuntimeStatus(id, 'Running');

    // Hold the orchestration, so the event waits while carol's membership changes under it.
    expect((await instance(id, 'suspend')).status).toBe(202);
    await untilRuntimeStatus(id, 'Suspended');
    // The API checks carol's membership now: she is still in maa-approvers. The held orchestration
    // applies nothing within the command's wait: the API answers that it was sent.
    const sent = await api.call('carol', 'POST', `requests/${id}/approve`, { notes: 'looks right' });
    expect([sent.status, sent.headers.get('x-maa-command'), sent.headers.get('location')]).toEqual([
      202,
      'pending',
      `/api/requests/${id}`,
    ]);
    expect((await changeGroupMember(api.runtime, 'DELETE', group, 'carol')).status).toBe(200);
    expect((await instance(id, 'resume')).status).toBe(202);

    // The orchestration reads membership again when it applies the approval, and refuses it.
    const deadline = Date.now() + 10_000;
    let trail = await auditTrail(api, 'alice', id);
    while (!trail.items.some((item) => item.type === 'request.eventRefused')) {
      if (Date.now() > deadline)
        throw new Error(`no refusal in the trail of ${id}: ${JSON.stringify(trail.items.map((item) => item.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
      trail = await auditTrail(api, 'alice', id);
    }
    expect(trail.chainValid).toBe(true);
    // Bob and carol were both approvers when it was submitted, so both were notified.
    const notified = ['request.submitted', 'link.issued', 'link.issued', 'notification.sent', 'notification.sent'];
    expect(trail.items.map((item) => item.type)).toEqual([...notified, 'request.eventRefused']);
    expect(trail.items[5]).toMatchObject({
      actor: { id: CAROL, displayName: 'Carol' },
      data: { command: 'decide', code: 'not_an_approver' },
    });
    const request = (await api.call('alice', 'GET', `requests/${id}`)).body;
    expect(request).toMatchObject({ status: 'needsApproval', decisions: [] });

    // Bob, still a member, approves as usual.
    expect((await api.call('bob', 'POST', `requests/${id}/approve`, { notes: 'confirmed' })).status).toBe(200);
    const approved = await api.until('alice', id, (r) => r.status === 'approved');
    expect(
      approved.decisions.map((decision: { approver: { displayName: string } }) => decision.approver.displayName),
    ).toEqual(['Bob']);
    const after = await trailUntil(api, 'alice', id, (items) => items.length >= 9);
    expect(after.chainValid).toBe(true);
    expect(after.items.map((item) => item.type)).toEqual([
      ...notified,
      'request.eventRefused',
      'request.approved',
      'request.statusChanged',
      'notification.sent',
    ]);
  });
});
