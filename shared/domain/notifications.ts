import type { CommandResult, DomainEvent } from './lifecycle';
import type { ApprovalRequest, JsonValue, Principal } from './model';

/**
 * What notifications the lifecycle sends, and how their outcomes are audited. Pure: the
 * orchestration decides with these what to send and records what happened; sending is the
 * `notify` activity's (shared/notify/).
 */

/**
 * - `submitted`, `reminder`: to every eligible approver (the reminder only to those who have not
 *   decided), each with their own approval link.
 * - `approvalRecorded` (an approval short of the quorum), `approved`, `rejected`, `cancelled`,
 *   `expired`: to the initiator.
 */
export const NOTIFICATION_KINDS = [
  'submitted',
  'reminder',
  'approvalRecorded',
  'approved',
  'rejected',
  'cancelled',
  'expired',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Where a notification went. */
export type NotificationChannel = 'email' | 'teams' | 'webhook';

/** One delivery attempt of one notification to one recipient on one channel. */
export interface NotificationOutcome {
  channel: NotificationChannel;
  recipient: Principal;
  /** The email address used (email only). */
  address?: string;
  ok: boolean;
  /** What the channel answered, or why it failed (never a token or secret). */
  detail?: string;
  /** The approval link the message carried (approver notifications, when links are configured). */
  linkId?: string;
  /** RFC 3339 expiry of that link. */
  linkExpiresAt?: string;
}

/** The notification a command's result calls for, if any: decisions, cancellation and expiry tell the initiator. */
export function notificationFor(result: CommandResult): NotificationKind | undefined {
  for (const event of result.events) {
    switch (event.type) {
      case 'request.approved':
        return result.request.status === 'approved' ? 'approved' : 'approvalRecorded';
      case 'request.rejected':
        return 'rejected';
      case 'request.cancelled':
        return 'cancelled';
      case 'request.expired':
        return 'expired';
    }
  }
  return undefined;
}

/**
 * The audit entries for what a notification did, at `at`: one `link.issued` per distinct link
 * (approver, link id, link expiry; never the token), then one `notification.sent` or
 * `notification.failed` per outcome, in the order given. `problems` (failures before anything was
 * sent, such as an unreachable directory) are `notification.failed` without channel or recipient.
 */
export function notificationEvents(
  request: ApprovalRequest,
  kind: NotificationKind,
  outcomes: readonly NotificationOutcome[],
  problems: readonly string[],
  at: string,
): DomainEvent[] {
  const events: DomainEvent[] = [];
  const entry = (type: DomainEvent['type'], data: { [key: string]: JsonValue }): DomainEvent => ({
    requestId: request.id,
    type,
    at,
    actor: null,
    data,
  });
  const links = new Set<string>();
  for (const outcome of outcomes) {
    if (outcome.linkId === undefined || links.has(outcome.linkId)) continue;
    links.add(outcome.linkId);
    events.push(
      entry('link.issued', {
        kind,
        approverId: outcome.recipient.id,
        linkId: outcome.linkId,
        expiresAt: outcome.linkExpiresAt ?? null,
      }),
    );
  }
  for (const problem of problems)
    events.push(entry('notification.failed', { kind, channel: null, recipient: null, detail: problem }));
  for (const outcome of outcomes) {
    events.push(
      entry(outcome.ok ? 'notification.sent' : 'notification.failed', {
        kind,
        channel: outcome.channel,
        recipient: { id: outcome.recipient.id, displayName: outcome.recipient.displayName },
        ...(outcome.address === undefined ? {} : { address: outcome.address }),
        detail: outcome.detail ?? null,
      }),
    );
  }
  return events;
}
