import { readFileSync } from 'node:fs';
import path from 'node:path';
import { API_OPERATIONS } from '../../../shared/api/openapi';
import { DOMAIN_ERROR_CODES, DomainError } from '../../../shared/domain/errors';
import { ERROR_CODES, isErrorCode, statusOf, type ErrorCode } from '../../../shared/errors/registry';
import { HttpError, problemFromError } from '../../../shared/http/problem';
import {
  AUTH_ERROR_CODES,
  AuthError,
  IDENTITY_UNAVAILABLE_CODES,
  IdentityUnavailableError,
} from '../../../shared/identity/errors';
import { LINK_REFUSALS, LinkError } from '../../../shared/links/refusals';
import { STORE_ERROR_CODES, StoreError } from '../../../shared/store/store';

const docs = (page: string) => readFileSync(path.join(__dirname, '..', '..', '..', 'docs', page), 'utf8');

/** The `code -> status` rows of the tables in `page`'s section headed `heading`, up to the next section. */
function documentedTable(page: string, heading: string): Map<string, number> {
  const text = docs(page);
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/${page} has no "${heading}" section`);
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? text.length : end);
  const rows = new Map<string, number>();
  for (const line of section.split('\n')) {
    const [, codes, status] = line.split('|').map((cell) => cell.trim());
    if (codes === undefined || !/^\d{3}$/.test(status ?? '')) continue;
    for (const [, code] of codes.matchAll(/`([a-z0-9_]+)`/g)) rows.set(code!, Number(status));
  }
  return rows;
}

const registry = Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][];
const codesOn = (surface: 'api' | 'ops' | 'links') =>
  registry.filter(([, info]) => (info.surfaces as readonly string[]).includes(surface)).map(([code]) => code);

describe('the error registry and the documented error tables', () => {
  const apiTable = documentedTable('api.md', '## Errors');
  const linkTable = documentedTable('approval-links.md', '## Refusals');

  it('documents every API and ops code in the error table, with its status', () => {
    const api = [...new Set([...codesOn('api'), ...codesOn('ops')])];
    expect(api.filter((code) => apiTable.get(code) !== statusOf(code))).toEqual([]);
  });

  it('lists in the error table no code the registry lacks or gives another status', () => {
    expect([...apiTable].filter(([code, status]) => !isErrorCode(code) || statusOf(code) !== status)).toEqual([]);
  });

  it('documents every link page code in the link refusal table, with its status, and no other', () => {
    const links = codesOn('links');
    expect(links.filter((code) => linkTable.get(code) !== statusOf(code))).toEqual([]);
    expect([...linkTable.keys()].filter((code) => !(links as string[]).includes(code))).toEqual([]);
  });

  it('documents every problem code the OpenAPI document lists', () => {
    const listed = new Set(API_OPERATIONS.flatMap((operation) => operation.problems ?? []));
    expect([...listed].filter((code) => !apiTable.has(code))).toEqual([]);
  });
});

describe('the error registry and the typed errors', () => {
  it('holds every code a typed error may carry but the store-internal audit_mismatch', () => {
    const carried = [
      ...DOMAIN_ERROR_CODES,
      ...STORE_ERROR_CODES.filter((code) => code !== 'audit_mismatch'),
      ...AUTH_ERROR_CODES,
      ...IDENTITY_UNAVAILABLE_CODES,
      ...Object.keys(LINK_REFUSALS),
    ];
    expect(carried.filter((code) => !isErrorCode(code))).toEqual([]);
  });

  it('gives link page wording only to codes a link page may answer with', () => {
    expect(Object.keys(LINK_REFUSALS).filter((code) => !codesOn('links').includes(code as ErrorCode))).toEqual([]);
  });
});

describe('problemFromError and the registry', () => {
  it.each(registry.map(([code, info]) => [code, info.status, info.title] as const))(
    'an HttpError %s answers %i',
    (code, status, title) => {
      expect(problemFromError(new HttpError(code))).toEqual({ status, code, title });
    },
  );

  it.each(DOMAIN_ERROR_CODES.map((code) => [code, statusOf(code)] as const))(
    'a DomainError %s answers %i with its message as detail',
    (code, status) => {
      expect(problemFromError(new DomainError(code, `because ${code}`))).toEqual({
        status,
        code,
        title: ERROR_CODES[code].title,
        detail: `because ${code}`,
      });
    },
  );

  it.each(STORE_ERROR_CODES.filter((code) => code !== 'audit_mismatch').map((code) => [code, statusOf(code)] as const))(
    'a StoreError %s answers %i',
    (code, status) => {
      expect(problemFromError(new StoreError(code, 'x'))).toMatchObject({ status, code });
    },
  );

  it.each(AUTH_ERROR_CODES.map((code) => [code, statusOf(code)] as const))(
    'an AuthError %s answers %i',
    (code, status) => {
      expect(problemFromError(new AuthError(code, 'x'))).toMatchObject({ status, code });
    },
  );

  it.each(Object.keys(LINK_REFUSALS).map((code) => [code, statusOf(code as ErrorCode)] as const))(
    'a LinkError %s answers %i',
    (code, status) => {
      expect(problemFromError(new LinkError(code as keyof typeof LINK_REFUSALS))).toMatchObject({ status, code });
    },
  );

  it.each(IDENTITY_UNAVAILABLE_CODES.map((code) => [code, statusOf(code)] as const))(
    'an IdentityUnavailableError %s answers %i, naming no upstream detail',
    (code, status) => {
      const problem = problemFromError(new IdentityUnavailableError(code, 'https://graph.example/secret-path 500'));
      expect(problem).toMatchObject({ status, code });
      expect(JSON.stringify(problem)).not.toMatch(/graph\.example|secret/);
    },
  );

  it.each<[string, unknown]>([
    ['a plain Error carrying a known code', Object.assign(new Error('row 42 of requests'), { code: 'conflict' })],
    ['a store error internal to the store', new StoreError('audit_mismatch', 'seq 7 taken at db.ts:42')],
    ['a typed name with an unknown code', { name: 'DomainError', code: 'teapot', message: 'x' }],
    [
      'an error of another kind with a status',
      Object.assign(new Error('x'), { name: 'SqliteError', code: 'not_found', status: 404 }),
    ],
    ['a TypeError', new TypeError('secret stack detail at db.ts:42')],
    ['a string', 'expired'],
  ])('answers %s with a 500 that reveals nothing', (_, error) => {
    const problem = problemFromError(error);
    expect(problem).toEqual({ status: 500, code: 'internal_error', title: 'Something went wrong on our side' });
  });
});
