import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildPackage, type PackageResult } from '../../../scripts/package';
import { repoRoot } from './support';

const probe = path.join(repoRoot, 'dist', 'bench', 'importProbe.js');

function registered(appDir: string): string[] {
  return (JSON.parse(execFileSync(process.execPath, [probe, appDir], { encoding: 'utf8' })) as { functions: string[] })
    .functions;
}

// Needs the compiled app (npm test builds first).
describe('the deployment package (npm run package)', () => {
  let result: PackageResult;

  beforeAll(async () => {
    if (!existsSync(probe)) throw new Error('dist/ is missing: run npm run build first');
    result = await buildPackage(repoRoot);
  }, 120_000);

  it('registers exactly the functions the build registers, when loaded the way the worker loads main', () => {
    const fromPackage = registered(result.appDir);
    expect(fromPackage.length).toBeGreaterThan(0);
    expect(fromPackage).toEqual(registered(repoRoot));
  });

  it('holds only the bundle, host.json and a package.json naming it', () => {
    expect(result.files.map((file) => file.path).filter((file) => !file.endsWith('.LEGAL.txt'))).toEqual([
      'dist/main.js',
      'dist/vendor/azure-sdk.js',
      'host.json',
      'package.json',
    ]);
    const manifest = JSON.parse(readFileSync(path.join(result.appDir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.main).toBe('dist/main.js');
    expect(manifest.dependencies).toBeUndefined();
    expect(readFileSync(path.join(result.appDir, 'host.json'), 'utf8')).toBe(
      readFileSync(path.join(repoRoot, 'host.json'), 'utf8'),
    );
  });

  it('leaves out the local runtime and SQLite, and keeps the lazily loaded SDKs out of the entry', () => {
    const main = readFileSync(path.join(result.appDir, 'dist', 'main.js'), 'utf8');
    expect(main).not.toMatch(/local\/host\/|better_sqlite3\.node/);
    expect(main).not.toContain('class CosmosClient');
    expect(main).toContain('The SQLite store is not part of the Azure package');
  });

  it('loads the lazily bundled SDKs and builds their clients', () => {
    const script = [
      `const sdk = require(${JSON.stringify(path.join(result.appDir, 'dist', 'vendor', 'azure-sdk.js'))});`,
      "const credential = new sdk.identity.DefaultAzureCredential({ managedIdentityClientId: '00000000-0000-0000-0000-000000000000' });",
      "const cosmos = new sdk.cosmos.CosmosClient({ endpoint: 'https://example.documents.azure.com:443/', aadCredentials: credential });",
      'const axios = sdk.axios.default ?? sdk.axios;',
      "process.stdout.write([typeof cosmos.database, typeof credential.getToken, typeof axios.create({}).post].join(','));",
    ].join('\n');
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })).toBe('function,function,function');
  });

  it('is at most 5 MB zipped', () => {
    expect(result.zipBytes).toBeLessThanOrEqual(5 * 2 ** 20);
  });
});
