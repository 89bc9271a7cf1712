import path from 'node:path';
import { ConfigError, parseConfig } from '../../../shared/config';
import { withAppKey } from '../../support/appKey';

describe('parseConfig', () => {
  it('defaults to the SQLite store under .data/', () => {
    const config = parseConfig(withAppKey({}));
    expect(config.store).toEqual({ kind: 'sqlite', file: path.resolve('.data', 'maa.sqlite') });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('honours MAA_DATA_DIR', () => {
    expect(parseConfig(withAppKey({ MAA_DATA_DIR: '/var/lib/maa' })).store.file).toBe('/var/lib/maa/maa.sqlite');
  });

  it('names the bad setting in the error', () => {
    expect(() => parseConfig(withAppKey({ MAA_STORE: 'postgres' }))).toThrow(ConfigError);
    expect(() => parseConfig(withAppKey({ MAA_STORE: 'postgres' }))).toThrow(/MAA_STORE/);
  });

  it('takes a command wait up to PT25S, below the 30 s clients wait for an answer', () => {
    expect(parseConfig(withAppKey({})).commandWaitMs).toBe(10_000);
    expect(parseConfig(withAppKey({ MAA_COMMAND_WAIT: 'PT25S' })).commandWaitMs).toBe(25_000);
    expect(parseConfig(withAppKey({ MAA_COMMAND_WAIT: 'PT0S' })).commandWaitMs).toBe(0);
    expect(() => parseConfig(withAppKey({ MAA_COMMAND_WAIT: 'PT26S' }))).toThrow(
      /MAA_COMMAND_WAIT: must be at most PT25S/,
    );
    expect(() => parseConfig(withAppKey({ MAA_COMMAND_WAIT: 'soon' }))).toThrow(/MAA_COMMAND_WAIT/);
  });

  it('reads the link settings, trusting the platform principal headers only with App Service Authentication on', () => {
    const key = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
    expect(parseConfig(withAppKey({})).links).toBeUndefined();
    const links = parseConfig(withAppKey({ MAA_LINK_KEY: key, MAA_PUBLIC_BASE_URL: 'https://maa.contoso.com/' })).links;
    expect(links).toMatchObject({
      ttlSeconds: 7 * 86400,
      publicBaseUrl: 'https://maa.contoso.com',
      allowLinkOnly: false,
      platformAuth: false,
    });
    expect(
      parseConfig(
        withAppKey({ MAA_LINK_KEY: key, WEBSITE_HOSTNAME: 'maa.azurewebsites.net', WEBSITE_AUTH_ENABLED: 'True' }),
      ).links,
    ).toMatchObject({
      publicBaseUrl: 'https://maa.azurewebsites.net',
      platformAuth: true,
    });
    expect(() => parseConfig(withAppKey({ MAA_LINK_KEY: 'k1:short' }))).toThrow(
      /MAA_LINK_KEY: secret must be at least 32 bytes/,
    );
  });
});
