/**
 * The OData query options the local Intune tenant honours on collections: `$filter` (comparisons
 * joined by `and`, `contains` and `startswith`), `$select`, and paging with `$top` and
 * `$skiptoken` as Graph pages (`@odata.nextLink`).
 */

/** A row predicate, or the reason the filter is not understood. */
export type FilterResult =
  { ok: true; test: (row: Record<string, unknown>) => boolean } | { ok: false; reason: string };

const COMPARISON = /^([A-Za-z_][\w/]*)\s+(eq|ne|ge|gt|le|lt)\s+(.+)$/i;
const FUNCTION = /^(contains|startswith|endswith)\(\s*([A-Za-z_][\w/]*)\s*,\s*'((?:[^']|'')*)'\s*\)$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a `$filter` expression; clauses are joined by `and` (string literals may hold ` and `). */
export function parseFilter(expression: string): FilterResult {
  const clauses = splitAnd(expression.trim());
  const tests: ((row: Record<string, unknown>) => boolean)[] = [];
  for (const clause of clauses) {
    const fn = FUNCTION.exec(clause);
    if (fn) {
      const [, name, field, literal] = fn;
      const wanted = literal!.replace(/''/g, "'").toLowerCase();
      const path = field!.split('/');
      tests.push((row) => {
        const value = valueAt(row, path);
        if (typeof value !== 'string') return false;
        const text = value.toLowerCase();
        const op = name!.toLowerCase();
        return op === 'contains'
          ? text.includes(wanted)
          : op === 'startswith'
            ? text.startsWith(wanted)
            : text.endsWith(wanted);
      });
      continue;
    }
    const comparison = COMPARISON.exec(clause);
    if (!comparison) return { ok: false, reason: `Invalid filter clause: '${clause}'.` };
    const [, field, operator, raw] = comparison;
    const literal = parseLiteral(raw!.trim());
    if (literal === undefined) return { ok: false, reason: `Invalid filter clause: '${clause}'.` };
    // Worked out once per filter, not once per row: a list tests every row of the collection.
    const path = field!.split('/');
    const op = operator!.toLowerCase();
    const right: Literal =
      literal.kind === 'string' ? { kind: 'string', value: (literal.value as string).toLowerCase() } : literal;
    tests.push((row) => compare(valueAt(row, path), op, right));
  }
  return { ok: true, test: (row) => tests.every((test) => test(row)) };
}

type Literal = { kind: 'string' | 'date' | 'number' | 'boolean' | 'null'; value: string | number | boolean | null };

function parseLiteral(raw: string): Literal | undefined {
  if (/^'(?:[^']|'')*'$/.test(raw)) return { kind: 'string', value: raw.slice(1, -1).replace(/''/g, "'") };
  if (DATE_TIME.test(raw)) return { kind: 'date', value: Date.parse(raw) };
  if (raw === 'true' || raw === 'false') return { kind: 'boolean', value: raw === 'true' };
  if (raw === 'null') return { kind: 'null', value: null };
  if (/^-?\d+(\.\d+)?$/.test(raw)) return { kind: 'number', value: Number(raw) };
  return undefined;
}

function compare(value: unknown, operator: string, literal: Literal): boolean {
  let left: string | number | boolean | null;
  const right = literal.value;
  if (literal.kind === 'date') {
    if (typeof value !== 'string') return false;
    left = Date.parse(value);
    if (Number.isNaN(left)) return false;
  } else if (literal.kind === 'string') {
    if (typeof value !== 'string') return operator === 'ne';
    // Intune compares strings without regard to case (the literal comes lower-cased).
    left = value.toLowerCase();
  } else {
    left = (value ?? null) as string | number | boolean | null;
  }
  switch (operator) {
    case 'eq':
      return left === right;
    case 'ne':
      return left !== right;
    case 'ge':
      return left !== null && right !== null && left >= right;
    case 'gt':
      return left !== null && right !== null && left > right;
    case 'le':
      return left !== null && right !== null && left <= right;
    default:
      return left !== null && right !== null && left < right;
  }
}

function valueAt(row: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = row;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function splitAnd(expression: string): string[] {
  const clauses: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < expression.length; i += 1) {
    const char = expression[i]!;
    if (char === "'") quoted = !quoted;
    if (!quoted && /^\s+and\s+/i.test(expression.slice(i)) && /\s/.test(char)) {
      const match = /^\s+and\s+/i.exec(expression.slice(i))!;
      clauses.push(current.trim());
      current = '';
      i += match[0].length - 1;
      continue;
    }
    current += char;
  }
  clauses.push(current.trim());
  return clauses.map((clause) => clause.replace(/^\((.*)\)$/, '$1').trim());
}

/** The fields `$select` names (id always), or undefined to keep every field. */
export function selectedFields(url: URL): string[] | undefined {
  const select = url.searchParams.get('$select');
  if (select === null) return undefined;
  return select
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean);
}

/** The object with only `select`ed fields, `id` and `@odata.type` kept. */
export function applySelect(object: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  if (!select) return object;
  // A loop rather than entries, filter and fromEntries: a list applies it to every row of a page.
  const selected: Record<string, unknown> = {};
  for (const field of Object.keys(object))
    if (field === 'id' || field === '@odata.type' || select.includes(field)) selected[field] = object[field];
  return selected;
}

/** Graph's default and largest page sizes for Intune collections. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** One page of `rows` and the next link, or the reason the paging options are invalid. */
export function page<T>(
  url: URL,
  rows: readonly T[],
): { ok: true; value: T[]; nextLink?: string } | { ok: false; reason: string } {
  const topText = url.searchParams.get('$top');
  const skipText = url.searchParams.get('$skiptoken');
  const top = topText === null ? DEFAULT_PAGE : Number(topText);
  const skip = skipText === null ? 0 : Number(skipText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE)
    return {
      ok: false,
      reason: `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE} inclusive.`,
    };
  if (!Number.isInteger(skip) || skip < 0) return { ok: false, reason: 'The $skiptoken is not valid.' };
  const value = rows.slice(skip, skip + top);
  if (skip + top >= rows.length) return { ok: true, value };
  const next = new URL(url.href);
  next.searchParams.set('$top', String(top));
  next.searchParams.set('$skiptoken', String(skip + top));
  return { ok: true, value, nextLink: next.href };
}
