import { RuntimeClock, parseClockAdvance } from '../../../local/clock';

describe('parseClockAdvance', () => {
  it.each([
    ['P30D', 30 * 86_400_000],
    ['PT1H', 3_600_000],
    ['PT1H30M', 5_400_000],
    ['P1DT2.5S', 86_400_000 + 2_500],
    ['P2W', 14 * 86_400_000],
    ['PT0S', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseClockAdvance(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '30D', 'P1Y', 'P-1D', 'PT1H2', 'P1DT'])('rejects %p', (text) => {
    expect(() => parseClockAdvance(text)).toThrow(RangeError);
  });
});

describe('RuntimeClock', () => {
  it('follows real time when not manual and refuses to move', () => {
    const clock = new RuntimeClock(false);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
    expect(() => clock.advance(1000)).toThrow(/manual/);
  });

  it('jumps forward in manual mode, persists the offset first, then tells listeners', () => {
    const clock = new RuntimeClock(true);
    const seen: string[] = [];
    clock.persist = (offset) => seen.push(`persist ${offset}`);
    clock.onAdvance(() => seen.push('listener'));
    const before = clock.now();
    const after = clock.advance(86_400_000);
    expect(after - before).toBeGreaterThanOrEqual(86_400_000);
    expect(seen).toEqual(['persist 86400000', 'listener']);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('restores a persisted offset but never moves backwards', () => {
    const clock = new RuntimeClock(true);
    clock.advance(5_000);
    clock.restoreOffset(1_000);
    expect(clock.offset).toBe(5_000);
    clock.restoreOffset(9_000);
    expect(clock.offset).toBe(9_000);
  });
});
