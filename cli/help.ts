import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpecs } from './args';
import { EXIT_CODE_MEANINGS } from './exitCodes';
import { renderColumns } from './table';

// The texts of `maa --help`, `maa <command> --help` and `maa <group> --help`.

const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['MAA_URL', 'API base URL'],
  ['MAA_TOKEN', 'bearer token to use instead of the saved login (pipelines)'],
  ['MAA_PROFILE', 'profile to use'],
  ['MAA_CONFIG_DIR', 'folder of credentials.json (default ~/.config/maa)'],
];

export function mainHelp(commands: readonly CommandSpec[]): string {
  return [
    'maa: the multi-admin-approval command line (four-eyes approval of admin operations)',
    '',
    'usage: maa <command> [arguments] [options]',
    '       maa <command> --help',
    '',
    'commands:',
    indent(renderColumns(commands.map((command) => [command.name, command.summary]))),
    'options (after the command):',
    indent(options(GLOBAL_OPTIONS)),
    'environment:',
    indent(renderColumns(ENVIRONMENT)),
    'exit codes:',
    indent(renderColumns(EXIT_CODE_MEANINGS.map(([code, meaning]) => [String(code), meaning]))),
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  const required = Object.entries(command.options).filter(([, option]) => option.required);
  const usage = [
    'maa',
    command.name,
    ...command.args.map((name) => `<${name}>`),
    ...required.map(([name, option]) => `--${name} ${option.value}`),
    '[options]',
  ].join(' ');
  const own = Object.keys(command.options).length > 0 ? ['options:', indent(options(command.options))] : [];
  return [
    `usage: ${usage}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    ...own,
    'global options:',
    indent(options(GLOBAL_OPTIONS)),
    'example:',
    `  ${command.example}`,
    '',
  ].join('\n');
}

export function groupHelp(group: string, commands: readonly CommandSpec[]): string {
  const members = commands.filter((command) => command.name.startsWith(`${group} `));
  return [
    `usage: maa ${group} <subcommand> [arguments] [options]`,
    '',
    'subcommands:',
    indent(renderColumns(members.map((command) => [command.name, command.summary]))),
    `See maa ${group} <subcommand> --help.`,
    '',
  ].join('\n');
}

function options(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, option]) => [
    `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`,
    `${option.required ? '(required) ' : ''}${option.description}`,
  ]);
  return renderColumns(rows);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
