import { z } from 'zod';
import { submitRequestBodySchema, type SubmitRequestBody } from '../api/schemas';
import { PROFILE_TYPES, REQUEST_STATUSES, type ProfileType } from '../domain/model';
import { findEntry } from '../intune/catalogue';
import { nextDay, startOfDay as zonedStartOfDay } from './time';

// The portal's query strings and form posts, as the OpenAPI document describes them (the pages
// validate them field by field to show each problem beside its field).

const csrf = z.string().max(128).describe("The page's hidden CSRF field (bound to the person and this browser).");

/** `GET /api/portal/requests`. */
export const portalListQuerySchema = z.object({
  view: z.enum(['mine', 'received', 'all']).default('mine').describe('all: operators only.'),
  status: z.enum(REQUEST_STATUSES).optional(),
  profileType: z.enum(PROFILE_TYPES).optional(),
  initiator: z.string().max(128).optional().describe("The initiator's object id."),
  target: z.string().max(128).optional().describe('A resource id the operation targets.'),
  from: z.iso.date().optional().describe("First day of creation, in the viewer's time zone."),
  to: z.iso.date().optional().describe("Last day of creation (inclusive), in the viewer's time zone."),
  top: z.coerce.number().int().min(1).max(100).default(20),
  continuationToken: z.string().optional().describe("From the page's Next link."),
  tz: z.string().max(64).optional().describe('An IANA time zone for this page only (else the maa-tz cookie).'),
});

/** `GET /api/portal/new`: the form's fields as typed so far, and the device search. */
export const portalNewQuerySchema = z.object({
  operation: z.string().optional().describe('<profileType>/<resourceType>/<action> of a catalogue entry.'),
  resourceId: z.string().optional(),
  payload: z.string().optional().describe("The operation's options as JSON."),
  justification: z.string().optional(),
  q: z.string().max(64).optional().describe('Find managed devices whose name starts with this, or by id.'),
});

/** `POST /api/portal/new`: step `preview` answers the dry run; `submit` submits (once per idempotency key). */
export const portalSubmitFormSchema = z.object({
  csrf,
  step: z.enum(['preview', 'submit']),
  operation: z.string().describe('<profileType>/<resourceType>/<action> of a catalogue entry.'),
  resourceId: z
    .string()
    .optional()
    .describe('The target id; several device ids (spaces or commas between) for a bulk device action.'),
  payload: z.string().optional().describe("The operation's options as JSON."),
  justification: z.string().max(1024),
  idempotencyKey: z.guid().optional().describe('submit: the key the preview page carries.'),
});

/** `POST /api/portal/requests/{id}`: the viewer's action on the request. */
export const portalCommandFormSchema = z
  .object({
    csrf,
    command: z.enum(['approve', 'reject', 'cancel', 'complete']),
    notes: z.string().max(1024).default('').describe('approve and reject; required (not blank) to reject.'),
  })
  .strict();

/** `POST /api/portal/zone`: the time zone pages show times in (kept in the `maa-tz` cookie). */
export const portalZoneFormSchema = z
  .object({
    csrf,
    tz: z.string().max(64).describe('An IANA time zone name, e.g. Europe/Berlin.'),
    returnTo: z.string().max(2048).optional().describe('A portal page to go back to.'),
  })
  .strict();

/**
 * Midnight starting `date` (YYYY-MM-DD) in `zone`, as an RFC 3339 instant; `days` later when given
 * (the earliest instant of that day where a clock change skips midnight; see `startOfDay` in `time.ts`).
 */
export function startOfDay(date: string, zone: string, days = 0): string | undefined {
  if (zonedStartOfDay(date, zone) === undefined) return undefined;
  let day = date;
  for (let i = 0; i < days; i += 1) day = nextDay(day);
  return zonedStartOfDay(day, zone);
}

/** A form's problem with one of its fields. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The submit form's fields as typed. */
export interface NewForm {
  /** `<profileType>/<resourceType>/<action>`, one catalogue entry. */
  operation?: string;
  /** One id, or several (bulk device actions) separated by spaces, commas or lines. */
  resourceId?: string;
  /** The operation's options as JSON (optional). */
  payload?: string;
  justification?: string;
  /** The device search text. */
  q?: string;
}

/** The submit form's fields (each optional, as typed). */
export function newFormOf(source: { get(name: string): string | null | undefined }): NewForm {
  const form: NewForm = {};
  for (const name of ['operation', 'resourceId', 'payload', 'justification', 'q'] as const) {
    const value = source.get(name);
    if (value !== null && value !== undefined && value !== '') form[name] = value;
  }
  return form;
}

/** The submit body the form describes, or the problems with its fields. */
export function submitBodyOf(form: NewForm): { body: SubmitRequestBody } | { errors: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const [profileType = '', resourceType = '', action = ''] = (form.operation ?? '').split('/');
  const entry = (PROFILE_TYPES as readonly string[]).includes(profileType)
    ? findEntry(profileType as ProfileType, resourceType, action)
    : undefined;
  if (!entry) errors.push({ field: 'operation', message: 'Choose an operation from the list.' });
  let payload: unknown;
  if (form.payload !== undefined && form.payload.trim() !== '') {
    try {
      payload = JSON.parse(form.payload);
    } catch {
      errors.push({ field: 'payload', message: 'Not valid JSON.' });
    }
  }
  if (!form.justification?.trim()) errors.push({ field: 'justification', message: 'Say why this is needed.' });
  if (errors.length > 0) return { errors };
  const ids = (form.resourceId ?? '').split(/[\s,;]+/).filter(Boolean);
  const raw = {
    profileType,
    operation: {
      action,
      resourceType,
      ...(ids.length === 1 ? { resourceId: ids[0] } : ids.length > 1 ? { resourceIds: ids } : {}),
      ...(payload === undefined ? {} : { payload }),
    },
    justification: form.justification,
  };
  const parsed = submitRequestBodySchema.safeParse(raw);
  if (parsed.success) return { body: parsed.data };
  return {
    errors: parsed.error.issues.map((issue) => ({ field: fieldOf(issue.path.map(String)), message: issue.message })),
  };
}

/** The form field a body path (`operation.payload.x`, `operation.resourceIds.3`...) belongs to. */
export function fieldOf(path: readonly string[]): string {
  if (path[0] === 'justification') return 'justification';
  if (path[0] === 'operation' && path[1] === 'payload') return 'payload';
  if (path[0] === 'operation' && (path[1] === 'resourceId' || path[1] === 'resourceIds')) return 'resourceId';
  return 'operation';
}
