import { readFileSync } from 'node:fs';
import path from 'node:path';
import { submitRequestBodySchema } from '../../../shared/api/schemas';
import { CATALOGUE, type CatalogueEntry } from '../../../shared/intune/catalogue';
import { graphCallsOf } from '../../../shared/intune/catalogue/describe';

const page = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'catalogue.md'), 'utf8');

/** The page's text from heading `## name` to the next `## ` heading. */
function section(name: string): string {
  const start = page.indexOf(`\n## ${name}\n`);
  if (start < 0) throw new Error(`docs/catalogue.md has no section "${name}"`);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

const key = (entry: Pick<CatalogueEntry, 'profileType' | 'resourceType' | 'action'>) =>
  `${entry.profileType}: ${entry.resourceType} ${entry.action}`;

/** The operations table: one row per operation, its cells without the backticks. */
const rows = section('Operations')
  .split('\n')
  .filter((line) => line.startsWith('| `'))
  .map((line) =>
    line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim()),
  );

/** The examples: heading -> [request body, Graph calls]. */
const examples = new Map(
  section('Examples')
    .split('\n### ')
    .slice(1)
    .map((part) => {
      const heading = part.slice(0, part.indexOf('\n'));
      const blocks = [...part.matchAll(/```json\n([\s\S]*?)\n```/g)].map(([, json]) => JSON.parse(json!) as unknown);
      return [heading, blocks] as const;
    }),
);

describe('docs/catalogue.md', () => {
  it('lists every catalogue operation once, in the catalogue order, and nothing else', () => {
    expect(rows.map((row) => row.slice(0, 3))).toEqual(
      CATALOGUE.map((entry) => [entry.profileType, entry.resourceType, entry.action].map((name) => `\`${name}\``)),
    );
  });

  it.each(CATALOGUE.map((entry, index) => [key(entry), entry, index] as const))(
    'gives %s its Graph calls, permission and idempotency',
    (_, entry, index) => {
      const [, , , calls, permission, idempotency] = rows[index]!;
      expect(calls).toBe(
        graphCallsOf(entry)
          .map((call) => `\`${call}\``)
          .join(', '),
      );
      expect(permission).toBe(`\`${entry.permission}\``);
      expect(idempotency).toBe(entry.idempotency);
    },
  );

  it('has one example per operation and no other', () => {
    expect([...examples.keys()]).toEqual(CATALOGUE.map(key));
  });

  it.each(CATALOGUE.map((entry) => [key(entry), entry] as const))(
    'shows for %s a request body submit accepts and exactly the Graph calls its completion sends',
    (heading, entry) => {
      const [request, graph] = examples.get(heading) ?? [];
      expect(request).toMatchObject({ profileType: entry.profileType, operation: entry.example });
      const parsed = submitRequestBodySchema.safeParse(request);
      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(entry.calls(parsed.data!.operation)).toEqual(graph);
    },
  );
});
