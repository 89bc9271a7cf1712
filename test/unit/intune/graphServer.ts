import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import { IntuneGraphClient } from '../../../shared/intune/graphClient';

/** One write the server received. */
export interface ReceivedWrite {
  method: string;
  path: string;
  body: unknown;
  status: number;
  clientRequestId: string | undefined;
}

/** A fault for the next matching writes: `applied` makes it happen, then answers the fault (a lost answer). */
export interface Fault {
  status: number;
  count: number;
  retryAfter?: string;
  path?: string;
  applied?: boolean;
  code?: string;
  message?: string;
}

type Item = Record<string, unknown>;

const BETA_ONLY = [
  'deviceManagementScripts',
  'deviceShellScripts',
  'deviceHealthScripts',
  'configurationPolicies',
  'remoteActionAudits',
];

/**
 * A small Microsoft Graph on 127.0.0.1 speaking Intune's shapes for the unit tests: collections
 * under `/v1.0` and `/beta` (beta-only ones refused under v1.0), paging with `@odata.nextLink`,
 * single GETs, creates, PATCH, DELETE, device wipe/retire with `deviceActionResults` and remote
 * action audits, `/assignments` and `/assign`, `GET /groups/{id}`, Graph's error body, the
 * `client-request-id` echo, faults (429 with `Retry-After`, 5xx), 403 per path and native MAA
 * interception.
 */
export class GraphServer {
  readonly collections = new Map<string, Map<string, Item>>();
  readonly assignments = new Map<string, Item[]>();
  readonly groups = new Map<string, string>();
  readonly writes: ReceivedWrite[] = [];
  readonly reads: { path: string; clientRequestId: string | undefined }[] = [];
  readonly faults: Fault[] = [];
  /** Path substrings answered 403 Forbidden. */
  readonly forbidden: string[] = [];
  /** Native MAA: every write answers this way. */
  native: 'off' | 'justification' | 'approvalRequired' = 'off';
  pageSize = 2;
  now = () => new Date();
  private server?: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => this.handle(req, res, text));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graph`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  client(): IntuneGraphClient {
    const credential: TokenCredential = {
      getToken: async () => ({ token: 'app-token', expiresOnTimestamp: Date.now() + 3600_000 }),
    };
    return new IntuneGraphClient({ baseUrl: this.url, credential, timeoutMs: 5000 });
  }

  collection(path: string): Map<string, Item> {
    let items = this.collections.get(path);
    if (!items) this.collections.set(path, (items = new Map()));
    return items;
  }

  put(collection: string, item: Item): Item {
    this.collection(collection).set(String(item.id), item);
    return item;
  }

  /** Writes that changed something (2xx), in order. */
  effective(): ReceivedWrite[] {
    return this.writes.filter((w) => w.status >= 200 && w.status < 300);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const clientRequestId = req.headers['client-request-id'] as string | undefined;
    const url = new URL(req.url ?? '/', 'http://graph.test');
    const full = url.pathname.replace(/^\/graph/, '');
    const [, version, ...segments] = full.split('/').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      if (method !== 'GET') this.writes.push({ method, path: full, body, status, clientRequestId });
      res.writeHead(status, {
        'request-id': randomUUID(),
        ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      send(
        status,
        {
          error: {
            code,
            message,
            innerError: {
              'request-id': randomUUID(),
              'client-request-id': clientRequestId,
              date: new Date().toISOString(),
            },
          },
        },
        headers,
      );
    if (method === 'GET') this.reads.push({ path: full + url.search, clientRequestId });

    if (req.headers.authorization !== 'Bearer app-token') return error(401, 'InvalidAuthenticationToken', 'no token');
    if (this.forbidden.some((p) => full.includes(p))) {
      return error(
        403,
        'Forbidden',
        'Application is not authorized to perform this operation. Application must have one of the following scopes: X',
      );
    }
    if (version === 'v1.0' && segments.some((s) => BETA_ONLY.includes(s))) {
      return error(
        400,
        'BadRequest',
        `Resource not found for the segment '${segments.find((s) => BETA_ONLY.includes(s))}'.`,
      );
    }
    if (method !== 'GET') {
      if (this.native === 'justification' && !req.headers['x-msft-approval-justification']) {
        return error(
          400,
          'BadRequest',
          "Header 'x-msft-approval-justification' is required for this operation because it is protected by a Multi Admin Approval policy.",
        );
      }
      if (this.native === 'approvalRequired') {
        return error(403, 'ApprovalRequired', 'Approval required', { 'x-msft-approval-code': randomUUID() });
      }
      const fault = this.faults.find((f) => f.count > 0 && (f.path === undefined || full.includes(f.path)));
      if (fault) {
        fault.count -= 1;
        if (fault.applied)
          this.route(
            method,
            segments,
            body,
            url,
            () => undefined,
            () => undefined,
          );
        const code = fault.code ?? (fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable');
        return error(
          fault.status,
          code,
          fault.message ?? 'fault',
          fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
        );
      }
    }
    this.route(method, segments, body, url, send, error);
  }

  private route(
    method: string,
    segments: string[],
    body: unknown,
    url: URL,
    send: (status: number, payload?: unknown) => void,
    error: (status: number, code: string, message: string) => void,
  ): void {
    const now = this.now().toISOString();
    if (segments[0] === 'groups' && segments.length === 2) {
      const name = this.groups.get(segments[1]!);
      return name === undefined
        ? error(404, 'Request_ResourceNotFound', 'no group')
        : send(200, { id: segments[1], displayName: name });
    }
    // /<area>/<collection>[/<id>[/<sub>[/<subId>]]]
    const [area, collectionName, id, sub, subId] = segments;
    const key = `/${area}/${collectionName}`;
    const items = this.collection(key);
    if (collectionName === 'remoteActionAudits' && method === 'GET') {
      const filter = /requestDateTime ge (\S+)/.exec(url.searchParams.get('$filter') ?? '');
      const since = filter ? Date.parse(filter[1]!) : 0;
      return this.page(
        [...items.values()].filter((a) => Date.parse(String(a.requestDateTime)) >= since),
        url,
        send,
      );
    }
    if (id === undefined) {
      if (method === 'GET') {
        const filter = /deviceName eq '([^']*)'/.exec(url.searchParams.get('$filter') ?? '');
        return this.page(
          [...items.values()].filter((i) => !filter || i.deviceName === filter[1]),
          url,
          send,
        );
      }
      if (method === 'POST') {
        const created = { ...(body as Item), id: randomUUID(), createdDateTime: now, lastModifiedDateTime: now };
        items.set(String(created.id), created);
        return send(201, created);
      }
      return error(405, 'BadRequest', 'no such method');
    }
    const item = items.get(id);
    if (!item) return error(404, 'ResourceNotFound', `${collectionName} ${id} not found`);
    const assignmentsKey = `${key}/${id}`;
    if (sub === 'assignments') {
      const list = this.assignments.get(assignmentsKey) ?? [];
      if (method === 'GET' && subId === undefined) return this.page(list, url, send);
      if (method === 'POST') {
        const one = { ...(body as Item), id: randomUUID() };
        this.assignments.set(assignmentsKey, [...list, one]);
        return send(201, one);
      }
      if (method === 'DELETE' && subId !== undefined) {
        if (!list.some((a) => a.id === subId)) return error(404, 'ResourceNotFound', 'no assignment');
        this.assignments.set(
          assignmentsKey,
          list.filter((a) => a.id !== subId),
        );
        return send(204);
      }
    }
    if (sub === 'assign' && method === 'POST') {
      const list = Object.values(body as Item).find(Array.isArray) as Item[];
      this.assignments.set(
        assignmentsKey,
        list.map((a) => ({ ...a, id: randomUUID() })),
      );
      return send(204);
    }
    if ((sub === 'wipe' || sub === 'retire') && method === 'POST') {
      item.managementState = `${sub}Pending`;
      item.deviceActionResults = [
        { actionName: sub, actionState: 'pending', startDateTime: now, lastUpdatedDateTime: now },
      ];
      this.audit(item, sub === 'wipe' ? 'factoryReset' : 'removeCompanyData', now);
      return send(204);
    }
    if (sub !== undefined) return error(400, 'BadRequest', 'no route');
    if (method === 'GET') {
      const select = url.searchParams.get('$select');
      if (!select) return send(200, item);
      return send(
        200,
        Object.fromEntries(
          select
            .split(',')
            .filter((f) => f in item)
            .map((f) => [f, item[f]]),
        ),
      );
    }
    if (method === 'PATCH' || method === 'PUT') {
      Object.assign(item, body as Item, { lastModifiedDateTime: now });
      if (typeof item.version === 'number') item.version += 1;
      return send(204);
    }
    if (method === 'DELETE') {
      items.delete(id);
      if (collectionName === 'managedDevices') this.audit(item, 'delete', now);
      return send(204);
    }
    error(400, 'BadRequest', 'no route');
  }

  private audit(device: Item, action: string, at: string): void {
    this.put('/deviceManagement/remoteActionAudits', {
      id: randomUUID(),
      managedDeviceId: device.id,
      deviceDisplayName: device.deviceName,
      action,
      actionState: 'pending',
      requestDateTime: at,
      initiatedByUserPrincipalName: 'app@maa.test',
    });
  }

  private page(items: Item[], url: URL, send: (status: number, payload?: unknown) => void): void {
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
    const value = items.slice(skip, skip + this.pageSize);
    const next = new URL(`${this.url}${url.pathname.replace(/^\/graph/, '')}`);
    url.searchParams.forEach((v, k) => next.searchParams.set(k, v));
    next.searchParams.set('$skiptoken', String(skip + this.pageSize));
    send(200, { value, ...(skip + this.pageSize < items.length ? { '@odata.nextLink': next.toString() } : {}) });
  }
}
