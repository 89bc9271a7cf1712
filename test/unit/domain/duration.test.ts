import { parseIsoDuration } from '../../../shared/domain/duration';
import { refusal } from '../../support/builders';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

describe('parseIsoDuration', () => {
  it.each([
    ['P30D', 30 * DAY],
    ['PT1H', HOUR],
    ['P1DT2H', DAY + 2 * HOUR],
    ['P2W', 14 * DAY],
    ['P1W3D', 10 * DAY],
    ['PT90M', 90 * 60 * SECOND],
    ['PT1H30M15S', HOUR + 30 * 60 * SECOND + 15 * SECOND],
    ['PT1.5S', 1500],
    ['PT0,25S', 250],
    ['P0D', 0],
    ['PT0S', 0],
    ['P90D', 90 * DAY],
    ['P1DT1M', DAY + 60 * SECOND],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '30D',
    'p30d',
    'P-1D',
    'P1.5D',
    'PT1.5H',
    'PT1.2345S',
    'PT1H2',
    'P1H',
    'PT1D',
    'P1D2W',
    'PT1M1H',
    ' P1D',
    'P1D ',
    'P99999999999999999D',
  ])('refuses %p as invalid_request', (text) => {
    expect(refusal(() => parseIsoDuration(text))).toBe('invalid_request');
  });

  it.each(['P1Y', 'P1M', 'P1Y2M3D', 'P2W1M'])('refuses %s because years and months have no fixed length', (text) => {
    expect(refusal(() => parseIsoDuration(text))).toBe('invalid_request');
    expect(() => parseIsoDuration(text)).toThrow(/no fixed length/);
  });
});

describe('parseIsoDuration with nominal years and months', () => {
  it.each([
    ['P1Y', 365 * DAY],
    ['P1M', 30 * DAY],
    ['P1Y2M3W4DT5H', (365 + 60 + 21 + 4) * DAY + 5 * HOUR],
    ['P90D', 90 * DAY],
    ['PT12H', 12 * HOUR],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseIsoDuration(text, { calendar: 'nominal' })).toBe(ms);
  });

  it.each(['P1.5Y', 'P1M1Y', 'P1D1Y', 'P', 'P1YT'])('refuses %p as invalid_request', (text) => {
    expect(refusal(() => parseIsoDuration(text, { calendar: 'nominal' }))).toBe('invalid_request');
  });
});
