import { PROFILE_TYPES, type ApprovalRequest, type ProfileType } from './model';
import { validatePolicyDraft } from './policy';

/** A piece of a title: our own words as a string, or text a user chose (to be isolated and escaped when shown). */
export type TitlePart = string | { readonly userText: string };

/**
 * What a request asks for, in a few words, as parts: `wipe managedDevice laptop-42` for an
 * operation (each of action, resourceType and resourceId a user part). A policy change
 * (`operationApprovalPolicy`) is described from its validated change alone, never from the
 * initiator's words: `create the access policy for deviceWipe`, `change the access policy
 * <id> of deviceWipe`, `delete the access policy <id> of deviceWipe`; a payload that is not a
 * valid policy change (stored before policy changes went only through the policy API) reads
 * `an unrecognised policy change`.
 */
export function operationTitle(request: Pick<ApprovalRequest, 'profileType' | 'operation'>): TitlePart[] {
  const { action, resourceType, resourceId } = request.operation;
  if (request.profileType === 'operationApprovalPolicy')
    return policyChangeTitle(request.operation.payload, resourceId);
  return [
    { userText: action },
    ' ',
    { userText: resourceType },
    ...(resourceId === undefined ? [] : [' ', { userText: resourceId }]),
  ];
}

/** The parts joined, each user part passed through `userText` (an escaping function). */
export function titleText(parts: readonly TitlePart[], userText: (text: string) => string = (text) => text): string {
  return parts.map((part) => (typeof part === 'string' ? part : userText(part.userText))).join('');
}

function policyChangeTitle(payload: unknown, resourceId: string | undefined): TitlePart[] {
  const change = (typeof payload === 'object' && payload !== null ? payload : {}) as {
    action?: unknown;
    policyId?: unknown;
    draft?: unknown;
  };
  const draft = change.draft !== undefined ? validatePolicyDraft(change.draft as Record<string, unknown>) : undefined;
  const policyId = typeof change.policyId === 'string' && change.policyId !== '' ? change.policyId : undefined;
  if (change.action === 'create' && draft?.ok) return [`create the access policy for ${draft.value.profileType}`];
  if (change.action === 'update' && draft?.ok && policyId)
    return ['change the access policy ', { userText: policyId }, ` of ${draft.value.profileType}`];
  if (change.action === 'delete' && policyId && isProfileType(resourceId))
    return ['delete the access policy ', { userText: policyId }, ` of ${resourceId}`];
  return ['an unrecognised policy change'];
}

function isProfileType(value: string | undefined): value is ProfileType {
  return value !== undefined && (PROFILE_TYPES as readonly string[]).includes(value);
}
