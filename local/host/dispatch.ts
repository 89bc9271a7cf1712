import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { keyMatches, presentedKey } from '../durable/systemKey';
import type { ManagementApi, ManagementResponse } from '../durable/managementApi';
import { text } from '../http/responses';
import { describeError, type Logger } from '../log';
import type { LocalRoutes } from '../routes/localRoutes';
import type { HostResponse, HttpHost } from './httpHost';

/** Where the Durable extension's HTTP API is served on the public listener. */
const WEBHOOKS = '/runtime/webhooks/durabletask/';
/** Where the SDK's RPC calls arrive on the loopback listener. */
const RPC = '/durabletask/';

/** What the dispatcher routes requests to. */
export interface DispatchTargets {
  bodyLimitBytes: number;
  /** The Durable extension's system key: the Durable webhooks refuse requests without it. */
  systemKey: string;
  localRoutes: LocalRoutes;
  management: ManagementApi;
  httpHost: HttpHost;
  /** Removes client-sent principal headers and adds the signed-in user's, as App Service Authentication does. */
  applyPrincipalHeaders: (headers: IncomingHttpHeaders) => void;
  log: Logger;
}

/**
 * The host's request routing, in order: a body over the limit (413), the runtime's `/_local/`
 * routes, the Durable webhooks (401 without the system key), other reserved paths (404), the
 * app's HTTP functions, and 404 for the rest.
 */
export class HostDispatcher {
  constructor(private readonly targets: DispatchTargets) {}

  /** Serves a request on the public listener. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { targets } = this;
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const body = await readBody(req, targets.bodyLimitBytes);
      if (body === undefined) return write(res, text(413, 'Payload Too Large'));
      // As App Service Authentication does: client-sent principal headers never reach the app.
      targets.applyPrincipalHeaders(req.headers);
      const pathname = url.pathname;
      const local = targets.localRoutes.find(pathname);
      if (local) return write(res, await local(req, url, body));
      if (pathname.startsWith(WEBHOOKS) || pathname === WEBHOOKS.slice(0, -1)) {
        // As the host's SystemKeyAuthLevel policy: no system key, no Durable API (401, empty body, nothing done).
        if (!keyMatches(presentedKey(req.headers, url.searchParams), targets.systemKey)) {
          targets.log.warn(
            'host',
            `refused ${req.method ?? 'GET'} ${pathname}: no valid durabletask_extension system key`,
          );
          return write(res, { status: 401, headers: [], body: Buffer.alloc(0) });
        }
        return write(res, await this.management(req, url, pathname.slice(WEBHOOKS.length), body));
      }
      if (pathname.startsWith('/_local/') || pathname.startsWith('/admin/') || pathname.startsWith('/runtime/')) {
        return write(res, text(404, 'Not Found'));
      }
      if (targets.httpHost.owns(pathname)) {
        const response = await targets.httpHost.handle(req, url, body);
        if (response) return write(res, response);
      }
      write(res, text(404, 'Not Found'));
    } catch (error) {
      targets.log.error('host', `request failed: ${describeError(error)}`);
      if (!res.headersSent) write(res, text(500, 'Internal Server Error'));
      else res.destroy();
    }
  }

  /** Serves the SDK's RPC calls on the loopback listener (the `http` transport). */
  async serveRpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const body = await readBody(req, this.targets.bodyLimitBytes);
    if (body === undefined) return write(res, text(413, 'Payload Too Large'));
    if (!url.pathname.startsWith(RPC)) return write(res, text(404, 'Not Found'));
    write(res, await this.management(req, url, url.pathname.slice(RPC.length), body));
  }

  private async management(req: IncomingMessage, url: URL, path: string, body: Buffer): Promise<HostResponse> {
    const response = await this.targets.management.handle({
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      url: url.href,
    });
    return managementToHost(response);
  }
}

function managementToHost(response: ManagementResponse): HostResponse {
  const body = response.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(response.body));
  return { status: response.status, headers: Object.entries(response.headers), body };
}

function write(res: ServerResponse, response: HostResponse): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    const key = name.toLowerCase();
    const existing = headers[key];
    if (existing === undefined) headers[key] = value;
    else headers[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  headers['content-length'] = String(response.body.length);
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** Reads the whole body; `undefined` when it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
