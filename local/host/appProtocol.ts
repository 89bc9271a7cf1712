import type { FunctionMetadata, InvocationResponse, RpcTypedData } from './functionsCore';
import type { InvocationInput } from './invoker';

/**
 * The messages between the host (main thread) and the app's thread, standing in for the Functions
 * host's gRPC channel to the language worker: start-up and shutdown hooks, invocations and their
 * responses, the app's logs, and the app's `DurableClient` calls to the management API.
 */

/** What the app thread starts with. */
export interface AppThreadData {
  appDir: string;
  /** Manual clock: the app's `Date` follows the runtime clock through {@link clockOffset}. */
  manualClock: boolean;
  /** One float64: how far the runtime clock is ahead of real time (ms), written by the host. */
  clockOffset: SharedArrayBuffer;
  /** The runtime's log level: logs below it are not sent at all. */
  logLevel: string;
}

/** An error as the worker reports it (name, message, stack). */
export interface ReportedError {
  name: string;
  message: string;
  stack?: string;
}

/** A registration as the worker reports it when it indexes the app. */
export interface ReportedFunction {
  metadata: FunctionMetadata;
  scriptFile: string | undefined;
}

/** A management API request from the app's `DurableClient`, as it crosses the port. */
export interface PortManagementRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  url: string;
}

/** Host to app thread. */
export type ToApp =
  | { type: 'appStart'; id: number; functionAppDirectory: string; rpcBaseUrl: string | undefined }
  | { type: 'appTerminate'; id: number }
  | {
      type: 'invoke';
      id: number;
      functionId: string;
      inputData: InvocationInput[];
      triggerMetadata: Record<string, RpcTypedData>;
    }
  | {
      type: 'rpcResult';
      id: number;
      response: { status: number; headers: Record<string, string>; body?: unknown };
    };

/** App thread to host. */
export type FromApp =
  | { type: 'loaded'; functions: ReportedFunction[] }
  | { type: 'loadFailed'; error: ReportedError }
  | { type: 'done'; id: number; response?: InvocationResponse; error?: ReportedError }
  | { type: 'log'; level: string; source: string; message: string }
  | { type: 'rpc'; id: number; request: PortManagementRequest };

/** An error as the worker reports it: never the object itself (it may not survive the port). */
export function reportError(error: unknown): ReportedError {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  }
  return { name: 'Error', message: String(error) };
}

/** The reported error as an `Error` again (same name, message and stack). */
export function reportedError(reported: ReportedError): Error {
  const error = new Error(reported.message);
  error.name = reported.name;
  error.stack = reported.stack ?? `${reported.name}: ${reported.message}`;
  return error;
}
