import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../../shared/config';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export function read(file: string): string {
  return readFileSync(path.join(repoRoot, file), 'utf8');
}

/**
 * Every setting the config schema reads, derived from the zod shapes themselves: parsing an empty
 * environment through a proxy records each key the object schemas look up.
 */
export function schemaSettings(): string[] {
  const seen = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.get(target, key);
    },
  });
  try {
    parseConfig(env);
  } catch (error) {
    // An empty environment lacks the required settings; every key was looked up before that was said.
    if (!(error instanceof ConfigError)) throw error;
  }
  return [...seen].sort();
}

/** Names of the app settings main.bicep sets (between its app-settings markers), without comments. */
export function bicepAppSettings(): Map<string, string> {
  const text = read('infra/main.bicep');
  const begin = text.indexOf('// app-settings:begin');
  const end = text.indexOf('// app-settings:end');
  if (begin < 0 || end < begin) throw new Error('infra/main.bicep has no app-settings:begin/end markers');
  const block = text.slice(begin, end).replace(/(^|\s)\/\/.*$/gm, '$1');
  const settings = new Map<string, string>();
  for (const match of block.matchAll(/(?:^|[{,])\s*([A-Za-z][A-Za-z0-9_]*)\s*:\s*([^\n,}]*)/gm)) {
    settings.set(match[1] ?? '', (match[2] ?? '').trim());
  }
  return settings;
}

/** The rows of the settings table in docs/settings.md: setting names (a cell may name several) → cells. */
export function documentedSettings(): Map<string, { default: string; azure: string; meaning: string }> {
  const text = read('docs/settings.md');
  const start = text.indexOf('# App settings');
  if (start < 0) throw new Error('docs/settings.md has no "# App settings" heading');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? text.length : end);
  const rows = new Map<string, { default: string; azure: string; meaning: string }>();
  for (const line of section.split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cells.length !== 4 || !cells[0]?.startsWith('`')) continue;
    for (const name of cells[0].matchAll(/`([A-Za-z0-9_]+)`/g))
      rows.set(name[1] ?? '', { default: cells[1] ?? '', azure: cells[2] ?? '', meaning: cells[3] ?? '' });
  }
  return rows;
}
