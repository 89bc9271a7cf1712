/**
 * Bad input at every endpoint of the public API, through the real runtime over HTTP: missing,
 * forged and expired tokens, missing roles, malformed and invalid bodies and queries, oversize
 * bodies, unknown ids and commands in the wrong state. Each is answered with the documented
 * problem (`application/problem+json`, `code` mirrored in `x-error-code`), and none of them
 * changes a request, a policy or an audit trail.
 */
import { Api, advanceClock, approverGroup, auditTrail, createPolicy, trailUntil } from '../support/api';
import { startRuntime } from '../support/runtime';
import { wipeBody } from '../support/builders';
import { newDevice } from '../support/intune';

jest.setTimeout(60_000);

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

/** One endpoint, with a body it would accept (so only the thing under test is wrong). */
interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: () => string;
  body?: () => Record<string, unknown>;
}

const UNKNOWN_ID = '00000000-dead-4000-8000-000000000000';
const OVERSIZE = 70 * 1024;

const wipe = (resourceId: string) => wipeBody(resourceId);

describe('the API refuses bad input with problems and writes nothing (manual clock)', () => {
  let api: Api;
  let group: string;
  let policyId: string;
  /** alice's request waiting for approval: the target of most calls. */
  let openId: string;
  /** alice's request carol rejected. */
  let closedId: string;
  /** alice's pending change of the deviceWipe policy (locks further changes of it). */
  let policyChangeId: string;
  let before: { requests: unknown; policies: unknown; openTrail: number; closedTrail: number; changeTrail: number };
  /** Devices of the local tenant: `fresh` is never requested (the bodies that must be refused name it), `open` and `closed` are. */
  const devices = { fresh: '', open: '', closed: '' };

  const policyDraft = () => ({
    displayName: 'Device wipes need a second admin',
    profileType: 'deviceWipe',
    approverGroupIds: [group],
    justification: 'Tighten wipes',
  });

  const endpoints: Endpoint[] = [
    { name: 'POST /requests', method: 'POST', path: () => 'requests', body: () => wipe(devices.fresh) },
    { name: 'GET /requests', method: 'GET', path: () => 'requests' },
    { name: 'GET /requests/{id}', method: 'GET', path: () => `requests/${openId}` },
    {
      name: 'POST /requests/{id}/approve',
      method: 'POST',
      path: () => `requests/${openId}/approve`,
      body: () => ({ notes: 'fine' }),
    },
    {
      name: 'POST /requests/{id}/reject',
      method: 'POST',
      path: () => `requests/${openId}/reject`,
      body: () => ({ notes: 'no' }),
    },
    { name: 'POST /requests/{id}/cancel', method: 'POST', path: () => `requests/${openId}/cancel`, body: () => ({}) },
    {
      name: 'POST /requests/{id}/complete',
      method: 'POST',
      path: () => `requests/${openId}/complete`,
      body: () => ({}),
    },
    { name: 'GET /requests/{id}/audit', method: 'GET', path: () => `requests/${openId}/audit` },
    { name: 'GET /policies', method: 'GET', path: () => 'policies' },
    { name: 'GET /policies/{id}', method: 'GET', path: () => `policies/${policyId}` },
    {
      name: 'POST /policies',
      method: 'POST',
      path: () => 'policies',
      body: () => ({ ...policyDraft(), profileType: 'deviceRetire' }),
    },
    { name: 'PUT /policies/{id}', method: 'PUT', path: () => `policies/${policyId}`, body: policyDraft },
    {
      name: 'DELETE /policies/{id}',
      method: 'DELETE',
      path: () => `policies/${policyId}`,
      body: () => ({ justification: 'No longer needed' }),
    },
  ];
  const withBody = endpoints.filter((endpoint) => endpoint.body !== undefined);

  /** A raw call: without `token` or `authorization` no Authorization header is sent; `body` is sent as given. */
  async function send(
    method: string,
    path: string,
    options: {
      token?: string;
      authorization?: string;
      body?: string | ReadableStream<Uint8Array>;
      contentType?: string;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (options.body !== undefined) init.body = options.body;
    if (typeof options.body === 'object') init.duplex = 'half';
    const response = await fetch(`${api.runtime.url}/api/${path}`, init);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Left as text: the problem checks below then fail with what was sent.
    }
    return { status: response.status, headers: response.headers, body };
  }

  const bodyOf = (endpoint: Endpoint) => (endpoint.body ? JSON.stringify(endpoint.body()) : undefined);

  /** A problem document with this status and code, in the body and the header. */
  function expectProblem(name: string, reply: Reply, status: number, code: string): void {
    expect({
      name,
      status: reply.status,
      code: reply.body?.code,
      header: reply.headers.get('x-error-code'),
      type: reply.headers.get('content-type'),
    }).toEqual({
      name,
      status,
      code,
      header: code,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(reply.body).toMatchObject({ status, code, title: expect.any(String) });
  }

  beforeAll(async () => {
    api = new Api(await startRuntime({ env: { MAA_LOCAL_CLOCK: 'manual' } }));
    group = await approverGroup(api.runtime);
    policyId = (
      await createPolicy(api, {
        displayName: 'Device wipes need a second admin',
        profileType: 'deviceWipe',
        approverGroupIds: [group],
      })
    ).id as string;

    devices.fresh = await newDevice(api.runtime.url, 'input-new');
    devices.open = await newDevice(api.runtime.url, 'input-open');
    devices.closed = await newDevice(api.runtime.url, 'input-closed');
    openId = (await api.call('alice', 'POST', 'requests', wipe(devices.open))).body.id as string;
    closedId = (await api.call('alice', 'POST', 'requests', wipe(devices.closed))).body.id as string;
    expect((await api.call('carol', 'POST', `requests/${closedId}/reject`, { notes: 'not this one' })).status).toBe(
      200,
    );
    const change = await api.call('alice', 'PUT', `policies/${policyId}`, { ...policyDraft(), description: 'pending' });
    expect(change.status).toBe(202);
    policyChangeId = change.body.id as string;

    // Every orchestration has written what it will write before the snapshot: the submissions, the
    // approvers' notifications (none for the bootstrap policy change, which has no approver groups)
    // and the notices of the rejection (alice's, and bob's, who need not decide any more).
    const notified = (items: { type: string }[]) => items.filter((item) => item.type === 'notification.sent').length;
    await trailUntil(api, 'alice', openId, (items) => notified(items) === 2);
    await trailUntil(api, 'alice', closedId, (items) => notified(items) === 4);
    await trailUntil(api, 'alice', policyChangeId, (items) => items.length > 0);
    before = await snapshot();
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  async function snapshot(): Promise<typeof before> {
    const requests = await api.call('olga', 'GET', 'requests?view=all&top=100');
    const policies = await api.call('olga', 'GET', 'policies?top=100');
    expect([requests.status, policies.status]).toEqual([200, 200]);
    return {
      requests: requests.body,
      policies: policies.body,
      openTrail: (await auditTrail(api, 'olga', openId)).items.length,
      closedTrail: (await auditTrail(api, 'olga', closedId)).items.length,
      changeTrail: (await auditTrail(api, 'olga', policyChangeId)).items.length,
    };
  }

  it('answers 401 missing_token at every endpoint when no bearer token is sent', async () => {
    for (const endpoint of endpoints) {
      const body = bodyOf(endpoint);
      expectProblem(
        endpoint.name,
        await send(endpoint.method, endpoint.path(), body === undefined ? {} : { body }),
        401,
        'missing_token',
      );
    }
    // A blank header is no token; another scheme is not a valid one.
    expectProblem('blank Authorization', await send('GET', 'requests', { authorization: '  ' }), 401, 'missing_token');
    expectProblem(
      'Basic credentials',
      await send('GET', 'requests', { authorization: 'Basic YWxpY2U6c2VjcmV0' }),
      401,
      'invalid_token',
    );
  });

  it('answers 401 invalid_token at every endpoint when the token signature was altered', async () => {
    const [header, payload, signature] = (await api.token('alice')).split('.') as [string, string, string];
    const middle = Math.floor(signature.length / 2);
    const altered = `${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`;
    const forged = `${header}.${payload}.${altered}`;
    for (const endpoint of endpoints) {
      const body = bodyOf(endpoint);
      expectProblem(
        endpoint.name,
        await send(endpoint.method, endpoint.path(), { token: forged, ...(body === undefined ? {} : { body }) }),
        401,
        'invalid_token',
      );
    }
  });

  it('answers 403 forbidden where the endpoint needs a role dave lacks, and lets him read policies', async () => {
    const forbidden: [string, string, string, unknown][] = [
      ['POST /requests (MAA.Requester)', 'POST', 'requests', wipe(devices.fresh)],
      ['GET /requests?view=all (MAA.Operator)', 'GET', 'requests?view=all', undefined],
      ['approve (MAA.Approver)', 'POST', `requests/${openId}/approve`, { notes: 'fine' }],
      ['reject (MAA.Approver)', 'POST', `requests/${openId}/reject`, { notes: 'no' }],
      ['POST /policies (MAA.PolicyAdmin)', 'POST', 'policies', { ...policyDraft(), profileType: 'deviceRetire' }],
      ['PUT /policies/{id} (MAA.PolicyAdmin)', 'PUT', `policies/${policyId}`, policyDraft()],
      [
        'DELETE /policies/{id} (MAA.PolicyAdmin)',
        'DELETE',
        `policies/${policyId}`,
        { justification: 'No longer needed' },
      ],
    ];
    for (const [name, method, path, body] of forbidden) {
      expectProblem(name, await api.call('dave', method, path, body), 403, 'forbidden');
    }
    // Alice holds no MAA.Operator either.
    const aliceAll = await api.call('alice', 'GET', 'requests?view=all');
    expectProblem('alice view=all', aliceAll, 403, 'forbidden');
    // Cancel and complete need the initiator rather than a role; a request dave may not see is not found.
    expectProblem(
      'cancel by carol',
      await api.call('carol', 'POST', `requests/${openId}/cancel`),
      403,
      'not_initiator',
    );
    expectProblem(
      'complete by dave',
      await api.call('dave', 'POST', `requests/${openId}/complete`),
      403,
      'not_initiator',
    );
    expectProblem('GET /requests/{id} by dave', await api.call('dave', 'GET', `requests/${openId}`), 404, 'not_found');
    expectProblem('audit by dave', await api.call('dave', 'GET', `requests/${openId}/audit`), 404, 'not_found');
    // Reading policies and his own lists needs only a signed-in caller.
    expect((await api.call('dave', 'GET', 'policies')).status).toBe(200);
    expect((await api.call('dave', 'GET', `policies/${policyId}`)).status).toBe(200);
    expect((await api.call('dave', 'GET', 'requests?view=mine')).body.items).toEqual([]);
  });

  it('answers 400 invalid_json at every endpoint with a body when the body is not JSON', async () => {
    const users: Record<string, string> = { approve: 'bob', reject: 'bob' };
    for (const endpoint of withBody) {
      const user = Object.entries(users).find(([verb]) => endpoint.name.includes(verb))?.[1] ?? 'alice';
      for (const text of ['{"notes":', 'not json', '{"a":1,}']) {
        expectProblem(
          `${endpoint.name} ${text}`,
          await send(endpoint.method, endpoint.path(), { token: await api.token(user), body: text }),
          400,
          'invalid_json',
        );
      }
    }
    // JSON sent under another media type is refused as such.
    const plain = await send('POST', 'requests', {
      token: await api.token('alice'),
      body: JSON.stringify(wipe(devices.fresh)),
      contentType: 'text/plain',
    });
    expectProblem('POST /requests as text/plain', plain, 415, 'unsupported_media_type');
  });

  it('answers 400 validation_failed naming every wrong field: wrong types, unknown fields and over-long strings', async () => {
    const cases: [string, string, string, string, unknown, string[]][] = [
      [
        'POST /requests',
        'alice',
        'POST',
        'requests',
        {
          profileType: 'coffee',
          operation: { action: 7, resourceType: 'managedDevice', resourceId: 'r'.repeat(257), extra: 1 },
          justification: 'j'.repeat(1025),
          priority: 'high',
        },
        [
          'body.justification',
          'body.operation.action',
          'body.operation.extra',
          'body.operation.resourceId',
          'body.priority',
          'body.profileType',
        ],
      ],
      [
        'POST /requests with an action the catalogue lacks',
        'alice',
        'POST',
        'requests',
        {
          profileType: 'deviceWipe',
          operation: { action: 'run', resourceType: 'managedDevice', resourceId: devices.fresh },
          justification: 'Run something on it',
        },
        ['body.operation.action'],
      ],
      [
        'POST /requests with a payload the operation does not take',
        'alice',
        'POST',
        'requests',
        {
          profileType: 'deviceWipe',
          operation: {
            action: 'wipe',
            resourceType: 'managedDevice',
            resourceId: devices.fresh,
            payload: { keepUserData: 'yes', colour: 'red' },
          },
          justification: 'Laptop reported stolen',
        },
        ['body.operation.payload.colour', 'body.operation.payload.keepUserData'],
      ],
      [
        'POST /requests without fields',
        'alice',
        'POST',
        'requests',
        {},
        ['body.justification', 'body.operation', 'body.profileType'],
      ],
      [
        'approve',
        'bob',
        'POST',
        `requests/${openId}/approve`,
        { notes: 5, decision: 'approve' },
        ['body.decision', 'body.notes'],
      ],
      [
        'approve with long notes',
        'bob',
        'POST',
        `requests/${openId}/approve`,
        { notes: 'n'.repeat(1025) },
        ['body.notes'],
      ],
      [
        'reject',
        'bob',
        'POST',
        `requests/${openId}/reject`,
        { notes: ['no'], extra: true },
        ['body.extra', 'body.notes'],
      ],
      ['cancel', 'alice', 'POST', `requests/${openId}/cancel`, { reason: 'changed my mind' }, ['body.reason']],
      [
        'complete',
        'alice',
        'POST',
        `requests/${openId}/complete`,
        { operation: { action: 'delete' } },
        ['body.operation'],
      ],
      [
        'POST /policies',
        'alice',
        'POST',
        'policies',
        {
          displayName: 'd'.repeat(129),
          profileType: 'deviceRetire',
          approverGroupIds: ['not-a-guid'],
          requiredApprovals: 1.5,
          requestTtl: 'soon',
          justification: 7,
          owner: 'me',
        },
        [
          'body.approverGroupIds.0',
          'body.displayName',
          'body.justification',
          'body.owner',
          'body.requestTtl',
          'body.requiredApprovals',
        ],
      ],
      [
        'PUT /policies/{id}',
        'alice',
        'PUT',
        `policies/${policyId}`,
        {
          displayName: 12,
          profileType: 'deviceWipe',
          approverGroupIds: 'everyone',
          description: 'x'.repeat(1025),
          justification: 'ok',
        },
        ['body.approverGroupIds', 'body.description', 'body.displayName'],
      ],
      [
        'DELETE /policies/{id}',
        'alice',
        'DELETE',
        `policies/${policyId}`,
        { justification: 'j'.repeat(1025), force: true },
        ['body.force', 'body.justification'],
      ],
    ];
    for (const [name, user, method, path, body, fields] of cases) {
      const reply = await api.call(user, method, path, body);
      expectProblem(name, reply, 400, 'validation_failed');
      expect({ name, fields: reply.body.errors.map((error: { path: string }) => error.path).sort() }).toEqual({
        name,
        fields,
      });
      for (const error of reply.body.errors) expect(error.message).toEqual(expect.any(String));
      if (method === 'POST' && path === 'requests') {
        // The dry run refuses every body submit refuses, with the same field errors.
        const evaluated = await api.call(user, 'POST', 'requests/evaluate', body);
        expectProblem(`${name} (evaluate)`, evaluated, 400, 'validation_failed');
        expect({ name, errors: evaluated.body.errors }).toEqual({ name, errors: reply.body.errors });
      }
    }

    const queries: [string, string, string[]][] = [
      [
        'GET /requests',
        `requests?view=everyone&top=0&status=done&owner=me`,
        ['query.owner', 'query.status', 'query.top', 'query.view'],
      ],
      [
        'GET /requests long token',
        `requests?continuationToken=${'t'.repeat(2049)}&top=abc`,
        ['query.continuationToken', 'query.top'],
      ],
      ['GET /requests/{id}/audit', `requests/${openId}/audit?top=101&sort=asc`, ['query.sort', 'query.top']],
      ['GET /policies', 'policies?top=-1&filter=all', ['query.filter', 'query.top']],
    ];
    for (const [name, path, fields] of queries) {
      const reply = await api.call('olga', 'GET', path);
      expectProblem(name, reply, 400, 'validation_failed');
      expect({ name, fields: reply.body.errors.map((error: { path: string }) => error.path).sort() }).toEqual({
        name,
        fields,
      });
    }
  });

  it('answers 413 payload_too_large at every endpoint with a body over 64 KB, declared or streamed', async () => {
    for (const endpoint of withBody) {
      const body = JSON.stringify({ ...endpoint.body!(), padding: 'p'.repeat(OVERSIZE) });
      expectProblem(
        endpoint.name,
        await send(endpoint.method, endpoint.path(), { token: await api.token('alice'), body }),
        413,
        'payload_too_large',
      );
    }
    // Without a Content-Length (chunked), the size is checked on what arrives.
    const bytes = new TextEncoder().encode(
      JSON.stringify({ ...wipe(devices.fresh), justification: 'j'.repeat(OVERSIZE) }),
    );
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 8192)
          controller.enqueue(bytes.slice(offset, offset + 8192));
        controller.close();
      },
    });
    expectProblem(
      'POST /requests chunked',
      await send('POST', 'requests', { token: await api.token('alice'), body: stream }),
      413,
      'payload_too_large',
    );
  });

  it('answers 404 not_found for an unknown request or policy id', async () => {
    const cases: [string, string, string, string, unknown][] = [
      ['GET /requests/{id}', 'olga', 'GET', `requests/${UNKNOWN_ID}`, undefined],
      ['approve', 'bob', 'POST', `requests/${UNKNOWN_ID}/approve`, { notes: 'fine' }],
      ['reject', 'bob', 'POST', `requests/${UNKNOWN_ID}/reject`, { notes: 'no' }],
      ['cancel', 'alice', 'POST', `requests/${UNKNOWN_ID}/cancel`, undefined],
      ['complete', 'alice', 'POST', `requests/${UNKNOWN_ID}/complete`, undefined],
      ['audit', 'olga', 'GET', `requests/${UNKNOWN_ID}/audit`, undefined],
      ['GET /policies/{id}', 'alice', 'GET', `policies/${UNKNOWN_ID}`, undefined],
      ['PUT /policies/{id}', 'alice', 'PUT', `policies/${UNKNOWN_ID}`, policyDraft()],
      ['DELETE /policies/{id}', 'alice', 'DELETE', `policies/${UNKNOWN_ID}`, { justification: 'No longer needed' }],
      ['GET /requests/{over-long id}', 'olga', 'GET', `requests/${'x'.repeat(129)}`, undefined],
      ['approve {over-long id}', 'bob', 'POST', `requests/${'x'.repeat(129)}/approve`, {}],
    ];
    for (const [name, user, method, path, body] of cases)
      expectProblem(name, await api.call(user, method, path, body), 404, 'not_found');
  });

  it('answers 409 when the request or policy is not in a state that allows the command', async () => {
    const cases: [string, string, string, string, unknown, string][] = [
      ['complete while it needs approval', 'alice', 'POST', `requests/${openId}/complete`, undefined, 'invalid_state'],
      ['approve a rejected request', 'bob', 'POST', `requests/${closedId}/approve`, { notes: 'fine' }, 'invalid_state'],
      [
        'reject a rejected request again',
        'carol',
        'POST',
        `requests/${closedId}/reject`,
        { notes: 'still no' },
        'already_decided',
      ],
      ['cancel a rejected request', 'alice', 'POST', `requests/${closedId}/cancel`, undefined, 'invalid_state'],
      ['complete a rejected request', 'alice', 'POST', `requests/${closedId}/complete`, undefined, 'invalid_state'],
      ['a second request for a locked device', 'alice', 'POST', 'requests', wipe(devices.open), 'entity_locked'],
      [
        'create a policy for a profile type a policy protects',
        'alice',
        'POST',
        'policies',
        policyDraft(),
        'policy_exists',
      ],
      [
        'update a policy whose change is pending',
        'alice',
        'PUT',
        `policies/${policyId}`,
        policyDraft(),
        'entity_locked',
      ],
      [
        'delete a policy whose change is pending',
        'alice',
        'DELETE',
        `policies/${policyId}`,
        { justification: 'No longer needed' },
        'entity_locked',
      ],
    ];
    for (const [name, user, method, path, body, code] of cases)
      expectProblem(name, await api.call(user, method, path, body), 409, code);
  });

  it('answers 401 expired_token at every endpoint once the token outlived its hour', async () => {
    const stale = await api.token('alice');
    await advanceClock(api.runtime, 'PT2H');
    api.forgetTokens();
    for (const endpoint of endpoints) {
      const body = bodyOf(endpoint);
      expectProblem(
        endpoint.name,
        await send(endpoint.method, endpoint.path(), { token: stale, ...(body === undefined ? {} : { body }) }),
        401,
        'expired_token',
      );
    }
    // A token minted now works again.
    expect((await api.call('alice', 'GET', `requests/${openId}`)).status).toBe(200);
  });

  it('changed nothing: the same requests, policies and audit trails as before the refused calls', async () => {
    expect(await snapshot()).toEqual(before);
  });
});
