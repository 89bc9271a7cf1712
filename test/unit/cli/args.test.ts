import { parseCommandLine, type CommandSpec } from '../../../cli/args';
import { UsageError } from '../../../cli/errors';
import { ExitCode } from '../../../cli/exitCodes';
import { COMMANDS } from '../../../cli/commands';

const commands: CommandSpec[] = [
  { name: 'show', summary: '', args: ['id'], options: {}, example: '', run: undefined },
  {
    name: 'submit',
    summary: '',
    args: [],
    options: {
      justification: { type: 'string', required: true, description: '' },
      quiet: { type: 'boolean', short: 'q', description: '' },
    },
    example: '',
    run: undefined,
  },
  { name: 'policies list', summary: '', args: [], options: {}, example: '', run: undefined },
  { name: 'policies show', summary: '', args: ['id'], options: {}, example: '', run: undefined },
];

function usage(argv: string[]): UsageError {
  try {
    parseCommandLine(argv, commands);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.usage);
    return error as UsageError;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('parseCommandLine', () => {
  it('finds one- and two-word commands and parses their options, flags and arguments', () => {
    const show = parseCommandLine(['show', 'r-1', '--json', '--url', 'http://x'], commands);
    expect(show).toMatchObject({ kind: 'run', command: { name: 'show' } });
    if (show.kind !== 'run') throw new Error('not run');
    expect(show.args.arg(0)).toBe('r-1');
    expect(show.args.flag('json')).toBe(true);
    expect(show.args.string('url')).toBe('http://x');
    expect(show.args.string('profile')).toBeUndefined();

    const submit = parseCommandLine(['submit', '--justification=stolen laptop', '-q'], commands);
    if (submit.kind !== 'run') throw new Error('not run');
    expect(submit.args.required('justification')).toBe('stolen laptop');
    expect(submit.args.flag('quiet')).toBe(true);

    const policy = parseCommandLine(['policies', 'show', 'p-1'], commands);
    expect(policy).toMatchObject({ kind: 'run', command: { name: 'policies show' } });
  });

  it('answers --help and help <command> with the command or group, and no command at all with a usage error', () => {
    expect(parseCommandLine(['--help'], commands)).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help'], commands)).toEqual({ kind: 'help' });
    expect(parseCommandLine(['show', '--help'], commands)).toMatchObject({ kind: 'help', command: { name: 'show' } });
    // --help wins over what is missing.
    expect(parseCommandLine(['submit', '-h'], commands)).toMatchObject({ kind: 'help', command: { name: 'submit' } });
    expect(parseCommandLine(['help', 'policies', 'show'], commands)).toMatchObject({
      kind: 'help',
      command: { name: 'policies show' },
    });
    expect(parseCommandLine(['policies', '--help'], commands)).toEqual({ kind: 'help', group: 'policies' });
    expect(parseCommandLine(['help', 'policies'], commands)).toEqual({ kind: 'help', group: 'policies' });
    expect(usage([]).message).toBe('no command given');
  });

  it('refuses unknown commands, subcommands and options, naming them', () => {
    expect(usage(['frobnicate']).message).toBe('unknown command "frobnicate"');
    expect(usage(['help', 'frobnicate']).message).toBe('unknown command "frobnicate"');
    const sub = usage(['policies', 'burn']);
    expect(sub.message).toBe('unknown subcommand "burn"; there are list, show');
    expect(sub.command).toBe('policies');
    expect(usage(['policies']).message).toBe('needs a subcommand: list, show');
    const option = usage(['show', 'r-1', '--bogus']);
    expect(option.message).toBe("Unknown option '--bogus'");
    expect(option.command).toBe('show');
    expect(usage(['--json', 'show']).message).toBe('expected a command before --json');
  });

  it('tells a command from the group of the same word: a subcommand name picks the subcommand, anything else the command', () => {
    const both: CommandSpec[] = [
      { name: 'audit', summary: '', args: ['id'], options: {}, example: '', run: undefined },
      {
        name: 'audit export',
        summary: '',
        args: [],
        options: { from: { type: 'string', required: true, description: '' } },
        example: '',
        run: undefined,
      },
    ];
    const trail = parseCommandLine(['audit', 'r-1', '--json'], both);
    expect(trail).toMatchObject({ kind: 'run', command: { name: 'audit' } });
    if (trail.kind === 'run') expect(trail.args.arg(0)).toBe('r-1');
    expect(parseCommandLine(['audit', 'export', '--from', 'x'], both)).toMatchObject({
      kind: 'run',
      command: { name: 'audit export' },
    });
    expect(parseCommandLine(['audit', '--help'], both)).toMatchObject({ kind: 'help', command: { name: 'audit' } });
    expect(parseCommandLine(['audit', 'export', '-h'], both)).toMatchObject({
      kind: 'help',
      command: { name: 'audit export' },
    });
    expect(() => parseCommandLine(['audit'], both)).toThrow('takes <id>');
  });

  it('refuses a wrong number of arguments, a missing or blank required option and a string option without its value', () => {
    expect(usage(['show']).message).toBe('takes <id>');
    expect(usage(['show', 'a', 'b']).message).toBe('takes <id>, not b');
    expect(usage(['policies', 'list', 'x']).message).toBe('takes no arguments, not x');
    expect(usage(['submit']).message).toBe('missing --justification');
    expect(usage(['submit', '--justification', '  ']).message).toBe('missing --justification');
    expect(usage(['submit', '--justification']).message).toMatch(/--justification.*argument missing/);
    expect(usage(['show', 'r-1', '--json=yes']).message).toMatch(/--json.*does not take an argument/);
  });

  it('knows every maa command, each with a summary and an example that parses', () => {
    expect(COMMANDS.map((command) => command.name)).toEqual([
      'login',
      'submit',
      'list',
      'show',
      'approve',
      'reject',
      'cancel',
      'complete',
      'wait',
      'audit',
      'audit export',
      'policies list',
      'policies show',
      'policies create',
      'policies update',
      'policies delete',
    ]);
    for (const command of COMMANDS) {
      expect(command.summary).not.toBe('');
      const words = command.example.match(/"[^"]*"|\S+/g)!.map((word) => word.replace(/^"(.*)"$/, '$1'));
      expect(words[0]).toBe('maa');
      expect(parseCommandLine(words.slice(1), COMMANDS)).toMatchObject({
        kind: 'run',
        command: { name: command.name },
      });
    }
  });
});
