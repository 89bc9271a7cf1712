/**
 * jose 6 ships only ES modules. Node 20.19+ loads them through `require`, so the built app and the
 * local runtime use it directly, but Jest's module registry (before Node 24.9) refuses to. Test
 * files that reach jose, directly or through shared/identity, therefore start with
 *
 *     jest.mock('jose', () => jest.requireActual<typeof import('./nativeJose')>('./nativeJose').loadJose());
 *
 * which hands them the same library loaded by Node's own loader.
 */
export function loadJose(): typeof import('jose') {
  const nodeModule = require('node:module') as { _load(request: string, parent: null, isMain: boolean): unknown };
  return nodeModule._load(require.resolve('jose'), null, false) as typeof import('jose');
}
