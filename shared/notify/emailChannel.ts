import { IdentityUnavailableError } from '../identity/errors';
import type { GraphClient } from '../identity/graphClient';
import { parseRetryAfter } from '../identity/graphClient';
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

/** How {@link EmailNotifier} batches and retries the items of a batch. */
export interface EmailBatchOptions {
  /** Most mails in one `$batch` (Graph allows 20). Default 20. */
  readonly maxBatch?: number;
  /** Rounds for the mails of a batch that Graph throttled (429) or failed (5xx). Default 3. */
  readonly attempts?: number;
  /** First wait between rounds, doubling, unless an item says `Retry-After`. Default 200 ms. */
  readonly firstDelayMs?: number;
  /** A longer `Retry-After` is not waited for: those mails fail at once. Default 5 000 ms. */
  readonly maxDelayMs?: number;
}

/** Graph's limit of requests in one JSON batch. */
export const GRAPH_BATCH_LIMIT = 20;

interface PendingMail {
  readonly message: NotificationMessage;
  readonly address: string;
  readonly resolve: (delivery: Delivery) => void;
}

interface BatchItemAnswer {
  id?: unknown;
  status?: unknown;
  headers?: unknown;
  body?: { error?: { code?: unknown; message?: unknown } } | null;
}

/**
 * Email through Microsoft Graph `sendMail` from `sender`, with the app's own credential (application
 * permission Mail.Send, best limited to that mailbox with an Exchange application access policy).
 *
 * Mails sent together are batched: the sends that arrive in one turn of the event loop (a step
 * notifying several approvers sends them at once) go out as one JSON batch, `POST /v1.0/$batch`
 * with up to {@link GRAPH_BATCH_LIMIT} `sendMail` requests, and a lone mail as a plain `sendMail`.
 * Graph answers every item on its own: a `202` is accepted for that recipient, a 429 or 5xx item is
 * sent again in a later round (after its `Retry-After`), anything else fails that recipient only.
 * The batch request itself is retried only when Graph throttled it (429: nothing of it ran); a
 * network failure, a timeout, a 5xx or an answer without an item's outcome may follow mails that
 * went out, so those mails are not sent again but fail with `outcome unknown`, instead of every
 * recipient of the batch getting it up to three times. The batches of one notifier (one sender
 * mailbox) go out one after another, since Graph limits the concurrent requests per mailbox.
 * A lone `sendMail` is retried by the {@link GraphClient} (429 with `Retry-After`, 5xx, network).
 * Graph's `202` means accepted for delivery, not delivered; and since sendMail has no idempotency
 * key, a retried lone mail or a re-run activity can send a mail twice.
 */
export class EmailNotifier implements Notifier {
  readonly channel = 'email';
  private pending: PendingMail[] = [];
  private flushScheduled = false;
  /** The batch sent last (settled when it and every retry round of it are done). */
  private lastBatch: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly graph: GraphClient,
    private readonly sender: string,
    private readonly batching: EmailBatchOptions = {},
  ) {}

  send(message: NotificationMessage): Promise<Delivery> {
    const address = message.recipient.address;
    if (address === undefined)
      return Promise.resolve({
        ok: false,
        detail: 'the directory has no mail address or user principal name for the recipient',
      });
    return new Promise<Delivery>((resolve) => {
      this.pending.push({ message, address, resolve });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Sends `messages` together (in batches of at most 20), each delivery in input order. */
  sendAll(messages: readonly NotificationMessage[]): Promise<Delivery[]> {
    return Promise.all(messages.map((message) => this.send(message)));
  }

  private get maxBatch(): number {
    return Math.max(1, Math.min(GRAPH_BATCH_LIMIT, this.batching.maxBatch ?? GRAPH_BATCH_LIMIT));
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const mails = this.pending.splice(0, this.maxBatch);
      void (mails.length === 1 ? this.sendOne(mails[0]!) : this.afterLastBatch(mails)).then((deliveries) =>
        mails.forEach((mail, index) => mail.resolve(deliveries[index]!)),
      );
    }
  }

  private get sendMailPath(): string {
    return `/users/${encodeURIComponent(this.sender)}/sendMail`;
  }

  private async sendOne(mail: PendingMail): Promise<Delivery[]> {
    try {
      const answer = await this.graph.request('POST', this.sendMailPath, sendMailBody(mail.message, mail.address));
      if (answer === undefined) return [{ ok: false, detail: `Graph does not know the sender mailbox ${this.sender}` }];
      return [{ ok: true, detail: `accepted by Graph for ${mail.address}` }];
    } catch (error) {
      return [{ ok: false, detail: describeError(error) }];
    }
  }

  /** Sends `mails` as a batch once the batch sent before is done (sendBatch never rejects). */
  private afterLastBatch(mails: readonly PendingMail[]): Promise<Delivery[]> {
    const sent = this.lastBatch.then(() => this.sendBatch(mails));
    this.lastBatch = sent;
    return sent;
  }

  /** One `$batch` round after another for the items Graph throttled or failed, each mail's delivery in order. */
  private async sendBatch(mails: readonly PendingMail[]): Promise<Delivery[]> {
    const deliveries: (Delivery | undefined)[] = mails.map(() => undefined);
    const attempts = Math.max(1, this.batching.attempts ?? 3);
    const maxDelay = this.batching.maxDelayMs ?? 5_000;
    let open = mails.map((_, index) => index);
    for (let attempt = 1; open.length > 0; attempt++) {
      const again: { index: number; failure: string; retryAfterMs: number | undefined }[] = [];
      let responses: Map<string, BatchItemAnswer>;
      try {
        const answer = (await this.graph.request(
          'POST',
          '/$batch',
          {
            requests: open.map((index) => ({
              id: String(index + 1),
              method: 'POST',
              url: this.sendMailPath,
              headers: { 'content-type': 'application/json' },
              body: sendMailBody(mails[index]!.message, mails[index]!.address),
            })),
          },
          { retryUnknownOutcome: false },
        )) as { responses?: unknown } | null | undefined;
        if (!Array.isArray(answer?.responses))
          throw new OutcomeUnknown('Graph POST /$batch did not answer a responses array');
        responses = new Map(
          (answer.responses as BatchItemAnswer[]).map((item) => [String(item?.id), item] as [string, BatchItemAnswer]),
        );
      } catch (error) {
        const detail = outcomeUnknown(error) ? `${OUTCOME_UNKNOWN}: ${describeError(error)}` : describeError(error);
        for (const index of open) deliveries[index] = { ok: false, detail };
        break;
      }
      for (const index of open) {
        const address = mails[index]!.address;
        const item = responses.get(String(index + 1));
        const status = typeof item?.status === 'number' ? item.status : undefined;
        if (status !== undefined && status >= 200 && status < 300) {
          deliveries[index] = {
            ok: true,
            detail: `accepted by Graph for ${address}${attempt === 1 ? '' : ` (attempt ${attempt})`}`,
          };
          continue;
        }
        if (status === undefined) {
          deliveries[index] = { ok: false, detail: `${OUTCOME_UNKNOWN}: Graph POST /$batch did not answer this mail` };
          continue;
        }
        const failure = `Graph POST ${this.sendMailPath} (in $batch) answered ${status} ${errorOf(item)}`;
        if (status === 429 || status >= 500)
          again.push({ index, failure, retryAfterMs: parseRetryAfter(headerOf(item, 'retry-after')) });
        else deliveries[index] = { ok: false, detail: failure };
      }
      if (again.length === 0) break;
      const delay = Math.max(
        ...again.map(({ retryAfterMs }) => retryAfterMs ?? (this.batching.firstDelayMs ?? 200) * 2 ** (attempt - 1)),
      );
      if (attempt >= attempts || delay > maxDelay) {
        for (const { index, failure } of again)
          deliveries[index] = { ok: false, detail: `gave up after ${attempt} attempt(s): ${failure}` };
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      open = again.map(({ index }) => index);
    }
    return deliveries.map((delivery) => delivery ?? { ok: false, detail: 'Graph POST /$batch did not answer' });
  }
}

/** How the delivery of a mail that may or may not have gone out begins. */
export const OUTCOME_UNKNOWN = 'outcome unknown, not sent again';

/** A batch answer that does not say what became of its mails. */
class OutcomeUnknown extends Error {}

/**
 * Whether a failed `$batch` call may have sent its mails: no answer (network failure, timeout), a
 * 5xx, or a 2xx that does not say what happened to them. A 429 or another refusal did not.
 */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof OutcomeUnknown) return true;
  if (!(error instanceof IdentityUnavailableError)) return false;
  return (
    error.code === 'graph_unavailable' ||
    (error.code === 'graph_bad_response' && error.details.upstreamStatus === undefined)
  );
}

function errorOf(item: BatchItemAnswer | undefined): string {
  const error = item?.body?.error;
  const code = typeof error?.code === 'string' ? error.code : 'unknown';
  return typeof error?.message === 'string' ? `${code}: ${error.message}` : code;
}

function headerOf(item: BatchItemAnswer | undefined, name: string): string | null {
  if (typeof item?.headers !== 'object' || item.headers === null) return null;
  for (const [key, value] of Object.entries(item.headers as Record<string, unknown>))
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  return null;
}
