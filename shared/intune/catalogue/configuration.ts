import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import { atLeastOne, defined, description, displayName, graphJson, payloadOf, settingsRecord } from './fields';
import { assignEntry, createEntry, deleteEntry, entryOf, objectPath, updateEntry, type ObjectKind } from './kinds';
import type { CatalogueEntry, CatalogueOperation } from './types';

// Configuration (profile type configurationPolicy): settings catalog policies (beta only) and the
// legacy template profiles, deviceConfigurations (v1.0), which Intune's own approval does not cover.

const PERMISSION = 'DeviceManagementConfiguration.ReadWrite.All';
const SAMPLE_GROUP = 'a9900000-0000-4000-8000-000000000102';

const POLICY: ObjectKind = {
  profileType: 'configurationPolicy',
  resourceType: 'configurationPolicy',
  label: 'a settings catalog policy',
  version: 'beta',
  collection: '/deviceManagement/configurationPolicies',
  permission: PERMISSION,
  sampleId: 'c0f10000-0000-4000-8000-000000000001',
};
const PROFILE: ObjectKind = {
  profileType: 'configurationPolicy',
  resourceType: 'deviceConfiguration',
  label: 'a device configuration profile',
  version: 'v1.0',
  collection: '/deviceManagement/deviceConfigurations',
  permission: PERMISSION,
  sampleId: 'c0f20000-0000-4000-8000-000000000001',
};

// --- Settings catalog ---------------------------------------------------------------------------

/** The platforms a settings catalog policy may target (Graph's deviceManagementConfigurationPlatforms). */
export const CONFIGURATION_PLATFORMS = [
  'android',
  'androidEnterprise',
  'aosp',
  'iOS',
  'linux',
  'macOS',
  'tvOS',
  'visionOS',
  'windows10',
] as const;

/** The technologies that deliver it (Graph's deviceManagementConfigurationTechnologies flags). */
export const CONFIGURATION_TECHNOLOGIES = [
  'mdm',
  'configManager',
  'appleRemoteManagement',
  'microsoftSense',
  'linuxMdm',
  'enrollment',
  'endpointPrivilegeManagement',
  'mobileApplicationManagement',
  'exchangeOnline',
  'windowsOsRecovery',
] as const;

/** One setting of a settings catalog policy: Graph's setting instance, named by its definition id. */
const settingInstance = z
  .object({
    '@odata.type': z
      .string()
      .regex(
        /^#microsoft\.graph\.deviceManagementConfiguration[A-Za-z]+Instance$/,
        'must be a #microsoft.graph.deviceManagementConfiguration…Instance type (a setting instance)',
      ),
    settingDefinitionId: z
      .string()
      .regex(/^[A-Za-z0-9_.{}-]{1,256}$/, 'must be a setting definition id (letters, digits, _ . { } -)'),
  })
  .catchall(graphJson)
  .describe("Graph's deviceManagementConfigurationSettingInstance, as the settings catalog defines it.");

const policyPayload = z
  .object({
    name: displayName,
    description: description.default(''),
    platforms: z.enum(CONFIGURATION_PLATFORMS).describe('The platform the policy applies to.'),
    technologies: z
      .array(z.enum(CONFIGURATION_TECHNOLOGIES))
      .min(1)
      .max(5)
      .refine((items) => new Set(items).size === items.length, 'must not repeat a technology')
      .describe('What delivers it, e.g. ["mdm"] (sent as Graph’s comma-separated flags).'),
    settings: z
      .array(z.object({ settingInstance }).strict())
      .max(500)
      .describe('Every setting of the policy (create and replace send the whole list).'),
  })
  .strict();
type PolicyPayload = z.output<typeof policyPayload>;

/** The whole policy as Graph takes it on create and on PUT. */
function policyBody(operation: CatalogueOperation): JsonValue {
  const payload = payloadOf<PolicyPayload>(operation);
  return {
    name: payload.name,
    description: payload.description,
    platforms: payload.platforms,
    technologies: payload.technologies.join(','),
    settings: payload.settings.map((setting) => ({
      '@odata.type': '#microsoft.graph.deviceManagementConfigurationSetting',
      settingInstance: setting.settingInstance as JsonValue,
    })),
  };
}

const samplePolicy = {
  name: 'Windows: Defender real-time protection',
  platforms: 'windows10',
  technologies: ['mdm', 'microsoftSense'],
  settings: [
    {
      settingInstance: {
        '@odata.type': '#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance',
        settingDefinitionId: 'device_vendor_msft_policy_config_defender_allowrealtimemonitoring',
        choiceSettingValue: {
          value: 'device_vendor_msft_policy_config_defender_allowrealtimemonitoring_1',
          children: [],
        },
      },
    },
  ],
};

const SETTINGS_CATALOG: CatalogueEntry[] = [
  createEntry(POLICY, {
    summary: 'Create a settings catalog policy',
    payload: policyPayload,
    body: policyBody,
    samplePayload: samplePolicy,
  }),
  {
    ...entryOf(POLICY),
    action: 'replace',
    summary: 'Replace a settings catalog policy as a whole (its name, description and every setting)',
    resourceId: 'required',
    payload: policyPayload as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation) => [
      { method: 'PUT', version: 'beta', path: objectPath(POLICY, operation), body: policyBody(operation) },
    ],
    example: {
      action: 'replace',
      resourceType: 'configurationPolicy',
      resourceId: POLICY.sampleId,
      payload: { ...samplePolicy, description: 'Real-time protection on, reviewed' },
    },
  },
  deleteEntry(POLICY),
  assignEntry(
    POLICY,
    { key: 'assignments', odataType: '#microsoft.graph.deviceManagementConfigurationPolicyAssignment' },
    { assignments: [{ target: 'group', groupId: SAMPLE_GROUP }] },
  ),
];

// --- Legacy template profiles ---------------------------------------------------------------------

/** The template profile types a request may create or change (Graph's derived `@odata.type`s). */
export const DEVICE_CONFIGURATION_TYPES = [
  'windows10GeneralConfiguration',
  'windows10EndpointProtectionConfiguration',
  'windowsUpdateForBusinessConfiguration',
  'iosGeneralDeviceConfiguration',
  'iosDeviceFeaturesConfiguration',
  'macOSGeneralDeviceConfiguration',
  'macOSDeviceFeaturesConfiguration',
  'androidGeneralDeviceConfiguration',
  'androidWorkProfileGeneralDeviceConfiguration',
] as const;

const configurationType = z
  .enum(DEVICE_CONFIGURATION_TYPES)
  .describe("The profile's template type; it becomes Graph's @odata.type.");
const configurationSettings = settingsRecord(['configurationType']);
const configurationCreate = z
  .object({
    configurationType,
    displayName,
    description: description.optional(),
    settings: configurationSettings.default({}),
  })
  .strict();
const configurationUpdate = atLeastOne(
  z
    .object({
      configurationType,
      displayName: displayName.optional(),
      description: description.optional(),
      settings: configurationSettings.optional(),
    })
    .strict(),
  ['configurationType'],
);
type ConfigurationFields = {
  configurationType: string;
  displayName?: string;
  description?: string;
  settings?: Record<string, JsonValue>;
};

function configurationBody(operation: CatalogueOperation): JsonValue {
  const payload = payloadOf<ConfigurationFields>(operation);
  return {
    '@odata.type': `#microsoft.graph.${payload.configurationType}`,
    ...defined({ displayName: payload.displayName, description: payload.description }),
    ...(payload.settings ?? {}),
  };
}

const TEMPLATE_PROFILES: CatalogueEntry[] = [
  createEntry(PROFILE, {
    summary: 'Create a device configuration profile (template)',
    payload: configurationCreate,
    body: configurationBody,
    samplePayload: {
      configurationType: 'windows10GeneralConfiguration',
      displayName: 'Windows: no Cortana on the lock screen',
      settings: { lockScreenBlockCortana: true },
    },
  }),
  updateEntry(PROFILE, {
    summary: "Change a device configuration profile's names and settings (the others stay)",
    payload: configurationUpdate,
    body: configurationBody,
    samplePayload: { configurationType: 'windows10GeneralConfiguration', settings: { cameraBlocked: true } },
  }),
  deleteEntry(PROFILE),
  assignEntry(
    PROFILE,
    { key: 'assignments', odataType: '#microsoft.graph.deviceConfigurationAssignment' },
    { assignments: [{ target: 'allDevices' }, { target: 'exclusionGroup', groupId: SAMPLE_GROUP }] },
  ),
];

export const CONFIGURATION_ENTRIES: readonly CatalogueEntry[] = [...SETTINGS_CATALOG, ...TEMPLATE_PROFILES];
