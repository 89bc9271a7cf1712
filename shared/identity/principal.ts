import { APP_ROLES, type AppRole, type Principal } from '../domain/model';
import { AuthError } from './errors';

/**
 * Who called, from a validated access token. `id` is the Entra object id (`oid`), `tenantId` the
 * token's `tid`, and `roles` the app roles the token grants, limited to {@link APP_ROLES}
 * (unknown role values are dropped, duplicates removed, in APP_ROLES order).
 */
export interface AuthenticatedPrincipal extends Principal {
  readonly id: string;
  readonly displayName: string;
  readonly tenantId: string;
  readonly roles: readonly AppRole[];
}

/**
 * Builds the principal from verified claims. `oid` and `tid` must be non-empty strings (else
 * `invalid_token`); `displayName` falls back from `name` to `preferred_username` to `oid`.
 */
export function principalFromClaims(claims: Record<string, unknown>): AuthenticatedPrincipal {
  const id = nonEmpty(claims.oid);
  const tenantId = nonEmpty(claims.tid);
  if (id === undefined) throw new AuthError('invalid_token', 'the token has no "oid" claim');
  if (tenantId === undefined) throw new AuthError('invalid_token', 'the token has no "tid" claim');
  const granted = new Set(
    Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [],
  );
  return Object.freeze({
    id,
    displayName: nonEmpty(claims.name) ?? nonEmpty(claims.preferred_username) ?? id,
    tenantId,
    roles: Object.freeze(APP_ROLES.filter((role) => granted.has(role))),
  });
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
