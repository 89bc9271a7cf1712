import { LOCAL_GROUPS, LOCAL_USERS } from '../identity/seed';
import type { CollectionName } from './collections';

/**
 * The local Intune tenant as it starts: objects with fixed ids (`<prefix>-0000-4000-8000-00000000000N`)
 * that docs and tests rely on. Devices belong to the seeded directory users; apps, scripts and
 * policies are assigned to the seeded directory groups. Nothing here is a real tenant.
 */

/**
 * One seeded object with its navigation properties (kept apart from the Graph object). Assignment
 * ids are `<object id>_<group id>`, as the tenant names the assignments it is sent.
 */
export interface SeedObject {
  readonly body: Record<string, unknown>;
  readonly assignments?: Record<string, unknown>[];
  readonly settings?: Record<string, unknown>[];
  readonly roleDefinitionId?: string;
}

const id = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The groups Intune objects are assigned to: `maa-approvers`, `Sales devices`, `Kiosks`, `Pilot users`. */
export const TARGET_GROUPS = Object.freeze({
  approvers: LOCAL_GROUPS[0]!.id,
  sales: LOCAL_GROUPS[1]!.id,
  kiosks: LOCAL_GROUPS[2]!.id,
  pilot: LOCAL_GROUPS[3]!.id,
});

const CREATED = '2026-03-02T09:15:00Z';
const MODIFIED = '2026-10-14T13:40:00Z';

const group = (groupId: string) => ({ '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId });
const exclusion = (groupId: string) => ({ '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId });
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

interface DeviceSeed {
  n: number;
  deviceName: string;
  operatingSystem: string;
  osVersion: string;
  owner: string;
  ownership: 'company' | 'personal';
  compliance: 'compliant' | 'noncompliant';
  model: string;
  manufacturer: string;
  serialNumber: string;
  syncedHoursAgo: number;
  phone?: { imei: string; phoneNumber: string };
}

const DEVICES: DeviceSeed[] = [
  {
    n: 1,
    deviceName: 'LT-ALICE-01',
    operatingSystem: 'Windows',
    osVersion: '10.0.22631.4602',
    owner: 'alice',
    ownership: 'company',
    compliance: 'compliant',
    model: 'Latitude 7440',
    manufacturer: 'Dell Inc.',
    serialNumber: '5CG3451QXZ',
    syncedHoursAgo: 2,
  },
  {
    n: 2,
    deviceName: 'MAC-BOB-01',
    operatingSystem: 'macOS',
    osVersion: '15.1',
    owner: 'bob',
    ownership: 'company',
    compliance: 'compliant',
    model: 'MacBook Pro (14-inch, 2024)',
    manufacturer: 'Apple',
    serialNumber: 'C02FK3Q1MD6T',
    syncedHoursAgo: 5,
  },
  {
    n: 3,
    deviceName: 'IPH-CAROL-01',
    operatingSystem: 'iOS',
    osVersion: '18.1',
    owner: 'carol',
    ownership: 'company',
    compliance: 'noncompliant',
    model: 'iPhone 15',
    manufacturer: 'Apple',
    serialNumber: 'F2LZK8QJN72J',
    syncedHoursAgo: 30,
    phone: { imei: '356789104563218', phoneNumber: '+15555550103' },
  },
  {
    n: 4,
    deviceName: 'AND-DAVE-01',
    operatingSystem: 'Android',
    osVersion: '15',
    owner: 'dave',
    ownership: 'personal',
    compliance: 'compliant',
    model: 'Pixel 8',
    manufacturer: 'Google',
    serialNumber: '39081FDJH00A4K',
    syncedHoursAgo: 1,
    phone: { imei: '352099001761481', phoneNumber: '+15555550104' },
  },
  {
    n: 5,
    deviceName: 'LT-OLGA-01',
    operatingSystem: 'Windows',
    osVersion: '10.0.19045.5131',
    owner: 'olga',
    ownership: 'company',
    compliance: 'compliant',
    model: 'ThinkPad T14 Gen 4',
    manufacturer: 'LENOVO',
    serialNumber: 'PF4KXW2B',
    syncedHoursAgo: 8,
  },
  {
    n: 6,
    deviceName: 'IPAD-KIOSK-01',
    operatingSystem: 'iOS',
    osVersion: '17.6',
    owner: 'alice',
    ownership: 'company',
    compliance: 'compliant',
    model: 'iPad (10th generation)',
    manufacturer: 'Apple',
    serialNumber: 'DMPHX2K1Q1GC',
    syncedHoursAgo: 3,
  },
];

/**
 * A managed device as Graph describes it, synced `now`, company-owned and compliant unless told
 * otherwise (also what `POST /_local/intune/managedDevices` creates).
 */
export function managedDevice(input: {
  id: string;
  deviceName: string;
  operatingSystem: string;
  userPrincipalName: string;
  osVersion?: string;
  ownership?: 'company' | 'personal';
  compliance?: 'compliant' | 'noncompliant';
  model?: string;
  manufacturer?: string;
  serialNumber?: string;
  lastSyncDateTime: string;
  enrolledDateTime: string;
  phone?: { imei: string; phoneNumber: string };
}): Record<string, unknown> {
  const user = LOCAL_USERS.find((candidate) => candidate.userPrincipalName === input.userPrincipalName.toLowerCase());
  return {
    '@odata.type': '#microsoft.graph.managedDevice',
    id: input.id,
    userId: user?.id ?? null,
    deviceName: input.deviceName,
    managedDeviceName: `${input.userPrincipalName.split('@')[0]}_${input.operatingSystem}_${input.enrolledDateTime.slice(0, 10)}`,
    userPrincipalName: input.userPrincipalName,
    userDisplayName: user?.displayName ?? input.userPrincipalName,
    emailAddress: input.userPrincipalName,
    operatingSystem: input.operatingSystem,
    osVersion: input.osVersion ?? '',
    model: input.model ?? '',
    manufacturer: input.manufacturer ?? '',
    serialNumber: input.serialNumber ?? '',
    managedDeviceOwnerType: input.ownership ?? 'company',
    complianceState: input.compliance ?? 'compliant',
    managementAgent: 'mdm',
    managementState: 'managed',
    deviceEnrollmentType: input.operatingSystem === 'Windows' ? 'windowsAzureADJoin' : 'userEnrollment',
    deviceRegistrationState: 'registered',
    enrolledDateTime: input.enrolledDateTime,
    lastSyncDateTime: input.lastSyncDateTime,
    isEncrypted: true,
    isSupervised: input.operatingSystem === 'iOS',
    jailBroken: input.operatingSystem === 'iOS' || input.operatingSystem === 'Android' ? 'False' : 'Unknown',
    azureADRegistered: true,
    azureADDeviceId: input.id.replace(/^d3a1c0de/, 'aad0d3a1'),
    deviceCategoryDisplayName: 'Unknown',
    imei: input.phone?.imei ?? '',
    meid: '',
    phoneNumber: input.phone?.phoneNumber ?? '',
    wiFiMacAddress: '',
    notes: null,
    deviceActionResults: [],
  };
}

function devices(now: number): SeedObject[] {
  return DEVICES.map((device) => ({
    body: managedDevice({
      id: id('d3a1c0de', device.n),
      deviceName: device.deviceName,
      operatingSystem: device.operatingSystem,
      osVersion: device.osVersion,
      userPrincipalName: `${device.owner}@maa.test`,
      ownership: device.ownership,
      compliance: device.compliance,
      model: device.model,
      manufacturer: device.manufacturer,
      serialNumber: device.serialNumber,
      lastSyncDateTime: new Date(now - device.syncedHoursAgo * 3_600_000).toISOString(),
      enrolledDateTime: CREATED,
      ...(device.phone ? { phone: device.phone } : {}),
    }),
  }));
}

const times = { createdDateTime: CREATED, lastModifiedDateTime: MODIFIED };

function mobileApps(): SeedObject[] {
  const appId = (n: number) => id('a9900a00', n);
  const appAssignment = (app: number, target: Record<string, unknown>, intent: string) => ({
    '@odata.type': '#microsoft.graph.mobileAppAssignment',
    id: `${appId(app)}_${String(target.groupId)}`,
    intent,
    target,
    settings: null,
  });
  return [
    {
      body: {
        '@odata.type': '#microsoft.graph.win32LobApp',
        id: appId(1),
        displayName: 'Contoso VPN Client',
        description: 'Always-on VPN client for company laptops.',
        publisher: 'Contoso Ltd.',
        displayVersion: '5.2.1',
        fileName: 'ContosoVPN-5.2.1.intunewin',
        installCommandLine: 'msiexec /i ContosoVPN.msi /qn',
        uninstallCommandLine: 'msiexec /x {6C1D5A2E-1F0B-4B0E-9C2A-6E4A9E1B2C3D} /qn',
        publishingState: 'published',
        isAssigned: true,
        ...times,
      },
      assignments: [
        appAssignment(1, group(TARGET_GROUPS.sales), 'required'),
        appAssignment(1, exclusion(TARGET_GROUPS.kiosks), 'required'),
      ],
    },
    {
      body: {
        '@odata.type': '#microsoft.graph.iosStoreApp',
        id: appId(2),
        displayName: 'Microsoft Authenticator',
        description: 'Multi-factor sign-in for iPhone and iPad.',
        publisher: 'Microsoft Corporation',
        bundleId: 'com.microsoft.azureauthenticator',
        appStoreUrl: 'https://apps.apple.com/app/microsoft-authenticator/id983156458',
        applicableDeviceType: { iPad: true, iPhoneAndIPod: true },
        minimumSupportedOperatingSystem: { v16_0: true },
        publishingState: 'published',
        isAssigned: true,
        ...times,
      },
      assignments: [
        appAssignment(2, group(TARGET_GROUPS.pilot), 'available'),
        appAssignment(2, group(TARGET_GROUPS.kiosks), 'required'),
      ],
    },
    {
      body: {
        '@odata.type': '#microsoft.graph.webApp',
        id: appId(3),
        displayName: 'Expense portal',
        description: 'Shortcut to the expense portal.',
        publisher: 'Contoso IT',
        appUrl: 'https://expenses.contoso.example',
        useManagedBrowser: true,
        publishingState: 'published',
        isAssigned: true,
        ...times,
      },
      assignments: [appAssignment(3, group(TARGET_GROUPS.sales), 'available')],
    },
  ];
}

const scriptAssignment = (scriptId: string, groupId: string) => ({
  '@odata.type': '#microsoft.graph.deviceManagementScriptAssignment',
  id: `${scriptId}_${groupId}`,
  target: group(groupId),
});

function scripts(): Record<'deviceManagementScripts' | 'deviceShellScripts' | 'deviceHealthScripts', SeedObject[]> {
  const windows = (n: number) => id('5c410000', n);
  return {
    deviceManagementScripts: [
      {
        body: {
          '@odata.type': '#microsoft.graph.deviceManagementScript',
          id: windows(1),
          displayName: 'Set time zone',
          description: 'Sets the time zone to W. Europe Standard Time.',
          fileName: 'Set-TimeZone.ps1',
          scriptContent: base64('Set-TimeZone -Id "W. Europe Standard Time"\n'),
          runAsAccount: 'system',
          enforceSignatureCheck: false,
          runAs32Bit: false,
          roleScopeTagIds: ['0'],
          ...times,
        },
        assignments: [scriptAssignment(windows(1), TARGET_GROUPS.sales)],
      },
      {
        body: {
          '@odata.type': '#microsoft.graph.deviceManagementScript',
          id: windows(2),
          displayName: 'Clear Teams cache',
          description: 'Removes the classic Teams cache for the signed-in user.',
          fileName: 'Clear-TeamsCache.ps1',
          scriptContent: base64(
            'Get-Process -Name Teams -ErrorAction SilentlyContinue | Stop-Process -Force\nRemove-Item "$env:APPDATA\\Microsoft\\Teams\\Cache" -Recurse -Force -ErrorAction SilentlyContinue\n',
          ),
          runAsAccount: 'user',
          enforceSignatureCheck: false,
          runAs32Bit: false,
          roleScopeTagIds: ['0'],
          ...times,
        },
        assignments: [],
      },
    ],
    deviceShellScripts: [
      {
        body: {
          '@odata.type': '#microsoft.graph.deviceShellScript',
          id: id('5c420000', 1),
          displayName: 'Enable firewall stealth mode',
          description: 'Turns on the macOS application firewall in stealth mode.',
          fileName: 'stealth.sh',
          scriptContent: base64(
            '#!/bin/zsh\n/usr/libexec/ApplicationFirewall/socketfilterfw --setglobalstate on\n/usr/libexec/ApplicationFirewall/socketfilterfw --setstealthmode on\n',
          ),
          runAsAccount: 'system',
          executionFrequency: 'PT24H',
          retryCount: 2,
          blockExecutionNotifications: true,
          roleScopeTagIds: ['0'],
          ...times,
        },
        assignments: [scriptAssignment(id('5c420000', 1), TARGET_GROUPS.pilot)],
      },
    ],
    deviceHealthScripts: [
      {
        body: {
          '@odata.type': '#microsoft.graph.deviceHealthScript',
          id: id('5c430000', 1),
          displayName: 'Restart stopped Print Spooler',
          description: 'Detects a stopped Print Spooler service and starts it.',
          publisher: 'Contoso IT',
          version: '1',
          detectionScriptContent: base64(
            'if ((Get-Service -Name Spooler).Status -ne "Running") { exit 1 } else { exit 0 }\n',
          ),
          remediationScriptContent: base64('Start-Service -Name Spooler\n'),
          detectionScriptParameters: [],
          remediationScriptParameters: [],
          runAsAccount: 'system',
          runAs32Bit: false,
          enforceSignatureCheck: false,
          isGlobalScript: false,
          roleScopeTagIds: ['0'],
          ...times,
        },
        assignments: [
          {
            '@odata.type': '#microsoft.graph.deviceHealthScriptAssignment',
            id: `${id('5c430000', 1)}_${TARGET_GROUPS.sales}`,
            target: group(TARGET_GROUPS.sales),
            runRemediationScript: true,
            runSchedule: {
              '@odata.type': '#microsoft.graph.deviceHealthScriptDailySchedule',
              interval: 1,
              time: '09:00:00',
              useUtc: false,
            },
          },
        ],
      },
    ],
  };
}

const blockAction = [
  {
    ruleName: null,
    scheduledActionConfigurations: [
      { actionType: 'block', gracePeriodHours: 0, notificationTemplateId: '', notificationMessageCCList: [] },
    ],
  },
];

function policyAssignment(type: string, policyId: string, target: Record<string, unknown>) {
  return { '@odata.type': `#microsoft.graph.${type}`, id: `${policyId}_${String(target.groupId ?? 'all')}`, target };
}

function compliancePolicies(): SeedObject[] {
  const policyId = (n: number) => id('c0a10000', n);
  return [
    {
      body: {
        '@odata.type': '#microsoft.graph.windows10CompliancePolicy',
        id: policyId(1),
        displayName: 'Windows 10/11 baseline',
        description: 'BitLocker, Secure Boot and a minimum OS build for company laptops.',
        version: 3,
        passwordRequired: true,
        passwordMinimumLength: 12,
        osMinimumVersion: '10.0.19045',
        bitLockerEnabled: true,
        secureBootEnabled: true,
        codeIntegrityEnabled: true,
        storageRequireEncryption: true,
        scheduledActionsForRule: blockAction,
        ...times,
      },
      assignments: [policyAssignment('deviceCompliancePolicyAssignment', policyId(1), group(TARGET_GROUPS.sales))],
    },
    {
      body: {
        '@odata.type': '#microsoft.graph.iosCompliancePolicy',
        id: policyId(2),
        displayName: 'iOS minimum',
        description: 'A passcode and iOS 17 or later.',
        version: 1,
        passcodeRequired: true,
        passcodeMinimumLength: 6,
        osMinimumVersion: '17.0',
        securityBlockJailbrokenDevices: true,
        scheduledActionsForRule: blockAction,
        ...times,
      },
      assignments: [
        policyAssignment('deviceCompliancePolicyAssignment', policyId(2), group(TARGET_GROUPS.kiosks)),
        policyAssignment('deviceCompliancePolicyAssignment', policyId(2), group(TARGET_GROUPS.pilot)),
      ],
    },
  ];
}

const choiceSetting = (n: number, definitionId: string, value: string) => ({
  '@odata.type': '#microsoft.graph.deviceManagementConfigurationSetting',
  id: String(n),
  settingInstance: {
    '@odata.type': '#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance',
    settingDefinitionId: definitionId,
    choiceSettingValue: { value: `${definitionId}_${value}`, children: [] },
  },
});

const integerSetting = (n: number, definitionId: string, value: number) => ({
  '@odata.type': '#microsoft.graph.deviceManagementConfigurationSetting',
  id: String(n),
  settingInstance: {
    '@odata.type': '#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance',
    settingDefinitionId: definitionId,
    simpleSettingValue: { '@odata.type': '#microsoft.graph.deviceManagementConfigurationIntegerSettingValue', value },
  },
});

function configurationPolicies(): SeedObject[] {
  const policyId = (n: number) => id('c0f10000', n);
  const settings1 = [
    choiceSetting(0, 'device_vendor_msft_policy_config_defender_allowrealtimemonitoring', '1'),
    choiceSetting(1, 'device_vendor_msft_policy_config_defender_allowcloudprotection', '1'),
    integerSetting(2, 'device_vendor_msft_policy_config_defender_avgcpuloadfactor', 50),
  ];
  const settings2 = [
    integerSetting(0, 'com.apple.screensaver_idletime', 300),
    choiceSetting(1, 'com.apple.screensaver_askforpassword', 'true'),
  ];
  return [
    {
      body: {
        id: policyId(1),
        name: 'Defender Antivirus baseline',
        description: 'Real-time and cloud protection for Windows.',
        platforms: 'windows10',
        technologies: 'mdm,microsoftSense',
        roleScopeTagIds: ['0'],
        isAssigned: true,
        settingCount: settings1.length,
        templateReference: {
          templateId: '',
          templateFamily: 'none',
          templateDisplayName: null,
          templateDisplayVersion: null,
        },
        ...times,
      },
      settings: settings1,
      assignments: [
        policyAssignment('deviceManagementConfigurationPolicyAssignment', policyId(1), group(TARGET_GROUPS.sales)),
      ],
    },
    {
      body: {
        id: policyId(2),
        name: 'macOS screen lock',
        description: 'Screen saver after five minutes, with a password to unlock.',
        platforms: 'macOS',
        technologies: 'mdm,appleRemoteManagement',
        roleScopeTagIds: ['0'],
        isAssigned: true,
        settingCount: settings2.length,
        templateReference: {
          templateId: '',
          templateFamily: 'none',
          templateDisplayName: null,
          templateDisplayVersion: null,
        },
        ...times,
      },
      settings: settings2,
      assignments: [
        policyAssignment('deviceManagementConfigurationPolicyAssignment', policyId(2), group(TARGET_GROUPS.pilot)),
      ],
    },
  ];
}

function deviceConfigurations(): SeedObject[] {
  const configurationId = id('c0f20000', 1);
  return [
    {
      body: {
        '@odata.type': '#microsoft.graph.windows10GeneralConfiguration',
        id: configurationId,
        displayName: 'Windows restrictions (legacy)',
        description: 'Blocks the Microsoft Store and consumer features.',
        version: 2,
        appManagementMSIAllowUserControl: false,
        windowsStoreBlocked: true,
        experienceBlockConsumerFeatures: true,
        ...times,
      },
      assignments: [policyAssignment('deviceConfigurationAssignment', configurationId, group(TARGET_GROUPS.sales))],
    },
  ];
}

function roles(): { roleDefinitions: SeedObject[]; roleAssignments: SeedObject[] } {
  const definition = (n: number) => id('201e0000', n);
  return {
    roleDefinitions: [
      {
        body: {
          '@odata.type': '#microsoft.graph.deviceAndAppManagementRoleDefinition',
          id: definition(1),
          displayName: 'Helpdesk device operator',
          description: 'Reads devices and runs remote actions other than wipe.',
          isBuiltIn: false,
          rolePermissions: [
            {
              resourceActions: [
                {
                  allowedResourceActions: [
                    'Microsoft.Intune_ManagedDevices_Read',
                    'Microsoft.Intune_RemoteTasks_RebootNow',
                    'Microsoft.Intune_RemoteTasks_SyncDevice',
                    'Microsoft.Intune_RemoteTasks_Retire',
                  ],
                  notAllowedResourceActions: [],
                },
              ],
            },
          ],
          ...times,
        },
      },
      {
        body: {
          '@odata.type': '#microsoft.graph.deviceAndAppManagementRoleDefinition',
          id: definition(2),
          displayName: 'App packager',
          description: 'Creates, updates and assigns mobile apps.',
          isBuiltIn: false,
          rolePermissions: [
            {
              resourceActions: [
                {
                  allowedResourceActions: [
                    'Microsoft.Intune_MobileApps_Read',
                    'Microsoft.Intune_MobileApps_Create',
                    'Microsoft.Intune_MobileApps_Update',
                    'Microsoft.Intune_MobileApps_Assign',
                  ],
                  notAllowedResourceActions: [],
                },
              ],
            },
          ],
          ...times,
        },
      },
    ],
    roleAssignments: [
      {
        body: {
          '@odata.type': '#microsoft.graph.deviceAndAppManagementRoleAssignment',
          id: id('201a0000', 1),
          displayName: 'Helpdesk for sales devices',
          description: 'The pilot users operate the sales devices.',
          members: [TARGET_GROUPS.pilot],
          resourceScopes: [TARGET_GROUPS.sales],
          ...times,
        },
        roleDefinitionId: definition(1),
      },
    ],
  };
}

function deviceCategories(): SeedObject[] {
  return [
    ['Corporate laptops', 'Company-owned Windows and macOS laptops.'],
    ['Shared kiosks', 'Shared iPads in the showrooms.'],
    ['BYOD phones', 'Personal phones with work profile.'],
  ].map(([displayName, description], index) => ({
    body: {
      '@odata.type': '#microsoft.graph.deviceCategory',
      id: id('ca7e0000', index + 1),
      displayName,
      description,
      ...times,
    },
  }));
}

/** The seeded tenant, with device sync times relative to `now` (epoch milliseconds). */
export function seedTenant(now: number): Record<CollectionName, SeedObject[]> {
  return {
    managedDevices: devices(now),
    mobileApps: mobileApps(),
    ...scripts(),
    deviceCompliancePolicies: compliancePolicies(),
    configurationPolicies: configurationPolicies(),
    deviceConfigurations: deviceConfigurations(),
    ...roles(),
    deviceCategories: deviceCategories(),
  };
}
