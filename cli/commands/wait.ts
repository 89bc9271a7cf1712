import type { z } from 'zod';
import { approvalRequestSchema } from '../../shared/api/schemas';
import type { Command } from '../context';
import { printJson } from '../context';
import { CliError } from '../errors';
import { ExitCode } from '../exitCodes';
import { choice, duration } from '../input';
import { requestRoute } from './requests';

type ApprovalRequest = z.infer<typeof approvalRequestSchema>;
export type WaitTarget = 'approved' | 'completed';

/** The longest pause before asking again after an outage, unless --interval asks for more. */
const MAX_INTERVAL_MS = 30_000;

/** Where a watched request stands: still on its way, or done with the exit code `maa wait` ends with. */
export type WaitOutcome = { done: false } | { done: true; code: ExitCode; message: string };

/**
 * Whether `request` settles a wait for `target`. `approved` is reached by `approved` and by
 * `completed` (which only an approved request becomes); `completed` once the execution outcome is
 * recorded (the status changes a moment before it): 0 when it succeeded, {@link ExitCode.executionFailed}
 * when it failed. Rejected, expired and cancelled end every wait with their own codes.
 */
export function waitOutcome(request: ApprovalRequest, target: WaitTarget): WaitOutcome {
  const id = request.id;
  switch (request.status) {
    case 'rejected':
      return { done: true, code: ExitCode.rejected, message: `${id} was rejected${rejectionNotes(request)}` };
    case 'expired':
      return { done: true, code: ExitCode.expired, message: `${id} expired at ${request.expiresAt}` };
    case 'cancelled':
      return { done: true, code: ExitCode.cancelled, message: `${id} was cancelled` };
    case 'approved':
      return target === 'approved' ? { done: true, code: ExitCode.ok, message: `${id} is approved` } : { done: false };
    case 'completed':
      if (target === 'approved')
        return { done: true, code: ExitCode.ok, message: `${id} is approved (and already completed)` };
      if (request.execution === undefined) return { done: false };
      return request.execution.status === 'succeeded'
        ? { done: true, code: ExitCode.ok, message: `${id} is completed: ${request.execution.detail}` }
        : {
            done: true,
            code: ExitCode.executionFailed,
            message: `${id} is completed but its execution failed: ${request.execution.detail}`,
          };
    default:
      return { done: false };
  }
}

function rejectionNotes(request: ApprovalRequest): string {
  const rejection = request.decisions.find((decision) => decision.decision === 'reject');
  return rejection ? ` by ${rejection.approver.displayName}${rejection.notes ? `: ${rejection.notes}` : ''}` : '';
}

/** The pause after one of `interval` ms: half as long again, at most 30 s (or `interval` when that is longer). */
export function nextInterval(current: number, interval: number): number {
  return Math.min(Math.round(current * 1.5), Math.max(interval, MAX_INTERVAL_MS));
}

/** The longest one long-poll asks the service to wait: under the CLI's 30 s call timeout. */
const LONG_POLL_MS = 25_000;

/**
 * The route of one long-poll for `target` with `leftMs` to go: `waitFor=approved`, or
 * `waitFor=executed` for `completed` (the execution outcome is what settles it), for at most
 * 25 s in whole seconds (at least 1).
 */
export function longPollRoute(id: string, target: WaitTarget, leftMs: number): string {
  const seconds = Math.max(1, Math.ceil(Math.min(leftMs, LONG_POLL_MS) / 1000));
  const waitFor = target === 'completed' ? 'executed' : 'approved';
  return `${requestRoute(id)}?waitFor=${waitFor}&timeout=PT${seconds}S`;
}

export const wait: Command = {
  name: 'wait',
  summary: 'wait until a request is approved or completed (exit code says how it ended)',
  args: ['id'],
  options: {
    for: {
      type: 'string',
      value: '<state>',
      required: true,
      description: 'approved, or completed (the execution outcome is recorded)',
    },
    timeout: { type: 'string', value: '<duration>', description: 'give up after this long, exit 13 (default 10m)' },
    interval: {
      type: 'string',
      value: '<duration>',
      description:
        'first pause before asking again after the service could not be reached, growing by half each time up to 30s (default 2s)',
    },
  },
  example: 'maa wait 2c9a4c1e-0b7e-4f7a-9d43-7e1f9b0f2a61 --for approved --timeout 1h',
  async run(context) {
    const { args, io } = context;
    const id = args.arg(0);
    const target = choice('for', args.required('for'), ['approved', 'completed'] as const);
    const timeout = duration('timeout', args.string('timeout') ?? '10m', 0);
    const interval = duration('interval', args.string('interval') ?? '2s', 1);
    const deadline = Date.now() + timeout;
    const api = context.api();
    let pause = interval;
    let last: { request: ApprovalRequest; json: unknown } | undefined;
    // The first call reads the request as it is (so its status shows at once); each one after is a
    // long-poll: the service answers as soon as the request gets there (or closes), else after up
    // to 25 s, and the next call asks again. Nothing polls in between.
    for (let first = true; ; first = false) {
      let failed = false;
      try {
        const route = first ? requestRoute(id) : longPollRoute(id, target, deadline - Date.now());
        const answer = await api.call(approvalRequestSchema, 'GET', route);
        if (last?.request.status !== answer.value.status && !context.json) io.err(`${id}: ${answer.value.status}\n`);
        last = { request: answer.value, json: answer.json };
        const outcome = waitOutcome(answer.value, target);
        if (outcome.done) return finish(outcome.code, outcome.message);
        pause = interval;
      } catch (error) {
        // A passing outage must not end a long wait; anything the API refused does.
        if (!(error instanceof CliError) || error.exitCode !== ExitCode.server) throw error;
        io.err(`${error.message} (retrying)\n`);
        failed = true;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        return finish(
          ExitCode.timeout,
          `timed out after ${args.string('timeout') ?? '10m'}: ${id} is ${last ? last.request.status : 'unknown (no answer)'}, not ${target}`,
        );
      }
      if (failed) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
        pause = nextInterval(pause, interval);
      }
    }

    /** Prints the last state seen (the document with --json) and the outcome (stderr unless a plain success), and ends with `code`. */
    function finish(code: ExitCode, message: string): ExitCode {
      if (context.json && last) printJson(context, last.json);
      if (code === ExitCode.ok && !context.json) io.out(`${message}\n`);
      else io.err(`${message}\n`);
      return code;
    }
  },
};
