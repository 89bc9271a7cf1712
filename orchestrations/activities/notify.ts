import { createHash } from 'node:crypto';
import { approvalCount } from '../../shared/domain/lifecycle';
import type { ApprovalRequest } from '../../shared/domain/model';
import type { NotificationKind, NotificationOutcome } from '../../shared/domain/notifications';
import type { Directory } from '../../shared/identity/directory';
import { linkExpiry, signLinkToken } from '../../shared/links/linkToken';
import type { LinksConfig } from '../../shared/links/settings';
import {
  buildMessage,
  CLOSING_KINDS,
  type ApprovalLink,
  type NotificationMessage,
  type Recipient,
} from '../../shared/notify/messages';
import type { Notifier } from '../../shared/notify/notifier';
import { describeError } from '../../shared/notify/post';
import type { NotifyInput, NotifyOutput } from '../contracts';

/** What the `notify` activity sends with. */
export interface NotifyDeps {
  readonly directory: Pick<Directory, 'usersInGroup' | 'findUser'>;
  readonly notifiers: readonly Notifier[];
  /** Undefined when no link key is set: approvers are then told how to decide through the API. */
  readonly links: LinksConfig | undefined;
}

const APPROVER_KINDS: ReadonlySet<NotificationKind> = new Set(['submitted', 'reminder']);
/** Sends in flight at once, so a large approver group does not trip Graph throttling. */
const CONCURRENCY = 8;

/**
 * Builds the `notify` activity: resolves the recipients (see recipientsOf: the users in the
 * request's approver groups, transitively, except the initiator, for `submitted` and `reminder`;
 * otherwise the initiator, and approvers who have not decided when a request closes short of its
 * approvals), gives each approver asked to decide their own signed link, and sends
 * every message on every configured channel. Nothing throws: each outcome is reported, for the
 * orchestration to audit.
 *
 * Delivery is at least once (a crashed activity runs again). Message ids and link ids derive from
 * the input's `notificationId`, and link tokens are signed deterministically from the input's
 * time, so a re-run sends the same CloudEvent ids and the same links; email has no such key, so a
 * re-run can send a mail twice.
 */
export function makeNotify(deps: NotifyDeps) {
  return async function notify(input: NotifyInput): Promise<NotifyOutput> {
    const output: NotifyOutput = { outcomes: [], problems: [] };
    if (deps.notifiers.length === 0) return output;
    let recipients: Recipient[];
    try {
      recipients = await recipientsOf(input.request, input.kind, deps.directory);
    } catch (error) {
      output.problems.push(`the recipients could not be read from the directory: ${describeError(error)}`);
      return output;
    }
    const messages = recipients.map((recipient) => {
      const link =
        APPROVER_KINDS.has(input.kind) && deps.links ? issueLink(deps.links, input, recipient.id) : undefined;
      return buildMessage({
        id: `${input.notificationId}:${recipient.id}`,
        kind: input.kind,
        at: input.at,
        request: input.request,
        recipient,
        ...(link ? { link } : {}),
        apiBaseUrl: deps.links?.publicBaseUrl ?? '',
      });
    });
    const sends = messages.flatMap((message) => deps.notifiers.map((notifier) => ({ message, notifier })));
    output.outcomes = await mapLimited(sends, CONCURRENCY, ({ message, notifier }) => deliver(notifier, message));
    return output;
  };
}

async function deliver(notifier: Notifier, message: NotificationMessage): Promise<NotificationOutcome> {
  const { id, displayName, address } = message.recipient;
  const delivery = await notifier
    .send(message)
    .catch((error: unknown) => ({ ok: false, detail: describeError(error) }));
  return {
    channel: notifier.channel,
    recipient: { id, displayName },
    ...(notifier.channel === 'email' && address !== undefined ? { address } : {}),
    ok: delivery.ok,
    detail: delivery.detail,
    ...(message.link ? { linkId: message.link.linkId, linkExpiresAt: message.link.expiresAt } : {}),
  };
}

/**
 * Who hears of `kind`: approvers for `submitted` and `reminder` (those who have not decided, for a
 * reminder); the initiator for the rest, and for a request that closed while it still needed
 * approvals (rejected, cancelled or expired) also the approvers who have not decided, whose links
 * no longer work.
 */
async function recipientsOf(
  request: ApprovalRequest,
  kind: NotificationKind,
  directory: NotifyDeps['directory'],
): Promise<Recipient[]> {
  if (APPROVER_KINDS.has(kind)) return approversOf(request, kind === 'reminder', directory);
  const initiator = await initiatorOf(request, directory);
  if (!CLOSING_KINDS.has(kind) || approvalCount(request) >= request.policy.requiredApprovals) return [initiator];
  return [initiator, ...(await approversOf(request, true, directory))];
}

/** The users of the approver groups who may be asked: not the initiator, and with `undecidedOnly` nobody who decided. */
async function approversOf(
  request: ApprovalRequest,
  undecidedOnly: boolean,
  directory: NotifyDeps['directory'],
): Promise<Recipient[]> {
  const excluded = new Set([request.initiator.id.toLowerCase()]);
  if (undecidedOnly) for (const decision of request.decisions) excluded.add(decision.approver.id.toLowerCase());
  const recipients = new Map<string, Recipient>();
  for (const groupId of request.policy.approverGroupIds) {
    for (const user of await directory.usersInGroup(groupId)) {
      const key = user.id.toLowerCase();
      if (excluded.has(key) || recipients.has(key)) continue;
      const address = user.mail ?? user.userPrincipalName;
      recipients.set(key, {
        id: user.id,
        displayName: user.displayName,
        ...(address === undefined ? {} : { address }),
      });
    }
  }
  return [...recipients.values()];
}

/** The initiator, with the address the directory has for them (none if it does not know them). */
async function initiatorOf(request: ApprovalRequest, directory: NotifyDeps['directory']): Promise<Recipient> {
  const user = await directory.findUser(request.initiator.id);
  const address = user?.mail ?? user?.userPrincipalName;
  return { ...request.initiator, ...(address === undefined ? {} : { address }) };
}

/** The approver's link of this notification: its id derives from the notification id, so a re-run issues the same link. */
function issueLink(links: LinksConfig, input: NotifyInput, approverId: string): ApprovalLink {
  const linkId = createHash('sha256').update(`${input.notificationId}:${approverId}`).digest('base64url').slice(0, 32);
  const issuedAt = Math.floor(Date.parse(input.at) / 1000);
  const expiresAt = linkExpiry(issuedAt, links.ttlSeconds, input.request.expiresAt);
  const token = signLinkToken(links.keys[0]!, {
    requestId: input.request.id,
    approverId,
    operationHash: input.request.operationHash,
    linkId,
    issuedAt,
    expiresAt,
  });
  return {
    linkId,
    url: `${links.publicBaseUrl}/api/approvals/${token}`,
    expiresAt: new Date(expiresAt * 1000).toISOString(),
  };
}

/** `fn` over `items` with at most `limit` running at once; results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
