import path from 'node:path';
import { ConfigError, parseConfig } from '../../../shared/config';
import { withAppKey } from '../../support/appKey';

describe('store settings', () => {
  it('chooses SQLite by default', () => {
    expect(parseConfig(withAppKey({})).store).toEqual({ kind: 'sqlite', file: path.resolve('.data', 'maa.sqlite') });
  });

  it('chooses Cosmos DB when only COSMOS_ENDPOINT is set, with managed identity and the default database', () => {
    const { store } = parseConfig(withAppKey({ COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/' }));
    expect(store).toStrictEqual({ kind: 'cosmos', endpoint: 'https://acct.documents.azure.com:443/', database: 'maa' });
    expect(Object.isFrozen(store)).toBe(true);
  });

  it('keeps SQLite when MAA_STORE says so, even with COSMOS_ENDPOINT set', () => {
    expect(
      parseConfig(withAppKey({ MAA_STORE: 'sqlite', COSMOS_ENDPOINT: 'https://acct.documents.azure.com/' })).store.kind,
    ).toBe('sqlite');
  });

  it('gives SQLite the closed-request retention too', () => {
    expect(parseConfig(withAppKey({ MAA_CLOSED_REQUEST_TTL: 'P7D' })).store).toEqual({
      kind: 'sqlite',
      file: path.resolve('.data', 'maa.sqlite'),
      closedRequestTtlSeconds: 7 * 86_400,
    });
  });

  it('reads the emulator key, the database and the closed-request retention', () => {
    const { store } = parseConfig(
      withAppKey({
        MAA_STORE: 'cosmos',
        COSMOS_ENDPOINT: 'https://localhost:8081/',
        COSMOS_KEY: 'a2V5',
        COSMOS_DATABASE: 'maa-test',
        MAA_CLOSED_REQUEST_TTL: 'P1DT2H',
      }),
    );
    expect(store).toStrictEqual({
      kind: 'cosmos',
      endpoint: 'https://localhost:8081/',
      key: 'a2V5',
      database: 'maa-test',
      closedRequestTtlSeconds: 26 * 3600,
    });
    expect(
      parseConfig(withAppKey({ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: 'P1Y' })).store,
    ).toMatchObject({
      closedRequestTtlSeconds: 365 * 86_400,
    });
  });

  it.each([
    ['P1M', 30 * 86_400],
    ['P1Y2M', (365 + 60) * 86_400],
    ['P2W', 14 * 86_400],
    ['PT90M', 5400],
  ])('reads the closed-request retention %s with nominal years and months as %i seconds', (text, seconds) => {
    expect(
      parseConfig(withAppKey({ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: text })).store,
    ).toMatchObject({ closedRequestTtlSeconds: seconds });
  });

  it.each([
    [{ MAA_STORE: 'cosmos' }, /COSMOS_ENDPOINT/],
    [{ COSMOS_ENDPOINT: 'not a url' }, /COSMOS_ENDPOINT/],
    [{ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: '30 days' }, /MAA_CLOSED_REQUEST_TTL/],
    [{ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: 'PT0S' }, /MAA_CLOSED_REQUEST_TTL/],
    [{ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: 'P' }, /MAA_CLOSED_REQUEST_TTL/],
    [{ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: 'P100Y' }, /MAA_CLOSED_REQUEST_TTL/],
    [{ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: 'PT1.5S' }, /MAA_CLOSED_REQUEST_TTL/],
    [{ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: 'P1D2W' }, /MAA_CLOSED_REQUEST_TTL/],
    [{ COSMOS_ENDPOINT: 'https://a/', MAA_CLOSED_REQUEST_TTL: 'p1d' }, /MAA_CLOSED_REQUEST_TTL/],
  ])('refuses %j naming the setting', (env, setting) => {
    expect(() => parseConfig(withAppKey(env))).toThrow(ConfigError);
    expect(() => parseConfig(withAppKey(env))).toThrow(setting);
  });
});
