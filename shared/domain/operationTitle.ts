import { PROFILE_TYPES, type ApprovalRequest, type ProfileType } from './model';
import { validatePolicyDraft } from './policy';

/** A piece of a title: our own words as a string, or text a user chose (to be isolated and escaped when shown). */
export type TitlePart = string | { readonly userText: string };

/**
 * What a request asks for, in a few words, as parts. An operation names its target as the submit
 * snapshotted it: `wipe LT-ALICE-01 (alice@contoso.com)` for a device (its name and primary
 * user), `update deviceCompliancePolicy Windows 10/11 baseline` for another object, `retire 37
 * devices` for a bulk device action; without a snapshot it falls back to the ids: `wipe
 * managedDevice laptop-42` (each of action, resourceType, resourceId and the target's names a user
 * part). A policy change (`operationApprovalPolicy`) is described from its validated change alone,
 * never from the initiator's words: `create the access policy for deviceWipe`, `change the access
 * policy <id> of deviceWipe`, `delete the access policy <id> of deviceWipe`; a payload that is not
 * a valid policy change (stored before policy changes went only through the policy API) reads `an
 * unrecognised policy change`.
 */
export function operationTitle(
  request: Pick<ApprovalRequest, 'profileType' | 'operation'> & Partial<Pick<ApprovalRequest, 'target' | 'targets'>>,
): TitlePart[] {
  const { action, resourceType, resourceId, resourceIds } = request.operation;
  if (request.profileType === 'operationApprovalPolicy')
    return policyChangeTitle(request.operation.payload, resourceId);
  if (resourceIds !== undefined) {
    const devices = resourceIds.length === 1 ? '1 device' : `${resourceIds.length} devices`;
    return [
      { userText: action },
      ` ${resourceType === 'managedDevice' ? devices : `${resourceIds.length} ${resourceType}`}`,
    ];
  }
  const target = request.target;
  if (target !== undefined && target.displayName !== '') {
    const owner = target.device?.userPrincipalName;
    if (target.device !== undefined)
      return [
        { userText: action },
        ' ',
        { userText: target.displayName },
        ...(owner ? [' (', { userText: owner }, ')'] : []),
      ];
    return [{ userText: action }, ' ', { userText: resourceType }, ' ', { userText: target.displayName }];
  }
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
