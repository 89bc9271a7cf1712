/**
 * The edges of the HTTP API through the real runtime: bodies nested too deeply or not UTF-8,
 * queries that are not UTF-8, continuation tokens used outside the list that issued them, wrong
 * methods and unknown paths. Each is a problem+json with a stable code, and none changes anything.
 */
import { Api, approverGroup, createPolicy } from '../support/api';
import { startRuntime } from '../support/runtime';
import { wipeBody } from '../support/builders';
import { newDevice } from '../support/intune';

jest.setTimeout(60_000);

const wipe = (resourceId: string) => wipeBody(resourceId);

describe('HTTP edges (real runtime)', () => {
  let api: Api;

  beforeAll(async () => {
    api = new Api(await startRuntime());
    await createPolicy(api, {
      displayName: 'Wipes',
      profileType: 'deviceWipe',
      approverGroupIds: [await approverGroup(api.runtime)],
    });
    for (const name of ['edge-1', 'edge-2', 'edge-3'])
      expect((await api.call('bob', 'POST', 'requests', wipe(await newDevice(api.runtime.url, name)))).status).toBe(
        202,
      );
  });

  afterAll(async () => {
    await api?.runtime.dispose();
  });

  /** POSTs raw bytes as JSON, as alice. */
  async function postRaw(
    route: string,
    body: Buffer | string,
  ): Promise<{ status: number; code: string | null; type: string | null; body: any }> {
    const response = await fetch(`${api.runtime.url}/api/${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await api.token('alice')}`, 'content-type': 'application/json' },
      body,
    });
    return {
      status: response.status,
      code: response.headers.get('x-error-code'),
      type: response.headers.get('content-type'),
      body: await response.json(),
    };
  }

  async function aliceRequests(): Promise<unknown> {
    return (await api.call('alice', 'GET', 'requests?view=mine&top=100')).body;
  }

  it('refuses a body nested 1,000 (or 20,000) deep with 400 body_too_deep, not a 500, and stores nothing', async () => {
    const before = await aliceRequests();
    for (const depth of [1_000, 20_000]) {
      const payload = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      // Refused before it is parsed, so the device need not exist.
      const text = JSON.stringify(wipe('deep-1')).replace(
        '"resourceId":"deep-1"',
        `"resourceId":"deep-1","payload":${payload}`,
      );
      const answer = await postRaw('requests', text);
      expect([answer.status, answer.code, answer.type]).toEqual([400, 'body_too_deep', 'application/problem+json']);
      expect(answer.body.errors).toBeUndefined();
    }
    expect(await aliceRequests()).toEqual(before);
  });

  it('refuses a body whose bytes are not UTF-8 with 400 invalid_utf8, and stores nothing', async () => {
    const before = await aliceRequests();
    const text = JSON.stringify(wipe('utf8-DEVICE'));
    const at = text.indexOf('DEVICE');
    const answer = await postRaw(
      'requests',
      Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(at))]),
    );
    expect([answer.status, answer.code]).toEqual([400, 'invalid_utf8']);
    expect(await aliceRequests()).toEqual(before);
  });

  it('refuses a query whose percent-encoded bytes are not UTF-8 with 400 invalid_utf8', async () => {
    const answer = await api.call('alice', 'GET', 'requests?view=mine&status=approved%FF');
    expect([answer.status, answer.body.code]).toEqual([400, 'invalid_utf8']);
  });

  describe('continuation tokens', () => {
    let token: string;

    beforeAll(async () => {
      const first = await api.call('bob', 'GET', 'requests?view=mine&top=1');
      expect(first.status).toBe(200);
      token = first.body.continuationToken as string;
      expect(token).toEqual(expect.any(String));
    });

    it('continue the list that issued them, for the caller they were issued to', async () => {
      const next = await api.call(
        'bob',
        'GET',
        `requests?view=mine&top=2&continuationToken=${encodeURIComponent(token)}`,
      );
      expect(next.status).toBe(200);
      expect(next.body.items).toHaveLength(2);
    });

    it.each([
      ['by another caller (carol)', 'carol', 'view=mine'],
      ['with another view (received)', 'bob', 'view=received'],
      ['with another view (all, by an operator)', 'olga', 'view=all'],
      ['with another status filter', 'bob', 'view=mine&status=needsApproval'],
    ])('are refused when used %s with 400 invalid_continuation', async (_, user, query) => {
      const answer = await api.call(
        user,
        'GET',
        `requests?${query}&top=1&continuationToken=${encodeURIComponent(token)}`,
      );
      expect([answer.status, answer.headers.get('x-error-code'), answer.body.code]).toEqual([
        400,
        'invalid_continuation',
        'invalid_continuation',
      ]);
    });

    it('are refused when tampered with, or forged from a bare store position', async () => {
      const [version, kid, mac, position] = token.split('.');
      const later = Buffer.from(JSON.stringify(['n', '9999-12-31T00:00:00.000Z', 'z'])).toString('base64url');
      for (const forged of [`${version}.${kid}.${mac}.${later}`, later, position!, `${token}x`]) {
        const answer = await api.call(
          'bob',
          'GET',
          `requests?view=mine&top=1&continuationToken=${encodeURIComponent(forged)}`,
        );
        expect([answer.status, answer.body.code]).toEqual([400, 'invalid_continuation']);
      }
    });

    it('are refused on the policy list when they come from a request list', async () => {
      const answer = await api.call('bob', 'GET', `policies?continuationToken=${encodeURIComponent(token)}`);
      expect([answer.status, answer.body.code]).toEqual([400, 'invalid_continuation']);
    });
  });

  describe('methods and paths', () => {
    it.each([
      ['DELETE', 'requests', 'GET, POST'],
      ['PUT', 'requests', 'GET, POST'],
      ['GET', 'requests/00000000-0000-4000-8000-000000000000/approve', 'POST'],
      ['DELETE', 'requests/00000000-0000-4000-8000-000000000000', 'GET'],
      ['POST', 'health', 'GET'],
      ['PATCH', 'policies/p-1', 'GET, PUT, DELETE'],
    ])('answers %s /api/%s with 405 method_not_allowed and Allow: %s', async (method, route, allow) => {
      const answer = await api.call('alice', method, route);
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe(allow);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect([answer.headers.get('x-error-code'), answer.body.code, answer.body.status]).toEqual([
        'method_not_allowed',
        'method_not_allowed',
        405,
      ]);
    });

    it.each([
      ['GET', 'nope'],
      ['POST', 'nope/deeper'],
      ['GET', 'requests/x/y/z'],
    ])('answers %s /api/%s with a problem+json 404 not_found', async (method, route) => {
      const answer = await api.call('alice', method, route);
      expect([answer.status, answer.headers.get('content-type'), answer.body.code]).toEqual([
        404,
        'application/problem+json',
        'not_found',
      ]);
    });

    it('still serves the routes themselves', async () => {
      expect((await api.call('alice', 'GET', 'requests')).status).toBe(200);
      expect((await fetch(`${api.runtime.url}/api/health`)).status).toBe(200);
    });
  });
});
