import { OPEN_STATUSES, type ApprovalRequest, type AuditRecord, type RequestStatus } from '../domain/model';
import { isDomainError } from '../domain/errors';
import { verifyTrail, type TrailVerdict } from '../domain/trailVerification';
import { readTrail } from '../store/trail';
import { auditCsvHeader, auditCsvRow } from '../views/auditExport';
import type { Caller, UseCaseDeps } from './deps';
import { checkCommand, getVisibleRequest, listRequests } from './requests';
import { reviewContext, type ReviewContext } from './review';

// What the portal's pages read, through the same use cases as the API: the home page's lists,
// one request in full with its trail and what the viewer may do with it, and the trail as CSV.

/** How many requests each list of the home page shows at most. */
export const HOME_LIST_SIZE = 10;

/** The home page: what waits for the caller's decision, and their own open requests. */
export interface PortalHome {
  /** Requests the caller may decide on that are still open and that they have not decided. */
  waiting: ApprovalRequest[];
  /** The caller's own requests that are still open (waiting for approval, or approved and not completed). */
  mine: ApprovalRequest[];
}

/**
 * The home page's lists: `received` and `mine` through {@link listRequests}, asked per open status
 * (the filter is applied again here, so a store that does not filter gives the same lists).
 */
export async function portalHome(deps: UseCaseDeps, caller: Caller): Promise<PortalHome> {
  const list = async (view: 'mine' | 'received', status: RequestStatus) =>
    (await listRequests(deps, caller, { view, top: HOME_LIST_SIZE, status })).items.filter(
      (request) => request.status === status,
    );
  const [received, pending, approved] = await Promise.all([
    list('received', 'needsApproval'),
    list('mine', 'needsApproval'),
    list('mine', 'approved'),
  ]);
  const waiting = received.filter(
    (request) =>
      request.initiator.id.toLowerCase() !== caller.id.toLowerCase() &&
      !request.decisions.some((decision) => decision.approver.id.toLowerCase() === caller.id.toLowerCase()),
  );
  const mine = [...approved, ...pending]
    .filter((request) => OPEN_STATUSES.has(request.status))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, HOME_LIST_SIZE);
  return { waiting, mine };
}

/** What the viewer may do with a request now, as the lifecycle rules answer (each checked, nothing sent). */
export interface PortalActions {
  decide: boolean;
  cancel: boolean;
  complete: boolean;
}

/** One request as its portal page shows it. */
export interface PortalRequest {
  request: ApprovalRequest;
  /** The preview and the target read again (see `reviewContext`). */
  context: ReviewContext;
  trail: AuditRecord[];
  verdict: TrailVerdict;
  actions: PortalActions;
}

/**
 * The request `id` as the caller may see it (`not_found` otherwise), with its whole audit trail and
 * the trail's verdict, the review page's context, and the commands the rules would accept from the
 * caller now (checked with {@link checkCommand}, so the page offers exactly what would be accepted).
 */
export async function portalRequest(deps: UseCaseDeps, caller: Caller, id: string): Promise<PortalRequest> {
  const request = await getVisibleRequest(deps, caller, id);
  const [trail, context, decide, cancel, complete] = await Promise.all([
    readTrail(deps.store, id),
    reviewContext(deps, request),
    accepts(deps, caller, request, { kind: 'decide', decision: 'approve', notes: '' }),
    accepts(deps, caller, request, { kind: 'cancel' }),
    accepts(deps, caller, request, { kind: 'complete' }),
  ]);
  return {
    request,
    context,
    trail,
    verdict: verifyTrail({ request, records: trail }),
    actions: { decide, cancel, complete },
  };
}

async function accepts(
  deps: UseCaseDeps,
  caller: Caller,
  request: ApprovalRequest,
  command: Parameters<typeof checkCommand>[3],
): Promise<boolean> {
  try {
    await checkCommand(deps, caller, request, command);
    return true;
  } catch (error) {
    // A refusal means "not offered"; the directory being unreachable too (the post would say why).
    if (isDomainError(error)) return false;
    throw error;
  }
}

/**
 * The request's whole audit trail as CSV (see `shared/views/auditExport.ts`), each row with the
 * trail's verdict; `not_found` for a request the caller may not see.
 */
export async function portalAuditCsv(deps: UseCaseDeps, caller: Caller, id: string): Promise<string> {
  const request = await getVisibleRequest(deps, caller, id);
  const records = await readTrail(deps.store, id);
  const valid = verifyTrail({ request, records }).valid;
  return auditCsvHeader() + records.map((record) => auditCsvRow(record, valid)).join('');
}
