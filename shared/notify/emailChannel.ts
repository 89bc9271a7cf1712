import type { GraphClient } from '../identity/graphClient';
import type { NotificationMessage } from './messages';
import type { Delivery, Notifier } from './notifier';
import { describeError } from './post';

/** The body of Graph's `POST /users/{sender}/sendMail` for `message` (HTML; every URL is also visible as text). */
export function sendMailBody(message: NotificationMessage, address: string) {
  return {
    message: {
      subject: message.subject,
      body: { contentType: 'HTML', content: message.html },
      toRecipients: [{ emailAddress: { address, name: message.recipient.displayName } }],
    },
    // The audit trail is the record of what was sent; the sender's Sent Items need not keep a copy.
    saveToSentItems: false,
  };
}

/**
 * Email through Microsoft Graph `sendMail` from `sender`, with the app's own credential (application
 * permission Mail.Send, best limited to that mailbox with an Exchange application access policy).
 * Retries are the {@link GraphClient}'s (429 with `Retry-After`, 5xx, network). Graph's `202`
 * means accepted for delivery, not delivered; and since sendMail has no idempotency key, a retried
 * attempt or a re-run activity can send a mail twice.
 */
export class EmailNotifier implements Notifier {
  readonly channel = 'email';

  constructor(
    private readonly graph: GraphClient,
    private readonly sender: string,
  ) {}

  async send(message: NotificationMessage): Promise<Delivery> {
    const address = message.recipient.address;
    if (address === undefined)
      return { ok: false, detail: 'the directory has no mail address or user principal name for the recipient' };
    try {
      const answer = await this.graph.request(
        'POST',
        `/users/${encodeURIComponent(this.sender)}/sendMail`,
        sendMailBody(message, address),
      );
      if (answer === undefined) return { ok: false, detail: `Graph does not know the sender mailbox ${this.sender}` };
      return { ok: true, detail: `accepted by Graph for ${address}` };
    } catch (error) {
      return { ok: false, detail: describeError(error) };
    }
  }
}
