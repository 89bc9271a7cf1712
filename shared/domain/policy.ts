import { parseIsoDuration } from './duration';
import { DomainError, type FieldError } from './errors';
import { freeTextProblem, isBlankText, isGuid } from './text';
import {
  COMPLETION_MODES,
  PROFILE_TYPES,
  type AccessPolicy,
  type AppRole,
  type CompletionMode,
  type PolicySnapshot,
  type ProfileType,
  type ScopeRule,
} from './model';

/** `requiredApprovals` when a draft leaves it out. */
export const DEFAULT_REQUIRED_APPROVALS = 1;
/** The largest `requiredApprovals` a policy may ask for. */
export const MAX_REQUIRED_APPROVALS = 10;
/** `requestTtl` when a draft leaves it out (and the lifetime of bootstrap policy-change requests). */
export const DEFAULT_REQUEST_TTL = 'P30D';
/** Shortest allowed `requestTtl` (PT1H), in ms. */
export const MIN_REQUEST_TTL_MS = 3_600_000;
/** Longest allowed `requestTtl` (P90D), in ms. */
export const MAX_REQUEST_TTL_MS = 90 * 86_400_000;
/** Longest `displayName`, in characters (code points). */
export const MAX_DISPLAY_NAME_LENGTH = 128;
/** Longest `description`, in characters (code points). */
export const MAX_DESCRIPTION_LENGTH = 1024;
/** The most scope rules (`approvalsByScope`) a policy may have. */
export const MAX_SCOPE_RULES = 10;
/** The smallest and largest `minDevices` of a scope rule. */
export const MIN_SCOPE_DEVICES = 2;
export const MAX_SCOPE_DEVICES = 100;
/** Shortest and longest allowed `executeWithin` (PT5M..P30D), in ms. */
export const MIN_EXECUTE_WITHIN_MS = 5 * 60_000;
export const MAX_EXECUTE_WITHIN_MS = 30 * 86_400_000;

/**
 * The `id` of the snapshot that policy-change requests get while no `operationApprovalPolicy`
 * policy exists. It is never a real policy's id (real ids are GUIDs).
 */
export const BOOTSTRAP_POLICY_ID = 'bootstrap';

/**
 * The snapshot of a policy-change request submitted while no `operationApprovalPolicy` policy
 * exists: id {@link BOOTSTRAP_POLICY_ID}, version 0, no approver groups, one approval. It means
 * "any holder of `MAA.PolicyAdmin` other than the initiator". A new object on every call.
 */
export function bootstrapSnapshot(): PolicySnapshot {
  return { id: BOOTSTRAP_POLICY_ID, version: 0, approverGroupIds: [], requiredApprovals: 1 };
}

/** What an administrator submits to create or replace an access policy. */
export interface PolicyDraft {
  displayName: string;
  description?: string;
  profileType: ProfileType;
  approverGroupIds: string[];
  requiredApprovals?: number;
  /** ISO-8601 duration, PT1H..P90D. */
  requestTtl?: string;
  /** Risk-based quorum rules (see {@link scopeRuleProblems}); absent: none. */
  approvalsByScope?: ScopeRule[];
  /** Who completes an approved request; absent: `initiator`. */
  completion?: CompletionMode;
  /** ISO-8601 duration PT5M..P30D, at most `requestTtl`; absent: no window. */
  executeWithin?: string;
}

/** The fields of a draft that a policy keeps only when given. */
export const OPTIONAL_POLICY_FIELDS = ['approvalsByScope', 'completion', 'executeWithin'] as const;
type OptionalPolicyField = (typeof OPTIONAL_POLICY_FIELDS)[number];

/** A draft as it may arrive (any field of any type); a {@link PolicyDraft} is one. */
export type PolicyDraftInput = { readonly [K in keyof PolicyDraft]?: unknown };

/** A draft that passed validation, with every default filled in (the optional fields only when given). */
export type ValidPolicyDraft = Required<Omit<PolicyDraft, OptionalPolicyField>> &
  Pick<PolicyDraft, OptionalPolicyField>;

/** The outcome of {@link validatePolicyDraft}: the completed draft, or at least one field error. */
export type PolicyValidation = { ok: true; value: ValidPolicyDraft } | { ok: false; errors: FieldError[] };

export { isGuid } from './text';

/**
 * Checks a policy draft against the policy rules, reporting every broken one (in field order):
 * `displayName` 1..128 characters, not blank and free text (see `text.ts`); `description` free
 * text of at most 1024 characters (default empty); `profileType` a known profile type; `approverGroupIds` at least one GUID, none twice
 * (compared case-insensitively); `requiredApprovals` an integer 1..10 (default 1); `requestTtl` an
 * ISO-8601 duration (see {@link parseIsoDuration}) from PT1H to P90D (default P30D);
 * `approvalsByScope` rules that hold together (see {@link scopeRuleProblems}); `completion`
 * `initiator` or `onApproval`; `executeWithin` a duration from PT5M to P30D, not longer than
 * `requestTtl`. Values are returned as given: nothing is trimmed or case-folded.
 */
export function validatePolicyDraft(draft: PolicyDraftInput): PolicyValidation {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string): void => {
    errors.push({ path, message });
  };

  const {
    displayName,
    description = '',
    profileType,
    approverGroupIds,
    requiredApprovals = DEFAULT_REQUIRED_APPROVALS,
    requestTtl = DEFAULT_REQUEST_TTL,
    approvalsByScope,
    completion,
    executeWithin,
  } = draft;

  if (typeof displayName !== 'string') fail('displayName', 'is required and must be a string');
  else if (isBlankText(displayName)) fail('displayName', 'must not be blank');
  else if (freeTextProblem(displayName) !== undefined) fail('displayName', freeTextProblem(displayName)!);
  else if (characters(displayName) > MAX_DISPLAY_NAME_LENGTH)
    fail('displayName', `must be at most ${MAX_DISPLAY_NAME_LENGTH} characters`);

  if (typeof description !== 'string') fail('description', 'must be a string');
  else if (freeTextProblem(description) !== undefined) fail('description', freeTextProblem(description)!);
  else if (characters(description) > MAX_DESCRIPTION_LENGTH)
    fail('description', `must be at most ${MAX_DESCRIPTION_LENGTH} characters`);

  if (typeof profileType !== 'string' || !(PROFILE_TYPES as readonly string[]).includes(profileType)) {
    fail('profileType', `must be one of ${PROFILE_TYPES.join(', ')}`);
  }

  if (!Array.isArray(approverGroupIds)) fail('approverGroupIds', 'is required and must be an array of group ids');
  else if (approverGroupIds.length === 0) fail('approverGroupIds', 'must name at least one approver group');
  else {
    const seen = new Set<string>();
    approverGroupIds.forEach((groupId: unknown, index) => {
      if (typeof groupId !== 'string' || !isGuid(groupId))
        fail(`approverGroupIds.${index}`, 'must be a group object id (GUID)');
      else if (seen.has(groupId.toLowerCase())) fail(`approverGroupIds.${index}`, 'is listed more than once');
      else seen.add(groupId.toLowerCase());
    });
  }

  if (
    typeof requiredApprovals !== 'number' ||
    !Number.isInteger(requiredApprovals) ||
    requiredApprovals < 1 ||
    requiredApprovals > MAX_REQUIRED_APPROVALS
  ) {
    fail('requiredApprovals', `must be an integer from 1 to ${MAX_REQUIRED_APPROVALS}`);
  }

  const ttlProblem = requestTtlProblem(requestTtl);
  if (ttlProblem !== undefined) fail('requestTtl', ttlProblem);

  if (approvalsByScope !== undefined) errors.push(...scopeRuleProblems(approvalsByScope, requiredApprovals));

  if (completion !== undefined && !(COMPLETION_MODES as readonly unknown[]).includes(completion))
    fail('completion', `must be one of ${COMPLETION_MODES.join(', ')}`);

  if (executeWithin !== undefined) {
    const problem = executeWithinProblem(executeWithin, ttlProblem === undefined ? requestTtl : undefined);
    if (problem !== undefined) fail('executeWithin', problem);
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      displayName: displayName as string,
      description: description as string,
      profileType: profileType as ProfileType,
      approverGroupIds: [...(approverGroupIds as string[])],
      requiredApprovals: requiredApprovals as number,
      requestTtl: requestTtl as string,
      ...(approvalsByScope === undefined ? {} : { approvalsByScope: copyRules(approvalsByScope as ScopeRule[]) }),
      ...(completion === undefined ? {} : { completion: completion as CompletionMode }),
      ...(executeWithin === undefined ? {} : { executeWithin: executeWithin as string }),
    },
  };
}

const RULE_MEMBERS: ReadonlySet<string> = new Set(['minDevices', 'assignsToAll', 'requiredApprovals']);

/**
 * Every way `rules` (a policy's `approvalsByScope`, under a policy asking for `baseApprovals`)
 * breaks the scope rules, with paths `approvalsByScope.N.member`: at most 10 rules; each an object
 * with exactly one of `minDevices` (an integer 2..100) or `assignsToAll: true`, and
 * `requiredApprovals` (an integer 1..10, greater than `baseApprovals`), and no other member. Rules
 * that contradict each other: `minDevices` not strictly increasing in list order, a
 * `requiredApprovals` lower than an earlier device rule's, two `assignsToAll` rules.
 */
export function scopeRuleProblems(rules: unknown, baseApprovals: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string): void => {
    errors.push({ path: `approvalsByScope${path}`, message });
  };
  if (!Array.isArray(rules)) {
    fail('', 'must be an array of scope rules');
    return errors;
  }
  if (rules.length > MAX_SCOPE_RULES) fail('', `must hold at most ${MAX_SCOPE_RULES} rules`);
  // Rules are weighed against a valid policy number only (an invalid one has its own error).
  const base =
    typeof baseApprovals === 'number' &&
    Number.isInteger(baseApprovals) &&
    baseApprovals >= 1 &&
    baseApprovals <= MAX_REQUIRED_APPROVALS
      ? baseApprovals
      : undefined;
  let previous: { minDevices: number; requiredApprovals?: number } | undefined;
  let allRule: number | undefined;
  rules.forEach((rule: unknown, index) => {
    const at = `.${index}`;
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      fail(at, 'must be an object with minDevices or assignsToAll, and requiredApprovals');
      return;
    }
    const record = rule as Record<string, unknown>;
    for (const key of Object.keys(record))
      if (!RULE_MEMBERS.has(key)) fail(`${at}.${key}`, 'is not a member of a scope rule');
    const { minDevices, assignsToAll, requiredApprovals } = record;
    const approvalsOk =
      typeof requiredApprovals === 'number' &&
      Number.isInteger(requiredApprovals) &&
      requiredApprovals >= 1 &&
      requiredApprovals <= MAX_REQUIRED_APPROVALS;
    if (!approvalsOk) fail(`${at}.requiredApprovals`, `must be an integer from 1 to ${MAX_REQUIRED_APPROVALS}`);
    else if (base !== undefined && requiredApprovals <= base)
      fail(`${at}.requiredApprovals`, `must be greater than the policy's requiredApprovals (${base})`);
    if (minDevices === undefined && assignsToAll === undefined) {
      fail(at, 'must have minDevices or assignsToAll');
      return;
    }
    if (minDevices !== undefined && assignsToAll !== undefined) {
      fail(at, 'must have minDevices or assignsToAll, not both');
      return;
    }
    if (assignsToAll !== undefined) {
      if (assignsToAll !== true) fail(`${at}.assignsToAll`, 'must be true');
      else if (allRule !== undefined)
        fail(`${at}.assignsToAll`, `repeats rule ${allRule}: only one rule may be for assignments to all`);
      else allRule = index;
      return;
    }
    if (
      typeof minDevices !== 'number' ||
      !Number.isInteger(minDevices) ||
      minDevices < MIN_SCOPE_DEVICES ||
      minDevices > MAX_SCOPE_DEVICES
    ) {
      fail(`${at}.minDevices`, `must be an integer from ${MIN_SCOPE_DEVICES} to ${MAX_SCOPE_DEVICES}`);
      return;
    }
    if (previous !== undefined && minDevices <= previous.minDevices)
      fail(`${at}.minDevices`, `must be greater than the previous rule's minDevices (${previous.minDevices})`);
    else if (
      previous?.requiredApprovals !== undefined &&
      approvalsOk &&
      (requiredApprovals as number) < previous.requiredApprovals
    )
      fail(
        `${at}.requiredApprovals`,
        `must not be lower than the previous rule's (${previous.requiredApprovals}) for more devices`,
      );
    previous = { minDevices, ...(approvalsOk ? { requiredApprovals: requiredApprovals as number } : {}) };
  });
  return errors;
}

/** Why `executeWithin` breaks the rules (PT5M..P30D, not longer than `requestTtl` when that is valid), if it does. */
function executeWithinProblem(executeWithin: unknown, requestTtl: unknown): string | undefined {
  if (typeof executeWithin !== 'string') return 'must be an ISO-8601 duration such as PT4H';
  let ms: number;
  try {
    ms = parseIsoDuration(executeWithin);
  } catch (error) {
    return (error as Error).message;
  }
  if (ms < MIN_EXECUTE_WITHIN_MS || ms > MAX_EXECUTE_WITHIN_MS) return 'must be from PT5M to P30D';
  if (typeof requestTtl === 'string' && ms > parseIsoDuration(requestTtl))
    return `must not be longer than requestTtl (${requestTtl})`;
  return undefined;
}

function copyRules(rules: readonly ScopeRule[]): ScopeRule[] {
  return rules.map((rule) =>
    'assignsToAll' in rule
      ? { assignsToAll: true, requiredApprovals: rule.requiredApprovals }
      : { minDevices: rule.minDevices, requiredApprovals: rule.requiredApprovals },
  );
}

/** The completed draft; throws `invalid_policy` carrying every field error otherwise. */
export function assertValidPolicyDraft(draft: PolicyDraftInput): ValidPolicyDraft {
  const result = validatePolicyDraft(draft);
  if (!result.ok) {
    throw new DomainError(
      'invalid_policy',
      `invalid policy: ${result.errors.map((error) => `${error.path} ${error.message}`).join('; ')}`,
      {
        errors: result.errors,
      },
    );
  }
  return result.value;
}

/** The lifetime of a policy's requests in ms; throws `invalid_policy` when its `requestTtl` breaks the rules. */
export function requestTtlMs(policy: Pick<AccessPolicy, 'requestTtl'>): number {
  const problem = requestTtlProblem(policy.requestTtl);
  if (problem !== undefined) {
    throw new DomainError('invalid_policy', `invalid policy: requestTtl ${problem}`, {
      errors: [{ path: 'requestTtl', message: problem }],
    });
  }
  return parseIsoDuration(policy.requestTtl);
}

/** The part of `policy` that a request keeps for its whole life (copied: later edits of `policy` do not reach it). */
export function policySnapshot(policy: AccessPolicy): PolicySnapshot {
  return {
    id: policy.id,
    version: policy.version,
    approverGroupIds: [...policy.approverGroupIds],
    requiredApprovals: policy.requiredApprovals,
    ...(policy.approvalsByScope === undefined || policy.approvalsByScope.length === 0
      ? {}
      : { approvalsByScope: copyRules(policy.approvalsByScope) }),
    ...(policy.completion === undefined ? {} : { completion: policy.completion }),
    ...(policy.executeWithin === undefined ? {} : { executeWithin: policy.executeWithin }),
  };
}

/** The `executeWithin` window of `snapshot` in ms, or undefined when it has none. */
export function executeWithinMs(snapshot: Pick<PolicySnapshot, 'executeWithin'>): number | undefined {
  return snapshot.executeWithin === undefined ? undefined : parseIsoDuration(snapshot.executeWithin);
}

/** True when the service completes a request of `snapshot` as soon as it is approved. */
export function completesOnApproval(snapshot: Pick<PolicySnapshot, 'completion'>): boolean {
  return snapshot.completion === 'onApproval';
}

/**
 * Throws `auto_complete_unavailable` when a policy draft asks for `completion: onApproval` for a
 * profile type whose executor is `none` (release only): completing on approval would run nothing.
 */
export function assertCompletionRuns(
  draft: Pick<PolicyDraft, 'completion' | 'profileType'>,
  executorKind: string,
): void {
  if (draft.completion === 'onApproval' && executorKind === 'none') {
    throw new DomainError(
      'auto_complete_unavailable',
      `${draft.profileType} is release only here: nothing would run on approval, so completion must stay initiator`,
      { errors: [{ path: 'completion', message: `cannot be onApproval: ${draft.profileType} has no executor` }] },
    );
  }
}

/** True when `snapshot` is the bootstrap marker ({@link BOOTSTRAP_POLICY_ID}), whatever its other fields say. */
export function isBootstrapSnapshot(snapshot: Pick<PolicySnapshot, 'id'>): boolean {
  return snapshot.id === BOOTSTRAP_POLICY_ID;
}

/**
 * Who may decide on a request, read from its snapshot. Whatever the rule, the initiator never may.
 * - `groupMembers`: holders of `role` who are in at least one of `approverGroupIds`.
 * - `otherPolicyAdmins` (bootstrap): any holder of `role`, with no group condition.
 */
export type ApproverRule =
  | { kind: 'groupMembers'; role: AppRole; approverGroupIds: readonly string[]; requiredApprovals: number }
  | { kind: 'otherPolicyAdmins'; role: AppRole; requiredApprovals: number };

/** The approver rule a request's snapshot stands for. */
export function approverRule(snapshot: PolicySnapshot): ApproverRule {
  if (isBootstrapSnapshot(snapshot))
    return { kind: 'otherPolicyAdmins', role: 'MAA.PolicyAdmin', requiredApprovals: snapshot.requiredApprovals };
  return {
    kind: 'groupMembers',
    role: 'MAA.Approver',
    approverGroupIds: snapshot.approverGroupIds,
    requiredApprovals: snapshot.requiredApprovals,
  };
}

/** The snapshot and lifetime a new request of `profileType` gets. */
export interface ApplicablePolicy {
  snapshot: PolicySnapshot;
  /** ISO-8601 duration within PT1H..P90D. */
  requestTtl: string;
  requestTtlMs: number;
}

/**
 * What governs a new request of `profileType`, given the active policy protecting that profile type
 * (`undefined` when there is none): that policy's snapshot and TTL; or, for `operationApprovalPolicy`
 * with no such policy, the bootstrap snapshot and {@link DEFAULT_REQUEST_TTL}. Throws
 * `no_applicable_policy` when another profile type has no policy or `activePolicy` protects a
 * different profile type, and `invalid_policy` when `activePolicy` breaks the policy rules.
 */
export function applicablePolicy(profileType: ProfileType, activePolicy: AccessPolicy | undefined): ApplicablePolicy {
  if (activePolicy === undefined) {
    if (profileType !== 'operationApprovalPolicy')
      throw new DomainError('no_applicable_policy', `no access policy protects ${profileType}`);
    return {
      snapshot: bootstrapSnapshot(),
      requestTtl: DEFAULT_REQUEST_TTL,
      requestTtlMs: parseIsoDuration(DEFAULT_REQUEST_TTL),
    };
  }
  if (activePolicy.profileType !== profileType) {
    throw new DomainError(
      'no_applicable_policy',
      `policy ${activePolicy.id} protects ${activePolicy.profileType}, not ${profileType}`,
    );
  }
  if (isBootstrapSnapshot(activePolicy)) {
    throw new DomainError('invalid_policy', `"${BOOTSTRAP_POLICY_ID}" is reserved and cannot be a policy id`, {
      errors: [{ path: 'id', message: 'is reserved' }],
    });
  }
  const problems = validatePolicyDraft(activePolicy);
  if (!problems.ok) {
    throw new DomainError('invalid_policy', `policy ${activePolicy.id} breaks the policy rules`, {
      errors: problems.errors,
    });
  }
  return {
    snapshot: policySnapshot(activePolicy),
    requestTtl: activePolicy.requestTtl,
    requestTtlMs: requestTtlMs(activePolicy),
  };
}

/**
 * Who approves policy changes (requests of profile type `operationApprovalPolicy`): the members of
 * the approver groups of the active `operationApprovalPolicy` policy, with its quorum, when one
 * exists; otherwise (bootstrap) any other holder of `MAA.PolicyAdmin`, one approval.
 */
export function policyChangeApprovers(activeOapPolicy: AccessPolicy | undefined): ApproverRule {
  return approverRule(applicablePolicy('operationApprovalPolicy', activeOapPolicy).snapshot);
}

/**
 * Throws `use_policies_api` for a request of profile type `operationApprovalPolicy` submitted as a
 * plain request: policy changes are made through the policy API, which validates the policy,
 * checks its groups and builds the operation approvers see from it.
 */
export function assertDirectlySubmittable(profileType: ProfileType): void {
  if (profileType === 'operationApprovalPolicy') {
    throw new DomainError(
      'use_policies_api',
      'policy changes are submitted through POST /api/policies, PUT or DELETE /api/policies/{id}, not as a plain request',
    );
  }
}

/** Throws `policy_exists` when `active` (the active policy of the new policy's profile type, if any) exists: one policy per profile type. */
export function assertNoActivePolicy(profileType: ProfileType, active: Pick<AccessPolicy, 'id'> | undefined): void {
  if (active !== undefined) {
    throw new DomainError(
      'policy_exists',
      `policy ${active.id} already protects ${profileType}: change it (PUT /api/policies/${active.id}) instead`,
      {
        errors: [{ path: 'profileType', message: `is already protected by policy ${active.id}` }],
      },
    );
  }
}

/**
 * Throws `unknown_group` naming (by index and id) each of `approverGroupIds` that is not among
 * `knownGroupIds` (the ones the directory knows), comparing case-insensitively.
 */
export function assertKnownGroups(approverGroupIds: readonly string[], knownGroupIds: readonly string[]): void {
  const known = new Set(knownGroupIds.map((id) => id.toLowerCase()));
  const unknown = approverGroupIds.flatMap((id, index) => (known.has(id.toLowerCase()) ? [] : [{ id, index }]));
  if (unknown.length > 0) {
    throw new DomainError('unknown_group', `the directory knows no group ${unknown.map(({ id }) => id).join(', ')}`, {
      errors: unknown.map(({ id, index }) => ({
        path: `approverGroupIds.${index}`,
        message: `group ${id} does not exist in the directory`,
      })),
    });
  }
}

function requestTtlProblem(requestTtl: unknown): string | undefined {
  if (typeof requestTtl !== 'string') return 'must be an ISO-8601 duration such as P30D';
  let ms: number;
  try {
    ms = parseIsoDuration(requestTtl);
  } catch (error) {
    return (error as Error).message;
  }
  if (ms < MIN_REQUEST_TTL_MS || ms > MAX_REQUEST_TTL_MS) return 'must be from PT1H to P90D';
  return undefined;
}

function characters(text: string): number {
  return [...text].length;
}
