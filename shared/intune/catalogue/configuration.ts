import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import type { CatalogueEntry, CatalogueOperation, GraphCall } from './types';
import {
  assignmentList,
  assignmentSchema,
  atLeastOne,
  defined,
  description,
  displayName,
  graphJson,
  graphTarget,
  payloadOf,
  resourcePath,
  settingsRecord,
  type AssignmentTargetKind,
} from './fields';

// Configuration (profile type configurationPolicy): settings catalog policies (beta only) and the
// legacy template profiles, deviceConfigurations (v1.0), which Intune's own approval does not cover.

const PERMISSION = 'DeviceManagementConfiguration.ReadWrite.All';
const POLICIES = '/deviceManagement/configurationPolicies';
const CONFIGURATIONS = '/deviceManagement/deviceConfigurations';
const SAMPLE_GROUP = 'a9900000-0000-4000-8000-000000000102';

type Assignment = { target: AssignmentTargetKind; groupId?: string };
const assignPayload = z.object({ assignments: assignmentList(assignmentSchema({})) }).strict();

/** `/assign` with Graph's `assignments` body, each of `odataType`. */
function assignCall(
  version: 'v1.0' | 'beta',
  path: string,
  odataType: string,
  operation: CatalogueOperation,
): GraphCall {
  return {
    method: 'POST',
    version,
    path,
    body: {
      assignments: payloadOf<{ assignments: Assignment[] }>(operation).assignments.map((item) => ({
        '@odata.type': odataType,
        target: graphTarget(item),
      })),
    },
  };
}

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

const SAMPLE_POLICY = 'c0f10000-0000-4000-8000-000000000001';
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

const policyPath = (operation: CatalogueOperation, ...rest: string[]) => resourcePath(POLICIES, operation, ...rest);
const policyCommon = {
  profileType: 'configurationPolicy' as const,
  resourceType: 'configurationPolicy',
  permission: PERMISSION,
};

const SETTINGS_CATALOG: CatalogueEntry[] = [
  {
    ...policyCommon,
    action: 'create',
    summary: 'Create a settings catalog policy',
    resourceId: 'none',
    payload: policyPayload as z.ZodType<JsonValue>,
    idempotency: 'checkFirst',
    calls: (operation) => [{ method: 'POST', version: 'beta', path: POLICIES, body: policyBody(operation) }],
    example: { action: 'create', resourceType: 'configurationPolicy', payload: samplePolicy },
  },
  {
    ...policyCommon,
    action: 'replace',
    summary: 'Replace a settings catalog policy as a whole (its name, description and every setting)',
    resourceId: 'required',
    payload: policyPayload as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation) => [
      { method: 'PUT', version: 'beta', path: policyPath(operation), body: policyBody(operation) },
    ],
    example: {
      action: 'replace',
      resourceType: 'configurationPolicy',
      resourceId: SAMPLE_POLICY,
      payload: { ...samplePolicy, description: 'Real-time protection on, reviewed' },
    },
  },
  {
    ...policyCommon,
    action: 'delete',
    summary: 'Delete a settings catalog policy',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (operation) => [{ method: 'DELETE', version: 'beta', path: policyPath(operation) }],
    example: { action: 'delete', resourceType: 'configurationPolicy', resourceId: SAMPLE_POLICY },
  },
  {
    ...policyCommon,
    action: 'assign',
    summary: "Replace all of a settings catalog policy's assignments",
    resourceId: 'required',
    payload: assignPayload as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation) => [
      assignCall(
        'beta',
        policyPath(operation, 'assign'),
        '#microsoft.graph.deviceManagementConfigurationPolicyAssignment',
        operation,
      ),
    ],
    example: {
      action: 'assign',
      resourceType: 'configurationPolicy',
      resourceId: SAMPLE_POLICY,
      payload: { assignments: [{ target: 'group', groupId: SAMPLE_GROUP }] },
    },
  },
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

const SAMPLE_CONFIGURATION = 'c0f20000-0000-4000-8000-000000000001';
const configurationPath = (operation: CatalogueOperation, ...rest: string[]) =>
  resourcePath(CONFIGURATIONS, operation, ...rest);
const configurationCommon = {
  profileType: 'configurationPolicy' as const,
  resourceType: 'deviceConfiguration',
  permission: PERMISSION,
};

const TEMPLATE_PROFILES: CatalogueEntry[] = [
  {
    ...configurationCommon,
    action: 'create',
    summary: 'Create a device configuration profile (template)',
    resourceId: 'none',
    payload: configurationCreate as z.ZodType<JsonValue>,
    idempotency: 'checkFirst',
    calls: (operation) => [
      { method: 'POST', version: 'v1.0', path: CONFIGURATIONS, body: configurationBody(operation) },
    ],
    example: {
      action: 'create',
      resourceType: 'deviceConfiguration',
      payload: {
        configurationType: 'windows10GeneralConfiguration',
        displayName: 'Windows: no Cortana on the lock screen',
        settings: { lockScreenBlockCortana: true },
      },
    },
  },
  {
    ...configurationCommon,
    action: 'update',
    summary: "Change a device configuration profile's names and settings (the others stay)",
    resourceId: 'required',
    payload: configurationUpdate as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation) => [
      { method: 'PATCH', version: 'v1.0', path: configurationPath(operation), body: configurationBody(operation) },
    ],
    example: {
      action: 'update',
      resourceType: 'deviceConfiguration',
      resourceId: SAMPLE_CONFIGURATION,
      payload: { configurationType: 'windows10GeneralConfiguration', settings: { cameraBlocked: true } },
    },
  },
  {
    ...configurationCommon,
    action: 'delete',
    summary: 'Delete a device configuration profile',
    resourceId: 'required',
    idempotency: 'idempotent',
    calls: (operation) => [{ method: 'DELETE', version: 'v1.0', path: configurationPath(operation) }],
    example: { action: 'delete', resourceType: 'deviceConfiguration', resourceId: SAMPLE_CONFIGURATION },
  },
  {
    ...configurationCommon,
    action: 'assign',
    summary: "Replace all of a device configuration profile's assignments",
    resourceId: 'required',
    payload: assignPayload as z.ZodType<JsonValue>,
    idempotency: 'idempotent',
    calls: (operation) => [
      assignCall(
        'v1.0',
        configurationPath(operation, 'assign'),
        '#microsoft.graph.deviceConfigurationAssignment',
        operation,
      ),
    ],
    example: {
      action: 'assign',
      resourceType: 'deviceConfiguration',
      resourceId: SAMPLE_CONFIGURATION,
      payload: { assignments: [{ target: 'allDevices' }, { target: 'exclusionGroup', groupId: SAMPLE_GROUP }] },
    },
  },
];

export const CONFIGURATION_ENTRIES: readonly CatalogueEntry[] = [...SETTINGS_CATALOG, ...TEMPLATE_PROFILES];
