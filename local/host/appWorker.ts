import { parentPort, workerData } from 'node:worker_threads';
import { installProcessClock } from '../clock';
import { installInProcessTransport } from '../durable/inProcessTransport';
import type { ManagementResponse } from '../durable/managementApi';
import { Logger, parseLogLevel } from '../log';
import { loadApp } from './appLoader';
import { reportError, type AppThreadData, type FromApp, type ToApp } from './appProtocol';
import { FunctionsCore, type RpcTypedData } from './functionsCore';
import { Invoker, type InvocationInput } from './invoker';

/**
 * The app's thread: plays the Node language worker. It loads the built app through the real
 * `@azure/functions` programming model (the `@azure/functions-core` module, hooks and invocation
 * model of {@link FunctionsCore} and {@link Invoker}, unchanged), then answers the host's
 * invocations over its message port, reports the app's logs, and sends the app's `DurableClient`
 * calls to the host's management API across the same port.
 */

const port = parentPort;
if (!port) throw new Error('local/host/appWorker runs only as the app thread of the local runtime');
const data = workerData as AppThreadData;
const send = (message: FromApp) => port.postMessage(message);

// The runtime clock lives in the host; its offset from real time is shared memory, so the app's
// `Date` reads it without a round trip and sees a clock advance at once.
const offset = new Float64Array(data.clockOffset);
const realNow = Date.now.bind(Date);
if (data.manualClock) installProcessClock({ now: () => realNow() + offset[0]! });

const levels = new Logger(parseLogLevel(data.logLevel), () => undefined);
const log = (level: string, source: string, message: string) => {
  if (levels.enabled(level)) send({ type: 'log', level, source, message });
};
const core = new FunctionsCore((level, category, message) => log(level, `host/${category}`, message));
core.installRequireHook();
const invoker = new Invoker(core, (fn, level, _category, message) => log(level, fn, message));

let nextRpc = 0;
const rpcs = new Map<number, (response: ManagementResponse) => void>();

port.on('message', (message: ToApp) => {
  switch (message.type) {
    case 'invoke':
      void invoke(message.id, message.functionId, message.inputData, message.triggerMetadata);
      return;
    case 'rpcResult':
      rpcs.get(message.id)?.(message.response);
      rpcs.delete(message.id);
      return;
    case 'appStart':
      if (message.rpcBaseUrl !== undefined) {
        installInProcessTransport(data.appDir, message.rpcBaseUrl, (request) => {
          const id = nextRpc++;
          return new Promise<ManagementResponse>((resolve) => {
            rpcs.set(id, resolve);
            send({
              type: 'rpc',
              id,
              request: { ...request, query: request.query.toString(), body: request.body },
            });
          });
        });
      }
      void settle(message.id, invoker.appStart(message.functionAppDirectory));
      return;
    case 'appTerminate':
      void settle(message.id, invoker.appTerminate());
      return;
  }
});

async function settle(id: number, work: Promise<void>): Promise<void> {
  try {
    await work;
    send({ type: 'done', id });
  } catch (error) {
    send({ type: 'done', id, error: reportError(error) });
  }
}

async function invoke(
  id: number,
  functionId: string,
  inputData: InvocationInput[],
  triggerMetadata: Record<string, RpcTypedData>,
): Promise<void> {
  try {
    const fn = core.get(functionId);
    if (!fn) throw new Error(`the app has no function "${functionId}"`);
    // Bytes arrive as Uint8Array; the worker hands the programming model Buffers, as gRPC decodes them.
    for (const input of inputData) toBuffers(input.data);
    const response = await invoker.invoke(fn, inputData, triggerMetadata);
    try {
      send({ type: 'done', id, response });
    } catch (error) {
      // A response the port cannot carry (a function in it, say) fails the invocation, as the worker's serializer would.
      send({ type: 'done', id, error: reportError(error) });
    }
  } catch (error) {
    send({ type: 'done', id, error: reportError(error) });
  }
}

function toBuffers(data: RpcTypedData): void {
  if (data.bytes !== undefined && !Buffer.isBuffer(data.bytes))
    data.bytes = Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength);
  if (data.http?.body) toBuffers(data.http.body);
}

loadApp(core, data.appDir).then(
  () => {
    const functions = [...core.functions.values()].map((fn) => ({
      // Plain data only: the metadata crosses the port as the worker's FunctionMetadata message would.
      metadata: JSON.parse(JSON.stringify(fn.metadata)) as typeof fn.metadata,
      scriptFile: fn.scriptFile,
    }));
    send({ type: 'loaded', functions });
  },
  (error: unknown) => send({ type: 'loadFailed', error: reportError(error) }),
);
