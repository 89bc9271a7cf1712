import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');
const pages = [
  'README.md',
  'CONTRIBUTING.md',
  'bench/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The page's text without fenced code blocks and inline code, where `](` is not a link. */
function prose(page: string): string {
  return readFileSync(path.join(root, page), 'utf8')
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(page: string): Set<string> {
  const text = readFileSync(path.join(root, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Every relative link of the page as `[page, target file, anchor]`. */
function links(page: string): [string, string, string | undefined][] {
  return [...prose(page).matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, target]) => target!)
    .filter((target) => !/^[a-z]+:/i.test(target))
    .map((target) => {
      const [file, anchor] = target.split('#');
      return [page, file ? path.posix.join(path.posix.dirname(page), file) : page, anchor];
    });
}

describe('the documentation links', () => {
  const all = pages.flatMap(links);

  it('finds the links between the pages', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('point at files that exist', () => {
    expect(all.filter(([, file]) => !existsSync(path.join(root, file)))).toEqual([]);
  });

  it('point at headings that exist', () => {
    const dead = all.filter(
      ([, file, anchor]) => anchor !== undefined && (!file.endsWith('.md') || !anchors(file).has(anchor)),
    );
    expect(dead).toEqual([]);
  });
});
