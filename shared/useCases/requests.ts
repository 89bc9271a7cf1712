import { createHmac, hkdfSync } from 'node:crypto';
import type { SubmitRequestBody } from '../api/schemas';
import { findEntry } from '../intune/catalogue';
import { scopeOf } from '../intune/catalogue/scope';
import { subkey, type AppKeyRing } from '../keys/appKey';
import { sealSecret } from '../keys/secretSeal';
import { readTrail } from '../store/trail';
import { canonicalJson, sha256Hex } from '../domain/canonicalJson';
import { DomainError, isDomainError } from '../domain/errors';
import { applyCommand, createRequest, mayView, storedOperation } from '../domain/lifecycle';
import { isUnstarted } from '../domain/operatorActions';
import { approversOtherThan } from '../domain/approverPool';
import {
  CLOSED_STATUSES,
  type AccessPolicy,
  type ApprovalRequest,
  type AuditRecord,
  type DecisionKind,
  type Operation,
  type TargetSnapshot,
} from '../domain/model';
import { verifyTrail } from '../domain/trailVerification';
import { isStoreError, type Page, type RequestFilters, type RequestView, type Tagged } from '../store/store';
import { sealPage, storePaging, type ListBinding } from './continuation';
import type { ActorCommand } from '../domain/commands';
import type { Caller, UseCaseDeps } from './deps';
import { closedRefusal, refusalEvent, withNonce } from '../../orchestrations/steps';
import { writeStep } from '../ops/writeStep';
import {
  awaitCommand,
  awaitStatus,
  FALLBACK_READ_MS,
  isOrchestrationRefusal,
  MAX_FALLBACK_READ_MS,
  RequestWatch,
  type CommandOutcome,
  type WaitTarget,
} from './awaitRequest';

const notFound = (id: string) => new DomainError('not_found', `No request '${id}' that you may see.`);

function actorOf(caller: Caller) {
  return { id: caller.id, displayName: caller.displayName };
}

/**
 * Submits a request: checks the caller and the applicable policy through the domain rules, reads
 * the operation's Intune target through Graph, takes the entity lock by creating the read model
 * (with the target's snapshot as `target`), and starts the request's orchestration. With an
 * idempotency key, the same key and body return the first request again; another body under the
 * same key is `idempotency_key_reused`.
 *
 * Secret payload fields of the operation's catalogue entry (the macOS unlock code) are sealed for
 * the request before the operation is hashed or stored, so the stored request, its hash and its
 * audit trail never hold them in clear. The target is read before anything is written: a target
 * Graph does not know (`target_not_found`) or a Graph that cannot be asked (`graph_unavailable`)
 * leaves no request, no idempotency record and no entity lock behind.
 */
export async function submitRequest(
  deps: UseCaseDeps,
  caller: Caller,
  body: SubmitRequestBody,
  idempotencyKey?: string,
): Promise<ApprovalRequest> {
  const prepared = await prepareSubmission(deps, caller, body);
  const { secretFields, build, target, targets } = prepared;
  let id = prepared.id;
  if (idempotencyKey !== undefined) {
    const bodyHash = submitBodyHash(deps.appKeys, body, secretFields);
    const stored = await deps.store.putIdempotencyKey({
      key: idempotencyKey,
      principalId: caller.id,
      bodyHash,
      requestId: id,
      createdAt: deps.now().toISOString(),
    });
    if (stored.bodyHash !== bodyHash) {
      throw new DomainError('idempotency_key_reused', 'Use a new key for a different request.');
    }
    if (stored.requestId !== id) {
      const existing = await deps.store.getRequest(stored.requestId);
      if (existing) return ensureStarted(deps, existing);
      // The first attempt stopped before it stored its request: carry on under its id.
      id = stored.requestId;
    }
  }
  const request = build(id, target, targets);
  let created: Tagged<ApprovalRequest>;
  try {
    created = await deps.store.createRequest(request);
  } catch (error) {
    if (isStoreError(error, 'conflict')) {
      const existing = await deps.store.getRequest(id);
      if (existing) return ensureStarted(deps, existing);
    }
    throw error;
  }
  await startOrchestration(deps, created);
  return request;
}

/** What a submit of the same body would do, as `POST /api/requests/evaluate` answers it. */
export interface Evaluation {
  /** Whether an access policy protects the operation (false: no request is needed, or possible). */
  protected: boolean;
  policy?: { id: string; displayName: string; version: number };
  requiredApprovals: number;
  /** Why that many approvals, in words. */
  why: string;
  /** Who could approve: the policy's approver groups' users who hold MAA.Approver, the caller left out. */
  approvers: { id: string; displayName: string }[];
  /** The target as the submit would snapshot it. */
  target?: TargetSnapshot;
  /** A bulk device action's devices as the submit would snapshot them. */
  targets?: TargetSnapshot[];
  /** What completion would send; secret fields show as "(sealed)". */
  calls: { method: string; path: string; body?: unknown }[];
  /** The hash the request's approvals would bind (absent when the operation holds a secret, sealed per request). */
  operationHash?: string;
}

/** Shown in place of a secret field's value in a dry run's calls. */
export const SEALED_PLACEHOLDER = '(sealed)';

/**
 * The dry run of a submit: the same validation, rules and target read, writing nothing (no
 * request, no idempotency record, no lock, no orchestration, no audit). An operation no policy
 * protects is not refused: it answers `protected: false`.
 */
export async function evaluateRequest(deps: UseCaseDeps, caller: Caller, body: SubmitRequestBody): Promise<Evaluation> {
  const { entry, secretFields, policy, request, operation, target, targets } = await prepareSubmission(
    deps,
    caller,
    body,
    'allow',
  );
  const payload = body.operation.payload;
  const secrets: Record<string, string> = {};
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload))
    for (const field of secretFields)
      if (typeof (payload as Record<string, unknown>)[field] === 'string') secrets[field] = SEALED_PLACEHOLDER;
  const calls = (entry?.calls(operation, secrets) ?? []).map((call) => ({
    method: call.method,
    path: `/${call.version}${call.path}`,
    ...(call.body === undefined ? {} : { body: call.body }),
  }));
  const common = { calls, ...(target === undefined ? {} : { target }), ...(targets === undefined ? {} : { targets }) };
  if (request === undefined)
    return {
      protected: false,
      requiredApprovals: 0,
      why: `No access policy protects ${body.profileType}: a submit is refused and no approval is needed.`,
      approvers: [],
      ...common,
    };
  const snapshot = request.policy;
  const approvers = await eligibleApprovers(deps, snapshot.approverGroupIds, caller.id);
  const named = policy?.value;
  return {
    protected: true,
    ...(named === undefined
      ? {}
      : { policy: { id: named.id, displayName: named.displayName, version: named.version } }),
    requiredApprovals: snapshot.requiredApprovals,
    why: named
      ? snapshot.quorum === undefined
        ? `Policy '${named.displayName}' (version ${named.version}) requires ${snapshot.requiredApprovals} approval(s) from its approver groups, not counting the requester.`
        : `Policy '${named.displayName}' (version ${named.version}) requires ${approvalsIn(snapshot.quorum.baseApprovals)}; this request ${snapshot.quorum.text}. Approvals come from its approver groups, not counting the requester.`
      : `No policy governs ${body.profileType} yet: ${snapshot.requiredApprovals} other policy admin(s) approve it.`,
    approvers,
    ...common,
    ...(Object.keys(secrets).length === 0 ? { operationHash: request.operationHash } : {}),
  };
}

function approvalsIn(count: number): string {
  return `${count} approval${count === 1 ? '' : 's'}`;
}

/** The transitive users of `groupIds` who hold MAA.Approver now, without `excludeId`, sorted by name. */
async function eligibleApprovers(
  deps: UseCaseDeps,
  groupIds: readonly string[],
  excludeId: string,
): Promise<{ id: string; displayName: string }[]> {
  const candidates = await deps.directory.approverCandidates(groupIds);
  const eligible = candidates
    .filter((candidate) => candidate.id !== excludeId && candidate.roles.includes('MAA.Approver'))
    .map(({ id, displayName }) => ({ id, displayName }));
  return eligible.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
}

/**
 * The steps a submit and its dry run share, writing nothing: the catalogue entry and the policy;
 * the rules, through `build` (the request under `id`, a fresh id); then the target, read through
 * Graph for the identifiers as stored. Throws the rules' refusal; with `unprotected: 'allow'` (the
 * dry run) an operation no policy protects is not refused: `request` is then absent.
 */
async function prepareSubmission(
  deps: UseCaseDeps,
  caller: Caller,
  body: SubmitRequestBody,
  unprotected: 'refuse' | 'allow' = 'refuse',
) {
  const entry = findEntry(body.profileType, body.operation.resourceType, body.operation.action);
  const secretFields = entry?.secretFields ?? [];
  const policy = await deps.store.findPolicyByProfileType(body.profileType);
  const build = (id: string, target?: TargetSnapshot, targets?: TargetSnapshot[]) =>
    createRequest({
      id,
      profileType: body.profileType,
      operation: sealSecrets(deps.appKeys, id, body.operation, secretFields),
      justification: body.justification,
      initiator: actorOf(caller),
      initiatorRoles: caller.roles,
      policy: policy?.value,
      now: deps.now().toISOString(),
      // The operation's reach: the policy's scope rules raise the quorum with it.
      scope: scopeOf(body.operation),
      ...(target === undefined ? {} : { target }),
      ...(targets === undefined ? {} : { targets }),
    });
  const id = deps.newId();
  // The rules first: a caller they refuse learns nothing about the target from Graph's answer.
  let request: ApprovalRequest | undefined;
  let operation: Operation;
  try {
    request = build(id);
    operation = request.operation;
  } catch (error) {
    // The rules check the caller and the body before the policy: this operation is valid, only unprotected.
    if (unprotected === 'refuse' || !(error instanceof DomainError && error.code === 'no_applicable_policy'))
      throw error;
    operation = storedOperation(body.operation);
  }
  // Then whether anyone could approve (a dry run lists its approvers instead), still before Graph
  // is asked about the target or anything is written.
  if (unprotected === 'refuse' && policy !== undefined && request !== undefined)
    await assertQuorumReachable(deps, caller, policy.value, request.policy.requiredApprovals);
  // Graph is asked for the identifiers as stored (normalised), before anything is written: a bulk
  // operation's devices each on their own.
  const bulk = operation.resourceIds !== undefined;
  const target =
    entry?.resourceId === 'required' && !bulk ? await deps.targets.read(body.profileType, operation) : undefined;
  const targets =
    entry?.resourceId === 'required' && bulk ? await readTargets(deps, body.profileType, operation) : undefined;
  return { id, entry, secretFields, policy, build, request, operation, target, targets };
}

/** How many device reads a bulk submit has in flight at once (Graph's throttling is per app and tenant). */
const TARGET_READ_CONCURRENCY = 4;

/**
 * Each device of a bulk operation read through Graph, in `resourceIds` order, at most
 * {@link TARGET_READ_CONCURRENCY} at a time. Every device Graph does not know is named in one
 * `target_not_found` (field errors `operation.resourceIds.N`); any other refusal (Graph unavailable)
 * is thrown as it came.
 */
async function readTargets(
  deps: UseCaseDeps,
  profileType: SubmitRequestBody['profileType'],
  operation: Operation,
): Promise<TargetSnapshot[]> {
  const ids = operation.resourceIds ?? [];
  const results: (TargetSnapshot | undefined)[] = new Array<TargetSnapshot | undefined>(ids.length);
  const unknown: number[] = [];
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (failure === undefined && next < ids.length) {
      const index = next++;
      const { resourceIds: _all, ...single } = operation;
      try {
        results[index] = await deps.targets.read(profileType, { ...single, resourceId: ids[index]! });
      } catch (error) {
        if (isDomainError(error, 'target_not_found')) unknown.push(index);
        else failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TARGET_READ_CONCURRENCY, ids.length) }, worker));
  if (failure !== undefined) throw failure;
  if (unknown.length > 0) {
    unknown.sort((a, b) => a - b);
    throw new DomainError(
      'target_not_found',
      `Intune has no ${operation.resourceType} with id ${unknown.map((index) => ids[index]).join(', ')}`,
      {
        errors: unknown.map((index) => ({
          path: `operation.resourceIds.${index}`,
          message: `Intune has no ${operation.resourceType} with id ${ids[index]}`,
        })),
      },
    );
  }
  return results.map((snapshot, index) => {
    if (snapshot === undefined) throw new DomainError('target_not_found', `no snapshot of ${ids[index]}`);
    return snapshot;
  });
}

/**
 * Refuses (`no_eligible_approver`) a submit under `policy` when fewer users in its approver groups
 * than the request's effective quorum `requiredApprovals` (a scope rule may have raised it), the
 * caller left out, hold `MAA.Approver`: such a request would wait out its lifetime for nothing.
 */
async function assertQuorumReachable(
  deps: UseCaseDeps,
  caller: Caller,
  policy: AccessPolicy,
  requiredApprovals: number,
): Promise<void> {
  const candidates = await deps.directory.approverCandidates(policy.approverGroupIds);
  const others = approversOtherThan(candidates, caller.id);
  if (others === 0)
    throw new DomainError(
      'no_eligible_approver',
      `nobody other than you in the approver groups of policy '${policy.displayName}' holds MAA.Approver`,
    );
  if (others < requiredApprovals)
    throw new DomainError(
      'no_eligible_approver',
      `this request needs ${requiredApprovals} approvals, but only ${others} user(s) other than you in the approver groups of policy '${policy.displayName}' hold MAA.Approver`,
    );
}

/** `operation` with each of `secretFields` present in its payload as a string sealed for request `id` (a copy). */
function sealSecrets(
  keys: AppKeyRing,
  id: string,
  operation: SubmitRequestBody['operation'],
  secretFields: readonly string[],
): SubmitRequestBody['operation'] {
  const payload = operation.payload;
  if (secretFields.length === 0 || payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return operation;
  const sealed: Record<string, unknown> = { ...payload };
  for (const field of secretFields) {
    const clear = sealed[field];
    if (typeof clear === 'string') sealed[field] = sealSecret(keys, id, field, clear);
  }
  return { ...operation, payload: sealed as typeof payload };
}

/**
 * The hash an idempotency record keeps of a submit's body. A secret field enters it as an HMAC
 * under the app key, not in clear: a plain hash of a body whose only unknown is a 6-digit code
 * gives the code away to anyone who reads the store. Bodies without secrets hash as they always did.
 */
function submitBodyHash(keys: AppKeyRing, body: SubmitRequestBody, secretFields: readonly string[]): string {
  const payload = body.operation.payload;
  const present =
    payload !== null && typeof payload === 'object' && !Array.isArray(payload)
      ? secretFields.filter((field) => typeof (payload as Record<string, unknown>)[field] === 'string')
      : [];
  if (present.length === 0) return sha256Hex(canonicalJson(body));
  const macKey = Buffer.from(
    hkdfSync('sha256', subkey(keys.current, 'secret-seal'), Buffer.alloc(0), 'idempotency', 32),
  );
  const blinded: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  for (const field of present)
    blinded[field] = {
      hmac: createHmac('sha256', macKey)
        .update(`${field}\n${String(blinded[field])}`)
        .digest('hex'),
    };
  return sha256Hex(canonicalJson({ ...body, operation: { ...body.operation, payload: blinded } }));
}

/**
 * A retried submit returns the stored request, making sure its orchestration runs: the first
 * attempt may have stopped between storing the request and starting it. Starting is idempotent.
 */
async function ensureStarted(deps: UseCaseDeps, stored: Tagged<ApprovalRequest>): Promise<ApprovalRequest> {
  const request = stored.value;
  if (isUnstarted(request)) await startOrchestration(deps, stored);
  return request;
}

/** Starts the request's orchestration with the read model as stored, etag included, and the reminder lead (the orchestration's input). */
function startOrchestration(deps: UseCaseDeps, stored: Tagged<ApprovalRequest>): Promise<void> {
  return deps.orchestrations.start(stored.value.id, {
    request: stored.value,
    etag: stored.etag,
    reminderBeforeMs: deps.reminderBeforeMs,
  });
}

/** The caller's groups among the request's approver groups. */
async function groupsFor(deps: UseCaseDeps, caller: Caller, request: ApprovalRequest): Promise<string[]> {
  if (request.policy.approverGroupIds.length === 0) return [];
  return deps.directory.memberGroupsOf(caller.id, request.policy.approverGroupIds);
}

/** Loads a request the caller may see; 404 otherwise (so ids of others' requests do not leak). */
export async function getVisibleRequest(deps: UseCaseDeps, caller: Caller, id: string): Promise<ApprovalRequest> {
  const stored = await deps.store.getRequest(id);
  if (!stored) throw notFound(id);
  const request = stored.value;
  const visible =
    caller.id === request.initiator.id ||
    caller.roles.includes('MAA.Operator') ||
    mayView(request, caller, caller.roles, await groupsFor(deps, caller, request));
  if (!visible) throw notFound(id);
  return request;
}

/**
 * The request `id` as {@link getVisibleRequest} answers it, once it reaches `target` or closes
 * (see `reached`), waiting at most `timeoutMs`; `reached` says whether it did.
 */
export async function awaitVisibleRequest(
  deps: UseCaseDeps,
  caller: Caller,
  id: string,
  target: WaitTarget,
  timeoutMs: number,
): Promise<{ request: ApprovalRequest; reached: boolean }> {
  // Visibility is decided once, on the request as it is now: who may see it does not change.
  return awaitStatus(deps, await getVisibleRequest(deps, caller, id), target, timeoutMs);
}

/**
 * One page of a list view: `mine`, `received` (what the caller may decide on) or `all`
 * (operators). Its continuation token continues only this view, for this caller, with this
 * `status`: any other use is `invalid_continuation`.
 */
export async function listRequests(
  deps: UseCaseDeps,
  caller: Caller,
  query: { view: 'mine' | 'received' | 'all'; top: number; continuationToken?: string } & RequestFilters,
): Promise<Page<ApprovalRequest>> {
  const { view: _view, top: _top, continuationToken: _token, ...filters } = query;
  const binding: ListBinding = {
    list: `requests:${query.view}`,
    callerId: caller.id,
    filters: { ...filters },
  };
  const paging = storePaging(deps.appKeys, binding, query);
  let view: RequestView;
  if (query.view === 'all') {
    if (!caller.roles.includes('MAA.Operator')) throw new DomainError('forbidden', 'view=all needs MAA.Operator');
    view = { kind: 'all' };
  } else if (query.view === 'received') {
    // Approvers decide on requests of their groups (group members without the role see none of
    // them); while no policy governs policy changes, any other policy admin decides those.
    const approver = caller.roles.includes('MAA.Approver');
    const bootstrap = caller.roles.includes('MAA.PolicyAdmin');
    if (!approver && !bootstrap) return { items: [] };
    view = {
      kind: 'received',
      principalId: caller.id,
      groupIds: approver ? await deps.directory.allGroupsOf(caller.id) : [],
      bootstrap,
    };
  } else {
    view = { kind: 'mine', initiatorId: caller.id };
  }
  const page = await deps.store.listRequests({ view, ...paging, ...filters });
  return sealPage(deps.appKeys, binding, page);
}

/** What a caller asks of an existing request; a decision through an approval link names the link. */
export type CommandInput =
  | { kind: 'decide'; decision: DecisionKind; notes: string; linkId?: string }
  | { kind: 'cancel' }
  | { kind: 'complete' };

/**
 * Sends a decision, cancellation or completion to the request's orchestration after checking it
 * against the current read model with the same rules (so the caller hears about a refusal at
 * once); the orchestration checks it again when it applies it. With a command wait
 * (`deps.commandWaitMs` > 0) it then waits, within that bound, for the orchestration's step that
 * names the command's nonce: `applied` with the request after it, the orchestration's refusal thrown
 * as its code (a lost race), or `pending` with the request as it stands once the bound passed.
 * Without one it answers `pending` with the request as it stood, at once.
 *
 * The instance's status is read only when the command may have gone to a finished instance (which
 * drops it): once the bound passed, or, sooner, once another step closed the request without it
 * (then at the watch's gaps, while the instance still runs). A finished instance that never took
 * it: the command is audited as refused, as the orchestration audits one that comes while the
 * closed request finishes its work (see {@link auditDropped}), and refused `invalid_state`.
 */
export async function sendCommand(
  deps: UseCaseDeps,
  caller: Caller,
  id: string,
  command: CommandInput,
): Promise<CommandOutcome> {
  // No visibility check here: the rules below answer with the precise refusal (not_an_approver...).
  const stored = await deps.store.getRequest(id);
  if (!stored) throw notFound(id);
  const checked = await checkCommand(deps, caller, stored.value, command);
  const waitMs = deps.commandWaitMs ?? 0;
  if (waitMs <= 0) {
    await deps.orchestrations.raise(id, checked);
    return { kind: 'pending', request: stored.value };
  }
  const deadline = performance.now() + waitMs;
  // Watching before sending: the step may be written before the raise returns.
  const watch = new RequestWatch(deps, id, stored.value);
  try {
    // No status read after the raise: the step naming the nonce says the command took effect.
    const { nonce } = await deps.orchestrations.raise(id, checked, { checkRunning: false });
    // Sent: from here a failure to watch is no failure of the command, which may well apply.
    const pending: CommandOutcome = { kind: 'pending', request: stored.value };
    const wait = async (ms: number, stopWhen?: (request: ApprovalRequest) => boolean) => {
      try {
        return await awaitCommand(watch, nonce, ms, stored.value, stopWhen);
      } catch (error) {
        if (isOrchestrationRefusal(error)) throw error;
        return undefined;
      }
    };
    let outcome = await wait(waitMs, (request) => CLOSED_STATUSES.has(request.status));
    // Nothing answered yet: the bound passed, or the request closed without this command.
    for (let gap = FALLBACK_READ_MS; outcome?.kind === 'pending'; gap = Math.min(gap * 2, MAX_FALLBACK_READ_MS)) {
      try {
        await deps.orchestrations.assertRunning(id);
      } catch (error) {
        // A status that could not be read is no answer: the wait goes on to its bound.
        if (isDomainError(error, 'invalid_state')) {
          // Finished: but its last step may have applied or refused this very command just now.
          await watch.readNow();
          const late = await awaitCommand(watch, nonce, 0, stored.value);
          if (late.kind !== 'pending') return late;
          throw await auditDropped(deps, id, checked, nonce);
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) return outcome;
      outcome = await wait(Math.min(gap, left));
    }
    return outcome ?? pending;
  } finally {
    watch.close();
  }
}

/**
 * Audits `command` (nonce `nonce`) as refused once the request's finished instance dropped it: the
 * record the orchestration makes for a command that comes while the closed request finishes its
 * work (`closedRefusal`, naming the nonce), chained after the trail's last record. Nothing is
 * written when a record already names the nonce, or when the request is not closed (an instance
 * that ended with its request open is an operator's matter, and the trail stays as it left it).
 * Answers the refusal to give the caller, `invalid_state` in any case: a record that could not be
 * written (the store failing, the trail changing through every attempt) is said in its detail.
 */
async function auditDropped(deps: UseCaseDeps, id: string, command: ActorCommand, nonce: string): Promise<DomainError> {
  const at = deps.now().toISOString();
  let status: ApprovalRequest['status'] | undefined;
  try {
    await writeStep(deps.store, id, (request, trail) => {
      status = request.status;
      if (!CLOSED_STATUSES.has(request.status) || trail.some((record) => record.data.nonce === nonce)) return undefined;
      const { code, reason } = closedRefusal(request.status);
      return { request, events: withNonce([refusalEvent(id, command, code, reason, at)], nonce) };
    });
  } catch {
    return new DomainError(
      'invalid_state',
      'the request’s orchestration ended before this command reached it; the refusal could not be audited',
    );
  }
  return new DomainError(
    'invalid_state',
    status && CLOSED_STATUSES.has(status) ? closedRefusal(status).reason : 'the request’s orchestration has ended',
  );
}

/**
 * Checks `command` by `caller` against `request` with the lifecycle rules (reading the caller's
 * approver groups through the directory) and returns the command to raise; throws the rules'
 * refusal. Changes nothing, so a caller can check, do its own step, then raise. The command names
 * the actor only: the orchestration reads their roles and groups again when it applies it.
 */
export async function checkCommand(
  deps: UseCaseDeps,
  caller: Caller,
  request: ApprovalRequest,
  command: CommandInput,
): Promise<ActorCommand> {
  const at = deps.now().toISOString();
  const actor = actorOf(caller);
  if (command.kind === 'cancel') {
    applyCommand(request, { kind: 'cancel', actor, at });
    return { kind: 'cancel', actor };
  }
  if (command.kind === 'complete') {
    applyCommand(request, { kind: 'complete', actor, actorRoles: caller.roles, at });
    return { kind: 'complete', actor };
  }
  const { decision, notes, linkId } = command;
  const link = linkId === undefined ? { source: 'api' as const } : { source: 'link' as const, linkId };
  const actorGroupIds = await groupsFor(deps, caller, request);
  applyCommand(request, {
    kind: 'decide',
    actor,
    actorRoles: caller.roles,
    actorGroupIds,
    decision,
    notes,
    at,
    ...link,
  });
  return { kind: 'decide', actor, decision, notes, ...link };
}

/** A page of the request's audit trail, with whether the whole trail verifies: its hash chain, and against the head its request keeps (see `verifyTrail`). */
export async function auditTrail(
  deps: UseCaseDeps,
  caller: Caller,
  id: string,
  page: { top: number; continuationToken?: string },
): Promise<Page<AuditRecord> & { chainValid: boolean }> {
  const request = await getVisibleRequest(deps, caller, id);
  const chainValid = verifyTrail({ request, records: await readTrail(deps.store, id) }).valid;
  const result = await deps.store.listAudit(id, {
    top: page.top,
    ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
  });
  return { ...result, chainValid };
}
