import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as df from 'durable-functions';
import type { ApprovalRequest } from '../../../shared/domain/model';
import { approvalOrchestrations, opsOrchestrations } from '../../../shared/durable/client';
import { isDomainError } from '../../../shared/domain/errors';
import { problemFromError } from '../../../shared/http/problem';
import { parseKeySetting, type AppKeyRing } from '../../../shared/keys/appKey';
import { verifyCommandSignature, verifyStartSignature } from '../../../shared/keys/commandSignature';
import { TEST_APP_KEY } from '../../support/appKey';

const keys: AppKeyRing = { current: parseKeySetting(TEST_APP_KEY) };
const request = { id: 'req-1' } as ApprovalRequest;
const actor = { id: 'alice', displayName: 'Alice' };

/** A Durable client that records what it is asked and answers as told (the SDK's DurableClient shape). */
function fakeClient(answers: {
  startNew?: () => Promise<string>;
  getStatus?: () => Promise<unknown>;
  managementBase?: string;
}) {
  const calls: { method: string; args: unknown[] }[] = [];
  const record =
    (method: string, answer: () => Promise<unknown>) =>
    (...args: unknown[]) => {
      calls.push({ method, args });
      return answer();
    };
  const client = {
    startNew: record('startNew', answers.startNew ?? (() => Promise.resolve('req-1'))),
    raiseEvent: record('raiseEvent', () => Promise.resolve()),
    getStatus: record('getStatus', answers.getStatus ?? (() => Promise.resolve({ runtimeStatus: 'Running' }))),
    createHttpManagementPayload: (id: string) => ({
      statusQueryGetUri: `${answers.managementBase ?? 'http://127.0.0.1:1'}/runtime/webhooks/durabletask/instances/${id}`,
    }),
  };
  return { client: client as unknown as df.DurableClient, calls };
}

describe('approvalOrchestrations', () => {
  it('starts the approval orchestration with a signed input that carries the correlation id unsigned', async () => {
    const { client, calls } = fakeClient({});
    await approvalOrchestrations(client, keys, 'corr-1').start('req-1', { request, etag: 'e1' });
    const [name, options] = calls[0]!.args as [string, { instanceId: string; input: Record<string, unknown> }];
    expect(name).toBe('approvalOrchestrator');
    expect(options.instanceId).toBe('req-1');
    expect(options.input).toMatchObject({ request, etag: 'e1', correlationId: 'corr-1' });
    expect(verifyStartSignature(keys, 'req-1', options.input).ok).toBe(true);
    expect(verifyStartSignature(keys, 'req-1', { ...options.input, etag: 'e2' }).ok).toBe(false);
  });

  it('refuses with orchestration_unavailable (503), keeping the cause, after three failed starts', async () => {
    const failure = new Error('the task hub is down');
    const { client, calls } = fakeClient({
      startNew: () => Promise.reject(failure),
      getStatus: () => Promise.reject(new Error('HTTP 404')),
    });
    const error = await approvalOrchestrations(client, keys, undefined)
      .start('req-1', { request, etag: 'e1' })
      .catch((caught: unknown) => caught);
    expect(isDomainError(error, 'orchestration_unavailable')).toBe(true);
    expect((error as Error).cause).toBe(failure);
    expect(problemFromError(error)).toMatchObject({ status: 503, code: 'orchestration_unavailable' });
    expect(calls.filter((call) => call.method === 'startNew')).toHaveLength(3);
  });

  it('takes an orchestration that is already running as started', async () => {
    const { client } = fakeClient({ startNew: () => Promise.reject(new Error('exists')) });
    await expect(approvalOrchestrations(client, keys, undefined).start('req-1', { request, etag: 'e1' })).resolves.toBe(
      undefined,
    );
  });

  it('raises signed commands, and refuses with invalid_state when the instance has finished', async () => {
    const { client, calls } = fakeClient({ getStatus: () => Promise.resolve({ runtimeStatus: 'Completed' }) });
    const error = await approvalOrchestrations(client, keys, 'corr-2')
      .raise('req-1', { kind: 'cancel', actor })
      .catch((caught: unknown) => caught);
    const [instanceId, event, payload] = calls[0]!.args as [string, string, Record<string, unknown>];
    expect([instanceId, event]).toEqual(['req-1', 'Command']);
    expect(payload).toMatchObject({ kind: 'cancel', actor, correlationId: 'corr-2' });
    expect(verifyCommandSignature(keys, 'req-1', payload, new Date()).ok).toBe(true);
    expect(isDomainError(error, 'invalid_state')).toBe(true);
  });
});

describe('opsOrchestrations', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.statusCode = 400;
      response.end('bad continuation');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a continuation token the extension refuses with invalid_continuation (400)', async () => {
    const { client } = fakeClient({ managementBase: base });
    const error = await opsOrchestrations(client, keys)
      .list({ top: 10, continuationToken: 'garbage' })
      .catch((caught: unknown) => caught);
    expect(problemFromError(error)).toMatchObject({ status: 400, code: 'invalid_continuation' });
  });

  it('starts an orphan signed, and answers invalid_state when its orchestration started meanwhile', async () => {
    const operatorStart = { type: 'request.orchestrationStarted' } as never;
    const signed = fakeClient({});
    await opsOrchestrations(signed.client, keys).startApproval({ request, etag: 'e1', operatorStart });
    const [, options] = signed.calls[0]!.args as [string, { input: unknown }];
    expect(verifyStartSignature(keys, 'req-1', options.input).ok).toBe(true);

    const raced = fakeClient({ startNew: () => Promise.reject(new Error('exists')) });
    const error = await opsOrchestrations(raced.client, keys)
      .startApproval({ request, etag: 'e1', operatorStart })
      .catch((caught: unknown) => caught);
    expect(problemFromError(error)).toMatchObject({ status: 409, code: 'invalid_state' });
  });
});
