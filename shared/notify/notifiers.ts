import { GraphClient } from '../identity/graphClient';
import { createGraphCredential } from '../identity/identity';
import type { GraphConfig } from '../identity/settings';
import { EmailNotifier } from './emailChannel';
import type { Notifier } from './notifier';
import type { NotificationsConfig } from './settings';
import { TeamsNotifier } from './teamsChannel';
import { WebhookNotifier } from './webhookChannel';
import { DEFAULT_SEND_POLICY } from './post';

/** The configured channels, in a fixed order (email, Teams, webhook), reading time from `now`; none when nothing is configured. */
export function createNotifiers(
  settings: NotificationsConfig,
  graph: GraphConfig,
  now: () => Date = () => new Date(),
): Notifier[] {
  const notifiers: Notifier[] = [];
  if (settings.mailSender !== undefined) {
    const client = new GraphClient({ baseUrl: graph.baseUrl, credential: createGraphCredential(graph.credential) });
    notifiers.push(new EmailNotifier(client, settings.mailSender));
  }
  if (settings.teamsWebhookUrl !== undefined) notifiers.push(new TeamsNotifier(settings.teamsWebhookUrl));
  if (settings.webhook !== undefined) notifiers.push(new WebhookNotifier(settings.webhook, DEFAULT_SEND_POLICY, now));
  return notifiers;
}
