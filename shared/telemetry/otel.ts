import type { Attributes, Counter, Histogram, Tracer } from '@opentelemetry/api';
import { COUNTERS, DECISION_LATENCY, type CounterName, type Observation } from './metrics';

/**
 * Traces and metrics. With no Application Insights connection string this is a no-op and no
 * OpenTelemetry SDK is loaded; with one, the SDK and the Azure Monitor exporter (about 30 MB on
 * disk, a few hundred ms to load) are required on first use, never at start-up.
 */
export interface Telemetry {
  observe(observation: Observation, attributes?: Attributes): void;
  /** Starts a span (an invocation: the hooks start it before and end it after the function). */
  startSpan(name: string, attributes: Attributes): { end(error?: unknown): void };
  /** Exports what is buffered (before the host freezes or stops the process). */
  flush(): Promise<void>;
}

const noop: Telemetry = {
  observe: () => undefined,
  startSpan: () => ({ end: () => undefined }),
  flush: async () => undefined,
};

/** A telemetry pipeline exporting to Application Insights, or the no-op one without a connection string. */
export function createTelemetry(connectionString: string | undefined): Telemetry {
  return connectionString ? azureMonitor(connectionString) : noop;
}

function azureMonitor(connectionString: string): Telemetry {
  // Loaded only when configured, to keep cold starts lean.
  const { AzureMonitorMetricExporter, AzureMonitorTraceExporter } =
    require('@azure/monitor-opentelemetry-exporter') as typeof import('@azure/monitor-opentelemetry-exporter');
  const { MeterProvider, PeriodicExportingMetricReader } =
    require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const { BasicTracerProvider, BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { SpanStatusCode } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');

  const resource = resourceFromAttributes({ 'service.name': 'multi-admin-approval' });
  const meters = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new AzureMonitorMetricExporter({ connectionString }),
        exportIntervalMillis: 60_000,
      }),
    ],
  });
  const traces = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new AzureMonitorTraceExporter({ connectionString }))],
  });
  const meter = meters.getMeter('multi-admin-approval');
  const tracer: Tracer = traces.getTracer('multi-admin-approval');
  const counters = new Map<CounterName, Counter>(
    Object.values(COUNTERS).map((name) => [name, meter.createCounter(name)]),
  );
  const latency: Histogram = meter.createHistogram(DECISION_LATENCY, {
    unit: 'ms',
    description: 'Submitted to first closing decision',
  });

  return {
    observe(observation, attributes) {
      if ('counter' in observation) counters.get(observation.counter)!.add(1, attributes);
      else latency.record(observation.latencyMs, attributes);
    },
    startSpan(name, attributes) {
      const span = tracer.startSpan(name, { attributes });
      return {
        end(error?: unknown) {
          if (error !== undefined && error !== null) {
            span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
    },
    async flush() {
      await Promise.all([meters.forceFlush(), traces.forceFlush()]);
    },
  };
}
