import { parseArgs } from 'node:util';
import { UsageError } from './errors';

/** One `--option` of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One-letter alias (`-q`). */
  short?: string;
  /** Placeholder of its value in help (`<id>`); string options only. */
  value?: string;
  required?: boolean;
  description: string;
}
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A command as the parser and the help see it; `name` is one or two words (`policies create`). */
export interface CommandSpec<Run = unknown> {
  name: string;
  summary: string;
  /** Names of its positional arguments, all required (`['id']`). */
  args: readonly string[];
  options: OptionSpecs;
  example: string;
  run: Run;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  url: {
    type: 'string',
    value: '<url>',
    description: "API base URL (default: $MAA_URL, else the profile's, else http://127.0.0.1:7071)",
  },
  profile: {
    type: 'string',
    value: '<name>',
    description: 'saved login to use (default: $MAA_PROFILE, else "default")',
  },
  json: { type: 'boolean', description: "print the API's JSON document instead of a table" },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

/** What a parsed command line asks for. */
export type CommandLine<C extends CommandSpec> =
  { kind: 'help'; command?: C; group?: string } | { kind: 'run'; command: C; args: Parsed };

/**
 * Finds the command that the leading words of `argv` name (options come after it) and parses the
 * rest against its options and {@link GLOBAL_OPTIONS}: unknown options, missing values, a wrong
 * number of arguments and missing required options (and no command at all) are {@link UsageError}s.
 * `--help` anywhere, or `help [command]` first, asks for help instead.
 */
export function parseCommandLine<C extends CommandSpec>(
  argv: readonly string[],
  commands: readonly C[],
): CommandLine<C> {
  const [first, second] = argv;
  if (first === undefined) throw new UsageError('no command given');
  if (first === '--help' || first === '-h') return { kind: 'help' };
  if (first === 'help') return helpFor(argv.slice(1), commands);
  if (first.startsWith('-')) throw new UsageError(`expected a command before ${first}`);
  const group = commands.filter((command) => command.name.startsWith(`${first} `));
  // A word can be both a command and a group (`audit <id>`, `audit export`): a subcommand's name
  // after it picks the subcommand, anything else goes to the command.
  const single = commands.find((candidate) => candidate.name === first);
  const sub = group.find((candidate) => candidate.name === `${first} ${second}`);
  let command: C | undefined;
  let rest: readonly string[];
  if (sub) {
    command = sub;
    rest = argv.slice(2);
  } else if (single) {
    command = single;
    rest = argv.slice(1);
  } else if (group.length > 0) {
    const subcommands = group.map((candidate) => candidate.name.slice(first.length + 1)).join(', ');
    if (second === undefined) throw new UsageError(`needs a subcommand: ${subcommands}`, first);
    if (second === '--help' || second === '-h') return { kind: 'help', group: first };
    throw new UsageError(`unknown subcommand "${second}"; there are ${subcommands}`, first);
  } else {
    throw new UsageError(`unknown command "${first}"`);
  }
  const args = parse(command, rest);
  if (args.flag('help')) return { kind: 'help', command };
  if (args.positionals.length !== command.args.length) {
    const wanted = command.args.length === 0 ? 'no arguments' : command.args.map((name) => `<${name}>`).join(' ');
    throw new UsageError(
      `takes ${wanted}${args.positionals.length > command.args.length ? `, not ${args.positionals.slice(command.args.length).join(' ')}` : ''}`,
      command.name,
    );
  }
  for (const [name, option] of Object.entries(command.options)) {
    if (option.required && !args.string(name)?.trim()) throw new UsageError(`missing --${name}`, command.name);
  }
  return { kind: 'run', command, args };
}

function helpFor<C extends CommandSpec>(words: readonly string[], commands: readonly C[]): CommandLine<C> {
  const name = words.join(' ');
  if (name === '') return { kind: 'help' };
  const command = commands.find((candidate) => candidate.name === name);
  if (command) return { kind: 'help', command };
  if (commands.some((candidate) => candidate.name.startsWith(`${name} `))) return { kind: 'help', group: name };
  throw new UsageError(`unknown command "${name}"`);
}

function parse(command: CommandSpec, argv: readonly string[]): Parsed {
  const options = Object.fromEntries(
    Object.entries({ ...GLOBAL_OPTIONS, ...command.options }).map(([name, spec]) => [
      name,
      spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return new Parsed(values as Record<string, string | boolean | undefined>, positionals);
  } catch (error) {
    // parseArgs explains itself ("Unknown option '--x'"), then how to pass a positional starting with '-': not the point here.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command.name);
  }
}

/** A command's parsed options and positional arguments. */
export class Parsed {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | undefined>>,
    readonly positionals: readonly string[],
  ) {}

  /** The value of a string option, undefined when absent. */
  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  /** The value of a string option the parser already checked is present. */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new UsageError(`missing --${name}`);
    return value;
  }

  /** Whether a boolean option was given. */
  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** The `index`th positional argument (the parser already checked the count). */
  arg(index: number): string {
    return this.positionals[index]!;
  }
}
