import { canonicalJson, operationHash, sha256Hex } from '../../../shared/domain/canonicalJson';
import type { Operation } from '../../../shared/domain/model';
import { refusal } from '../../support/builders';

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['booleans', [true, false], '[true,false]'],
    ['an integer', 42, '42'],
    ['a fraction', 0.1, '0.1'],
    ['negative zero as 0', -0, '0'],
    ['a large number in exponent form', 1e21, '1e+21'],
    ['a small number in exponent form', 1e-7, '1e-7'],
    ['escapes in strings', 'a"b\\c\n\u0001', '"a\\"b\\\\c\\n\\u0001"'],
    ['sorted keys without whitespace', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    [
      'nested objects sorted at every level',
      { z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null },
      '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}',
    ],
    ['arrays in their order', [3, 1, 2], '[3,1,2]'],
    ['undefined members dropped', { a: 1, b: undefined, c: { d: undefined } }, '{"a":1,"c":{}}'],
    ['empty containers', { a: [], b: {} }, '{"a":[],"b":{}}'],
    ['non-ASCII text kept as is', { é: 'ünïcødé', 日本: '😀' }, '{"é":"ünïcødé","日本":"😀"}'],
    ['a lone surrogate escaped', '\ud800', '"\\ud800"'],
    [
      'keys ordered by UTF-16 code units',
      { é: 1, Z: 2, a: 3, '😀': 4, ｚ: 5, '10': 6, '9': 7 },
      '{"10":6,"9":7,"Z":2,"a":3,"é":1,"😀":4,"ｚ":5}',
    ],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { b: 1, a: 2 }), '{"a":2,"b":1}'],
  ])('writes %s', (_, value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('gives the same text whatever the key order', () => {
    const one = {
      action: 'assign',
      payload: { targets: [{ id: 'g1', mode: 'include' }], settings: { b: [1, { y: 2, x: 1 }], a: 'x' } },
    };
    const other = {
      payload: { settings: { a: 'x', b: [1, { x: 1, y: 2 }] }, targets: [{ mode: 'include', id: 'g1' }] },
      action: 'assign',
    };
    expect(canonicalJson(one)).toBe(canonicalJson(other));
  });

  it('reads back as the same JSON value', () => {
    const value = { s: 'tab\there', n: [1.5, -2, 0], o: { k: null, t: true } };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  it.each<[string, unknown]>([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity deep inside', { a: [1, { b: Number.NEGATIVE_INFINITY }] }],
    ['a bigint', 10n],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['undefined as the whole value', undefined],
    ['undefined in an array', [1, undefined]],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a cycle', cyclic],
  ])('refuses %s as invalid_request', (_, value) => {
    expect(refusal(() => canonicalJson(value))).toBe('invalid_request');
  });

  it('names where the bad value is', () => {
    expect(() => canonicalJson({ a: [1, { b: Number.NaN }] })).toThrow('$.a[1].b');
  });

  it('writes deeply nested values too, and still finds a cycle however deep', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 400; level++) deep = level % 2 === 0 ? { k: deep } : [deep];
    expect(canonicalJson(deep)).toBe(JSON.stringify(deep));
    const loop: Record<string, unknown> = { a: 1 };
    let inner: Record<string, unknown> = loop;
    for (let level = 0; level < 300; level++) inner = inner.next = { a: level };
    inner.next = loop;
    expect(() => canonicalJson(loop)).toThrow('contains itself');
  });

  it('accepts a value that appears twice without being a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });
});

describe('operationHash', () => {
  const wipe: Operation = { resourceType: 'device', resourceId: 'd1', action: 'wipe' };

  it('is the hex SHA-256 of the canonical JSON', () => {
    expect(operationHash(wipe)).toBe('1f1d040afa6a9d3d116dcad56b86fe5d39666b02d0d70d65c3782c9af5d5e486');
    expect(sha256Hex('{}')).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it.each<[string, Operation, boolean]>([
    ['the same operation with other key order', { action: 'wipe', resourceId: 'd1', resourceType: 'device' }, true],
    ['with an undefined payload', { ...wipe, payload: undefined }, true],
    ['another resource', { ...wipe, resourceId: 'd2' }, false],
    ['with a null payload', { ...wipe, payload: null }, false],
    ['with a payload', { ...wipe, payload: { keep: true } }, false],
  ])('%s: same hash %s', (_, other, same) => {
    expect(operationHash(other) === operationHash(wipe)).toBe(same);
  });

  it.each<[string, Operation, Operation]>([
    ['array order', { ...wipe, payload: [1, 2] }, { ...wipe, payload: [2, 1] }],
    ['nested array order', { ...wipe, payload: { groups: ['a', 'b'] } }, { ...wipe, payload: { groups: ['b', 'a'] } }],
    ['a number and its string', { ...wipe, payload: 1 }, { ...wipe, payload: '1' }],
    ['unicode normalisation forms', { ...wipe, payload: 'é' }, { ...wipe, payload: 'e\u0301' }],
  ])('tells apart operations differing in %s', (_, one, other) => {
    expect(operationHash(one)).not.toBe(operationHash(other));
  });

  it('ignores nested key order', () => {
    expect(operationHash({ ...wipe, payload: { a: { c: 1, d: 2 }, b: 0 } })).toBe(
      operationHash({ ...wipe, payload: { b: 0, a: { d: 2, c: 1 } } }),
    );
  });
});
