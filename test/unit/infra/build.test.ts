import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD_DIR, GRAPH_FILE, bicepFiles, infraBuild, registryReferences } from '../../../scripts/infraBuild';
import { requireTool } from '../../support/tools';
import { bicepAppSettings, read } from './support';

// `npm run infra:build` through jest: every Bicep file compiles to ARM JSON with no linter warning,
// and the compiled templates deploy what the consistency tests expect. Skipped (with a notice)
// without the Bicep CLI, unless MAA_REQUIRE_BICEP=1 (CI).
const bicep = requireTool('bicep', 'MAA_REQUIRE_BICEP');
const describeWithBicep = bicep ? describe : describe.skip;

type Template = { resources: Record<string, Resource> | Resource[] };
type Resource = { type: string; properties?: Record<string, unknown>; [key: string]: unknown };

function compiled(file: string): Template {
  return JSON.parse(readFileSync(path.join(BUILD_DIR, file.replace(/\.bicep$/, '.json')), 'utf8')) as Template;
}

/** The nested template a module deployment of main.json holds, by its deployment name. */
function moduleTemplate(name: string): Template {
  const resources = Object.values(compiled('main.bicep').resources);
  const deployment = resources.find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === name);
  if (!deployment) throw new Error(`main.json deploys no module named ${name}`);
  return (deployment.properties as { template: Template }).template;
}

function resourcesOf(template: Template, type: string): Resource[] {
  return Object.values(template.resources).filter((r) => r.type === type);
}

describe('the Bicep sources', () => {
  it('reference no registry module or extension outside the Graph file (a restore cannot run offline)', () => {
    for (const file of bicepFiles().filter((f) => f !== GRAPH_FILE))
      expect([file, registryReferences(read(`infra/${file}`))]).toEqual([file, []]);
  });

  it('use the Microsoft Graph extension in one file only', () => {
    const users = bicepFiles().filter((file) => /^extension microsoftGraphV1/m.test(read(`infra/${file}`)));
    expect(users).toEqual([GRAPH_FILE]);
  });
});

describeWithBicep('npm run infra:build', () => {
  let problems: string[] = [];
  beforeAll(() => {
    problems = infraBuild(bicep!);
  }, 300_000);

  it('compiles every Bicep file but the Graph one, with no linter warning', () => {
    expect(problems).toEqual([]);
    for (const file of bicepFiles().filter((f) => f !== GRAPH_FILE)) expect(compiled(file).resources).toBeDefined();
  });

  it('deploys the storage account without shared keys or public blobs, and the deployment container', () => {
    const [account] = resourcesOf(moduleTemplate('storage'), 'Microsoft.Storage/storageAccounts');
    expect(account?.properties).toMatchObject({
      allowSharedKeyAccess: "[parameters('allowSharedKeyAccess')]",
      allowBlobPublicAccess: "[parameters('allowBlobPublicAccess')]",
      minimumTlsVersion: "[parameters('minimumTlsVersion')]",
      supportsHttpsTrafficOnly: true,
    });
    const deployment = Object.values(compiled('main.bicep').resources).find((r) => r.name === 'storage');
    expect((deployment?.properties as { parameters: Record<string, unknown> }).parameters).toMatchObject({
      allowSharedKeyAccess: { value: false },
      allowBlobPublicAccess: { value: false },
      minimumTlsVersion: { value: 'TLS1_2' },
    });
  });

  it('runs Application Insights with local auth off and the key vault with RBAC', () => {
    const deployment = Object.values(compiled('main.bicep').resources).find((r) => r.name === 'appInsights');
    expect((deployment?.properties as { parameters: Record<string, unknown> }).parameters).toMatchObject({
      disableLocalAuth: { value: true },
    });
    const [vault] = resourcesOf(compiled('app/keyvault.bicep'), 'Microsoft.KeyVault/vaults');
    expect(vault?.properties).toMatchObject({ enableRbacAuthorization: true });
  });

  it('passes the Function App every app setting main.bicep lists', () => {
    const deployment = Object.values(compiled('main.bicep').resources).find((r) => r.name === 'api');
    const value = JSON.stringify((deployment?.properties as { parameters: Record<string, unknown> }).parameters);
    for (const name of bicepAppSettings().keys()) expect([name, value.includes(`'${name}'`)]).toEqual([name, true]);
  });
});
