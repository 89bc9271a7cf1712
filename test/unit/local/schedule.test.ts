import { parseSchedule, ScheduleError } from '../../../local/timer/schedule';

/** The next `count` occurrences after `from`, as ISO strings. */
function occurrences(expression: string, from: string, count: number): string[] {
  const schedule = parseSchedule(expression);
  const result: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    at = schedule.next(at);
    result.push(at.toISOString());
  }
  return result;
}

const iso = (text: string): string => new Date(text).toISOString();

describe('parseSchedule', () => {
  it('keeps the expression exactly as given', () => {
    expect(parseSchedule(' 0 */5 * * * * ').expression).toBe(' 0 */5 * * * * ');
    expect(parseSchedule('00:05:00').expression).toBe('00:05:00');
  });

  describe('cron occurrences', () => {
    it.each<[string, string, string, string[]]>([
      [
        'every 5 minutes (6 fields)',
        '0 */5 * * * *',
        '2024-01-01T00:00:00Z',
        ['2024-01-01T00:05:00Z', '2024-01-01T00:10:00Z', '2024-01-01T00:15:00Z'],
      ],
      ['every 5 minutes from mid-interval', '0 */5 * * * *', '2024-01-01T00:03:27.500Z', ['2024-01-01T00:05:00Z']],
      [
        'every 5 minutes across midnight',
        '0 */5 * * * *',
        '2024-01-01T23:57:00Z',
        ['2024-01-02T00:00:00Z', '2024-01-02T00:05:00Z'],
      ],
      [
        'every 5 minutes (5 fields)',
        '*/5 * * * *',
        '2024-01-01T00:00:00Z',
        ['2024-01-01T00:05:00Z', '2024-01-01T00:10:00Z'],
      ],
      ['every second', '* * * * * *', '2024-01-01T00:00:00.999Z', ['2024-01-01T00:00:01Z', '2024-01-01T00:00:02Z']],
      [
        'every minute (5 fields)',
        '* * * * *',
        '2024-01-01T00:00:30Z',
        ['2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z'],
      ],
      [
        'weekdays at 09:30, from a Friday evening across the weekend',
        '0 30 9 * * 1-5',
        '2024-01-05T10:00:00Z',
        [
          '2024-01-08T09:30:00Z',
          '2024-01-09T09:30:00Z',
          '2024-01-10T09:30:00Z',
          '2024-01-11T09:30:00Z',
          '2024-01-12T09:30:00Z',
          '2024-01-15T09:30:00Z',
        ],
      ],
      [
        'weekdays at 09:30, from a Friday morning',
        '0 30 9 * * 1-5',
        '2024-01-05T09:00:00Z',
        ['2024-01-05T09:30:00Z', '2024-01-08T09:30:00Z'],
      ],
      ['weekdays at 09:30, from a Saturday', '0 30 9 * * MON-FRI', '2024-01-06T12:00:00Z', ['2024-01-08T09:30:00Z']],
      [
        'month and day names',
        '0 0 12 * JAN,jul Mon',
        '2024-01-29T12:00:00Z',
        ['2024-07-01T12:00:00Z', '2024-07-08T12:00:00Z'],
      ],
      [
        'full month and day names',
        '0 0 12 * february sunday',
        '2024-01-01T00:00:00Z',
        ['2024-02-04T12:00:00Z', '2024-02-11T12:00:00Z'],
      ],
      ['7 means Sunday', '0 0 0 * * 7', '2024-01-01T00:00:00Z', ['2024-01-07T00:00:00Z', '2024-01-14T00:00:00Z']],
      ['SUN means 0', '0 0 0 * * SUN', '2024-01-01T00:00:00Z', ['2024-01-07T00:00:00Z']],
      [
        'a range ending at 7 wraps to Sunday',
        '0 0 0 * * 6-7',
        '2024-01-01T00:00:00Z',
        ['2024-01-06T00:00:00Z', '2024-01-07T00:00:00Z', '2024-01-13T00:00:00Z'],
      ],
      [
        'both day fields restricted: the 13th AND a Friday, as NCrontab (unlike classic cron)',
        '0 0 0 13 * FRI',
        '2024-01-01T00:00:00Z',
        ['2024-09-13T00:00:00Z', '2024-12-13T00:00:00Z'],
      ],
      [
        'both day fields restricted: the 1st or 15th AND a Friday (5 fields)',
        '30 4 1,15 * 5',
        '2024-02-28T00:00:00Z',
        ['2024-03-01T04:30:00Z', '2024-03-15T04:30:00Z', '2024-11-01T04:30:00Z', '2024-11-15T04:30:00Z'],
      ],
      [
        'day-of-month starting with * ANDs with day-of-week',
        '0 0 0 */10 * FRI',
        '2024-01-01T00:00:00Z',
        ['2024-03-01T00:00:00Z', '2024-05-31T00:00:00Z'],
      ],
      [
        'day-of-week starting with * ANDs with day-of-month',
        '0 0 0 13 * */7',
        '2024-01-01T00:00:00Z',
        ['2024-10-13T00:00:00Z'],
      ],
      [
        'second steps from a start value',
        '5/15 * * * * *',
        '2024-01-01T00:00:00Z',
        [
          '2024-01-01T00:00:05Z',
          '2024-01-01T00:00:20Z',
          '2024-01-01T00:00:35Z',
          '2024-01-01T00:00:50Z',
          '2024-01-01T00:01:05Z',
        ],
      ],
      [
        'minute steps within a range',
        '0 10-40/10 * * * *',
        '2024-01-01T00:00:00Z',
        [
          '2024-01-01T00:10:00Z',
          '2024-01-01T00:20:00Z',
          '2024-01-01T00:30:00Z',
          '2024-01-01T00:40:00Z',
          '2024-01-01T01:10:00Z',
        ],
      ],
      [
        'hour steps',
        '0 0 */6 * * *',
        '2024-01-01T01:00:00Z',
        ['2024-01-01T06:00:00Z', '2024-01-01T12:00:00Z', '2024-01-01T18:00:00Z', '2024-01-02T00:00:00Z'],
      ],
      ['a step larger than the range', '0 0 0 */40 * *', '2024-01-01T00:00:00Z', ['2024-02-01T00:00:00Z']],
      [
        'lists mixing values, ranges and steps',
        '0 0,15-17,50/5 8 * * *',
        '2024-01-01T00:00:00Z',
        [
          '2024-01-01T08:00:00Z',
          '2024-01-01T08:15:00Z',
          '2024-01-01T08:16:00Z',
          '2024-01-01T08:17:00Z',
          '2024-01-01T08:50:00Z',
          '2024-01-01T08:55:00Z',
          '2024-01-02T08:00:00Z',
        ],
      ],
      ['year rollover', '0 0 0 1 1 *', '2024-06-15T00:00:00Z', ['2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z']],
      [
        'year rollover from the last second of the year',
        '0 0 0 1 1 *',
        '2024-12-31T23:59:59Z',
        ['2025-01-01T00:00:00Z'],
      ],
      ['the last second of the year', '59 59 23 31 12 *', '2024-12-31T23:59:59Z', ['2025-12-31T23:59:59Z']],
      [
        'Feb 29 from just after one',
        '0 0 0 29 2 *',
        '2024-02-29T00:00:00Z',
        ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z'],
      ],
      ['Feb 29 from a non-leap year', '0 0 0 29 2 *', '2023-01-01T00:00:00Z', ['2024-02-29T00:00:00Z']],
      ['Feb 29 skips 2100, which is not a leap year', '0 0 0 29 2 *', '2096-03-01T00:00:00Z', ['2104-02-29T00:00:00Z']],
      ['Feb 29 in 2000, which is a leap year', '0 0 0 29 2 *', '1999-01-01T00:00:00Z', ['2000-02-29T00:00:00Z']],
      [
        'the 31st skips shorter months',
        '0 0 0 31 * *',
        '2024-01-31T00:00:00Z',
        ['2024-03-31T00:00:00Z', '2024-05-31T00:00:00Z', '2024-07-31T00:00:00Z', '2024-08-31T00:00:00Z'],
      ],
      ['leading zeros and extra whitespace', ' 00  05\t09 * * * ', '2024-01-01T00:00:00Z', ['2024-01-01T09:05:00Z']],
    ])('%s: %p after %p', (_label, expression, from, expected) => {
      expect(occurrences(expression, from, expected.length)).toEqual(expected.map(iso));
    });

    it('returns an instant strictly after its argument even when the argument is an occurrence', () => {
      const schedule = parseSchedule('0 0 * * * *');
      const onTheHour = new Date('2024-01-01T05:00:00Z');
      expect(schedule.next(onTheHour).toISOString()).toBe('2024-01-01T06:00:00.000Z');
    });

    it('does not mutate its argument', () => {
      const after = new Date('2024-01-01T05:00:00Z');
      parseSchedule('0 0 * * * *').next(after);
      expect(after.toISOString()).toBe('2024-01-01T05:00:00.000Z');
    });

    it('rejects an invalid Date argument', () => {
      expect(() => parseSchedule('* * * * * *').next(new Date(Number.NaN))).toThrow(TypeError);
    });
  });

  describe('agreement with a brute-force search', () => {
    interface Case {
      readonly expression: string;
      readonly day: (date: Date) => boolean;
      readonly time: (hour: number, minute: number) => boolean;
    }
    // Independent oracles: each states the rule in plain code, evaluated minute by minute.
    const cases: Case[] = [
      { expression: '*/5 * * * *', day: () => true, time: (_h, m) => m % 5 === 0 },
      {
        expression: '0 30 9 * * 1-5',
        day: (d) => d.getUTCDay() >= 1 && d.getUTCDay() <= 5,
        time: (h, m) => h === 9 && m === 30,
      },
      {
        expression: '0 0 0 13 * FRI',
        day: (d) => d.getUTCDate() === 13 && d.getUTCDay() === 5,
        time: (h, m) => h === 0 && m === 0,
      },
      {
        expression: '0 0 0 */10 * FRI',
        day: (d) => [1, 11, 21, 31].includes(d.getUTCDate()) && d.getUTCDay() === 5,
        time: (h, m) => h === 0 && m === 0,
      },
      {
        expression: '0 15,45 8-17/3 1-7 MAR-MAY,NOV SAT,SUN',
        day: (d) =>
          [2, 3, 4, 10].includes(d.getUTCMonth()) &&
          d.getUTCDate() <= 7 &&
          (d.getUTCDay() === 0 || d.getUTCDay() === 6),
        time: (h, m) => [8, 11, 14, 17].includes(h) && (m === 15 || m === 45),
      },
      { expression: '0 0 12 29-31 * *', day: (d) => d.getUTCDate() >= 29, time: (h, m) => h === 12 && m === 0 },
      { expression: '59 23 31 * *', day: (d) => d.getUTCDate() === 31, time: (h, m) => h === 23 && m === 59 },
    ];

    function bruteForce(testCase: Case, after: Date): Date {
      const start = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
      const dayMs = 86_400_000;
      for (let dayStart = Math.floor(start / dayMs) * dayMs; ; dayStart += dayMs) {
        if (!testCase.day(new Date(dayStart))) continue;
        for (let minute = 0; minute < 1440; minute++) {
          const at = dayStart + minute * 60_000;
          if (at >= start && testCase.time(Math.floor(minute / 60), minute % 60)) return new Date(at);
        }
      }
    }

    // A fixed pseudo-random sequence keeps the test deterministic.
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const starts = Array.from(
      { length: 25 },
      () => new Date(Date.UTC(2023, 0, 1) + Math.floor(random() * 3 * 365 * 86_400_000)),
    );

    it.each(cases)('$expression agrees from 25 starting instants', (testCase) => {
      const schedule = parseSchedule(testCase.expression);
      for (const after of starts) {
        expect(schedule.next(after).toISOString()).toBe(bruteForce(testCase, after).toISOString());
      }
    });
  });

  describe('efficiency', () => {
    it('walks a yearly schedule for 2000 years without stepping second by second', () => {
      const schedule = parseSchedule('59 59 23 31 12 *');
      let at = new Date('2000-01-01T00:00:00Z');
      const began = Date.now();
      for (let i = 0; i < 2000; i++) at = schedule.next(at);
      expect(at.toISOString()).toBe('3999-12-31T23:59:59.000Z');
      expect(Date.now() - began).toBeLessThan(2000);
    });

    it('finds a rare day/weekday coincidence years away', () => {
      // The 29th of February that is also a Monday ('*/28' counts as unrestricted, so both must hold).
      const next = parseSchedule('0 0 0 */28 2 MON').next(new Date('2024-03-01T00:00:00Z'));
      expect(next.getUTCMonth()).toBe(1);
      expect(next.getUTCDay()).toBe(1);
      expect([1, 29]).toContain(next.getUTCDate());
      expect(next.toISOString()).toBe('2027-02-01T00:00:00.000Z');
    });
  });

  describe('TimeSpan intervals', () => {
    it.each<[string, string, string]>([
      ['00:05:00', '2024-01-01T10:00:00.250Z', '2024-01-01T10:05:00.250Z'],
      ['00:00:30', '2024-01-01T23:59:45Z', '2024-01-02T00:00:15Z'],
      ['01:00:00', '2024-01-01T10:00:00Z', '2024-01-01T11:00:00Z'],
      ['1.00:00:00', '2024-02-28T10:00:00Z', '2024-02-29T10:00:00Z'],
      ['2.03:04:05', '2024-01-01T00:00:00Z', '2024-01-03T03:04:05Z'],
      ['25:00:00', '2024-01-01T00:00:00Z', '2024-01-26T00:00:00Z'],
      ['24:01:02', '2024-01-01T00:00:00Z', '2024-01-25T01:02:00Z'],
      ['01:30', '2024-01-01T00:00:00Z', '2024-01-01T01:30:00Z'],
      ['00:00:00.5', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.500Z'],
      ['00:00:01.0000001', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z'],
    ])('%p after %p is %p', (expression, from, expected) => {
      expect(parseSchedule(expression).next(new Date(from)).toISOString()).toBe(iso(expected));
    });

    it('adds the interval to whatever instant it is given, occurrence after occurrence', () => {
      expect(occurrences('00:05:00', '2024-01-01T00:00:07Z', 3)).toEqual(
        ['2024-01-01T00:05:07Z', '2024-01-01T00:10:07Z', '2024-01-01T00:15:07Z'].map(iso),
      );
    });
  });

  describe('invalid expressions', () => {
    it.each<[string, RegExp]>([
      ['', /empty/],
      ['   ', /empty/],
      ['* * * *', /found 4 fields/],
      ['* * * * * * *', /found 7 fields/],
      ['hourly', /found 1 field\b/],
      ['60 * * * * *', /second field '60'.*out of range 0-59/],
      ['* 60 * * * *', /minute field '60'.*out of range 0-59/],
      ['* * 24 * * *', /hour field '24'.*out of range 0-23/],
      ['* * * 0 * *', /day-of-month field '0'.*out of range 1-31/],
      ['* * * 32 * *', /day-of-month field '32'.*out of range 1-31/],
      ['* * * * 0 *', /month field '0'.*out of range 1-12/],
      ['* * * * 13 *', /month field '13'.*out of range 1-12/],
      ['* * * * FOO *', /month field 'FOO'.*not a number or a month name/],
      ['* * * * * 8', /day-of-week field '8'.*out of range 0-7/],
      ['* * * * * MON-FOO', /day-of-week field 'MON-FOO'.*'FOO' is not a number or a day name/],
      ['* * * * * 7/2', /day-of-week field '7\/2'.*allows no values/],
      ['60 * * * *', /minute field '60'/],
      ['*/0 * * * * *', /second field '\*\/0'.*step cannot be 0/],
      ['*/x * * * * *', /step 'x' is not a whole number/],
      ['1/2/3 * * * * *', /more than one '\/'/],
      ['5-1 * * * * *', /range 5-1 runs backwards/],
      ['1-2-3 * * * * *', /not a value or a range/],
      ['1,,2 * * * * *', /list item is empty/],
      ['a * * * * *', /second field 'a'.*'a' is not a number/],
      ['-1 * * * * *', /'' is not a number/],
      ['? * * * * *', /'\?' is not a number/],
      ['0 0 0 L * *', /day-of-month field 'L'/],
      ['0 0 0 * * 5#3', /day-of-week field '5#3'/],
      ['0 0 0 30 2 *', /never fires/],
      ['0 0 0 31 4,6,9,11 *', /never fires/],
      ['0 0 0 30-31 FEB *', /never fires/],
      ['00:00:00', /TimeSpan.*longer than zero/],
      ['00:60:00', /TimeSpan.*minutes must be 0-59/],
      ['00:00:60', /TimeSpan.*seconds must be 0-59/],
      ['1.24:00:00', /TimeSpan.*hours must be 0-23/],
      ['24:00', /TimeSpan.*hours must be 0-23/],
      ['25:00:00.5', /TimeSpan.*fractional/],
      ['-00:05:00', /TimeSpan.*expected/],
      ['1:2:3:4', /TimeSpan.*expected/],
      ['ab:cd', /TimeSpan.*expected/],
    ])('%p is rejected (%p)', (expression, message) => {
      let thrown: unknown;
      try {
        parseSchedule(expression);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ScheduleError);
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).name).toBe('ScheduleError');
      expect((thrown as Error).message).toMatch(message);
    });

    it('accepts the day-of-week value 7 and names in any case', () => {
      expect(() => parseSchedule('0 0 0 * dec-DEC sAt-7')).not.toThrow();
    });
  });
});
