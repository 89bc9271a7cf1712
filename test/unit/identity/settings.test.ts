import { ConfigError, parseConfig } from '../../../shared/config';
import { withAppKey } from '../../support/appKey';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('identity settings', () => {
  it('leave authentication unconfigured (not an error) when nothing is set, with Graph defaults', () => {
    const { identity } = parseConfig(withAppKey({}));
    expect(identity).toEqual({
      auth: undefined,
      graph: { baseUrl: 'https://graph.microsoft.com', credential: { kind: 'default' }, groupCacheSeconds: 60 },
    });
    expect(Object.isFrozen(identity)).toBe(true);
    expect(Object.isFrozen(identity.graph)).toBe(true);
  });

  it('derive the Entra v2 issuer and JWKS URL from MAA_TENANT_ID', () => {
    const { auth } = parseConfig(
      withAppKey({ MAA_TENANT_ID: TENANT, MAA_AUTH_AUDIENCE: 'api://maa, 00000000-aaaa-4000-8000-000000000001' }),
    ).identity;
    expect(auth).toEqual({
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      jwksUrl: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
      audiences: ['api://maa', '00000000-aaaa-4000-8000-000000000001'],
      clockSkewSeconds: 300,
    });
    expect(Object.isFrozen(auth)).toBe(true);
  });

  it('let explicit issuer and JWKS URL win over the tenant, and read the clock skew', () => {
    const { auth } = parseConfig(
      withAppKey({
        MAA_TENANT_ID: TENANT,
        MAA_AUTH_ISSUER: 'http://127.0.0.1:7071/_local/entra/t/v2.0',
        MAA_AUTH_JWKS_URL: 'http://127.0.0.1:7071/_local/entra/t/discovery/v2.0/keys',
        MAA_AUTH_AUDIENCE: 'api://multi-admin-approval',
        MAA_AUTH_CLOCK_SKEW: '60',
      }),
    ).identity;
    expect(auth).toMatchObject({
      issuer: 'http://127.0.0.1:7071/_local/entra/t/v2.0',
      jwksUrl: 'http://127.0.0.1:7071/_local/entra/t/discovery/v2.0/keys',
      clockSkewSeconds: 60,
    });
  });

  it('refuse a partial authentication configuration, naming what is missing', () => {
    expect(() => parseConfig(withAppKey({ MAA_TENANT_ID: TENANT }))).toThrow(ConfigError);
    expect(() => parseConfig(withAppKey({ MAA_TENANT_ID: TENANT }))).toThrow(/MAA_AUTH_AUDIENCE/);
    expect(() => parseConfig(withAppKey({ MAA_AUTH_AUDIENCE: 'api://maa' }))).toThrow(
      /MAA_AUTH_ISSUER.*MAA_AUTH_JWKS_URL/,
    );
    expect(() => parseConfig(withAppKey({ MAA_AUTH_AUDIENCE: ' , ', MAA_TENANT_ID: TENANT }))).toThrow(
      /MAA_AUTH_AUDIENCE/,
    );
  });

  it('refuse malformed values', () => {
    expect(() => parseConfig(withAppKey({ MAA_TENANT_ID: 'contoso.onmicrosoft.com' }))).toThrow(/MAA_TENANT_ID/);
    expect(() => parseConfig(withAppKey({ MAA_AUTH_JWKS_URL: 'ftp://keys' }))).toThrow(/MAA_AUTH_JWKS_URL/);
    expect(() => parseConfig(withAppKey({ MAA_AUTH_CLOCK_SKEW: 'five' }))).toThrow(/MAA_AUTH_CLOCK_SKEW/);
    expect(() => parseConfig(withAppKey({ MAA_AUTH_CLOCK_SKEW: '-1' }))).toThrow(/MAA_AUTH_CLOCK_SKEW/);
    expect(() => parseConfig(withAppKey({ MAA_GROUP_CACHE_SECONDS: '1.5' }))).toThrow(/MAA_GROUP_CACHE_SECONDS/);
    expect(() => parseConfig(withAppKey({ MAA_GRAPH_BASE_URL: 'graph' }))).toThrow(/MAA_GRAPH_BASE_URL/);
  });

  it('treat blank values as unset', () => {
    expect(
      parseConfig(
        withAppKey({ MAA_TENANT_ID: '', MAA_AUTH_AUDIENCE: ' ', MAA_GRAPH_BASE_URL: '', MAA_GROUP_CACHE_SECONDS: '' }),
      ).identity,
    ).toEqual(parseConfig(withAppKey({})).identity);
  });

  it('use a client-secret Graph credential when a token URL is set, and need its id and secret', () => {
    const { graph } = parseConfig(
      withAppKey({
        MAA_GRAPH_BASE_URL: 'http://127.0.0.1:7071/_local/graph/',
        MAA_GRAPH_TOKEN_URL: 'http://127.0.0.1:7071/_local/entra/t/oauth2/v2.0/token',
        MAA_GRAPH_CLIENT_ID: 'client',
        MAA_GRAPH_CLIENT_SECRET: 'secret',
        MAA_GROUP_CACHE_SECONDS: '0',
      }),
    ).identity;
    expect(graph).toEqual({
      baseUrl: 'http://127.0.0.1:7071/_local/graph',
      credential: {
        kind: 'clientSecret',
        tokenUrl: 'http://127.0.0.1:7071/_local/entra/t/oauth2/v2.0/token',
        clientId: 'client',
        clientSecret: 'secret',
      },
      groupCacheSeconds: 0,
    });
    expect(() => parseConfig(withAppKey({ MAA_GRAPH_TOKEN_URL: 'https://login.example.test/token' }))).toThrow(
      /MAA_GRAPH_CLIENT_ID.*MAA_GRAPH_CLIENT_SECRET/,
    );
    expect(() => parseConfig(withAppKey({ MAA_GRAPH_CLIENT_SECRET: 'secret' }))).toThrow(/MAA_GRAPH_TOKEN_URL/);
  });

  it('read app roles of MAA_API_APP_ID, else of the first GUID among the audiences', () => {
    const app = '6c0ffee0-0000-4000-8000-000000000001';
    const tenant = { MAA_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47' };
    expect(
      parseConfig(withAppKey({ ...tenant, MAA_AUTH_AUDIENCE: `api://${app},${app}` })).identity.graph.apiAppId,
    ).toBe(app);
    expect(
      parseConfig(withAppKey({ ...tenant, MAA_AUTH_AUDIENCE: 'api://maa', MAA_API_APP_ID: app })).identity.graph
        .apiAppId,
    ).toBe(app);
    expect(
      parseConfig(withAppKey({ ...tenant, MAA_AUTH_AUDIENCE: 'api://maa' })).identity.graph.apiAppId,
    ).toBeUndefined();
    expect(() => parseConfig(withAppKey({ MAA_API_APP_ID: 'not-a-guid' }))).toThrow(/MAA_API_APP_ID/);
  });

  it('never put the client secret in an error', () => {
    expect(() => parseConfig(withAppKey({ MAA_GRAPH_CLIENT_SECRET: 'do-not-print-me' }))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('do-not-print-me') }),
    );
  });
});
