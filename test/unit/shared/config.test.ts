import path from 'node:path';
import { ConfigError, parseConfig } from '../../../shared/config';

describe('parseConfig', () => {
  it('defaults to the SQLite store under .data/', () => {
    const config = parseConfig({});
    expect(config.store).toEqual({ kind: 'sqlite', file: path.resolve('.data', 'maa.sqlite') });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('honours MAA_DATA_DIR', () => {
    expect(parseConfig({ MAA_DATA_DIR: '/var/lib/maa' }).store.file).toBe('/var/lib/maa/maa.sqlite');
  });

  it('names the bad setting in the error', () => {
    expect(() => parseConfig({ MAA_STORE: 'postgres' })).toThrow(ConfigError);
    expect(() => parseConfig({ MAA_STORE: 'postgres' })).toThrow(/MAA_STORE/);
  });
});
