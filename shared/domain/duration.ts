import { DomainError } from './errors';

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
const MS_PER_WEEK = 7 * MS_PER_DAY;
const MS_PER_NOMINAL_MONTH = 30 * MS_PER_DAY;
const MS_PER_NOMINAL_YEAR = 365 * MS_PER_DAY;

const DURATION =
  /^P(?:(?<years>\d+)Y)?(?:(?<months>\d+)M)?(?:(?<weeks>\d+)W)?(?:(?<days>\d+)D)?(?:T(?:(?<hours>\d+)H)?(?:(?<minutes>\d+)M)?(?:(?<seconds>\d+(?:[.,]\d{1,3})?)S)?)?$/;
const CALENDAR_PART = /^P(?:\d+(?:[.,]\d+)?[WD])*\d+(?:[.,]\d+)?[YM]/;

/** How {@link parseIsoDuration} treats years and months. */
export interface IsoDurationOptions {
  /**
   * `refuse` (the default): years and months are refused, since they have no fixed length.
   * `nominal`: a year counts 365 days and a month 30, for periods where a day more or less does
   * not matter (retention), in the order years, months, weeks, days.
   */
  readonly calendar?: 'refuse' | 'nominal';
}

/**
 * Milliseconds in an ISO-8601 duration of fixed-length parts: weeks (`P2W`), days (`P30D`), and
 * after `T` hours, minutes and seconds (`PT1H`, `P1DT2H`, `PT1.5S`), in that order, each at most
 * once. A day is 24 hours and a week 7 days (instants are UTC, so no daylight-saving days).
 * Components are non-negative integers, except seconds, which take up to three decimals (`.` or
 * `,`); at least one component is required and `T` must be followed by one.
 *
 * Throws `invalid_request` for anything else; years and months (`P1Y`, `P1M`) are refused by name
 * because they have no fixed length, unless `options.calendar` is `nominal`. The result is a safe
 * integer. This is the app's one reader of ISO-8601 durations.
 */
export function parseIsoDuration(text: string, options: IsoDurationOptions = {}): number {
  const nominal = options.calendar === 'nominal';
  if (!nominal && CALENDAR_PART.test(text)) {
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
  if (!nominal && (parts.years !== undefined || parts.months !== undefined)) {
    throw new DomainError(
      'invalid_request',
      `"${text}": years and months have no fixed length; use weeks or days (P30D)`,
    );
  }
  const ms =
    amount(parts.years) * MS_PER_NOMINAL_YEAR +
    amount(parts.months) * MS_PER_NOMINAL_MONTH +
    amount(parts.weeks) * MS_PER_WEEK +
    amount(parts.days) * MS_PER_DAY +
    amount(parts.hours) * MS_PER_HOUR +
    amount(parts.minutes) * MS_PER_MINUTE +
    Math.round(amount(parts.seconds) * MS_PER_SECOND);
  if (!Number.isSafeInteger(ms)) throw new DomainError('invalid_request', `"${text}" is too long a duration`);
  return ms;
}
