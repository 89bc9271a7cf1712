import { readdirSync } from 'node:fs';
import path from 'node:path';
import { read, repoRoot } from './support';

const bicepFiles = [
  'infra/main.bicep',
  ...['app', 'modules'].flatMap((dir) =>
    readdirSync(path.join(repoRoot, 'infra', dir))
      .filter((name) => name.endsWith('.bicep'))
      .map((name) => `infra/${dir}/${name}`),
  ),
];

describe('role assignments in the Bicep templates', () => {
  it.each(bicepFiles)('%s: every role GUID carries a comment naming the role', (file) => {
    for (const line of read(file).split('\n')) {
      if (/'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/i.test(line) && !/guid\(/.test(line))
        expect(line).toMatch(/\/\/ \S/);
    }
  });

  it.each(bicepFiles)(
    '%s: every role assignment is named guid(scope, principal, role) and states its principalType',
    (file) => {
      const text = read(file);
      for (const match of text.matchAll(
        /resource \w+ 'Microsoft\.Authorization\/roleAssignments@[^']+' = [\s\S]*?\n(?:\]|\})\n/g,
      )) {
        expect(match[0]).toMatch(
          /name: guid\(\w+\.id, \w+\.principalId, \w+\.role\)|name: guid\(\w+\.id, appPrincipalId, \w+\)/,
        );
        expect(match[0]).toMatch(/principalType: /);
      }
      for (const match of text.matchAll(
        /resource \w+ 'Microsoft\.DocumentDB\/databaseAccounts\/sqlRoleAssignments@[^']+' = [\s\S]*?\n\]\n/g,
      )) {
        expect(match[0]).toMatch(/name: guid\(account\.id, principalId, dataContributor\)/);
      }
    },
  );

  it('the storage account allows no shared keys, and the vault uses RBAC', () => {
    expect(read('infra/main.bicep')).toMatch(/allowSharedKeyAccess: false/);
    expect(read('infra/app/keyvault.bicep')).toMatch(/enableRbacAuthorization: true/);
  });
});
