import { z } from 'zod';
import { parseIsoDuration } from '../domain/duration';

/** Where notifications go. Each channel is off when its settings are unset; with none, nothing is sent. */
export interface NotificationsConfig {
  /** Email through Microsoft Graph `sendMail` (application permission `Mail.Send`), from this mailbox (UPN or id). */
  readonly mailSender?: string;
  /** A Microsoft Teams workflow ("When a Teams webhook request is received") that posts Adaptive Cards. */
  readonly teamsWebhookUrl?: string;
  /** A generic receiver of CloudEvents 1.0 JSON, signed with HMAC-SHA256 under `secret`. */
  readonly webhook?: { readonly url: string; readonly secret: string };
  /** How long before expiry approvers are reminded; 0 sends no reminder. */
  readonly reminderBeforeMs: number;
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const httpsUrl = z.url({ protocol: /^https?$/ });

/** The notification settings' zod shape; shared/config.ts merges it into the app's settings schema. */
export const notificationSettingsShape = {
  /** Mailbox (UPN or object id) that approval mails are sent from; unset turns email off. */
  MAA_MAIL_SENDER: z.preprocess(blankIsUnset, z.string().max(320).optional()),
  /** Teams workflow webhook URL; unset turns Teams off. */
  MAA_TEAMS_WEBHOOK_URL: z.preprocess(blankIsUnset, httpsUrl.optional()),
  /** CloudEvents receiver URL; unset turns the generic webhook off. */
  MAA_NOTIFY_WEBHOOK_URL: z.preprocess(blankIsUnset, httpsUrl.optional()),
  /** HMAC-SHA256 key for the CloudEvents webhook (a Key Vault reference in Azure), at least 16 characters. */
  MAA_NOTIFY_WEBHOOK_SECRET: z.preprocess(blankIsUnset, z.string().min(16).optional()),
  /** ISO-8601 time before expiry at which approvers are reminded; `PT0S` sends no reminder. */
  MAA_REMINDER_BEFORE: z.preprocess(blankIsUnset, z.string().default('PT24H')),
};

export type NotificationSettings = z.output<z.ZodObject<typeof notificationSettingsShape>>;

/** Resolves parsed settings into a {@link NotificationsConfig}, or lists every problem as `SETTING: message`. */
export function resolveNotificationsConfig(settings: NotificationSettings): {
  config: NotificationsConfig;
  problems: string[];
} {
  const problems: string[] = [];
  let reminderBeforeMs = 0;
  try {
    reminderBeforeMs = parseIsoDuration(settings.MAA_REMINDER_BEFORE);
  } catch (error) {
    problems.push(`MAA_REMINDER_BEFORE: ${(error as Error).message}`);
  }
  const { MAA_NOTIFY_WEBHOOK_URL: url, MAA_NOTIFY_WEBHOOK_SECRET: secret } = settings;
  if ((url === undefined) !== (secret === undefined)) {
    problems.push(
      `${url === undefined ? 'MAA_NOTIFY_WEBHOOK_URL' : 'MAA_NOTIFY_WEBHOOK_SECRET'}: required with ${url === undefined ? 'MAA_NOTIFY_WEBHOOK_SECRET' : 'MAA_NOTIFY_WEBHOOK_URL'}`,
    );
  }
  const config: NotificationsConfig = Object.freeze({
    ...(settings.MAA_MAIL_SENDER === undefined ? {} : { mailSender: settings.MAA_MAIL_SENDER }),
    ...(settings.MAA_TEAMS_WEBHOOK_URL === undefined ? {} : { teamsWebhookUrl: settings.MAA_TEAMS_WEBHOOK_URL }),
    ...(url !== undefined && secret !== undefined ? { webhook: Object.freeze({ url, secret }) } : {}),
    reminderBeforeMs,
  });
  return { config, problems };
}
