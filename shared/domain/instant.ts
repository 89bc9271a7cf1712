import { DomainError } from './errors';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp with a time zone (`2024-01-01T00:00:00Z`,
 * `2024-01-01T01:00:00.5+01:00`). Throws `invalid_request` naming `what` for anything else: a date
 * without a time or a time without a zone (their meaning would depend on the host), and fields out
 * of range such as February 30th or 24:00 (which `Date.parse` would silently roll over).
 */
export function parseInstant(text: string, what: string): number {
  const fields = RFC3339.exec(text);
  if (fields === null || !inRange(fields.slice(1).map((field) => (field === undefined ? 0 : Number(field))))) {
    throw new DomainError('invalid_request', `${what} must be an RFC 3339 timestamp with a time zone, not "${text}"`);
  }
  return Date.parse(text);
}

/** The canonical text of an instant: UTC, milliseconds, `Z` (what `Date#toISOString` writes). */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/** `text` (RFC 3339) in canonical form; throws like {@link parseInstant}. */
export function normalizeInstant(text: string, what: string): string {
  return formatInstant(parseInstant(text, what));
}

function inRange([
  year = 0,
  month = 0,
  day = 0,
  hour = 0,
  minute = 0,
  second = 0,
  offsetHours = 0,
  offsetMinutes = 0,
]: number[]): boolean {
  // Day 0 of the next month is the last day of this one.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59
  );
}
