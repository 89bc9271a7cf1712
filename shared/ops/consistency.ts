import { CLOSED_STATUSES, type ApprovalRequest } from '../domain/model';
import type { InstanceStatus } from './opsOrchestrations';

/** How long the orchestration's custom status may disagree with the read model before it counts (a step is being written). */
export const DISAGREEMENT_GRACE_MS = 60_000;
/** How long past `expiresAt` an open request may stay open (the expiry timer fires, then the step is written). */
export const EXPIRY_GRACE_MS = 5 * 60_000;

/** Whether a request and its orchestration agree, and if not, why. */
export type Consistency = { consistent: true } | { consistent: false; reason: string; code: InconsistencyCode };
export type InconsistencyCode =
  | 'orchestration_missing'
  | 'orchestration_failed'
  | 'orchestration_terminated'
  | 'status_disagrees'
  | 'overdue'
  | 'request_missing'
  | 'orchestration_finished_early';

/**
 * Compares the read model with its orchestration at `now`. An open request needs a running
 * orchestration whose custom status shows the same status (a disagreement counts after
 * {@link DISAGREEMENT_GRACE_MS} since the request last changed, as the step may be in flight), and
 * must not be open past `expiresAt` + {@link EXPIRY_GRACE_MS}. A closed request's orchestration may
 * be running its short grace period, finished, or purged by retention.
 */
export function checkConsistency(
  request: ApprovalRequest | undefined,
  instance: InstanceStatus | undefined,
  now: Date,
): Consistency {
  if (!request)
    return { consistent: false, code: 'request_missing', reason: 'the orchestration has no request in the read model' };
  if (CLOSED_STATUSES.has(request.status)) return { consistent: true };
  if (!instance)
    return {
      consistent: false,
      code: 'orchestration_missing',
      reason: `the request is ${request.status} but has no orchestration`,
    };
  if (instance.runtimeStatus === 'Failed')
    return {
      consistent: false,
      code: 'orchestration_failed',
      reason: `the request is ${request.status} but its orchestration failed`,
    };
  if (instance.runtimeStatus === 'Terminated')
    return {
      consistent: false,
      code: 'orchestration_terminated',
      reason: `the request is ${request.status} but its orchestration was terminated`,
    };
  if (instance.runtimeStatus === 'Completed' || instance.runtimeStatus === 'Canceled') {
    return {
      consistent: false,
      code: 'orchestration_finished_early',
      reason: `the request is ${request.status} but its orchestration is ${instance.runtimeStatus}`,
    };
  }
  const nowMs = now.getTime();
  if (nowMs > Date.parse(request.expiresAt) + EXPIRY_GRACE_MS) {
    return {
      consistent: false,
      code: 'overdue',
      reason: `the request is still ${request.status} ${Math.round((nowMs - Date.parse(request.expiresAt)) / 60_000)} min after it expired`,
    };
  }
  const shown = (instance.customStatus as { status?: unknown } | null)?.status;
  if (shown !== request.status && nowMs - Date.parse(request.lastModifiedAt) > DISAGREEMENT_GRACE_MS) {
    return {
      consistent: false,
      code: 'status_disagrees',
      reason: `the orchestration shows ${String(shown ?? 'no status')} but the request is ${request.status}`,
    };
  }
  return { consistent: true };
}
