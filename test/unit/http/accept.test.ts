import { preferredMediaType } from '../../../shared/http/accept';

const OFFERED = ['application/json', 'text/csv', 'application/x-ndjson'];

describe('preferredMediaType', () => {
  it.each([
    [null, undefined],
    ['', undefined],
    ['*/*', undefined],
    ['text/*', undefined],
    ['text/html', undefined],
    ['text/csv', 'text/csv'],
    ['TEXT/CSV; charset=utf-8', 'text/csv'],
    ['application/x-ndjson', 'application/x-ndjson'],
    ['text/csv, application/json', 'application/json'],
    ['application/json;q=0.5, text/csv', 'text/csv'],
    ['text/csv;q=0.2, application/x-ndjson;q=0.9', 'application/x-ndjson'],
    ['text/csv;q=0', undefined],
    ['text/csv;q=abc', undefined],
    ['text/html, */*;q=0.8, text/csv;q=0.1', 'text/csv'],
  ])('picks from %j: %s', (accept, expected) => {
    expect(preferredMediaType(accept, OFFERED)).toBe(expected);
  });
});
