import { parseConfig } from '../../../shared/config';
import { bicepAppSettings, read, documentedSettings, schemaSettings } from './support';
import { withAppKey } from '../../support/appKey';

// Settings Azure provides or that only make sense elsewhere; docs/settings.md says which (its "in Azure" column).
const NOT_FROM_BICEP = /^(optional|not used in Azure|set by App Service)/i;
// Secrets may reach Azure only as Key Vault references.
const SECRET = /(SECRET|_KEY|PASSWORD|TEAMS_WEBHOOK_URL)$/;

describe('app settings: code, Bicep, docs/settings.md and local.settings.sample.json agree', () => {
  const schema = schemaSettings();
  const bicep = bicepAppSettings();
  const documented = documentedSettings();

  it('derives the settings from the config schema', () => {
    // A sanity floor: the merged shapes hold the core, identity, link and notification settings.
    expect(schema).toEqual(
      expect.arrayContaining(['MAA_STORE', 'COSMOS_ENDPOINT', 'MAA_TENANT_ID', 'MAA_LINK_KEY', 'MAA_MAIL_SENDER']),
    );
  });

  it.each(schema)('%s is in the settings table of docs/settings.md', (name) => {
    expect(documented.has(name)).toBe(true);
  });

  it.each(schema)('%s is set by infra/main.bicep or documented as optional / not used in Azure', (name) => {
    const inAzure = documented.get(name)?.azure ?? '';
    if (!bicep.has(name)) expect(inAzure).toMatch(NOT_FROM_BICEP);
    else expect(inAzure).not.toMatch(NOT_FROM_BICEP);
  });

  it('Bicep sets no app setting of the app that the schema does not read', () => {
    const unknown = [...bicep.keys()].filter((name) => /^(MAA|COSMOS)_/.test(name) && !schema.includes(name));
    expect(unknown).toEqual([]);
  });

  it('Bicep sets secrets only as Key Vault references, and never the settings for emulators and secrets-based Graph', () => {
    for (const [name, value] of bicep) {
      if (SECRET.test(name)) expect(`${name}: ${value}`).toMatch(new RegExp(`^${name}: keyVaultReference\\(`));
    }
    for (const name of ['COSMOS_KEY', 'MAA_GRAPH_CLIENT_SECRET', 'MAA_GRAPH_TOKEN_URL'])
      expect(bicep.has(name)).toBe(false);
    expect(read('infra/main.bicep')).not.toMatch(
      /AccountKey=|SharedAccessSignature=|InstrumentationKey=[0-9a-f-]{36}/i,
    );
  });

  it('Bicep configures the identity-based runtime storage connection', () => {
    for (const name of [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    ]) {
      expect(bicep.has(name)).toBe(true);
    }
    expect(bicep.has('AzureWebJobsStorage')).toBe(false);
  });

  it('local.settings.sample.json lists only known settings, and parses', () => {
    const values = (JSON.parse(read('local.settings.sample.json')) as { Values: Record<string, string> }).Values;
    const hostSettings = ['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage'];
    expect(Object.keys(values).filter((name) => !schema.includes(name) && !hostSettings.includes(name))).toEqual([]);
    expect(() => parseConfig(withAppKey(values))).not.toThrow();
  });
});
