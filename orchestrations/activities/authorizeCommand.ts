import type { Directory } from '../../shared/identity/directory';
import type { AppKeyRing } from '../../shared/keys/appKey';
import { verifyCommandSignature } from '../../shared/keys/commandSignature';
import type { Store } from '../../shared/store/store';
import type { AuthorizeCommandInput, AuthorizeCommandOutput } from '../contracts';
import { recordedRights } from '../steps';

/**
 * Builds the `authorizeCommand` activity: the command's signature must verify under the app key
 * (current or previous) for this instance, and its issue time be fresh at the orchestration's
 * time; then the actor's app roles and their groups among `groupIds` are read from the directory
 * now (nothing about the actor's rights is taken from the event). When an earlier `commandStep`
 * attempt wrote the step's first record at `after` with this command's nonce, the rights it
 * recorded there are answered instead (with the store: one small read), so the step writes the
 * records that attempt wrote. Reads only, so a re-run is harmless; a directory failure throws,
 * for the orchestration's retries.
 */
export function makeAuthorizeCommand(
  keys: AppKeyRing,
  directory: Pick<Directory, 'appRolesOf' | 'memberGroupsOf'>,
  store?: Pick<Store, 'auditRecordAt'>,
) {
  return async function authorizeCommand(input: AuthorizeCommandInput): Promise<AuthorizeCommandOutput> {
    const verdict = verifyCommandSignature(keys, input.instanceId, input.event, new Date(input.at));
    if (!verdict.ok) return verdict;
    const { nonce, issuedAt } = verdict.signature;
    const actorId = (input.event as { actor?: { id?: unknown } }).actor?.id;
    if (!input.readDirectory || typeof actorId !== 'string')
      return { ok: true, nonce, issuedAt, actorRoles: [], actorGroupIds: [] };
    if (store && input.after) {
      const recorded = recordedRights(await store.auditRecordAt(input.instanceId, input.after.seq), nonce);
      if (recorded) return { ok: true, nonce, issuedAt, ...recorded };
    }
    const [actorRoles, actorGroupIds] = await Promise.all([
      directory.appRolesOf(actorId),
      input.groupIds.length === 0 ? Promise.resolve([]) : directory.memberGroupsOf(actorId, input.groupIds),
    ]);
    return { ok: true, nonce, issuedAt, actorRoles, actorGroupIds };
  };
}
