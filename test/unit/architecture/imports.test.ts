import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');

/**
 * Every module under `dirs` (the app by default), repo-relative without `.ts`, and what it imports
 * (repo-relative for relative imports).
 */
function importGraph(dirs = ['functions', 'orchestrations', 'shared']): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path.join(root, relative), 'utf8');
        const found = [
          ...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm),
          ...source.matchAll(/^import\s+'([^']+)'/gm),
          ...source.matchAll(/\brequire\('([^']+)'\)/g),
        ];
        const specifiers = found.map(([, specifier]) =>
          specifier!.startsWith('.') ? path.posix.join(path.posix.dirname(relative), specifier!) : specifier!,
        );
        graph.set(relative.replace(/\.ts$/, ''), specifiers);
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return graph;
}

/** `module -> import` pairs where a module under `from` imports something matching `forbidden`. */
function violations(from: RegExp, forbidden: RegExp, except?: RegExp, dirs?: string[]): string[] {
  return [...importGraph(dirs)]
    .filter(([module]) => from.test(module) && !except?.test(module))
    .flatMap(([module, imports]) => imports.filter((target) => forbidden.test(target)).map((t) => `${module} -> ${t}`));
}

describe('the import graph reads one way', () => {
  it('keeps the local runtime and lib/ off the app source: they share code through lib/ only', () => {
    expect(
      violations(/^(local|lib)\//, /^(shared|functions|orchestrations)(\/|$)/, undefined, ['local', 'lib']),
    ).toEqual([]);
  });

  it('keeps tests off the benchmarks (the benchmarks may import test support, not the reverse)', () => {
    expect(violations(/^test\//, /^bench(\/|$)/, undefined, ['test'])).toEqual([]);
  });

  it('keeps HTTP inside functions/ and shared/http/', () => {
    expect(violations(/^shared\//, /^shared\/http\/|^@azure\/functions$/, /^shared\/http\//)).toEqual([]);
  });

  it('keeps adapters and HTTP handlers out of the use cases and the domain: nothing below functions/ imports it', () => {
    expect(violations(/^(shared|orchestrations)\//, /^functions\//)).toEqual([]);
  });

  it('lets orchestrations import no use case module', () => {
    expect(violations(/^orchestrations\//, /^shared\/(useCases|ops)\//, /^orchestrations\/activities\//)).toEqual([]);
  });

  it('lets contracts shared by functions and orchestrations import no use case or adapter', () => {
    expect(violations(/^orchestrations\/(contracts|names)$/, /^shared\/(useCases|ops|store|durable|http)\//)).toEqual(
      [],
    );
  });

  it('keeps the domain to itself and the error registry', () => {
    expect(violations(/^shared\/domain\//, /^(?!shared\/(domain|errors)\/|node:crypto$)/)).toEqual([]);
  });

  it('holds the Durable client in shared/durable/ only', () => {
    const clients = [...importGraph()]
      .filter(([, imports]) => imports.includes('durable-functions'))
      .map(([module]) => module)
      .filter((module) => !/^(functions|orchestrations)\//.test(module));
    expect(clients).toEqual(['shared/durable/client']);
  });
});
