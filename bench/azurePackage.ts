import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { buildPackage } from '../scripts/package';
import { row, type Bar, type Row } from './report';
import { repoRoot } from './runtimeProcess';
import { median } from './stats';

const IMPORT: Bar = { op: '<=', limit: 150 };
const ZIP_MB: Bar = { op: '<=', limit: 5 };

/** One probe of loading an app's entry points in a fresh process. */
export interface ImportProbe {
  importMs: number;
  cpuMs: number;
  entryPoints: number;
  functions: string[];
}

/** Import time of the deployment package against the unbundled build, and the package's size. */
export interface PackageResult {
  zipBytes: number;
  unzippedBytes: number;
  files: { path: string; bytes: number }[];
  packageImport: ImportProbe[];
  repoImport: ImportProbe[];
}

const probeScript = path.join(repoRoot, 'dist', 'bench', 'importProbe.js');

/** Loads `appDir`'s entry points in a fresh `node` process, as the worker would. */
export function probeImport(appDir: string): ImportProbe {
  return JSON.parse(execFileSync(process.execPath, [probeScript, appDir], { encoding: 'utf8' })) as ImportProbe;
}

type Log = (line: string) => void;

/** `package`: builds the deployment package (npm run package), then times importing it and the repo's own build. */
export async function benchPackage(runs: number, log: Log): Promise<PackageResult> {
  const built = await buildPackage(repoRoot);
  log(
    `  package: ${(built.zipBytes / 2 ** 20).toFixed(2)} MB zipped, ${(built.unzippedBytes / 2 ** 20).toFixed(2)} MB unzipped, ${built.files.length} files`,
  );
  const packageImport: ImportProbe[] = [];
  const repoImport: ImportProbe[] = [];
  // Interleaved, so both see the same machine load.
  for (let run = 0; run < runs; run++) {
    packageImport.push(probeImport(built.appDir));
    repoImport.push(probeImport(repoRoot));
  }
  const [first] = packageImport;
  const [repoFirst] = repoImport;
  if (first && repoFirst && first.functions.join() !== repoFirst.functions.join()) {
    throw new Error(
      `the package registers other functions than the build: ${first.functions.join(', ')} vs ${repoFirst.functions.join(', ')}`,
    );
  }
  const ms = (probes: ImportProbe[], key: 'importMs' | 'cpuMs') => median(probes.map((probe) => probe[key])).toFixed(0);
  log(
    `  import, package: ${ms(packageImport, 'importMs')} ms wall, ${ms(packageImport, 'cpuMs')} ms CPU (median of ${runs}; ${first?.functions.length ?? 0} functions)`,
  );
  log(`  import, unbundled build: ${ms(repoImport, 'importMs')} ms wall, ${ms(repoImport, 'cpuMs')} ms CPU`);
  return {
    zipBytes: built.zipBytes,
    unzippedBytes: built.unzippedBytes,
    files: built.files,
    packageImport,
    repoImport,
  };
}

/** Rows of the package benchmark. */
export function packageRows(result: PackageResult): Row[] {
  return [
    row(
      'import, deployment package (wall)',
      'ms',
      result.packageImport.map((probe) => probe.importMs),
      0,
      IMPORT,
    ),
    row(
      'import, deployment package (CPU)',
      'ms',
      result.packageImport.map((probe) => probe.cpuMs),
      0,
    ),
    row(
      'import, unbundled build (wall)',
      'ms',
      result.repoImport.map((probe) => probe.importMs),
      0,
    ),
    row('deployment package, zipped', 'MB', [result.zipBytes / 2 ** 20], 2, ZIP_MB),
  ];
}
