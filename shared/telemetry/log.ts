/** Where structured log lines go: an InvocationContext in the app. */
export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
}

/**
 * Writes one structured log line: a JSON object with `event` first, then the fields. Application
 * Insights keeps it as the trace message (query it with `parse_json(message)`); locally it is
 * printed as is. Fields must not carry secrets or personal data beyond ids.
 */
export function logEvent(
  sink: LogSink,
  event: string,
  fields: Record<string, unknown>,
  level: 'info' | 'warn' = 'info',
): void {
  sink[level](JSON.stringify({ event, ...fields }));
}
