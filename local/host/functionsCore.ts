import Module from 'node:module';

/** Binding metadata as the programming model registers it (extra keys such as `route` are kept). */
export interface BindingInfo {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [key: string]: unknown;
}

/** What `registerFunction` receives from `@azure/functions`. */
export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, BindingInfo>;
  retryOptions?: unknown;
}

/** A registered function: its metadata and the callback the programming model wraps. */
export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: (...args: unknown[]) => unknown;
  /** Entry-point file that registered it. */
  readonly scriptFile: string | undefined;
}

/** Hook names the worker accepts. */
export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate';
type HookCallback = (context: Record<string, unknown>) => unknown;

/** The programming model object `@azure/functions` installs. */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: unknown): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(capabilities: Record<string, string>): Record<string, string> | Promise<Record<string, string>>;
}

/** The per-invocation model the programming model hands back. */
export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: (...args: unknown[]) => unknown): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<InvocationResponse>;
}

/** Typed data on the wire between host and worker (one member set). */
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: RpcHttpData;
}

/** HTTP data on the wire between host and worker. */
export interface RpcHttpData {
  method?: string;
  url?: string;
  nullableHeaders?: Record<string, { value: string }>;
  nullableQuery?: Record<string, { value: string }>;
  nullableParams?: Record<string, { value: string }>;
  headers?: Record<string, string>;
  body?: RpcTypedData;
  statusCode?: string;
  cookies?: RpcHttpCookie[];
  identities?: unknown[];
  enableContentNegotiation?: boolean;
}

/** A response cookie as the programming model encodes it. */
export interface RpcHttpCookie {
  name: string;
  value: string;
  domain?: { value: string };
  path?: { value: string };
  expires?: { value: { seconds: number | string; nanos?: number } };
  secure?: { value: boolean };
  httpOnly?: { value: boolean };
  sameSite?: string | number;
  maxAge?: { value: number | string };
}

/** The worker's invocation response. */
export interface InvocationResponse {
  invocationId: string;
  outputData?: { name: string; data: RpcTypedData }[];
  returnValue?: RpcTypedData;
}

class Disposable {
  private callOnDispose: (() => void) | undefined;
  constructor(callOnDispose: () => void) {
    this.callOnDispose = callOnDispose;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    const call = this.callOnDispose;
    this.callOnDispose = undefined;
    call?.();
  }
}

/** Log sink for system messages from the programming model. */
export type SystemLog = (level: string, category: string, message: string) => void;

/**
 * Plays the Node worker's built-in `@azure/functions-core` module: collects registrations, the
 * programming model and hooks while the app loads, then locks registration like the worker does
 * once the host has indexed the functions.
 */
export class FunctionsCore {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    preInvocation: [],
    postInvocation: [],
    appStart: [],
    appTerminate: [],
  };
  programmingModel: ProgrammingModel | undefined;
  currentEntryPoint: string | undefined;
  private locked = false;

  constructor(private readonly systemLog: SystemLog) {}

  /** The object `require('@azure/functions-core')` returns. */
  readonly api = {
    version: '3.10.1-maa-local',
    hostVersion: '4.1037.0-maa-local',
    Disposable,
    registerFunction: (metadata: FunctionMetadata, callback: (...args: unknown[]) => unknown): Disposable => {
      if (this.locked) throw new Error('A function can only be registered during app startup.');
      const id = metadata.functionId ?? metadata.name;
      if (this.functions.has(id.toLowerCase()))
        throw new Error(`A function with id "${id}" has already been registered.`);
      this.functions.set(id.toLowerCase(), { metadata, callback, scriptFile: this.currentEntryPoint });
      return new Disposable(() => {
        if (this.locked) throw new Error('A function can only be registered during app startup.');
        this.functions.delete(id.toLowerCase());
      });
    },
    setProgrammingModel: (model: ProgrammingModel): void => {
      this.programmingModel = model;
    },
    getProgrammingModel: (): ProgrammingModel | undefined => this.programmingModel,
    registerHook: (name: string, callback: HookCallback): Disposable => {
      const list = (this.hooks as Record<string, HookCallback[] | undefined>)[name];
      if (!list) {
        const error = new RangeError(`Unrecognized hook "${name}"`) as RangeError & {
          isAzureFunctionsSystemError: boolean;
        };
        error.isAzureFunctionsSystemError = true;
        throw error;
      }
      list.push(callback);
      return new Disposable(() => {
        const index = list.indexOf(callback);
        if (index >= 0) list.splice(index, 1);
      });
    },
    log: (level: string, category: string, message: string): void => this.systemLog(level, category, message),
  };

  /** Ends the registration phase. */
  lock(): void {
    this.locked = true;
  }

  /** Finds a function by name, case-insensitively like the host. */
  get(name: string): RegisteredFunction | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /**
   * Answers `require('@azure/functions-core')` from now on. Must run before anything loads
   * `@azure/functions`: the library caches a failed lookup for the life of the process.
   */
  installRequireHook(): void {
    const api = this.api;
    const proto = Module.prototype as unknown as { require: (id: string) => unknown };
    proto.require = new Proxy(proto.require, {
      apply(target, thisArg, args: [string]) {
        if (args[0] === '@azure/functions-core') return api;
        return Reflect.apply(target, thisArg, args);
      },
    });
  }
}
