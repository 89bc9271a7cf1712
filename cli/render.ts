import type { z } from 'zod';
import type { accessPolicySchema, approvalRequestSchema, auditRecordSchema } from '../shared/api/schemas';
import { isSealedSecret } from '../shared/keys/secretSeal';
import { renderFields, renderTable } from './table';

// Human views of the API's documents (tables and field lists; `--json` bypasses them).

type ApprovalRequest = z.infer<typeof approvalRequestSchema>;
type AccessPolicy = z.infer<typeof accessPolicySchema>;
type AuditRecord = z.infer<typeof auditRecordSchema>;

/** `2026-01-01T12:34:56.789Z` as `2026-01-01 12:34:56Z`. */
export function shortTime(at: string): string {
  return `${at.slice(0, 10)} ${at.slice(11, 19)}Z`;
}

/** `wipe managedDevice/laptop-42` */
export function describeOperation(operation: ApprovalRequest['operation']): string {
  return `${operation.action} ${operation.resourceType}${operation.resourceId === undefined ? '' : `/${operation.resourceId}`}`;
}

export function requestsTable(requests: readonly ApprovalRequest[]): string {
  return renderTable(
    [
      { header: 'ID' },
      { header: 'STATUS' },
      { header: 'PROFILE TYPE' },
      { header: 'OPERATION', maxWidth: 48 },
      { header: 'INITIATOR', maxWidth: 24 },
      { header: 'CREATED' },
    ],
    requests.map((request) => [
      request.id,
      request.status,
      request.profileType,
      describeOperation(request.operation),
      request.initiator.displayName,
      shortTime(request.createdAt),
    ]),
  );
}

export function requestDetail(request: ApprovalRequest): string {
  let text = renderFields([
    ['id', request.id],
    ['status', request.status],
    ['profile type', request.profileType],
    ['operation', describeOperation(request.operation)],
    [
      'payload',
      request.operation.payload === undefined ? undefined : JSON.stringify(hideSealed(request.operation.payload)),
    ],
    ['justification', request.justification],
    ['initiator', request.initiator.displayName],
    [
      'policy',
      `${request.policy.id} v${request.policy.version}, ${request.policy.requiredApprovals} approval(s) from ${request.policy.approverGroupIds.join(', ') || 'any other policy admin'}`,
    ],
    ['created', shortTime(request.createdAt)],
    ['expires', shortTime(request.expiresAt)],
    ['completed', request.completedAt === undefined ? undefined : shortTime(request.completedAt)],
    ...targetFields(request.target),
    ...executionFields(request.execution),
  ]);
  if (request.decisions.length > 0) {
    text += `\n${renderTable(
      [
        { header: 'DECISION' },
        { header: 'APPROVER', maxWidth: 24 },
        { header: 'AT' },
        { header: 'NOTES', maxWidth: 60 },
      ],
      request.decisions.map((decision) => [
        decision.decision,
        decision.approver.displayName,
        shortTime(decision.at),
        decision.notes,
      ]),
    )}`;
  }
  return text;
}

type Target = NonNullable<ApprovalRequest['target']>;
type Execution = NonNullable<ApprovalRequest['execution']>;
type Field = readonly [string, string | undefined];

/** The target snapshot the submit read: what the object was, and for a device who holds it and in what state. */
function targetFields(target: Target | undefined): Field[] {
  if (target === undefined) return [];
  const { device } = target;
  const changed = [
    target.version === undefined ? undefined : `version ${target.version}`,
    target.lastModifiedDateTime === undefined ? undefined : `modified ${shortTime(target.lastModifiedDateTime)}`,
  ].filter((part) => part !== undefined);
  return [
    ['target', `${target.displayName} (${target.resourceType} ${target.id}), read ${shortTime(target.readAt)}`],
    ['target state', changed.length === 0 ? undefined : changed.join(', ')],
    [
      'device',
      device === undefined
        ? undefined
        : `${device.operatingSystem} ${device.osVersion}, ${device.ownership}-owned, ${device.complianceState}, ${device.managementState}`,
    ],
    ['device user', device === undefined ? undefined : `${device.userDisplayName} <${device.userPrincipalName}>`],
    ['last check-in', device === undefined ? undefined : shortTime(device.lastSyncDateTime)],
    [
      'assignments',
      target.assignments === undefined
        ? undefined
        : target.assignments.length === 0
          ? 'none'
          : target.assignments.map(describeAssignment).join('; '),
    ],
  ];
}

function describeAssignment(assignment: NonNullable<Target['assignments']>[number]): string {
  const who =
    assignment.groupId === undefined
      ? assignment.target
      : `${assignment.target} ${assignment.groupName ?? assignment.groupId}`;
  return assignment.intent === undefined ? who : `${who} (${assignment.intent})`;
}

/** The execution's outcome, the code the executor recognised, the client-request-id Graph saw and the device's outcome. */
function executionFields(execution: Execution | undefined): Field[] {
  if (execution === undefined) return [];
  const device = execution.device;
  return [
    ['execution', `${execution.status}: ${execution.detail}`],
    ['execution code', execution.code],
    ['client-request-id', execution.graph?.clientRequestId],
    [
      'graph calls',
      execution.graph === undefined || execution.graph.calls.length === 0
        ? undefined
        : execution.graph.calls.map((call) => `${call.method} ${call.path} ${call.status}`).join('; '),
    ],
    [
      'device outcome',
      device === undefined ? undefined : `${device.state} at ${shortTime(device.at)}: ${device.detail}`,
    ],
  ];
}

/** `value` with every sealed secret (`{ "sealed": "..." }`) shown as `"(sealed)"`: its ciphertext means nothing to a reader. */
function hideSealed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hideSealed);
  if (value === null || typeof value !== 'object') return value;
  if (isSealedSecret(value)) return '(sealed)';
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, hideSealed(member)]));
}

export function policiesTable(policies: readonly AccessPolicy[]): string {
  return renderTable(
    [
      { header: 'ID' },
      { header: 'PROFILE TYPE' },
      { header: 'NAME', maxWidth: 40 },
      { header: 'APPROVALS' },
      { header: 'TTL' },
      { header: 'VERSION' },
    ],
    policies.map((policy) => [
      policy.id,
      policy.profileType,
      policy.displayName,
      String(policy.requiredApprovals),
      policy.requestTtl,
      String(policy.version),
    ]),
  );
}

export function policyDetail(policy: AccessPolicy): string {
  return renderFields([
    ['id', policy.id],
    ['name', policy.displayName],
    ['description', policy.description],
    ['profile type', policy.profileType],
    ['approver groups', policy.approverGroupIds.join(', ')],
    ['approvals', String(policy.requiredApprovals)],
    ['request ttl', policy.requestTtl],
    ['version', String(policy.version)],
    ['created by', policy.createdBy.displayName],
    ['created', shortTime(policy.createdAt)],
    ['modified', shortTime(policy.lastModifiedAt)],
  ]);
}

export function auditTable(records: readonly AuditRecord[]): string {
  return renderTable(
    [{ header: 'SEQ' }, { header: 'AT' }, { header: 'TYPE' }, { header: 'ACTOR', maxWidth: 24 }, { header: 'HASH' }],
    records.map((record) => [
      String(record.seq),
      shortTime(record.at),
      record.type,
      record.actor?.displayName ?? '-',
      record.hash.slice(0, 12),
    ]),
  );
}
