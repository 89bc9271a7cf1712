import type { z } from 'zod';
import type { accessPolicySchema, approvalRequestSchema, auditRecordSchema } from '../shared/api/schemas';
import { operationTitle, titleText } from '../shared/domain/operationTitle';
import type { ApprovalRequest as DomainRequest } from '../shared/domain/model';
import { isSealedSecret } from '../shared/keys/secretSeal';
import { printable, renderFields, renderTable } from './table';

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
  const ids = operation.resourceIds;
  if (ids !== undefined)
    return `${operation.action} ${ids.length} ${operation.resourceType}${ids.length === 1 ? '' : 's'}`;
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
    ['what', titleText(operationTitle(request as DomainRequest))],
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
    ['quorum', request.policy.quorum?.text],
    [
      'completion',
      request.policy.completion === 'onApproval'
        ? `runs as soon as approved${request.policy.executeWithin ? ` (within ${request.policy.executeWithin})` : ''}`
        : undefined,
    ],
    ['created', shortTime(request.createdAt)],
    ['expires', shortTime(request.expiresAt)],
    ['completed', request.completedAt === undefined ? undefined : shortTime(request.completedAt)],
    ...targetFields(request.target),
    ...executionFields(request.execution),
  ]);
  text += devicesTable(request.targets);
  text += previewText(request);
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
type Preview = NonNullable<ApprovalRequest['preview']>;

/** A bulk action's devices as snapshotted at submit, one row each. */
function devicesTable(targets: readonly Target[] | undefined): string {
  if (targets === undefined) return '';
  return `\n${renderTable(
    [
      { header: 'DEVICE', maxWidth: 24 },
      { header: 'OWNER', maxWidth: 32 },
      { header: 'OS', maxWidth: 24 },
      { header: 'COMPLIANCE' },
      { header: 'LAST CHECK-IN' },
    ],
    targets.map((target) => [
      target.displayName,
      target.device?.userPrincipalName ?? '',
      `${target.device?.operatingSystem ?? ''} ${target.device?.osVersion ?? ''}`.trim(),
      target.device?.complianceState ?? '',
      target.device?.lastSyncDateTime ? shortTime(target.device.lastSyncDateTime) : '',
    ]),
  )}`;
}

const compact = (value: unknown) =>
  value === undefined ? '(not known)' : typeof value === 'string' ? value : JSON.stringify(value);

/** What changes (settings, assignments, scripts) and the exact Graph calls, one printable line each. */
function previewText(request: ApprovalRequest): string {
  const preview: Preview | undefined = request.preview;
  if (preview === undefined) return '';
  const { changes } = preview;
  const lines: string[] = [];
  for (const setting of changes.settings)
    lines.push(
      setting.change === 'removed'
        ? `  - ${setting.name}: ${compact(setting.current)} (removed)`
        : `  ${setting.name}: ${changes.kind === 'create' ? '(new)' : compact(setting.current)} -> ${compact(setting.proposed)} (${setting.change === 'added' ? 'set' : setting.change})`,
    );
  for (const assignment of changes.assignments)
    lines.push(
      `  ${{ added: '+', removed: '-', kept: '=' }[assignment.change]} assignment ${describeAssignment(assignment)} (${assignment.change})`,
    );
  if (changes.removesAssignmentId !== undefined) lines.push(`  - assignment ${changes.removesAssignmentId} (removed)`);
  for (const script of changes.scripts) {
    const differs =
      script.differs === undefined
        ? 'the current script is not known'
        : script.differs
          ? 'differs from the current script'
          : 'the same as the current script';
    lines.push(`  ${script.name}: ${differs}; proposed (scripts may hold secrets):`);
    for (const line of script.proposedText.replace(/\n$/, '').split('\n')) lines.push(`    | ${line}`);
  }
  if (changes.kind === 'delete') lines.push('  deletes the object and its assignments');
  let text = `\n${preview.summary}\n`;
  if (lines.length > 0) text += `What changes:\n${lines.map(printable).join('\n')}\n`;
  text += `Graph calls completion will send (operation hash ${request.operationHash}):\n`;
  text += preview.calls
    .map((call) =>
      printable(`  ${call.method} ${call.path}${call.body === undefined ? '' : ` ${JSON.stringify(call.body)}`}`),
    )
    .join('\n');
  return `${text}\n`;
}
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

/** A scope rule in words: `2 approvals from 10 devices`, `3 approvals when assigning to all users or devices`. */
export function scopeRuleText(rule: { requiredApprovals: number; minDevices?: number; assignsToAll?: true }): string {
  const approvals = `${rule.requiredApprovals} approval${rule.requiredApprovals === 1 ? '' : 's'}`;
  return rule.minDevices !== undefined
    ? `${approvals} from ${rule.minDevices} devices`
    : `${approvals} when assigning to all users or devices`;
}

export function policyDetail(policy: AccessPolicy): string {
  return renderFields([
    ['id', policy.id],
    ['name', policy.displayName],
    ['description', policy.description],
    ['profile type', policy.profileType],
    ['approver groups', policy.approverGroupIds.join(', ')],
    ['approvals', String(policy.requiredApprovals)],
    ...(policy.approvalsByScope === undefined || policy.approvalsByScope.length === 0
      ? []
      : ([['raised by scope', policy.approvalsByScope.map(scopeRuleText).join('; ')]] as [string, string][])),
    ['completion', policy.completion === 'onApproval' ? 'on approval (the service completes it)' : 'by the initiator'],
    ...(policy.executeWithin === undefined
      ? []
      : ([['execute within', `${policy.executeWithin} of approval`]] as [string, string][])),
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
