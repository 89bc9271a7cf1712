import { z } from 'zod';
import { validatePolicyDraft } from '../domain/policy';
import { AUDIT_TYPES, COMPLETION_MODES, PROFILE_TYPES, REQUEST_STATUSES, type JsonValue } from '../domain/model';
import { parseIsoDuration } from '../domain/duration';
import { jsonTextProblems } from '../domain/text';
import { CATALOGUE, type CatalogueEntry } from '../intune/catalogue';
import { MAX_BULK_RESOURCES } from '../intune/catalogue/types';
import { graphCallsOf } from '../intune/catalogue/describe';
import { checkOperation } from '../intune/catalogue/validate';
import { freeText, identifier } from './text';

// The public API's shapes, as zod schemas: request bodies are strict (unknown fields are errors),
// strings are bounded, and the OpenAPI document is generated from these same schemas.

const jsonValue: z.ZodType<JsonValue> = z
  .lazy(() =>
    z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
  )
  .meta({ id: 'JsonValue' });

/** A JSON value whose object keys are identifiers and whose strings are free text. */
const honestJson = jsonValue.superRefine((value, context) => {
  for (const problem of jsonTextProblems(value))
    context.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

export const profileTypeSchema = z
  .enum(PROFILE_TYPES)
  .describe('What a policy protects (Graph operationApprovalPolicyType names).');
export const requestStatusSchema = z.enum(REQUEST_STATUSES).describe('Graph operationApprovalRequestStatus names.');

export const principalSchema = z.object({ id: z.string(), displayName: z.string() });

export const operationSchema = z
  .object({
    action: identifier(128).describe('What to do, e.g. "wipe".'),
    resourceType: identifier(128).describe('What kind of thing it is done to, e.g. "managedDevice".'),
    resourceId: identifier(256)
      .optional()
      .describe(
        'Which one; requests on the same (profileType, resourceId) exclude each other. A GUID is compared and stored in lower case.',
      ),
    resourceIds: z
      .array(identifier(256))
      .max(1000)
      .optional()
      .describe(
        'A bulk device action (wipe, retire, delete of managedDevice): 1..100 distinct device GUIDs in place of resourceId. Each device is locked, snapshotted and executed on its own.',
      ),
    payload: honestJson.optional().describe('Parameters of the operation, executed exactly as approved.'),
  })
  .strict();

/** The business justification approvers see: free text, 1..1024 characters, not blank. */
export const justificationSchema = freeText(1024, true).describe('Business justification shown to approvers.');

/**
 * `POST /api/requests`: the operation must be one of the catalogue's (shared/intune/catalogue/):
 * an unknown one is refused on `operation.action` (naming what the profile type allows), a
 * payload that does not fit its entry on `operation.payload.*`, and `resourceId` where the entry
 * requires or forbids it. The body it yields carries the parsed payload, which is what is stored.
 * `operationApprovalPolicy` passes through unchecked: the handler sends it to /api/policies.
 */
export const submitRequestBodySchema = z
  .object({
    profileType: profileTypeSchema,
    operation: operationSchema,
    justification: justificationSchema,
  })
  .strict()
  .transform((body, context) => {
    if (body.profileType === 'operationApprovalPolicy') return body;
    const checked = checkOperation(body.profileType, body.operation);
    if (checked.ok) return { ...body, operation: checked.operation };
    for (const issue of checked.issues) context.addIssue({ ...issue, path: ['operation', ...issue.path] });
    return z.NEVER;
  });

/** The body of one catalogue operation, as the OpenAPI document describes it. */
function catalogueBodySchema(entry: CatalogueEntry) {
  const operation = z
    .object({
      action: z.literal(entry.action),
      resourceType: z.literal(entry.resourceType),
      ...(entry.resourceId === 'required' && !entry.bulk
        ? { resourceId: z.guid().describe(`The ${entry.resourceType}'s id.`) }
        : {}),
      ...(entry.bulk
        ? {
            resourceId: z.guid().optional().describe(`The ${entry.resourceType}'s id (or resourceIds).`),
            resourceIds: z
              .array(z.guid())
              .min(1)
              .max(MAX_BULK_RESOURCES)
              .optional()
              .describe(`A bulk action: 1..${MAX_BULK_RESOURCES} distinct ids in place of resourceId.`),
          }
        : {}),
      ...(entry.payload === undefined ? {} : { payload: entry.payload }),
    })
    .strict();
  return z
    .object({ profileType: z.literal(entry.profileType), operation, justification: justificationSchema })
    .strict()
    .meta({
      title: `${entry.profileType}: ${entry.resourceType} ${entry.action}`,
      description: `${entry.summary}. Graph: ${graphCallsOf(entry).join(', ')}. Permission: ${entry.permission}.`,
      examples: [
        {
          profileType: entry.profileType,
          operation: entry.example,
          justification: 'Change CHG-1042, agreed with the service owner',
        },
      ],
    });
}

/**
 * The submit body as the OpenAPI document shows it: one variant per catalogue operation (the
 * validation is {@link submitRequestBodySchema}'s, which names the refused field precisely).
 */
export const catalogueRequestBodySchema = z.xor(CATALOGUE.map(catalogueBodySchema));
export type SubmitRequestBody = z.infer<typeof submitRequestBodySchema>;

/** `POST /api/requests/{id}/approve` (notes optional) and `/reject` (notes required). */
export const decisionBodySchema = z.object({ notes: freeText(1024, false).default('') }).strict();
export type DecisionBody = z.infer<typeof decisionBodySchema>;

/** `POST /api/approvals/{token}`: the approval link's form (URL-encoded), each field once. */
export const linkDecisionFormSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    notes: freeText(1024, false).default('').describe('Required (not blank) to reject.'),
    csrf: z.string().max(128).describe('The hidden field of the review page.'),
  })
  .strict();
export type LinkDecisionForm = z.infer<typeof linkDecisionFormSchema>;

/** `POST /api/requests/{id}/cancel` and `/complete`: nothing sent can change what executes. */
export const emptyBodySchema = z.object({}).strict();

const isoDuration = z
  .string()
  .regex(/^P(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/, 'must be an ISO-8601 duration such as P30D or PT12H')
  .describe('ISO-8601 duration, PT1H..P90D.');

/** A risk-based quorum rule: `minDevices` or `assignsToAll`, and the approvals it needs. */
export const scopeRuleSchema = z
  .object({
    minDevices: z
      .number()
      .int()
      .min(2)
      .max(100)
      .optional()
      .describe('The rule matches an operation on at least this many devices (a bulk device action).'),
    assignsToAll: z
      .literal(true)
      .optional()
      .describe('The rule matches an operation that assigns to all users or all devices.'),
    requiredApprovals: z
      .number()
      .int()
      .min(1)
      .max(10)
      .describe("The approvals a matching request needs: more than the policy's own requiredApprovals."),
  })
  .strict()
  .describe('Exactly one of minDevices or assignsToAll, and requiredApprovals.')
  .meta({ id: 'ScopeRule' });

const executeWithinSchema = z
  .string()
  .regex(/^P(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/, 'must be an ISO-8601 duration such as PT4H')
  .describe(
    'ISO-8601 duration, PT5M..P30D and at most requestTtl: once approved, the request must complete within it or it expires.',
  );

/** A policy's fields as a change proposes them. */
export const policyBodySchema = z
  .object({
    displayName: freeText(128, true),
    description: freeText(1024, false).default(''),
    profileType: profileTypeSchema,
    approverGroupIds: z
      .array(z.guid().transform((id) => id.toLowerCase()))
      .min(1)
      .max(20)
      .describe(
        'Entra group object ids whose members approve; each must exist in the directory. Stored in lower case.',
      ),
    requiredApprovals: z.number().int().min(1).max(10).default(1),
    requestTtl: isoDuration.default('P30D'),
    approvalsByScope: z
      .array(scopeRuleSchema)
      .max(10)
      .optional()
      .describe(
        'Risk-based quorum: a request matching a rule needs its requiredApprovals (the highest matching rule wins). minDevices strictly increasing, requiredApprovals not decreasing with it, at most one assignsToAll rule.',
      ),
    completion: z
      .enum(COMPLETION_MODES)
      .optional()
      .describe(
        'initiator (default): the initiator completes an approved request; onApproval: the service completes and executes it as soon as the quorum is reached (refused with 422 auto_complete_unavailable for a release-only profile type).',
      ),
    executeWithin: executeWithinSchema.optional(),
  })
  .strict()
  .superRefine((body, context) => {
    // The rules' contradictions and the window against requestTtl: the domain's checks, as field errors.
    const checked = validatePolicyDraft(body);
    if (checked.ok) return;
    // A field zod already refused (a range, an unknown member) is not named twice.
    const named = new Set(
      context.issues.flatMap((issue) => {
        const at = (issue.path ?? []).join('.');
        return issue.code === 'unrecognized_keys' ? issue.keys.map((key) => `${at}.${key}`) : [at];
      }),
    );
    for (const problem of checked.errors)
      if ((problem.path.startsWith('approvalsByScope') || problem.path === 'executeWithin') && !named.has(problem.path))
        context.addIssue({ code: 'custom', message: problem.message, path: problem.path.split('.').map(segment) });
  });

/** A dotted path's segment as zod paths hold it: list indexes as numbers. */
function segment(part: string): string | number {
  return /^\d+$/.test(part) ? Number(part) : part;
}
export type PolicyBody = z.infer<typeof policyBodySchema>;

/** `POST /api/policies` and `PUT /api/policies/{id}`: the policy and the justification approvers see. */
export const policyChangeBodySchema = policyBodySchema.extend({ justification: justificationSchema });

/** `DELETE /api/policies/{id}`: the justification approvers see. */
export const policyDeleteBodySchema = z.object({ justification: justificationSchema }).strict();

/** Query of `GET /api/requests`. */
/**
 * An RFC 3339 instant of a query (`Z` or an offset), as the UTC instant the stores compare
 * (`2026-12-07T08:00:00.000Z`).
 */
const instantQuery = z
  .string()
  .max(64)
  .meta({ format: 'date-time' })
  .refine((text) => z.iso.datetime({ offset: true }).safeParse(text).success && !Number.isNaN(Date.parse(text)), {
    message: 'must be an RFC 3339 date-time such as 2026-12-07T08:00:00Z',
  })
  .transform((text) => new Date(text).toISOString());

export const listRequestsQuerySchema = z
  .object({
    view: z.enum(['mine', 'received', 'all']).default('mine'),
    status: requestStatusSchema.optional(),
    profileType: profileTypeSchema.optional().describe('Only requests of this profile type.'),
    initiator: z
      .string()
      .trim()
      .min(1)
      .max(256)
      .optional()
      .describe('Only requests this principal (Entra object id) initiated.'),
    target: z
      .string()
      .trim()
      .min(1)
      .max(256)
      .optional()
      .describe(
        "Only requests on this resource: the operation's resourceId or one of its resourceIds (a whole id, any letter case).",
      ),
    createdFrom: instantQuery.optional().describe('Only requests created at or after this RFC 3339 instant.'),
    createdTo: instantQuery.optional().describe('Only requests created before this RFC 3339 instant.'),
    top: z.coerce.number().int().min(1).max(100).default(50),
    continuationToken: z.string().max(2048).optional(),
  })
  .strict()
  .superRefine((query, context) => {
    if (query.createdFrom !== undefined && query.createdTo !== undefined && query.createdFrom > query.createdTo)
      context.addIssue({ code: 'custom', path: ['createdTo'], message: 'must not be before createdFrom' });
  });
export type ListRequestsQuery = z.infer<typeof listRequestsQuerySchema>;

/** The longest a long-poll of one request may wait (`timeout`), and its default. */
const MAX_WAIT_MS = 60_000;
const DEFAULT_WAIT_MS = 30_000;

/**
 * Query of `GET /api/requests/{id}`: without `waitFor` it answers at once; with it, once the
 * request reaches that status or closes (`executed`: once its execution is recorded, or it closed
 * without one), waiting at most `timeout` (ISO-8601, PT0S..PT60S, default PT30S).
 */
export const getRequestQuerySchema = z
  .object({
    waitFor: z
      .enum([...REQUEST_STATUSES, 'executed'])
      .optional()
      .describe('Answer once the request has this status or is closed (`executed`: its execution is recorded).'),
    timeout: z
      .string()
      .max(32)
      .transform((text, context) => {
        let ms: number;
        try {
          ms = parseIsoDuration(text);
        } catch {
          context.addIssue({ code: 'custom', message: 'must be an ISO-8601 duration such as PT30S' });
          return z.NEVER;
        }
        if (ms > MAX_WAIT_MS) {
          context.addIssue({ code: 'custom', message: 'must be at most PT60S' });
          return z.NEVER;
        }
        return ms;
      })
      .optional()
      .describe('How long to wait at most (ISO-8601 duration, at most PT60S; default PT30S).'),
  })
  .strict()
  .refine((query) => query.timeout === undefined || query.waitFor !== undefined, {
    path: ['timeout'],
    message: 'needs waitFor',
  })
  .transform((query) => ({
    ...(query.waitFor === undefined ? {} : { waitFor: query.waitFor, timeoutMs: query.timeout ?? DEFAULT_WAIT_MS }),
  }));

/** Query of the other lists. */
export const pageQuerySchema = z
  .object({
    top: z.coerce.number().int().min(1).max(100).default(50),
    continuationToken: z.string().max(2048).optional(),
  })
  .strict();

/** The export formats of audit trails (`json`: the paged JSON answer, per request only). */
export const AUDIT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

/** Query of `GET /api/requests/{id}/audit`: a page of JSON, or with `format` (or Accept) the whole trail as CSV or JSON Lines. */
export const auditQuerySchema = z
  .object({
    top: z.coerce.number().int().min(1).max(100).default(50),
    continuationToken: z.string().max(2048).optional(),
    format: z
      .enum(AUDIT_FORMATS)
      .optional()
      .describe('json (default, paged), csv or ndjson (the whole trail); overrides the Accept header.'),
  })
  .strict();

/** Query of `GET /api/audit`: every audit record written in `[from, to)`, as CSV or JSON Lines. */
export const auditRangeQuerySchema = z
  .object({
    from: instantQuery.describe('Records at or after this RFC 3339 instant.'),
    to: instantQuery.describe('Records before this RFC 3339 instant.'),
    format: z
      .enum(['csv', 'ndjson'])
      .optional()
      .describe('csv or ndjson (default: by Accept, else ndjson); overrides the Accept header.'),
  })
  .strict()
  .superRefine((query, context) => {
    if (query.from > query.to) context.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  });

export const decisionSchema = z.object({
  approver: principalSchema,
  decision: z.enum(['approve', 'reject']),
  notes: z.string(),
  at: z.iso.datetime(),
  source: z.enum(['api', 'link']),
  linkId: z.string().optional().describe('The approval link the decision was made through.'),
});

/** One assignment of a policy, app or script in the target snapshot. */
export const assignmentViewSchema = z.object({
  target: z.enum(['group', 'exclusionGroup', 'allDevices', 'allLicensedUsers']),
  groupId: z.string().optional(),
  groupName: z.string().optional().describe("The group's display name when the directory knows it."),
  intent: z.string().optional().describe('Apps: required, available, uninstall or availableWithoutEnrollment.'),
});

/** The request's target as Graph showed it at submit. */
export const targetSnapshotSchema = z
  .object({
    resourceType: z.string(),
    id: z.string(),
    displayName: z.string(),
    readAt: z.iso.datetime().describe('When it was read.'),
    lastModifiedDateTime: z.string().optional(),
    version: z.string().optional(),
    device: z
      .object({
        operatingSystem: z.string(),
        osVersion: z.string(),
        userPrincipalName: z.string(),
        userDisplayName: z.string(),
        ownership: z.enum(['company', 'personal', 'unknown']),
        complianceState: z.string(),
        lastSyncDateTime: z.string().describe("The device's last check-in."),
        managementState: z.string(),
        model: z.string().optional(),
        manufacturer: z.string().optional(),
        serialNumber: z.string().optional(),
      })
      .optional()
      .describe("A managed device's facts (never IMEI, phone numbers, MAC addresses or unlock codes)."),
    settings: z.record(z.string(), jsonValue).optional().describe('Other objects: their current settings.'),
    assignments: z.array(assignmentViewSchema).optional(),
    fingerprint: z.string().describe('Hex SHA-256 over what counts as drift; completion refuses when it changed.'),
  })
  .describe(
    'The target as Microsoft Graph showed it at submit; absent for operations that create something or touch no Intune object.',
  );

/** What executing a completed request did. */
const deviceOutcomeSchema = z.object({
  state: z.enum(['pending', 'done', 'failed', 'gone', 'unknown']),
  at: z.iso.datetime(),
  detail: z.string(),
});

export const executionSchema = z.object({
  status: z.enum(['succeeded', 'failed']),
  at: z.iso.datetime(),
  detail: z.string(),
  code: z
    .string()
    .optional()
    .describe('A stable code for what the executor recognised (target_changed, graph_forbidden, ...).'),
  graph: z
    .object({
      clientRequestId: z
        .string()
        .describe("The client-request-id every Graph call of this request sent (Microsoft support's Activity ID)."),
      calls: z.array(
        z.object({
          method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']),
          path: z.string(),
          status: z.number().int().describe('0: no answer.'),
          requestId: z.string().optional().describe("Graph's request-id of the answer."),
          at: z.iso.datetime(),
        }),
      ),
    })
    .optional()
    .describe('The Microsoft Graph calls made, when the Graph executor ran it.'),
  device: deviceOutcomeSchema
    .optional()
    .describe("A device action's outcome on the device, observed after Graph accepted it."),
  devices: z
    .array(
      z.object({
        resourceId: z.string(),
        displayName: z.string().optional().describe("The device's name as snapshotted at submit."),
        status: z.enum(['succeeded', 'failed']),
        code: z.string().optional().describe('accepted, already_applied, target_changed, daily_cap_reached, ...'),
        detail: z.string(),
        device: deviceOutcomeSchema.optional().describe('What the device did with the accepted action, once observed.'),
        clientRequestId: z.string().optional().describe("The client-request-id of this device's Graph calls."),
      }),
    )
    .optional()
    .describe('A bulk device action: one outcome per device, in operation.resourceIds order.'),
});

/** What the request will change, derived from it (`GET /api/requests/{id}`; see shared/views/change.ts). */
export const requestPreviewSchema = z
  .object({
    summary: z
      .string()
      .describe("The catalogue's line for the operation, e.g. 'Wipe a managed device (factory reset)'."),
    calls: z
      .array(z.object({ method: z.string(), path: z.string(), body: jsonValue.optional() }))
      .describe(
        'Every Microsoft Graph call completion will send, in order (a bulk action: one per device), bound to operationHash; secret fields show as "(sealed)".',
      ),
    changes: z
      .object({
        kind: z.enum(['create', 'update', 'replace', 'delete', 'assign', 'deviceAction', 'other']),
        settings: z
          .array(
            z.object({
              name: z
                .string()
                .describe("Graph's property name; a settings catalog setting is 'settings › <definition id>'."),
              change: z.enum(['changed', 'added', 'removed', 'unchanged']),
              current: jsonValue.optional().describe('As snapshotted at submit (absent: not set or not known).'),
              proposed: jsonValue.optional(),
            }),
          )
          .describe("The object's properties the write sets, against the target snapshot."),
        assignments: z
          .array(assignmentViewSchema.extend({ change: z.enum(['added', 'removed', 'kept']) }))
          .describe('The assignments after the operation against those now, with group names where known.'),
        scripts: z
          .array(
            z.object({
              name: z.string(),
              proposedText: z.string().describe('The proposed script, decoded from Base64. Scripts may hold secrets.'),
              proposedSha256: z.string(),
              proposedLength: z.number().int(),
              current: z.object({ sha256: z.string(), length: z.number().int() }).optional(),
              differs: z.boolean().optional().describe('Absent when the current script is not known.'),
            }),
          )
          .describe('Script bodies the write sets: the current one is known by SHA-256 and length only.'),
        removesAssignmentId: z.string().optional(),
      })
      .describe('A readable diff of the target as snapshotted against what the calls set.'),
  })
  .describe(
    'What completion will do, derived from the stored operation and its target snapshot; absent for operations outside the catalogue.',
  );

export const approvalRequestSchema = z.object({
  id: z.string(),
  profileType: profileTypeSchema,
  operation: operationSchema,
  operationHash: z.string().describe('Hex SHA-256 of the canonical JSON of operation.'),
  justification: z.string(),
  initiator: principalSchema,
  policy: z.object({
    id: z.string(),
    version: z.number().int(),
    approverGroupIds: z.array(z.string()),
    requiredApprovals: z
      .number()
      .int()
      .describe("The request's effective quorum: the policy's, raised by a matching scope rule (see quorum)."),
    approvalsByScope: z.array(scopeRuleSchema).optional(),
    quorum: z
      .object({
        baseApprovals: z.number().int(),
        rule: scopeRuleSchema,
        scope: z.object({ devices: z.number().int(), assignsToAll: z.boolean() }),
        text: z.string().describe('e.g. "needs 2 approvals because it affects 37 devices".'),
      })
      .optional()
      .describe("Why requiredApprovals is above the policy's own: the scope rule that matched."),
    completion: z.enum(COMPLETION_MODES).optional(),
    executeWithin: z.string().optional(),
  }),
  status: requestStatusSchema,
  decisions: z.array(decisionSchema),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  lastModifiedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().optional(),
  target: targetSnapshotSchema.optional(),
  targets: z
    .array(targetSnapshotSchema)
    .optional()
    .describe('A bulk device action: each device as Graph showed it at submit, in operation.resourceIds order.'),
  preview: requestPreviewSchema.optional(),
  execution: executionSchema.optional(),
  cancellation: z
    .object({ by: principalSchema, reason: z.string(), at: z.iso.datetime() })
    .optional()
    .describe('Set when an operator cancelled the request.'),
  redrive: z
    .object({
      number: z.number().int(),
      by: principalSchema,
      reason: z.string(),
      at: z.iso.datetime(),
      running: z.boolean(),
    })
    .optional()
    .describe('The latest operator re-run of a failed execution.'),
  trail: z
    .object({ seq: z.number().int(), hash: z.string() })
    .optional()
    .describe(
      "The head of the request's audit trail (its last record's seq and hash), written by the store with every step.",
    ),
});

export const accessPolicySchema = z.object({
  id: z.string(),
  displayName: z.string(),
  description: z.string(),
  profileType: profileTypeSchema,
  approverGroupIds: z.array(z.string()),
  requiredApprovals: z.number().int(),
  requestTtl: z.string(),
  approvalsByScope: z.array(scopeRuleSchema).optional(),
  completion: z.enum(COMPLETION_MODES).optional().describe('Absent: initiator.'),
  executeWithin: z.string().optional(),
  version: z.number().int(),
  createdBy: principalSchema,
  createdAt: z.iso.datetime(),
  lastModifiedAt: z.iso.datetime(),
});

/** The health of a policy's approver pool (see shared/domain/approverPool.ts). */
const poolHealthSchema = z
  .object({
    eligibleApprovers: z
      .array(z.object({ id: z.string(), displayName: z.string() }))
      .describe('The members (transitive) of the approver groups who hold MAA.Approver.'),
    status: z
      .enum(['ok', 'atRisk', 'unapprovable'])
      .describe(
        'unapprovable: a request from one of the approvers (who may initiate) cannot reach requiredApprovals, or the approvals a scope rule asks; atRisk: exactly that many would remain, or there is a single approver.',
      ),
    reasons: z.array(z.string()).describe('Why the status is not ok; empty when it is.'),
  })
  .describe('Whether requests under the policy can be approved at all, read from the directory now.');

/** `GET /api/policies/{id}`: the policy with the health of its approver pool. */
export const policyViewSchema = accessPolicySchema.extend({ health: poolHealthSchema });

/** An item of `GET /api/policies`: the policy with `health` when the directory answered for its groups. */
export const policyListItemSchema = accessPolicySchema.extend({
  health: poolHealthSchema
    .optional()
    .describe(
      'As on GET /api/policies/{id} (directory reads are cached briefly); absent when the directory could not be read for this policy.',
    ),
});

export const auditRecordSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  seq: z.number().int(),
  type: z.enum(AUDIT_TYPES),
  at: z.iso.datetime(),
  actor: principalSchema.nullable(),
  data: z.record(z.string(), jsonValue),
  prevHash: z.string(),
  hash: z.string(),
});

/** A page of `item`s. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), continuationToken: z.string().optional() });
}

export const auditPageSchema = pageSchema(auditRecordSchema).extend({
  chainValid: z
    .boolean()
    .describe(
      'Whether every record links to its predecessor and hashes to its stored hash, and the trail reaches and agrees with the head its request keeps (a shortened or deleted trail is false).',
    ),
});

/** RFC 9457 problem details with the stable `code`. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const healthSchema = z.object({ status: z.literal('ok') });

/** The answer of `POST /api/requests/evaluate`: what a submit of the same body would do. */
export const evaluationSchema = z.object({
  protected: z.boolean().describe('Whether an access policy protects the operation.'),
  policy: z.object({ id: z.string(), displayName: z.string(), version: z.number().int() }).optional(),
  requiredApprovals: z.number().int(),
  why: z.string().describe('Why that many approvals, in words.'),
  approvers: z
    .array(principalSchema)
    .describe("Who could approve: the approver groups' users holding MAA.Approver, the caller left out."),
  target: targetSnapshotSchema.optional(),
  targets: z
    .array(targetSnapshotSchema)
    .optional()
    .describe("A bulk device action's devices, as a submit would snapshot them."),
  calls: z
    .array(z.object({ method: z.string(), path: z.string(), body: z.unknown().optional() }))
    .describe('What completion would send; secret fields show as "(sealed)".'),
  operationHash: z.string().optional(),
});
