import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import type { BatchOperation } from '../test/support/azureCost';
import { classifyCosmosCall, type CosmosCall } from './cosmosOperations';

/** An in-process Cosmos DB wire-protocol server that records every REST call it answers. */
export interface CountingCosmosServer {
  endpoint: string;
  /** Any key works: the server does not check signatures. */
  key: string;
  /** Trusts the server's self-signed certificate (for the harness's own client). */
  agent: https.Agent;
  /** Calls answered since the server started or since the last {@link CountingCosmosServer.reset}. */
  calls(): CosmosCall[];
  /** Forgets the calls so far and restarts the clock of `atMs`. */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * Starts `@vercel/cosmosdb-server` (in memory, empty, TLS with its own self-signed certificate) on
 * 127.0.0.1 with an ephemeral port. A second `request` listener classifies each call and records
 * it, with its status and body sizes, once the response has gone out.
 */
export async function startCountingCosmosServer(): Promise<CountingCosmosServer> {
  const server = createHttpsServer({ keepAlive: true } as https.ServerOptions);
  let calls: CosmosCall[] = [];
  let origin = performance.now();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const receivedAt = performance.now() - origin;
    const path = (request.url ?? '').split('?')[0] ?? '';
    const method = request.method ?? '';
    const requestBytes = Number(request.headers['content-length'] ?? 0);
    const { operation, container } = classifyCosmosCall(method, path, request.headers);
    const batch = operation === 'transactional batch';
    const sent = watchResponseBody(response, batch);
    const received: Buffer[] = [];
    if (batch) request.on('data', (chunk: Buffer) => received.push(chunk));
    const window = calls;
    response.once('finish', () => {
      window.push({
        atMs: receivedAt,
        method,
        path,
        operation,
        // A batch answers with one result per operation.
        ...(batch
          ? {
              batchOperations: (JSON.parse(sent.text()) as unknown[]).length,
              batchParts: batchPartsOf(Buffer.concat(received).toString()),
            }
          : {}),
        status: response.statusCode,
        requestBytes,
        responseBytes: sent.bytes(),
        ...(container === undefined ? {} : { container }),
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  return {
    endpoint: `https://127.0.0.1:${port}/`,
    key: Buffer.from('cosmosdb-server bench key').toString('base64'),
    agent,
    calls: () => [...calls],
    reset: () => {
      calls = [];
      origin = performance.now();
    },
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Wraps `response.write` and `response.end` to count the body bytes, and to keep the body when `keep` is set. */
function watchResponseBody(response: ServerResponse, keep: boolean): { bytes(): number; text(): string } {
  let bytes = 0;
  const kept: Buffer[] = [];
  const add = (chunk: unknown) => {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    bytes += buffer.byteLength;
    if (keep) kept.push(buffer);
  };
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.write = ((chunk: unknown, ...rest: unknown[]) => {
    add(chunk);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') add(chunk);
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
  return { bytes: () => bytes, text: () => Buffer.concat(kept).toString() };
}

/** A batch request body's operations: type and the bytes of the item each carries. */
function batchPartsOf(body: string): BatchOperation[] | undefined {
  try {
    const operations = JSON.parse(body) as { operationType?: unknown; resourceBody?: unknown }[];
    return operations.map((operation) => ({
      operationType: String(operation.operationType ?? ''),
      bytes: operation.resourceBody === undefined ? 0 : Buffer.byteLength(JSON.stringify(operation.resourceBody)),
    }));
  } catch {
    return undefined;
  }
}
