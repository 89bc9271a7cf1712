import { readFileSync } from 'node:fs';
import { parseDuration } from './duration';
import { UsageError } from './errors';

// Checks of what the user typed, before anything is sent: each failure is a {@link UsageError} naming the option.

/** `value` if it is one of `allowed`. */
export function choice<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

/** `value` as an integer from `min` to `max`. */
export function integer(option: string, value: string, min: number, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max))
    throw new UsageError(`--${option} must be a whole number from ${min} to ${max}, not "${value}"`);
  return number;
}

/** `value` as milliseconds (see {@link parseDuration}), at least `minMs`. */
export function duration(option: string, value: string, minMs: number): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < minMs)
    throw new UsageError(
      `--${option} must be a duration such as 10m, 2s, 500ms or PT1H${minMs > 0 ? ' (more than zero)' : ''}, not "${value}"`,
    );
  return ms;
}

/** `text` parsed as JSON; `source` says where it came from (`--payload`, a file name). */
export function json(source: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The JSON in file `path`. */
export function jsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return json(path, text);
}
