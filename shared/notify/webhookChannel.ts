import { approvalCount } from '../domain/lifecycle';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from '../execute/webhookExecutor';
import type { NotificationMessage } from './messages';
import type { Delivery, Notifier } from './notifier';
import { DEFAULT_SEND_POLICY, postWithRetry, type SendPolicy } from './post';

/** `source` of every event: this service, as a URI reference. */
export const CLOUD_EVENT_SOURCE = '/multi-admin-approval';
/** `type` is this prefix and the notification kind, e.g. `com.multi-admin-approval.request.submitted`. */
export const CLOUD_EVENT_TYPE_PREFIX = 'com.multi-admin-approval.request.';

/** A CloudEvents 1.0 event in structured JSON mode. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

/**
 * The event for `message`. Its `id` is the message's (per notification and recipient, the same on
 * every retry), so a receiver drops repeats by `source` + `id` as CloudEvents intends. `data`
 * carries the recipient and, for approvers, their link: the receiver is trusted (it holds the
 * signing secret) and may route the event to that person.
 */
export function cloudEvent(message: NotificationMessage): CloudEvent {
  const { request } = message;
  return {
    specversion: '1.0',
    id: message.id,
    source: CLOUD_EVENT_SOURCE,
    type: `${CLOUD_EVENT_TYPE_PREFIX}${message.kind}`,
    time: message.at,
    subject: request.id,
    datacontenttype: 'application/json',
    data: {
      kind: message.kind,
      recipient: message.recipient,
      subject: message.subject,
      text: message.text,
      request: {
        id: request.id,
        profileType: request.profileType,
        operation: request.operation,
        operationHash: request.operationHash,
        justification: request.justification,
        initiator: request.initiator,
        status: request.status,
        approvals: approvalCount(request),
        requiredApprovals: request.policy.requiredApprovals,
        expiresAt: request.expiresAt,
      },
      ...(message.link ? { link: message.link } : {}),
    },
  };
}

/** Where the CloudEvents go and the HMAC key they are signed with. */
export interface WebhookChannelOptions {
  readonly url: string;
  readonly secret: string;
}

/**
 * The generic webhook: POSTs {@link cloudEvent} as `application/cloudevents+json`, signed like the
 * webhook executor: `x-maa-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with
 * the epoch seconds in `x-maa-timestamp`.
 */
export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook';

  constructor(
    private readonly options: WebhookChannelOptions,
    private readonly policy: SendPolicy = DEFAULT_SEND_POLICY,
    private readonly now: () => Date = () => new Date(),
  ) {}

  send(message: NotificationMessage): Promise<Delivery> {
    const body = JSON.stringify(cloudEvent(message));
    const timestamp = String(Math.floor(this.now().getTime() / 1000));
    return postWithRetry(
      this.options.url,
      {
        'content-type': 'application/cloudevents+json; charset=utf-8',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, body),
      },
      body,
      this.policy,
    );
  }
}
