import { z } from 'zod';
import type { AuthenticatedPrincipal } from './principal';
import { principalFromClaims } from './principal';

// The signed-in user as App Service Authentication (Easy Auth) hands it to the app: after its own
// sign-in flow, the platform puts the user's claims in `X-MS-CLIENT-PRINCIPAL` (base64 of
// `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`) and the object id in
// `X-MS-CLIENT-PRINCIPAL-ID`, and strips copies of these headers that clients send. They are
// trustworthy only behind the platform: callers must check that it is on (`WEBSITE_AUTH_ENABLED`).

/** The request headers this reads (lower case). */
export const PLATFORM_PRINCIPAL_HEADER = 'x-ms-client-principal';
export const PLATFORM_PRINCIPAL_ID_HEADER = 'x-ms-client-principal-id';

/** Claim types Easy Auth uses for Entra ID tokens (long URIs after its claim mapping, short ones otherwise). */
export const PLATFORM_CLAIM_TYPES = {
  objectId: ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'],
  tenantId: ['http://schemas.microsoft.com/identity/claims/tenantid', 'tid'],
  name: ['name'],
  preferredUsername: ['preferred_username'],
  roles: ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'],
} as const;

/** The longest header accepted; Easy Auth's principal is a few KB even with many claims. */
const MAX_HEADER_LENGTH = 32 * 1024;

const clientPrincipal = z.object({
  auth_typ: z.string(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).max(500),
  role_typ: z.string().optional(),
});

/**
 * The Entra user of the Easy Auth headers, or undefined when there is none or the headers do not
 * describe one (not Entra, no object id or tenant, an id header that disagrees). Roles come from
 * the `roles` claims (and `role_typ`'s), limited to the app's roles as for access tokens.
 */
export function principalFromPlatformHeaders(headers: {
  get(name: string): string | null;
}): AuthenticatedPrincipal | undefined {
  const encoded = headers.get(PLATFORM_PRINCIPAL_HEADER);
  if (!encoded || encoded.length > MAX_HEADER_LENGTH) return undefined;
  let parsed: z.infer<typeof clientPrincipal>;
  try {
    parsed = clientPrincipal.parse(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
  } catch {
    return undefined;
  }
  if (parsed.auth_typ.toLowerCase() !== 'aad') return undefined;
  const values = (types: readonly string[]) =>
    parsed.claims.filter((claim) => types.includes(claim.typ)).map((claim) => claim.val);
  const first = (types: readonly string[]) => values(types)[0];
  const roleTypes = parsed.role_typ ? [...PLATFORM_CLAIM_TYPES.roles, parsed.role_typ] : PLATFORM_CLAIM_TYPES.roles;
  const oid = first(PLATFORM_CLAIM_TYPES.objectId);
  const headerId = headers.get(PLATFORM_PRINCIPAL_ID_HEADER);
  if (oid === undefined || (headerId !== null && headerId.toLowerCase() !== oid.toLowerCase())) return undefined;
  try {
    return principalFromClaims({
      oid,
      tid: first(PLATFORM_CLAIM_TYPES.tenantId),
      name: first(PLATFORM_CLAIM_TYPES.name),
      preferred_username: first(PLATFORM_CLAIM_TYPES.preferredUsername),
      roles: values(roleTypes),
    });
  } catch {
    return undefined;
  }
}
