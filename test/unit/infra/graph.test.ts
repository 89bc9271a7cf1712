import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CATALOGUE } from '../../../shared/intune/catalogue';
import { INTUNE_PROFILE_TYPES } from '../../../shared/intune/settings';
import { RESOURCE_SPECS } from '../../../shared/intune/targetReader';
import { read, repoRoot } from './support';

interface Permission {
  value: string;
  when: 'always' | 'mailSender' | 'intune';
  profileTypes?: string[];
}

// Graph calls in the code → the application permission each needs.
const CALLS: { pattern: RegExp; permission: string }[] = [
  {
    pattern: /\/checkMemberGroups|\/getMemberGroups|\/transitiveMemberOf|\/groups\/[^'"`]*\/(transitive)?members/,
    permission: 'GroupMember.Read.All',
  },
  { pattern: /\/servicePrincipals[(/]/, permission: 'Application.Read.All' },
  { pattern: /\/sendMail\b/, permission: 'Mail.Send' },
  { pattern: /\/deviceManagement\/remoteActionAudits/, permission: 'DeviceManagementManagedDevices.Read.All' },
  { pattern: /\/groups\/\$\{[^}]*\}\?\$select=id,displayName/, permission: 'GroupMember.Read.All' },
];

/** The permissions granted when the Graph executor performs `types`, as main.bicep filters them. */
function granted(list: Permission[], types: readonly string[]): string[] {
  return list
    .filter(
      (p) => p.when === 'always' || (p.when === 'intune' && (p.profileTypes ?? []).some((t) => types.includes(t))),
    )
    .map((p) => p.value);
}

// A `.ReadWrite.All` permission allows the reads of its `.Read.All`.
const allows = (grants: string[], permission: string) =>
  grants.includes(permission) || grants.includes(permission.replace(/\.Read\.All$/, '.ReadWrite.All'));

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

  it.each(CATALOGUE.map((entry) => [`${entry.profileType} ${entry.resourceType} ${entry.action}`, entry] as const))(
    'the Graph executor performing %s alone is granted the write permission and a read of its target',
    (_, entry) => {
      const grants = granted(list, [entry.profileType]);
      expect(grants).toContain(entry.permission);
      const spec = RESOURCE_SPECS[entry.resourceType];
      expect(spec).toBeDefined();
      expect(allows(grants, spec!.readPermission)).toBe(true);
      if (entry.deviceAction) expect(allows(grants, 'DeviceManagementManagedDevices.Read.All')).toBe(true);
    },
  );

  it('grants an Intune permission only for the profile types that need it (least privilege)', () => {
    expect(granted(list, ['app'])).toEqual([
      'GroupMember.Read.All',
      'Application.Read.All',
      'User.ReadBasic.All',
      'DeviceManagementApps.ReadWrite.All',
    ]);
    expect(granted(list, [])).not.toEqual(expect.arrayContaining([expect.stringMatching(/^DeviceManagement/)]));
    for (const entry of list.filter((p) => p.when === 'intune')) {
      expect(entry.profileTypes?.length).toBeGreaterThan(0);
      for (const type of entry.profileTypes ?? []) expect(INTUNE_PROFILE_TYPES).toContain(type);
    }
  });

  it('main.bicep grants the Intune permissions of the types Graph performs, and both scripts map each type to them', () => {
    const bicep = read('infra/main.bicep');
    expect(bicep).toContain(`var intuneProfileTypes = [${INTUNE_PROFILE_TYPES.map((t) => `'${t}'`).join(', ')}]`);
    expect(bicep).toMatch(
      /p\.when == 'intune' && !empty\(intersection\(p\.\?profileTypes \?\? \[\], graphExecutedTypes\)\)/,
    );
    const [sh, ps1] = scripts;
    for (const type of INTUNE_PROFILE_TYPES) {
      const perms = list.filter((p) => p.profileTypes?.includes(type)).map((p) => p.value);
      const shLine = sh!.split('\n').find((line) => new RegExp(`^\\s*[\\w|]*\\b${type}\\b[\\w|]*\\)`).test(line));
      const psLine = ps1!.split('\n').find((line) => new RegExp(`^\\s*${type}\\s*=`).test(line));
      expect([type, shLine?.match(/DeviceManagement[\w.]+/g)?.sort()]).toEqual([type, [...perms].sort()]);
      expect([type, psLine?.match(/DeviceManagement[\w.]+/g)?.sort()]).toEqual([type, [...perms].sort()]);
    }
  });

  it('main.bicep grants the list through entra-api-app.bicep', () => {
    expect(read('infra/main.bicep')).toContain("loadJsonContent('entra/graph-permissions.json')");
    expect(read('infra/app/entra-api-app.bicep')).toMatch(/Microsoft\.Graph\/appRoleAssignedTo@v1\.0/);
  });

  it('the app registration declares the four app roles and the CLI scope', () => {
    const app = read('infra/app/entra-api-app.bicep');
    for (const role of ['MAA.Requester', 'MAA.Approver', 'MAA.PolicyAdmin', 'MAA.Operator', 'access_as_user'])
      expect(app).toContain(`'${role}'`);
    expect(app).toMatch(/requestedAccessTokenVersion: 2/);
  });
});
