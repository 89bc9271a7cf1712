import { isDomainError } from '../shared/domain/errors';
import { parseIsoDuration } from '../shared/domain/duration';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const SHORT =
  /^(?:(?<d>\d+(?:\.\d+)?)d)?(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m)?(?:(?<s>\d+(?:\.\d+)?)s)?(?:(?<ms>\d+)ms)?$/;

/**
 * Milliseconds in a duration as people type them on a command line: units in decreasing order,
 * each at most once (`10m`, `1h30m`, `2s`, `1.5s`, `500ms`, `1d`), a bare number of seconds
 * (`90`), or an ISO-8601 duration (`PT10M`, as the API's policies use). Returns undefined for
 * anything else, so the caller can name the option in its message.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * UNIT_MS.s);
  if (trimmed.startsWith('P')) {
    try {
      return parseIsoDuration(trimmed);
    } catch (error) {
      if (isDomainError(error)) return undefined;
      throw error;
    }
  }
  const parts = SHORT.exec(trimmed)?.groups;
  if (!parts || trimmed === '') return undefined;
  let ms = 0;
  for (const unit of Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]) {
    if (parts[unit] !== undefined) ms += Number(parts[unit]) * UNIT_MS[unit];
  }
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}
