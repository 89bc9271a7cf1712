import path from 'node:path';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import type { RuntimeClock } from '../clock';
import type { ManagementHandler } from '../durable/inProcessTransport';
import { AppLoadError } from './appLoader';
import type { AppHost } from './appHost';
import {
  reportedError,
  type AppThreadData,
  type FromApp,
  type PortManagementRequest,
  type ReportedError,
  type ToApp,
} from './appProtocol';
import type { InvocationResponse, RegisteredFunction, RpcTypedData } from './functionsCore';
import type { InvocationInput } from './invoker';

/** What the app thread needs from the host. */
export interface AppThreadOptions {
  appDir: string;
  clock: RuntimeClock;
  logLevel: string;
  /** Writes a log line the app (or its programming model) wrote. */
  log: (level: string, source: string, message: string) => void;
  /** The app thread stopped on its own (an uncaught error in the app): the host cannot go on. */
  onExit: (error: Error) => void;
}

interface Pending {
  resolve: (response: InvocationResponse | undefined) => void;
  reject: (error: Error) => void;
}

/**
 * The app on its own thread, as the Functions host runs the language worker out of process: the
 * host keeps HTTP, the Durable engine and its store, timers and the local stand-ins on the main
 * thread, and `local/host/appWorker` loads the app and runs its functions. Invocations, responses,
 * logs and the app's `DurableClient` calls cross one message port; the runtime clock's offset is
 * shared memory, and the environment is shared (`SHARE_ENV`), so settings the host applies later
 * are the app's too.
 */
export class AppThread implements AppHost {
  private worker: Worker | undefined;
  private readonly offset = new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT));
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private client: { rpcBaseUrl: string; handle: ManagementHandler } | undefined;
  private closing = false;
  private loaded: ((functions: RegisteredFunction[]) => void) | undefined;
  private loadFailed: ((error: Error) => void) | undefined;

  constructor(private readonly options: AppThreadOptions) {
    const { clock } = options;
    this.offset[0] = clock.offset;
    // Registered before anything else hears of an advance, so whatever runs because of it sees the new time.
    clock.onAdvance(() => {
      this.offset[0] = clock.offset;
    });
  }

  /** Keeps the app's clock in step after the host restored a persisted offset. */
  syncClock(): void {
    this.offset[0] = this.options.clock.offset;
  }

  load(): Promise<RegisteredFunction[]> {
    const data: AppThreadData = {
      appDir: this.options.appDir,
      manualClock: this.options.clock.manual,
      clockOffset: this.offset.buffer as SharedArrayBuffer,
      logLevel: this.options.logLevel,
    };
    const worker = new Worker(path.join(__dirname, 'appWorker.js'), {
      workerData: data,
      env: SHARE_ENV,
      name: 'app',
    });
    this.worker = worker;
    worker.on('message', (message: FromApp) => this.receive(message));
    worker.on('error', (error) => this.stopped(error));
    worker.on('exit', (code) => this.stopped(new Error(`the app thread exited with code ${code}`)));
    return new Promise((resolve, reject) => {
      this.loaded = resolve;
      this.loadFailed = reject;
    });
  }

  serveClient(rpcBaseUrl: string, handle: ManagementHandler): void {
    this.client = { rpcBaseUrl, handle };
  }

  async appStart(functionAppDirectory: string): Promise<void> {
    await this.request((id) => ({ type: 'appStart', id, functionAppDirectory, rpcBaseUrl: this.client?.rpcBaseUrl }));
  }

  async appTerminate(): Promise<void> {
    await this.request((id) => ({ type: 'appTerminate', id }));
  }

  async invoke(
    fn: RegisteredFunction,
    inputData: InvocationInput[],
    triggerMetadata: Record<string, RpcTypedData> = {},
  ): Promise<InvocationResponse> {
    const functionId = fn.metadata.functionId ?? fn.metadata.name;
    return (await this.request((id) => ({ type: 'invoke', id, functionId, inputData, triggerMetadata })))!;
  }

  /** Lets invocations still in flight (a timer function, say) finish, for at most `graceMs`, then ends the thread. */
  async close(graceMs = 5000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.pending.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    this.closing = true;
    await this.worker?.terminate();
    // An invocation still running when the thread ended gets no answer from it: its caller hears why.
    const ended = new Error('the app thread was stopped before the invocation finished');
    for (const pending of this.pending.values()) pending.reject(ended);
    this.pending.clear();
  }

  private request(message: (id: number) => ToApp): Promise<InvocationResponse | undefined> {
    const worker = this.worker;
    if (!worker || this.closing) return Promise.reject(new Error('the app thread is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(message(id));
    });
  }

  private receive(message: FromApp): void {
    switch (message.type) {
      case 'done': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) pending?.reject(reportedError(message.error));
        else pending?.resolve(message.response);
        return;
      }
      case 'log':
        this.options.log(message.level, message.source, message.message);
        return;
      case 'rpc':
        void this.serveRpc(message.id, message.request);
        return;
      case 'loaded':
        this.loadFailed = undefined;
        this.loaded?.(
          message.functions.map((fn) => ({
            metadata: fn.metadata,
            scriptFile: fn.scriptFile,
            callback: runsInAppThread,
          })),
        );
        return;
      case 'loadFailed':
        this.loadFailed?.(loadError(message.error));
        this.loadFailed = undefined;
        return;
    }
  }

  private async serveRpc(id: number, request: PortManagementRequest): Promise<void> {
    const handle = this.client?.handle;
    const response = handle
      ? await handle({
          ...request,
          query: new URLSearchParams(request.query),
          body: Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
        })
      : { status: 404, headers: {} };
    this.worker?.postMessage({ type: 'rpcResult', id, response } satisfies ToApp);
  }

  private stopped(error: Error): void {
    if (this.closing) return;
    this.closing = true;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    if (this.loadFailed) return this.loadFailed(error); // still loading: start-up fails with it
    this.options.onExit(error);
  }
}

function loadError(reported: ReportedError): Error {
  return reported.name === 'AppLoadError' ? new AppLoadError(reported.message) : reportedError(reported);
}

function runsInAppThread(): never {
  throw new Error('the function runs on the app thread: invoke it through AppThread');
}
