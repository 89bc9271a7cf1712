import { approvalCount, type CommandResult, type DomainEvent } from './lifecycle';
import type { ApprovalRequest, JsonValue, Principal } from './model';

// What notifications the lifecycle sends, and how their outcomes are audited. Pure: the
// orchestration decides with these what to send and records what happened; sending is the
// `notify` activity's (shared/notify/).

/**
 * - `submitted`, `reminder`: to every eligible approver (the reminder only to those who have not
 *   decided), each with their own approval link.
 * - `approvalRecorded` (an approval short of the quorum), `approved`, `rejected`, `cancelled`,
 *   `expired`: to the initiator (see {@link audienceOf}).
 * - `executed`: to the initiator of a request the service completed on approval (the policy's
 *   `completion: onApproval`), once its execution is recorded: what ran and how it went.
 */
export const NOTIFICATION_KINDS = [
  'submitted',
  'reminder',
  'approvalRecorded',
  'approved',
  'rejected',
  'cancelled',
  'expired',
  'executed',
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

/** Kinds that close a request: besides the initiator, approvers who were asked and have not decided hear of them. */
export const CLOSING_KINDS: ReadonlySet<NotificationKind> = new Set(['rejected', 'cancelled', 'expired']);

/** Who hears of a notification, before anyone is looked up: the initiator or not, and which approvers. */
export interface NotificationAudience {
  readonly initiator: boolean;
  /** `all`: every eligible approver; `undecided`: those who have not decided; `none`: no approver. */
  readonly approvers: 'all' | 'undecided' | 'none';
}

/**
 * Who hears of `kind` for `request`: every eligible approver for `submitted`, those who have not
 * decided for a `reminder`; the initiator for every other kind, and for a request that closed
 * while it still needed approvals (rejected, cancelled or expired) also the approvers who have not
 * decided, whose links no longer work.
 */
export function audienceOf(
  request: Pick<ApprovalRequest, 'decisions' | 'policy'>,
  kind: NotificationKind,
): NotificationAudience {
  if (kind === 'submitted') return { initiator: false, approvers: 'all' };
  if (kind === 'reminder') return { initiator: false, approvers: 'undecided' };
  const shortOfQuorum = approvalCount(request) < request.policy.requiredApprovals;
  return { initiator: true, approvers: CLOSING_KINDS.has(kind) && shortOfQuorum ? 'undecided' : 'none' };
}

/** A user as the directory knows them, as far as notifying them goes. */
export interface DirectoryEntry {
  readonly id: string;
  readonly displayName: string;
  readonly mail?: string;
  readonly userPrincipalName?: string;
}

/** Someone a notification is sent to, with the address email uses when the directory has one. */
export interface NotificationRecipient extends Principal {
  address?: string;
}

/** What the directory answered for an audience (see {@link audienceOf}). */
export interface ResolvedAudience {
  /** The initiator's entry; undefined when not asked for or unknown to the directory. */
  readonly initiator?: DirectoryEntry | undefined;
  /** The (transitive) members of each of the request's approver groups that were looked up, by group id. */
  readonly groupMembers: ReadonlyMap<string, readonly DirectoryEntry[]>;
}

/**
 * The recipients of `kind` for `request`, given what the directory answered: the initiator first
 * (when in the {@link audienceOf audience}; with the address the directory has, their mail or else
 * their user principal name, none when it does not know them), then the members of the approver
 * groups in the snapshot's group order, each once (ids compare case-insensitively), never the
 * initiator and, for `undecided`, nobody who has decided.
 */
export function recipientsOf(
  request: Pick<ApprovalRequest, 'initiator' | 'decisions' | 'policy'>,
  kind: NotificationKind,
  resolved: ResolvedAudience,
): NotificationRecipient[] {
  const audience = audienceOf(request, kind);
  const recipients: NotificationRecipient[] = [];
  if (audience.initiator) recipients.push(withAddress(request.initiator, resolved.initiator));
  if (audience.approvers === 'none') return recipients;
  const excluded = new Set([request.initiator.id.toLowerCase()]);
  if (audience.approvers === 'undecided')
    for (const decision of request.decisions) excluded.add(decision.approver.id.toLowerCase());
  for (const groupId of request.policy.approverGroupIds) {
    for (const user of resolved.groupMembers.get(groupId) ?? []) {
      const key = user.id.toLowerCase();
      if (excluded.has(key)) continue;
      excluded.add(key);
      recipients.push(withAddress({ id: user.id, displayName: user.displayName }, user));
    }
  }
  return recipients;
}

function withAddress(principal: Principal, entry: DirectoryEntry | undefined): NotificationRecipient {
  const address = entry?.mail ?? entry?.userPrincipalName;
  return { id: principal.id, displayName: principal.displayName, ...(address === undefined ? {} : { address }) };
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
