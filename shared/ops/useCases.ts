import { readTrail } from '../store/trail';
import type { ApprovalRequest, AuditRecord } from '../domain/model';
import { DomainError } from '../domain/errors';
import { verifyTrail } from '../domain/trailVerification';
import {
  isUnstarted,
  operatorCancel,
  requestRedrive,
  startUnstarted,
  type OperatorAction,
} from '../domain/operatorActions';
import type { AuthenticatedPrincipal } from '../identity/principal';
import type { Directory } from '../identity/directory';
import type { AppKeyRing } from '../keys/appKey';
import type { Page, PageRequest, Store, Tagged } from '../store/store';
import { sealPage, storePaging, type ListBinding } from '../useCases/continuation';
import { approverPools, type ApproverPools } from './approverPools';
import { checkConsistency, type Consistency } from './consistency';
import type { OpsReader, RequestSummary } from './opsReader';
import {
  FINISHED_RUNTIME_STATUSES,
  type HistoryItem,
  type InstanceQuery,
  type InstanceStatus,
  type OpsOrchestrations,
} from './opsOrchestrations';
import { opsSummary, type OpsSummary } from './summary';
import { writeStep } from './writeStep';

/** What the operators' use cases run against. */
export interface OpsDeps {
  store: Store;
  reader: OpsReader;
  orchestrations: OpsOrchestrations;
  now: () => Date;
  /** Resolves after `ms` (polling for a terminated instance). */
  sleep: (ms: number) => Promise<void>;
  correlationId?: string;
  /** The app key ring (continuation tokens are sealed with it). */
  appKeys: AppKeyRing;
  /** How long before expiry approvers are reminded (0: never); approval orchestrations are started with it. */
  reminderBeforeMs: number;
  /** The (cached) directory: the approver pools of the policies are read through it. */
  directory: Pick<Directory, 'approverCandidates'>;
}

/** How long terminate waits for the orchestration to stop before answering 503 (try again). */
const TERMINATE_WAIT_MS = 30_000;

/** Every ops endpoint needs `MAA.Operator`; everyone else gets `403 not_an_operator`. */
export function requireOperator(caller: AuthenticatedPrincipal): void {
  if (!caller.roles.includes('MAA.Operator')) throw new DomainError('not_an_operator', '');
}

/** The operators' summary with the approver pools of every active policy. */
export type OpsOverview = OpsSummary & { approverPools: ApproverPools };

/** The summary (see {@link opsSummary}) and every policy's approver pool (see {@link approverPools}). */
export async function summary(deps: OpsDeps): Promise<OpsOverview> {
  const [overview, pools] = await Promise.all([
    opsSummary(deps.reader, deps.orchestrations, deps.now()),
    approverPools(deps.store, deps.directory),
  ]);
  return { ...overview, approverPools: pools };
}

/** The request an instance belongs to: its own id, or the part before `:redrive:` for a re-drive. */
export function requestIdOf(instanceId: string): string {
  const at = instanceId.indexOf(':redrive:');
  return at < 0 ? instanceId : instanceId.slice(0, at);
}

export interface InstanceDetail {
  instanceId: string;
  instance: (InstanceStatus & { history?: HistoryItem[] }) | null;
  request: ApprovalRequest | null;
  audit: { items: AuditRecord[]; chainValid: boolean };
  consistency: Consistency;
}

/** One instance with its history, its request and audit trail, and whether they agree. 404 when neither exists. */
export async function instanceDetail(deps: OpsDeps, instanceId: string): Promise<InstanceDetail> {
  const requestId = requestIdOf(instanceId);
  const [instance, stored, items] = await Promise.all([
    deps.orchestrations.get(instanceId, true),
    deps.store.getRequest(requestId),
    readTrail(deps.store, requestId),
  ]);
  if (!instance && !stored) throw new DomainError('not_found', `No instance or request '${instanceId}'.`);
  // A re-drive instance is checked as an execution, not as the request's lifecycle.
  const consistency: Consistency =
    requestId === instanceId ? checkConsistency(stored?.value, instance, deps.now()) : { consistent: true };
  return {
    instanceId,
    instance: instance ?? null,
    request: stored?.value ?? null,
    audit: { items, chainValid: verifyTrail({ request: stored?.value, records: items, orphansExpected: true }).valid },
    consistency,
  };
}

/** An open request that is not progressing, and why. */
export interface StuckRequest {
  request: RequestSummary;
  runtimeStatus: string | null;
  code: string;
  reason: string;
}

/**
 * One page of Durable instances, newest first, filtered as asked; its continuation token
 * continues only this query for this operator (`invalid_continuation` otherwise).
 */
export async function listInstances(
  deps: OpsDeps,
  caller: AuthenticatedPrincipal,
  query: InstanceQuery,
): Promise<Page<InstanceStatus>> {
  const binding: ListBinding = {
    list: 'ops:instances',
    callerId: caller.id,
    filters: {
      runtimeStatus: query.runtimeStatus?.join(','),
      createdFrom: query.createdFrom,
      createdTo: query.createdTo,
    },
  };
  const paging = storePaging(deps.appKeys, binding, query);
  const { continuationToken: _, ...filters } = query;
  return sealPage(deps.appKeys, binding, await deps.orchestrations.list({ ...filters, ...paging }));
}

/**
 * One page of open requests (oldest first) checked against their orchestrations: those that are
 * not progressing (orchestration missing, failed, terminated or finished, status disagreeing for
 * over a minute, open past expiry). Costs one status read per open request in the page; follow
 * `continuationToken` (which continues only this list for this operator) for the next page of
 * open requests.
 */
export async function stuckRequests(
  deps: OpsDeps,
  caller: AuthenticatedPrincipal,
  page: PageRequest,
): Promise<Page<StuckRequest> & { scanned: number }> {
  const binding: ListBinding = { list: 'ops:stuck', callerId: caller.id };
  const open = sealPage(
    deps.appKeys,
    binding,
    await deps.reader.openRequests(storePaging(deps.appKeys, binding, page)),
  );
  const now = deps.now();
  const checked = await Promise.all(
    open.items.map(async (summary) => {
      const [instance, stored] = await Promise.all([
        deps.orchestrations.get(summary.id),
        deps.store.getRequest(summary.id),
      ]);
      return {
        summary,
        instance,
        consistency: stored ? checkConsistency(stored.value, instance, now) : ({ consistent: true } as const),
      };
    }),
  );
  const items = checked.flatMap(({ summary, instance, consistency }) =>
    consistency.consistent
      ? []
      : [
          {
            request: summary,
            runtimeStatus: instance?.runtimeStatus ?? null,
            code: consistency.code,
            reason: consistency.reason,
          },
        ],
  );
  return {
    items,
    scanned: open.items.length,
    ...(open.continuationToken ? { continuationToken: open.continuationToken } : {}),
  };
}

/**
 * Terminates a request's orchestration and cancels the request as the operator, with the reason
 * in the read model and the audit trail. The orchestration is stopped FIRST and the write waits
 * until it is finished, so the orchestration cannot record a step over the cancellation; the
 * write itself is etag-guarded (see writeStep). 409 `invalid_state` when the request is closed.
 */
export async function terminateRequest(
  deps: OpsDeps,
  caller: AuthenticatedPrincipal,
  requestId: string,
  reason: string,
): Promise<ApprovalRequest> {
  const stored = await deps.store.getRequest(requestId);
  if (!stored) throw new DomainError('not_found', `No request '${requestId}'.`);
  const action = () => ({
    actor: { id: caller.id, displayName: caller.displayName },
    actorRoles: caller.roles,
    reason,
    at: deps.now().toISOString(),
  });
  operatorCancel(stored.value, action()); // refuses a closed request before anything is stopped
  const instance = await deps.orchestrations.get(requestId);
  if (instance && !FINISHED_RUNTIME_STATUSES.has(instance.runtimeStatus)) {
    await deps.orchestrations.terminate(requestId, `operator ${caller.displayName}: ${reason}`);
    await waitUntilFinished(deps, requestId);
  }
  return writeStep(deps.store, requestId, (request) => operatorCancel(request, action()));
}

async function waitUntilFinished(deps: OpsDeps, instanceId: string): Promise<void> {
  const deadline = Date.now() + TERMINATE_WAIT_MS;
  for (;;) {
    const status = await deps.orchestrations.get(instanceId);
    if (!status || FINISHED_RUNTIME_STATUSES.has(status.runtimeStatus)) return;
    if (Date.now() > deadline)
      throw new DomainError('terminate_pending', 'Termination was requested; try again shortly.');
    await deps.sleep(100);
  }
}

/**
 * Re-runs a failed execution: claims re-drive n+1 in the read model (etag-guarded, audited), then
 * starts the `redriveExecution` orchestration `<requestId>:redrive:<n+1>`, which executes once and
 * records the outcome. 409 `invalid_state` unless the request is completed with a failed execution,
 * no re-drive is running and its approval orchestration has finished (its grace period may still
 * audit late commands).
 */
export async function redriveRequest(
  deps: OpsDeps,
  caller: AuthenticatedPrincipal,
  requestId: string,
  reason: string,
): Promise<ApprovalRequest> {
  const stored = await deps.store.getRequest(requestId);
  if (!stored) throw new DomainError('not_found', `No request '${requestId}'.`);
  const action = {
    actor: { id: caller.id, displayName: caller.displayName },
    actorRoles: caller.roles,
    reason,
    at: deps.now().toISOString(),
  };
  if (isUnstarted(stored.value)) return startOrphan(deps, stored, action);
  requestRedrive(stored.value, action);
  const instance = await deps.orchestrations.get(requestId);
  if (instance && !FINISHED_RUNTIME_STATUSES.has(instance.runtimeStatus)) {
    throw new DomainError('invalid_state', 'Its orchestration is still finishing; try again in a few seconds.');
  }
  const claimed = await writeStep(deps.store, requestId, (request) => requestRedrive(request, action));
  const number = claimed.redrive!.number;
  await deps.orchestrations.startRedrive({
    request: claimed,
    number,
    ...(deps.correlationId ? { correlationId: deps.correlationId } : {}),
  });
  return claimed;
}

/**
 * Starts the approval orchestration of a request that never got one (its submit stopped between
 * storing it and starting it; `stuck` lists it as `orchestration_missing`). Only when there is no
 * orchestration and no audit trail: the orchestration then records `request.submitted` and
 * `request.orchestrationStarted` (the operator and reason) and notifies the approvers as usual.
 */
async function startOrphan(
  deps: OpsDeps,
  stored: Tagged<ApprovalRequest>,
  action: OperatorAction,
): Promise<ApprovalRequest> {
  const request = stored.value;
  const started = startUnstarted(request, action);
  const [instance, trail] = await Promise.all([
    deps.orchestrations.get(request.id),
    deps.store.listAudit(request.id, { top: 1 }),
  ]);
  if (instance || trail.items.length > 0) {
    throw new DomainError('invalid_state', 'Its orchestration has started; nothing needs re-driving yet.');
  }
  await deps.orchestrations.startApproval({
    request,
    etag: stored.etag,
    operatorStart: started,
    reminderBeforeMs: deps.reminderBeforeMs,
    ...(deps.correlationId ? { correlationId: deps.correlationId } : {}),
  });
  return request;
}
