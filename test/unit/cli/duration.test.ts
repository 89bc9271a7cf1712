import { parseDuration } from '../../../cli/duration';

describe('parseDuration', () => {
  it.each([
    ['10m', 600_000],
    ['2s', 2_000],
    ['1.5s', 1_500],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['1h0m5s', 3_605_000],
    ['2m30s250ms', 150_250],
    ['90', 90_000],
    ['0', 0],
    ['0.25', 250],
    [' 5s ', 5_000],
    ['PT10M', 600_000],
    ['P1DT2H', 93_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'm', '10x', '-1s', '1s1m', '10m10m', '1 h', 'ten', 'P1M', 'P', 'PT', '1.5ms', '1e3'])(
    'refuses %p',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});
