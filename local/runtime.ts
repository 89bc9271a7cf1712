import { mkdirSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { applyLocalAppSettings } from './appSettings';
import { RuntimeClock, installProcessClock, parseClockAdvance } from './clock';
import { DurableEngine } from './durable/engine';
import { installInProcessTransport } from './durable/inProcessTransport';
import { ManagementApi, type ManagementResponse } from './durable/managementApi';
import { DurableStore } from './durable/store';
import { keyMatches, loadSystemKey, presentedKey, systemKeyPath } from './durable/systemKey';
import {
  AppLoadError,
  classifyFunctions,
  findEntryPoints,
  loadEntryPoints,
  readHostSettings,
  type HostedFunction,
} from './host/appLoader';
import { FunctionsCore } from './host/functionsCore';
import { HttpHost, type HostResponse } from './host/httpHost';
import { Invoker } from './host/invoker';
import { TimerHost } from './host/timerHost';
import { LocalIdentity } from './identity/localIdentity';
import { methodNotAllowed } from './identity/responses';
import { Logger, parseLogLevel } from './log';
import { LOCAL_MAILBOX_PATH, LocalMailbox } from './mailbox';

/** Settings of the local runtime itself (not the app's). */
export interface RuntimeSettings {
  appDir: string;
  port: number;
  host: string;
  dataDir: string;
  manualClock: boolean;
  logLevel: string;
  bodyLimitBytes: number;
  synchronous: 'FULL' | 'NORMAL';
  /** How DurableClient reaches the management API: in-process (default) or over the loopback listener. */
  rpcTransport: 'inprocess' | 'http';
}

/** A handler for a `/_local/...` endpoint. */
export type LocalRoute = (request: IncomingMessage, url: URL, body: Buffer) => Promise<HostResponse> | HostResponse;

/** Reads the runtime's settings from the environment (after local.settings.json was applied). */
export function runtimeSettingsFromEnv(env: NodeJS.ProcessEnv, appDir: string): RuntimeSettings {
  const port = env.PORT === undefined || env.PORT === '' ? 7071 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AppLoadError(`PORT must be a port number, not "${env.PORT}"`);
  const limit = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT ? Number(env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT) : 104_857_600;
  if (!Number.isInteger(limit) || limit <= 0)
    throw new AppLoadError('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes');
  const clock = (env.MAA_LOCAL_CLOCK ?? 'real').toLowerCase();
  if (clock !== 'real' && clock !== 'manual')
    throw new AppLoadError(`MAA_LOCAL_CLOCK must be "real" or "manual", not "${env.MAA_LOCAL_CLOCK}"`);
  const sync = (env.MAA_LOCAL_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new AppLoadError('MAA_LOCAL_SYNCHRONOUS must be FULL or NORMAL');
  const transport = (env.MAA_LOCAL_RPC_TRANSPORT ?? 'inprocess').toLowerCase();
  if (transport !== 'inprocess' && transport !== 'http')
    throw new AppLoadError('MAA_LOCAL_RPC_TRANSPORT must be "inprocess" or "http"');
  return {
    appDir,
    port,
    rpcTransport: transport,
    host: env.MAA_LOCAL_HOST ?? '127.0.0.1',
    dataDir: path.resolve(appDir, env.MAA_DATA_DIR ?? '.data'),
    manualClock: clock === 'manual',
    logLevel: env.MAA_LOG_LEVEL ?? 'information',
    bodyLimitBytes: limit,
    synchronous: sync,
  };
}

/**
 * The offline Functions host + Durable extension: loads the built app through the real
 * programming model and serves its HTTP functions, timers, orchestrations and activities.
 */
export class LocalRuntime {
  readonly clock: RuntimeClock;
  readonly log: Logger;
  readonly localRoutes = new Map<string, LocalRoute>();
  private core!: FunctionsCore;
  private invoker!: Invoker;
  private functions: HostedFunction[] = [];
  private store!: DurableStore;
  private engine!: DurableEngine;
  private management!: ManagementApi;
  private httpHost!: HttpHost;
  private timers!: TimerHost;
  private identity!: LocalIdentity;
  private server!: http.Server;
  private rpcServer!: http.Server;
  private publicOrigin = '';
  private rpcBaseUrl = '';
  private hubName = '';
  private clientInputText = '';
  private systemKey = '';

  constructor(readonly settings: RuntimeSettings) {
    this.clock = new RuntimeClock(settings.manualClock);
    this.log = new Logger(parseLogLevel(settings.logLevel));
  }

  /** Loads the app, opens the store, starts listening; resolves when ready to serve. */
  async start(): Promise<void> {
    const { settings } = this;
    if (settings.manualClock) installProcessClock(this.clock);
    this.core = new FunctionsCore((level, category, message) => this.log.log(level, `host/${category}`, message));
    this.core.installRequireHook();
    const hostSettings = readHostSettings(settings.appDir);
    this.hubName = hostSettings.hubName;
    this.invoker = new Invoker(this.core, (fn, level, _category, message) => this.log.log(level, fn, message));

    const entryPoints = findEntryPoints(settings.appDir);
    await loadEntryPoints(this.core, settings.appDir, entryPoints);
    this.core.lock();
    if (!this.core.programmingModel) throw new AppLoadError('the app registered no functions through @azure/functions');
    const capabilities = await this.core.programmingModel.getCapabilities?.({});
    if (capabilities?.HttpUri)
      throw new AppLoadError(
        'HTTP streaming (app.setup({ enableHttpStream: true })) is not supported by the local runtime',
      );
    this.functions = classifyFunctions(this.core);

    mkdirSync(settings.dataDir, { recursive: true });
    this.systemKey = loadSystemKey(settings.dataDir);
    this.store = new DurableStore(path.join(settings.dataDir, 'durable.sqlite'), settings.synchronous);
    if (settings.manualClock) {
      // Manual time survives restarts, so history timestamps and timers never see it go backwards.
      this.clock.restoreOffset(Number(this.store.getMeta('manualClockOffsetMs') ?? 0));
      this.clock.persist = (offset) => this.store.setMeta('manualClockOffsetMs', String(offset));
    }
    const concurrency = (key: string) => {
      const value = (hostSettings.raw.extensions as Record<string, Record<string, unknown>> | undefined)?.durableTask?.[
        key
      ];
      return typeof value === 'number' && value > 0 ? value : 10 * os.cpus().length;
    };
    this.engine = new DurableEngine({
      store: this.store,
      clock: this.clock,
      invoker: this.invoker,
      functions: this.functions,
      log: this.log,
      maxConcurrentOrchestrations: concurrency('maxConcurrentOrchestratorFunctions'),
      maxConcurrentActivities: concurrency('maxConcurrentActivityFunctions'),
    });
    this.management = new ManagementApi(this.engine, this.store, (id, origin) => this.managementUrls(id, origin));
    this.httpHost = new HttpHost(
      this.functions,
      hostSettings.routePrefix,
      this.invoker,
      () => this.clientInputText,
      (name, error) =>
        this.log.error(
          name,
          `HTTP function failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        ),
    );
    this.registerClockRoute();
    this.registerIdentityRoutes();

    this.rpcServer = http.createServer((req, res) => void this.serveRpc(req, res));
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.keepAliveTimeout = 65_000;
    const rpcPort = await listen(this.rpcServer, 0, '127.0.0.1');
    const port = await listen(this.server, settings.port, settings.host);
    const authority = `${settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host}:${port}`;
    this.publicOrigin = `http://${authority}`;
    this.rpcBaseUrl = `http://127.0.0.1:${rpcPort}/durabletask/`;
    // The SDK builds management URLs from WEBSITE_HOSTNAME, as in Azure.
    if (!process.env.WEBSITE_HOSTNAME) process.env.WEBSITE_HOSTNAME = authority;
    // Like Core Tools applying local.settings.json: the app's own token validation and Graph code then run against /_local/.
    this.identity.applyAppSettings(process.env);
    applyLocalAppSettings(process.env, settings.dataDir, this.publicOrigin);
    // After the local settings: timer schedules may name one (`%MAA_AUDIT_CHECKPOINT_SCHEDULE%`).
    this.timers = new TimerHost(
      this.functions,
      this.clock,
      this.invoker,
      this.log,
      process.env,
      () => this.clientInputText,
    );
    this.clientInputText = JSON.stringify(this.durableClientInput());
    if (settings.rpcTransport === 'inprocess')
      installInProcessTransport(settings.appDir, this.rpcBaseUrl, this.management);

    await this.invoker.appStart(settings.appDir);
    this.engine.recover();
    this.timers.start();
  }

  /** Public base URL, e.g. `http://127.0.0.1:7071`. */
  get url(): string {
    return this.publicOrigin;
  }

  /** Human-readable start-up summary. */
  banner(): string {
    const lines = [`multi-admin-approval local runtime (Functions host + Durable extension, offline)`];
    lines.push(`  app:       ${this.settings.appDir}`);
    lines.push(`  data:      ${this.settings.dataDir}`);
    lines.push(`  task hub:  ${this.hubName}`);
    lines.push(
      `  clock:     ${this.settings.manualClock ? `manual (POST ${this.publicOrigin}/_local/clock)` : 'real'}`,
    );
    lines.push('  functions:');
    for (const route of this.httpHost.describeRoutes())
      lines.push(`    ${route.name}: [${route.methods}] ${this.publicOrigin}${route.url}`);
    for (const timer of this.timers.describe())
      lines.push(`    ${timer.name}: timer ${timer.schedule} (next ${timer.next})`);
    for (const fn of this.functions.filter((f) => f.kind === 'orchestration' || f.kind === 'activity'))
      lines.push(`    ${fn.name}: ${fn.kind}Trigger`);
    lines.push(
      `  durable:   ${this.publicOrigin}/runtime/webhooks/durabletask/instances (system key in ${systemKeyPath(this.settings.dataDir)})`,
    );
    for (const route of [...this.localRoutes.keys()].sort()) lines.push(`  local:     ${this.publicOrigin}${route}`);
    return lines.join('\n');
  }

  /** Stops serving, lets in-flight work finish, and closes the store. */
  async stop(): Promise<void> {
    this.timers?.stop();
    const closing = [closeServer(this.server), closeServer(this.rpcServer)];
    await this.engine?.stop();
    await this.invoker
      ?.appTerminate()
      .catch((error: unknown) => this.log.error('host', `appTerminate hook failed: ${String(error)}`));
    this.store?.close();
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private registerClockRoute(): void {
    this.localRoutes.set('/_local/clock', (request, _url, body) => {
      if (!this.settings.manualClock) return textResponse(404, 'Not Found');
      if ((request.method ?? 'GET').toUpperCase() === 'GET')
        return jsonResponse(200, { now: new Date(this.clock.now()).toISOString() });
      if (request.method !== 'POST') return methodNotAllowed('GET, POST');
      let advance: unknown;
      try {
        advance = (JSON.parse(body.toString('utf8') || '{}') as { advance?: unknown }).advance;
      } catch {
        return problem(400, 'invalid_json', 'The body must be JSON like {"advance":"P30D"}.');
      }
      let ms: number;
      try {
        if (typeof advance !== 'string') throw new RangeError('"advance" must be an ISO-8601 duration such as "P30D"');
        ms = parseClockAdvance(advance);
      } catch (error) {
        return problem(400, 'invalid_duration', (error as Error).message);
      }
      const now = this.clock.advance(ms);
      return jsonResponse(200, { now: new Date(now).toISOString() });
    });
  }

  /** The development token issuer, directory and Graph (local/identity), and the mailbox its `sendMail` fills. */
  private registerIdentityRoutes(): void {
    const now = () => this.clock.now();
    const mailbox = new LocalMailbox(this.settings.dataDir, now);
    this.localRoutes.set(LOCAL_MAILBOX_PATH, mailbox.route());
    this.identity = new LocalIdentity({
      dataDir: this.settings.dataDir,
      now,
      origin: () => this.publicOrigin,
      mailbox,
      mailSender: () => process.env.MAA_MAIL_SENDER,
    });
    for (const [route, handler] of this.identity.routes()) this.localRoutes.set(route, handler);
  }

  /** A local route registered as `/_local/<prefix>/*` serves every path below the prefix. */
  private localPrefixRoute(pathname: string): LocalRoute | undefined {
    for (const [route, handler] of this.localRoutes) {
      if (route.endsWith('/*') && pathname.startsWith(route.slice(0, -1))) return handler;
    }
    return undefined;
  }

  /** The query every management and creation URL carries, with the system key as the extension appends it. */
  private requiredQuery(): string {
    return `taskHub=${encodeURIComponent(this.hubName)}&connection=Storage&code=${encodeURIComponent(this.systemKey)}`;
  }

  private durableClientInput(): Record<string, unknown> {
    const base = `${this.publicOrigin}/runtime/webhooks/durabletask`;
    const query = this.requiredQuery();
    return {
      taskHubName: this.hubName,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
        createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
      },
      managementUrls: this.managementUrls('INSTANCEID'),
      baseUrl: base,
      requiredQueryStringParameters: query,
      rpcBaseUrl: this.rpcBaseUrl,
    };
  }

  private managementUrls(instanceId: string, origin = this.publicOrigin): Record<string, string> {
    const base = `${origin}/runtime/webhooks/durabletask/instances/${instanceId === 'INSTANCEID' ? instanceId : encodeURIComponent(instanceId)}`;
    const query = this.requiredQuery();
    return {
      id: instanceId,
      statusQueryGetUri: `${base}?${query}`,
      sendEventPostUri: `${base}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${base}/terminate?reason={text}&${query}`,
      rewindPostUri: `${base}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${base}?${query}`,
      restartPostUri: `${base}/restart?${query}`,
      suspendPostUri: `${base}/suspend?reason={text}&${query}`,
      resumePostUri: `${base}/resume?reason={text}&${query}`,
    };
  }

  private async serveRpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const body = await readBody(req, this.settings.bodyLimitBytes);
    if (body === undefined) return write(res, textResponse(413, 'Payload Too Large'));
    if (!url.pathname.startsWith('/durabletask/')) return write(res, textResponse(404, 'Not Found'));
    const response = await this.management.handle({
      method: req.method ?? 'GET',
      path: url.pathname.slice('/durabletask/'.length),
      query: url.searchParams,
      headers: req.headers,
      body,
      url: url.href,
    });
    write(res, managementToHost(response));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const body = await readBody(req, this.settings.bodyLimitBytes);
      if (body === undefined) return write(res, textResponse(413, 'Payload Too Large'));
      // As App Service Authentication does: client-sent principal headers never reach the app.
      this.identity.signIn.applyPrincipalHeaders(req.headers);
      const pathname = url.pathname;
      const local = this.localRoutes.get(pathname.replace(/\/+$/, '')) ?? this.localPrefixRoute(pathname);
      if (local) return write(res, await local(req, url, body));
      const webhooks = '/runtime/webhooks/durabletask/';
      if (pathname.startsWith(webhooks) || pathname === webhooks.slice(0, -1)) {
        // As the host's SystemKeyAuthLevel policy: no system key, no Durable API (401, empty body, nothing done).
        if (!keyMatches(presentedKey(req.headers, url.searchParams), this.systemKey)) {
          this.log.warn(
            'host',
            `refused ${req.method ?? 'GET'} ${pathname}: no valid durabletask_extension system key`,
          );
          return write(res, { status: 401, headers: [], body: Buffer.alloc(0) });
        }
        const response = await this.management.handle({
          method: req.method ?? 'GET',
          path: pathname.slice(webhooks.length),
          query: url.searchParams,
          headers: req.headers,
          body,
          url: url.href,
        });
        return write(res, managementToHost(response));
      }
      if (pathname.startsWith('/_local/') || pathname.startsWith('/admin/') || pathname.startsWith('/runtime/')) {
        return write(res, textResponse(404, 'Not Found'));
      }
      if (this.httpHost.owns(pathname)) {
        const response = await this.httpHost.handle(req, url, body);
        if (response) return write(res, response);
      }
      write(res, textResponse(404, 'Not Found'));
    } catch (error) {
      this.log.error(
        'host',
        `request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) write(res, textResponse(500, 'Internal Server Error'));
      else res.destroy();
    }
  }
}

function managementToHost(response: ManagementResponse): HostResponse {
  const body = response.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(response.body));
  return { status: response.status, headers: Object.entries(response.headers), body };
}

function textResponse(status: number, text: string): HostResponse {
  return { status, headers: [['content-type', 'text/plain; charset=utf-8']], body: Buffer.from(text) };
}

function jsonResponse(status: number, value: unknown): HostResponse {
  return {
    status,
    headers: [['content-type', 'application/json; charset=utf-8']],
    body: Buffer.from(JSON.stringify(value)),
  };
}

function problem(status: number, code: string, detail: string): HostResponse {
  return {
    status,
    headers: [
      ['content-type', 'application/problem+json'],
      ['x-error-code', code],
    ],
    body: Buffer.from(JSON.stringify({ type: `about:blank`, title: 'Bad Request', status, code, detail })),
  };
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

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
