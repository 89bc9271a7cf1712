import {
  formatClock,
  formatInstant,
  formatOffset,
  isInstant,
  nextDay,
  startOfDay,
  timeHtml,
  timeZoneCookie,
  utcOffsetMinutes,
  validTimeZone,
  viewerTimeZone,
  zoneLabel,
} from '../../../shared/views/time';

describe('validTimeZone', () => {
  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['europe/berlin', 'Europe/Berlin'],
    ['America/New_York', 'America/New_York'],
    // ICU would name it by its old alias Asia/Calcutta; the viewer's own spelling is kept.
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['UTC', 'UTC'],
    ['Etc/UTC', 'UTC'],
    ['GMT', 'UTC'],
    ['utc', 'UTC'],
  ])('accepts %s as %s', (given, expected) => {
    expect(validTimeZone(given)).toBe(expected);
  });

  it.each([
    ['an unknown name', 'Mars/Olympus_Mons'],
    ['an offset, which knows no daylight saving time', '+01:00'],
    ['markup', '<script>'],
    ['a name longer than any zone', `Europe/${'x'.repeat(80)}`],
    ['nothing', ''],
    ['null', null],
    ['undefined', undefined],
  ])('refuses %s', (_what, given) => {
    expect(validTimeZone(given)).toBeUndefined();
  });
});

describe('viewerTimeZone', () => {
  const query = (text: string) => new URLSearchParams(text);

  it.each([
    ['the query first', 'tz=Asia/Tokyo', 'maa-tz=Europe/Berlin', 'America/Chicago', 'Asia/Tokyo'],
    ['then the cookie', '', 'a=1; maa-tz=Europe%2FBerlin; b=2', 'America/Chicago', 'Europe/Berlin'],
    ['a quoted cookie', '', 'maa-tz="Europe/Berlin"', undefined, 'Europe/Berlin'],
    ['then the setting', '', 'other=1', 'America/Chicago', 'America/Chicago'],
    ['else UTC', '', null, undefined, 'UTC'],
    [
      'an unknown query zone falls through to the cookie',
      'tz=Nowhere/Land',
      'maa-tz=Europe/Paris',
      undefined,
      'Europe/Paris',
    ],
    ['an undecodable cookie falls through', '', 'maa-tz=%E0%A4%A', 'Europe/Rome', 'Europe/Rome'],
    ['a cookie whose name only ends in maa-tz is not it', '', 'xmaa-tz=Europe/Paris', undefined, 'UTC'],
  ])('takes %s', (_what, search, cookie, fallback, expected) => {
    expect(viewerTimeZone(query(search), cookie, fallback)).toBe(expected);
  });

  it('reads the first maa-tz cookie only', () => {
    expect(timeZoneCookie('maa-tz=Europe/Oslo; maa-tz=Europe/Rome')).toBe('Europe/Oslo');
    expect(timeZoneCookie('maa-tz2=Europe/Oslo')).toBeUndefined();
  });
});

describe('formatInstant and formatClock', () => {
  it.each([
    ['2026-12-07T08:12:00Z', 'UTC', '2026-12-07 08:12 UTC', '08:12'],
    ['2026-12-07T08:12:00Z', 'Europe/Berlin', '2026-12-07 09:12 CET', '09:12'],
    ['2026-07-07T08:12:00Z', 'Europe/Berlin', '2026-07-07 10:12 CEST', '10:12'],
    // Across midnight, the date is the zone's.
    ['2026-12-07T03:30:00.000Z', 'America/New_York', '2026-12-06 22:30 GMT-5', '22:30'],
    ['2026-12-07T18:30:00Z', 'Asia/Kolkata', '2026-12-08 00:00 GMT+5:30', '00:00'],
    ['2026-12-07T10:00:00+02:00', 'UTC', '2026-12-07 08:00 UTC', '08:00'],
  ])('shows %s in %s as %s', (iso, zone, full, clock) => {
    expect(formatInstant(iso, zone)).toBe(full);
    expect(formatClock(iso, zone)).toBe(clock);
  });

  it.each(['7', 'Dec 7 2026', '2026-12-07', 'not a time', ''])('leaves %j, which is no instant, as it is', (text) => {
    expect(isInstant(text)).toBe(false);
    expect(formatInstant(text, 'Europe/Berlin')).toBe(text);
  });
});

describe('offsets and zone labels', () => {
  it.each([
    ['2026-12-07T12:00:00Z', 'Europe/Berlin', 60, 'Europe/Berlin (UTC+01:00)'],
    ['2026-07-07T12:00:00Z', 'Europe/Berlin', 120, 'Europe/Berlin (UTC+02:00)'],
    ['2026-12-07T12:00:00Z', 'America/New_York', -300, 'America/New_York (UTC\u221205:00)'],
    ['2026-12-07T12:00:00Z', 'Asia/Kolkata', 330, 'Asia/Kolkata (UTC+05:30)'],
    ['2026-12-07T12:00:00Z', 'UTC', 0, 'UTC'],
  ])('at %s %s is %i minutes ahead: %s', (iso, zone, minutes, label) => {
    expect(utcOffsetMinutes(new Date(iso), zone)).toBe(minutes);
    expect(zoneLabel(zone, new Date(iso))).toBe(label);
  });

  it('writes offsets with a sign and minutes', () => {
    expect([formatOffset(0), formatOffset(90), formatOffset(-570)]).toEqual(['UTC', 'UTC+01:30', 'UTC\u221209:30']);
  });
});

describe('startOfDay', () => {
  it.each([
    ['2026-12-07', 'UTC', '2026-12-07T00:00:00.000Z'],
    ['2026-12-07', 'Europe/Berlin', '2026-12-06T23:00:00.000Z'],
    ['2026-07-07', 'Europe/Berlin', '2026-07-06T22:00:00.000Z'],
    ['2026-12-07', 'America/New_York', '2026-12-07T05:00:00.000Z'],
    ['2026-12-07', 'Asia/Kolkata', '2026-12-06T18:30:00.000Z'],
    // The days clocks change: midnight is still on the old offset.
    ['2026-03-29', 'Europe/Berlin', '2026-03-28T23:00:00.000Z'],
    ['2026-10-25', 'Europe/Berlin', '2026-10-24T22:00:00.000Z'],
    // Santiago skips midnight when summer time starts (2026-09-06): the day starts at 01:00.
    ['2026-09-06', 'America/Santiago', '2026-09-06T04:00:00.000Z'],
  ])('%s starts in %s at %s', (day, zone, expected) => {
    expect(startOfDay(day, zone)).toBe(expected);
  });

  it.each(['2026-02-30', '2026-13-01', '07.12.2026', '2026-12-07T00:00:00Z', ''])('refuses %j', (day) => {
    expect(startOfDay(day, 'UTC')).toBeUndefined();
  });

  it('counts the next day across months and years', () => {
    expect([nextDay('2026-12-31'), nextDay('2028-02-28'), nextDay('2026-03-29')]).toEqual([
      '2027-01-01',
      '2028-02-29',
      '2026-03-30',
    ]);
  });
});

describe('timeHtml', () => {
  it('shows the viewer zone with the UTC instant on hover', () => {
    expect(timeHtml('2026-12-07T08:12:00Z', 'Europe/Berlin').text).toBe(
      '<time datetime="2026-12-07T08:12:00Z" title="2026-12-07 08:12 UTC">2026-12-07 09:12 CET</time>',
    );
  });

  it.each(['UTC', 'Etc/UTC'])('shows UTC once, with no hover, in %s', (zone) => {
    expect(timeHtml('2026-12-07T08:12:00Z', zone).text).toBe(
      '<time datetime="2026-12-07T08:12:00Z">2026-12-07 08:12 UTC</time>',
    );
  });

  it('escapes what is no instant and wraps it in no time element', () => {
    expect(timeHtml('<b>"soon"</b>', 'Europe/Berlin').text).toBe('&#60;b&#62;&#34;soon&#34;&#60;/b&#62;');
  });
});
