import { z } from 'zod';
import { parseKeySetting, type AppKey, type AppKeyRing } from './appKey';

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** The app key's settings; shared/config.ts merges them into the app's settings schema. */
export const appKeySettingsShape = {
  /** `<key id>:<base64 secret>` (at least 32 bytes): signs commands, continuation tokens and audit checkpoints. A Key Vault reference in Azure. */
  MAA_APP_KEY: z.preprocess(blankIsUnset, z.string().optional()),
  /** The app key before the last rotation, same form: what it signed still verifies. */
  MAA_APP_KEY_PREVIOUS: z.preprocess(blankIsUnset, z.string().optional()),
};

export type AppKeySettings = z.output<z.ZodObject<typeof appKeySettingsShape>>;

/**
 * Parses a key setting and the one it replaced (`<name>` and `<name>_PREVIOUS` in `settings`),
 * adding each problem to `problems` as `SETTING: message` (never echoing a secret): a malformed
 * key, or a previous key with the current one's id.
 */
export function parseKeyPair(
  settings: Record<string, string | undefined>,
  name: string,
  problems: string[],
): { current?: AppKey; previous?: AppKey } {
  const key = (setting: string): AppKey | undefined => {
    const text = settings[setting];
    if (text === undefined) return undefined;
    try {
      return parseKeySetting(text);
    } catch (error) {
      problems.push(`${setting}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const current = key(name);
  const previous = key(`${name}_PREVIOUS`);
  if (current && previous && current.id === previous.id)
    problems.push(`${name}_PREVIOUS: must have another key id than ${name}`);
  return { ...(current ? { current } : {}), ...(previous ? { previous } : {}) };
}

/** Resolves the app key ring, or lists every problem as `SETTING: message` (never echoing a secret). */
export function resolveAppKeys(settings: AppKeySettings): { config: AppKeyRing | undefined; problems: string[] } {
  const problems: string[] = [];
  const { current, previous } = parseKeyPair(settings, 'MAA_APP_KEY', problems);
  if (settings.MAA_APP_KEY === undefined)
    problems.push(
      'MAA_APP_KEY: required (`<key id>:<base64 of 32 random bytes>`, e.g. `app-1:$(openssl rand -base64 32)`)',
    );
  if (problems.length > 0 || !current) return { config: undefined, problems };
  return { config: Object.freeze(previous ? { current, previous } : { current }), problems };
}
