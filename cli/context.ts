import type { CommandSpec, Parsed } from './args';
import type { ExitCode } from './exitCodes';
import type { ApiClient } from './http';

/** Where a command writes, and the environment it reads. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** What a command runs with. */
export interface Context {
  io: Io;
  args: Parsed;
  /** `--json`: print the API's document, not a table. */
  json: boolean;
  /** The API client of the command's profile (opened on first use, so `login` and usage errors need no session). */
  api(): ApiClient;
}

export type Command = CommandSpec<(context: Context) => Promise<ExitCode>>;

/** Prints one JSON document (`--json`): exactly the value the API sent, indented. */
export function printJson(context: Context, value: unknown): void {
  context.io.out(`${JSON.stringify(value, null, 2)}\n`);
}
