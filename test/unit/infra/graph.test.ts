import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { read, repoRoot } from './support';

interface Permission {
  value: string;
  when: 'always' | 'mailSender' | 'intune';
}

// Graph calls in the code → the application permission each needs.
const CALLS: { pattern: RegExp; permission: string }[] = [
  {
    pattern: /\/checkMemberGroups|\/getMemberGroups|\/transitiveMemberOf|\/groups\/[^'"`]*\/(transitive)?members/,
    permission: 'GroupMember.Read.All',
  },
  { pattern: /\/servicePrincipals[(/]/, permission: 'Application.Read.All' },
  { pattern: /\/sendMail\b/, permission: 'Mail.Send' },
  {
    pattern: /\/deviceManagement\/managedDevices\/[^'"`]*\/(wipe|retire)/,
    permission: 'DeviceManagementManagedDevices.PrivilegedOperations.All',
  },
];

function sources(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : [],
  );
}

describe('Microsoft Graph permissions: the code, the documented list, the templates and the scripts agree', () => {
  const list = (JSON.parse(read('infra/entra/graph-permissions.json')) as { permissions: Permission[] }).permissions;
  const code = ['shared', 'functions', 'orchestrations']
    .flatMap(sources)
    .map((file) => readFileSync(path.join(repoRoot, file), 'utf8'))
    .join('\n');
  const needed = CALLS.filter((call) => call.pattern.test(code)).map((call) => call.permission);
  const deployDocs = read('docs/deploy.md');
  const scripts = [read('infra/scripts/grant-graph-permissions.sh'), read('infra/scripts/grant-graph-permissions.ps1')];

  it('finds the group membership calls', () => {
    expect(needed).toContain('GroupMember.Read.All');
    expect(needed).toContain('Application.Read.All');
  });

  it.each(needed)('%s, which the code needs, is in infra/entra/graph-permissions.json', (permission) => {
    expect(list.map((entry) => entry.value)).toContain(permission);
  });

  it.each(list.map((entry) => entry.value))(
    '%s is documented in docs/deploy.md and granted by both scripts',
    (permission) => {
      expect(deployDocs).toContain(`\`${permission}\``);
      for (const script of scripts) expect(script).toContain(permission);
    },
  );

  it('main.bicep grants the list through graph-permissions.bicep', () => {
    expect(read('infra/main.bicep')).toContain("loadJsonContent('entra/graph-permissions.json')");
    expect(read('infra/app/graph-permissions.bicep')).toMatch(/Microsoft\.Graph\/appRoleAssignedTo@v1\.0/);
  });

  it('the app registration declares the four app roles and the CLI scope', () => {
    const app = read('infra/app/entra-api-app.bicep');
    for (const role of ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin', 'MAA.Operator', 'access_as_user'])
      expect(app).toContain(`'${role}'`);
    expect(app).toMatch(/requestedAccessTokenVersion: 2/);
  });
});
