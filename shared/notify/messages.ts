import type { NotificationKind } from '../domain/notifications';
import { approvalCount } from '../domain/lifecycle';
import type { ApprovalRequest, Principal } from '../domain/model';

/**
 * The words of every notification, built from the request alone (pure, so every message can be
 * checked in tests). One builder serves all channels: email uses `subject` and `html`, Teams the
 * headline, `text`, `facts` and `action`, the webhook all of it as data.
 */

/** Who a message is for; `address` is where email goes (the user's `mail`, else their UPN). */
export interface Recipient extends Principal {
  address?: string;
}

/** An approver's own signed link. */
export interface ApprovalLink {
  linkId: string;
  url: string;
  /** RFC 3339 */
  expiresAt: string;
}

/** One notification to one recipient. */
export interface NotificationMessage {
  /** Unique per notification and recipient, the same on every retry: receivers dedupe on it. */
  id: string;
  kind: NotificationKind;
  /** RFC 3339: when the orchestration sent it. */
  at: string;
  request: ApprovalRequest;
  recipient: Recipient;
  subject: string;
  /** Plain text, paragraphs separated by blank lines; URLs appear in full. */
  text: string;
  /** The same as simple HTML (no scripts, styles or images); every URL is also shown as text. */
  html: string;
  /** The request at a glance. */
  facts: { title: string; value: string }[];
  /** The one thing to do next, as a button (an approver's link). */
  action?: { title: string; url: string };
  link?: ApprovalLink;
}

/** What {@link buildMessage} needs. */
export interface MessageInput {
  id: string;
  kind: NotificationKind;
  at: string;
  request: ApprovalRequest;
  recipient: Recipient;
  /** The approver's link, for `submitted` and `reminder` when links are configured. */
  link?: ApprovalLink;
  /** Origin of the API for the instructions (`https://maa.contoso.com`), or `''` to show paths only. */
  apiBaseUrl: string;
}

/** Kinds that close a request: besides the initiator, approvers who were asked and have not decided hear of them. */
export const CLOSING_KINDS: ReadonlySet<NotificationKind> = new Set(['rejected', 'cancelled', 'expired']);

/** Builds the message of `input.kind` for `input.recipient` (the initiator, or for {@link CLOSING_KINDS} also an approver). */
export function buildMessage(input: MessageInput): NotificationMessage {
  const { request, link } = input;
  const what = describeOperation(request);
  const who = request.initiator.displayName;
  const api = `${input.apiBaseUrl}/api/requests/${request.id}`;
  const approvals = approvalCount(request);
  const required = request.policy.requiredApprovals;
  const last = request.decisions.at(-1);
  const notes = last?.notes.trim() ? [`Notes: ${last.notes}`] : [];
  const decide = link
    ? [`Review and decide: ${link.url}`, `This link is for you alone and works until ${formatInstant(link.expiresAt)}.`]
    : [`Decide through the API: POST ${api}/approve, or POST ${api}/reject with notes.`];

  let subject: string;
  let lines: string[];
  const toApprover = input.recipient.id.toLowerCase() !== request.initiator.id.toLowerCase();
  if (toApprover && CLOSING_KINDS.has(input.kind)) {
    // An approver who was asked and has not decided: their link no longer works.
    const how =
      input.kind === 'rejected' ? `was rejected by ${last?.approver.displayName ?? 'an approver'}` : input.kind === 'cancelled' ? 'was cancelled' : `expired at ${formatInstant(request.expiresAt)}`;
    subject = `No action needed: ${what} (${input.kind})`;
    lines = [`${who}'s request to ${what} ${how}; nothing will be executed.`, 'You no longer need to decide: your approval link for it no longer works.'];
  } else {
    switch (input.kind) {
      case 'submitted':
        subject = `Approval needed: ${what} (requested by ${who})`;
        lines = [`${who} asks for your approval to ${what} (${request.profileType}).`, `Justification: ${request.justification}`, `${required} approval(s) needed; the request expires at ${formatInstant(request.expiresAt)}.`, ...decide];
        break;
      case 'reminder':
        subject = `Reminder: approval needed before ${formatInstant(request.expiresAt)}: ${what}`;
        lines = [`${who}'s request to ${what} (${request.profileType}) still needs approval: ${approvals} of ${required} so far. It expires at ${formatInstant(request.expiresAt)}.`, `Justification: ${request.justification}`, ...decide];
        break;
      case 'approvalRecorded':
        subject = `${approvals} of ${required} approvals: ${what}`;
        lines = [`${last?.approver.displayName ?? 'An approver'} approved your request to ${what}: ${approvals} of ${required} approvals.`, ...notes, `It needs ${required - approvals} more before ${formatInstant(request.expiresAt)}.`];
        break;
      case 'approved':
        subject = `Approved — complete it now: ${what}`;
        lines = [
          `${last?.approver.displayName ?? 'An approver'} approved your request to ${what} (${approvals} of ${required} approvals).`,
          ...notes,
          `Complete it before ${formatInstant(request.expiresAt)}: POST ${api}/complete, or run: maa complete ${request.id}`,
        ];
        break;
      case 'rejected':
        subject = `Rejected: ${what}`;
        lines = [`${last?.approver.displayName ?? 'An approver'} rejected your request to ${what}.`, ...notes, 'The request is closed; submit a new one if the change is still needed.'];
        break;
      case 'cancelled':
        subject = `Cancelled: ${what}`;
        lines = [`Your request to ${what} was cancelled; nothing will be executed.`];
        break;
      case 'expired':
        subject = `Expired: ${what}`;
        lines = [`Your request to ${what} expired at ${formatInstant(request.expiresAt)} with ${approvals} of ${required} approvals; nothing will be executed.`, 'Submit a new one if the change is still needed.'];
        break;
    }
  }
  lines.push(`Request ${request.id}`);

  return {
    id: input.id,
    kind: input.kind,
    at: input.at,
    request,
    recipient: input.recipient,
    subject,
    text: lines.join('\n\n'),
    html: toHtml(lines),
    facts: [
      { title: 'Operation', value: what },
      { title: 'Profile type', value: request.profileType },
      { title: 'Requested by', value: who },
      { title: 'Justification', value: request.justification },
      { title: 'Approvals', value: `${approvals} of ${required}` },
      { title: 'Expires', value: formatInstant(request.expiresAt) },
      { title: 'Request', value: request.id },
    ],
    ...(link ? { link, action: { title: 'Review and decide', url: link.url } } : {}),
  };
}

/** `wipe managedDevice laptop-42`. */
export function describeOperation(request: Pick<ApprovalRequest, 'operation'>): string {
  const { action, resourceType, resourceId } = request.operation;
  return resourceId === undefined ? `${action} ${resourceType}` : `${action} ${resourceType} ${resourceId}`;
}

/** `2026-01-31 09:30 UTC`: unambiguous for every reader, whatever their time zone. */
export function formatInstant(instant: string): string {
  return `${new Date(instant).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const URL_PATTERN = /https?:\/\/[^\s<>"]+/g;

/** Paragraphs of escaped text, each URL a link whose text is the URL itself. */
function toHtml(lines: readonly string[]): string {
  const paragraphs = lines.map((line) => {
    let html = '';
    let last = 0;
    for (const match of line.matchAll(URL_PATTERN)) {
      html += escapeHtml(line.slice(last, match.index)) + `<a href="${escapeHtml(match[0])}">${escapeHtml(match[0])}</a>`;
      last = match.index + match[0].length;
    }
    return `<p>${html}${escapeHtml(line.slice(last))}</p>`;
  });
  return `<!DOCTYPE html><html><body>${paragraphs.join('')}</body></html>`;
}

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
