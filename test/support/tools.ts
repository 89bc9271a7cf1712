import { findBicep, findPwsh, pesterModulePath } from '../../scripts/tools/paths';

export { findBicep, findPwsh, pesterModulePath };

const finders = { pwsh: findPwsh, bicep: findBicep, pester: pesterModulePath } as const;

/**
 * The path of a tool the tests need, or undefined when it is missing: the tests that need it are
 * then skipped with a notice, so `npm test` works on a machine without the .NET tools. When
 * `envVar` is `1` (CI sets `MAA_REQUIRE_POWERSHELL` and `MAA_REQUIRE_BICEP`), a missing tool throws
 * instead. `npm run tools:install` installs all three into .tools/.
 */
export function requireTool(name: keyof typeof finders, envVar: string): string | undefined {
  const found = finders[name]();
  if (found) return found;
  if (process.env[envVar] === '1')
    throw new Error(`${envVar}=1 but ${name} is not installed (npm run tools:install puts it in .tools/)`);
  console.warn(`${name} tests skipped: ${name} is not installed (npm run tools:install puts it in .tools/)`);
  return undefined;
}
