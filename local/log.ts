/** Log levels in increasing severity. */
export const LOG_LEVELS = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A minimal leveled logger for the runtime's own messages and the app's logs. */
export class Logger {
  private readonly threshold: number;

  constructor(
    level: LogLevel,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  enabled(level: string): boolean {
    const index = LOG_LEVELS.indexOf(level as LogLevel);
    return (index < 0 ? 2 : index) >= this.threshold && level !== 'none';
  }

  log(level: string, source: string, message: string): void {
    if (this.enabled(level)) this.write(`[${new Date().toISOString()}] ${level.padEnd(11)} ${source}: ${message}`);
  }

  info(source: string, message: string): void {
    this.log('information', source, message);
  }

  warn(source: string, message: string): void {
    this.log('warning', source, message);
  }

  error(source: string, message: string): void {
    this.log('error', source, message);
  }
}

/** Parses a level name, falling back to `information`. */
export function parseLogLevel(text: string | undefined): LogLevel {
  const lower = (text ?? '').toLowerCase();
  if (lower === 'info') return 'information';
  if (lower === 'warn') return 'warning';
  return (LOG_LEVELS as readonly string[]).includes(lower) ? (lower as LogLevel) : 'information';
}

/** An error's stack (or message) for a log line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
