import { normalizeInstant, parseInstant } from '../../../shared/domain/instant';
import { refusal } from '../../support/builders';

describe('parseInstant and normalizeInstant', () => {
  it.each([
    ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01T10:00:00.5Z', '2024-03-01T10:00:00.500Z'],
    ['2024-03-01T12:00:00+02:00', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01t10:00:00z', '2024-03-01T10:00:00.000Z'],
    ['2024-02-29T23:59:59-01:00', '2024-03-01T00:59:59.000Z'],
  ])('reads %s as %s', (text, canonical) => {
    expect(normalizeInstant(text, 'at')).toBe(canonical);
    expect(parseInstant(text, 'at')).toBe(Date.parse(canonical));
  });

  it.each([
    '',
    '2024-03-01',
    '2024-03-01T10:00:00',
    '2024-03-01 10:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-03-01T24:00:00Z',
    '2024-03-01T10:60:00Z',
    'Fri, 01 Mar 2024 10:00:00 GMT',
  ])('refuses %p as invalid_request', (text) => {
    expect(refusal(() => parseInstant(text, 'at'))).toBe('invalid_request');
  });
});
