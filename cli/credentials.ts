import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError } from './errors';
import { ExitCode } from './exitCodes';

/** What `maa login` keeps for one profile: the API it logged in to and the bearer token for it. */
export const savedLoginSchema = z.object({
  url: z.string(),
  token: z.string(),
  /** RFC 3339, when known (from the token's `exp` or the credential). */
  expiresAt: z.string().optional(),
  /** Who the token is for, for messages. */
  user: z.string().optional(),
  /** How to log in again, for the message when the token expired. */
  login: z.string(),
});
export type SavedLogin = z.infer<typeof savedLoginSchema>;

const credentialsFileSchema = z.object({ profiles: z.record(z.string(), savedLoginSchema) });
type CredentialsFile = z.infer<typeof credentialsFileSchema>;

/** `$MAA_CONFIG_DIR/credentials.json`, else `~/.config/maa/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.MAA_CONFIG_DIR || path.join(homedir(), '.config', 'maa'), 'credentials.json');
}

/** The saved login of `profile`, or undefined when there is none (or no file yet). */
export function readLogin(file: string, profile: string): SavedLogin | undefined {
  return read(file).profiles[profile];
}

/**
 * Saves `login` as `profile`, keeping the other profiles. The file holds bearer tokens, so it is
 * written owner-only (0600, its folder 0700) through a temporary file and a rename: a crash never
 * leaves it half written, and it is never readable by others, not even for a moment.
 */
export function saveLogin(file: string, profile: string, login: SavedLogin): void {
  const contents = read(file);
  contents.profiles[profile] = login;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

function read(file: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(ExitCode.auth, `cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = credentialsFileSchema.safeParse(parsed);
  if (!result.success)
    throw new CliError(ExitCode.auth, `${file} is not a maa credentials file; delete it and run maa login again`);
  return result.data;
}
