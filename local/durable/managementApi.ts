import { EngineError, type DurableEngine, type DeliveryResult } from './engine';
import { EVENT_TYPE_NAMES, EventType, type HistoryEvent } from './history';
import { TERMINAL_STATUSES, type DurableStore, type InstanceRow, type RuntimeStatus } from './store';

/** A request to the Durable HTTP API, already split from its transport. */
export interface ManagementRequest {
  method: string;
  /** Path after the API base (e.g. `instances/abc/raiseEvent/Go`), still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Absolute URL of the request, for `Location` headers. */
  url: string;
}

/** A response from the Durable HTTP API. */
export interface ManagementResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];
const DEFAULT_PAGE_SIZE = 100;
const ORCHESTRATION_STATUS_NAMES: Record<number, string> = {
  0: 'Running',
  1: 'Completed',
  2: 'ContinuedAsNew',
  3: 'Failed',
  4: 'Canceled',
  5: 'Terminated',
  6: 'Pending',
  7: 'Suspended',
};

/**
 * The Durable extension's HTTP API (what `DurableClient` calls through `rpcBaseUrl`, and the public
 * webhooks behind `createCheckStatusResponse`), with the extension's status codes.
 */
export class ManagementApi {
  constructor(
    private readonly engine: DurableEngine,
    private readonly store: DurableStore,
    private readonly managementUrls: (instanceId: string, origin?: string) => Record<string, string>,
  ) {}

  async handle(request: ManagementRequest): Promise<ManagementResponse> {
    try {
      return await this.route(request);
    } catch (error) {
      if (error instanceof EngineError) {
        const status = { bad_request: 400, not_found: 404, conflict: 500, gone: 410 }[error.code];
        return json(status, { Message: error.message, ExceptionMessage: error.message });
      }
      return json(500, { Message: 'Something went wrong while processing your request' });
    }
  }

  private async route(request: ManagementRequest): Promise<ManagementResponse> {
    const segments = request.path.split('/').filter((part, index, all) => part.length > 0 || index < all.length - 1);
    const parts = segments.map(safeDecode);
    if (parts.some((part) => part === undefined))
      return json(400, { Message: 'malformed percent-encoding in the path' });
    const [area, first, second, third] = parts as string[];
    const method = request.method.toUpperCase();

    if (area === 'orchestrators' && first && method === 'POST' && parts.length <= 3) {
      return this.start(request, first, second);
    }
    if (area === 'instances') {
      if (!first) {
        if (method === 'GET') return this.query(request);
        if (method === 'DELETE') return this.purgeWhere(request);
        return notFound();
      }
      if (second === undefined) {
        if (method === 'GET') return this.status(request, first);
        if (method === 'DELETE') return this.purge(first);
        return notFound();
      }
      if (method !== 'POST') return notFound();
      if (second === 'raiseEvent' && third) return this.raiseEvent(request, first, third);
      const reason = request.query.get('reason') ?? '';
      if (second === 'terminate') return deliveryResponse(await this.engine.terminate(first, reason));
      if (second === 'suspend') return this.suspendOrResume(first, reason, true);
      if (second === 'resume') return this.suspendOrResume(first, reason, false);
      if (second === 'rewind') return json(501, { Message: 'Rewind is not supported by the local runtime.' });
      if (second === 'restart') return json(501, { Message: 'Restart is not supported by the local runtime.' });
      return notFound();
    }
    if (area === 'entities') return json(501, { Message: 'Durable entities are not supported by the local runtime.' });
    return notFound();
  }

  private async start(
    request: ManagementRequest,
    name: string,
    instanceId: string | undefined,
  ): Promise<ManagementResponse> {
    // The SDK sends `""` when there is no input; an empty body means no input at all.
    const text = request.body.length === 0 ? null : request.body.toString('utf8');
    if (text !== null && !isJson(text)) return json(400, { Message: 'The request body is not valid JSON.' });
    const version = request.query.get('version') ?? '';
    const id = await this.engine.startNew(name, instanceId, text, version);
    const payload = this.managementUrls(id, new URL(request.url).origin);
    return json(202, payload, { Location: payload.statusQueryGetUri!, 'Retry-After': '10' });
  }

  private async raiseEvent(
    request: ManagementRequest,
    instanceId: string,
    eventName: string,
  ): Promise<ManagementResponse> {
    const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
    const text = request.body.toString('utf8');
    // Like the extension: the body must be JSON, and an empty body is not JSON.
    if (!contentType.includes('application/json') || !isJson(text)) {
      return json(400, {
        Message: 'Invalid JSON content: the event data must be a JSON value sent as application/json.',
      });
    }
    return deliveryResponse(await this.engine.raiseEvent(instanceId, eventName, text));
  }

  private async suspendOrResume(instanceId: string, reason: string, suspend: boolean): Promise<ManagementResponse> {
    const instance = this.store.getInstance(instanceId);
    if (!instance) return deliveryResponse('notFound');
    if (TERMINAL_STATUSES.has(instance.runtime_status)) return deliveryResponse('gone');
    if (!suspend && instance.runtime_status !== 'Suspended') {
      return json(500, { Message: `Instance '${instanceId}' is not suspended.` });
    }
    if (suspend && instance.runtime_status === 'Suspended') {
      return json(500, { Message: `Instance '${instanceId}' is already suspended.` });
    }
    return deliveryResponse(
      await (suspend ? this.engine.suspend(instanceId, reason) : this.engine.resume(instanceId, reason)),
    );
  }

  private status(request: ManagementRequest, instanceId: string): ManagementResponse {
    const row = this.store.getInstance(instanceId);
    if (!row) return json(404, { Message: `No instance with ID '${instanceId}' found.` });
    const options = {
      showInput: request.query.get('showInput') !== 'false',
      showHistory: request.query.get('showHistory') === 'true',
      showHistoryOutput: request.query.get('showHistoryOutput') === 'true',
    };
    const body = statusOf(row, options.showInput) as Record<string, unknown>;
    if (options.showHistory)
      body.historyEvents = summariseHistory(
        this.store.history(instanceId),
        options.showHistoryOutput,
        options.showInput,
      );
    const running = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'].includes(row.runtime_status);
    return running ? json(202, body, { Location: request.url, 'Retry-After': '5' }) : json(200, body);
  }

  private query(request: ManagementRequest): ManagementResponse {
    const filter = parseFilter(request.query);
    if ('error' in filter) return json(400, { Message: filter.error });
    const top = Number(request.query.get('top') ?? DEFAULT_PAGE_SIZE);
    if (!Number.isInteger(top) || top < 1) return json(400, { Message: 'top must be a positive integer' });
    const token = header(request, 'x-ms-continuation-token');
    let after: { created: number; id: string } | undefined;
    if (token) {
      try {
        after = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { created: number; id: string };
      } catch {
        return json(400, { Message: 'invalid continuation token' });
      }
    }
    const rows = this.store.queryInstances({ ...filter, top: top + 1, ...(after ? { after } : {}) });
    const page = rows.slice(0, top);
    const headers: Record<string, string> = {};
    if (rows.length > top) {
      const last = page[page.length - 1]!;
      headers['x-ms-continuation-token'] = Buffer.from(
        JSON.stringify({ created: last.created_ms, id: last.instance_id }),
      ).toString('base64url');
    }
    const showInput = request.query.get('showInput') === 'true';
    return json(
      200,
      page.map((row) => statusOf(row, showInput)),
      headers,
    );
  }

  private async purge(instanceId: string): Promise<ManagementResponse> {
    const deleted = await this.engine.purge(instanceId);
    return deleted
      ? json(200, { instancesDeleted: 1 })
      : json(404, { Message: `No finished instance with ID '${instanceId}' found.` });
  }

  private async purgeWhere(request: ManagementRequest): Promise<ManagementResponse> {
    const filter = parseFilter(request.query);
    if ('error' in filter) return json(400, { Message: filter.error });
    if (filter.createdFrom === undefined) return json(400, { Message: 'createdTimeFrom is required' });
    const count = await this.engine.purgeWhere({
      createdFrom: filter.createdFrom,
      createdTo: filter.createdTo ?? Date.now(),
      ...(filter.runtimeStatus ? { runtimeStatus: filter.runtimeStatus } : {}),
    });
    return count > 0 ? json(200, { instancesDeleted: count }) : json(404, { Message: 'No instances matched.' });
  }
}

function parseFilter(
  query: URLSearchParams,
):
  | { runtimeStatus?: RuntimeStatus[]; createdFrom?: number; createdTo?: number; instanceIdPrefix?: string }
  | { error: string } {
  const filter: {
    runtimeStatus?: RuntimeStatus[];
    createdFrom?: number;
    createdTo?: number;
    instanceIdPrefix?: string;
  } = {};
  const statuses = query.get('runtimeStatus');
  if (statuses) {
    const list = statuses
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const known = list.map((s) => RUNTIME_STATUSES.find((r) => r.toLowerCase() === s.toLowerCase()));
    if (known.some((s) => s === undefined))
      return { error: `runtimeStatus must be a list of ${RUNTIME_STATUSES.join(', ')}` };
    filter.runtimeStatus = known as RuntimeStatus[];
  }
  for (const [key, target] of [
    ['createdTimeFrom', 'createdFrom'],
    ['createdTimeTo', 'createdTo'],
  ] as const) {
    const value = query.get(key);
    if (value) {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return { error: `${key} is not a date` };
      filter[target] = ms;
    }
  }
  const prefix = query.get('instanceIdPrefix');
  if (prefix) filter.instanceIdPrefix = prefix;
  return filter;
}

/** The extension's status JSON for an instance. */
export function statusOf(row: InstanceRow, showInput = true): Record<string, unknown> {
  return {
    name: row.name,
    instanceId: row.instance_id,
    runtimeStatus: row.runtime_status,
    input: showInput ? parseLenient(row.input) : null,
    customStatus: parseLenient(row.custom_status),
    output: parseLenient(row.output),
    createdTime: formatTime(row.created_ms),
    lastUpdatedTime: formatTime(row.updated_ms),
  };
}

/** History as the extension shows it: named event types, scheduling rows folded into their results. */
function summariseHistory(texts: string[], showOutput: boolean, showInput: boolean): Record<string, unknown>[] {
  const events = texts.map((text) => JSON.parse(text) as HistoryEvent);
  const scheduled = new Map<number, HistoryEvent>();
  for (const event of events) {
    if (event.EventType === EventType.TaskScheduled || event.EventType === EventType.SubOrchestrationInstanceCreated)
      scheduled.set(event.EventId, event);
  }
  const hidden = new Set<number>([
    EventType.OrchestratorStarted,
    EventType.OrchestratorCompleted,
    EventType.TaskScheduled,
    EventType.SubOrchestrationInstanceCreated,
  ]);
  const summary: Record<string, unknown>[] = [];
  for (const event of events) {
    if (hidden.has(event.EventType)) continue;
    const { EventType: type, EventId: _id, IsPlayed: _played, ...rest } = event;
    const row: Record<string, unknown> = { EventType: EVENT_TYPE_NAMES[type] ?? String(type), ...rest };
    const origin = typeof event.TaskScheduledId === 'number' ? scheduled.get(event.TaskScheduledId) : undefined;
    if (origin) {
      row.FunctionName = origin.Name;
      row.ScheduledTime = origin.Timestamp;
    }
    if (type === EventType.TimerCreated || type === EventType.TimerFired) row.TimerId = event.TimerId ?? event.EventId;
    if (type === EventType.ExecutionStarted) row.FunctionName = event.Name;
    if (typeof row.OrchestrationStatus === 'number')
      row.OrchestrationStatus = ORCHESTRATION_STATUS_NAMES[row.OrchestrationStatus] ?? row.OrchestrationStatus;
    // Like the extension, payloads appear as JSON values rather than JSON-encoded strings.
    if (!showOutput) delete row.Result;
    else if (typeof row.Result === 'string') row.Result = parseLenient(row.Result);
    if (!showInput) delete row.Input;
    else if (typeof row.Input === 'string') row.Input = parseLenient(row.Input);
    summary.push(row);
  }
  return summary;
}

function deliveryResponse(result: DeliveryResult): ManagementResponse {
  if (result === 'notFound') return json(404, { Message: 'No instance with the given ID was found.' });
  if (result === 'gone') return json(410, { Message: 'The instance has already finished.' });
  return json(202, undefined);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): ManagementResponse {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers }, body };
}

function notFound(): ManagementResponse {
  return json(404, { Message: 'No route matches the request.' });
}

function header(request: ManagementRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseLenient(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** `yyyy-MM-ddTHH:mm:ssZ`, as the extension formats status times. */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
