import {
  freeTextProblem,
  identifierProblem,
  isBlankText,
  jsonTextProblems,
  normalizeIdentifier,
  visibleText,
} from '../../../shared/domain/text';

/** Characters neither kind of text accepts, by name. */
const REFUSED_EVERYWHERE: [string, string][] = [
  ['NUL', '\u0000'],
  ['BEL', '\u0007'],
  ['ESC', '\u001b'],
  ['DEL', '\u007f'],
  ['C1 NEL', '\u0085'],
  ['C1 CSI', '\u009b'],
  ['LRE', '\u202a'],
  ['RLE', '\u202b'],
  ['PDF', '\u202c'],
  ['LRO', '\u202d'],
  ['RLO', '\u202e'],
  ['LRI', '\u2066'],
  ['RLI', '\u2067'],
  ['FSI', '\u2068'],
  ['PDI', '\u2069'],
  ['LRM', '\u200e'],
  ['RLM', '\u200f'],
  ['ALM', '\u061c'],
  ['line separator', '\u2028'],
  ['paragraph separator', '\u2029'],
  ['a lone high surrogate', '\ud800'],
  ['a lone low surrogate', '\udc00'],
  ['noncharacter U+FDD0', '\ufdd0'],
  ['noncharacter U+FFFE', '\ufffe'],
  ['noncharacter U+1FFFF', '\u{1ffff}'],
  ['tag A', '\u{e0041}'],
  ['cancel tag', '\u{e007f}'],
];

/** Characters identifiers refuse and free text keeps (shown escaped by visibleText). */
const REFUSED_IN_IDENTIFIERS_ONLY: [string, string][] = [
  ['tab', '\t'],
  ['line feed', '\n'],
  ['carriage return', '\r'],
  ['zero-width space', '\u200b'],
  ['zero-width non-joiner', '\u200c'],
  ['zero-width joiner', '\u200d'],
  ['word joiner', '\u2060'],
  ['invisible times', '\u2062'],
  ['invisible plus', '\u2064'],
  ['byte order mark', '\ufeff'],
  ['soft hyphen', '\u00ad'],
  ['combining grapheme joiner', '\u034f'],
  ['variation selector 16', '\ufe0f'],
  ['Hangul filler', '\u3164'],
  ['no-break space', '\u00a0'],
  ['em space', '\u2003'],
  ['ideographic space', '\u3000'],
  ['Mongolian vowel separator', '\u180e'],
];

describe('identifiers', () => {
  it.each([...REFUSED_EVERYWHERE, ...REFUSED_IN_IDENTIFIERS_ONLY])(
    'refuses %s, naming it and where it is',
    (_name, character) => {
      const problem = identifierProblem(`dev${character}-1`);
      expect(problem).toMatch(
        new RegExp(
          `^must not contain U\\+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} \\(.+\\) in an identifier \\(at position 3\\)$`,
        ),
      );
    },
  );

  it.each([
    ['plain ASCII', 'laptop-42'],
    ['a GUID', '3F2504E0-4F89-41D3-9A0C-0305E82C3301'],
    ['spaces between words', 'Finance laptops'],
    ['letters of other scripts', 'ноутбук-42 ラップトップ 笔记本'],
    ['combining marks', 'cafe\u0301'],
    ['an emoji', 'laptop-💻'],
    ['punctuation', 'a/b:c@d.e_f~(g)'],
  ])('accepts %s', (_name, text) => {
    expect(identifierProblem(text)).toBeUndefined();
  });

  it.each([
    ['to NFC', 'cafe\u0301', 'caf\u00e9'],
    ['a GUID to lower case', '3F2504E0-4F89-41D3-9A0C-0305E82C3301', '3f2504e0-4f89-41d3-9a0c-0305e82c3301'],
    ['without surrounding spaces', '  laptop-42 ', 'laptop-42'],
    ['other identifiers keeping their case', 'Laptop-42', 'Laptop-42'],
    ['compatibility characters unchanged (NFC, not NFKC)', 'ﬁle', 'ﬁle'],
  ])('normalises %s', (_name, text, normal) => {
    expect(normalizeIdentifier(text)).toBe(normal);
  });

  it('gives the composed and decomposed spellings of an identifier one normal form', () => {
    expect(normalizeIdentifier('Ame\u0301lie-\u00c5')).toBe(normalizeIdentifier('Am\u00e9lie-A\u030a'));
  });
});

describe('free text', () => {
  it.each(REFUSED_EVERYWHERE)('refuses %s', (_name, character) => {
    expect(freeTextProblem(`Stolen ${character}laptop`)).toMatch(
      /^must not contain U\+[0-9A-F]{4,5} \(.+\) in text \(at position 7\)$/,
    );
  });

  it.each([
    ...REFUSED_IN_IDENTIFIERS_ONLY,
    ['right-to-left script', 'מחשב נייד נגנב'],
    ['an emoji sequence', '👩‍💻 ❤️'],
    ['a URL', 'see https://contoso.example/INC-4711'],
  ])('accepts %s', (_name, text) => {
    expect(freeTextProblem(`Stolen ${text} laptop`)).toBeUndefined();
  });

  it('names the position in characters, not UTF-16 units', () => {
    expect(freeTextProblem('💻💻\u202e')).toMatch(/at position 2\)$/);
  });
});

describe('blank text', () => {
  it.each([
    ['empty', ''],
    ['spaces, tabs and line breaks', ' \t\r\n '],
    ['a NUL', '\u0000'],
    ['a zero-width space and a blank', '\u200b '],
    ['a word joiner and a no-break space', '\u2060\u00a0'],
    ['a byte order mark', '\ufeff'],
    ['bidi marks', '\u200e\u200f\u202e'],
    ['Hangul fillers', '\u3164\u115f'],
    ['an ideographic space', '\u3000'],
    ['a soft hyphen', '\u00ad'],
  ])('counts %s as blank', (_name, text) => {
    expect(isBlankText(text)).toBe(true);
  });

  it.each([
    ['a word', 'no'],
    ['a full stop', '.'],
    ['an emoji', '👎'],
    ['a word among invisible characters', '\u200b no \u200b'],
  ])('counts %s as text', (_name, text) => {
    expect(isBlankText(text)).toBe(false);
  });
});

describe('visibleText', () => {
  it('shows what a right-to-left override hides: "\\u202e24-potpal" does not read as laptop-42', () => {
    expect(visibleText('\u202e24-potpal', 'identifier')).toBe('<U+202E>24-potpal');
    expect(visibleText('\u202e24-potpal')).toBe('<U+202E>24-potpal');
  });

  it.each([
    ['a NUL', 'dev-1\u0000', 'dev-1<U+0000>'],
    ['a zero-width space', 'dev\u200b-1', 'dev<U+200B>-1'],
    ['a tag character', 'a\u{e0041}', 'a<U+E0041>'],
    ['a lone surrogate', 'a\ud800', 'a<U+D800>'],
    ['a line separator', 'a\u2028b', 'a<U+2028>b'],
  ])('escapes %s in text', (_name, text, shown) => {
    expect(visibleText(text)).toBe(shown);
  });

  it('keeps line breaks, tabs, joiners and emoji variation selectors in free text, and escapes them in identifiers', () => {
    expect(visibleText('a\tb\nc 👩‍💻 ❤️')).toBe('a\tb\nc 👩‍💻 ❤️');
    expect(visibleText('a\tb\u200dc\ufe0f', 'identifier')).toBe('a<U+0009>b<U+200D>c<U+FE0F>');
  });

  it('leaves ordinary text of any script alone', () => {
    expect(visibleText('Laptop מחשב ноутбук 笔记本 café')).toBe('Laptop מחשב ноутбук 笔记本 café');
  });
});

describe('jsonTextProblems', () => {
  it('checks keys as identifiers and strings as free text, anywhere in the value', () => {
    const problems = jsonTextProblems({
      ok: 'fine',
      'ke\u200by': 1,
      list: ['x', { deep: 'a\u202eb' }],
      n: null,
      flag: true,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: [], message: expect.stringMatching(/^key "ke<U\+200B>y" must not contain U\+200B/) },
        { path: ['list', 1, 'deep'], message: expect.stringMatching(/^must not contain U\+202E/) },
      ]),
    );
    expect(problems).toHaveLength(2);
  });

  it('finds nothing in honest JSON or in no value at all', () => {
    expect(jsonTextProblems({ keepUserData: false, note: 'Zurücksetzen 👍\nbitte', ids: ['a', 'b'] })).toEqual([]);
    expect(jsonTextProblems(undefined)).toEqual([]);
  });

  it('walks deep nesting without overflowing the stack', () => {
    let value: unknown = '\u202e';
    for (let depth = 0; depth < 100_000; depth++) value = [value];
    expect(jsonTextProblems(value)).toHaveLength(1);
  });
});
