import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { findEntryPoints } from '../local/host/appLoader';

// `npm run package`: the deployment package, built from the compiled app in `dist/`.
//
// Only what runs in Azure goes in: the function entry points (the files the repo's `main` glob
// matches, as the Node worker would load them) bundled with their dependencies into
// `dist/main.js`, the Azure SDKs that the composition root loads lazily in a second file, host.json
// and a package.json whose `main` names the bundle. No `local/`, tests, benchmarks, dev
// dependencies or node_modules. One file to read instead of ~900 modules to resolve is what makes
// the cold start cheap.

/** Where the package goes, relative to the repo root; azure.yaml's `dist` points at {@link APP_DIR}. */
export const PACKAGE_DIR = '.package';
export const APP_DIR = path.join(PACKAGE_DIR, 'app');
export const ZIP_FILE = path.join(PACKAGE_DIR, 'app.zip');

/**
 * Packages needed only once a request is served, bundled apart so the entry stays small: the Azure
 * SDKs (shared/composition.ts loads them on first use) and axios, which durable-functions uses for
 * its DurableClient (built per invocation, never at import).
 */
const LAZY_PACKAGES: Record<string, string> = {
  '@azure/cosmos': 'cosmos',
  '@azure/identity': 'identity',
  axios: 'axios',
};
const VENDOR_FILE = './vendor/azure-sdk.js';

/**
 * What durable-functions uses of the packages it gets through a shim (checked against its code on
 * every packaging run, so an upgrade that uses more fails here rather than in Azure).
 */
const DURABLE_USES: Record<string, readonly string[]> = { axios: ['default.create'], validator: ['isURL'] };

/** What {@link buildPackage} produced. */
export interface PackageResult {
  appDir: string;
  zipFile: string;
  /** The repo's entry points that went into the bundle, relative to the repo root. */
  entryPoints: string[];
  files: { path: string; bytes: number }[];
  unzippedBytes: number;
  zipBytes: number;
}

// Runs where the worker provides it; `require('@azure/functions-core')` must stay a require.
const WORKER_PROVIDED = ['@azure/functions-core'];

/**
 * Points imports of the lazily loaded packages at the vendor bundle, gives durable-functions the one
 * validator function it calls (validator's index loads ~100 modules), and stubs SQLite.
 */
const appPlugin: Plugin = {
  name: 'maa-app',
  setup(context) {
    const lazyFilter = new RegExp(
      `^(${Object.keys(LAZY_PACKAGES)
        .map((name) => name.replace(/[/]/g, '\\/'))
        .join('|')})$`,
    );
    context.onResolve({ filter: lazyFilter }, (args) => ({ path: args.path, namespace: 'maa-vendor' }));
    context.onLoad({ filter: /.*/, namespace: 'maa-vendor' }, (args) => ({
      contents:
        args.path === 'axios'
          ? // durable-functions calls axios_1.default.create(...) in the DurableClient constructor.
            `const load = () => require(${JSON.stringify(VENDOR_FILE)}).axios; module.exports = { get default() { const axios = load(); return axios.default ?? axios; } };`
          : `module.exports = require(${JSON.stringify(VENDOR_FILE)})[${JSON.stringify(LAZY_PACKAGES[args.path])}];`,
      loader: 'js',
    }));
    context.onResolve({ filter: /^validator$/ }, (args) => ({
      path: 'validator',
      namespace: 'maa-validator',
      pluginData: args.resolveDir,
    }));
    context.onLoad({ filter: /.*/, namespace: 'maa-validator' }, (args) => ({
      contents:
        "module.exports = { get isURL() { const isURL = require('validator/lib/isURL'); return isURL.default ?? isURL; } };",
      resolveDir: args.pluginData as string,
      loader: 'js',
    }));
    context.onResolve({ filter: /^\.\/vendor\/azure-sdk\.js$/ }, (args) => ({ path: args.path, external: true }));
    // The SQLite store is for local runs; Azure uses Cosmos DB. Constructing it in the package fails loudly.
    context.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: 'better-sqlite3', namespace: 'maa-stub' }));
    context.onLoad({ filter: /.*/, namespace: 'maa-stub' }, () => ({
      contents:
        "module.exports = function Database() { throw new Error('The SQLite store is not part of the Azure package: set MAA_STORE=cosmos and COSMOS_ENDPOINT.'); };",
      loader: 'js',
    }));
  },
};

// Some ESM dependencies read import.meta.url; in a CommonJS bundle it must name the bundle file.
const importMetaUrl = {
  banner: { js: "const __maaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__maaImportMetaUrl' },
};

const common = {
  bundle: true,
  platform: 'node' as const,
  target: 'node20',
  format: 'cjs' as const,
  // Whitespace and syntax only: identifiers stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'external' as const,
  logLevel: 'warning' as const,
  ...importMetaUrl,
};

/** Builds the package from `<repoRoot>/dist` (run `npm run build` first) into `<repoRoot>/.package`. */
export async function buildPackage(repoRoot: string): Promise<PackageResult> {
  const rootPackage = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    engines?: unknown;
  };
  const entryPoints = findEntryPoints(repoRoot).map((file) => path.relative(repoRoot, file).split(path.sep).join('/'));
  checkDurableUses(repoRoot);
  const appDir = path.join(repoRoot, APP_DIR);
  rmSync(path.join(repoRoot, PACKAGE_DIR), { recursive: true, force: true });
  mkdirSync(path.join(appDir, 'dist'), { recursive: true });

  // The worker requires every file of `main` in glob order; one entry requiring them in that order is the same program.
  await build({
    ...common,
    stdin: {
      contents: entryPoints.map((file) => `require(${JSON.stringify(`./${file}`)});`).join('\n'),
      resolveDir: repoRoot,
      sourcefile: 'main.js',
      loader: 'js',
    },
    outfile: path.join(appDir, 'dist', 'main.js'),
    external: WORKER_PROVIDED,
    plugins: [appPlugin],
  });
  await build({
    ...common,
    stdin: {
      contents: `module.exports = { ${Object.entries(LAZY_PACKAGES)
        .map(([name, key]) => `get ${key}() { return require(${JSON.stringify(name)}); }`)
        .join(', ')} };`,
      resolveDir: repoRoot,
      sourcefile: 'azure-sdk.js',
      loader: 'js',
    },
    outfile: path.join(appDir, 'dist', 'vendor', 'azure-sdk.js'),
    external: WORKER_PROVIDED,
  });

  cpSync(path.join(repoRoot, 'host.json'), path.join(appDir, 'host.json'));
  const packageJson = {
    name: rootPackage.name,
    version: rootPackage.version,
    private: true,
    description: 'Deployment package (generated by npm run package).',
    main: 'dist/main.js',
    ...(rootPackage.engines ? { engines: rootPackage.engines } : {}),
  };
  writeFileSync(path.join(appDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);

  const files = listFiles(appDir).map((file) => ({
    path: path.relative(appDir, file).split(path.sep).join('/'),
    bytes: statSync(file).size,
  }));
  const zipFile = path.join(repoRoot, ZIP_FILE);
  writeZip(
    zipFile,
    appDir,
    files.map((file) => file.path),
  );
  return {
    appDir,
    zipFile,
    entryPoints,
    files,
    unzippedBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    zipBytes: statSync(zipFile).size,
  };
}

/** Fails when durable-functions uses more of a shimmed package than the shim provides. */
function checkDurableUses(repoRoot: string): void {
  const libDir = path.join(repoRoot, 'node_modules', 'durable-functions', 'lib', 'src');
  const problems: string[] = [];
  for (const file of listFiles(libDir).filter((name) => name.endsWith('.js'))) {
    const code = readFileSync(file, 'utf8');
    for (const [pkg, allowed] of Object.entries(DURABLE_USES)) {
      const binding = new RegExp(`const (\\w+) = require\\("${pkg}"\\)`).exec(code)?.[1];
      if (!binding) continue;
      for (const use of code.matchAll(new RegExp(`\\b${binding}\\.([\\w.]+)`, 'g'))) {
        const member = use[1] ?? '';
        if (!allowed.some((name) => member === name || member.startsWith(`${name}.`)))
          problems.push(`${path.relative(repoRoot, file)} uses ${pkg}.${member}`);
      }
    }
  }
  if (problems.length > 0)
    throw new Error(
      `durable-functions uses what the package's shims do not provide; extend scripts/package.ts:\n  ${problems.join('\n  ')}`,
    );
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}

/** A plain deflate zip (what zip deployment takes), with fixed timestamps so equal inputs give equal bytes. */
function writeZip(zipFile: string, baseDir: string, names: string[]): void {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const dosTime = 0; // 00:00:00
  const dosDate = ((1980 - 1980) << 9) | (1 << 5) | 1; // 1980-01-01
  for (const name of names) {
    const data = readFileSync(path.join(baseDir, name));
    const compressed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt16LE(dosTime, 10);
    header.writeUInt16LE(dosDate, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(compressed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(0, 28);
    local.push(header, nameBytes, compressed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(0x031e, 4); // made by: Unix, 3.0
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt16LE(dosTime, 12);
    entry.writeUInt16LE(dosDate, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += header.length + nameBytes.length + compressed.length;
  }
  const centralSize = central.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(zipFile, Buffer.concat([...local, ...central, end]));
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KB`;
}

async function main(): Promise<void> {
  const repoRoot = path.resolve(__dirname, '..', '..');
  const result = await buildPackage(repoRoot);
  const digest = createHash('sha256').update(readFileSync(result.zipFile)).digest('hex').slice(0, 12);
  process.stdout.write(
    `package: ${path.relative(repoRoot, result.appDir)} (${result.entryPoints.length} entry points bundled)\n` +
      result.files.map((file) => `  ${file.path.padEnd(32)} ${kb(file.bytes)}\n`).join('') +
      `zip: ${path.relative(repoRoot, result.zipFile)} ${kb(result.zipBytes)} (${kb(result.unzippedBytes)} unzipped, sha256 ${digest}…)\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `package failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
