import { CATALOGUE, findEntry, type CatalogueEntry, type CatalogueOperation } from '../../../shared/intune/catalogue';
import { MAX_SCRIPT_BASE64 } from '../../../shared/intune/catalogue/fields';
import { checkOperation, type OperationIssue } from '../../../shared/intune/catalogue/validate';
import type { JsonValue, ProfileType } from '../../../shared/domain/model';

/** The operations issue 13 fixes, per profile type and resource type. */
const CONTRACT: Record<string, Record<string, string[]>> = {
  deviceWipe: { managedDevice: ['wipe'] },
  deviceRetire: { managedDevice: ['retire'] },
  deviceDelete: { managedDevice: ['delete'] },
  app: { mobileApp: ['assign', 'addAssignment', 'removeAssignment', 'delete'] },
  script: {
    deviceManagementScript: ['create', 'update', 'delete', 'assign'],
    deviceShellScript: ['create', 'update', 'delete', 'assign'],
    deviceHealthScript: ['create', 'update', 'delete', 'assign'],
  },
  compliancePolicy: { deviceCompliancePolicy: ['create', 'update', 'delete', 'assign'] },
  configurationPolicy: {
    configurationPolicy: ['create', 'replace', 'delete', 'assign'],
    deviceConfiguration: ['create', 'update', 'delete', 'assign'],
  },
  role: { roleDefinition: ['create', 'update', 'delete'], roleAssignment: ['create', 'update', 'delete'] },
  tenantConfiguration: { deviceCategory: ['create', 'update', 'delete'] },
};

/** Where each resource type lives in Graph. */
const COLLECTIONS: Record<string, [version: string, collection: string]> = {
  managedDevice: ['v1.0', '/deviceManagement/managedDevices'],
  mobileApp: ['v1.0', '/deviceAppManagement/mobileApps'],
  deviceManagementScript: ['beta', '/deviceManagement/deviceManagementScripts'],
  deviceShellScript: ['beta', '/deviceManagement/deviceShellScripts'],
  deviceHealthScript: ['beta', '/deviceManagement/deviceHealthScripts'],
  deviceCompliancePolicy: ['v1.0', '/deviceManagement/deviceCompliancePolicies'],
  configurationPolicy: ['beta', '/deviceManagement/configurationPolicies'],
  deviceConfiguration: ['v1.0', '/deviceManagement/deviceConfigurations'],
  roleDefinition: ['v1.0', '/deviceManagement/roleDefinitions'],
  roleAssignment: ['v1.0', '/deviceManagement/roleAssignments'],
  deviceCategory: ['v1.0', '/deviceManagement/deviceCategories'],
};

const GROUP = 'a9900000-0000-4000-8000-000000000102';
const named = (entry: CatalogueEntry) => `${entry.profileType}: ${entry.resourceType} ${entry.action}`;
const each = CATALOGUE.map((entry) => [named(entry), entry] as const);

function entry(profileType: ProfileType, resourceType: string, action: string): CatalogueEntry {
  const found = findEntry(profileType, resourceType, action);
  if (!found) throw new Error(`no entry ${profileType} ${resourceType} ${action}`);
  return found;
}

/** The stored operation of `entry`'s example with `payload` instead of its own. */
const withPayload = (of: CatalogueEntry, payload: JsonValue | undefined): CatalogueOperation => {
  const { payload: _own, ...rest } = of.example;
  return payload === undefined ? rest : { ...rest, payload };
};

/** Parses `operation` for `of`, failing the test with the issues when it is refused. */
function accepted(of: CatalogueEntry, operation: CatalogueOperation = of.example): CatalogueOperation {
  const checked = checkOperation(of.profileType, operation);
  if (!checked.ok) throw new Error(`refused: ${JSON.stringify(checked.issues)}`);
  return checked.operation;
}

/** The refusals of `operation` for `of`, as `path: message` (unknown keys as `path.key: is not a known field`). */
function refusals(of: Pick<CatalogueEntry, 'profileType'>, operation: CatalogueOperation): string[] {
  const checked = checkOperation(of.profileType, operation);
  if (checked.ok) return [];
  return checked.issues.flatMap((issue: OperationIssue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: is not a known field`)
      : [`${issue.path.join('.')}: ${issue.message}`],
  );
}

describe('the catalogue', () => {
  it('offers exactly the operations of the issue, each once', () => {
    const offered: Record<string, Record<string, string[]>> = {};
    for (const { profileType, resourceType, action } of CATALOGUE) {
      ((offered[profileType] ??= {})[resourceType] ??= []).push(action);
    }
    expect(offered).toEqual(CONTRACT);
  });

  it.each(each)('%s: creates take no resourceId, every other operation names its object', (_, of) => {
    expect(of.resourceId).toBe(of.action === 'create' ? 'none' : 'required');
  });

  it.each(each)(
    '%s: only creates, single additions and device actions need a read before they are sent again',
    (_, of) => {
      const checkFirst = of.action === 'create' || of.action === 'addAssignment' || of.deviceAction !== undefined;
      expect(of.idempotency).toBe(checkFirst ? 'checkFirst' : 'idempotent');
    },
  );

  it.each(each)('%s: its example is a valid operation, and parsing what is stored again changes nothing', (_, of) => {
    const stored = accepted(of);
    expect(accepted(of, stored)).toEqual(stored);
  });

  it.each(each)('%s: writes only below its own object in its collection, on its Graph version', (_, of) => {
    const [version, collection] = COLLECTIONS[of.resourceType]!;
    const operation = accepted(of);
    const calls = of.calls(operation);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.version).toBe(version);
      if (of.action === 'create') expect([call.method, call.path]).toEqual(['POST', collection]);
      else expect(`${call.path}/`.startsWith(`${collection}/${operation.resourceId}/`)).toBe(true);
      expect(call.method).not.toBe('GET');
    }
  });

  it.each(CATALOGUE.filter((of) => of.action === 'create').map((of) => [named(of), of] as const))(
    '%s: sends the description as given, where the executor appends its create marker',
    (_, of) => {
      const payload = { ...(of.example.payload as Record<string, JsonValue>), description: 'Agreed in CAB' };
      const [call] = of.calls(accepted(of, withPayload(of, payload)));
      expect((call!.body as Record<string, JsonValue>).description).toBe('Agreed in CAB');
    },
  );

  it('lower-cases the resource id it stores and puts in the path', () => {
    const wipe = entry('deviceWipe', 'managedDevice', 'wipe');
    const operation = accepted(wipe, { ...wipe.example, resourceId: 'D3A1C0DE-0000-4000-8000-00000000000A' });
    expect(operation.resourceId).toBe('d3a1c0de-0000-4000-8000-00000000000a');
    expect(wipe.calls(operation)[0]!.path).toBe(
      '/deviceManagement/managedDevices/d3a1c0de-0000-4000-8000-00000000000a/wipe',
    );
  });
});

describe('operations the catalogue refuses', () => {
  it('names the allowed operations of the profile type for an unknown action', () => {
    expect(
      refusals({ profileType: 'app' }, { action: 'publish', resourceType: 'mobileApp', resourceId: GROUP }),
    ).toEqual([
      'action: is not an operation of app; allowed: mobileApp: assign, addAssignment, removeAssignment, delete',
    ]);
  });

  it('names the resource types of the profile type for an unknown one, and the allowed operations', () => {
    expect(refusals({ profileType: 'script' }, { action: 'create', resourceType: 'linuxScript' })).toEqual([
      'resourceType: must be one of deviceManagementScript, deviceShellScript, deviceHealthScript for script',
      'action: is not an operation of script; allowed: deviceManagementScript: create, update, delete, assign; deviceShellScript: create, update, delete, assign; deviceHealthScript: create, update, delete, assign',
    ]);
  });

  it('refuses an operation of another profile type', () => {
    expect(refusals({ profileType: 'deviceRetire' }, entry('deviceWipe', 'managedDevice', 'wipe').example)).toEqual([
      'action: is not an operation of deviceRetire; allowed: managedDevice: retire',
    ]);
  });

  it.each([
    [
      'a missing resourceId',
      { action: 'retire', resourceType: 'managedDevice' },
      'resourceId: is required: retire acts on an existing managedDevice',
    ],
    [
      'a resourceId that is not a GUID',
      { action: 'retire', resourceType: 'managedDevice', resourceId: 'laptop-42' },
      'resourceId: must be the GUID of the managedDevice',
    ],
    [
      'a payload where the operation takes none',
      { action: 'retire', resourceType: 'managedDevice', resourceId: GROUP, payload: { keepUserData: true } },
      'payload: must be absent: retire takes no payload',
    ],
  ])('refuses %s', (_, operation, refusal) => {
    expect(refusals({ profileType: 'deviceRetire' }, operation)).toEqual([refusal]);
  });

  it('refuses a resourceId on a create', () => {
    const create = entry('tenantConfiguration', 'deviceCategory', 'create');
    expect(refusals(create, { ...create.example, resourceId: GROUP })).toEqual([
      'resourceId: must be absent: create creates a new deviceCategory',
    ]);
  });

  const ps1 = entry('script', 'deviceManagementScript', 'create');
  const cases: [string, CatalogueEntry, JsonValue | undefined, string[]][] = [
    [
      'a wipe PIN that is not six digits',
      entry('deviceWipe', 'managedDevice', 'wipe'),
      { macOsUnlockCode: '12345' },
      ['payload.macOsUnlockCode: must be the 6-digit recovery PIN'],
    ],
    [
      'a group target without its group, and an unknown intent',
      entry('app', 'mobileApp', 'assign'),
      { assignments: [{ target: 'group', intent: 'always' }] },
      [
        'payload.assignments.0.groupId: is required',
        'payload.assignments.0.intent: Invalid option: expected one of "required"|"available"|"uninstall"|"availableWithoutEnrollment"',
      ],
    ],
    [
      'an assignment target outside the closed list',
      entry('app', 'mobileApp', 'addAssignment'),
      { target: 'everyone', intent: 'required' },
      [
        "payload.target: Invalid discriminator value. Expected 'group' | 'exclusionGroup' | 'allDevices' | 'allLicensedUsers'",
      ],
    ],
    [
      'a group on an all-devices target, and a field the payload does not have',
      entry('app', 'mobileApp', 'addAssignment'),
      { target: 'allDevices', groupId: GROUP, intent: 'required', settings: {} },
      ['payload.groupId: is not a known field', 'payload.settings: is not a known field'],
    ],
    [
      'a group id that is not a GUID',
      entry('compliancePolicy', 'deviceCompliancePolicy', 'assign'),
      { assignments: [{ target: 'exclusionGroup', groupId: 'Sales' }] },
      ['payload.assignments.0.groupId: must be a GUID'],
    ],
    [
      'an assignment id that could reach another path',
      entry('app', 'mobileApp', 'removeAssignment'),
      { assignmentId: '../../mobileApps/x' },
      ["payload.assignmentId: must be an assignment id as Graph gives it (letters, digits, '_' and '-')"],
    ],
    [
      'a missing payload',
      entry('app', 'mobileApp', 'assign'),
      undefined,
      ['payload: Invalid input: expected object, received undefined'],
    ],
    [
      'script content that is not Base64, a file name of another kind and an unknown account',
      ps1,
      { displayName: 'x', scriptContent: 'Write-Output ok', fileName: 'x.sh', runAsAccount: 'admin' },
      [
        'payload.scriptContent: must be Base64 (padded, no line breaks)',
        'payload.runAsAccount: Invalid option: expected one of "system"|"user"',
        'payload.fileName: must end in .ps1',
      ],
    ],
    [
      'script content over the bound',
      ps1,
      { displayName: 'x', scriptContent: 'A'.repeat(MAX_SCRIPT_BASE64 + 4), fileName: 'x.ps1' },
      [`payload.scriptContent: must be at most ${MAX_SCRIPT_BASE64} Base64 characters`],
    ],
    [
      'an empty script and a file name with a path',
      ps1,
      { displayName: 'x', scriptContent: '', fileName: '../x.ps1' },
      [
        'payload.scriptContent: must not be empty',
        'payload.fileName: must be a plain file name (letters, digits, space, . _ - ( ))',
      ],
    ],
    [
      'a Windows-only field on a macOS script',
      entry('script', 'deviceShellScript', 'create'),
      { displayName: 'x', scriptContent: 'ZWNobyBvaw==', fileName: 'x.sh', enforceSignatureCheck: true },
      ['payload.enforceSignatureCheck: is not a known field'],
    ],
    [
      'an update that changes nothing',
      entry('script', 'deviceHealthScript', 'update'),
      {},
      ['payload: must change at least one field'],
    ],
    [
      'a remediation schedule at a time that does not exist',
      entry('script', 'deviceHealthScript', 'assign'),
      { assignments: [{ target: 'allDevices', schedule: { every: 'daily', time: '25:00' } }] },
      ['payload.assignments.0.schedule.time: must be HH:MM'],
    ],
    [
      'a compliance policy type outside the closed list',
      entry('compliancePolicy', 'deviceCompliancePolicy', 'update'),
      { policyType: 'linuxCompliancePolicy', displayName: 'x' },
      [
        'payload.policyType: Invalid option: expected one of "windows10CompliancePolicy"|"iosCompliancePolicy"|"macOSCompliancePolicy"|"androidWorkProfileCompliancePolicy"|"androidDeviceOwnerCompliancePolicy"',
      ],
    ],
    [
      'an update that only names the policy type',
      entry('compliancePolicy', 'deviceCompliancePolicy', 'update'),
      { policyType: 'iosCompliancePolicy' },
      ['payload: must change at least one field besides policyType'],
    ],
    [
      'settings that smuggle a type, a field of their own or a nested object',
      entry('compliancePolicy', 'deviceCompliancePolicy', 'update'),
      {
        policyType: 'iosCompliancePolicy',
        settings: { '@odata.type': 'x', scheduledActionsForRule: [], passcode: { a: 1 } },
      },
      [
        'payload.settings.@odata.type: must be a Graph property name (camelCase, 1..64 letters and digits)',
        'payload.settings.scheduledActionsForRule: is not a setting: it has a field of its own',
        'payload.settings.passcode: Invalid input',
      ],
    ],
    [
      'a settings catalog platform outside the list, a repeated technology and a setting without its definition',
      entry('configurationPolicy', 'configurationPolicy', 'create'),
      {
        name: 'x',
        platforms: 'windows11',
        technologies: ['mdm', 'mdm'],
        settings: [
          { settingInstance: { '@odata.type': '#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance' } },
        ],
      },
      [
        'payload.platforms: Invalid option: expected one of "android"|"androidEnterprise"|"aosp"|"iOS"|"linux"|"macOS"|"tvOS"|"visionOS"|"windows10"',
        'payload.technologies: must not repeat a technology',
        'payload.settings.0.settingInstance.settingDefinitionId: Invalid input: expected string, received undefined',
      ],
    ],
    [
      'a template profile type outside the closed list',
      entry('configurationPolicy', 'deviceConfiguration', 'create'),
      { configurationType: 'windows10CustomConfiguration', displayName: 'x' },
      [expect.stringMatching(/^payload\.configurationType: Invalid option/) as unknown as string],
    ],
    [
      'a role permission that is not an Intune resource action',
      entry('role', 'roleDefinition', 'create'),
      { displayName: 'x', rolePermissions: [{ resourceActions: [{ allowedResourceActions: ['*'] }] }] },
      [
        'payload.rolePermissions.0.resourceActions.0.allowedResourceActions.0: must be an Intune resource action, e.g. Microsoft.Intune_ManagedDevices_Read',
      ],
    ],
    [
      'a role assignment without members, with a repeated scope and a role that is not a GUID',
      entry('role', 'roleAssignment', 'create'),
      { displayName: 'x', roleDefinitionId: 'Help desk', members: [], resourceScopes: [GROUP, GROUP.toUpperCase()] },
      [
        'payload.roleDefinitionId: must be a GUID',
        'payload.members: must name at least one group',
        'payload.resourceScopes: must not repeat a group',
      ],
    ],
    [
      'a blank name and a description with a bidi control',
      entry('tenantConfiguration', 'deviceCategory', 'create'),
      { displayName: ' \u200b ', description: 'Sales \u202e' },
      [
        'payload.displayName: must not be blank',
        'payload.description: must not contain U+202E (a bidirectional control) in text (at position 6)',
      ],
    ],
    [
      'a name over 256 characters',
      entry('role', 'roleDefinition', 'update'),
      { displayName: 'x'.repeat(257) },
      ['payload.displayName: Too big: expected string to have <=256 characters'],
    ],
  ];
  it.each(cases)('refuses %s, at the payload paths', (_, of, payload, expected) => {
    expect(refusals(of, withPayload(of, payload))).toEqual(expected);
  });
});

describe("a new compliance policy's actions for noncompliance", () => {
  const create = entry('compliancePolicy', 'deviceCompliancePolicy', 'create');
  const policy = (rules: JsonValue) =>
    withPayload(create, {
      policyType: 'iosCompliancePolicy',
      displayName: 'iOS: passcode',
      settings: { passcodeRequired: true },
      scheduledActionsForRule: rules,
    });
  const actions = (...types: string[]) => [
    { scheduledActionConfigurations: types.map((actionType) => ({ actionType, gracePeriodHours: 0 })) },
  ];

  it.each([
    ['no block action', actions('notification'), 0],
    ['two block actions', actions('block', 'block'), 2],
    ['only a retire', actions('retire'), 0],
  ])('are refused with %s', (_, rules, count) => {
    expect(refusals(create, policy(rules))).toEqual([
      `payload.scheduledActionsForRule: must hold exactly one block action (it holds ${count}): Intune refuses a compliance policy without exactly one`,
    ]);
  });

  it('are refused when missing, or split over two rules', () => {
    expect(refusals(create, policy(null))).toEqual([
      'payload.scheduledActionsForRule: Invalid input: expected array, received null',
    ]);
    expect(refusals(create, policy([...actions('block'), ...actions('notification')]))).toEqual([
      'payload.scheduledActionsForRule: must hold exactly one rule',
    ]);
  });

  it('are sent as Graph takes them when they hold exactly one block, beside others', () => {
    const operation = accepted(create, policy(actions('notification', 'block')));
    expect(create.calls(operation)).toEqual([
      {
        method: 'POST',
        version: 'v1.0',
        path: '/deviceManagement/deviceCompliancePolicies',
        body: {
          '@odata.type': '#microsoft.graph.iosCompliancePolicy',
          displayName: 'iOS: passcode',
          passcodeRequired: true,
          scheduledActionsForRule: [
            {
              ruleName: null,
              scheduledActionConfigurations: [
                { actionType: 'notification', gracePeriodHours: 0 },
                { actionType: 'block', gracePeriodHours: 0 },
              ],
            },
          ],
        },
      },
    ]);
  });
});

describe("a wipe's macOS unlock code", () => {
  const wipe = entry('deviceWipe', 'managedDevice', 'wipe');

  it('is a secret field of the wipe only', () => {
    expect(CATALOGUE.filter((of) => of.secretFields?.length).map(named)).toEqual(['deviceWipe: managedDevice wipe']);
    expect(wipe.secretFields).toEqual(['macOsUnlockCode']);
  });

  it('is left out of the call shown without secrets, sealed or in clear', () => {
    for (const code of ['123456', { sealed: 'v1.k1.abc' }] as JsonValue[]) {
      const operation = withPayload(wipe, { keepUserData: true, macOsUnlockCode: code });
      expect(wipe.calls(operation)).toEqual([
        {
          method: 'POST',
          version: 'v1.0',
          path: `/deviceManagement/managedDevices/${wipe.example.resourceId}/wipe`,
          body: { keepUserData: true },
        },
      ]);
    }
  });

  it('is sent, opened, when the executor passes the secrets', () => {
    const operation = withPayload(wipe, { keepUserData: true, macOsUnlockCode: { sealed: 'v1.k1.abc' } });
    expect(wipe.calls(operation, { macOsUnlockCode: '654321' })[0]!.body).toEqual({
      keepUserData: true,
      macOsUnlockCode: '654321',
    });
  });
});
