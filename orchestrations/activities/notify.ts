import { createHash } from 'node:crypto';
import type { ApprovalRequest } from '../../shared/domain/model';
import {
  audienceOf,
  recipientsOf,
  type NotificationKind,
  type NotificationOutcome,
  type ResolvedAudience,
} from '../../shared/domain/notifications';
import type { Directory, DirectoryUser } from '../../shared/identity/directory';
import { linkExpiry, signLinkToken } from '../../shared/links/linkToken';
import type { LinksConfig } from '../../shared/links/settings';
import {
  buildMessage,
  type ApprovalLink,
  type NotificationMessage,
  type Recipient,
} from '../../shared/notify/messages';
import type { Notifier } from '../../shared/notify/notifier';
import { describeError } from '../../shared/notify/post';
import type { NotifyInput, NotifyOutput } from '../contracts';

/** What a step's notification is sent with. */
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
 * Builds the sender of a step's notification (the `recordStep` activity sends with it): looks up in the directory the recipients the domain names for the
 * kind (`audienceOf`, `recipientsOf` in shared/domain/notifications.ts), gives each approver asked
 * to decide their own signed link, and sends every message on every configured channel. Nothing throws: each outcome is reported, for the
 * `recordStep` activity to audit.
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
      recipients = recipientsOf(
        input.request,
        input.kind,
        await resolveAudience(input.request, input.kind, deps.directory),
      );
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

/** Looks up in the directory who {@link audienceOf} says hears of `kind`; the domain picks the recipients from that. */
async function resolveAudience(
  request: ApprovalRequest,
  kind: NotificationKind,
  directory: NotifyDeps['directory'],
): Promise<ResolvedAudience> {
  const audience = audienceOf(request, kind);
  const initiator = audience.initiator ? await directory.findUser(request.initiator.id) : undefined;
  const groupMembers = new Map<string, readonly DirectoryUser[]>();
  if (audience.approvers !== 'none') {
    for (const groupId of new Set(request.policy.approverGroupIds))
      groupMembers.set(groupId, await directory.usersInGroup(groupId));
  }
  return { initiator, groupMembers };
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
