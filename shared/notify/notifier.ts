import type { NotificationChannel } from '../domain/notifications';
import type { NotificationMessage } from './messages';

/** How one send went; `detail` is safe to audit (no tokens, no secrets). */
export interface Delivery {
  ok: boolean;
  detail: string;
}

/**
 * A notification channel. `send` never rejects: it retries briefly itself and reports a failure as
 * a {@link Delivery}, so a channel that is down costs the workflow seconds, never the request.
 */
export interface Notifier {
  readonly channel: NotificationChannel;
  send(message: NotificationMessage): Promise<Delivery>;
}
