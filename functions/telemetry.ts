import { app, HttpResponse, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { Activities } from '../orchestrations/names';
import type { RecordStepInput } from '../orchestrations/contracts';
import { getServices } from '../shared/composition';
import { CORRELATION_HEADER, correlationIdIn, correlationIdOf } from '../shared/telemetry/correlation';
import { logEvent } from '../shared/telemetry/log';
import { observationsOf } from '../shared/telemetry/metrics';

// Invocation hooks for telemetry, so no handler repeats it: every HTTP invocation gets a
// correlation id (the caller's `x-correlation-id` or a new one, echoed in the response), a span
// and one structured `http.request` log line; every activity logs `activity` with the correlation
// id its input carries (the orchestration passes on the id of the HTTP request that caused the
// step), and recorded steps feed the request counters and the decision-latency histogram.

interface Invocation {
  correlationId: string | undefined;
  startedMs: number;
  span: { end(error?: unknown): void };
}

app.hook.preInvocation((hook) => {
  const context = hook.invocationContext as InvocationContext;
  const trigger = context.options.trigger.type;
  let correlationId: string | undefined;
  if (trigger === 'httpTrigger') correlationId = correlationIdOf(hook.inputs[0] as HttpRequest);
  else if (trigger === 'activityTrigger') correlationId = correlationIdIn(hook.inputs[0]);
  else return;
  const invocation: Invocation = {
    correlationId,
    startedMs: performance.now(),
    span: getServices().telemetry.startSpan(context.functionName, {
      'faas.trigger': trigger === 'httpTrigger' ? 'http' : 'other',
      'maa.correlation_id': correlationId ?? '',
    }),
  };
  hook.hookData.invocation = invocation;
});

app.hook.postInvocation((hook) => {
  const invocation = hook.hookData.invocation as Invocation | undefined;
  if (!invocation) return;
  const context = hook.invocationContext as InvocationContext;
  // On the monotonic clock: the local runtime's manual clock moves `Date`, not this.
  const durationMs = Math.round(performance.now() - invocation.startedMs);
  invocation.span.end(hook.error);
  if (context.options.trigger.type === 'httpTrigger') {
    const request = hook.inputs[0] as HttpRequest;
    const status = hook.error ? 500 : statusOf(hook.result);
    if (!hook.error && invocation.correlationId)
      hook.result = withHeader(hook.result, CORRELATION_HEADER, invocation.correlationId);
    logEvent(context, 'http.request', {
      correlationId: invocation.correlationId,
      function: context.functionName,
      method: request.method,
      path: new URL(request.url).pathname,
      status,
      durationMs,
    });
    return;
  }
  const outcome = hook.error ? 'failed' : 'succeeded';
  logEvent(
    context,
    'activity',
    { correlationId: invocation.correlationId, function: context.functionName, outcome, durationMs },
    hook.error ? 'warn' : 'info',
  );
  if (!hook.error && context.functionName === Activities.recordStep) {
    const step = hook.inputs[0] as RecordStepInput;
    // A step that leaves the read model as it is (the submission, refusals, notifications) carries no request: the submission's record names its profile type.
    const request = step.request?.value;
    const profileType =
      request?.profileType ??
      String(step.records.find((record) => record.type === 'request.submitted')?.data.profileType ?? 'unknown');
    for (const observation of observationsOf(step.records, request?.createdAt ?? ''))
      getServices().telemetry.observe(observation, { profileType });
  }
});

app.hook.appTerminate(() => getServices().telemetry.flush());

function statusOf(result: unknown): number {
  if (result instanceof HttpResponse) return result.status;
  return (result as HttpResponseInit | undefined)?.status ?? 200;
}

/** `result` with one more response header, whatever form its headers take. */
function withHeader(result: unknown, name: string, value: string): unknown {
  if (result instanceof HttpResponse) {
    result.headers.set(name, value);
    return result;
  }
  const init = (result ?? {}) as HttpResponseInit;
  const headers = new Headers(init.headers as ConstructorParameters<typeof Headers>[0]);
  headers.set(name, value);
  return { ...init, headers: Object.fromEntries(headers) };
}
