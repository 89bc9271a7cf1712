import { randomUUID } from 'node:crypto';
import type { FunctionsCore, InvocationResponse, RegisteredFunction, RpcTypedData } from './functionsCore';

/** One input as the host sends it: the binding name and its typed data. */
export interface InvocationInput {
  name: string;
  data: RpcTypedData;
}

/** Log sink for user and system logs written during an invocation. */
export type InvocationLog = (functionName: string, level: string, category: string, message: string) => void;

/**
 * What the host asks of the app's language worker: run the start-up hooks, invoke a function
 * (resolving with the worker's response, rejecting with the error it reports), run the shutdown
 * hooks. {@link Invoker} does it in this thread; `AppThread` on the app's own thread.
 */
export interface AppInvoker {
  appStart(functionAppDirectory: string): Promise<void>;
  appTerminate(): Promise<void>;
  invoke(
    fn: RegisteredFunction,
    inputData: InvocationInput[],
    triggerMetadata?: Record<string, RpcTypedData>,
  ): Promise<InvocationResponse>;
}

/**
 * Invokes registered functions the way the Node worker does: through the programming model's
 * invocation model, with pre/post invocation hooks run on the same context objects.
 */
export class Invoker implements AppInvoker {
  private readonly appHookData: Record<string, unknown> = {};

  constructor(
    private readonly core: FunctionsCore,
    private readonly log: InvocationLog,
  ) {}

  /** Runs `appStart` hooks (after every entry point loaded). */
  async appStart(functionAppDirectory: string): Promise<void> {
    for (const hook of this.core.hooks.appStart) {
      await hook({ hookData: {}, appHookData: this.appHookData, functionAppDirectory });
    }
  }

  /** Runs `appTerminate` hooks (on shutdown). */
  async appTerminate(): Promise<void> {
    for (const hook of this.core.hooks.appTerminate) {
      await hook({ hookData: {}, appHookData: this.appHookData });
    }
  }

  /**
   * Invokes `fn` with `inputData`. Resolves with the worker's response; rejects with the error the
   * function (or a hook) threw, as the worker would report a failed invocation.
   */
  async invoke(
    fn: RegisteredFunction,
    inputData: InvocationInput[],
    triggerMetadata: Record<string, RpcTypedData> = {},
  ): Promise<InvocationResponse> {
    const model = this.core.programmingModel;
    if (!model) throw new Error('the app registered no functions through @azure/functions');
    const invocationId = randomUUID();
    const functionName = fn.metadata.name;
    const coreContext: {
      invocationId: string;
      request: unknown;
      metadata: unknown;
      state: 'preInvocationHooks' | 'invocation' | 'postInvocationHooks' | undefined;
      log(level: string, category: string, message: string): void;
    } = {
      invocationId,
      request: { invocationId, functionId: fn.metadata.functionId ?? functionName, inputData, triggerMetadata },
      metadata: { ...fn.metadata, functionId: fn.metadata.functionId ?? functionName, scriptFile: fn.scriptFile },
      state: undefined,
      log: (level, category, message) => this.log(functionName, level, category, message),
    };
    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs } = await invocationModel.getArguments();

    const hookData: Record<string, unknown> = {};
    const pre: Record<string, unknown> = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs,
      functionCallback: fn.callback,
    };
    coreContext.state = 'preInvocationHooks';
    try {
      for (const hook of this.core.hooks.preInvocation) await hook(pre);
    } finally {
      coreContext.state = undefined;
    }

    let result: unknown;
    let error: unknown;
    coreContext.state = 'invocation';
    try {
      result = await invocationModel.invokeFunction(
        context,
        pre.inputs as unknown[],
        pre.functionCallback as (...args: unknown[]) => unknown,
      );
    } catch (thrown) {
      error = thrown;
    } finally {
      coreContext.state = undefined;
    }

    if (this.core.hooks.postInvocation.length > 0) {
      const post: Record<string, unknown> = {
        hookData,
        appHookData: this.appHookData,
        invocationContext: context,
        inputs: pre.inputs,
        result,
        error,
      };
      coreContext.state = 'postInvocationHooks';
      try {
        for (const hook of this.core.hooks.postInvocation) await hook(post);
      } finally {
        coreContext.state = undefined;
      }
      result = post.result;
      error = post.error;
    }

    if (error !== undefined && error !== null) throw error;
    return invocationModel.getResponse(context, result);
  }
}
