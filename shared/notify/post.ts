import { parseRetryAfter } from '../identity/graphClient';
import type { Delivery } from './notifier';

/** How hard a channel tries: `attempts` in all, `firstDelayMs` apart and doubling, each with `timeoutMs`. */
export interface SendPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the send fails at once. */
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

/** 3 attempts over about a second, 10 s each: a notification must not hold up the workflow. */
export const DEFAULT_SEND_POLICY: SendPolicy = Object.freeze({
  attempts: 3,
  firstDelayMs: 300,
  maxDelayMs: 5_000,
  timeoutMs: 10_000,
});

/**
 * POSTs `body` to `url`: 2xx succeeds; 408, 429, 5xx, timeouts and network errors are tried again
 * (honouring `Retry-After` up to `maxDelayMs`); any other status fails at once. Never rejects.
 */
export async function postWithRetry(
  url: string,
  headers: Record<string, string>,
  body: string,
  policy: SendPolicy = DEFAULT_SEND_POLICY,
): Promise<Delivery> {
  let failure = '';
  for (let attempt = 1; ; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const text = (await response.text().catch(() => '')).trim().slice(0, 200);
      const answered = `answered ${response.status}${text ? `: ${text}` : ''}`;
      if (response.ok) return { ok: true, detail: attempt === 1 ? answered : `${answered} (attempt ${attempt})` };
      if (response.status !== 408 && response.status !== 429 && response.status < 500)
        return { ok: false, detail: answered };
      failure = answered;
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    } catch (error) {
      failure = `unreachable: ${describeError(error)}`;
    }
    const delay = retryAfterMs ?? policy.firstDelayMs * 2 ** (attempt - 1);
    if (attempt >= policy.attempts || delay > policy.maxDelayMs)
      return { ok: false, detail: `gave up after ${attempt} attempt(s): ${failure}` };
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * A failure in words fit for the audit trail: an identity error's diagnostic (Graph's answer, never
 * a token), else the message with the network error code, e.g. `fetch failed (ECONNREFUSED)`.
 */
export function describeError(error: unknown): string {
  // Duck-typed: errors from fetch may come from another realm, where instanceof Error fails.
  const failure = error as { message?: unknown; diagnostic?: unknown; cause?: { code?: unknown } } | null;
  if (typeof failure?.diagnostic === 'string') return failure.diagnostic;
  if (typeof failure?.message !== 'string') return String(error);
  const code = failure.cause?.code;
  return typeof code === 'string' ? `${failure.message} (${code})` : failure.message;
}
