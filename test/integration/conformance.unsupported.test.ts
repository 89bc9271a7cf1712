/**
 * Conformance: an app that uses a binding the local runtime cannot honour is refused at start-up
 * (non-zero exit, message naming the function and the binding type) instead of running with the
 * binding silently missing.
 */
import { startRuntime } from '../support/runtime';
import { unsupportedAppDir } from '../support/conformance';

jest.setTimeout(30_000);

/** Starts the runtime on `app` and returns the rejection message; fails if it became ready. */
async function refusal(app: string): Promise<string> {
  let running: Awaited<ReturnType<typeof startRuntime>> | undefined;
  try {
    running = await startRuntime({ appDir: unsupportedAppDir(app) });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const output = running.output();
  await running.dispose();
  throw new Error(`the runtime started an app with an unsupported binding (${app}); its output:\n${output}`);
}

function exitCode(message: string): string | undefined {
  return /exited with (\S+) before it was ready/.exec(message)?.[1];
}

const cases: { app: string; functionName: string; binding: RegExp; what: string }[] = [
  {
    app: 'storage-queue',
    functionName: 'processQueueItem',
    binding: /queueTrigger|storageQueue/i,
    what: 'a storage queue trigger',
  },
  {
    app: 'service-bus',
    functionName: 'handleOrderMessage',
    binding: /serviceBusTrigger|serviceBus/i,
    what: 'a Service Bus trigger',
  },
  { app: 'entity', functionName: 'CounterEntity', binding: /entityTrigger|entit/i, what: 'a durable entity' },
  { app: 'queue-output', functionName: 'enqueueViaOutput', binding: /queue/i, what: 'a storage queue output binding' },
];

describe.each(cases)('unsupported binding: $what', ({ app, functionName, binding }) => {
  test(`refuses to start, exiting non-zero and naming the function (${functionName}) and its binding type`, async () => {
    const message = await refusal(app);
    const code = exitCode(message);
    expect(code).toBeDefined();
    expect(code).not.toBe('0');
    // startRuntime's message is "runtime exited with <code> before it was ready:\n<output>".
    const output = message.slice(message.indexOf('\n') + 1);
    expect(output).toContain(functionName);
    expect(output).toMatch(binding);
  });
});
