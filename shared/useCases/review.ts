import { isDomainError } from '../domain/errors';
import type { ApprovalRequest, AssignmentView, TargetSnapshot } from '../domain/model';
import { freshnessOf, previewOf, type Freshness, type Preview } from '../views/change';
import type { UseCaseDeps } from './deps';

/** How long the review page waits for Graph when it opens, at most, before it shows the snapshot as it was. */
export const LIVE_CHECK_WAIT_MS = 3_000;

/**
 * How many devices of a bulk action the review page reads again when it opens (the first ones, in
 * `operation.resourceIds` order, in parallel, within the same wait): reading up to 100 devices for
 * every page view would spend Graph's throttling budget the execution needs. The others show
 * "not checked now"; the executor reads every device again before it acts anyway.
 */
export const LIVE_CHECK_MAX_DEVICES = 20;

/** What the review page shows besides the request: the preview, and the target read again now. */
export interface ReviewContext {
  preview?: Preview;
  /** The single target against a fresh read; absent when the request has no target. */
  freshness?: Freshness;
  /** A bulk action: one entry per `request.targets` item; undefined for devices not read again now. */
  devices?: (Freshness | undefined)[];
}

type ReviewDeps = Pick<UseCaseDeps, 'targets' | 'now'>;

/**
 * Reads the request's target (or the first {@link LIVE_CHECK_MAX_DEVICES} devices of a bulk
 * action) again through Graph and names the proposed assignment groups the snapshot does not, all
 * within `waitMs`: what Graph did not answer by then shows as "could not be checked now" (the
 * snapshot as of its `readAt`), and unnamed groups show by id. Writes nothing; never throws for
 * Graph's sake.
 */
export async function reviewContext(
  deps: ReviewDeps,
  request: ApprovalRequest,
  waitMs = LIVE_CHECK_WAIT_MS,
): Promise<ReviewContext> {
  const deadline = deadlineOf(waitMs);
  try {
    const unnamed = unnamedGroups(request);
    const [names, freshness, devices] = await Promise.all([
      unnamed.length === 0
        ? {}
        : deadline.race(
            deps.targets.groupNames(unnamed).catch(() => ({})),
            {},
          ),
      request.target === undefined || request.operation.resourceIds !== undefined
        ? undefined
        : check(deps, request, request.target, request.operation.resourceId ?? request.target.id, deadline),
      request.targets === undefined
        ? undefined
        : Promise.all(
            request.targets.map((target, index) =>
              index < LIVE_CHECK_MAX_DEVICES ? check(deps, request, target, target.id, deadline) : undefined,
            ),
          ),
    ]);
    const preview = previewOf(request, names);
    return {
      ...(preview === undefined ? {} : { preview }),
      ...(freshness === undefined ? {} : { freshness }),
      ...(devices === undefined ? {} : { devices }),
    };
  } finally {
    deadline.clear();
  }
}

/** One target read again, compared with its snapshot. */
async function check(
  deps: ReviewDeps,
  request: ApprovalRequest,
  snapshot: TargetSnapshot,
  resourceId: string,
  deadline: Deadline,
): Promise<Freshness> {
  const unchecked = (reason: string): Freshness => ({ state: 'unchecked', readAt: snapshot.readAt, reason });
  const { resourceIds: _bulk, ...operation } = request.operation;
  const read = deps.targets.read(request.profileType, { ...operation, resourceId }).then(
    (fresh) => ({ kind: 'read' as const, fresh }),
    (error: unknown) => ({ kind: 'failed' as const, error }),
  );
  const outcome = await deadline.race(read, { kind: 'timeout' as const });
  const now = deps.now().toISOString();
  if (outcome.kind === 'timeout') return unchecked(`Microsoft Graph did not answer within ${deadline.ms / 1000} s`);
  if (outcome.kind === 'failed') {
    if (isDomainError(outcome.error) && outcome.error.code === 'target_not_found')
      return freshnessOf(snapshot, undefined, now);
    return unchecked(isDomainError(outcome.error) ? outcome.error.message : 'Microsoft Graph could not be read');
  }
  if (outcome.fresh === undefined) return unchecked('the operation names no object to read');
  return freshnessOf(snapshot, outcome.fresh, now);
}

/** Group ids the operation's proposed assignments name that the snapshot does not name. */
function unnamedGroups(request: ApprovalRequest): string[] {
  const payload = request.operation.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return [];
  const proposed = Array.isArray(payload.assignments) ? payload.assignments : [payload];
  const named = new Set(
    (request.target?.assignments ?? [])
      .filter((view: AssignmentView) => view.groupName !== undefined)
      .map((view) => view.groupId),
  );
  const ids = proposed.flatMap((item) =>
    item !== null && typeof item === 'object' && !Array.isArray(item) && typeof item.groupId === 'string'
      ? [item.groupId]
      : [],
  );
  return [...new Set(ids)].filter((id) => !named.has(id));
}

interface Deadline {
  readonly ms: number;
  /** `promise`'s value, or `fallback` once the deadline passed. */
  race<T, F>(promise: Promise<T>, fallback: F): Promise<T | F>;
  clear(): void;
}

function deadlineOf(ms: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
  return {
    ms,
    race: <T, F>(promise: Promise<T>, fallback: F) => Promise.race([promise, expired.then(() => fallback)]),
    clear: () => clearTimeout(timer),
  };
}
