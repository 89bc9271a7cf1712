import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApprovalRequest } from '../../../shared/domain/model';
import { NoneExecutor } from '../../../shared/execute/executor';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WebhookExecutor,
  signWebhook,
} from '../../../shared/execute/webhookExecutor';

const request: ApprovalRequest = {
  id: 'req-1',
  profileType: 'deviceWipe',
  operation: {
    action: 'wipe',
    resourceType: 'managedDevice',
    resourceId: 'dev-1',
    payload: { keepEnrollmentData: false },
  },
  operationHash: 'ab'.repeat(32),
  justification: 'stolen',
  initiator: { id: 'alice', displayName: 'Alice' },
  policy: { id: 'p1', version: 1, approverGroupIds: ['g1'], requiredApprovals: 1 },
  status: 'completed',
  decisions: [
    {
      approver: { id: 'bob', displayName: 'Bob' },
      decision: 'approve',
      notes: 'ok',
      at: '2026-01-01T00:00:00.000Z',
      source: 'api',
    },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-31T00:00:00.000Z',
  lastModifiedAt: '2026-01-01T00:01:00.000Z',
  completedAt: '2026-01-01T00:01:00.000Z',
};

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function receiver(status: number): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'accepted' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('WebhookExecutor', () => {
  it('POSTs exactly the stored operation, signed with HMAC over timestamp and body, with the request id as idempotency key', async () => {
    const target = await receiver(202);
    try {
      const executor = new WebhookExecutor(
        { url: target.url, secret: 's3cret' },
        () => new Date('2026-01-01T00:02:00Z'),
      );
      const outcome = await executor.execute(request);
      expect(outcome).toEqual({ status: 'succeeded', detail: 'webhook answered 202: accepted' });
      expect(target.received).toHaveLength(1);
      const [{ headers, body }] = target.received as [Received];
      expect(headers['idempotency-key']).toBe('req-1');
      expect(headers[TIMESTAMP_HEADER]).toBe(String(Date.parse('2026-01-01T00:02:00Z') / 1000));
      expect(headers[SIGNATURE_HEADER]).toBe(signWebhook('s3cret', headers[TIMESTAMP_HEADER] as string, body));
      expect(headers[SIGNATURE_HEADER]).not.toBe(signWebhook('other', headers[TIMESTAMP_HEADER] as string, body));
      expect(JSON.parse(body)).toEqual({
        requestId: 'req-1',
        profileType: 'deviceWipe',
        operation: request.operation,
        operationHash: request.operationHash,
        initiator: { id: 'alice', displayName: 'Alice' },
        approvers: [{ id: 'bob', displayName: 'Bob' }],
        completedAt: '2026-01-01T00:01:00.000Z',
      });
    } finally {
      await target.close();
    }
  });

  it.each([
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [404, false],
  ])('treats a %d answer as a failure, retryable=%s', async (status, retryable) => {
    const target = await receiver(status);
    try {
      const outcome = await new WebhookExecutor({ url: target.url, secret: 'k' }).execute(request);
      expect(outcome).toEqual({ status: 'failed', retryable, detail: `webhook answered ${status}: nope` });
    } finally {
      await target.close();
    }
  });

  it('treats an unreachable receiver as a retryable failure', async () => {
    const target = await receiver(200);
    await target.close();
    const outcome = await new WebhookExecutor({ url: target.url, secret: 'k', timeoutMs: 2000 }).execute(request);
    expect(outcome).toMatchObject({ status: 'failed', retryable: true });
    expect(outcome.detail).toMatch(/^webhook unreachable/);
  });
});

describe('NoneExecutor', () => {
  it('succeeds without calling anything, naming the operation released to the caller', async () => {
    await expect(new NoneExecutor().execute(request)).resolves.toEqual({
      status: 'succeeded',
      detail: `released to the initiator; operation ${request.operationHash} is performed by the caller`,
    });
  });
});
