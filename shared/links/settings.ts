import { z } from 'zod';
import { parseIsoDuration } from '../domain/duration';
import { parseKeyPair } from '../keys/settings';
import type { LinkKey } from './linkToken';

/** How approval links are signed, how long they live and where they point. */
export interface LinksConfig {
  /** The signing key first, then the previous key (still accepted, so rotation breaks no link in flight). */
  readonly keys: readonly LinkKey[];
  /** Lifetime of a new link; it is cut to the request's own expiry. */
  readonly ttlSeconds: number;
  /** Origin the links point at, e.g. `https://maa.contoso.com` (no trailing slash). */
  readonly publicBaseUrl: string;
  /**
   * Whether a link alone may decide, without a signed-in user who is the link's approver. Off by
   * default: a forwarded mail must not let its reader approve.
   */
  readonly allowLinkOnly: boolean;
  /**
   * Whether App Service Authentication (Easy Auth) runs in front of the app, so the
   * `X-MS-CLIENT-PRINCIPAL*` headers come from the platform (which strips client-sent copies).
   * Without it those headers are ignored: anyone could send them.
   */
  readonly platformAuth: boolean;
}

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** The link settings' zod shape; shared/config.ts merges it into the app's settings schema. */
export const linkSettingsShape = {
  /** `<key id>:<base64 secret>` (at least 32 bytes) that signs new links; a Key Vault reference in Azure. Unset disables links. */
  MAA_LINK_KEY: z.preprocess(blankIsUnset, z.string().optional()),
  /** The key signed with before the last rotation, same form; links it signed keep working until they expire. */
  MAA_LINK_KEY_PREVIOUS: z.preprocess(blankIsUnset, z.string().optional()),
  /** ISO-8601 lifetime of a link (never past the request's expiry). */
  MAA_LINK_TTL: z.preprocess(blankIsUnset, z.string().default('P7D')),
  /** Origin that links point at; defaults to `https://<WEBSITE_HOSTNAME>` in Azure. */
  MAA_PUBLIC_BASE_URL: z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).optional()),
  /** The host name Azure App Service sets. */
  WEBSITE_HOSTNAME: z.preprocess(blankIsUnset, z.string().optional()),
  /** `True` when App Service Authentication is on (the platform sets it; the local runtime too). */
  WEBSITE_AUTH_ENABLED: z.preprocess(blankIsUnset, z.string().optional()),
  /** `true` lets a link decide without a matching signed-in user (not recommended). */
  MAA_LINK_ALLOW_LINK_ONLY: z.preprocess(blankIsUnset, z.enum(['true', 'false']).default('false')),
};

export type LinkSettings = z.output<z.ZodObject<typeof linkSettingsShape>>;

/**
 * Resolves parsed settings into a {@link LinksConfig} (undefined when MAA_LINK_KEY is unset), or
 * lists every problem as `SETTING: message` (never echoing a secret).
 */
export function resolveLinksConfig(settings: LinkSettings): { config: LinksConfig | undefined; problems: string[] } {
  const problems: string[] = [];
  const { current, previous } = parseKeyPair(settings, 'MAA_LINK_KEY', problems);
  if (settings.MAA_LINK_KEY === undefined) {
    if (settings.MAA_LINK_KEY_PREVIOUS !== undefined)
      problems.push('MAA_LINK_KEY: required with MAA_LINK_KEY_PREVIOUS');
    return { config: undefined, problems };
  }
  let ttlSeconds = 0;
  try {
    ttlSeconds = Math.floor(parseIsoDuration(settings.MAA_LINK_TTL) / 1000);
    if (ttlSeconds < 60) problems.push('MAA_LINK_TTL: must be at least one minute');
  } catch (error) {
    problems.push(`MAA_LINK_TTL: ${(error as Error).message}`);
  }
  const publicBaseUrl =
    settings.MAA_PUBLIC_BASE_URL ?? (settings.WEBSITE_HOSTNAME && `https://${settings.WEBSITE_HOSTNAME}`);
  if (publicBaseUrl === undefined) problems.push('MAA_PUBLIC_BASE_URL: required for links outside Azure App Service');
  if (problems.length > 0 || !current || publicBaseUrl === undefined) return { config: undefined, problems };
  return {
    config: Object.freeze({
      keys: Object.freeze(previous ? [current, previous] : [current]),
      ttlSeconds,
      publicBaseUrl: publicBaseUrl.replace(/\/+$/, ''),
      allowLinkOnly: settings.MAA_LINK_ALLOW_LINK_ONLY === 'true',
      platformAuth: settings.WEBSITE_AUTH_ENABLED?.toLowerCase() === 'true',
    }),
    problems,
  };
}
