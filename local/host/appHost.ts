import type { ManagementHandler } from '../durable/inProcessTransport';
import { installInProcessTransport } from '../durable/inProcessTransport';
import { loadApp } from './appLoader';
import { FunctionsCore, type InvocationResponse, type RegisteredFunction, type RpcTypedData } from './functionsCore';
import { Invoker, type AppInvoker, type InvocationInput, type InvocationLog } from './invoker';

/**
 * The app as the host sees it, wherever it runs: load it (its registrations), connect its
 * `DurableClient` to the management API, run its hooks and invocations, and let it go.
 */
export interface AppHost extends AppInvoker {
  /** Loads every entry point; resolves with the registrations (throws `AppLoadError`). */
  load(): Promise<RegisteredFunction[]>;
  /**
   * From `appStart` on, the app's `DurableClient` calls to `rpcBaseUrl` are answered by `handle`
   * without a socket (not called: they go over the loopback listener).
   */
  serveClient(rpcBaseUrl: string, handle: ManagementHandler): void;
  /** Releases the app (after `appTerminate`). */
  close(): Promise<void>;
}

/** Log sink for the programming model's system messages and the app's invocation logs. */
export interface AppLogs {
  system: (level: string, category: string, message: string) => void;
  invocation: InvocationLog;
}

/** The app in the host's own thread: the programming model, hooks and functions share its event loop. */
export class InlineApp implements AppHost {
  private readonly core: FunctionsCore;
  private readonly invoker: Invoker;
  private client: { rpcBaseUrl: string; handle: ManagementHandler } | undefined;

  constructor(
    private readonly appDir: string,
    logs: AppLogs,
  ) {
    this.core = new FunctionsCore(logs.system);
    this.invoker = new Invoker(this.core, logs.invocation);
  }

  async load(): Promise<RegisteredFunction[]> {
    this.core.installRequireHook();
    await loadApp(this.core, this.appDir);
    return [...this.core.functions.values()];
  }

  serveClient(rpcBaseUrl: string, handle: ManagementHandler): void {
    this.client = { rpcBaseUrl, handle };
  }

  appStart(functionAppDirectory: string): Promise<void> {
    if (this.client) installInProcessTransport(this.appDir, this.client.rpcBaseUrl, this.client.handle);
    return this.invoker.appStart(functionAppDirectory);
  }

  appTerminate(): Promise<void> {
    return this.invoker.appTerminate();
  }

  invoke(
    fn: RegisteredFunction,
    inputData: InvocationInput[],
    triggerMetadata?: Record<string, RpcTypedData>,
  ): Promise<InvocationResponse> {
    return this.invoker.invoke(fn, inputData, triggerMetadata);
  }

  async close(): Promise<void> {}
}
