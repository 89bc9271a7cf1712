/**
 * Route templates as Azure Functions HTTP triggers use them (the ASP.NET Core route template
 * syntax): literal segments, `{name}`, `{name?}`, `{name=default}`, inline constraints such as
 * `{id:int:min(1)}`, catch-alls `{*rest}` / `{**rest}`, and complex segments like `{name}.{ext}`.
 */

/** Thrown by {@link parseRouteTemplate} for a template it cannot accept; the message quotes the template. */
export class RouteTemplateError extends Error {
  override name = 'RouteTemplateError';
}

/** A parsed route template. Immutable; `match` is pure and never throws. */
export interface RouteTemplate {
  /** The template exactly as given to {@link parseRouteTemplate}. */
  readonly template: string;
  /**
   * path: the request path after the route prefix, without leading '/', not yet percent-decoded,
   * no query string. Returns decoded param values, or undefined when it does not match.
   *
   * Holds: keys use the template's spelling of each parameter name; a parameter that is optional
   * and absent has no key; a parameter with a default that is absent maps to its default; every
   * value present satisfies all of its parameter's constraints. One leading and one trailing '/'
   * are ignored; an empty segment inside the path never matches a parameter or literal.
   */
  match(path: string): Record<string, string> | undefined;
}

interface Constraint {
  /** The constraint as written, e.g. `min(1)`. */
  readonly text: string;
  readonly test: (value: string) => boolean;
}

interface LiteralPart {
  readonly kind: 'literal';
  readonly text: string;
}

interface ParameterPart {
  readonly kind: 'parameter';
  readonly name: string;
  readonly optional: boolean;
  readonly catchAll: boolean;
  readonly defaultValue: string | undefined;
  readonly constraints: readonly Constraint[];
}

type Part = LiteralPart | ParameterPart;

/** A path segment: one part (simple) or several alternating literal/parameter parts (complex). */
type Segment = readonly Part[];

const parsedSegments = new WeakMap<RouteTemplate, readonly Segment[]>();

/**
 * Parses an ASP.NET Core route template.
 *
 * Holds for the result: segments are non-empty; parameter names are unique case-insensitively;
 * a catch-all is the only part of the last segment; an optional parameter is not also defaulted
 * and, inside a complex segment, is the last part and preceded by a '.' literal; no segment has
 * two adjacent parameters; every constraint name and argument list was valid. One leading '/'
 * (or '~/') and one trailing '/' are ignored. `{{` and `}}` stand for literal braces.
 *
 * `regex(...)` constraints are unanchored (as `Regex.IsMatch` in ASP.NET Core): write `^...$` to
 * match the whole value. Deliberate difference from ASP.NET Core: values are percent-decoded
 * segment by segment, so `%2F` yields '/' inside a value instead of staying encoded.
 *
 * @throws RouteTemplateError when the template is malformed or uses an unknown constraint.
 */
export function parseRouteTemplate(template: string): RouteTemplate {
  if (typeof template !== 'string') throw new RouteTemplateError('a route template must be a string');
  const segments = parseSegments(template);
  const route: RouteTemplate = {
    template,
    match: (path) => matchSegments(segments, path),
  };
  Object.freeze(route);
  parsedSegments.set(route, segments);
  return route;
}

/**
 * Sort comparator putting more specific templates first, following ASP.NET Core's inbound route
 * precedence: segment by segment, literal < complex segment = constrained parameter < parameter
 * < constrained catch-all < catch-all, a template that has run out of segments sorts before one
 * that still has some; if that ties, a segment whose parameter may be absent (optional or
 * defaulted) sorts after one whose parameter is required.
 *
 * Holds: antisymmetric and transitive; returns 0 for templates of equal precedence, so a stable
 * sort (`Array.prototype.sort`) keeps their input order.
 */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const segmentsA = segmentsOf(a);
  const segmentsB = segmentsOf(b);
  const length = Math.max(segmentsA.length, segmentsB.length);
  for (let i = 0; i < length; i++) {
    const digitA = precedenceDigit(segmentsA[i]);
    const digitB = precedenceDigit(segmentsB[i]);
    if (digitA !== digitB) return digitA - digitB;
  }
  for (let i = 0; i < length; i++) {
    const optionalA = mayBeAbsent(segmentsA[i]);
    const optionalB = mayBeAbsent(segmentsB[i]);
    if (optionalA !== optionalB) return optionalA ? 1 : -1;
  }
  return 0;
}

function segmentsOf(route: RouteTemplate): readonly Segment[] {
  // Templates parsed here are cached; anything else implementing the interface is parsed again.
  return parsedSegments.get(route) ?? parseSegments(route.template);
}

function precedenceDigit(segment: Segment | undefined): number {
  if (segment === undefined) return 0;
  if (segment.length > 1) return 2;
  const part = segment[0]!;
  if (part.kind === 'literal') return 1;
  const digit = part.catchAll ? 5 : 3;
  return part.constraints.length > 0 ? digit - 1 : digit;
}

function mayBeAbsent(segment: Segment | undefined): boolean {
  return (
    segment !== undefined &&
    segment.some((part) => part.kind === 'parameter' && (part.optional || part.defaultValue !== undefined))
  );
}

function fail(template: string, problem: string): never {
  throw new RouteTemplateError(`invalid route template '${template}': ${problem}`);
}

function parseSegments(template: string): Segment[] {
  let text = template;
  if (text.startsWith('~/')) text = text.slice(2);
  else if (text.startsWith('/')) text = text.slice(1);
  else if (text.startsWith('~')) fail(template, "it may start with '~/' but not with '~' alone");

  const segments: Segment[] = [];
  const names = new Set<string>();
  let i = 0;
  while (i < text.length) {
    if (text[i] === '/') fail(template, "the separator '/' cannot appear twice in a row");
    const parts: Part[] = [];
    while (i < text.length && text[i] !== '/') {
      if (text[i] === '{' && text[i + 1] !== '{') {
        const [inner, next] = readParameterText(template, text, i);
        i = next;
        const parameter = parseParameter(template, inner);
        const key = parameter.name.toLowerCase();
        if (names.has(key)) fail(template, `the parameter name '${parameter.name}' appears more than once`);
        names.add(key);
        parts.push(parameter);
      } else {
        const [literal, next] = readLiteralText(template, text, i);
        i = next;
        parts.push(literal);
      }
    }
    validateSegment(template, parts);
    segments.push(parts);
    // Skip the separator that ended this segment; a trailing one leaves nothing to parse.
    if (i < text.length) i++;
  }

  segments.forEach((segment, index) => {
    const catchAll = segment.find((part) => part.kind === 'parameter' && part.catchAll);
    if (catchAll !== undefined && index !== segments.length - 1) {
      fail(template, 'a catch-all parameter can only appear as the last segment');
    }
  });
  return segments;
}

/** Reads `{...}` starting at `start`; returns the unescaped inside and the index after the '}'. */
function readParameterText(template: string, text: string, start: number): [string, number] {
  let inner = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) fail(template, "a '{' has no matching '}'");
    const c = text[i]!;
    if (c === '{') {
      if (text[i + 1] === '{') {
        inner += '{';
        i += 2;
        continue;
      }
      fail(template, "a '{' inside a parameter must be escaped as '{{'");
    }
    if (c === '}') {
      if (text[i + 1] === '}') {
        inner += '}';
        i += 2;
        continue;
      }
      return [inner, i + 1];
    }
    inner += c;
    i++;
  }
}

function readLiteralText(template: string, text: string, start: number): [LiteralPart, number] {
  let literal = '';
  let i = start;
  while (i < text.length && text[i] !== '/') {
    const c = text[i]!;
    if (c === '{') {
      if (text[i + 1] !== '{') break;
      literal += '{';
      i += 2;
      continue;
    }
    if (c === '}') {
      if (text[i + 1] !== '}') fail(template, "a '}' has no matching '{' (write '}}' for a literal brace)");
      literal += '}';
      i += 2;
      continue;
    }
    literal += c;
    i++;
  }
  if (literal.includes('?')) fail(template, `the literal '${literal}' cannot contain '?'`);
  return [{ kind: 'literal', text: literal }, i];
}

function parseParameter(template: string, inner: string): ParameterPart {
  if (inner.length === 0) fail(template, 'a parameter name cannot be empty');
  let start = 0;
  let end = inner.length - 1;
  let catchAll = false;
  if (inner.startsWith('**')) {
    catchAll = true;
    start = 2;
  } else if (inner.startsWith('*')) {
    catchAll = true;
    start = 1;
  }
  let optional = false;
  if (inner[end] === '?') {
    optional = true;
    end--;
  }

  // The name runs up to the first ':' or '=' (a name may itself start with one of them).
  let cursor = start;
  let name = '';
  while (cursor <= end) {
    const c = inner[cursor];
    if ((c === ':' || c === '=') && cursor !== start) {
      name = inner.slice(start, cursor);
      break;
    }
    cursor++;
  }
  if (cursor > end) name = inner.slice(start, end + 1);

  const [constraintTexts, afterConstraints] = splitConstraints(inner, cursor, end);
  let defaultValue: string | undefined;
  if (afterConstraints <= end && inner[afterConstraints] === '=') {
    defaultValue = inner.slice(afterConstraints + 1, end + 1);
  }

  if (name.length === 0 || /[/{}?*]/.test(name)) {
    fail(
      template,
      `the parameter name '${name}' is invalid: names must be non-empty and cannot contain '/', '{', '}', '?' or '*' ` +
        "('*' may only start a catch-all, '?' may only end an optional parameter)",
    );
  }
  if (catchAll && optional) fail(template, `the catch-all parameter '${name}' cannot be marked optional`);
  if (optional && defaultValue !== undefined) {
    fail(template, `the optional parameter '${name}' cannot also have a default value`);
  }
  const constraints = constraintTexts.map((text) => resolveConstraint(template, name, text));
  return { kind: 'parameter', name, optional, catchAll, defaultValue, constraints };
}

/**
 * Splits the constraint list that starts at `from` (at a ':' or '=' or past `end`). Returns the
 * constraint texts and the index where the default value (`=...`) starts, if any.
 */
function splitConstraints(text: string, from: number, end: number): [string[], number] {
  // Mirrors ASP.NET's state machine so that ':' '=' and ')' inside regex(...) arguments work the
  // same way: a ')' only closes an argument list when the end, a ':' or a '=' follows it.
  const constraints: string[] = [];
  let state: 'start' | 'name' | 'parens' | 'end' = 'start';
  let cursor = from;
  let start = from;
  const at = (index: number): string | undefined => (index > end ? undefined : text[index]);
  const addName = (upTo: number): void => {
    const constraint = text.slice(start, upTo);
    if (constraint.length > 0) constraints.push(constraint);
  };
  do {
    const c = at(cursor);
    switch (state) {
      case 'start':
        if (c === undefined) state = 'end';
        else if (c === ':') {
          state = 'name';
          start = cursor + 1;
        } else if (c === '(') state = 'parens';
        else if (c === '=') {
          state = 'end';
          cursor--;
        }
        break;
      case 'parens':
        if (c === undefined) {
          state = 'end';
          constraints.push(text.slice(start, cursor));
        } else if (c === ')') {
          const next = at(cursor + 1);
          if (next === undefined || next === '=') {
            state = 'end';
            constraints.push(text.slice(start, cursor + 1));
          } else if (next === ':') {
            state = 'start';
            constraints.push(text.slice(start, cursor + 1));
            start = cursor + 1;
          }
        } else if (c === ':' || c === '=') {
          const closing = text.indexOf(')', cursor + 1);
          if (closing === -1 || closing > end) {
            constraints.push(text.slice(start, cursor));
            if (c === ':') {
              state = 'name';
              start = cursor + 1;
            } else {
              state = 'end';
              cursor--;
            }
          } else {
            cursor = closing - 1;
          }
        }
        break;
      case 'name':
        if (c === undefined) {
          state = 'end';
          addName(cursor);
        } else if (c === ':') {
          addName(cursor);
          start = cursor + 1;
        } else if (c === '(') state = 'parens';
        else if (c === '=') {
          state = 'end';
          addName(cursor);
          cursor--;
        }
        break;
    }
    cursor++;
  } while (state !== 'end');
  return [constraints, cursor];
}

function validateSegment(template: string, parts: Part[]): void {
  if (parts.length <= 1) return;
  const shown = parts.map((part) => (part.kind === 'literal' ? part.text : `{${part.name}}`)).join('');
  parts.forEach((part, index) => {
    if (part.kind !== 'parameter') return;
    if (part.catchAll) {
      fail(
        template,
        `the segment '${shown}' mixes a catch-all parameter with other parts; a catch-all must be a whole segment`,
      );
    }
    if (index > 0 && parts[index - 1]!.kind === 'parameter') {
      fail(template, `the segment '${shown}' has two parameters in a row; separate them with '/' or a literal`);
    }
    if (part.optional) {
      if (index !== parts.length - 1) {
        fail(template, `in the segment '${shown}', the optional parameter '${part.name}' must be the last part`);
      }
      const previous = parts[index - 1]!;
      if (previous.kind !== 'literal' || previous.text !== '.') {
        fail(
          template,
          `in the segment '${shown}', only a period (.) can precede the optional parameter '${part.name}'`,
        );
      }
    }
  });
}

const DOTNET_WHITESPACE = '[\\t\\n\\v\\f\\r ]*';
const INTEGER = new RegExp(`^${DOTNET_WHITESPACE}([+-]?)(\\d+)${DOTNET_WHITESPACE}$`);
const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_MAX = 79228162514264337593543950335n;
const MANTISSA = '(\\d[\\d,]*(?:\\.\\d*)?|\\.\\d+)';
const FLOAT = new RegExp(`^${DOTNET_WHITESPACE}[+-]?${MANTISSA}(?:[eE][+-]?\\d+)?${DOTNET_WHITESPACE}$`);
const FLOAT_SYMBOL = new RegExp(`^${DOTNET_WHITESPACE}[+-]?(?:infinity|∞|nan)${DOTNET_WHITESPACE}$`, 'i');
const DECIMAL = new RegExp(`^${DOTNET_WHITESPACE}([+-]?)${MANTISSA}([+-]?)${DOTNET_WHITESPACE}$`);
const GUID_FORMS = [
  /^[0-9a-f]{32}$/i,
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i,
  /^\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)$/i,
  /^\{0x[0-9a-f]{1,8},0x[0-9a-f]{1,4},0x[0-9a-f]{1,4},\{0x[0-9a-f]{1,2}(?:,0x[0-9a-f]{1,2}){7}\}\}$/i,
];

/** Parses like .NET's integer TryParse with the invariant culture; undefined when not an integer in range. */
function parseInteger(value: string, min: bigint, max: bigint): bigint | undefined {
  const match = INTEGER.exec(value);
  if (match === null) return undefined;
  const parsed = BigInt(match[2]!) * (match[1] === '-' ? -1n : 1n);
  return parsed >= min && parsed <= max ? parsed : undefined;
}

const parseLong = (value: string): bigint | undefined => parseInteger(value, INT64_MIN, INT64_MAX);

function isDecimal(value: string): boolean {
  const match = DECIMAL.exec(value);
  if (match === null || (match[1] !== '' && match[3] !== '')) return false;
  const integerDigits = match[2]!.split('.')[0]!.replace(/,/g, '');
  return integerDigits === '' || BigInt(integerDigits) <= DECIMAL_MAX;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const DATE_PART = String.raw`(?:(\d{4})[-/](\d{1,2})[-/](\d{1,2})|(\d{1,2})/(\d{1,2})/(\d{4}))`;
const TIME_PART = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?(?:\s*([AaPp][Mm]))?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?`;
const DATE_TIME = new RegExp(`^\\s*(?:${DATE_PART}(?:(?:T|\\s+)${TIME_PART})?|${TIME_PART})\\s*$`);

/** An approximation of .NET's invariant DateTime.TryParse: ISO 8601 and US (M/d/yyyy) dates, optional time. */
function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (m === null) return false;
  const year = Number(m[1] ?? m[6] ?? 2000);
  const month = Number(m[2] ?? m[4] ?? 1);
  const day = Number(m[3] ?? m[5] ?? 1);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  const hour = m[7] ?? m[11];
  if (hour === undefined) return true;
  const minute = Number(m[8] ?? m[12]);
  const second = Number(m[9] ?? m[13] ?? 0);
  const meridiem = m[10] ?? m[14];
  const maxHour = meridiem === undefined ? 23 : 12;
  return Number(hour) <= maxHour && minute <= 59 && second <= 59;
}

type ConstraintFactory = (args: string | undefined, fail: (problem: string) => never) => (value: string) => boolean;

function noArguments(test: (value: string) => boolean): ConstraintFactory {
  return (args, fail) => {
    if (args !== undefined) fail('takes no arguments');
    return test;
  };
}

function integerArguments(
  count: number,
  build: (args: bigint[], fail: (problem: string) => never) => (value: string) => boolean,
): ConstraintFactory {
  return (args, fail) => {
    const parts = args === undefined ? [] : args.split(',');
    if (parts.length !== count) fail(`takes ${count} integer argument${count === 1 ? '' : 's'}`);
    const numbers = parts.map((part) => {
      const parsed = parseLong(part.trim());
      return parsed ?? fail(`'${part}' is not an integer`);
    });
    return build(numbers, fail);
  };
}

function nonNegative(n: bigint, fail: (problem: string) => never): number {
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${n} is not a valid length`);
  return Number(n);
}

const CONSTRAINTS: ReadonlyMap<string, ConstraintFactory> = new Map<string, ConstraintFactory>([
  ['int', noArguments((value) => parseInteger(value, INT32_MIN, INT32_MAX) !== undefined)],
  ['long', noArguments((value) => parseLong(value) !== undefined)],
  ['bool', noArguments((value) => /^\s*(true|false)\s*$/i.test(value))],
  ['datetime', noArguments(isDateTime)],
  ['decimal', noArguments(isDecimal)],
  // .NET Core parses out-of-range floating-point text to ±Infinity instead of failing.
  ['double', noArguments((value) => FLOAT.test(value) || FLOAT_SYMBOL.test(value))],
  ['float', noArguments((value) => FLOAT.test(value) || FLOAT_SYMBOL.test(value))],
  ['guid', noArguments((value) => GUID_FORMS.some((form) => form.test(value.trim())))],
  ['alpha', noArguments((value) => /^[a-z]*$/i.test(value))],
  ['required', noArguments((value) => value.length > 0)],
  [
    'minlength',
    integerArguments(1, ([n], fail) => {
      const min = nonNegative(n!, fail);
      return (value) => value.length >= min;
    }),
  ],
  [
    'maxlength',
    integerArguments(1, ([n], fail) => {
      const max = nonNegative(n!, fail);
      return (value) => value.length <= max;
    }),
  ],
  [
    'length',
    (args, fail) => {
      const count = args === undefined ? 0 : args.split(',').length;
      if (count === 1) {
        return integerArguments(1, ([n], fail) => {
          const exact = nonNegative(n!, fail);
          return (value) => value.length === exact;
        })(args, fail);
      }
      return integerArguments(2, ([a, b], fail) => {
        const min = nonNegative(a!, fail);
        const max = nonNegative(b!, fail);
        if (max < min) fail(`the maximum ${max} is less than the minimum ${min}`);
        return (value) => value.length >= min && value.length <= max;
      })(args, fail);
    },
  ],
  [
    'min',
    integerArguments(1, ([min]) => (value) => {
      const n = parseLong(value);
      return n !== undefined && n >= min!;
    }),
  ],
  [
    'max',
    integerArguments(1, ([max]) => (value) => {
      const n = parseLong(value);
      return n !== undefined && n <= max!;
    }),
  ],
  [
    'range',
    integerArguments(2, ([min, max], fail) => {
      if (max! < min!) fail(`the maximum ${max} is less than the minimum ${min}`);
      return (value) => {
        const n = parseLong(value);
        return n !== undefined && n >= min! && n <= max!;
      };
    }),
  ],
  [
    'regex',
    (args, fail) => {
      if (args === undefined) fail('needs a pattern, as in regex(^[a-z]+$)');
      let pattern: RegExp;
      try {
        pattern = new RegExp(args as string, 'i');
      } catch (error) {
        fail(`'${args}' is not a valid regular expression (${(error as Error).message})`);
      }
      return (value) => pattern.test(value);
    },
  ],
]);

function resolveConstraint(template: string, parameter: string, text: string): Constraint {
  const open = text.indexOf('(');
  const hasArguments = open >= 0 && text.endsWith(')');
  const name = hasArguments ? text.slice(0, open) : text;
  const args = hasArguments ? text.slice(open + 1, -1) : undefined;
  const factory = CONSTRAINTS.get(name.toLowerCase());
  const problem = (detail: string): never =>
    fail(template, `the constraint '${text}' on parameter '${parameter}' ${detail}`);
  if (factory === undefined) {
    problem(`is unknown; known constraints are ${[...CONSTRAINTS.keys()].join(', ')}`);
  }
  return { text, test: factory!(args, problem) };
}

function decode(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function equalsIgnoreCase(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

function setValue(values: Record<string, string>, name: string, value: string): void {
  // defineProperty keeps a parameter literally named '__proto__' an ordinary own key.
  Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
}

function matchSegments(segments: readonly Segment[], path: string): Record<string, string> | undefined {
  if (typeof path !== 'string') return undefined;
  let trimmed = path.startsWith('/') ? path.slice(1) : path;
  if (trimmed.endsWith('/')) trimmed = trimmed.slice(0, -1);
  const raw = trimmed === '' ? [] : trimmed.split('/');
  const values: Record<string, string> = {};

  let consumed = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const first = segment[0]!;
    if (first.kind === 'parameter' && first.catchAll) {
      if (i < raw.length) {
        if (raw[i] === '') return undefined;
        const rest = decode(raw.slice(i).join('/'));
        if (rest === undefined) return undefined;
        setValue(values, first.name, rest);
      } else if (first.defaultValue !== undefined) {
        setValue(values, first.name, first.defaultValue);
      }
      consumed = raw.length;
      break;
    }
    if (i >= raw.length) {
      if (segment.length > 1 || first.kind === 'literal') return undefined;
      if (first.defaultValue !== undefined) setValue(values, first.name, first.defaultValue);
      else if (!first.optional) return undefined;
      continue;
    }
    const value = decode(raw[i]!);
    if (value === undefined || value === '') return undefined;
    consumed = i + 1;
    if (segment.length > 1) {
      if (!matchComplexSegment(segment, value, values)) return undefined;
    } else if (first.kind === 'literal') {
      if (!equalsIgnoreCase(value, first.text)) return undefined;
    } else {
      setValue(values, first.name, value);
    }
  }
  if (consumed < raw.length) return undefined;

  for (const segment of segments) {
    for (const part of segment) {
      if (part.kind !== 'parameter' || !Object.prototype.hasOwnProperty.call(values, part.name)) continue;
      const value = values[part.name]!;
      if (!part.constraints.every((constraint) => constraint.test(value))) return undefined;
    }
  }
  return values;
}

/**
 * Matches a segment of several parts right to left, the way ASP.NET does: each literal is found
 * by its last occurrence (case-insensitively) and every parameter must capture at least one
 * character. A trailing `.{x?}` may be left out entirely.
 */
function matchComplexSegment(parts: Segment, segment: string, values: Record<string, string>): boolean {
  const last = parts.length - 1;
  const lastPart = parts[last]!;
  if (lastPart.kind === 'parameter' && lastPart.optional) {
    if (matchComplexParts(parts, segment, values, last)) return true;
    const separator = parts[last - 1] as LiteralPart;
    if (segment.toLowerCase().endsWith(separator.text.toLowerCase())) return false;
    return matchComplexParts(parts, segment, values, last - 2);
  }
  return matchComplexParts(parts, segment, values, last);
}

function matchComplexParts(parts: Segment, segment: string, values: Record<string, string>, lastUsed: number): boolean {
  const lower = segment.toLowerCase();
  const captured: [string, string][] = [];
  let lastIndex = segment.length;
  let pending: ParameterPart | undefined;
  let lastLiteral: LiteralPart | undefined;

  for (let index = lastUsed; index >= 0; index--) {
    const part = parts[index]!;
    let newLastIndex = lastIndex;
    if (part.kind === 'parameter') {
      pending = part;
    } else {
      lastLiteral = part;
      // A pending parameter to the right needs at least one character of its own.
      const searchEnd = pending === undefined ? lastIndex : lastIndex - 1;
      if (searchEnd <= 0) return false;
      const found = lower.slice(0, searchEnd).lastIndexOf(part.text.toLowerCase());
      if (found === -1) return false;
      if (index === parts.length - 1 && found + part.text.length !== segment.length) return false;
      newLastIndex = found;
    }

    if (pending !== undefined && ((lastLiteral !== undefined && part.kind === 'literal') || index === 0)) {
      let start: number;
      let length: number;
      if (lastLiteral === undefined || (index === 0 && part.kind === 'parameter')) {
        start = 0;
        length = lastIndex;
      } else {
        start = newLastIndex + lastLiteral.text.length;
        length = lastIndex - start;
      }
      if (length <= 0) return false;
      captured.push([pending.name, segment.slice(start, start + length)]);
      pending = undefined;
      lastLiteral = undefined;
    }
    lastIndex = newLastIndex;
  }

  // A leading literal must account for the whole start of the segment ("Foo" never matches "xFoo").
  if (lastIndex !== 0 && parts[0]!.kind !== 'parameter') return false;
  for (const [name, value] of captured) setValue(values, name, value);
  return true;
}
