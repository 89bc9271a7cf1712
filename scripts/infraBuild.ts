import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findBicep, toolsRepoRoot } from './tools/paths';

/**
 * `npm run infra:build`: compiles every Bicep file under infra/ with the Bicep CLI into ARM JSON
 * under infra/.build/ (git-ignored; infra/.build/main.json is what azd deploys) and lints each
 * with warnings as errors. Nothing is restored from a registry: the templates use local modules
 * only, and the one file that uses the Microsoft Graph Bicep extension (GRAPH_FILE) is not
 * compiled: main.bicep is compiled against a stub of it with the same parameters and outputs.
 */

export const INFRA_DIR = path.join(toolsRepoRoot, 'infra');
export const BUILD_DIR = path.join(INFRA_DIR, '.build');
/** The only file that needs the Microsoft Graph extension, which cannot be restored offline. */
export const GRAPH_FILE = 'app/entra-api-app.bicep';

/** Bicep files under infra/, relative to it, with `/`. */
export function bicepFiles(dir = INFRA_DIR, prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...bicepFiles(path.join(dir, entry.name), rel));
    else if (entry.name.endsWith('.bicep')) files.push(rel);
  }
  return files.sort();
}

/** A template with `source`'s parameters and outputs and no resources (outputs are empty values). */
export function stubOf(source: string): string {
  const lines = ['// Stub for infra:build; the real file needs the Microsoft Graph extension.'];
  // Parameters as declared (with their defaults), unused in the stub.
  for (const match of source.matchAll(/^param \w+ .*$/gm)) lines.push('#disable-next-line no-unused-params', match[0]);
  const empty: Record<string, string> = { string: "''", bool: 'false', int: '0', object: '{}', array: '[]' };
  for (const match of source.matchAll(/^output (\w+) ([\w[\]]+)/gm)) {
    const type = match[2] ?? 'string';
    lines.push(`output ${match[1]} ${type} = ${type.endsWith('[]') ? '[]' : (empty[type] ?? "''")}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Registry references (`br:`, `br/`, `ts:`) that would make the CLI try to restore (~60 s of retries offline). */
export function registryReferences(source: string): string[] {
  return [...source.matchAll(/^\s*(?:module|extension|import)\b[^\n]*'((?:br|ts)[:/][^']*)'/gm)].map((m) => m[1] ?? '');
}

function run(bicep: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(bicep, args, {
    encoding: 'utf8',
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', BICEP_TRACING_ENABLED: 'false' },
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** Compiles and lints; returns the problems (empty: all compiled, no warning). */
export function infraBuild(bicep: string, log: (line: string) => void = () => {}): string[] {
  const problems: string[] = [];
  const src = path.join(BUILD_DIR, 'src');
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  for (const entry of readdirSync(INFRA_DIR))
    if (entry !== '.build') cpSync(path.join(INFRA_DIR, entry), path.join(src, entry), { recursive: true });
  // main.bicep's loadJsonContent('../host.json') reads the repository's host.json.
  cpSync(path.join(toolsRepoRoot, 'host.json'), path.join(BUILD_DIR, 'host.json'));
  const config = JSON.parse(readFileSync(path.join(src, 'bicepconfig.json'), 'utf8')) as Record<string, unknown>;
  delete config.extensions;
  writeFileSync(path.join(src, 'bicepconfig.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(path.join(src, GRAPH_FILE), stubOf(readFileSync(path.join(INFRA_DIR, GRAPH_FILE), 'utf8')));

  for (const file of bicepFiles()) {
    if (file === GRAPH_FILE) {
      log(`skip ${file} (Microsoft Graph extension; main.bicep compiles against a stub)`);
      continue;
    }
    const refs = registryReferences(readFileSync(path.join(INFRA_DIR, file), 'utf8'));
    if (refs.length > 0) {
      problems.push(`${file}: registry references cannot be restored here: ${refs.join(', ')}`);
      continue;
    }
    const out = path.join(BUILD_DIR, file.replace(/\.bicep$/, '.json'));
    mkdirSync(path.dirname(out), { recursive: true });
    const built = run(bicep, ['build', path.join(src, file), '--outfile', out]);
    const linted = run(bicep, ['lint', path.join(src, file)]);
    // Warnings are errors; a stub's own diagnostics are not reported (it is not the real file).
    const stub = path.join(src, GRAPH_FILE);
    const diagnostics = `${built.output}\n${linted.output}`
      .split('\n')
      .filter((line) => /: (Warning|Error) /.test(line) && !line.startsWith(stub))
      .map((line) => line.replace(`${src}${path.sep}`, 'infra/'));
    const unique = [...new Set(diagnostics)];
    if (!built.ok || !linted.ok || unique.length > 0) {
      problems.push(...(unique.length > 0 ? unique : [`${file}: ${built.output}\n${linted.output}`]));
      log(`FAIL ${file}`);
    } else log(`ok   ${file} -> ${path.relative(toolsRepoRoot, out)}`);
  }
  return problems;
}

if (require.main === module) {
  const bicep = findBicep();
  if (!bicep) {
    process.stderr.write('infra:build needs the Bicep CLI: npm run tools:install (or bicep on PATH)\n');
    process.exit(1);
  }
  const problems = infraBuild(bicep, (line) => process.stdout.write(`${line}\n`));
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  if (problems.length > 0) {
    process.stderr.write(`infra:build failed: ${problems.length} problem(s) (warnings count as errors)\n`);
    process.exit(1);
  }
  process.stdout.write('infra:build: every file compiled, no linter warnings\n');
}
