import { approvalRequestSchema, pageSchema, policyListItemSchema, policyViewSchema } from '../../shared/api/schemas';
import type { Command, Context } from '../context';
import { printJson } from '../context';
import { UsageError } from '../errors';
import { ExitCode } from '../exitCodes';
import { joinedJson, readPages } from '../http';
import { jsonFile } from '../input';
import { policiesHealthTable, policyHealthDetail } from '../policyHealth';

const policyPageSchema = pageSchema(policyListItemSchema);
const EXAMPLE_ID = 'a5f0c3d2-7b1e-4c9a-8f21-3d4e5f6a7b8c';

function policyRoute(id: string): string {
  return `policies/${encodeURIComponent(id)}`;
}

export const policiesList: Command = {
  name: 'policies list',
  summary: 'list the access policies with the health of their approver pools',
  args: [],
  options: {},
  example: 'maa policies list',
  async run(context) {
    const api = context.api();
    const pages = await readPages(
      (token) =>
        api.call(
          policyPageSchema,
          'GET',
          `policies?top=100${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
        ),
      undefined,
      true,
    );
    const policies = pages.flatMap((page) => page.value.items);
    if (context.json) printJson(context, joinedJson(pages));
    else context.io.out(policies.length === 0 ? 'No policies.\n' : policiesHealthTable(policies));
    return ExitCode.ok;
  },
};

export const policiesShow: Command = {
  name: 'policies show',
  summary: 'show one access policy and whether requests under it can be approved',
  args: ['id'],
  options: {},
  example: `maa policies show ${EXAMPLE_ID}`,
  async run(context) {
    const answer = await context.api().call(policyViewSchema, 'GET', policyRoute(context.args.arg(0)));
    if (context.json) printJson(context, answer.json);
    else context.io.out(policyHealthDetail(answer.value));
    return ExitCode.ok;
  },
};

const changeOptions = {
  file: {
    type: 'string',
    value: '<file>',
    required: true,
    description:
      'the policy as JSON: displayName, description?, profileType, approverGroupIds, requiredApprovals?, requestTtl?, approvalsByScope?, completion?, executeWithin?',
  },
  justification: {
    type: 'string',
    value: '<text>',
    description: 'why (required here or as "justification" in the file)',
  },
  quiet: { type: 'boolean', short: 'q', description: 'print only the id of the change request' },
} as const;

/**
 * create, update and delete: each submits an `operationApprovalPolicy` request, which changes
 * the policy when its initiator completes it after approval.
 */
function policyChange(action: 'create' | 'update' | 'delete', summary: string, example: string): Command {
  return {
    name: `policies ${action}`,
    summary,
    args: action === 'create' ? [] : ['id'],
    options:
      action === 'delete'
        ? {
            justification: { ...changeOptions.justification, required: true, description: 'why' },
            quiet: changeOptions.quiet,
          }
        : changeOptions,
    example,
    async run(context: Context) {
      const { args } = context;
      const body = action === 'delete' ? { justification: args.required('justification') } : changeBody(context);
      const [method, route] =
        action === 'create' ? ['POST', 'policies'] : [action === 'update' ? 'PUT' : 'DELETE', policyRoute(args.arg(0))];
      const answer = await context.api().call(approvalRequestSchema, method, route, { body });
      const request = answer.value;
      if (context.json) printJson(context, answer.json);
      else if (args.flag('quiet')) context.io.out(`${request.id}\n`);
      else {
        context.io.out(
          `Policy change submitted as request ${request.id} (${request.status}).\n` +
            `Next: another policy admin runs maa approve ${request.id}; then you run maa complete ${request.id} to apply it.\n`,
        );
      }
      return ExitCode.ok;
    },
  };
}

/** The policy file's object with the justification from --justification (which wins) or the file. */
function changeBody(context: Context): Record<string, unknown> {
  const file = context.args.required('file');
  const policy = jsonFile(file);
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy))
    throw new UsageError(`${file} must hold a JSON object (the policy)`);
  const justification = context.args.string('justification') ?? (policy as { justification?: unknown }).justification;
  if (typeof justification !== 'string' || justification.trim() === '')
    throw new UsageError('a policy change needs a justification: --justification "..." or "justification" in the file');
  return { ...policy, justification };
}

export const policiesCreate = policyChange(
  'create',
  'request a new access policy (applied once approved and completed)',
  'maa policies create --file wipe-policy.json --justification "Protect device wipes"',
);
export const policiesUpdate = policyChange(
  'update',
  'request a change to an access policy',
  `maa policies update ${EXAMPLE_ID} --file wipe-policy.json --justification "Two approvals from now on"`,
);
export const policiesDelete = policyChange(
  'delete',
  'request the removal of an access policy',
  `maa policies delete ${EXAMPLE_ID} --justification "Wipes no longer need approval"`,
);
