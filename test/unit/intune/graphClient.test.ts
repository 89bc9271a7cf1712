import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import {
  clientRequestIdFor,
  GraphSession,
  GraphTokenError,
  IntuneGraphClient,
  parseRetryAfter,
} from '../../../shared/intune/graphClient';
import { GraphServer } from './graphServer';

const credential: TokenCredential = {
  getToken: async () => ({ token: 'app-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

describe('the Intune Graph client', () => {
  let graph: GraphServer;
  beforeEach(async () => {
    graph = await new GraphServer().start();
  });
  afterEach(() => graph.stop());

  it("answers every status instead of throwing, with Graph's error code, message, request-id and Retry-After", async () => {
    graph.faults.push({ status: 429, count: 1, retryAfter: '7' });
    const response = await graph.client().send({
      method: 'POST',
      version: 'v1.0',
      path: '/deviceManagement/deviceCategories',
      body: { displayName: 'x' },
      clientRequestId: 'c0ffee00-0000-4000-8000-000000000000',
    });
    expect(response).toMatchObject({
      status: 429,
      errorCode: 'TooManyRequests',
      errorMessage: 'fault',
      retryAfterMs: 7000,
      path: '/v1.0/deviceManagement/deviceCategories',
    });
    expect(response.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('client-request-id')).toBe('c0ffee00-0000-4000-8000-000000000000');
    expect(graph.writes[0]!.clientRequestId).toBe('c0ffee00-0000-4000-8000-000000000000');
  });

  it.each([
    ['an unknown object', '/deviceManagement/managedDevices/nope', 404, 'ResourceNotFound'],
    ['a beta-only collection under v1.0', '/deviceManagement/configurationPolicies', 400, 'BadRequest'],
  ])("answers %s with Graph's status and error code", async (_, path, status, errorCode) => {
    const response = await graph.client().send({ method: 'GET', version: 'v1.0', path, clientRequestId: 'c' });
    expect(response).toMatchObject({ status, errorCode });
  });

  it('answers status 0 when nothing listens, and when the answer takes longer than the timeout', async () => {
    const closed = new IntuneGraphClient({ baseUrl: 'http://127.0.0.1:9', credential });
    await expect(
      closed.send({ method: 'GET', version: 'v1.0', path: '/x', clientRequestId: 'c' }),
    ).resolves.toMatchObject({
      status: 0,
      errorMessage: expect.any(String),
    });
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = new IntuneGraphClient({
        baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        credential,
        timeoutMs: 200,
      });
      await expect(
        slow.send({ method: 'GET', version: 'beta', path: '/x', clientRequestId: 'c' }),
      ).resolves.toMatchObject({ status: 0 });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('throws GraphTokenError, sending nothing, when the credential gives no token', async () => {
    const failing: TokenCredential = {
      getToken: async () => {
        throw new Error('AADSTS7000215: bad secret');
      },
    };
    const client = new IntuneGraphClient({ baseUrl: graph.url, credential: failing });
    await expect(
      client.send({ method: 'POST', version: 'v1.0', path: '/x', clientRequestId: 'c' }),
    ).rejects.toBeInstanceOf(GraphTokenError);
    expect(graph.writes).toEqual([]);
  });

  it('follows next links of its own Graph only: another host is never sent the token', async () => {
    const client = graph.client();
    await expect(
      client.send({ method: 'GET', version: 'v1.0', path: 'https://elsewhere.example/v1.0/x', clientRequestId: 'c' }),
    ).resolves.toMatchObject({ status: 0, errorMessage: `not a link of ${graph.url}` });
  });

  it('lists every page of a collection through @odata.nextLink, recording each call', async () => {
    for (let i = 0; i < 5; i++) graph.put('/deviceManagement/deviceCategories', { id: `c${i}`, displayName: `C${i}` });
    const session = new GraphSession(graph.client(), 'cid', () => new Date('2026-12-07T10:00:00Z'));
    const listed = await session.list('v1.0', '/deviceManagement/deviceCategories');
    expect(listed).toMatchObject({ ok: true });
    expect(listed.ok && listed.items.map((i) => i.id)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(session.calls).toHaveLength(3);
    expect(session.calls[0]).toEqual(
      expect.objectContaining({
        method: 'GET',
        path: '/v1.0/deviceManagement/deviceCategories',
        status: 200,
        at: '2026-12-07T10:00:00.000Z',
      }),
    );
    expect(graph.reads.map((r) => r.clientRequestId)).toEqual(['cid', 'cid', 'cid']);
  });
});

describe('Retry-After', () => {
  it.each([
    ['5', 5000],
    ['0', 0],
    ['Mon, 07 Dec 2026 10:00:30 GMT', 30_000],
    ['Mon, 07 Dec 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ])('%s waits %s ms', (value, ms) => {
    expect(parseRetryAfter(value, Date.parse('2026-12-07T10:00:00Z'))).toBe(ms);
  });
});

describe('the client-request-id of a request', () => {
  it('is the same name-based (version 5) GUID for the same request, and another for another', () => {
    const id = clientRequestIdFor('3f1c2a9e-1111-4222-8333-444455556666');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientRequestIdFor('3f1c2a9e-1111-4222-8333-444455556666')).toBe(id);
    expect(clientRequestIdFor('3f1c2a9e-1111-4222-8333-444455556667')).not.toBe(id);
  });
});
