import { credentialsPath, saveLogin, type SavedLogin } from '../credentials';
import { CliError, describeProblem, UsageError } from '../errors';
import { problemOf, send } from '../http';
import { ExitCode } from '../exitCodes';
import type { Command, Context } from '../context';
import { baseUrl, DEFAULT_PROFILE, DEFAULT_URL, profileName } from '../session';

/** What a token says about itself; read for messages only (the API verifies tokens, maa does not). */
interface TokenClaims {
  exp?: number;
  name?: string;
  preferred_username?: string;
}

export const login: Command = {
  name: 'login',
  summary: 'get a token and save it (with the URL) in a profile',
  args: [],
  options: {
    user: {
      type: 'string',
      value: '<name>',
      description: 'local runtime: a seeded user (alice, bob, carol, dave, olga), token from POST /_local/token',
    },
    scope: {
      type: 'string',
      value: '<scope>',
      description: "Azure: the API's scope, api://<app-id>/.default (Azure CLI login by default)",
    },
    tenant: { type: 'string', value: '<tenant-id>', description: 'Azure: the Entra tenant' },
    'device-code': { type: 'boolean', description: 'Azure: sign in with a device code instead of the Azure CLI' },
    'client-id': {
      type: 'string',
      value: '<app-id>',
      description: 'Azure, --device-code: the public client app to sign in with',
    },
  },
  example: 'maa login --user alice --profile alice',
  async run(context) {
    const { args, io } = context;
    const user = args.string('user');
    const scope = args.string('scope');
    if ((user === undefined) === (scope === undefined))
      throw new UsageError('needs either --user <name> (local runtime) or --scope <scope> (Azure)');
    if (
      user !== undefined &&
      (args.string('tenant') !== undefined || args.flag('device-code') || args.string('client-id') !== undefined)
    ) {
      throw new UsageError('--tenant, --device-code and --client-id are for Azure sign-in (--scope)');
    }
    const profile = profileName(args.string('profile'), io.env);
    const url = baseUrl(args.string('url') || io.env.MAA_URL || DEFAULT_URL);
    const how = user !== undefined ? ['--user', user] : azureFlags(context, scope!);
    const again = [
      'maa login',
      ...how,
      ...(url !== DEFAULT_URL ? ['--url', url] : []),
      ...(profile !== DEFAULT_PROFILE ? ['--profile', profile] : []),
    ].join(' ');
    const token = user !== undefined ? await localToken(url, user) : await azureToken(context, scope!);
    const claims = readClaims(token.token);
    const expiresAt =
      token.expiresAt ?? (claims.exp !== undefined ? new Date(claims.exp * 1000).toISOString() : undefined);
    const name = claims.name ?? claims.preferred_username;
    const saved: SavedLogin = {
      url,
      token: token.token,
      login: again,
      ...(expiresAt ? { expiresAt } : {}),
      ...(name ? { user: name } : {}),
    };
    const file = credentialsPath(io.env);
    saveLogin(file, profile, saved);
    if (context.json) {
      io.out(
        `${JSON.stringify({ profile, url, user: saved.user ?? null, expiresAt: saved.expiresAt ?? null }, null, 2)}\n`,
      );
    } else {
      io.out(
        `Logged in to ${url} as ${saved.user ?? 'an unnamed user'} (profile "${profile}"${saved.expiresAt ? `, token valid until ${saved.expiresAt}` : ''}); saved in ${file}\n`,
      );
    }
    return ExitCode.ok;
  },
};

function azureFlags(context: Context, scope: string): string[] {
  const tenant = context.args.string('tenant');
  const clientId = context.args.string('client-id');
  return [
    '--scope',
    scope,
    ...(tenant ? ['--tenant', tenant] : []),
    ...(context.args.flag('device-code') ? ['--device-code'] : []),
    ...(clientId ? ['--client-id', clientId] : []),
  ];
}

/** A development token from the local runtime's issuer. */
async function localToken(url: string, user: string): Promise<{ token: string; expiresAt?: string }> {
  const { response, json } = await send(`${url}/_local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  const token = (json as { access_token?: unknown } | undefined)?.access_token;
  if (response.ok && typeof token === 'string') return { token };
  const problem = problemOf(response, json);
  if (response.status === 404 && problem.code !== 'unknown_user') {
    throw new CliError(
      ExitCode.auth,
      `${url} has no local token issuer (POST /_local/token): it is not the local runtime. For Azure, log in with --scope api://<app-id>/.default`,
    );
  }
  throw new CliError(
    response.status >= 500 ? ExitCode.server : ExitCode.auth,
    `login failed: ${describeProblem(problem)}`,
  );
}

/**
 * A token for `scope` from Entra ID: the Azure CLI's signed-in account, or a device code sign-in.
 * `@azure/identity` is loaded only here, so the other commands start without it.
 */
async function azureToken(context: Context, scope: string): Promise<{ token: string; expiresAt?: string }> {
  const { AzureCliCredential, DeviceCodeCredential } = await import('@azure/identity');
  const tenantId = context.args.string('tenant');
  const clientId = context.args.string('client-id');
  const credential = context.args.flag('device-code')
    ? new DeviceCodeCredential({
        ...(tenantId ? { tenantId } : {}),
        ...(clientId ? { clientId } : {}),
        userPromptCallback: (info) => context.io.err(`${info.message}\n`),
      })
    : new AzureCliCredential(tenantId ? { tenantId } : {});
  try {
    const token = await credential.getToken(scope);
    return { token: token.token, expiresAt: new Date(token.expiresOnTimestamp).toISOString() };
  } catch (error) {
    throw new CliError(ExitCode.auth, `Azure sign-in failed: ${(error as Error).message}`);
  }
}

/** The claims of a JWT, unverified; {} for anything that is not one. */
function readClaims(token: string): TokenClaims {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return {
      ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
      ...(typeof claims.name === 'string' ? { name: claims.name } : {}),
      ...(typeof claims.preferred_username === 'string' ? { preferred_username: claims.preferred_username } : {}),
    };
  } catch {
    return {};
  }
}
