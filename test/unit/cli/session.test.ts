import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentialsPath, readLogin, saveLogin } from '../../../cli/credentials';
import { CliError, UsageError } from '../../../cli/errors';
import { ExitCode } from '../../../cli/exitCodes';
import { openSession } from '../../../cli/session';

describe('saved logins and the session they open', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'maa-cli-session-'));
  const env = { MAA_CONFIG_DIR: dir };
  const file = credentialsPath(env);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const login = (url: string, expiresAt?: string) => ({
    url,
    token: `token-for-${url}`,
    login: `maa login --user alice --url ${url}`,
    user: 'Alice',
    ...(expiresAt ? { expiresAt } : {}),
  });

  it('keeps each profile in an owner-only credentials file', () => {
    saveLogin(file, 'default', login('http://127.0.0.1:7071'));
    saveLogin(file, 'staging', login('https://maa.example.test'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expect(readLogin(file, 'staging')).toEqual(login('https://maa.example.test'));
    expect(readLogin(file, 'default')?.url).toBe('http://127.0.0.1:7071');
    expect(readLogin(file, 'nobody')).toBeUndefined();
    expect(JSON.parse(readFileSync(file, 'utf8')).profiles.staging.token).toBe('token-for-https://maa.example.test');
  });

  it('takes the URL from --url, then MAA_URL, then the profile, and the token from MAA_TOKEN or the profile', () => {
    expect(openSession({ url: undefined, profile: 'staging' }, env).baseUrl).toBe('https://maa.example.test');
    expect(openSession({ url: undefined, profile: undefined }, { ...env, MAA_PROFILE: 'staging' }).baseUrl).toBe(
      'https://maa.example.test',
    );
    expect(openSession({ url: 'http://127.0.0.1:7071/', profile: undefined }, env).baseUrl).toBe(
      'http://127.0.0.1:7071',
    );
    expect(
      openSession(
        { url: undefined, profile: undefined },
        { ...env, MAA_TOKEN: 'pipeline', MAA_URL: 'https://ci.example.test' },
      ).baseUrl,
    ).toBe('https://ci.example.test');
  });

  it('never sends a saved token to another URL than the one it was obtained for', () => {
    const error = caught(() => openSession({ url: 'https://evil.example.test', profile: 'staging' }, env));
    expect(error.exitCode).toBe(ExitCode.auth);
    expect(error.message).toMatch(/logged in to https:\/\/maa\.example\.test, not https:\/\/evil\.example\.test/);
    expect(
      caught(() =>
        openSession({ url: undefined, profile: 'staging' }, { ...env, MAA_URL: 'https://evil.example.test' }),
      ).exitCode,
    ).toBe(ExitCode.auth);
  });

  it('says how to log in when there is no login, and how to log in again when the saved token expired', () => {
    const missing = caught(() => openSession({ url: undefined, profile: 'nobody' }, env));
    expect(missing.exitCode).toBe(ExitCode.auth);
    expect(missing.message).toMatch(/Not logged in \(profile "nobody"/);
    saveLogin(file, 'old', login('http://127.0.0.1:7071', '2026-01-01T00:00:00.000Z'));
    const expired = caught(() =>
      openSession({ url: undefined, profile: 'old' }, env, new Date('2026-01-01T00:00:01.000Z')),
    );
    expect(expired.exitCode).toBe(ExitCode.auth);
    expect(expired.message).toBe(
      'The token of profile "old" (Alice) expired at 2026-01-01T00:00:00.000Z.\nLog in again with: maa login --user alice --url http://127.0.0.1:7071',
    );
    expect(openSession({ url: undefined, profile: 'old' }, env, new Date('2025-12-31T23:59:59.000Z')).baseUrl).toBe(
      'http://127.0.0.1:7071',
    );
  });

  it('refuses a URL that is not http(s) as a usage error, and a damaged credentials file as an auth error', () => {
    expect(caught(() => openSession({ url: 'ftp://x', profile: undefined }, env))).toBeInstanceOf(UsageError);
    expect(caught(() => openSession({ url: 'not a url', profile: undefined }, env))).toBeInstanceOf(UsageError);
    const broken = path.join(mkdtempSync(path.join(tmpdir(), 'maa-cli-broken-')), 'credentials.json');
    writeFileSync(broken, '{"profiles": 42}');
    const error = caught(() => readLogin(broken, 'default'));
    expect(error.exitCode).toBe(ExitCode.auth);
    expect(error.message).toMatch(/is not a maa credentials file/);
    rmSync(path.dirname(broken), { recursive: true, force: true });
  });
});

function caught(action: () => unknown): CliError {
  try {
    action();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('no error');
}
