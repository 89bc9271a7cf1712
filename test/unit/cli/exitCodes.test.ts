import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT_CODE_MEANINGS, ExitCode } from '../../../cli/exitCodes';

describe('maa exit codes', () => {
  it('are distinct, and the README table lists exactly what maa --help lists', () => {
    const codes = Object.values(ExitCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(EXIT_CODE_MEANINGS.map(([code]) => code).sort((a, b) => a - b)).toEqual([...codes].sort((a, b) => a - b));

    const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('### Exit codes'));
    const rows = [...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((match) => [Number(match[1]), match[2]]);
    expect(rows).toEqual(EXIT_CODE_MEANINGS.map(([code, meaning]) => [code, meaning]));
  });
});
