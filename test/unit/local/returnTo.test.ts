import { MAX_RETURN_PATH_LENGTH, sameSitePath } from '../../../local/identity/signIn';

/** A query parameter's value as the sign-in route sees it (decoded once by URLSearchParams). */
const decoded = (raw: string) => new URLSearchParams(`returnTo=${raw}`).get('returnTo');

describe('the local sign-in keeps returnTo on the site', () => {
  test.each([
    ['a tab that browsers drop, leaving //evil.example', '/%09/evil.example'],
    ['a newline (also not allowed in a header)', '/%0A/evil.example'],
    ['a CRLF header injection', '/%0D%0ASet-Cookie:%20x=1'],
    ['a bare newline', '%0A'],
    ['a NUL', '/%00'],
    ['a DEL', '/%7F'],
    ['a C1 control (NEL)', '/%C2%85evil'],
    ['a protocol-relative URL', '//evil.example'],
    ['a protocol-relative URL, encoded', '%2F%2Fevil.example'],
    ['a backslash that browsers read as a slash', '/\\evil.example'],
    ['that backslash, encoded', '/%5Cevil.example'],
    ['two backslashes', '\\\\evil.example'],
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme without slashes', 'https:evil.example'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a leading space', '%20/x'],
    ['a relative path', 'api/portal'],
    ['an empty value', ''],
    ['a very long path', `/${'a'.repeat(MAX_RETURN_PATH_LENGTH)}`],
  ])('%s falls back to /', (_what, raw) => {
    expect(sameSitePath(decoded(raw))).toBe('/');
  });

  test('a missing value falls back to /', () => {
    expect(sameSitePath(null)).toBe('/');
  });

  test.each([
    ['/', '/'],
    ['/api/portal', '/api/portal'],
    [
      encodeURIComponent('/api/portal/requests?view=mine&status=approved#top'),
      '/api/portal/requests?view=mine&status=approved#top',
    ],
    [encodeURIComponent('/api/approvals/eyJhbGciOi.abc_-'), '/api/approvals/eyJhbGciOi.abc_-'],
    ['/a/../b', '/b'],
    [encodeURIComponent('/café'), '/caf%C3%A9'],
    [encodeURIComponent('/x%20y'), '/x%20y'],
  ])('%s stays as the same-site path %s', (raw, expected) => {
    expect(sameSitePath(decoded(raw))).toBe(expected);
  });

  test('a path of the longest length kept stays', () => {
    const longest = `/${'a'.repeat(MAX_RETURN_PATH_LENGTH - 1)}`;
    expect(sameSitePath(longest)).toBe(longest);
  });

  test('what it returns is ASCII and fits in a Location header', () => {
    for (const raw of ['/%E2%82%AC', '/%F0%9F%98%80?q=%E2%80%AE']) {
      expect(sameSitePath(decoded(raw))).toMatch(/^\/[\x21-\x7e]*$/);
    }
  });
});
