import { credentialsPath, readLogin } from './credentials';
import { CliError, UsageError } from './errors';
import { ExitCode } from './exitCodes';
import { ApiClient } from './http';

/** Where `maa` talks to when nothing says otherwise: the local runtime of `npm start`. */
export const DEFAULT_URL = 'http://127.0.0.1:7071';
export const DEFAULT_PROFILE = 'default';

/** The profile a command uses: `--profile`, else `$MAA_PROFILE`, else `default`. */
export function profileName(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option || env.MAA_PROFILE || DEFAULT_PROFILE;
}

/** `text` as an API base URL (http or https, no trailing slash); a usage error otherwise. */
export function baseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`"${text}" is not an http or https URL`);
  return url.href.replace(/\/+$/, '');
}

/**
 * The API client for a command: the URL from `--url`, `$MAA_URL`, the profile's saved URL or the
 * default, in that order, and the token from `$MAA_TOKEN` (for pipelines) or the profile's saved
 * login. A saved token is only ever sent to the URL it was obtained for, so pointing `--url`
 * elsewhere cannot hand it to another server. Auth errors name the way out (log in again).
 */
export function openSession(
  options: { url: string | undefined; profile: string | undefined },
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): ApiClient {
  const profile = profileName(options.profile, env);
  const file = credentialsPath(env);
  const envToken = env.MAA_TOKEN?.trim();
  const saved = envToken ? undefined : readLogin(file, profile);
  const url = baseUrl(options.url || env.MAA_URL || saved?.url || DEFAULT_URL);
  if (envToken) return new ApiClient(url, envToken, () => 'The token in MAA_TOKEN was refused; get a new one.');

  if (!saved) {
    throw new CliError(
      ExitCode.auth,
      `Not logged in (profile "${profile}", ${file}).\nLog in with: maa login --user <name> (local runtime) or maa login --scope api://<app-id>/.default (Azure)`,
    );
  }
  const again = `Log in again with: ${saved.login}`;
  if (saved.url !== url) {
    throw new CliError(
      ExitCode.auth,
      `Profile "${profile}" is logged in to ${saved.url}, not ${url}; its token is not sent elsewhere.\nLog in to ${url} with: maa login --url ${url} ...`,
    );
  }
  if (saved.expiresAt !== undefined && Date.parse(saved.expiresAt) <= now.getTime()) {
    throw new CliError(
      ExitCode.auth,
      `The token of profile "${profile}"${saved.user ? ` (${saved.user})` : ''} expired at ${saved.expiresAt}.\n${again}`,
    );
  }
  return new ApiClient(url, saved.token, (problem) =>
    problem.code === 'expired_token'
      ? `The token of profile "${profile}" has expired. ${again}`
      : `The token of profile "${profile}" was refused. ${again}`,
  );
}
