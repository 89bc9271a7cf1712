import { previewOf } from '../views/change';
import { CLOSING_KINDS, type NotificationKind, type NotificationRecipient } from '../domain/notifications';
import { approvalCount } from '../domain/lifecycle';
import type { ApprovalRequest } from '../domain/model';
import { operationTitle, titleText } from '../domain/operationTitle';
import { isBlankText, visibleText } from '../domain/text';

// The words of every notification, built from the request alone (pure, so every message can be
// checked in tests). One builder serves all channels: email uses `subject` and `html`, Teams the
// headline, `text`, `facts` and `action`, the webhook all of it as data.

/** Who a message is for; `address` is where email goes (the user's `mail`, else their UPN). */
export type Recipient = NotificationRecipient;

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
  /**
   * Plain text, paragraphs separated by blank lines; the service's URLs appear in full, the
   * approver's link first, and user text as {@link userTextForMail} shows it.
   */
  text: string;
  /** The same as simple HTML (no scripts, styles or images): only the service's URLs are links (each also shown as text); user text is in `<bdi>`. */
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

/** A piece of a line: our own words, text a user chose (isolated, escaped, never a link), or one of our URLs (a link). */
type Part = string | { readonly user: string; readonly kind: 'identifier' | 'text' } | { readonly link: string };
type Line = readonly Part[];

const user = (text: string): Part => ({ user: text, kind: 'text' });

/** Builds the message of `input.kind` for `input.recipient` (the initiator, or for {@link CLOSING_KINDS} also an approver). */
export function buildMessage(input: MessageInput): NotificationMessage {
  const { request, link } = input;
  const what: Part[] = operationTitle(request).map((part) =>
    typeof part === 'string' ? part : { user: part.userText, kind: 'identifier' },
  );
  const who = user(request.initiator.displayName);
  const api = `${input.apiBaseUrl}/api/requests/${request.id}`;
  const approvals = approvalCount(request);
  const required = request.policy.requiredApprovals;
  const last = request.decisions.at(-1);
  const lastApprover = last ? user(last.approver.displayName) : undefined;
  const notes: Line[] = last && !isBlankText(last.notes) ? [['Notes: ', user(last.notes)]] : [];
  // The real link comes first, before anything the initiator wrote.
  const decide: Line[] = link
    ? [
        ['Review and decide: ', { link: link.url }],
        [`This link is for you alone and works until ${formatInstant(link.expiresAt)}.`],
      ]
    : [
        [
          'Decide through the API: POST ',
          { link: `${api}/approve` },
          ', or POST ',
          { link: `${api}/reject` },
          ' with notes.',
        ],
      ];

  let subject: Line;
  let lines: Line[];
  const toApprover = input.recipient.id.toLowerCase() !== request.initiator.id.toLowerCase();
  if (toApprover && CLOSING_KINDS.has(input.kind)) {
    // An approver who was asked and has not decided: their link no longer works.
    const how: Line =
      input.kind === 'rejected'
        ? ['was rejected by ', lastApprover ?? 'an approver']
        : input.kind === 'cancelled'
          ? ['was cancelled']
          : [`expired at ${formatInstant(request.expiresAt)}`];
    subject = ['No action needed: ', ...what, ` (${input.kind})`];
    lines = [
      [who, "'s request to ", ...what, ' ', ...how, '; nothing will be executed.'],
      ['You no longer need to decide: your approval link for it no longer works.'],
    ];
  } else {
    switch (input.kind) {
      case 'submitted':
        subject = ['Approval needed: ', ...what, ' (requested by ', who, ')'];
        lines = [
          ...decide,
          [who, ' asks for your approval to ', ...what, ` (${request.profileType}).`],
          ...targetLines(request),
          ...callLines(request),
          ['Justification: ', user(request.justification)],
          [
            request.policy.quorum ? user(capitalised(request.policy.quorum.text)) : `${required} approval(s) needed`,
            `; the request expires at ${formatInstant(request.expiresAt)}.`,
            request.policy.completion === 'onApproval' ? ' It runs as soon as it is approved.' : '',
          ],
        ];
        break;
      case 'reminder':
        subject = [`Reminder: approval needed before ${formatInstant(request.expiresAt)}: `, ...what];
        lines = [
          ...decide,
          [
            who,
            "'s request to ",
            ...what,
            ` (${request.profileType}) still needs approval: ${approvals} of ${required} so far. It expires at ${formatInstant(request.expiresAt)}.`,
          ],
          ...targetLines(request),
          ['Justification: ', user(request.justification)],
        ];
        break;
      case 'approvalRecorded':
        subject = [`${approvals} of ${required} approvals: `, ...what];
        lines = [
          [
            lastApprover ?? 'An approver',
            ' approved your request to ',
            ...what,
            `: ${approvals} of ${required} approvals.`,
          ],
          ...notes,
          [`It needs ${required - approvals} more before ${formatInstant(request.expiresAt)}.`],
        ];
        break;
      case 'approved':
        subject = ['Approved — complete it now: ', ...what];
        lines = [
          [
            `Complete it before ${formatInstant(request.expiresAt)}: POST `,
            { link: `${api}/complete` },
            `, or run: maa complete ${request.id}`,
          ],
          [
            lastApprover ?? 'An approver',
            ' approved your request to ',
            ...what,
            ` (${approvals} of ${required} approvals).`,
          ],
          ...notes,
        ];
        break;
      case 'rejected':
        subject = ['Rejected: ', ...what];
        lines = [
          [lastApprover ?? 'An approver', ' rejected your request to ', ...what, '.'],
          ...notes,
          ['The request is closed; submit a new one if the change is still needed.'],
        ];
        break;
      case 'cancelled':
        subject = ['Cancelled: ', ...what];
        lines = [['Your request to ', ...what, ' was cancelled; nothing will be executed.']];
        break;
      case 'executed': {
        // Completed on approval (the policy's `completion: onApproval`): what ran, and how it went.
        const execution = request.execution;
        const outcome = execution === undefined ? 'has no recorded outcome yet' : execution.status;
        subject = [execution?.status === 'failed' ? 'Failed: ' : 'Executed: ', ...what];
        lines = [
          [
            'Your request to ',
            ...what,
            ` reached its ${required} approval(s) and the service completed it on approval: it ${execution === undefined ? outcome : outcome === 'succeeded' ? 'succeeded' : 'failed'}.`,
          ],
          ...(execution === undefined
            ? []
            : [
                [
                  'Outcome: ',
                  user(execution.detail),
                  ...(execution.code === undefined ? [] : [` (${execution.code})`]),
                ] as Line,
              ]),
          ['What ran and each step: GET ', { link: `${api}/audit` }, `, or run: maa show ${request.id}`],
        ];
        break;
      }
      case 'expired':
        subject = ['Expired: ', ...what];
        lines = [
          [
            'Your request to ',
            ...what,
            ` expired at ${formatInstant(request.expiresAt)} with ${approvals} of ${required} approvals; nothing will be executed.`,
          ],
          ['Submit a new one if the change is still needed.'],
        ];
        break;
    }
  }
  lines.push([`Request ${request.id}`]);

  return {
    id: input.id,
    kind: input.kind,
    at: input.at,
    request,
    recipient: input.recipient,
    subject: asText(subject),
    text: lines.map(asText).join('\n\n'),
    html: `<!DOCTYPE html><html><body>${lines.map((line) => `<p>${asHtml(line)}</p>`).join('')}</body></html>`,
    facts: [
      { title: 'Operation', value: asText(what) },
      ...(targetFact(request) === undefined ? [] : [{ title: 'Target', value: asText(targetFact(request)!) }]),
      { title: 'Profile type', value: request.profileType },
      { title: 'Requested by', value: asText([who]) },
      { title: 'Justification', value: asText([user(request.justification)]) },
      { title: 'Approvals', value: `${approvals} of ${required}` },
      { title: 'Expires', value: formatInstant(request.expiresAt) },
      { title: 'Request', value: request.id },
    ],
    ...(link ? { link, action: { title: 'Review and decide', url: link.url } } : {}),
  };
}

/** How many devices of a bulk action the mail names before it says how many more there are. */
const MAIL_DEVICES = 10;

/** The target's key facts as one line (absent without a snapshot). */
function targetFact(request: ApprovalRequest): Line | undefined {
  if (request.targets !== undefined) {
    const names = request.targets.slice(0, MAIL_DEVICES).map((target) => target.displayName);
    const more = request.targets.length - names.length;
    return [user(names.join(', ')), more > 0 ? ` and ${more} more` : ''];
  }
  const target = request.target;
  if (target === undefined) return undefined;
  const device = target.device;
  if (device !== undefined)
    return [
      user(target.displayName),
      ', ',
      user(`${device.operatingSystem} ${device.osVersion}`.trim()),
      ', owner ',
      device.userPrincipalName ? user(`${device.userDisplayName} (${device.userPrincipalName})`) : 'none',
      `, ${device.ownership === 'company' ? 'company-owned' : device.ownership}, `,
      user(device.complianceState),
      device.lastSyncDateTime ? `, last check-in ${graphInstant(device.lastSyncDateTime)}` : '',
      device.serialNumber ? ', serial ' : '',
      device.serialNumber ? user(device.serialNumber) : '',
    ];
  return [
    user(target.displayName),
    ` (${target.resourceType}`,
    target.version === undefined ? '' : `, version ${target.version}`,
    target.lastModifiedDateTime === undefined ? '' : `, last modified ${graphInstant(target.lastModifiedDateTime)}`,
    ')',
  ];
}

/** How many Graph calls an approver's mail lists (a bulk action's others are counted). */
const MAIL_CALLS = 3;

/**
 * The Graph calls completion will send, method and path (the review page shows the bodies): the
 * exact change, after the words. Nothing for an operation outside the catalogue.
 */
function callLines(request: ApprovalRequest): Line[] {
  const calls = previewOf(request)?.calls ?? [];
  if (calls.length === 0) return [];
  const shown = calls.slice(0, MAIL_CALLS).map((call): Line => ['  ', user(`${call.method} ${call.path}`)]);
  const more = calls.length - shown.length;
  return [
    ['Completion will send to Microsoft Graph:'],
    ...shown,
    ...(more > 0 ? [[`  and ${more} more call(s) of the same kind.`] as Line] : []),
  ];
}

/** The target line of an approver's mail: what the request acts on, as Intune showed it at submit. */
function targetLines(request: ApprovalRequest): Line[] {
  const fact = targetFact(request);
  if (fact === undefined) return [];
  const label =
    request.targets !== undefined
      ? `The ${request.targets.length} devices: `
      : request.target?.device
        ? 'The device: '
        : 'The target: ';
  return [[label, ...fact, request.targets === undefined ? ' (as Intune showed it at submit).' : '.']];
}

/** A time Graph gave, as {@link formatInstant} shows it; one that is not a time at all, as given. */
function graphInstant(instant: string): string {
  return Number.isNaN(new Date(instant).getTime()) ? userTextForMail(instant) : formatInstant(instant);
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `wipe managedDevice laptop-42` (a policy change in the words of `operationTitle`), user text shown as {@link userTextForMail} shows it. */
export function describeOperation(request: Pick<ApprovalRequest, 'profileType' | 'operation'>): string {
  return titleText(operationTitle(request), (text) => userTextForMail(text, 'identifier'));
}

/**
 * User text as mail and chat show it: invisible and bidi characters escaped (`visibleText`), and
 * defanged so that no client turns it into a link: a scheme's `://` becomes `[://]` (and `http`
 * `hxxp`), other schemes' `:` becomes `[:]`, a dot between a letter or digit and a letter becomes
 * `[.]` (`evil[.]example`, `bob@contoso[.]com`; `v1.2` stays), and Markdown's `](` becomes `] (`.
 * Only the service's own URLs are links.
 */
export function userTextForMail(text: string, kind: 'identifier' | 'text' = 'text'): string {
  return visibleText(text, kind)
    .replace(/\b(h)tt(ps?)(?=:\/\/)/gi, '$1xx$2')
    .replace(/:\/\//g, '[://]')
    .replace(/\b(mailto|tel|sms|callto|file|javascript|data|vbscript|ms-[a-z-]+):/gi, '$1[:]')
    .replace(/(?<=[\p{L}\p{N}])\.(?=\p{L})/gu, '[.]')
    .replace(/\]\(/g, '] (');
}

function asText(line: Line): string {
  return line
    .map((part) =>
      typeof part === 'string' ? part : 'link' in part ? part.link : userTextForMail(part.user, part.kind),
    )
    .join('');
}

function asHtml(line: Line): string {
  return line
    .map((part) => {
      if (typeof part === 'string') return escapeHtml(part);
      if ('link' in part) return `<a href="${escapeHtml(part.link)}">${escapeHtml(part.link)}</a>`;
      return `<bdi>${escapeHtml(userTextForMail(part.user, part.kind))}</bdi>`;
    })
    .join('');
}

/** `2026-01-31 09:30 UTC`: unambiguous for every reader, whatever their time zone. */
export function formatInstant(instant: string): string {
  return `${new Date(instant).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
