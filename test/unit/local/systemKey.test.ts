import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keyMatches, loadSystemKey, presentedKey, systemKeyPath } from '../../../local/durable/systemKey';

describe('the Durable system key', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maa-systemkey-unit-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('is generated once per data directory, 0600, URL-safe, and the same on every later load', () => {
    const key = loadSystemKey(dataDir);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(systemKeyPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(systemKeyPath(dataDir), 'utf8').trim()).toBe(key);
    expect(loadSystemKey(dataDir)).toBe(key);
  });

  test.each([
    ['the code query parameter', {}, 'code=k1', 'k1'],
    ['a code parameter whatever its case', {}, 'CoDe=k1', 'k1'],
    ['the first of two code parameters', {}, 'code=k1&code=k2', 'k1'],
    ['the header, which wins over code', { 'x-functions-key': 'h1' }, 'code=k1', 'h1'],
    ['an empty header, which still wins', { 'x-functions-key': '' }, 'code=k1', ''],
    ['nothing', {}, 'taskHub=x', undefined],
  ])('a request presents %s', (_what, headers: Record<string, string>, query, expected) => {
    expect(presentedKey(headers, new URLSearchParams(query))).toBe(expected);
  });

  test.each([
    ['the key', 'the-key', true],
    ['another key of the same length', 'the-kez', false],
    ['a prefix of the key', 'the-ke', false],
    ['the key with more after it', 'the-key-and-more', false],
    ['an empty key', '', false],
    ['no key', undefined, false],
  ])('matches %s: %s', (_what, presented, expected) => {
    expect(keyMatches(presented, 'the-key')).toBe(expected);
  });
});
