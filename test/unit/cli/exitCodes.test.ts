import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT_CODE_MEANINGS, ExitCode } from '../../../cli/exitCodes';

describe('maa exit codes', () => {
  it('are distinct, and the table in docs/cli.md lists exactly what maa --help lists', () => {
    const codes = Object.values(ExitCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(EXIT_CODE_MEANINGS.map(([code]) => code).sort((a, b) => a - b)).toEqual([...codes].sort((a, b) => a - b));

    const page = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'cli.md'), 'utf8');
    const start = page.indexOf('\n## Exit codes\n');
    expect(start).toBeGreaterThan(0);
    const table = page.slice(start, page.indexOf('\n## ', start + 1));
    const rows = [...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((match) => [Number(match[1]), match[2]]);
    expect(rows).toEqual(EXIT_CODE_MEANINGS.map(([code, meaning]) => [code, meaning]));
  });
});
