#!/usr/bin/env node
import { parseCommandLine } from './args';
import { COMMANDS } from './commands';
import type { Context, Io } from './context';
import { CliError, UsageError } from './errors';
import { ExitCode } from './exitCodes';
import { commandHelp, groupHelp, mainHelp } from './help';
import { openSession } from './session';
import type { ApiClient } from './http';

/**
 * `maa`: the approval service's command line, for people and scripts. It only speaks the public
 * HTTP API. Every outcome is an exit code (see `maa --help`); messages go to stderr, results
 * (tables, or the API's JSON with --json) to stdout.
 */
async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  let commandName: string | undefined;
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (line.kind === 'help') {
      io.out(
        line.command ? commandHelp(line.command) : line.group ? groupHelp(line.group, COMMANDS) : mainHelp(COMMANDS),
      );
      return ExitCode.ok;
    }
    commandName = line.command.name;
    const { args } = line;
    let api: ApiClient | undefined;
    const context: Context = {
      io,
      args,
      json: args.flag('json'),
      api: () => (api ??= openSession({ url: args.string('url'), profile: args.string('profile') }, io.env)),
    };
    return await line.command.run(context);
  } catch (error) {
    const about = (error instanceof UsageError ? error.command : undefined) ?? commandName;
    const prefix = about ? `maa ${about}:` : 'maa:';
    if (error instanceof UsageError) {
      io.err(`${prefix} ${error.message}\nSee maa ${about ? `${about} ` : ''}--help.\n`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      io.err(`${prefix} ${error.message}\n`);
      return error.exitCode;
    }
    io.err(`${prefix} unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.internal;
  }
}

const io: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};
void main(process.argv.slice(2), io).then((code) => {
  // exitCode, not exit(): what is still buffered for a slow stdout pipe gets written first.
  process.exitCode = code;
});
