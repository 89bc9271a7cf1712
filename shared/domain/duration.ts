import { DomainError } from './errors';

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
const MS_PER_WEEK = 7 * MS_PER_DAY;

const DURATION =
  /^P(?:(?<weeks>\d+)W)?(?:(?<days>\d+)D)?(?:T(?:(?<hours>\d+)H)?(?:(?<minutes>\d+)M)?(?:(?<seconds>\d+(?:[.,]\d{1,3})?)S)?)?$/;
const CALENDAR_PART = /^P(?:\d+(?:[.,]\d+)?[WD])*\d+(?:[.,]\d+)?[YM]/;

/**
 * Milliseconds in an ISO-8601 duration of fixed-length parts: weeks (`P2W`), days (`P30D`), and
 * after `T` hours, minutes and seconds (`PT1H`, `P1DT2H`, `PT1.5S`), in that order, each at most
 * once. A day is 24 hours and a week 7 days (instants are UTC, so no daylight-saving days).
 * Components are non-negative integers, except seconds, which take up to three decimals (`.` or
 * `,`); at least one component is required and `T` must be followed by one.
 *
 * Throws `invalid_request` for anything else; years and months (`P1Y`, `P1M`) are refused by name
 * because they have no fixed length. The result is a safe integer.
 */
export function parseIsoDuration(text: string): number {
  if (CALENDAR_PART.test(text)) {
    throw new DomainError(
      'invalid_request',
      `"${text}": years and months have no fixed length; use weeks or days (P30D)`,
    );
  }
  const parts = DURATION.exec(text)?.groups;
  if (parts === undefined || text === 'P' || text.endsWith('T')) {
    throw new DomainError('invalid_request', `"${text}" is not an ISO-8601 duration such as P30D, PT1H or P1DT2H`);
  }
  const amount = (part: string | undefined): number => (part === undefined ? 0 : Number(part.replace(',', '.')));
  const ms =
    amount(parts.weeks) * MS_PER_WEEK +
    amount(parts.days) * MS_PER_DAY +
    amount(parts.hours) * MS_PER_HOUR +
    amount(parts.minutes) * MS_PER_MINUTE +
    Math.round(amount(parts.seconds) * MS_PER_SECOND);
  if (!Number.isSafeInteger(ms)) throw new DomainError('invalid_request', `"${text}" is too long a duration`);
  return ms;
}
