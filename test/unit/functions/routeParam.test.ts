import { HttpRequest } from '@azure/functions';
import { routeParam } from '../../../functions/support';

const withParams = (params: Record<string, string>) =>
  new HttpRequest({ method: 'GET', url: 'http://localhost/api/x', params });

describe('routeParam', () => {
  it('answers the route parameter up to max characters', () => {
    expect(routeParam(withParams({ id: 'a'.repeat(128) }), 'id', 128)).toBe('a'.repeat(128));
  });

  it.each([
    ['missing', {}],
    ['empty', { id: '' }],
    ['one character too long', { id: 'a'.repeat(129) }],
  ])('refuses a parameter that is %s with not_found', (_, params) => {
    expect(() => routeParam(withParams(params), 'id', 128)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});
