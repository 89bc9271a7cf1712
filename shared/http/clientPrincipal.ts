import type { AuthenticatedPrincipal } from '../identity/principal';
import { principalFromClaims } from '../identity/principal';

/** The header App Service Authentication sets on every authenticated request (and strips from clients). */
export const CLIENT_PRINCIPAL_HEADER = 'x-ms-client-principal';

/** Claim types App Service uses for Entra ID tokens, mapped to the token claim names. */
const CLAIM_NAMES: Record<string, string> = {
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid',
  oid: 'oid',
  'http://schemas.microsoft.com/identity/claims/tenantid': 'tid',
  tid: 'tid',
  name: 'name',
  preferred_username: 'preferred_username',
  roles: 'roles',
};

/**
 * The signed-in user of an `X-MS-CLIENT-PRINCIPAL` header (base64 JSON
 * `{ auth_typ, name_typ, role_typ, claims: [{ typ, val }] }`), as a principal like a token's: `oid`,
 * `tid`, name and app roles (claims of type `roles` or the header's `role_typ`). Undefined when the
 * header is absent or malformed, or lacks `oid` or `tid`. Trust it only where App Service
 * Authentication (or the local runtime's sign-in) set it: anyone else can send this header.
 */
export function parseClientPrincipal(header: string | null | undefined): AuthenticatedPrincipal | undefined {
  if (!header) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const { claims, role_typ: roleType } = (document ?? {}) as { claims?: unknown; role_typ?: unknown };
  if (!Array.isArray(claims)) return undefined;
  const mapped: Record<string, unknown> = { roles: [] as string[] };
  for (const claim of claims as { typ?: unknown; val?: unknown }[]) {
    if (typeof claim?.typ !== 'string' || typeof claim.val !== 'string') continue;
    const name = claim.typ === roleType ? 'roles' : CLAIM_NAMES[claim.typ];
    if (name === 'roles') (mapped.roles as string[]).push(claim.val);
    else if (name !== undefined && mapped[name] === undefined) mapped[name] = claim.val;
  }
  try {
    return principalFromClaims(mapped);
  } catch {
    return undefined;
  }
}
