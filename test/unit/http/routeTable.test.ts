import path from 'node:path';
import fg from 'fast-glob';
import { RouteTable } from '../../../shared/http/routeTable';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/**
 * The app's modules in the order the worker loads them (the `main` glob of package.json, sorted),
 * loaded here in that order; resolves with the routes each one recorded.
 */
function loadAppInOrder(): { file: string; added: string[] }[] {
  // Outside a worker the programming model skips each registration with a warning; the route table is what is under test.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const { APP_ROUTES } = require('../../../functions/routes') as typeof import('../../../functions/routes');
  const files = fg.sync('{functions,orchestrations}/**/*.ts', { cwd: repoRoot }).sort();
  const loaded = files.map((file) => {
    const before = APP_ROUTES.routes().length;
    require(path.join(repoRoot, file));
    return {
      file,
      added: APP_ROUTES.routes()
        .slice(before)
        .map((route) => route.name),
    };
  });
  warn.mockRestore();
  return loaded;
}

describe('the app route table', () => {
  const loaded = loadAppInOrder();
  const { APP_ROUTES } = require('../../../functions/routes') as typeof import('../../../functions/routes');

  it('holds every HTTP function of the app, each with its methods', () => {
    const byName = Object.fromEntries(
      APP_ROUTES.routes().map((route) => [route.name, `${route.methods.join(',')} ${route.route}`]),
    );
    expect(byName).toMatchObject({
      submitRequest: 'POST requests',
      listRequests: 'GET requests',
      getRequest: 'GET requests/{id}',
      approveRequest: 'POST requests/{id}/approve',
      getRequestAudit: 'GET requests/{id}/audit',
      listPolicies: 'GET policies',
      deletePolicy: 'DELETE policies/{id}',
      reviewApprovalLink: 'GET approvals/{token}',
      decideApprovalLink: 'POST approvals/{token}',
      health: 'GET health',
      openapi: 'GET openapi.json',
    });
  });

  it.each([
    ['requests', 'GET, POST'],
    ['/requests/', 'GET, POST'],
    ['REQUESTS', 'GET, POST'],
    ['requests/8b1e0c3a', 'GET'],
    ['requests/8b1e0c3a/approve', 'POST'],
    ['requests/8b1e0c3a/audit', 'GET'],
    ['policies/p-1', 'GET, PUT, DELETE'],
    ['approvals/some.token', 'GET, POST'],
    ['health', 'GET'],
  ])('allows at %s: %s', (at, allow) => {
    expect(APP_ROUTES.allowedAt(at).join(', ')).toBe(allow);
  });

  it.each(['', 'nope', 'requests/a/b/c/d', 'requests//approve', 'healthz', 'health/extra'])(
    'knows no route at "%s"',
    (at) => {
      expect(APP_ROUTES.allowedAt(at)).toEqual([]);
    },
  );

  it('has its catch-all tried last by the host: registered after every other HTTP function, and named to sort after them', () => {
    const fallbackAt = loaded.findIndex((entry) => entry.file === 'functions/routeFallback.ts');
    expect(fallbackAt).toBeGreaterThan(-1);
    expect(loaded.slice(fallbackAt + 1).flatMap((entry) => entry.added)).toEqual([]);
    const fallbackName = 'zzRouteFallback';
    for (const { name } of APP_ROUTES.routes()) {
      expect(name < fallbackName && name.toLowerCase() < fallbackName.toLowerCase()).toBe(true);
    }
  });
});

describe('RouteTable', () => {
  it('refuses a function registered twice and templates it cannot match', () => {
    const table = new RouteTable();
    table.add({ name: 'a', route: 'a/{id}', methods: ['GET'] });
    expect(() => table.add({ name: 'a', route: 'b', methods: ['GET'] })).toThrow(/twice/);
    expect(() => table.add({ name: 'c', route: 'c/{id:int}', methods: ['GET'] })).toThrow(/supported/);
    expect(() => table.add({ name: 'd', route: '{*rest}/d', methods: ['GET'] })).toThrow(/last/);
  });

  it('unions the methods of every template that matches, catch-alls aside', () => {
    const table = new RouteTable();
    table.add({ name: 'get', route: 'things/{id}', methods: ['GET'] });
    table.add({ name: 'put', route: 'things/special', methods: ['PUT'] });
    table.add({ name: 'files', route: 'files/{*rest}', methods: ['POST'] });
    table.add({ name: 'fallback', route: '{*path}', methods: ['GET', 'POST', 'DELETE'] });
    expect(table.allowedAt('things/special')).toEqual(['GET', 'PUT']);
    expect(table.allowedAt('things/x')).toEqual(['GET']);
    expect(table.allowedAt('files/a/b')).toEqual(['POST']);
    expect(table.allowedAt('elsewhere')).toEqual([]);
  });
});
