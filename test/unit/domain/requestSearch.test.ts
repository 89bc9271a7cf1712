import { searchTargetId, searchTargetIds } from '../../../shared/domain/requestSearch';

describe('request search targets', () => {
  it.each([
    ['D3A1C0DE-0000-4000-8000-000000000001', 'd3a1c0de-0000-4000-8000-000000000001'],
    ['  App-Blue ', 'app-blue'],
    ['already-lower', 'already-lower'],
  ])('compares %j as %j', (id, compared) => {
    expect(searchTargetId(id)).toBe(compared);
  });

  it.each([
    [{ resourceId: 'Dev-1' }, ['dev-1']],
    [{ resourceIds: ['Dev-2', 'dev-3', 'DEV-2'] }, ['dev-2', 'dev-3']],
    [{ resourceId: 'x', resourceIds: ['X', 'y'] }, ['x', 'y']],
    [{ resourceId: '' }, []],
    [{}, []],
  ])('finds %j by %j', (operation, ids) => {
    expect(searchTargetIds(operation)).toEqual(ids);
  });
});
