import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FUNCTIONS_KEY_HEADER, systemKeyPath } from '../../local/durable/systemKey';

/** Repository root (this file lives in test/support). */
export const repoRoot = path.resolve(__dirname, '..', '..');
/** The built local runtime entry point (`npm run build` produces it). */
export const runtimeCli = path.join(repoRoot, 'dist', 'local', 'cli.js');

export interface RuntimeOptions {
  /** App directory holding package.json (with its `main` glob) and host.json. Defaults to the repo root. */
  appDir?: string;
  /** Data directory; a fresh temporary one when omitted. Reuse one to restart over the same state. */
  dataDir?: string;
  /** Extra environment for the runtime process. */
  env?: Record<string, string>;
}

/** A local runtime running as a child process on an ephemeral 127.0.0.1 port. */
export interface RunningRuntime {
  readonly url: string;
  readonly dataDir: string;
  /** The Durable extension's system key the runtime generated in its data directory. */
  readonly systemKey: string;
  readonly process: ChildProcess;
  /**
   * The URL of `pathAndQuery` under the Durable webhooks (`instances/<id>?showHistory=true`), with
   * the system key as its `code` query parameter, as the URLs the extension hands out carry it.
   */
  durable(pathAndQuery: string): string;
  /** The `x-functions-key` header holding the system key, for calls that send it as a header. */
  keyHeader(): Record<string, string>;
  /** Everything the process wrote so far (stdout and stderr interleaved). */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit (crash simulation). */
  kill(): Promise<void>;
  /** Stop and remove the data directory if this helper created it. */
  dispose(): Promise<void>;
}

const READY = /ready at (http:\/\/\S+)/;

/** Starts `dist/local/cli.js` and resolves once it printed its ready line. */
export async function startRuntime(options: RuntimeOptions = {}): Promise<RunningRuntime> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'maa-rt-'));
  const child = spawn(process.execPath, [runtimeCli], {
    cwd: options.appDir ?? repoRoot,
    env: {
      ...process.env,
      PORT: '0',
      MAA_DATA_DIR: dataDir,
      MAA_LOG_LEVEL: 'warning',
      // A runtime that never becomes ready is asked for a diagnostic report (see whereStuck).
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --report-on-signal --report-signal=SIGUSR2 --report-directory=${dataDir}`.trim(),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      void whereStuck(child, dataDir).then((report) =>
        reject(new Error(`runtime did not become ready in 20 s:\n${log}\n${report}`)),
      );
    }, 20_000);
    const onData = () => {
      const match = READY.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code} before it was ready:\n${log}`));
    });
  });

  const systemKey = readFileSync(systemKeyPath(dataDir), 'utf8').trim();
  const running: RunningRuntime = {
    url,
    dataDir,
    systemKey,
    process: child,
    durable(pathAndQuery) {
      const target = new URL(`${url}/runtime/webhooks/durabletask/${pathAndQuery.replace(/^\//, '')}`);
      target.searchParams.set('code', systemKey);
      return target.href;
    },
    keyHeader: () => ({ [FUNCTIONS_KEY_HEADER]: systemKey }),
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async dispose() {
      await running.stop();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return running;
}

/**
 * Where a runtime that never became ready is stuck: its diagnostic report (SIGUSR2, see
 * NODE_OPTIONS above), reduced to the JavaScript stack, the native stack's top and the open handles.
 */
async function whereStuck(child: ChildProcess, dataDir: string): Promise<string> {
  const before = new Set(readdirSync(dataDir));
  child.kill('SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const file = readdirSync(dataDir).find(
      (name) => name.startsWith('report.') && name.endsWith('.json') && !before.has(name),
    );
    if (file === undefined) continue;
    try {
      const report = JSON.parse(readFileSync(path.join(dataDir, file), 'utf8')) as {
        javascriptStack?: { message?: string; stack?: string[] };
        nativeStack?: { symbol?: string }[];
        libuv?: { type?: string; is_active?: boolean; localEndpoint?: unknown }[];
      };
      const js = [report.javascriptStack?.message, ...(report.javascriptStack?.stack ?? [])]
        .filter(Boolean)
        .join('\n  ');
      const native = (report.nativeStack ?? [])
        .slice(0, 12)
        .map((frame) => frame.symbol)
        .join('\n  ');
      const handles = (report.libuv ?? [])
        .filter((handle) => handle.is_active)
        .map((handle) => handle.type)
        .join(', ');
      return `diagnostic report ${file}:\nJavaScript stack:\n  ${js}\nnative stack:\n  ${native}\nactive handles: ${handles}`;
    } catch {
      // Still being written.
    }
  }
  return 'no diagnostic report (the process did not answer SIGUSR2 within 5 s: stuck in native code?)';
}
