import type { NotificationMessage } from './messages';
import { visibleText } from '../domain/text';
import type { Delivery, Notifier } from './notifier';
import { DEFAULT_SEND_POLICY, postWithRetry, type SendPolicy } from './post';

/** The attachment content type Teams renders as an Adaptive Card. */
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * What a Teams workflow webhook ("When a Teams webhook request is received", then "Post card in a
 * chat or channel") takes: a message whose first attachment is an Adaptive Card 1.4 with the
 * subject, the text, the request's facts, and an Action.OpenUrl to the approver's link when there
 * is one. The card names its recipient, since a channel is read by many.
 */
export function adaptiveCardMessage(message: NotificationMessage) {
  const paragraphs = message.text.split('\n\n');
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: message.subject, weight: 'Bolder', size: 'Medium', wrap: true },
            {
              type: 'TextBlock',
              text: `For ${visibleText(message.recipient.displayName)}`,
              isSubtle: true,
              spacing: 'None',
              wrap: true,
            },
            ...paragraphs.map((paragraph) => ({ type: 'TextBlock', text: paragraph, wrap: true })),
            { type: 'FactSet', facts: message.facts },
          ],
          ...(message.action
            ? { actions: [{ type: 'Action.OpenUrl', title: message.action.title, url: message.action.url }] }
            : {}),
        },
      },
    ],
  };
}

/** Posts {@link adaptiveCardMessage} to a Teams workflow webhook URL. */
export class TeamsNotifier implements Notifier {
  readonly channel = 'teams';

  constructor(
    private readonly url: string,
    private readonly policy: SendPolicy = DEFAULT_SEND_POLICY,
  ) {}

  send(message: NotificationMessage): Promise<Delivery> {
    return postWithRetry(
      this.url,
      { 'content-type': 'application/json' },
      JSON.stringify(adaptiveCardMessage(message)),
      this.policy,
    );
  }
}
