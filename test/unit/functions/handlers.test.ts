jest.mock('jose', () =>
  jest.requireActual<typeof import('../identity/nativeJose')>('../identity/nativeJose').loadJose(),
);
jest.mock('@azure/functions', () =>
  jest
    .requireActual<typeof import('../../support/registeredFunctions')>('../../support/registeredFunctions')
    .recordAzureFunctions(),
);
jest.mock('durable-functions', () =>
  jest
    .requireActual<typeof import('../../support/registeredFunctions')>('../../support/registeredFunctions')
    .recordDurableFunctions(),
);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { ApprovalOrchestrationInput } from '../../../orchestrations/contracts';
import { accessPolicy, GROUP_A, wipeBody } from '../../support/builders';
import { TEST_APP_KEY } from '../../support/appKey';
import { registered } from '../../support/registeredFunctions';
import { startTestServer, type TestServer } from '../identity/testServer';

const ISSUER = 'https://login.example.test/handlers/v2.0';
const AUDIENCE = 'api://maa-handlers';
const TENANT = '11111111-1111-4111-8111-111111111111';
const ALICE = 'a11ce000-0000-4000-8000-000000000001';

let dataDir: string;
let jwks: TestServer;
let signingKey: CryptoKey;
const saved = { ...process.env };

/** A bearer token for alice with `roles`, from the issuer the app trusts. */
async function bearer(roles: string[]): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, oid: ALICE, tid: TENANT, name: 'Alice', roles })
    .setProtectedHeader({ alg: 'RS256', kid: 'handlers-1' })
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(signingKey);
  return `Bearer ${token}`;
}

/** A Durable client that records its starts (each start succeeds). */
function recordingClient() {
  const starts: { name: string; instanceId: string; input: ApprovalOrchestrationInput }[] = [];
  const client = {
    startNew: async (name: string, options: { instanceId: string; input: ApprovalOrchestrationInput }) => {
      starts.push({ name, ...options });
      return options.instanceId;
    },
    getStatus: async () => undefined,
  };
  return { starts, client: client as unknown as DurableClient };
}

/** Calls the registered function `name` as the host would. */
async function invoke(name: string, request: HttpRequest, client?: DurableClient): Promise<HttpResponseInit> {
  const fn = registered.get(name);
  if (!fn) throw new Error(`no function ${name} registered`);
  const context = new InvocationContext({ functionName: name });
  return (await (client ? fn.handler(request, client, context) : fn.handler(request, context))) as HttpResponseInit;
}

const submit = (body: unknown, headers: Record<string, string>) =>
  new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/requests',
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: JSON.stringify(body) },
  });

const wipe = wipeBody('d3a1c0de-0000-4000-8000-000000000001');

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  signingKey = privateKey;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'handlers-1', use: 'sig', alg: 'RS256' };
  // The issuer's keys, and the Graph the submit reads a wipe's device from (every device id is enrolled).
  jwks = await startTestServer((request) => {
    if (request.path === '/token') return { body: { access_token: 'graph-token', expires_in: 3600 } };
    const device = /^\/v1\.0\/deviceManagement\/managedDevices\/([^/?]+)/.exec(request.path);
    if (device) {
      return {
        body: {
          id: decodeURIComponent(device[1]!),
          deviceName: 'LT-ALICE-01',
          operatingSystem: 'Windows',
          userPrincipalName: 'alice@maa.test',
        },
      };
    }
    // The approver group holds carol, who holds MAA.Approver: someone other than alice could approve.
    if (request.path.startsWith('/v1.0/groups/'))
      return { body: { value: [{ id: 'ca401000-0000-4000-8000-000000000003', displayName: 'Carol' }] } };
    if (request.path.startsWith('/v1.0/servicePrincipals(appId='))
      return { body: { id: 'sp-1', appRoles: [{ id: 'role-approver', value: 'MAA.Approver' }] } };
    if (request.path.startsWith('/v1.0/servicePrincipals/sp-1/appRoleAssignedTo'))
      return {
        body: {
          value: [
            { principalId: 'ca401000-0000-4000-8000-000000000003', principalType: 'User', appRoleId: 'role-approver' },
          ],
        },
      };
    return { body: { keys: [jwk] } };
  });
  dataDir = mkdtempSync(path.join(tmpdir(), 'maa-handlers-'));
  // The app's one configuration seam: its settings, as the host passes them.
  Object.assign(process.env, {
    MAA_APP_KEY: TEST_APP_KEY,
    MAA_DATA_DIR: dataDir,
    MAA_AUTH_ISSUER: ISSUER,
    MAA_AUTH_AUDIENCE: AUDIENCE,
    MAA_AUTH_JWKS_URL: `${jwks.url}/keys`,
    MAA_GRAPH_BASE_URL: jwks.url,
    MAA_GRAPH_TOKEN_URL: `${jwks.url}/token`,
    MAA_GRAPH_CLIENT_ID: 'handlers-app',
    MAA_GRAPH_CLIENT_SECRET: 'handlers-app-secret',
    MAA_API_APP_ID: 'a0000000-0000-4000-8000-00000000000a',
    MAA_REMINDER_BEFORE: 'PT12H',
  });
  require('../../../functions/health');
  require('../../../functions/requests');
  const { getServices } = require('../../../shared/composition') as typeof import('../../../shared/composition');
  await getServices().store.createPolicy(accessPolicy({ approverGroupIds: [GROUP_A] }));
});

afterAll(async () => {
  const { getServices } = require('../../../shared/composition') as typeof import('../../../shared/composition');
  await getServices().store.close();
  await jwks.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.env = saved;
});

describe('GET /api/health', () => {
  it('answers 200 {"status":"ok"} when the store reads and writes', async () => {
    const response = await invoke('health', new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }));

    expect(response).toMatchObject({ status: 200, jsonBody: { status: 'ok' } });
  });
});

describe('POST /api/requests', () => {
  it('answers 202 with the request and its Location, and starts its orchestration with a signed input carrying the reminder lead', async () => {
    const { starts, client } = recordingClient();

    const response = await invoke(
      'submitRequest',
      submit(wipe, { authorization: await bearer(['MAA.Requester']) }),
      client,
    );

    expect(response.status).toBe(202);
    const body = response.jsonBody as { id: string; status: string };
    expect(body.status).toBe('needsApproval');
    expect(response.headers).toMatchObject({ location: `/api/requests/${body.id}` });
    expect(starts).toEqual([
      {
        name: 'approvalOrchestrator',
        instanceId: body.id,
        input: expect.objectContaining({
          request: expect.objectContaining({ id: body.id }),
          reminderBeforeMs: 12 * 3_600_000,
          signature: expect.objectContaining({ kid: 'test-1' }),
        }),
      },
    ]);
  });

  it.each([
    ['without a token', () => Promise.resolve({}), wipe, 401, 'missing_token'],
    [
      'by a caller without the requester role',
      async () => ({ authorization: await bearer(['MAA.Approver']) }),
      { ...wipe, operation: { ...wipe.operation, resourceId: 'd3a1c0de-0000-4000-8000-000000000002' } },
      403,
      'forbidden',
    ],
    [
      'for a policy change (those go through /api/policies)',
      async () => ({ authorization: await bearer(['MAA.Requester']) }),
      { ...wipe, profileType: 'operationApprovalPolicy' },
      422,
      'use_policies_api',
    ],
    [
      'with a body that breaks the schema',
      async () => ({ authorization: await bearer(['MAA.Requester']) }),
      { ...wipe, extra: 1 },
      400,
      'validation_failed',
    ],
    [
      'with an Idempotency-Key over 256 characters',
      async () => ({ authorization: await bearer(['MAA.Requester']), 'idempotency-key': 'k'.repeat(257) }),
      wipe,
      400,
      'validation_failed',
    ],
  ])('refuses a submit %s with problem+json and starts nothing', async (_, headers, body, status, code) => {
    const { starts, client } = recordingClient();

    const response = await invoke('submitRequest', submit(body, await headers()), client);

    expect(response.status).toBe(status);
    expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json', 'x-error-code': code });
    expect(JSON.parse(response.body as string)).toMatchObject({ status, code });
    expect(starts).toEqual([]);
  });
});
