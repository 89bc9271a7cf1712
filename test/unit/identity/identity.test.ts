jest.mock('jose', () => jest.requireActual<typeof import('./nativeJose')>('./nativeJose').loadJose());

import { DefaultAzureCredential } from '@azure/identity';
import { ConfigError, parseConfig } from '../../../shared/config';
import { CachedDirectory } from '../../../shared/identity/directory';
import { ClientSecretPostCredential } from '../../../shared/identity/clientSecretCredential';
import { createGraphCredential, createIdentity } from '../../../shared/identity/identity';
import { TokenValidator } from '../../../shared/identity/tokenValidator';
import { withAppKey } from '../../support/appKey';

describe('createIdentity', () => {
  it('refuses to build without authentication settings, naming them', () => {
    expect(() => createIdentity(parseConfig(withAppKey({})).identity)).toThrow(ConfigError);
    expect(() => createIdentity(parseConfig(withAppKey({})).identity)).toThrow(/MAA_TENANT_ID.*MAA_AUTH_AUDIENCE/);
  });

  it('builds the validator and the cached Graph directory from configuration', () => {
    const identity = createIdentity(
      parseConfig(withAppKey({ MAA_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47', MAA_AUTH_AUDIENCE: 'api://maa' }))
        .identity,
    );
    expect(identity.tokens).toBeInstanceOf(TokenValidator);
    expect(identity.directory).toBeInstanceOf(CachedDirectory);
  });

  it('chooses the Graph credential from configuration', () => {
    expect(createGraphCredential({ kind: 'default' })).toBeInstanceOf(DefaultAzureCredential);
    expect(
      createGraphCredential({
        kind: 'clientSecret',
        tokenUrl: 'http://127.0.0.1:1/token',
        clientId: 'a',
        clientSecret: 'b',
      }),
    ).toBeInstanceOf(ClientSecretPostCredential);
  });
});
