import { parseConfig } from '../../../shared/config';
import { withAppKey } from '../../support/appKey';

describe('MAA_DEFAULT_TIME_ZONE', () => {
  it.each([
    [undefined, 'UTC'],
    ['', 'UTC'],
    ['Europe/Berlin', 'Europe/Berlin'],
    [' europe/berlin ', 'Europe/Berlin'],
    ['Etc/UTC', 'UTC'],
  ])('reads %j as %s', (value, zone) => {
    expect(
      parseConfig(withAppKey(value === undefined ? {} : { MAA_DEFAULT_TIME_ZONE: value })).ops.defaultTimeZone,
    ).toBe(zone);
  });

  it.each(['Europe/Atlantis', '+01:00', 'CET; drop'])('stops start-up on %j, naming the setting', (value) => {
    expect(() => parseConfig(withAppKey({ MAA_DEFAULT_TIME_ZONE: value }))).toThrow(
      /MAA_DEFAULT_TIME_ZONE: must be an IANA time zone name/,
    );
  });
});
