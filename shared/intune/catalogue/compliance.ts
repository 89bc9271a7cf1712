import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import { freeText } from '../../api/text';
import { atLeastOne, defined, description, displayName, guid, payloadOf, settingsRecord } from './fields';
import { assignEntry, createEntry, deleteEntry, updateEntry, type ObjectKind } from './kinds';
import type { CatalogueEntry } from './types';

// Device compliance policies (profile type compliancePolicy), v1.0.

const POLICY: ObjectKind = {
  profileType: 'compliancePolicy',
  resourceType: 'deviceCompliancePolicy',
  label: 'a device compliance policy',
  version: 'v1.0',
  collection: '/deviceManagement/deviceCompliancePolicies',
  permission: 'DeviceManagementConfiguration.ReadWrite.All',
  sampleId: 'c0a10000-0000-4000-8000-000000000001',
};
const SAMPLE_GROUP = 'a9900000-0000-4000-8000-000000000102';

/** The compliance policy types a request may create or change (Graph's derived `@odata.type`s). */
export const COMPLIANCE_POLICY_TYPES = [
  'windows10CompliancePolicy',
  'iosCompliancePolicy',
  'macOSCompliancePolicy',
  'androidWorkProfileCompliancePolicy',
  'androidDeviceOwnerCompliancePolicy',
] as const;

const policyType = z
  .enum(COMPLIANCE_POLICY_TYPES)
  .describe("The policy's platform type; it becomes Graph's @odata.type.");
const settings = settingsRecord(['scheduledActionsForRule', 'policyType']);

const scheduledAction = z
  .object({
    actionType: z
      .enum([
        'block',
        'notification',
        'retire',
        'wipe',
        'removeResourceAccessProfiles',
        'pushNotification',
        'remoteLock',
      ])
      .describe('What happens to a noncompliant device.'),
    gracePeriodHours: z.number().int().min(0).max(8760).default(0).describe('Hours after noncompliance, 0..8760.'),
    notificationTemplateId: guid.optional().describe('The notification message template (notification actions).'),
    notificationMessageCCList: z.array(guid).max(20).optional().describe('Groups that get a copy of the notification.'),
  })
  .strict();

/**
 * The actions for noncompliance: one rule whose actions hold exactly one `block` (Graph refuses a
 * new compliance policy otherwise, with "must have one and only one block scheduled action").
 */
const scheduledActionsForRule = z
  .array(
    z
      .object({
        ruleName: freeText(128, false).optional().describe('Graph leaves it empty for the default rule.'),
        scheduledActionConfigurations: z.array(scheduledAction).min(1).max(10),
      })
      .strict(),
  )
  .length(1, 'must hold exactly one rule')
  .superRefine((rules, context) => {
    const blocks = rules.flatMap((rule) => rule.scheduledActionConfigurations).filter((a) => a.actionType === 'block');
    if (blocks.length !== 1) {
      context.addIssue({
        code: 'custom',
        message: `must hold exactly one block action (it holds ${blocks.length}): Intune refuses a compliance policy without exactly one`,
      });
    }
  })
  .describe('The actions for noncompliance: exactly one rule, with exactly one `block` action.');
type Rule = z.output<typeof scheduledActionsForRule>[number];

const createPayload = z
  .object({
    policyType,
    displayName,
    description: description.optional(),
    settings: settings.default({}),
    scheduledActionsForRule,
  })
  .strict();
const updatePayload = atLeastOne(
  z
    .object({
      policyType,
      displayName: displayName.optional(),
      description: description.optional(),
      settings: settings.optional(),
    })
    .strict(),
  ['policyType'],
);

type PolicyFields = {
  policyType: string;
  displayName?: string;
  description?: string;
  settings?: Record<string, JsonValue>;
};

/** Graph's body for the policy's fields: the derived type, the names and the settings side by side. */
function policyBody(payload: PolicyFields): { [key: string]: JsonValue } {
  return {
    '@odata.type': `#microsoft.graph.${payload.policyType}`,
    ...defined({ displayName: payload.displayName, description: payload.description }),
    ...(payload.settings ?? {}),
  };
}

function graphRule(rule: Rule): JsonValue {
  return {
    ruleName: rule.ruleName ?? null,
    scheduledActionConfigurations: rule.scheduledActionConfigurations.map((action) =>
      defined({
        actionType: action.actionType,
        gracePeriodHours: action.gracePeriodHours,
        notificationTemplateId: action.notificationTemplateId,
        notificationMessageCCList: action.notificationMessageCCList,
      }),
    ),
  };
}

export const COMPLIANCE_ENTRIES: readonly CatalogueEntry[] = [
  createEntry(POLICY, {
    summary: 'Create a device compliance policy',
    payload: createPayload,
    body: (operation) => {
      const payload = payloadOf<PolicyFields & { scheduledActionsForRule: Rule[] }>(operation);
      return { ...policyBody(payload), scheduledActionsForRule: payload.scheduledActionsForRule.map(graphRule) };
    },
    samplePayload: {
      policyType: 'windows10CompliancePolicy',
      displayName: 'Windows: BitLocker and a PIN',
      settings: { bitLockerEnabled: true, passwordRequired: true, passwordMinimumLength: 8 },
      scheduledActionsForRule: [{ scheduledActionConfigurations: [{ actionType: 'block', gracePeriodHours: 24 }] }],
    },
  }),
  updateEntry(POLICY, {
    summary: "Change a device compliance policy's names and settings (the others stay)",
    payload: updatePayload,
    body: (operation) => policyBody(payloadOf<PolicyFields>(operation)),
    samplePayload: { policyType: 'windows10CompliancePolicy', settings: { passwordMinimumLength: 12 } },
  }),
  deleteEntry(POLICY),
  assignEntry(
    POLICY,
    { key: 'assignments', odataType: '#microsoft.graph.deviceCompliancePolicyAssignment' },
    {
      assignments: [
        { target: 'group', groupId: SAMPLE_GROUP },
        { target: 'exclusionGroup', groupId: 'a9900000-0000-4000-8000-000000000103' },
      ],
    },
  ),
];
