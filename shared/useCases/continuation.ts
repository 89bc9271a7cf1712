import { canonicalJson } from '../domain/canonicalJson';
import { macFor, verifyMac, type AppKeyRing } from '../keys/appKey';
import { StoreError, type Page } from '../store/store';

/**
 * What a continuation token is bound to: the list that issued it (`list`, e.g. `requests:mine`),
 * the caller it was issued to, and the filters of that list. A token continues only the same list,
 * for the same caller, with the same filters. The page size is not bound: a client may change it
 * between pages.
 */
export interface ListBinding {
  readonly list: string;
  readonly callerId: string;
  readonly filters?: Readonly<Record<string, string | undefined>>;
}

const VERSION = 'c1';
const KID = /^[A-Za-z0-9_-]{1,32}$/;

function message(binding: ListBinding, storeToken: string): string {
  return canonicalJson({
    list: binding.list,
    caller: binding.callerId,
    filters: binding.filters ?? {},
    token: storeToken,
  });
}

function refused(): StoreError {
  return new StoreError(
    'invalid_continuation',
    'the continuation token was not issued by this list, for this caller and these filters',
  );
}

/**
 * The page with its store token sealed to `binding`: `c1.<key id>.<MAC>.<store token>`, the MAC
 * (app key, purpose `continuation`) over the binding and the store token. No token, no seal.
 */
export function sealPage<T>(keys: AppKeyRing, binding: ListBinding, page: Page<T>): Page<T> {
  if (page.continuationToken === undefined) return page;
  const { kid, mac } = macFor(keys, 'continuation', message(binding, page.continuationToken));
  return { ...page, continuationToken: `${VERSION}.${kid}.${mac}.${page.continuationToken}` };
}

/**
 * The store token inside `token` when {@link sealPage} sealed it for this same binding (under the
 * current or the previous app key); throws `invalid_continuation` for a token of another list,
 * caller or filters, a tampered one, or anything else.
 */
export function openToken(keys: AppKeyRing, binding: ListBinding, token: string): string {
  const [version, kid, mac] = token.split('.', 3);
  if (version !== VERSION || kid === undefined || mac === undefined || !KID.test(kid)) throw refused();
  const storeToken = token.slice(version.length + kid.length + mac.length + 3);
  if (storeToken === '' || !verifyMac(keys, 'continuation', message(binding, storeToken), { kid, mac }))
    throw refused();
  return storeToken;
}

/** The store's paging input for a request that may carry a sealed token. */
export function storePaging(
  keys: AppKeyRing,
  binding: ListBinding,
  page: { top: number; continuationToken?: string | undefined },
): { top: number; continuationToken?: string } {
  return page.continuationToken
    ? { top: page.top, continuationToken: openToken(keys, binding, page.continuationToken) }
    : { top: page.top };
}
