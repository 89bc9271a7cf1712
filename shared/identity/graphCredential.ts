import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { ClientSecretPostCredential } from './clientSecretCredential';
import type { GraphCredentialConfig } from './settings';

/** The app's Graph credential: client secret against the configured token URL, else `DefaultAzureCredential`. */
export function createGraphCredential(config: GraphCredentialConfig): TokenCredential {
  return config.kind === 'clientSecret' ? new ClientSecretPostCredential(config) : new DefaultAzureCredential();
}
