import {
  compareRoutePrecedence,
  parseRouteTemplate,
  RouteTemplateError,
  type RouteTemplate,
} from '../../../local/http/routeTemplate';

type Values = Record<string, string> | undefined;

describe('parseRouteTemplate', () => {
  it('keeps the template exactly as given', () => {
    expect(parseRouteTemplate('/Products/{id:int?}').template).toBe('/Products/{id:int?}');
  });

  describe('literal segments', () => {
    it.each<[string, string, boolean]>([
      ['products', 'products', true],
      ['products', 'Products', true],
      ['products', 'PRODUCTS', true],
      ['api/v1/items', 'API/V1/Items', true],
      ['products', 'products/', true],
      ['products', '/products', true],
      ['products', 'product', false],
      ['products', 'productsx', false],
      ['products', 'products/1', false],
      ['products', '', false],
      ['api/v1', 'api', false],
      ['/products', 'products', true],
      ['~/products', 'products', true],
      ['products/', 'products', true],
      ['', '', true],
      ['', '/', true],
      ['', 'a', false],
      ['café', 'caf%C3%A9', true],
      ['café', 'CAF%C3%89', true],
      ['a b', 'a%20b', true],
      ['{{braces}}', '%7Bbraces%7D', true],
      ['x', '%', false],
    ])('%p against %p matches: %p', (template, path, matches) => {
      expect(parseRouteTemplate(template).match(path)).toEqual(matches ? {} : undefined);
    });
  });

  describe('required parameters', () => {
    it.each<[string, string, Values]>([
      ['products/{id}', 'products/42', { id: '42' }],
      ['products/{id}', 'Products/42/', { id: '42' }],
      ['products/{id}', 'products', undefined],
      ['products/{id}', 'products/', undefined],
      ['products/{id}', 'products/42/extra', undefined],
      ['{a}/{b}', 'x/y', { a: 'x', b: 'y' }],
      ['{a}/{b}', 'x//y', undefined],
      ['{a}/{b}', 'x/', undefined],
      ['{a}/b/{c}', 'x/B/z', { a: 'x', c: 'z' }],
      ['{a}/b/{c}', 'x/q/z', undefined],
      ['users/{UserId}', 'users/7', { UserId: '7' }],
      ['{__proto__}', 'x', Object.defineProperty({}, '__proto__', { value: 'x', enumerable: true })],
    ])('%p against %p gives %p', (template, path, expected) => {
      expect(parseRouteTemplate(template).match(path)).toEqual(expected);
    });

    it('returns values as own properties of an ordinary object', () => {
      const values = parseRouteTemplate('{__proto__}/{constructor}').match('a/b');
      expect(Object.keys(values ?? {})).toEqual(['__proto__', 'constructor']);
      expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    });
  });

  describe('percent-decoding of values', () => {
    it.each<[string, Values]>([
      ['a%20b', { v: 'a b' }],
      ['a%2Fb', { v: 'a/b' }],
      ['a%2fb', { v: 'a/b' }],
      ['caf%C3%A9', { v: 'café' }],
      ['%F0%9F%98%80', { v: '😀' }],
      ['a+b', { v: 'a+b' }],
      ['100%25', { v: '100%' }],
      ['%', undefined],
      ['%2', undefined],
      ['%ZZ', undefined],
      ['%C3', undefined],
      ['%E0%A4%A', undefined],
      ['%FF', undefined],
    ])('{v} against %p gives %p', (path, expected) => {
      expect(parseRouteTemplate('{v}').match(path)).toEqual(expected);
    });

    it('decodes every segment of a catch-all and rejects a malformed escape anywhere in it', () => {
      const route = parseRouteTemplate('files/{*path}');
      expect(route.match('files/a%20b/c%2Fd')).toEqual({ path: 'a b/c/d' });
      expect(route.match('files/ok/bad%')).toBeUndefined();
    });

    it.each(['%', '%%', '\u0000', '%E0%A4%A/x', '/'.repeat(5), '{}', '?a=b'])('never throws on the path %p', (path) => {
      for (const template of ['{a}', '{*a}', 'x/{a?}', '{a}.{b?}', 'lit']) {
        expect(() => parseRouteTemplate(template).match(path)).not.toThrow();
      }
    });
  });

  describe('optional parameters', () => {
    it.each<[string, string, Values]>([
      ['products/{id?}', 'products', {}],
      ['products/{id?}', 'products/', {}],
      ['products/{id?}', 'products/5', { id: '5' }],
      ['products/{id?}', 'products/5/6', undefined],
      ['{a}/{b?}/{c?}', 'x', { a: 'x' }],
      ['{a}/{b?}/{c?}', 'x/y', { a: 'x', b: 'y' }],
      ['{a}/{b?}/{c?}', 'x/y/z', { a: 'x', b: 'y', c: 'z' }],
      ['{a?}', '', {}],
      // Only trailing optionals may be absent; one followed by a literal is effectively required.
      ['{a?}/b', 'x/b', { a: 'x' }],
      ['{a?}/b', 'b', undefined],
      ['{a?}/b', '', undefined],
    ])('%p against %p gives %p', (template, path, expected) => {
      expect(parseRouteTemplate(template).match(path)).toEqual(expected);
    });

    it('leaves an absent optional parameter out of the result rather than mapping it to undefined', () => {
      const values = parseRouteTemplate('products/{id?}').match('products');
      expect(values).toBeDefined();
      expect(Object.prototype.hasOwnProperty.call(values, 'id')).toBe(false);
    });
  });

  describe('default values', () => {
    it.each<[string, string, Values]>([
      ['products/{category=all}', 'products', { category: 'all' }],
      ['products/{category=all}', 'products/shoes', { category: 'shoes' }],
      ['{controller=Home}/{action=Index}/{id?}', '', { controller: 'Home', action: 'Index' }],
      ['{controller=Home}/{action=Index}/{id?}', 'Products', { controller: 'Products', action: 'Index' }],
      ['{controller=Home}/{action=Index}/{id?}', 'p/list/3', { controller: 'p', action: 'list', id: '3' }],
      ['{a=x}/b', 'b', undefined],
      ['{v=}', '', { v: '' }],
      ['{v=a=b}', '', { v: 'a=b' }],
      ['{page:int=1}', '', { page: '1' }],
      ['{page:int=1}', '7', { page: '7' }],
      // As in ASP.NET, constraints also apply to a default, so a bad default stops the match.
      ['{page:int=first}', '', undefined],
      ['{page:int=first}', '7', { page: '7' }],
    ])('%p against %p gives %p', (template, path, expected) => {
      expect(parseRouteTemplate(template).match(path)).toEqual(expected);
    });
  });

  describe('catch-all parameters', () => {
    it.each<[string, string, Values]>([
      ['files/{*path}', 'files/a/b/c.txt', { path: 'a/b/c.txt' }],
      ['files/{*path}', 'files/a', { path: 'a' }],
      ['files/{*path}', 'files', {}],
      ['files/{*path}', 'files/', {}],
      ['files/{*path}', 'files/a/b/', { path: 'a/b' }],
      ['files/{*path}', 'files/a//b', { path: 'a//b' }],
      ['files/{*path}', 'files//a', undefined],
      ['files/{*path}', 'other/a', undefined],
      ['files/{**path}', 'files/a/b', { path: 'a/b' }],
      ['{*all}', '', {}],
      ['{*all}', 'x/y', { all: 'x/y' }],
      ['files/{*path=index.html}', 'files', { path: 'index.html' }],
      ['files/{*path=index.html}', 'files/a/b', { path: 'a/b' }],
      ['files/{*path:regex(.*\\.txt)}', 'files/a/b.txt', { path: 'a/b.txt' }],
      ['files/{*path:regex(.*\\.txt)}', 'files/a/b.png', undefined],
      ['files/{*path:regex(.*\\.txt)}', 'files', {}],
    ])('%p against %p gives %p', (template, path, expected) => {
      expect(parseRouteTemplate(template).match(path)).toEqual(expected);
    });
  });

  describe('constraints', () => {
    it.each<[string, string, boolean]>([
      ['int', '42', true],
      ['int', '-42', true],
      ['int', '+7', true],
      ['int', '007', true],
      ['int', '%2012%20', true],
      ['int', '2147483647', true],
      ['int', '2147483648', false],
      ['int', '-2147483648', true],
      ['int', '-2147483649', false],
      ['int', '4.2', false],
      ['int', '1e3', false],
      ['int', '0x1F', false],
      ['int', 'abc', false],
      ['long', '2147483648', true],
      ['long', '9223372036854775807', true],
      ['long', '9223372036854775808', false],
      ['long', '-9223372036854775808', true],
      ['long', '1.0', false],
      ['alpha', 'abc', true],
      ['alpha', 'AbC', true],
      ['alpha', 'ab1', false],
      ['alpha', 'caf%C3%A9', false],
      ['alpha', 'a-b', false],
      ['bool', 'true', true],
      ['bool', 'FALSE', true],
      ['bool', 'True', true],
      ['bool', 'yes', false],
      ['bool', '1', false],
      ['datetime', '2024-02-29', true],
      ['datetime', '2023-02-29', false],
      ['datetime', '2024-13-01', false],
      ['datetime', '2024-01-15T10:30:00', true],
      ['datetime', '2024-01-15T10:30:00Z', true],
      ['datetime', '2024-01-15T10:30:00.123+02:00', true],
      ['datetime', '2024-01-15%2010:30', true],
      ['datetime', '2024-01-15T24:00', false],
      ['datetime', '12%2F31%2F2024', true],
      ['datetime', '2024%2F12%2F31', true],
      ['datetime', '10:30', true],
      ['datetime', '10:30%20PM', true],
      ['datetime', '13:30%20PM', false],
      ['datetime', 'tomorrow', false],
      ['datetime', '20240115', false],
      ['decimal', '1.5', true],
      ['decimal', '-1.5', true],
      ['decimal', '.5', true],
      ['decimal', '5.', true],
      ['decimal', '1,000.25', true],
      ['decimal', '5-', true],
      ['decimal', '-5-', false],
      ['decimal', '1e5', false],
      ['decimal', '1.2.3', false],
      ['decimal', 'abc', false],
      ['decimal', '79228162514264337593543950335', true],
      ['decimal', '79228162514264337593543950336', false],
      ['double', '1.5', true],
      ['double', '-1.5E-3', true],
      ['double', '1e400', true],
      ['double', 'Infinity', true],
      ['double', '-infinity', true],
      ['double', 'NaN', true],
      ['double', '1,000.5', true],
      ['double', '1.2.3', false],
      ['double', 'e5', false],
      ['double', 'abc', false],
      ['float', '3.14', true],
      ['float', '2e10', true],
      ['float', 'pi', false],
      ['guid', 'd3b07384-d9a0-4c9e-8f5b-1a2b3c4d5e6f', true],
      ['guid', 'D3B07384-D9A0-4C9E-8F5B-1A2B3C4D5E6F', true],
      ['guid', 'd3b07384d9a04c9e8f5b1a2b3c4d5e6f', true],
      ['guid', '%7Bd3b07384-d9a0-4c9e-8f5b-1a2b3c4d5e6f%7D', true],
      ['guid', '(d3b07384-d9a0-4c9e-8f5b-1a2b3c4d5e6f)', true],
      ['guid', '%7B0xd3b07384,0xd9a0,0x4c9e,%7B0x8f,0x5b,0x1a,0x2b,0x3c,0x4d,0x5e,0x6f%7D%7D', true],
      ['guid', 'd3b07384-d9a0-4c9e-8f5b-1a2b3c4d5e6', false],
      ['guid', 'g3b07384-d9a0-4c9e-8f5b-1a2b3c4d5e6f', false],
      ['guid', 'not-a-guid', false],
      ['minlength(3)', 'abc', true],
      ['minlength(3)', 'ab', false],
      ['maxlength(3)', 'abc', true],
      ['maxlength(3)', 'abcd', false],
      ['length(3)', 'abc', true],
      ['length(3)', 'ab', false],
      ['length(3)', 'abcd', false],
      ['length(2,4)', 'ab', true],
      ['length(2,4)', 'abcd', true],
      ['length(2,4)', 'a', false],
      ['length(2,4)', 'abcde', false],
      ['length(%20%202%20,%204%20)', 'abc', true],
      ['min(10)', '10', true],
      ['min(10)', '9', false],
      ['min(10)', 'ten', false],
      ['max(10)', '10', true],
      ['max(10)', '-5', true],
      ['max(10)', '11', false],
      ['range(1,5)', '1', true],
      ['range(1,5)', '5', true],
      ['range(1,5)', '0', false],
      ['range(1,5)', '6', false],
      ['range(1,5)', 'x', false],
      ['regex(^[a-z]{{2}}\\d+$)', 'ab12', true],
      ['regex(^[a-z]{{2}}\\d+$)', 'AB12', true],
      ['regex(^[a-z]{{2}}\\d+$)', 'abc12', false],
      ['regex(\\d+)', '123', true],
      ['regex(\\d+)', 'a123', true],
      ['regex(\\d+)', '123a', true],
      ['regex(\\d+)', 'abc', false],
      ['regex(a|b)', 'b', true],
      ['regex(a|b)', 'xy', false],
      ['regex(^a:(b|c)$)', 'a:c', true],
      ['regex(^a:(b|c)$)', 'a:d', false],
      ['regex(^(a|b)x)', 'bx', true],
      ['regex(^\\d{{3}}-\\d{{2}}-\\d{{4}}$)', '123-45-6789', true],
      ['regex(^\\d{{3}}-\\d{{2}}-\\d{{4}}$)', '123-456-789', false],
      ['regex(^[^}}]+$)', 'abc', true],
      ['required', 'x', true],
      ['INT', '5', true],
      ['Min(2)', '1', false],
      ['int:min(1)', '1', true],
      ['int:min(1)', '0', false],
      ['int:min(1)', 'one', false],
      ['alpha:length(2)', 'ab', true],
      ['alpha:length(2)', 'a1', false],
      ['alpha:length(2)', 'abc', false],
    ])('{v:%s} against %p matches: %p', (constraint, path, matches) => {
      const template = `{v:${decodeURIComponent(constraint)}}`;
      const values = parseRouteTemplate(template).match(path);
      expect(values === undefined ? false : values.v === decodeURIComponent(path)).toBe(matches);
    });

    it.each<[string, string, Values]>([
      ['{id:int?}', '', {}],
      ['{id:int?}', '5', { id: '5' }],
      ['{id:int?}', 'abc', undefined],
      ['products/{id:int:range(1,100)?}', 'products', {}],
      ['products/{id:int:range(1,100)?}', 'products/100', { id: '100' }],
      ['products/{id:int:range(1,100)?}', 'products/101', undefined],
      ['{v:regex(a=b)}', 'a=b', { v: 'a=b' }],
      ['{v:regex(^x$)=x}', '', { v: 'x' }],
    ])('%p against %p gives %p', (template, path, expected) => {
      expect(parseRouteTemplate(template).match(path)).toEqual(expected);
    });
  });

  describe('complex segments', () => {
    it.each<[string, string, Values]>([
      ['files/{name}.{ext}', 'files/report.pdf', { name: 'report', ext: 'pdf' }],
      ['files/{name}.{ext}', 'files/archive.tar.gz', { name: 'archive.tar', ext: 'gz' }],
      ['files/{name}.{ext}', 'files/report', undefined],
      ['files/{name}.{ext}', 'files/.pdf', undefined],
      ['files/{name}.{ext}', 'files/report.', undefined],
      ['files/{name}.{ext}', 'files/a%2Eb.txt', { name: 'a.b', ext: 'txt' }],
      ['files/{name}.{ext}', 'files/my%20report.pdf', { name: 'my report', ext: 'pdf' }],
      ['{name}.{ext?}', 'readme', { name: 'readme' }],
      ['{name}.{ext?}', 'readme.md', { name: 'readme', ext: 'md' }],
      ['{name}.{ext?}', 'readme.', undefined],
      ['img-{id:int}.png', 'img-5.png', { id: '5' }],
      ['img-{id:int}.png', 'IMG-5.PNG', { id: '5' }],
      ['img-{id:int}.png', 'img-x.png', undefined],
      ['img-{id:int}.png', 'ximg-5.png', undefined],
      ['img-{id:int}.png', 'img-5.pngx', undefined],
      ['img-{id:int}.png', 'img-.png', undefined],
      ['{a}-{b}-{c}', 'x-y-z', { a: 'x', b: 'y', c: 'z' }],
      ['{a}-{b}-{c}', 'w-x-y-z', { a: 'w-x', b: 'y', c: 'z' }],
      ['{a}-{b}-{c}', 'x-y', undefined],
      ['v{version}', 'v2', { version: '2' }],
      ['v{version}', 'V2', { version: '2' }],
      ['v{version}', 'v', undefined],
      ['{version}v', 'v', undefined],
      ['{a}.{b}/x', 'p.q/x', { a: 'p', b: 'q' }],
      ['{a}.{b}/x', 'x', undefined],
    ])('%p against %p gives %p', (template, path, expected) => {
      expect(parseRouteTemplate(template).match(path)).toEqual(expected);
    });
  });

  describe('invalid templates', () => {
    it.each<[string, RegExp]>([
      ['{', /no matching '}'/],
      ['a/{id', /no matching '}'/],
      ['a}', /no matching '{'/],
      ['{}', /name cannot be empty/],
      ['{?}', /parameter name '' is invalid/],
      ['{*}', /parameter name '' is invalid/],
      ['{a/b}', /parameter name 'a\/b' is invalid/],
      ['{a*}', /parameter name 'a\*' is invalid/],
      ['{a?b}', /parameter name 'a\?b' is invalid/],
      ['a//b', /twice in a row/],
      ['//a', /twice in a row/],
      ['~a', /'~'/],
      ['a?b', /literal 'a\?b' cannot contain '\?'/],
      ['{a}/{A}', /'A' appears more than once/],
      ['{a}{b}', /two parameters in a row/],
      ['{*rest}/x', /catch-all parameter can only appear as the last segment/],
      ['x/{*a}.txt', /catch-all must be a whole segment/],
      ['{*a?}', /catch-all parameter 'a' cannot be marked optional/],
      ['{a=x?}', /optional parameter 'a' cannot also have a default value/],
      ['{a?}.{b}', /optional parameter 'a' must be the last part/],
      ['{a}-{b?}', /only a period \(\.\) can precede/],
      ['{a:foo}', /constraint 'foo' on parameter 'a' is unknown/],
      ['{a:int(5)}', /'int\(5\)' .* takes no arguments/],
      ['{a:min}', /'min' .* takes 1 integer argument/],
      ['{a:min(x)}', /'x' is not an integer/],
      ['{a:range(1)}', /takes 2 integer arguments/],
      ['{a:range(5,1)}', /maximum 1 is less than the minimum 5/],
      ['{a:length(5,2)}', /maximum 2 is less than the minimum 5/],
      ['{a:length(1,2,3)}', /takes 2 integer arguments/],
      ['{a:minlength(-1)}', /-1 is not a valid length/],
      ['{a:regex}', /needs a pattern/],
      ['{a:regex([)}', /not a valid regular expression/],
      ['{a:regex(^\\d{3}$)}', /'\{' inside a parameter must be escaped/],
      // As in ASP.NET, a ')' followed by ':' ends the constraint, so this splits after '(a|b)'.
      ['{a:regex(^(a|b):c$)}', /'regex\(\^\(a\|b\)' .* not a valid regular expression/],
    ])('%p is rejected (%p)', (template, message) => {
      let thrown: unknown;
      try {
        parseRouteTemplate(template);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RouteTemplateError);
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).name).toBe('RouteTemplateError');
      expect((thrown as Error).message).toContain(`'${template}'`);
      expect((thrown as Error).message).toMatch(message);
    });
  });
});

describe('compareRoutePrecedence', () => {
  const sortTemplates = (templates: readonly string[]): string[] =>
    templates
      .map(parseRouteTemplate)
      .sort(compareRoutePrecedence)
      .map((route) => route.template);

  const mostSpecificFirst = [
    'products',
    'products/new',
    'products/{id:int}',
    'products/{id}',
    'products/{id?}',
    'products/{*path:regex(.+)}',
    'products/{*path}',
    '{area:alpha}/{id}',
    '{a}/{b}',
    '{controller}/{action?}',
    '{*rest}',
  ];

  it.each([
    ['reversed', [...mostSpecificFirst].reverse()],
    ['shuffled', [5, 9, 0, 3, 10, 7, 1, 8, 2, 6, 4].map((i) => mostSpecificFirst[i]!)],
    ['already sorted', mostSpecificFirst],
  ])('orders a %s list most specific first', (_label, input) => {
    expect(sortTemplates(input)).toEqual(mostSpecificFirst);
  });

  it.each<[string, string, -1 | 0 | 1]>([
    ['a', '{x}', -1],
    ['a', '{x:int}', -1],
    ['{x:int}', '{x}', -1],
    ['{x:int:min(1)}', '{x:int}', 0],
    ['{x}', '{x?}', -1],
    ['{x}', '{x=1}', -1],
    ['{x?}', '{*x}', -1],
    ['{x:int?}', '{x}', -1],
    ['{*x:int}', '{*x}', -1],
    ['{x}.{y}', '{x}', -1],
    ['{x}.{y}', '{x:int}', 0],
    ['{x}.{y}', '{x}.{y?}', -1],
    ['a/b', 'a/{x}', -1],
    ['a/{x}', '{x}/a', -1],
    ['a', 'a/b', -1],
    ['a', 'a/{x?}', -1],
    ['a', 'a/{*x}', -1],
    ['{x}', '{y}', 0],
    ['A', 'b', 0],
    ['', 'a', -1],
    ['', '', 0],
  ])('compares %p with %p as %p, and the reverse as its opposite', (a, b, expected) => {
    const first = parseRouteTemplate(a);
    const second = parseRouteTemplate(b);
    expect(Math.sign(compareRoutePrecedence(first, second))).toBe(expected);
    expect(Math.sign(compareRoutePrecedence(second, first))).toBe(expected === 0 ? 0 : -expected);
  });

  it('keeps templates of equal precedence in their input order under a stable sort', () => {
    expect(sortTemplates(['{b}', 'x/{id:int}', '{a}', 'x/{n}.{e}'])).toEqual(['x/{id:int}', 'x/{n}.{e}', '{b}', '{a}']);
  });

  it('accepts any object implementing RouteTemplate, by parsing its template', () => {
    const foreign: RouteTemplate = { template: 'products/{id:int}', match: () => undefined };
    expect(compareRoutePrecedence(foreign, parseRouteTemplate('products/{id}'))).toBeLessThan(0);
    expect(compareRoutePrecedence(parseRouteTemplate('products/new'), foreign)).toBeLessThan(0);
  });
});
