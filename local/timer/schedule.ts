/**
 * Timer-trigger schedules as Azure Functions writes them: six-field NCRONTAB expressions
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`), classic five-field cron, and fixed
 * TimeSpan intervals (`hh:mm:ss`, `d.hh:mm:ss`). All times are UTC.
 */

/** Thrown by {@link parseSchedule} for an expression it cannot accept; the message names the bad field. */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** A parsed schedule. Immutable; `next` is pure. */
export interface Schedule {
  /** The expression exactly as given to {@link parseSchedule}. */
  readonly expression: string;
  /** The first occurrence strictly after `after`, in UTC. */
  next(after: Date): Date;
}

/**
 * Parses a timer schedule.
 *
 * Cron forms (6 fields, or 5 with the second fixed at 0) accept `*`, lists `1,2,5`, ranges `1-5`,
 * steps `*\/15`, `10-40/10` and `5/15` (from 5 to the field's maximum), month names JAN-DEC and
 * day names SUN-SAT (three letters or in full, any case), and day-of-week 0-6 with 7 also meaning
 * Sunday. A day must match both day fields, as in NCrontab (which Azure's timer trigger uses;
 * classic cron accepts either when both are restricted).
 *
 * A TimeSpan form `[d.]hh:mm[:ss[.fffffff]]` is a fixed interval: `next(after)` is `after` plus
 * the interval. As in .NET, `hh:mm:ss` whose first number is 24 or more reads as `dd:hh:mm`, so
 * `25:00:00` is 25 days.
 *
 * Holds for the result: a cron schedule's `next` returns a whole UTC second strictly after its
 * argument that satisfies every field, and the earliest such; a schedule that can never fire is
 * rejected here rather than searched for in `next`.
 *
 * @throws ScheduleError when the expression is malformed, a value is out of range, or the
 *   schedule never fires (e.g. `0 0 0 30 2 *`).
 */
export function parseSchedule(expression: string): Schedule {
  if (typeof expression !== 'string') throw new ScheduleError('a schedule expression must be a string');
  const text = expression.trim();
  if (text === '') throw new ScheduleError('the schedule expression is empty');
  const tokens = text.split(/\s+/);
  if (tokens.length === 1 && text.includes(':')) return intervalSchedule(expression, parseTimeSpan(expression, text));
  if (tokens.length !== 5 && tokens.length !== 6) {
    throw new ScheduleError(
      `'${expression}' is not a valid schedule: expected 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), ` +
        `5 fields (classic cron) or a TimeSpan such as 00:05:00, but found ${tokens.length} field${tokens.length === 1 ? '' : 's'}`,
    );
  }
  const withSeconds = tokens.length === 6 ? tokens : ['0', ...tokens];
  const [second, minute, hour, day, month, dayOfWeek] = FIELD_SPECS.map((spec, index) =>
    parseField(expression, spec, withSeconds[index]!),
  ) as [Field, Field, Field, Field, Field, Field];
  return cronSchedule(expression, { second, minute, hour, day, month, dayOfWeek });
}

const TIME_SPAN = /^(?:(\d+)\.)?(\d+):(\d+)(?::(\d+)(?:\.(\d{1,7}))?)?$/;

function parseTimeSpan(expression: string, text: string): number {
  const bad = (problem: string): never => {
    throw new ScheduleError(`'${expression}' is not a valid TimeSpan schedule: ${problem}`);
  };
  const match = TIME_SPAN.exec(text) ?? bad('expected [d.]hh:mm[:ss[.fffffff]], e.g. 00:05:00 or 1.00:00:00');
  const [, daysText, first, second, third, fraction] = match;
  let days = Number(daysText ?? 0);
  let hours = Number(first);
  let minutes = Number(second);
  let seconds = Number(third ?? 0);
  if (daysText === undefined && third !== undefined && hours >= 24) {
    if (fraction !== undefined) bad('a dd:hh:mm interval cannot have fractional seconds');
    [days, hours, minutes, seconds] = [hours, minutes, seconds, 0];
  }
  if (hours > 23) bad(`hours must be 0-23, got ${hours}`);
  if (minutes > 59) bad(`minutes must be 0-59, got ${minutes}`);
  if (seconds > 59) bad(`seconds must be 0-59, got ${seconds}`);
  const milliseconds = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const total = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000 + milliseconds;
  if (total <= 0) bad('the interval must be longer than zero');
  if (!Number.isSafeInteger(total)) bad('the interval is too long');
  return total;
}

function intervalSchedule(expression: string, intervalMs: number): Schedule {
  return Object.freeze({
    expression,
    next(after: Date): Date {
      return checkedDate(timeOf(after) + intervalMs);
    },
  });
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  /** The largest value written in an expression (7 for day-of-week, which folds onto 0). */
  readonly max: number;
  /** The largest value after folding, and the end of `*` and `n/step`. */
  readonly last: number;
  readonly names?: ReadonlyMap<string, number>;
}

function nameMap(names: readonly string[], first: number): ReadonlyMap<string, number> {
  const map = new Map<string, number>();
  names.forEach((name, index) => {
    map.set(name, first + index);
    map.set(name.slice(0, 3), first + index);
  });
  return map;
}

const MONTH_NAMES = nameMap(
  [
    'JANUARY',
    'FEBRUARY',
    'MARCH',
    'APRIL',
    'MAY',
    'JUNE',
    'JULY',
    'AUGUST',
    'SEPTEMBER',
    'OCTOBER',
    'NOVEMBER',
    'DECEMBER',
  ],
  1,
);
const DAY_NAMES = nameMap(['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'], 0);

const FIELD_SPECS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59, last: 59 },
  { name: 'minute', min: 0, max: 59, last: 59 },
  { name: 'hour', min: 0, max: 23, last: 23 },
  { name: 'day-of-month', min: 1, max: 31, last: 31 },
  { name: 'month', min: 1, max: 12, last: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 0, max: 7, last: 6, names: DAY_NAMES },
];

/** The set of values a field allows. */
interface Field {
  /** Allowed values, ascending, non-empty, within the field's range (day-of-week 7 folded onto 0). */
  readonly values: readonly number[];
  /** `nextFrom[v]`: the smallest allowed value >= v, or -1. Defined for v up to the field's last + 1. */
  readonly nextFrom: readonly number[];
  /** Whether the field was written starting with `*` (classic cron's test for "unrestricted"). */
  readonly star: boolean;
}

function parseField(expression: string, spec: FieldSpec, text: string): Field {
  const bad = (problem: string): never => {
    throw new ScheduleError(`invalid ${spec.name} field '${text}' in schedule '${expression}': ${problem}`);
  };
  const allowed = new Array<boolean>(spec.last + 2).fill(false);
  for (const item of text.split(',')) {
    if (item === '') bad('a list item is empty');
    const [range, step, extra] = item.split('/');
    if (extra !== undefined) bad(`'${item}' has more than one '/'`);
    let every = 1;
    if (step !== undefined) {
      if (!/^\d+$/.test(step)) bad(`the step '${step}' is not a whole number`);
      every = Number(step);
      if (every === 0) bad('the step cannot be 0');
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.last;
    } else {
      const bounds = range!.split('-');
      if (bounds.length > 2) bad(`'${range}' is not a value or a range a-b`);
      from = parseValue(spec, bounds[0]!, bad);
      if (bounds.length === 2) {
        to = parseValue(spec, bounds[1]!, bad);
        if (to < from) bad(`the range ${range} runs backwards`);
      } else {
        to = step === undefined ? from : spec.last;
      }
    }
    for (let value = from; value <= to; value += every) allowed[value % (spec.last + 1)] = true;
  }
  const values: number[] = [];
  const nextFrom = new Array<number>(spec.last + 2).fill(-1);
  for (let value = spec.last; value >= 0; value--) {
    nextFrom[value] = allowed[value] ? value : nextFrom[value + 1]!;
    if (allowed[value]) values.unshift(value);
  }
  if (values.length === 0) bad('it allows no values');
  return { values, nextFrom, star: text.startsWith('*') };
}

function parseValue(spec: FieldSpec, text: string, bad: (problem: string) => never): number {
  let value: number | undefined;
  if (/^\d+$/.test(text)) value = Number(text);
  else value = spec.names?.get(text.toUpperCase());
  if (value === undefined) {
    return bad(
      spec.names === undefined
        ? `'${text}' is not a number`
        : `'${text}' is not a number or a ${spec.name === 'month' ? 'month name (JAN-DEC)' : 'day name (SUN-SAT)'}`,
    );
  }
  if (value < spec.min || value > spec.max) bad(`${value} is out of range ${spec.min}-${spec.max}`);
  return value;
}

interface CronFields {
  readonly second: Field;
  readonly minute: Field;
  readonly hour: Field;
  readonly day: Field;
  readonly month: Field;
  readonly dayOfWeek: Field;
}

const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// The Gregorian calendar repeats every 400 years, so a date/weekday combination that exists
// at all occurs within that span; the bound only guards against a bug turning into a hang.
const SEARCH_YEARS = 401;

function cronSchedule(expression: string, fields: CronFields): Schedule {
  const { second, minute, hour, day, month, dayOfWeek } = fields;
  // NCrontab, which Azure's timer trigger uses, requires both day fields to hold (classic cron
  // would accept either when both are restricted).
  const dayAllowed = (d: number): boolean => day.nextFrom[d] === d;
  const weekdayAllowed = (w: number): boolean => dayOfWeek.nextFrom[w] === w;

  if (!month.values.some((m) => day.values[0]! <= MAX_DAYS_IN_MONTH[m]!)) {
    throw new ScheduleError(
      `schedule '${expression}' never fires: none of its months has day ${day.values.join(', ')}`,
    );
  }

  function next(after: Date): Date {
    // Occurrences fall on whole seconds; the first candidate is the next whole second.
    const start = new Date((Math.floor(timeOf(after) / 1000) + 1) * 1000);
    let y = start.getUTCFullYear();
    let mo = start.getUTCMonth() + 1;
    let d = start.getUTCDate();
    let h = start.getUTCHours();
    let mi = start.getUTCMinutes();
    let s = start.getUTCSeconds();
    const lastYear = y + SEARCH_YEARS;

    // Each step either accepts the current field or moves it (and resets the smaller ones) to the
    // next value that can possibly match, carrying into the larger field on overflow.
    while (y <= lastYear) {
      if (month.nextFrom[mo] !== mo) {
        const m = month.nextFrom[mo]!;
        if (m === -1) {
          y++;
          mo = month.values[0]!;
        } else {
          mo = m;
        }
        d = 1;
        h = mi = s = 0;
        continue;
      }
      if (d > daysInMonth(y, mo)) {
        mo++;
        d = 1;
        h = mi = s = 0;
        continue;
      }
      if (!dayAllowed(d) || !weekdayAllowed(weekday(y, mo, d))) {
        if (!dayAllowed(d)) {
          const nextDay = day.nextFrom[d]!;
          d = nextDay === -1 ? 32 : nextDay;
        } else {
          d++;
        }
        h = mi = s = 0;
        continue;
      }
      if (hour.nextFrom[h] !== h) {
        const nextHour = hour.nextFrom[h]!;
        if (nextHour === -1) {
          d++;
          h = 0;
        } else {
          h = nextHour;
        }
        mi = s = 0;
        continue;
      }
      if (minute.nextFrom[mi] !== mi) {
        const nextMinute = minute.nextFrom[mi]!;
        if (nextMinute === -1) {
          h++;
          mi = 0;
        } else {
          mi = nextMinute;
        }
        s = 0;
        continue;
      }
      if (second.nextFrom[s] !== s) {
        const nextSecond = second.nextFrom[s]!;
        if (nextSecond === -1) {
          mi++;
          s = 0;
        } else {
          s = nextSecond;
        }
        continue;
      }
      return checkedDate(utc(y, mo, d, h, mi, s));
    }
    throw new ScheduleError(
      `schedule '${expression}' never fires within ${SEARCH_YEARS} years of ${after.toISOString()}`,
    );
  }

  return Object.freeze({ expression, next });
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : MAX_DAYS_IN_MONTH[month]!;
}

function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 onto 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

function weekday(year: number, month: number, day: number): number {
  return new Date(utc(year, month, day)).getUTCDay();
}

function timeOf(date: Date): number {
  const time = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(time)) throw new TypeError('next() needs a valid Date');
  return time;
}

function checkedDate(time: number): Date {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) throw new RangeError('the next occurrence is beyond the range of Date');
  return date;
}
