import { createHmac } from 'node:crypto';
import type { ApprovalRequest } from '../domain/model';
import type { ExecutionOutcome, Executor } from './executor';

/** Settings of one webhook target. */
export interface WebhookTarget {
  url: string;
  /** HMAC-SHA256 key; the receiver recomputes the signature over the raw body. */
  secret: string;
  timeoutMs?: number;
}

/** The JSON body a webhook receives: exactly the approved operation and who approved it. */
export interface WebhookPayload {
  requestId: string;
  profileType: string;
  operation: ApprovalRequest['operation'];
  operationHash: string;
  initiator: ApprovalRequest['initiator'];
  approvers: ApprovalRequest['initiator'][];
  completedAt: string | undefined;
}

/** Header carrying `sha256=<hex HMAC of timestamp + "." + body>`. */
export const SIGNATURE_HEADER = 'x-maa-signature';
/** Header carrying the signing time (seconds since the epoch), part of the signed text. */
export const TIMESTAMP_HEADER = 'x-maa-timestamp';

/** Computes the signature a receiver should expect. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs the stored operation to a configured URL, signed with HMAC-SHA256, with the request id as
 * `Idempotency-Key` so a receiver can drop repeats. 2xx succeeds; 408, 429 and 5xx (and network
 * errors) are retryable failures; other statuses are final failures.
 */
export class WebhookExecutor implements Executor {
  readonly kind = 'webhook';

  constructor(
    private readonly target: WebhookTarget,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(request: ApprovalRequest): Promise<ExecutionOutcome> {
    const payload: WebhookPayload = {
      requestId: request.id,
      profileType: request.profileType,
      operation: request.operation,
      operationHash: request.operationHash,
      initiator: request.initiator,
      approvers: request.decisions.filter((d) => d.decision === 'approve').map((d) => d.approver),
      completedAt: request.completedAt,
    };
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(this.now().getTime() / 1000));
    let response: Response;
    try {
      response = await fetch(this.target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': request.id,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(this.target.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.target.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { status: 'failed', retryable: true, detail: `webhook unreachable: ${reason}` };
    }
    const text = (await response.text().catch(() => '')).slice(0, 512);
    if (response.ok)
      return { status: 'succeeded', detail: `webhook answered ${response.status}${text ? `: ${text}` : ''}` };
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    return { status: 'failed', retryable, detail: `webhook answered ${response.status}${text ? `: ${text}` : ''}` };
  }
}
