import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root (this file is scripts/tools/paths.ts, or dist/scripts/tools/paths.js). */
export const toolsRepoRoot = path.resolve(
  __dirname,
  '..',
  '..',
  ...(path.basename(path.resolve(__dirname, '..', '..')) === 'dist' ? ['..'] : []),
);

/** Where scripts/tools/install.sh puts the tools (git-ignored). */
export const toolsDir = path.join(toolsRepoRoot, '.tools');

/** The first `name` on PATH that is a file, or undefined. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function installed(file: string): string | undefined {
  return existsSync(file) ? file : undefined;
}

/** PowerShell 7: `pwsh` on PATH, else .tools/pwsh/pwsh. */
export function findPwsh(): string | undefined {
  return onPath('pwsh') ?? installed(path.join(toolsDir, 'pwsh', 'pwsh'));
}

/** The Bicep CLI: `bicep` on PATH, else the NuGet package's binary under .tools/nuget/. */
export function findBicep(): string | undefined {
  return (
    onPath('bicep') ??
    installed(path.join(toolsDir, 'nuget', 'azure.bicep.commandline.linux-x64', '0.49.2', 'tools', 'bicep'))
  );
}

/** Pester's module manifest: .tools/nuget/pester/5.7.1/tools/Pester.psd1 (PowerShell also finds an installed Pester itself). */
export function pesterModulePath(): string | undefined {
  return installed(path.join(toolsDir, 'nuget', 'pester', '5.7.1', 'tools', 'Pester.psd1'));
}
