import { REQUESTS_CONTAINER } from '../../../shared/store/cosmosSchema';
import { requestListQuery } from '../../../shared/store/cosmosStore';
import { encodeNewestFirst } from '../../../shared/store/continuationToken';
import type { RequestFilters, RequestQuery, RequestView } from '../../../shared/store/store';

const VIEWS: RequestView[] = [
  { kind: 'all' },
  { kind: 'mine', initiatorId: 'alice' },
  { kind: 'received', principalId: 'bob', groupIds: ['g1'], bootstrap: true },
];
const FILTERS: Required<RequestFilters> = {
  status: 'approved',
  profileType: 'deviceWipe',
  initiatorId: 'alice',
  target: 'Dev-1',
  createdFrom: '2026-12-01T00:00:00.000Z',
  createdTo: '2026-12-02T00:00:00.000Z',
};

/** Every subset of the filters. */
function filterSets(): RequestFilters[] {
  const keys = Object.keys(FILTERS) as (keyof RequestFilters)[];
  return Array.from({ length: 1 << keys.length }, (_, mask) =>
    Object.fromEntries(keys.filter((_, n) => (mask & (1 << n)) !== 0).map((key) => [key, FILTERS[key]])),
  );
}

/** The composite indexes of the requests container, as `ORDER BY` texts. */
const COMPOSITES = new Set(
  (REQUESTS_CONTAINER.indexingPolicy.compositeIndexes ?? []).map((index) =>
    index
      .map((part) => `c.${part.path!.slice(1).replace(/\//g, '.')}${part.order === 'descending' ? ' DESC' : ''}`)
      .join(', '),
  ),
);

describe('the Cosmos DB request list query', () => {
  const cases = VIEWS.flatMap((view) => filterSets().map((filters) => ({ view, filters })));

  it.each(cases.map((one) => [one.view.kind, JSON.stringify(one.filters), one] as const))(
    'orders %s with %s by a composite index of the schema',
    (_kind, _filters, { view, filters }) => {
      const query: RequestQuery = {
        view,
        top: 10,
        ...filters,
        continuationToken: encodeNewestFirst({ createdAt: '2026-12-01T12:00:00.000Z', id: 'r9' }),
      };
      const spec = requestListQuery(query, 11);
      if (view.kind === 'mine' && filters.initiatorId !== undefined && filters.initiatorId !== view.initiatorId)
        return expect(spec).toBeUndefined();
      expect(spec).toBeDefined();
      const orderBy = spec!.query.split(' ORDER BY ')[1]!;
      expect(COMPOSITES).toContain(orderBy);
      expect(spec!.query).toMatch(/^SELECT TOP 11 \* FROM c WHERE /);
      // Every filter is in the query, through a parameter.
      const names = (spec!.parameters ?? []).map((parameter) => parameter.name);
      if (filters.target !== undefined) {
        expect(spec!.query).toContain('ARRAY_CONTAINS(c.searchTargets, @target)');
        expect(spec!.parameters).toContainEqual({ name: '@target', value: 'dev-1' });
      }
      if (filters.createdFrom !== undefined) expect(names).toContain('@createdFrom');
      if (filters.createdTo !== undefined) expect(names).toContain('@createdTo');
      if (filters.status !== undefined) expect(spec!.query).toContain('c.status = @status');
      if (filters.profileType !== undefined) expect(spec!.query).toContain('c.profileType = @profileType');
      expect(names).toContain('@afterCreatedAt');
    },
  );

  it('matches nothing in mine for another initiator, and nothing received without groups or bootstrap', () => {
    expect(requestListQuery({ view: { kind: 'mine', initiatorId: 'a' }, initiatorId: 'b', top: 1 }, 2)).toBeUndefined();
    expect(
      requestListQuery({ view: { kind: 'received', principalId: 'a', groupIds: [], bootstrap: false }, top: 1 }, 2),
    ).toBeUndefined();
  });
});
