import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { applyLocalAppSettings } from './appSettings';
import { RuntimeClock, installProcessClock } from './clock';
import { durableClientInput, managementUrls, type DurableEndpoint } from './durable/clientInput';
import { DurableEngine } from './durable/engine';
import { ManagementApi } from './durable/managementApi';
import { DurableStore } from './durable/store';
import { loadSystemKey, systemKeyPath } from './durable/systemKey';
import { InlineApp, type AppHost } from './host/appHost';
import { classifyFunctions, readHostSettings, type HostedFunction } from './host/appLoader';
import { AppThread } from './host/appThread';
import { HostDispatcher } from './host/dispatch';
import { HttpHost } from './host/httpHost';
import { TimerHost } from './host/timerHost';
import { LocalIdentity } from './identity/localIdentity';
import { LocalIntune } from './intune/localIntune';
import { Logger, describeError, parseLogLevel } from './log';
import { LOCAL_MAILBOX_PATH, LocalMailbox } from './mailbox';
import { CLOCK_PATH, clockRoute } from './routes/clockRoute';
import { LocalRoutes } from './routes/localRoutes';
import type { RuntimeSettings } from './runtimeSettings';

/**
 * The offline Functions host + Durable extension: loads the built app through the real
 * programming model and serves its HTTP functions, timers, orchestrations and activities.
 */
export class LocalRuntime {
  readonly clock: RuntimeClock;
  readonly log: Logger;
  readonly localRoutes = new LocalRoutes();
  private app!: AppHost;
  private functions: HostedFunction[] = [];
  private store!: DurableStore;
  private engine!: DurableEngine;
  private management!: ManagementApi;
  private httpHost!: HttpHost;
  private timers!: TimerHost;
  private identity!: LocalIdentity;
  private intune!: LocalIntune;
  private server!: http.Server;
  private rpcServer!: http.Server;
  private publicOrigin = '';
  private rpcBaseUrl = '';
  private durable: DurableEndpoint = { hubName: '', systemKey: '' };
  private clientInputText = '';

  constructor(readonly settings: RuntimeSettings) {
    this.clock = new RuntimeClock(settings.manualClock);
    this.log = new Logger(parseLogLevel(settings.logLevel));
  }

  /** Loads the app, opens the store, starts listening; resolves when ready to serve. */
  async start(): Promise<void> {
    const { settings } = this;
    if (settings.manualClock) installProcessClock(this.clock);
    const hostSettings = readHostSettings(settings.appDir);
    const log = (level: string, source: string, message: string) => this.log.log(level, source, message);
    const appThread = settings.appThread
      ? new AppThread({
          appDir: settings.appDir,
          clock: this.clock,
          logLevel: settings.logLevel,
          log,
          onExit: (error) => {
            // As when the language worker dies: nothing is lost (the store is durable), but this host cannot go on.
            this.log.error('host', `the app stopped: ${describeError(error)}`);
            process.exit(1);
          },
        })
      : undefined;
    this.app =
      appThread ??
      new InlineApp(settings.appDir, {
        system: (level, category, message) => log(level, `host/${category}`, message),
        invocation: (fn, level, _category, message) => log(level, fn, message),
      });
    this.functions = classifyFunctions(await this.app.load());

    mkdirSync(settings.dataDir, { recursive: true });
    this.durable = { hubName: hostSettings.hubName, systemKey: loadSystemKey(settings.dataDir) };
    this.store = new DurableStore(path.join(settings.dataDir, 'durable.sqlite'), settings.synchronous);
    if (settings.manualClock) {
      // Manual time survives restarts, so history timestamps and timers never see it go backwards.
      this.clock.restoreOffset(Number(this.store.getMeta('manualClockOffsetMs') ?? 0));
      appThread?.syncClock();
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
      invoker: this.app,
      functions: this.functions,
      log: this.log,
      maxConcurrentOrchestrations: concurrency('maxConcurrentOrchestratorFunctions'),
      maxConcurrentActivities: concurrency('maxConcurrentActivityFunctions'),
    });
    this.management = new ManagementApi(this.engine, this.store, (id, origin) =>
      managementUrls(this.durable, id, origin ?? this.publicOrigin),
    );
    this.httpHost = new HttpHost(
      this.functions,
      hostSettings.routePrefix,
      this.app,
      () => this.clientInputText,
      (name, error) => this.log.error(name, `HTTP function failed: ${describeError(error)}`),
    );
    this.localRoutes.set(CLOCK_PATH, clockRoute(this.clock, settings.manualClock));
    this.registerIdentityRoutes();

    const dispatcher = new HostDispatcher({
      bodyLimitBytes: settings.bodyLimitBytes,
      systemKey: this.durable.systemKey,
      localRoutes: this.localRoutes,
      management: this.management,
      httpHost: this.httpHost,
      applyPrincipalHeaders: (headers) => this.identity.signIn.applyPrincipalHeaders(headers),
      log: this.log,
    });
    this.rpcServer = http.createServer((req, res) => void dispatcher.serveRpc(req, res));
    this.server = http.createServer((req, res) => void dispatcher.serve(req, res));
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
      this.app,
      this.log,
      process.env,
      () => this.clientInputText,
    );
    this.clientInputText = JSON.stringify(durableClientInput(this.durable, this.publicOrigin, this.rpcBaseUrl));
    if (settings.rpcTransport === 'inprocess')
      this.app.serveClient(this.rpcBaseUrl, (request) => this.management.handle(request));

    await this.app.appStart(settings.appDir);
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
    lines.push(`  task hub:  ${this.durable.hubName}`);
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
    for (const route of this.localRoutes.paths()) lines.push(`  local:     ${this.publicOrigin}${route}`);
    return lines.join('\n');
  }

  /** Stops serving, lets in-flight work finish, and closes the store. */
  async stop(): Promise<void> {
    this.timers?.stop();
    const closing = [closeServer(this.server), closeServer(this.rpcServer)];
    // Requests in flight are answered (bounded: a client may hold its connection open).
    const served = Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.engine?.stop();
    await served;
    await this.app
      ?.appTerminate()
      .catch((error: unknown) => this.log.error('host', `appTerminate hook failed: ${String(error)}`));
    await this.app?.close();
    this.store?.close();
    this.intune?.close();
  }

  /**
   * The development token issuer, directory and Graph (local/identity), the mailbox its `sendMail`
   * fills, and the Intune tenant (local/intune) its `deviceManagement` paths serve.
   */
  private registerIdentityRoutes(): void {
    const now = () => this.clock.now();
    const mailbox = new LocalMailbox(this.settings.dataDir, now);
    this.localRoutes.set(LOCAL_MAILBOX_PATH, mailbox.route());
    this.intune = new LocalIntune({
      dataDir: this.settings.dataDir,
      synchronous: this.settings.synchronous,
      now,
      deviceDelayMs: this.settings.intuneDeviceDelayMs,
    });
    const intune = this.intune;
    this.identity = new LocalIdentity({
      dataDir: this.settings.dataDir,
      now,
      origin: () => this.publicOrigin,
      mailbox,
      mailSender: () => process.env.MAA_MAIL_SENDER,
      ...(this.settings.graphPermissions ? { graphPermissions: this.settings.graphPermissions } : {}),
      intune: { owns: (segments) => LocalIntune.owns(segments), handle: (request) => intune.handle(request) },
    });
    for (const [route, handler] of this.identity.routes()) this.localRoutes.set(route, handler);
    for (const [route, handler] of this.intune.routes()) this.localRoutes.set(route, handler);
  }
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
    // A keep-alive connection whose request is in flight closes as soon as its answer is written.
    const idle = setInterval(() => server.closeIdleConnections(), 20).unref();
    server.close(() => {
      clearInterval(idle);
      resolve();
    });
    server.closeIdleConnections();
  });
}
