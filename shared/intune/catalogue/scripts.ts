import { z } from 'zod';
import type { JsonValue } from '../../domain/model';
import { freeText } from '../../api/text';
import {
  assignmentSchema,
  atLeastOne,
  base64Script,
  defined,
  description,
  displayName,
  fileName,
  payloadOf,
  runAsAccount,
} from './fields';
import { assignEntry, createEntry, deleteEntry, updateEntry, type AssignShape, type ObjectKind } from './kinds';
import type { CatalogueEntry, CatalogueOperation } from './types';

// Scripts (profile type script), beta only: Windows PowerShell platform scripts, macOS shell
// scripts and remediations (health scripts), each created, updated, deleted and assigned.

const PERMISSION = 'DeviceManagementScripts.ReadWrite.All';

/** The create payload of each script kind (the update payload is a partial of it, without defaults). */
const powerShellFields = {
  displayName,
  description: description.optional(),
  scriptContent: base64Script,
  runAsAccount: runAsAccount.default('system'),
  enforceSignatureCheck: z
    .boolean()
    .default(false)
    .describe('Run only when the script is signed by a trusted publisher.'),
  runAs32Bit: z.boolean().default(false).describe('Run in the 32-bit PowerShell host on 64-bit Windows.'),
  fileName: fileName('.ps1'),
};
const shellFields = {
  displayName,
  description: description.optional(),
  scriptContent: base64Script,
  runAsAccount: runAsAccount.default('system'),
  fileName: fileName('.sh'),
  executionFrequency: z
    .enum(['PT15M', 'PT30M', 'PT1H', 'PT2H', 'PT3H', 'PT6H', 'PT12H', 'P1D', 'P7D'])
    .optional()
    .describe('How often the script runs again (absent: once).'),
  retryCount: z.number().int().min(0).max(3).default(0).describe('Retries when it fails, 0..3.'),
  blockExecutionNotifications: z.boolean().default(false).describe('Hide the notification that a script runs.'),
};
const healthFields = {
  displayName,
  description: description.optional(),
  publisher: freeText(256, true).describe('Who wrote the remediation, shown in Intune.'),
  detectionScriptContent: base64Script.describe('The detection script, Base64-encoded.'),
  remediationScriptContent: base64Script
    .optional()
    .describe('The remediation script, Base64-encoded (absent: detect only).'),
  runAsAccount: runAsAccount.default('system'),
  runAs32Bit: z.boolean().default(false).describe('Run in the 32-bit PowerShell host on 64-bit Windows.'),
  enforceSignatureCheck: z
    .boolean()
    .default(false)
    .describe('Run only when the scripts are signed by a trusted publisher.'),
};

/** An update's fields: every create field optional, no defaults (absent means unchanged). */
function partialOf(fields: Record<string, z.ZodType>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, schema] of Object.entries(fields)) {
    const inner = schema instanceof z.ZodDefault || schema instanceof z.ZodOptional ? schema.unwrap() : schema;
    shape[name] = (inner as z.ZodType).optional();
  }
  return atLeastOne(z.object(shape).strict());
}

const schedule = z
  .discriminatedUnion('every', [
    z.object({ every: z.literal('hourly'), interval: z.number().int().min(1).max(23) }).strict(),
    z
      .object({
        every: z.literal('daily'),
        interval: z.number().int().min(1).max(30).default(1),
        time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
        useUtc: z.boolean().default(false),
      })
      .strict(),
    z
      .object({
        every: z.literal('once'),
        date: z.iso.date(),
        time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
        useUtc: z.boolean().default(false),
      })
      .strict(),
  ])
  .describe('When the remediation runs: every N hours, every N days at a time, or once.');
type Schedule =
  | { every: 'hourly'; interval: number }
  | { every: 'daily'; interval: number; time: string; useUtc: boolean }
  | { every: 'once'; date: string; time: string; useUtc: boolean };

const healthAssignment = assignmentSchema({
  runRemediationScript: z.boolean().default(true).describe('Run the remediation when detection finds the issue.'),
  schedule: schedule.optional(),
});

/** Windows and macOS scripts take the same assignments. */
const SCRIPT_ASSIGNMENTS: AssignShape = {
  key: 'deviceManagementScriptAssignments',
  odataType: '#microsoft.graph.deviceManagementScriptAssignment',
};

function graphSchedule(value: Schedule): JsonValue {
  switch (value.every) {
    case 'hourly':
      return { '@odata.type': '#microsoft.graph.deviceHealthScriptHourlySchedule', interval: value.interval };
    case 'daily':
      return {
        '@odata.type': '#microsoft.graph.deviceHealthScriptDailySchedule',
        interval: value.interval,
        time: `${value.time}:00`,
        useUtc: value.useUtc,
      };
    case 'once':
      return {
        '@odata.type': '#microsoft.graph.deviceHealthScriptRunOnceSchedule',
        interval: 1,
        date: value.date,
        time: `${value.time}:00`,
        useUtc: value.useUtc,
      };
  }
}

interface ScriptKind extends ObjectKind {
  odataType: string;
  fields: Record<string, z.ZodType>;
  assign: AssignShape;
  sampleCreate: Record<string, JsonValue>;
  sampleAssign: JsonValue;
}

const SAMPLE_GROUP = 'a9900000-0000-4000-8000-000000000102';
// "Write-Output 'ok'" and "echo ok", Base64-encoded.
const SAMPLE_PS1 = Buffer.from("Write-Output 'ok'\n").toString('base64');
const SAMPLE_SH = Buffer.from('#!/bin/sh\necho ok\n').toString('base64');

const SCRIPTS = { profileType: 'script' as const, version: 'beta' as const, permission: PERMISSION };

const KINDS: ScriptKind[] = [
  {
    ...SCRIPTS,
    resourceType: 'deviceManagementScript',
    collection: '/deviceManagement/deviceManagementScripts',
    odataType: '#microsoft.graph.deviceManagementScript',
    label: 'a Windows PowerShell script',
    fields: powerShellFields,
    assign: SCRIPT_ASSIGNMENTS,
    sampleId: '5c410000-0000-4000-8000-000000000001',
    sampleCreate: { displayName: 'Set time zone', scriptContent: SAMPLE_PS1, fileName: 'set-time-zone.ps1' },
    sampleAssign: { assignments: [{ target: 'group', groupId: SAMPLE_GROUP }] },
  },
  {
    ...SCRIPTS,
    resourceType: 'deviceShellScript',
    collection: '/deviceManagement/deviceShellScripts',
    odataType: '#microsoft.graph.deviceShellScript',
    label: 'a macOS shell script',
    fields: shellFields,
    assign: SCRIPT_ASSIGNMENTS,
    sampleId: '5c420000-0000-4000-8000-000000000001',
    sampleCreate: {
      displayName: 'Show hidden files',
      scriptContent: SAMPLE_SH,
      fileName: 'show-hidden-files.sh',
      executionFrequency: 'P1D',
    },
    sampleAssign: { assignments: [{ target: 'allDevices' }] },
  },
  {
    ...SCRIPTS,
    resourceType: 'deviceHealthScript',
    collection: '/deviceManagement/deviceHealthScripts',
    odataType: '#microsoft.graph.deviceHealthScript',
    label: 'a remediation',
    fields: healthFields,
    assign: {
      key: 'deviceHealthScriptAssignments',
      odataType: '#microsoft.graph.deviceHealthScriptAssignment',
      item: healthAssignment,
      extra: (assignment) => {
        const { runRemediationScript, schedule } = assignment as { runRemediationScript: boolean; schedule?: Schedule };
        return { runRemediationScript, ...(schedule === undefined ? {} : { runSchedule: graphSchedule(schedule) }) };
      },
    },
    sampleId: '5c430000-0000-4000-8000-000000000001',
    sampleCreate: {
      displayName: 'Restart the print spooler',
      publisher: 'Workplace team',
      detectionScriptContent: SAMPLE_PS1,
      remediationScriptContent: SAMPLE_PS1,
    },
    sampleAssign: {
      assignments: [
        {
          target: 'group',
          groupId: SAMPLE_GROUP,
          runRemediationScript: true,
          schedule: { every: 'daily', interval: 1, time: '01:00' },
        },
      ],
    },
  },
];

function scriptEntries(kind: ScriptKind): CatalogueEntry[] {
  const body = (operation: CatalogueOperation) => ({
    '@odata.type': kind.odataType,
    ...defined(payloadOf<Record<string, JsonValue | undefined>>(operation)),
  });
  return [
    createEntry(kind, {
      summary: `Create ${kind.label}`,
      payload: z.object(kind.fields).strict(),
      body,
      samplePayload: kind.sampleCreate,
    }),
    updateEntry(kind, {
      summary: `Change ${kind.label} (the fields given; the others stay)`,
      payload: partialOf(kind.fields),
      body,
      samplePayload: { description: 'Reviewed by the workplace team' },
    }),
    deleteEntry(kind),
    assignEntry(kind, kind.assign, kind.sampleAssign),
  ];
}

export const SCRIPT_ENTRIES: readonly CatalogueEntry[] = KINDS.flatMap(scriptEntries);
