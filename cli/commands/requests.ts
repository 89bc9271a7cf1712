import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import {
  approvalRequestSchema,
  evaluationSchema,
  pageSchema,
  profileTypeSchema,
  requestStatusSchema,
} from '../../shared/api/schemas';
import type { Command, Context } from '../context';
import { printJson } from '../context';
import { UsageError } from '../errors';
import { ExitCode } from '../exitCodes';
import { joinedJson, readPages } from '../http';
import { choice, integer, json, jsonFile } from '../input';
import { describeOperation, requestDetail, requestsTable, shortTime } from '../render';

const requestPageSchema = pageSchema(approvalRequestSchema);
const quiet = { type: 'boolean', short: 'q', description: 'print only the request id' } as const;

/** `requests/<id>` with the id encoded. */
export function requestRoute(id: string, suffix = ''): string {
  return `requests/${encodeURIComponent(id)}${suffix}`;
}

export const submit: Command = {
  name: 'submit',
  summary: 'submit a request for a protected operation',
  args: [],
  options: {
    'profile-type': {
      type: 'string',
      value: '<type>',
      required: true,
      description: `what the operation is: ${profileTypeSchema.options.join(', ')}`,
    },
    action: { type: 'string', value: '<action>', required: true, description: 'what to do, e.g. wipe' },
    'resource-type': {
      type: 'string',
      value: '<type>',
      required: true,
      description: 'what it is done to, e.g. managedDevice',
    },
    'resource-id': {
      type: 'string',
      value: '<id>',
      description: 'which one (open requests on the same profile type and resource exclude each other)',
    },
    'resource-ids': {
      type: 'string',
      value: '<ids>',
      description:
        'a bulk device action (wipe, retire or delete of managedDevice): up to 100 device ids, separated by commas or spaces, in place of --resource-id',
    },
    'resource-ids-file': {
      type: 'string',
      value: '<file>',
      description: 'the same, from a file (one id per line; blank lines and lines starting with # are skipped)',
    },
    payload: { type: 'string', value: '<json>', description: 'parameters of the operation, as JSON' },
    'payload-file': { type: 'string', value: '<file>', description: 'the same, from a JSON file' },
    justification: {
      type: 'string',
      value: '<text>',
      required: true,
      description: 'business justification shown to approvers',
    },
    'idempotency-key': {
      type: 'string',
      value: '<key>',
      description: 'submitting again with the same key returns the same request',
    },
    'dry-run': {
      type: 'boolean',
      description:
        'submit nothing: print whether a policy protects it, the approvals it needs and why, who could approve, the target and the Graph calls completion would send',
    },
    quiet,
  },
  example:
    'maa submit --profile-type deviceWipe --action wipe --resource-type managedDevice --resource-id d3a1c0de-0000-4000-8000-000000000001 --justification "Reported stolen (INC-4711)"',
  async run(context) {
    const { args } = context;
    const payloadText = args.string('payload');
    const payloadFile = args.string('payload-file');
    if (payloadText !== undefined && payloadFile !== undefined)
      throw new UsageError('give --payload or --payload-file, not both');
    const payload =
      payloadText !== undefined
        ? json('--payload', payloadText)
        : payloadFile !== undefined
          ? jsonFile(payloadFile)
          : undefined;
    const resourceId = args.string('resource-id');
    const resourceIds = deviceIds(args.string('resource-ids'), args.string('resource-ids-file'));
    const body = {
      profileType: choice('profile-type', args.required('profile-type'), profileTypeSchema.options),
      operation: {
        action: args.required('action'),
        resourceType: args.required('resource-type'),
        ...(resourceId !== undefined ? { resourceId } : {}),
        ...(resourceIds !== undefined ? { resourceIds } : {}),
        ...(payload !== undefined ? { payload } : {}),
      },
      justification: args.required('justification'),
    };
    if (args.flag('dry-run')) return dryRun(context, body);
    const key = args.string('idempotency-key');
    const answer = await context.api().call(approvalRequestSchema, 'POST', 'requests', {
      body,
      ...(key !== undefined ? { headers: { 'idempotency-key': key } } : {}),
    });
    const request = answer.value;
    if (context.json) printJson(context, answer.json);
    else if (args.flag('quiet')) context.io.out(`${request.id}\n`);
    else
      context.io.out(
        `Submitted ${request.id}: ${describeOperation(request.operation)}, ${request.status}, expires ${shortTime(request.expiresAt)}.\nNext: an approver runs maa approve ${request.id}; wait for it with maa wait ${request.id} --for approved\n`,
      );
    return ExitCode.ok;
  },
};

/**
 * The device ids of `--resource-ids` (commas or white space between them) or `--resource-ids-file`
 * (one per line, `#` comments), in order, as given: the API refuses duplicates and bad ids.
 */
function deviceIds(text: string | undefined, file: string | undefined): string[] | undefined {
  if (text !== undefined && file !== undefined)
    throw new UsageError('give --resource-ids or --resource-ids-file, not both');
  if (text !== undefined) return text.split(/[\s,]+/).filter((id) => id !== '');
  if (file === undefined) return undefined;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --resource-ids-file ${file}: ${(error as Error).message}`);
  }
  return content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** `maa submit --dry-run`: what a submit of `body` would do (`POST /api/requests/evaluate`), printed. */
async function dryRun(context: Context, body: unknown): Promise<ExitCode> {
  const answer = await context.api().call(evaluationSchema, 'POST', 'requests/evaluate', { body });
  const evaluation = answer.value;
  if (context.json) {
    printJson(context, answer.json);
    return ExitCode.ok;
  }
  const lines = [
    evaluation.protected
      ? `Protected by policy ${evaluation.policy ? `'${evaluation.policy.displayName}' (${evaluation.policy.id}, version ${evaluation.policy.version})` : '(bootstrap)'}: needs ${evaluation.requiredApprovals} approval(s).`
      : 'Not protected: no access policy covers this operation.',
    `Why: ${evaluation.why}`,
  ];
  if (evaluation.protected)
    lines.push(
      evaluation.approvers.length === 0
        ? 'Who could approve: nobody else.'
        : `Who could approve: ${evaluation.approvers.map((approver) => approver.displayName).join(', ')}`,
    );
  if (evaluation.target)
    lines.push(`Target: ${evaluation.target.resourceType} ${evaluation.target.id} (${evaluation.target.displayName})`);
  for (const call of evaluation.calls)
    lines.push(
      `Would send: ${call.method} ${call.path}${call.body === undefined ? '' : ` ${JSON.stringify(call.body)}`}`,
    );
  if (evaluation.operationHash) lines.push(`Operation hash: ${evaluation.operationHash}`);
  lines.push('Nothing was submitted.');
  context.io.out(`${lines.join('\n')}\n`);
  return ExitCode.ok;
}

export const list: Command = {
  name: 'list',
  summary: 'list requests, newest first',
  args: [],
  options: {
    view: {
      type: 'string',
      value: '<view>',
      description: 'mine (default: initiated by you), received (yours to decide), all (operators)',
    },
    status: {
      type: 'string',
      value: '<status>',
      description: `only this status: ${requestStatusSchema.options.join(', ')}`,
    },
    'profile-type': {
      type: 'string',
      value: '<type>',
      description: `only this profile type: ${profileTypeSchema.options.join(', ')}`,
    },
    initiator: { type: 'string', value: '<id>', description: 'only requests this principal (object id) initiated' },
    target: {
      type: 'string',
      value: '<id>',
      description: 'only requests on this resource id (a device of a bulk action counts; any letter case)',
    },
    'created-from': {
      type: 'string',
      value: '<time>',
      description: 'only requests created at or after this RFC 3339 time, e.g. 2026-12-01T00:00:00Z',
    },
    'created-to': { type: 'string', value: '<time>', description: 'only requests created before this RFC 3339 time' },
    top: { type: 'string', value: '<n>', description: 'page size, 1-100 (default 50)' },
    'continuation-token': {
      type: 'string',
      value: '<token>',
      description: 'the page after the one that returned this token (with the same view and filters)',
    },
    'all-pages': { type: 'boolean', description: 'follow continuation tokens to the end' },
    quiet: { ...quiet, description: 'print only the request ids, one a line' },
  },
  example: 'maa list --view all --target d3a1c0de-0000-4000-8000-000000000001 --created-from 2026-12-01T00:00:00Z',
  async run(context) {
    const { args } = context;
    const query = new URLSearchParams();
    const view = args.string('view');
    const status = args.string('status');
    const top = args.string('top');
    if (view !== undefined) query.set('view', choice('view', view, ['mine', 'received', 'all']));
    if (status !== undefined) query.set('status', choice('status', status, requestStatusSchema.options));
    const profileType = args.string('profile-type');
    if (profileType !== undefined)
      query.set('profileType', choice('profile-type', profileType, profileTypeSchema.options));
    // The server checks these (a bad time is its validation_failed naming the field).
    for (const [option, name] of [
      ['initiator', 'initiator'],
      ['target', 'target'],
      ['created-from', 'createdFrom'],
      ['created-to', 'createdTo'],
    ] as const) {
      const value = args.string(option);
      if (value !== undefined) query.set(name, value);
    }
    if (top !== undefined) query.set('top', String(integer('top', top, 1, 100)));
    const api = context.api();
    const pages = await readPages(
      (token) => {
        if (token !== undefined) query.set('continuationToken', token);
        return api.call(requestPageSchema, 'GET', `requests${query.size > 0 ? `?${query}` : ''}`);
      },
      args.string('continuation-token'),
      args.flag('all-pages'),
    );
    const items = pages.flatMap((page) => page.value.items);
    const next = pages[pages.length - 1]!.value.continuationToken;
    if (context.json) printJson(context, joinedJson(pages));
    else if (args.flag('quiet')) context.io.out(items.map((request) => `${request.id}\n`).join(''));
    else {
      context.io.out(items.length === 0 ? 'No requests.\n' : requestsTable(items));
      if (next !== undefined)
        context.io.err(`More: the same command with --continuation-token ${next} (or --all-pages)\n`);
    }
    return ExitCode.ok;
  },
};

export const show: Command = {
  name: 'show',
  summary: 'show one request',
  args: ['id'],
  options: {},
  example: 'maa show 2c9a4c1e-0b7e-4f7a-9d43-7e1f9b0f2a61',
  async run(context) {
    const answer = await context.api().call(approvalRequestSchema, 'GET', requestRoute(context.args.arg(0)));
    if (context.json) printJson(context, answer.json);
    else context.io.out(requestDetail(answer.value));
    return ExitCode.ok;
  },
};

/** approve, reject, cancel and complete: a POST to the request's command endpoint. */
function commandOn(
  name: 'approve' | 'reject' | 'cancel' | 'complete',
  summary: string,
  sent: (id: string) => string,
  notes?: 'optional' | 'required',
): Command {
  return {
    name,
    summary,
    args: ['id'],
    options: notes
      ? {
          notes: {
            type: 'string',
            value: '<text>',
            required: notes === 'required',
            description: `notes for the initiator and the audit trail${notes === 'required' ? '' : ' (optional)'}`,
          },
        }
      : {},
    example: `maa ${name} 2c9a4c1e-0b7e-4f7a-9d43-7e1f9b0f2a61${notes === 'required' ? ' --notes "Not without a ticket"' : ''}`,
    async run(context: Context) {
      const id = context.args.arg(0);
      const text = context.args.string('notes');
      const answer = await context
        .api()
        .call(
          approvalRequestSchema,
          'POST',
          requestRoute(id, `/${name}`),
          notes ? { body: text === undefined ? {} : { notes: text } } : {},
        );
      if (context.json) printJson(context, answer.json);
      // 200: the orchestration applied it and the request is as shown; 202: sent, not applied yet.
      else context.io.out(`${answer.status === 200 ? applied(answer.value) : sent(id)}\n`);
      return ExitCode.ok;
    },
  };
}

/** What a command's 200 shows: the request as the command left it, and what comes next. */
function applied(request: z.infer<typeof approvalRequestSchema>): string {
  const approvals = request.decisions.filter((decision) => decision.decision === 'approve').length;
  const id = request.id;
  switch (request.status) {
    case 'needsApproval':
      return `Recorded: ${id} has ${approvals} of ${request.policy.requiredApprovals} approvals and still needs approval.`;
    case 'approved':
      return request.policy.completion === 'onApproval'
        ? `Recorded: ${id} is approved (${approvals} of ${request.policy.requiredApprovals}); it completes on approval (maa wait ${id} --for completed).`
        : `Recorded: ${id} is approved (${approvals} of ${request.policy.requiredApprovals}). Next: its initiator runs maa complete ${id}.`;
    case 'completed':
      return `Recorded: ${id} is completed; its operation runs now (maa wait ${id} --for completed).`;
    default:
      return `Recorded: ${id} is ${request.status}.`;
  }
}

export const approve = commandOn(
  'approve',
  'approve a request (approvers)',
  (id) => `Approval of ${id} sent; the request shows it within a second (maa wait ${id} --for approved).`,
  'optional',
);
export const reject = commandOn(
  'reject',
  'reject a request, with notes (approvers)',
  (id) => `Rejection of ${id} sent.`,
  'required',
);
export const cancel = commandOn(
  'cancel',
  'cancel your request while it is open',
  (id) => `Cancellation of ${id} sent.`,
);
export const complete = commandOn(
  'complete',
  'complete your approved request: its operation runs now',
  (id) => `Completion of ${id} sent; the operation runs now (maa wait ${id} --for completed).`,
);
