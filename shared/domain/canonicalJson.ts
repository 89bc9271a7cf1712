import { createHash } from 'node:crypto';
import { DomainError } from './errors';
import type { Operation } from './model';

/**
 * The canonical JSON text of `value`: object keys sorted (by UTF-16 code units, recursively), no
 * insignificant whitespace, object members whose value is `undefined` dropped, arrays in their
 * order, strings and numbers exactly as `JSON.stringify` writes them. Equal JSON values give equal
 * text whatever their key order.
 *
 * Accepts only JSON data: null, booleans, finite numbers, strings, arrays and plain objects. Throws
 * `invalid_request` for anything else (NaN, Infinity, bigint, functions, symbols, `undefined` as an
 * array element or as the whole value, class instances such as `Date`, cycles), naming where it is.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text` (64 characters). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The operation's identity: hex SHA-256 of its canonical JSON. What completion executes must have
 * the hash that was approved.
 */
export function operationHash(operation: Operation): string {
  return sha256Hex(canonicalJson(operation));
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `${String(value)} is not a finite number`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return writeContainer(value, path, ancestors);
    default:
      throw notJson(path, `a value of type ${typeof value} is not JSON`);
  }
}

function writeContainer(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw notJson(path, 'the value contains itself');
  ancestors.add(value);
  let text: string;
  if (Array.isArray(value)) {
    text = `[${value.map((element: unknown, index) => write(element, `${path}[${index}]`, ancestors)).join(',')}]`;
  } else {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null)
      throw notJson(path, 'only plain objects are JSON objects');
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${write(record[key], `${path}.${key}`, ancestors)}`);
    text = `{${members.join(',')}}`;
  }
  ancestors.delete(value);
  return text;
}

function notJson(path: string, reason: string): DomainError {
  return new DomainError('invalid_request', `not canonical JSON at ${path}: ${reason}`);
}
